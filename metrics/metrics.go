// Package metrics exposes a live run in the Prometheus exposition format:
// counters of the requests by status, category, error code and request
// name, histograms of latency and send delay, the retries and the
// rate-limit contract's violations, every series labelled by the run's id
// and its shard, so that the shards of one run can be watched together.
//
// A Metrics holds a private registry (never Prometheus' global one); each
// live stream is observed by a Sink of it, an analyze.Sink added to the
// sinks of the command; Handler serves the registry. The exact numbers of
// a run stay in its reports: the histograms here have fixed buckets, for
// watching a run as it goes (docs/metrics.md).
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The names of the metrics, as the registry exposes them and the Grafana
// dashboard (deploy/grafana) queries them.
const (
	RequestsTotal        = "stampede_requests_total"
	TransportErrorsTotal = "stampede_transport_errors_total"
	RequestDuration      = "stampede_request_duration_seconds"
	SendDelay            = "stampede_send_delay_seconds"
	LogicalRequestsTotal = "stampede_logical_requests_total"
	RetriesTotal         = "stampede_retries_total"
	SettledTotal         = "stampede_logical_requests_settled_total"
	GiveUpsTotal         = "stampede_retry_give_ups_total"
	EarlyRetriesTotal    = "stampede_retries_early_total"
	ViolationsTotal      = "stampede_ratelimit_violations_total"
	ReceivedBytesTotal   = "stampede_received_bytes_total"
	SentBytesTotal       = "stampede_sent_bytes_total"
	RunActive            = "stampede_run_active"
	RunStart             = "stampede_run_start_time_seconds"
	RunPlannedDuration   = "stampede_run_planned_duration_seconds"
)

// The labels every series carries.
const labelRunID, labelShard = "run_id", "shard"

// LatencyBuckets are the upper bounds, in seconds, of the buckets of
// stampede_request_duration_seconds: from 0.5 ms (a target on the same
// host) to a minute (a stalled one), about 2.5× apart, so that
// histogram_quantile's linear interpolation within a bucket is off by at
// most that factor's share of the bucket. The reports' HDR histograms keep
// the exact latencies.
var LatencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// SendDelayBuckets are the upper bounds, in seconds, of the buckets of
// stampede_send_delay_seconds, the generator's own lag from a request's
// scheduled send to its actual one: 0.1 ms and up, as a healthy generator
// stays below a millisecond and one falling behind its schedule shows
// seconds.
var SendDelayBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics is the registry of a process's metrics and their vectors; its
// Sinks fill them. It is safe for concurrent use: scrapes read it while a
// sink writes.
type Metrics struct {
	reg *prometheus.Registry

	requests, transport                *prometheus.CounterVec
	latency, sendDelay                 *prometheus.HistogramVec
	logical, retries, settled, giveUps *prometheus.CounterVec
	early, violations, received, sent  *prometheus.CounterVec
	active, start, planned             *prometheus.GaugeVec
	maxNames, maxSeries                int
}

// Options configure New. The zero value uses the defaults.
type Options struct {
	// MaxRequestNames bounds the request names a stream's series carry;
	// the requests named after them count as Other. DefaultMaxRequestNames
	// if 0.
	MaxRequestNames int
	// MaxSeries bounds the series of stampede_requests_total a stream
	// creates; beyond it, a new combination counts with its code and
	// request as Other (its status and category kept). DefaultMaxSeries if
	// 0.
	MaxSeries int
}

// Defaults of Options, and the label value of what is beyond them.
const (
	DefaultMaxRequestNames = 100
	DefaultMaxSeries       = 2000
	Other                  = "other"
)

// New returns the metrics of a process, registered in a registry of their
// own.
func New(opts Options) *Metrics {
	if opts.MaxRequestNames <= 0 {
		opts.MaxRequestNames = DefaultMaxRequestNames
	}
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = DefaultMaxSeries
	}
	m := &Metrics{reg: prometheus.NewRegistry(), maxNames: opts.MaxRequestNames, maxSeries: opts.MaxSeries}
	m.requests = m.counter(RequestsTotal, "Attempts (retries included) by HTTP status (0: no response), category, error code and request name.",
		"status", "category", "code", "request")
	m.transport = m.counter(TransportErrorsTotal, "Attempts that got no response, by kind of transport failure.", "kind")
	m.latency = m.histogram(RequestDuration, "Latency of each attempt from its scheduled send (corrected for coordinated omission), by request name and outcome (success: a 2xx or 3xx response).",
		LatencyBuckets, "request", "outcome")
	m.sendDelay = m.histogram(SendDelay, "Delay from each attempt's scheduled send to its actual send: the generator's own lag.", SendDelayBuckets)
	m.logical = m.counter(LogicalRequestsTotal, "Logical requests: first attempts.")
	m.retries = m.counter(RetriesTotal, "Retries: attempts after the first of their logical request.")
	m.settled = m.counter(SettledTotal, "Logical requests settled by their last attempt, by outcome: succeeded, failed (not retryable) or gave_up (retryable, not retried).", "outcome")
	m.giveUps = m.counter(GiveUpsTotal, "Logical requests given up on a retryable failure, by reason: exhausted, budget, too_long, stopped.", "reason")
	m.early = m.counter(EarlyRetriesTotal, "Retries sent before the Retry-After of the attempt before them had passed.")
	m.violations = m.counter(ViolationsTotal, "Violations of the rate-limit contract, by rule and its severity.", "rule", "severity")
	m.received = m.counter(ReceivedBytesTotal, "Response body bytes received.")
	m.sent = m.counter(SentBytesTotal, "Request body bytes sent.")
	m.active = m.gauge(RunActive, "1 while the run is going, 0 once it has ended.")
	m.start = m.gauge(RunStart, "When the run started, in seconds since the Unix epoch.")
	m.planned = m.gauge(RunPlannedDuration, "How long the run is planned to last, in seconds; 0 if until interrupted.")
	return m
}

// counter registers a counter vector labelled by run and shard, then by
// labels.
func (m *Metrics) counter(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{labelRunID, labelShard}, labels...))
	m.reg.MustRegister(v) // cannot fail: the names are distinct and valid
	return v
}

// histogram registers a histogram vector labelled by run and shard, then
// by labels.
func (m *Metrics) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets},
		append([]string{labelRunID, labelShard}, labels...))
	m.reg.MustRegister(v)
	return v
}

// gauge registers a gauge vector labelled by run and shard.
func (m *Metrics) gauge(name, help string) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{labelRunID, labelShard})
	m.reg.MustRegister(v)
	return v
}

// Gatherer returns the registry, for tests and other exporters.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Names returns the names of every metric registered, for the Grafana
// dashboard's test: a histogram's series are its name with _bucket, _sum
// and _count.
func Names() []string {
	return []string{RequestsTotal, TransportErrorsTotal, RequestDuration, SendDelay, LogicalRequestsTotal, RetriesTotal,
		SettledTotal, GiveUpsTotal, EarlyRetriesTotal, ViolationsTotal, ReceivedBytesTotal, SentBytesTotal,
		RunActive, RunStart, RunPlannedDuration}
}

// Handler serves the registry in the exposition formats Prometheus
// negotiates (text, or protobuf), a few scrapes at a time.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4})
}
