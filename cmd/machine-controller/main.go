// machine-controller is Gardener MCM's machine controller (app.Run) with a driver that forwards
// every call over gRPC to the TypeScript driver plugin, run as a hashicorp/go-plugin subprocess.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	machineclient "github.com/gardener/machine-controller-manager/pkg/client/clientset/versioned/typed/machine/v1alpha1"
	"github.com/gardener/machine-controller-manager/pkg/handlers"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/app"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/app/options"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"

	_ "github.com/gardener/machine-controller-manager/pkg/util/client/metrics/prometheus" // client metric registration
	_ "github.com/gardener/machine-controller-manager/pkg/util/reflector/prometheus"      // reflector metric registration
	_ "github.com/gardener/machine-controller-manager/pkg/util/workqueue/prometheus"      // workqueue metric registration

	"mcm-provider-stackit/cmd/machine-controller/internal/bridge"
	"mcm-provider-stackit/cmd/machine-controller/internal/plugin"
	"mcm-provider-stackit/cmd/machine-controller/internal/pluginmetrics"
)

// pluginOptions are this binary's own flags; all start with --driver- so they cannot clash with MCM's.
type pluginOptions struct {
	command        string
	callTimeout    time.Duration
	healthInterval time.Duration
	healthTimeout  time.Duration
	startTimeout   time.Duration
	metricsTimeout time.Duration
}

func (o *pluginOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.command, "driver-plugin-command", "",
		"Command line of the driver plugin, split on whitespace (default: $"+plugin.EnvCommand+
			", else node <dir>/dist/src/plugin/main.js found at or above the executable's directory)")
	fs.DurationVar(&o.callTimeout, "driver-call-timeout", 60*time.Second,
		"Deadline of each driver call; MCM itself sets none. Exceeding it yields DeadlineExceeded (retried after 5s)")
	fs.DurationVar(&o.healthInterval, "driver-plugin-health-interval", 10*time.Second,
		"How often the plugin's gRPC health service is probed (0 disables); /healthz reports failures, 3 in a row restart the plugin")
	fs.DurationVar(&o.healthTimeout, "driver-plugin-health-timeout", 5*time.Second, "Timeout of one plugin health probe")
	fs.DurationVar(&o.startTimeout, "driver-plugin-start-timeout", time.Minute, "Time the plugin may take to start and complete the handshake")
	fs.DurationVar(&o.metricsTimeout, "driver-plugin-metrics-timeout", 3*time.Second,
		"How long a /metrics scrape waits for the plugin's own metrics; without them the scrape still succeeds")
}

// supervised adapts the plugin supervisor to the bridge's interface.
type supervised struct{ *plugin.Supervisor }

func (s supervised) Acquire(ctx context.Context) (bridge.Conn, error) {
	inst, err := s.Supervisor.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return inst, nil
}

func main() {
	// The controller's live heap is a few MiB (informer caches), so Go's default GOGC=100 lets its
	// heap double for little gain; 50 keeps RSS nearer to what is used (docs/operations.md "Memory":
	// 5 MiB less at 100 Machines) for a little more GC CPU. GOGC in the environment still wins.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(50)
	}
	s := options.NewMCServer()
	s.AddFlags(pflag.CommandLine)
	var po pluginOptions
	po.addFlags(pflag.CommandLine)
	flag.InitFlags()
	logs.InitLogs()
	defer logs.FlushLogs()

	if err := run(s, &po); err != nil {
		logs.FlushLogs()
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(1)
	}
}

func run(s *options.MCServer, po *pluginOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate executable: %w", err)
	}
	command, err := plugin.ResolveCommand(po.command, os.Getenv, exe)
	if err != nil {
		return err
	}
	sup := plugin.NewSupervisor(plugin.Config{Command: command, StartTimeout: po.startTimeout})
	defer sup.Close()

	// Start the plugin before the controller so a broken plugin setup fails at start-up, visibly.
	startCtx, cancel := context.WithTimeout(context.Background(), po.startTimeout)
	_, err = sup.Acquire(startCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("driver plugin: %w", err)
	}

	// The plugin's own metrics (stackit_*) on MCM's /metrics, next to MCM's mcm_cloud_api_* that the
	// bridge records from each call's API requests.
	prometheus.MustRegister(pluginmetrics.New(sup.Metrics, po.metricsTimeout))

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if po.healthInterval > 0 {
		// MCM's /healthz is a package-level flag (pkg/handlers) that app.Run sets once when serving;
		// the watcher clears it while the plugin is unhealthy and sets it again on recovery.
		go sup.Watch(ctx, po.healthInterval, po.healthTimeout, 3, handlers.UpdateHealth)
	}

	// app.Run never returns on success and installs no signal handling: stop the plugin on
	// SIGTERM/SIGINT so no orphan is left behind (the plugin also exits when its parent dies).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-sigs
		klog.Infof("received %s, stopping the driver plugin", sig)
		stop()
		sup.Close()
		logs.FlushLogs()
		os.Exit(0)
	}()

	machines, events, err := controlClients(s)
	if err != nil {
		return err
	}
	b := bridge.New(supervised{sup}, po.callTimeout, "stackit").WithCreationFlow(bridge.CreationFlow{
		DefaultTimeout: s.SafetyOptions.MachineCreationTimeout.Duration,
		Failer:         bridge.StatusFailer{Client: machines},
	}).WithMachineLister(bridge.ClientMachineLister{Client: machines})
	b.WithEvents(events)
	return app.Run(s, b)
}

// controlClients are the bridge's own clients of the control cluster: machines marks Machines
// Failed and lists them for ListMachines; events posts the bridge's Events (MachineClass warnings,
// driver errors on Machines). Events have their own recorder and client: app.Run's recorder is not
// exposed, and Events must not use up the rate limit of the Machine writes (each NewForConfig
// builds its own limiter from the config's QPS and Burst).
func controlClients(s *options.MCServer) (machineclient.MachineV1alpha1Interface, *bridge.Events, error) {
	cfg, err := controlConfig(s)
	if err != nil {
		return nil, nil, err
	}
	machines, err := machineclient.NewForConfig(rest.AddUserAgent(rest.CopyConfig(cfg), "machine-controller-driver-bridge"))
	if err != nil {
		return nil, nil, fmt.Errorf("control cluster client: %w", err)
	}
	c, err := kubernetes.NewForConfig(rest.AddUserAgent(rest.CopyConfig(cfg), "machine-controller-driver-events"))
	if err != nil {
		return nil, nil, fmt.Errorf("control cluster events client: %w", err)
	}
	recorder, _, err := bridge.NewEventRecorder(c)
	if err != nil {
		return nil, nil, err
	}
	// An unchanged error is posted again after 10 min; 10,000 classes and Machines remembered each.
	return machines, bridge.NewEvents(recorder, 10*time.Minute, 10_000), nil
}

// controlConfig is the control cluster as app.Run resolves it (--control-kubeconfig,
// "inClusterConfig", else --target-kubeconfig), with MCM's client rate limits.
func controlConfig(s *options.MCServer) (*rest.Config, error) {
	path := s.ControlKubeconfig
	if path == "" {
		path = s.TargetKubeconfig
	}
	if path == "inClusterConfig" {
		path = ""
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("control cluster kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = s.KubeAPIQPS, int(s.KubeAPIBurst)
	return cfg, nil
}
