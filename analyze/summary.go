// Package analyze turns the stream of attempt records into aggregates:
// counts, rates and HDR latency histograms that can be merged exactly.
package analyze

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/attack/results"
)

// Histogram geometry shared by every latency histogram: microsecond
// resolution from 1 µs to 1 hour, 3 significant digits. Values above the
// highest trackable value are recorded as that value.
const (
	LowestLatencyUs  = 1
	HighestLatencyUs = int64(time.Hour / time.Microsecond)
	SignificantDigit = 3
)

// NewLatencyHistogram returns an empty histogram with the shared geometry.
func NewLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestLatencyUs, HighestLatencyUs, SignificantDigit)
}

// RecordLatency adds d to h in microseconds, clamped into h's range.
func RecordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	us := int64(d / time.Microsecond)
	us = min(max(us, LowestLatencyUs), HighestLatencyUs)
	_ = h.RecordValue(us) // cannot fail: us is within the geometry
}

// Summary aggregates records: Add one at a time, Merge summaries of shards.
// The zero value is not usable; call NewSummary.
type Summary struct {
	Requests  uint64 // attempts recorded
	Successes uint64 // attempts with a 2xx or 3xx response
	BytesIn   uint64
	BytesOut  uint64

	FirstScheduled time.Time // earliest scheduled send
	LastScheduled  time.Time // latest scheduled send
	LastEnd        time.Time // latest completion

	Latency     *hdrhistogram.Histogram // corrected: from the scheduled send time
	Uncorrected *hdrhistogram.Histogram // from the moment a worker sent the request
	SendDelay   *hdrhistogram.Histogram // from the scheduled to the actual send: the generator's own lag

	Status    map[uint16]uint64            // HTTP status → attempts (0: no response)
	Transport map[results.ErrorKind]uint64 // transport failure kind → attempts
}

// NewSummary returns an empty summary.
func NewSummary() *Summary {
	return &Summary{
		Latency:     NewLatencyHistogram(),
		Uncorrected: NewLatencyHistogram(),
		SendDelay:   NewLatencyHistogram(),
		Status:      make(map[uint16]uint64),
		Transport:   make(map[results.ErrorKind]uint64),
	}
}

// Add folds one record into the summary. It does not allocate once every
// status seen has been seen before.
func (s *Summary) Add(r *results.Record) {
	s.Requests++
	if r.Success() {
		s.Successes++
	}
	s.BytesIn += r.BytesIn
	s.BytesOut += r.BytesOut
	s.widen(r.Scheduled, r.Scheduled, r.Scheduled.Add(r.Latency))
	RecordLatency(s.Latency, r.Latency)
	RecordLatency(s.Uncorrected, r.Uncorrected())
	RecordLatency(s.SendDelay, r.Sent)
	s.Status[r.Status]++
	if r.ErrorKind != results.ErrNone {
		s.Transport[r.ErrorKind]++
	}
}

// Merge adds other into s, exactly: merging the summaries of two halves of
// a run gives the summary of the whole.
func (s *Summary) Merge(other *Summary) {
	if other.Requests == 0 {
		return
	}
	s.Requests += other.Requests
	s.Successes += other.Successes
	s.BytesIn += other.BytesIn
	s.BytesOut += other.BytesOut
	s.widen(other.FirstScheduled, other.LastScheduled, other.LastEnd)
	s.Latency.Merge(other.Latency)
	s.Uncorrected.Merge(other.Uncorrected)
	s.SendDelay.Merge(other.SendDelay)
	for k, v := range other.Status {
		s.Status[k] += v
	}
	for k, v := range other.Transport {
		s.Transport[k] += v
	}
}

// widen extends the run's time span to cover first, last and end.
func (s *Summary) widen(first, last, end time.Time) {
	if s.FirstScheduled.IsZero() || first.Before(s.FirstScheduled) {
		s.FirstScheduled = first
	}
	if last.After(s.LastScheduled) {
		s.LastScheduled = last
	}
	if end.After(s.LastEnd) {
		s.LastEnd = end
	}
}

// Duration is the wall time of the run: from the first scheduled send to
// the last completion.
func (s *Summary) Duration() time.Duration {
	if s.Requests == 0 {
		return 0
	}
	return s.LastEnd.Sub(s.FirstScheduled)
}

// Rate is the offered rate in requests per second: the rate at which
// requests were scheduled, (n−1) / (last scheduled − first scheduled), so a
// constant 500/s attack reports 500 whatever its length.
func (s *Summary) Rate() float64 {
	span := s.LastScheduled.Sub(s.FirstScheduled)
	if s.Requests < 2 || span <= 0 {
		return 0
	}
	return float64(s.Requests-1) / span.Seconds()
}

// Throughput is the rate of successes per second over the whole run:
// successes / (Duration + i), where i = (last − first scheduled) / (n − 1)
// is the mean scheduled interval. Counting one interval for the first
// request, as Rate does, keeps Throughput <= Rate: n requests answered
// instantly at rate r give a throughput of exactly r. Like Rate, it is 0
// for fewer than two requests: one request has no rate.
func (s *Summary) Throughput() float64 {
	if s.Rate() == 0 {
		return 0
	}
	d := s.Duration() + s.LastScheduled.Sub(s.FirstScheduled)/time.Duration(s.Requests-1)
	if d <= 0 {
		return 0
	}
	return float64(s.Successes) / d.Seconds()
}

// SuccessRatio is successes / requests, 0 when there were none.
func (s *Summary) SuccessRatio() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Successes) / float64(s.Requests)
}

// Statuses returns the status codes seen, ascending.
func (s *Summary) Statuses() []uint16 {
	return slices.Sorted(maps.Keys(s.Status))
}

// Quantiles of a latency distribution, the fixed set every report shows.
type Quantiles struct {
	Min, Mean, P50, P90, P99, P999, Max time.Duration
}

// LatencyQuantiles reads the fixed quantiles out of an HDR histogram of
// microseconds.
func LatencyQuantiles(h *hdrhistogram.Histogram) Quantiles {
	if h.TotalCount() == 0 {
		return Quantiles{}
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	return Quantiles{
		Min:  us(h.Min()),
		Mean: time.Duration(h.Mean() * float64(time.Microsecond)),
		P50:  us(h.ValueAtQuantile(50)),
		P90:  us(h.ValueAtQuantile(90)),
		P99:  us(h.ValueAtQuantile(99)),
		P999: us(h.ValueAtQuantile(99.9)),
		Max:  us(h.Max()),
	}
}

// String renders the summary on one line, for logs.
func (s *Summary) String() string {
	q := LatencyQuantiles(s.Latency)
	return fmt.Sprintf("%d requests, %.1f/s offered, %.2f%% success, p99 %s", s.Requests, s.Rate(), 100*s.SuccessRatio(), q.P99)
}
