package reports

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack/results"
)

// SummarySchema names the JSON summary's version. Later versions add keys;
// they never rename or remove one.
const SummarySchema = "stampede/summary/v1"

// JSONSummary is the machine-readable summary, documented in
// docs/summary-json.md.
type JSONSummary struct {
	Schema               string            `json:"schema"`
	Target               string            `json:"target,omitempty"`
	Pacer                string            `json:"pacer,omitempty"`
	Requests             uint64            `json:"requests"`
	Successes            uint64            `json:"successes"`
	SuccessRatio         float64           `json:"success_ratio"`
	Rate                 float64           `json:"rate"`
	Throughput           float64           `json:"throughput"`
	DurationS            float64           `json:"duration_s"`
	StartedAt            *time.Time        `json:"started_at,omitempty"`
	LatencyMs            LatencyMs         `json:"latency_ms"`
	LatencyUncorrectedMs LatencyMs         `json:"latency_uncorrected_ms"`
	SendDelayMs          LatencyMs         `json:"send_delay_ms"`
	Status               map[string]uint64 `json:"status"`
	TransportErrors      map[string]uint64 `json:"transport_errors"`
	BytesIn              uint64            `json:"bytes_in"`
	BytesOut             uint64            `json:"bytes_out"`
	Interrupted          string            `json:"interrupted,omitempty"`
	Unanswered           uint64            `json:"unanswered"`
	Unsent               uint64            `json:"unsent"`
	ResultFile           string            `json:"result_file,omitempty"`
	RecordsWritten       uint64            `json:"records_written"`
}

// LatencyMs holds latency quantiles in milliseconds (microsecond precision).
type LatencyMs struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// NewJSONSummary builds the JSON document of a run.
func NewJSONSummary(run Run) JSONSummary {
	s := run.Summary
	doc := JSONSummary{
		Schema:               SummarySchema,
		Target:               run.Target,
		Pacer:                run.Pacer,
		Requests:             s.Requests,
		Successes:            s.Successes,
		SuccessRatio:         round(s.SuccessRatio(), 6),
		Rate:                 round(s.Rate(), 3),
		Throughput:           round(s.Throughput(), 3),
		DurationS:            round(s.Duration().Seconds(), 6),
		LatencyMs:            latencyMs(s.Latency),
		LatencyUncorrectedMs: latencyMs(s.Uncorrected),
		SendDelayMs:          latencyMs(s.SendDelay),
		Status:               make(map[string]uint64, len(s.Status)),
		TransportErrors:      make(map[string]uint64, len(results.ErrorKinds)),
		BytesIn:              s.BytesIn,
		BytesOut:             s.BytesOut,
		Interrupted:          run.Interrupted,
		Unanswered:           run.Unanswered,
		Unsent:               run.Unsent,
		ResultFile:           run.ResultFile,
		RecordsWritten:       run.Records,
	}
	if !s.FirstScheduled.IsZero() {
		t := s.FirstScheduled.UTC()
		doc.StartedAt = &t
	}
	for code, n := range s.Status {
		doc.Status[strconv.Itoa(int(code))] = n
	}
	// Every kind is present, zero or not, so consumers need no defaults.
	for _, k := range results.ErrorKinds {
		doc.TransportErrors[k.String()] = s.Transport[k]
	}
	return doc
}

// JSON writes the summary of a run as one indented JSON document.
func JSON(w io.Writer, run Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewJSONSummary(run))
}

func latencyMs(h *hdrhistogram.Histogram) LatencyMs {
	q := analyze.LatencyQuantiles(h)
	ms := func(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }
	return LatencyMs{Min: ms(q.Min), Mean: ms(q.Mean), P50: ms(q.P50), P90: ms(q.P90), P99: ms(q.P99), P999: ms(q.P999), Max: ms(q.Max)}
}

func round(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
