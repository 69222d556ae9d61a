module stackit-simulator-infra-check

go 1.26

require (
	github.com/stackitcloud/stackit-sdk-go/core v0.26.0
	github.com/stackitcloud/stackit-sdk-go/services/iaas v1.14.1
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/stackitcloud/stackit-sdk-go/services/resourcemanager v0.24.2 // indirect
)

// The Go module proxy does not serve services/iaas: point these at an extracted
// stackit-sdk-go tree (see docs/simulator.md).
replace github.com/stackitcloud/stackit-sdk-go/services/iaas => ../../../.sdk/stackit-sdk-go/services/iaas

replace github.com/stackitcloud/stackit-sdk-go/services/resourcemanager => ../../../.sdk/stackit-sdk-go/services/resourcemanager
