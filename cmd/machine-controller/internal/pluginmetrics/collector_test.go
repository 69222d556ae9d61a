package pluginmetrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	mcmmetrics "github.com/gardener/machine-controller-manager/pkg/util/provider/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// What the TypeScript plugin answers (prom-client's text format): its own families plus, for the
// test, families the controller's registry owns, which must be dropped rather than duplicated.
const pluginText = `# HELP stackit_iaas_responses_total IaaS HTTP attempts by operation and outcome.
# TYPE stackit_iaas_responses_total counter
stackit_iaas_responses_total{operation="CreateServer",code="201"} 3
stackit_iaas_responses_total{operation="ListServers",code="429"} 2

# HELP stackit_iaas_throttled_total IaaS responses with HTTP 429.
# TYPE stackit_iaas_throttled_total counter
stackit_iaas_throttled_total{operation="ListServers"} 2

# HELP stackit_driver_plugin_process_resident_memory_bytes Resident memory size in bytes.
# TYPE stackit_driver_plugin_process_resident_memory_bytes gauge
stackit_driver_plugin_process_resident_memory_bytes 123456789

# HELP stackit_driver_plugin_nodejs_gc_duration_seconds GC duration.
# TYPE stackit_driver_plugin_nodejs_gc_duration_seconds histogram
stackit_driver_plugin_nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 4
stackit_driver_plugin_nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} 6
stackit_driver_plugin_nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 7
stackit_driver_plugin_nodejs_gc_duration_seconds_sum{kind="minor"} 0.05
stackit_driver_plugin_nodejs_gc_duration_seconds_count{kind="minor"} 7

# HELP stackit_example_latency_seconds A summary.
# TYPE stackit_example_latency_seconds summary
stackit_example_latency_seconds{quantile="0.5"} 0.2
stackit_example_latency_seconds{quantile="0.9"} 0.7
stackit_example_latency_seconds_sum 9
stackit_example_latency_seconds_count 20

# TYPE stackit_example_untyped untyped
stackit_example_untyped 5

# HELP mcm_cloud_api_requests_total Number of Cloud Service API requests, partitioned by provider, and service.
# TYPE mcm_cloud_api_requests_total counter
mcm_cloud_api_requests_total{provider="stackit",service="CreateServer"} 1000
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 1
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1
# HELP stackit_driver_plugin_metrics_up fake
# TYPE stackit_driver_plugin_metrics_up gauge
stackit_driver_plugin_metrics_up 7
`

// controllerRegistry mimics the controller's default registry: MCM's cloud API metrics, the Go
// and process collectors, and the plugin collector, scraped through promhttp like app.Run does.
func scrape(t *testing.T, fetch Fetch, timeout time.Duration) (int, string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		mcmmetrics.APIRequestCount,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		New(fetch, timeout),
	)
	mcmmetrics.APIRequestCount.WithLabelValues("stackit", "CreateServer").Add(0)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func failures() float64 {
	return testutil.ToFloat64(mcmmetrics.ScrapeFailedCounter.WithLabelValues(ScrapeFailureKind))
}

func TestPluginFamiliesAppearOnTheControllersMetrics(t *testing.T) {
	before := failures()
	code, body := scrape(t, func(context.Context) (string, error) { return pluginText, nil }, time.Second)
	if code != http.StatusOK {
		t.Fatalf("scrape status %d:\n%s", code, body)
	}
	for _, want := range []string{
		`stackit_iaas_responses_total{code="201",operation="CreateServer"} 3`,
		`stackit_iaas_responses_total{code="429",operation="ListServers"} 2`,
		`stackit_iaas_throttled_total{operation="ListServers"} 2`,
		`# TYPE stackit_iaas_throttled_total counter`,
		`# HELP stackit_iaas_throttled_total IaaS responses with HTTP 429.`,
		`stackit_driver_plugin_process_resident_memory_bytes 1.23456789e+08`,
		`# TYPE stackit_driver_plugin_nodejs_gc_duration_seconds histogram`,
		`stackit_driver_plugin_nodejs_gc_duration_seconds_bucket{kind="minor",le="0.001"} 4`,
		`stackit_driver_plugin_nodejs_gc_duration_seconds_bucket{kind="minor",le="0.01"} 6`,
		`stackit_driver_plugin_nodejs_gc_duration_seconds_bucket{kind="minor",le="+Inf"} 7`,
		`stackit_driver_plugin_nodejs_gc_duration_seconds_count{kind="minor"} 7`,
		`stackit_example_latency_seconds{quantile="0.9"} 0.7`,
		`stackit_example_latency_seconds_count 20`,
		`stackit_example_untyped 5`,
		UpName + " 1",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("missing %q in:\n%s", want, body)
		}
	}
	// The controller's own families win; the plugin's copies are dropped, not duplicated.
	if strings.Contains(body, `} 1000`) || strings.Contains(body, "process_cpu_seconds_total 1\n") ||
		strings.Contains(body, "go_goroutines 1\n") || strings.Contains(body, UpName+" 7") {
		t.Errorf("a reserved family came from the plugin:\n%s", body)
	}
	if strings.Count(body, "# TYPE go_goroutines ") != 1 || strings.Count(body, "# TYPE mcm_cloud_api_requests_total ") != 1 {
		t.Errorf("duplicate families:\n%s", body)
	}
	if failures() != before {
		t.Errorf("a good scrape counted as failure")
	}
}

// A plugin that is down, hangs or answers garbage costs its own families only: the scrape still
// succeeds with the controller's metrics, up is 0, and the failure is counted.
func TestScrapeSurvivesABrokenPlugin(t *testing.T) {
	for name, fetch := range map[string]Fetch{
		"down": func(context.Context) (string, error) { return "", errors.New("driver plugin is not running") },
		"hangs": func(ctx context.Context) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		},
		"garbage":   func(context.Context) (string, error) { return "this is { not metrics\n", nil },
		"duplicate": func(context.Context) (string, error) { return "# TYPE a counter\n# TYPE a gauge\na 1\n", nil },
	} {
		t.Run(name, func(t *testing.T) {
			before := failures()
			code, body := scrape(t, fetch, 200*time.Millisecond)
			if code != http.StatusOK {
				t.Fatalf("scrape status %d:\n%s", code, body)
			}
			for _, want := range []string{UpName + " 0\n", "# TYPE mcm_cloud_api_requests_total counter\n", "# TYPE go_goroutines gauge\n"} {
				if !strings.Contains(body, want) {
					t.Errorf("missing %q in:\n%s", want, body)
				}
			}
			if strings.Contains(body, "stackit_iaas") {
				t.Errorf("plugin families without a plugin:\n%s", body)
			}
			if got := failures() - before; got != 1 {
				t.Errorf("mcm_misc_scrape_failure_total{kind=%q} +%v, want +1", ScrapeFailureKind, got)
			}
		})
	}
}

// An empty answer (a driver without metrics of its own) is fine and no failure.
func TestEmptyPluginAnswer(t *testing.T) {
	before := failures()
	code, body := scrape(t, func(context.Context) (string, error) { return "", nil }, time.Second)
	if code != http.StatusOK || !strings.Contains(body, UpName+" 1\n") {
		t.Fatalf("status %d:\n%s", code, body)
	}
	if failures() != before {
		t.Error("empty answer counted as failure")
	}
}
