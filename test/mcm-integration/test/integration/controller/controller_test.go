// Gardener MCM's provider integration suite (pkg/test/integration/common, unchanged) wired to the
// STACKIT provider on the local stack, as gardener/machine-controller-manager-provider-aws wires it
// in test/integration/controller. Run it through test/mcm-integration/run.ts, which starts the
// simulator, the control plane and the node simulator, lays out the directories the framework
// expects and runs this package in its own PID namespace (README.md next to go.mod).
package controller_test

import (
	"os"
	"strconv"

	"github.com/gardener/machine-controller-manager/pkg/test/integration/common"
	. "github.com/onsi/ginkgo/v2"

	"mcm-provider-stackit/test/mcm-integration/test/integration/provider"
)

// MCM_IT_TIMEOUT_SECONDS / MCM_IT_POLL_SECONDS: the framework's Eventually timeout and polling
// interval (its defaults are 300 s and 2 s; the AWS provider uses 600 s for real VMs).
var commons = common.NewIntegrationTestFramework(
	&provider.ResourcesTracker{},
	envInt("MCM_IT_TIMEOUT_SECONDS", 300),
	envInt("MCM_IT_POLL_SECONDS", 2),
)

var _ = BeforeSuite(commons.SetupBeforeSuite)

var _ = AfterSuite(commons.Cleanup)

var _ = Describe("Machine controllers test", func() {
	commons.BeforeEachCheck()
	commons.ControllerTests()
})

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}
