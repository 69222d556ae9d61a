// Package pluginmetrics puts the driver plugin's own metrics on the machine-controller's /metrics.
//
// MCM's app.Run serves /metrics from Prometheus' default registry; the plugin is another process
// with its own registry. Collector is an unchecked prometheus.Collector registered there: on every
// scrape it asks the plugin for its metrics (text exposition format, DriverService.Metrics), parses
// them and emits them as constant metrics. A plugin that is down, slow or answers garbage never
// fails the scrape: its families are just missing, stackit_driver_plugin_metrics_up is 0 and MCM's
// mcm_misc_scrape_failure_total{kind="DriverPlugin"} counts the failure.
package pluginmetrics

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	mcmmetrics "github.com/gardener/machine-controller-manager/pkg/util/provider/metrics"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/klog/v2"
)

// Fetch returns the plugin's metrics in the text exposition format. It must not start a plugin.
type Fetch func(ctx context.Context) (string, error)

// ScrapeFailureKind is the kind label of MCM's mcm_misc_scrape_failure_total for failed plugin scrapes.
const ScrapeFailureKind = "DriverPlugin"

// UpName is the gauge telling whether the last scrape got the plugin's metrics (1) or not (0).
const UpName = "stackit_driver_plugin_metrics_up"

// ReservedPrefixes are families the controller's own registry owns (MCM's metrics, the Go runtime and
// process, promhttp): the plugin's families with these prefixes are dropped, so a plugin can never
// produce a duplicate that would fail the whole scrape.
var ReservedPrefixes = []string{"mcm_", "go_", "process_", "promhttp_"}

var upDesc = prometheus.NewDesc(UpName,
	"1 when the machine-controller got the driver plugin's own metrics in this scrape, 0 when the plugin was down, slow or answered garbage.",
	nil, nil)

// Collector is an unchecked collector (Describe sends nothing): the plugin's families are only
// known at scrape time.
type Collector struct {
	fetch   Fetch
	timeout time.Duration
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns a Collector asking fetch with the given per-scrape timeout.
func New(fetch Fetch, timeout time.Duration) *Collector {
	return &Collector{fetch: fetch, timeout: timeout}
}

// Describe sends nothing: an unchecked collector.
func (*Collector) Describe(chan<- *prometheus.Desc) {}

// Collect fetches, parses and emits the plugin's families.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	text, err := c.fetch(ctx)
	if err != nil {
		c.failed("driver plugin metrics unavailable: %v", err)
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		c.failed("driver plugin metrics unreadable: %v", err)
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if reserved(name) {
			continue
		}
		emitFamily(families[name], ch)
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
}

func (c *Collector) failed(format string, err error) {
	mcmmetrics.ScrapeFailedCounter.WithLabelValues(ScrapeFailureKind).Inc()
	klog.V(2).Infof(format, err)
}

func reserved(name string) bool {
	if name == UpName {
		return true
	}
	for _, p := range ReservedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// emitFamily converts one parsed family; metrics that cannot be represented (invalid names,
// gauge histograms, ...) are skipped rather than failing the scrape.
func emitFamily(mf *dto.MetricFamily, ch chan<- prometheus.Metric) {
	name, help := mf.GetName(), mf.GetHelp()
	for _, m := range mf.GetMetric() {
		labelNames := make([]string, 0, len(m.GetLabel()))
		labelValues := make([]string, 0, len(m.GetLabel()))
		for _, lp := range m.GetLabel() {
			labelNames = append(labelNames, lp.GetName())
			labelValues = append(labelValues, lp.GetValue())
		}
		desc := prometheus.NewDesc(name, help, labelNames, nil)
		var (
			metric prometheus.Metric
			err    error
		)
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			metric, err = prometheus.NewConstMetric(desc, prometheus.CounterValue, m.GetCounter().GetValue(), labelValues...)
		case dto.MetricType_GAUGE:
			metric, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, m.GetGauge().GetValue(), labelValues...)
		case dto.MetricType_UNTYPED:
			metric, err = prometheus.NewConstMetric(desc, prometheus.UntypedValue, m.GetUntyped().GetValue(), labelValues...)
		case dto.MetricType_HISTOGRAM:
			h := m.GetHistogram()
			buckets := make(map[float64]uint64, len(h.GetBucket()))
			for _, b := range h.GetBucket() {
				if !math.IsInf(b.GetUpperBound(), +1) {
					buckets[b.GetUpperBound()] = b.GetCumulativeCount()
				}
			}
			metric, err = prometheus.NewConstHistogram(desc, h.GetSampleCount(), h.GetSampleSum(), buckets, labelValues...)
		case dto.MetricType_SUMMARY:
			s := m.GetSummary()
			quantiles := make(map[float64]float64, len(s.GetQuantile()))
			for _, q := range s.GetQuantile() {
				quantiles[q.GetQuantile()] = q.GetValue()
			}
			metric, err = prometheus.NewConstSummary(desc, s.GetSampleCount(), s.GetSampleSum(), quantiles, labelValues...)
		default:
			continue
		}
		if err != nil {
			klog.V(4).Infof("driver plugin metric %s skipped: %v", name, err)
			continue
		}
		ch <- metric
	}
}
