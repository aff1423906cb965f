package reports

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// SummarySchema names the JSON summary's version. Later versions add keys;
// they never rename or remove one.
const SummarySchema = "stampede/summary/v1"

// JSONSummary is the machine-readable summary, documented in
// docs/summary-json.md.
type JSONSummary struct {
	Schema               string             `json:"schema"`
	Target               string             `json:"target,omitempty"`
	Pacer                string             `json:"pacer,omitempty"`
	Concurrency          uint64             `json:"concurrency,omitempty"` // workers of a closed model; absent for the open model
	Requests             uint64             `json:"requests"`
	Successes            uint64             `json:"successes"`
	SuccessRatio         float64            `json:"success_ratio"`
	RatePerS             float64            `json:"rate_per_s"`       // attempts scheduled per second
	ThroughputPerS       float64            `json:"throughput_per_s"` // successful responses per second
	DurationS            float64            `json:"duration_s"`
	StartedAt            *time.Time         `json:"started_at,omitempty"`
	LatencyMs            LatencyMs          `json:"latency_ms"`
	LatencyUncorrectedMs LatencyMs          `json:"latency_uncorrected_ms"`
	SendDelayMs          LatencyMs          `json:"send_delay_ms"`
	Status               map[string]uint64  `json:"status"`
	TransportErrors      map[string]uint64  `json:"transport_errors"`
	BytesIn              uint64             `json:"bytes_in"`
	BytesOut             uint64             `json:"bytes_out"`
	Interrupted          string             `json:"interrupted,omitempty"`
	Unanswered           uint64             `json:"unanswered"`
	Unsent               uint64             `json:"unsent"`
	BehindSchedule       bool               `json:"behind_schedule,omitempty"`    // send delay p99 of at least 50 ms: requests waited for a free worker
	SendDelayUnknown     bool               `json:"send_delay_unknown,omitempty"` // vegeta files: send_delay_ms is not measured
	ResultFile           string             `json:"result_file,omitempty"`
	RecordsWritten       uint64             `json:"records_written"`
	Classes              []JSONClass        `json:"classes"`
	ByRequest            []JSONRequest      `json:"by_request,omitempty"` // absent when no record names its request
	Classification       JSONClassification `json:"classification"`
	RateLimit            *JSONRateLimit     `json:"rate_limit,omitempty"` // absent when the run had no contract checks
	Retries              JSONRetries        `json:"retries"`              // always present: 1× amplification for a run without retries
	Verdict              JSONVerdict        `json:"verdict"`
	Timeline             JSONTimeline       `json:"timeline"`
	PlannedDurationS     float64            `json:"planned_duration_s,omitempty"`
	Command              []string           `json:"command,omitempty"` // secrets redacted
	Tool                 string             `json:"tool,omitempty"`
	RunID                string             `json:"run_id,omitempty"`
	Shards               []string           `json:"shards,omitempty"`
	ShardsMissing        []JSONShardGap     `json:"shards_missing,omitempty"` // runs split i/N not read whole; each fails the verdict
	Sources              []string           `json:"sources,omitempty"`        // result files the report was made from
	Notes                []string           `json:"notes,omitempty"`          // remarks on reading the result files
	Probes               []probefile.Report `json:"probes,omitempty"`         // reports of stampede probe read with the result files
	Baseline             []Delta            `json:"baseline,omitempty"`       // the headline numbers beside the baseline run's (--baseline)
}

// JSONShardGap is a run split into shards (--shard i/N) whose files the
// report did not read whole: the shards missing, or counts that differ.
type JSONShardGap struct {
	RunID   string `json:"run_id"`
	Counts  []int  `json:"counts"`  // the shard counts its files give: one, unless they disagree
	Read    int    `json:"read"`    // the distinct shards read
	Missing []int  `json:"missing"` // the indices not read, the first 20
}

// JSONVerdict is the run's headline: pass, or fail with reasons, and
// every threshold judged (the defaults when none was given).
type JSONVerdict struct {
	Pass       bool                `json:"pass"`
	Reasons    []string            `json:"reasons"`
	Thresholds []analyze.Threshold `json:"thresholds"`
}

