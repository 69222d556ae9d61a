module stackit-simulator-keyflow-check

go 1.26.8

require github.com/stackitcloud/stackit-sdk-go/core v0.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
)
