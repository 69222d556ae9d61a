package main

import (
	_ "github.com/gardener/machine-controller-manager/pkg/util/provider/app"
)

func main() {}