// JSONTimeline is the run over time, in columns: element i of each array
// is the interval from start + i·step_s seconds, for step_s seconds.
type JSONTimeline struct {
	Start   *time.Time `json:"start,omitempty"`
	StepS   int64      `json:"step_s"`
	Offered []uint64   `json:"offered"` // attempts scheduled in the interval
	Sent    []uint64   `json:"sent"`    // attempts sent in the interval
	Logical []uint64   `json:"logical"` // first attempts scheduled in the interval: the logical requests offered
	// Amplification is offered / logical of the interval: null when no
	// logical request was scheduled in it.
	Amplification []*float64 `json:"amplification"`
	LatencyP50Ms  []float64  `json:"latency_p50_ms"` // of the attempts scheduled in the interval; 0 when none
	LatencyP90Ms  []float64  `json:"latency_p90_ms"`
	LatencyP99Ms  []float64  `json:"latency_p99_ms"`
	LatencyMaxMs  []float64  `json:"latency_max_ms"`
}

// JSONClass is one class of responses with its aggregates.
type JSONClass struct {
	ID             uint32     `json:"id"` // the class's number within this run
	Status         uint16     `json:"status"`
	ErrorKind      string     `json:"error_kind"` // "" when a response arrived
	Code           string     `json:"code"`
	Category       string     `json:"category"`
	Retryable      bool       `json:"retryable"`
	Overflow       bool       `json:"overflow"`
	Dialect        string     `json:"dialect"`
	Pattern        string     `json:"pattern"`
	Message        string     `json:"message"`
	Count          uint64     `json:"count"`
	Share          float64    `json:"share"` // count / requests, 6 digits
	LatencyMs      LatencyMs  `json:"latency_ms"`
	FirstSeen      *time.Time `json:"first_seen,omitempty"`
	LastSeen       *time.Time `json:"last_seen,omitempty"`
	PerSecond      JSONSeries `json:"per_second"`
	Samples        []string   `json:"samples"`
	ExampleRequest string     `json:"example_request"`
}

// JSONSeries is a count of responses per interval: counts[i] is the count
// from start + i·step_s seconds, for step_s seconds.
type JSONSeries struct {
	Start  *time.Time `json:"start,omitempty"`
	StepS  int64      `json:"step_s"`
	Counts []uint64   `json:"counts"`
}

// JSONClassification describes the classification itself: its limits and
// what fell beyond them.
type JSONClassification struct {
	MaxClasses      int    `json:"max_classes"`
	Classes         int    `json:"classes"`
	Overflowed      uint64 `json:"overflowed"`
	BodyLimitBytes  int    `json:"body_limit_bytes"`
	TruncatedBodies uint64 `json:"truncated_bodies"`
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
func NewJSONSummary(run analyze.Run) JSONSummary {
	s := run.Summary
	_, _, behind := run.Behind()
	doc := JSONSummary{
		Schema:               SummarySchema,
		Target:               run.Target,
		Pacer:                run.Pacer,
		Concurrency:          run.Concurrency,
		Requests:             s.Requests,
		Successes:            s.Successes,
		SuccessRatio:         round(s.SuccessRatio(), 6),
		RatePerS:             round(s.Rate(), 3),
		ThroughputPerS:       round(s.Throughput(), 3),
		DurationS:            round(s.Duration().Seconds(), 6),
		LatencyMs:            latencyMs(s.Latency),
		LatencyUncorrectedMs: latencyMs(s.Uncorrected),
		SendDelayMs:          latencyMs(s.SendDelay),
		Status:               make(map[string]uint64, len(s.Status)),
		TransportErrors:      make(map[string]uint64, len(records.ErrorKinds)),
		BytesIn:              s.BytesIn,
		BytesOut:             s.BytesOut,
		Interrupted:          run.Interrupted,
		Unanswered:           run.Unanswered,
		Unsent:               run.Unsent,
		BehindSchedule:       behind,
		SendDelayUnknown:     run.SendDelayUnknown,
		ResultFile:           run.ResultFile,
		RecordsWritten:       run.Records,
	}
	doc.StartedAt = utcOrNil(s.FirstScheduled)
	for code, n := range s.Status {
		doc.Status[strconv.Itoa(int(code))] = n
	}
	// Every kind is present, zero or not, so consumers need no defaults.
	for _, k := range records.ErrorKinds {
		doc.TransportErrors[k.String()] = s.Transport[k]
	}
	stats := s.ClassStats()
	doc.ByRequest = jsonRequests(s)
	doc.Classes = make([]JSONClass, 0, len(stats))
	for _, st := range stats {
		doc.Classes = append(doc.Classes, jsonClass(st, s.Requests))
		if st.Class.Overflow {
			doc.Classification.Overflowed += st.Count
		}
	}
	doc.Classification.MaxClasses = run.MaxClasses()
	doc.Classification.Classes = len(stats)
	doc.Classification.BodyLimitBytes = run.ClassifiedBytes()
	doc.Classification.TruncatedBodies = run.Truncated
	doc.RateLimit = jsonRateLimit(run.Contract)
	v := run.Verdict()
	doc.Verdict = JSONVerdict{Pass: v.Pass, Reasons: append([]string{}, v.Reasons...), Thresholds: append([]analyze.Threshold{}, v.Thresholds...)}
	doc.Baseline = Deltas(run)
	doc.Retries = NewJSONRetries(run)
	doc.Timeline = jsonTimeline(s.Timeline.AtLeast(time.Second))
	doc.PlannedDurationS = round(run.Planned.Seconds(), 6)
	doc.Command, doc.Tool, doc.RunID, doc.Shards, doc.Sources, doc.Notes = run.Command, run.Tool, run.RunID, run.Shards, run.Sources, run.Notes
	for _, g := range run.ShardsMissing {
		doc.ShardsMissing = append(doc.ShardsMissing, JSONShardGap{RunID: g.RunID, Counts: g.Counts, Read: g.Read, Missing: g.Missing})
	}
	doc.Probes = run.Probes
	return doc
}

// jsonTimeline renders a timeline in columns.
func jsonTimeline(t *analyze.Timeline) JSONTimeline {
	points := t.Points()
	out := JSONTimeline{
		Start: utcOrNil(t.Start()), StepS: int64(t.Step() / time.Second),
		Offered: make([]uint64, len(points)), Sent: make([]uint64, len(points)),
		Logical: make([]uint64, len(points)), Amplification: make([]*float64, len(points)),
		LatencyP50Ms: make([]float64, len(points)), LatencyP90Ms: make([]float64, len(points)),
		LatencyP99Ms: make([]float64, len(points)), LatencyMaxMs: make([]float64, len(points)),
	}
	for i, p := range points {
		out.Offered[i], out.Sent[i], out.Logical[i] = p.Offered, p.Sent, p.Logical
		if a, ok := intervalAmplification(p); ok {
			a = round(a, 3)
			out.Amplification[i] = &a
		}
		out.LatencyP50Ms[i], out.LatencyP90Ms[i] = ms(p.P50), ms(p.P90)
		out.LatencyP99Ms[i], out.LatencyMaxMs[i] = ms(p.P99), ms(p.Max)
	}
	return out
}

// ms renders a duration in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

// jsonClass renders the aggregates of one class of a run of requests.
func jsonClass(st *analyze.ClassStats, requests uint64) JSONClass {
	c := st.Class
	return JSONClass{
		ID:             c.ID,
		Status:         c.Status,
		ErrorKind:      c.ErrorKind.String(),
		Code:           c.Code,
		Category:       c.Category.String(),
		Retryable:      c.Retryable,
		Overflow:       c.Overflow,
		Dialect:        c.Dialect,
		Pattern:        c.Pattern,
		Message:        c.Message,
		Count:          st.Count,
		Share:          round(share(st.Count, requests), 6),
		LatencyMs:      latencyMs(st.Latency),
		FirstSeen:      utcOrNil(st.First),
		LastSeen:       utcOrNil(st.Last),
		PerSecond:      JSONSeries{Start: utcOrNil(st.Series.Start()), StepS: st.Series.Width, Counts: append([]uint64{}, st.Series.Counts...)},
		Samples:        append([]string{}, c.Samples...),
		ExampleRequest: c.Example,
	}
}

// utcOrNil returns t in UTC, or nil for the zero time and for years RFC
// 3339 cannot write (the key is then omitted).
func utcOrNil(t time.Time) *time.Time {
	if y := t.UTC().Year(); t.IsZero() || y < 0 || y > 9999 { // RFC 3339 has no other years: a crafted file's
		return nil
	}
	t = t.UTC()
	return &t
}

// JSON writes the summary of a run as one indented JSON document.
func JSON(w io.Writer, run analyze.Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // sample bodies keep their < > &, readably
	return enc.Encode(NewJSONSummary(run))
}

func latencyMs(h *hdrhistogram.Histogram) LatencyMs {
	q := analyze.LatencyQuantiles(h)
	return LatencyMs{Min: ms(q.Min), Mean: ms(q.Mean), P50: ms(q.P50), P90: ms(q.P90), P99: ms(q.P99), P999: ms(q.P999), Max: ms(q.Max)}
}

func round(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
