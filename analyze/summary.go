// Package analyze turns the stream of attempt records into aggregates:
// counts, rates and HDR latency histograms that can be merged exactly.
package analyze

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
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

	// Spans are the stretches of time the records cover when they cover
	// several apart, in the order they began: result files recorded at
	// different times, read together. Rate, Duration and Throughput then
	// count the time of the spans, not the gaps between them. Nil for one
	// stretch: a run, or the concurrent shards of one. Consume sets them;
	// Merge, of summaries of one stretch, leaves them alone.
	Spans []Span

	Latency     *hdrhistogram.Histogram // corrected: from the scheduled send time
	Uncorrected *hdrhistogram.Histogram // from the moment a worker sent the request
	SendDelay   *hdrhistogram.Histogram // from the scheduled to the actual send: the generator's own lag

	Status    map[uint16]uint64            // HTTP status → attempts (0: no response)
	Transport map[records.ErrorKind]uint64 // transport failure kind → attempts

	// Classes describes the classes of the records; their counts,
	// latencies and time series are in ClassStats.
	Classes    *classify.ClassTable
	classStats []*ClassStats // by class ID - 1

	// Timeline holds the offered and achieved rate and the latency
	// quantiles over time, overall and per class.
	Timeline Timeline

	// Retries follows the logical requests and their retries.
	Retries Retries

	// Scatter keeps the attempts for the chart of every request, within
	// MaxScatterPoints.
	Scatter Scatter

	lastUnclassified *classify.Class // the class of the last record without one

	// The per-request breakdown (RequestStats): by ID - 1, at most
	// records.MaxRequests names and OtherRequests.
	requests   []*RequestStats
	requestIDs map[string]uint32 // name → ID
}

// ClassStats aggregates the records of one class.
type ClassStats struct {
	Class   *classify.Class
	Count   uint64
	Latency *hdrhistogram.Histogram // corrected latency
	First   time.Time               // completion of the earliest response
	Last    time.Time               // completion of the latest response
	Series  Series                  // responses per interval, by completion time
}

// NewSummary returns an empty summary with a class table of its own.
func NewSummary() *Summary { return NewSummaryFor(nil) }

// NewSummaryFor returns an empty summary whose records are classified in
// classes: record.Class is an ID of that table (a Classifier's, during an
// attack). A nil table means a new one of DefaultMaxClasses.
func NewSummaryFor(classes *classify.ClassTable) *Summary {
	if classes == nil {
		classes = classify.NewClassTable(classify.DefaultMaxClasses)
	}
	return &Summary{
		Latency:     NewLatencyHistogram(),
		Uncorrected: NewLatencyHistogram(),
		SendDelay:   NewLatencyHistogram(),
		Status:      make(map[uint16]uint64),
		Transport:   make(map[records.ErrorKind]uint64),
		Classes:     classes,
		Retries:     newRetries(),
		requestIDs:  make(map[string]uint32),
	}
}

// Add folds one record into the summary. Its Class must be an ID of the
// summary's table (a Classifier's during an attack; for a result file, the
// ID ImportClass returned for the file's class). A record without one (0,
// as in files of older versions), or whose class does not match its
// status, kind and code, is classified by those fields and its category.
// Its Request is 0 (no name) or an ID ImportRequest returned; the record
// then counts in that request's RequestStats too. Add does not allocate
// once the record's status and class have been seen before, of its
// request too.
func (s *Summary) Add(r *records.Record) {
	c := s.classOf(r)
	s.addToClass(c, r)
	if r.Request != 0 {
		s.addToRequest(r, c.ID)
	}
	s.Timeline.Add(r, c.ID)
	s.Scatter.add(r, c.ID)
	s.Retries.add(r, c)
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
	if r.ErrorKind != records.ErrNone {
		s.Transport[r.ErrorKind]++
	}
}

// Merge adds other into s, exactly: merging the summaries of two halves of
// a run gives the summary of the whole. Requests are matched by name, as
// long as the names of both fit in the bound of records.MaxRequests.
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
	ids := s.mergeClasses(other)
	s.mergeRequests(other, ids)
	s.Timeline.Merge(&other.Timeline, func(id uint32) uint32 { return ids[id] })
	s.Scatter.merge(&other.Scatter, func(id uint32) uint32 { return ids[id] })
	s.Retries.merge(&other.Retries)
}

// classOf returns the class of a record.
func (s *Summary) classOf(r *records.Record) *classify.Class {
	// An ID of another table (a file's, before ImportClass) would count
	// the record in a stranger's class: the class must match the record.
	if c := s.Classes.ByID(r.Class); c != nil && c.Status == r.Status && c.ErrorKind == r.ErrorKind && (c.Code == r.ErrorCode || c.Overflow) {
		return c
	}
	if c := s.lastUnclassified; c != nil && c.Status == r.Status && c.ErrorKind == r.ErrorKind && c.Code == r.ErrorCode && c.Pattern == "" {
		return c // runs of one status are common: skip the hashing
	}
	c := s.Classes.Find(r.Status, r.ErrorKind, r.ErrorCode, "", 0)
	if c == nil {
		c, _ = s.Classes.Intern(RecordClass(r))
	}
	s.lastUnclassified = c
	return c
}

// ImportClass adds a class read from elsewhere (a result file's class
// frame) to the summary's table, with its samples, and returns its ID
// there: records of the file are added with Class set to it.
func (s *Summary) ImportClass(c records.Class, samples []string) uint32 {
	cls, _ := s.Classes.Intern(c)
	for _, sample := range samples {
		if len(cls.Samples) >= records.MaxSamplesPerClass {
			break
		}
		if !slices.Contains(cls.Samples, sample) {
			cls.Samples = append(cls.Samples, sample)
		}
	}
	return cls.ID
}

// AddSample adds a sample body to the class of an ID of the summary's
// table, unless the class has it or has all the samples it keeps.
func (s *Summary) AddSample(id uint32, sample string) {
	if c := s.Classes.ByID(id); c != nil && len(c.Samples) < records.MaxSamplesPerClass && !slices.Contains(c.Samples, sample) {
		c.Samples = append(c.Samples, sample)
	}
}

// RecordClass describes the class of an unclassified record from its own
// fields: its status, kind and error code, its category if it has one, and
// otherwise the category of its status.
func RecordClass(r *records.Record) records.Class {
	desc := records.Class{Status: r.Status, ErrorKind: r.ErrorKind, Code: r.ErrorCode, Dialect: classify.Skipped.String()}
	desc.Category, desc.Retryable = classify.StatusCategory(r.Status, r.ErrorKind)
	desc.Category, desc.Retryable = classify.Refine(r.Status, desc.Category, desc.Retryable, r.ErrorCode, "")
	if r.Category != records.CatUnknown {
		desc.Category = r.Category
	}
	return desc
}

// stats returns the aggregate of class c, creating it on first use.
func (s *Summary) stats(c *classify.Class) *ClassStats {
	for len(s.classStats) < int(c.ID) {
		s.classStats = append(s.classStats, nil)
	}
	st := s.classStats[c.ID-1]
	if st == nil {
		st = &ClassStats{Class: c, Latency: NewLatencyHistogram()}
		s.classStats[c.ID-1] = st
	}
	return st
}

func (s *Summary) addToClass(c *classify.Class, r *records.Record) {
	st := s.stats(c)
	st.Count++
	RecordLatency(st.Latency, r.Latency)
	end := r.Scheduled.Add(r.Latency)
	if st.First.IsZero() || end.Before(st.First) {
		st.First = end
	}
	if end.After(st.Last) {
		st.Last = end
	}
	st.Series.Add(end, 1)
}

// ClassStats returns the aggregates of the classes seen, by count
// (descending), then by class ID.
func (s *Summary) ClassStats() []*ClassStats {
	out := make([]*ClassStats, 0, len(s.classStats))
	for _, st := range s.classStats {
		if st != nil && st.Count > 0 {
			out = append(out, st)
		}
	}
	slices.SortStableFunc(out, func(a, b *ClassStats) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Class.ID, b.Class.ID)
	})
	return out
}

// mergeClasses adds other's classes into s, matching them by status, kind,
// code and pattern: IDs are local to each table.
// It returns the id in s of each class of other.
func (s *Summary) mergeClasses(other *Summary) map[uint32]uint32 {
	ids := make(map[uint32]uint32, len(other.classStats))
	for _, o := range other.classStats {
		if o == nil || o.Count == 0 {
			continue
		}
		id := s.ImportClass(o.Class.Class, o.Class.Samples)
		ids[o.Class.ID] = id
		st := s.stats(s.Classes.ByID(id))
		st.Count += o.Count
		st.Latency.Merge(o.Latency)
		if st.First.IsZero() || (!o.First.IsZero() && o.First.Before(st.First)) {
			st.First = o.First
		}
		if o.Last.After(st.Last) {
			st.Last = o.Last
		}
		st.Series.Merge(o.Series)
	}
	return ids
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

// Span is a stretch of time a run's records cover: from the first
// scheduled send to the last completion.
type Span struct {
	FirstScheduled time.Time // earliest scheduled send
	LastScheduled  time.Time // latest scheduled send
	LastEnd        time.Time // latest completion
	Requests       uint64    // attempts recorded in it
}

// Duration is the wall time of the span: last completion − first
// scheduled send.
func (p Span) Duration() time.Duration {
	if p.Requests == 0 {
		return 0
	}
	return p.LastEnd.Sub(p.FirstScheduled)
}

// add widens the span to cover a record scheduled at scheduled that
// completed at end.
func (p *Span) add(scheduled, end time.Time) {
	if p.Requests == 0 || scheduled.Before(p.FirstScheduled) {
		p.FirstScheduled = scheduled
	}
	if scheduled.After(p.LastScheduled) {
		p.LastScheduled = scheduled
	}
	if end.After(p.LastEnd) {
		p.LastEnd = end
	}
	p.Requests++
}

// join is the span covering both spans.
func (p Span) join(o Span) Span {
	switch {
	case o.Requests == 0:
		return p
	case p.Requests == 0:
		return o
	}
	if o.FirstScheduled.Before(p.FirstScheduled) {
		p.FirstScheduled = o.FirstScheduled
	}
	if o.LastScheduled.After(p.LastScheduled) {
		p.LastScheduled = o.LastScheduled
	}
	if o.LastEnd.After(p.LastEnd) {
		p.LastEnd = o.LastEnd
	}
	p.Requests += o.Requests
	return p
}

// overlaps reports whether two spans share some time.
func (p Span) overlaps(o Span) bool {
	return !p.FirstScheduled.After(o.LastEnd) && !o.FirstScheduled.After(p.LastEnd)
}

// Covered returns the stretches of time the records cover: Spans for
// runs recorded apart, otherwise the one from the first scheduled send
// to the last completion.
func (s *Summary) Covered() []Span { return s.spans() }

// spans are the stretches of time of the summary: Spans, or the one from
// the first scheduled send to the last completion.
func (s *Summary) spans() []Span {
	if len(s.Spans) > 1 {
		return s.Spans
	}
	return []Span{{FirstScheduled: s.FirstScheduled, LastScheduled: s.LastScheduled, LastEnd: s.LastEnd, Requests: s.Requests}}
}

// Duration is the wall time of the run: from the first scheduled send to
// the last completion; for records of runs apart (Spans), the sum of the
// durations of their spans, the gaps between them left out.
func (s *Summary) Duration() time.Duration {
	var d time.Duration
	for _, p := range s.spans() {
		d += p.Duration()
	}
	return d
}

// scheduled returns the time over which requests were scheduled, the
// intervals between them and the spans that have some: for one span,
// last − first scheduled, n − 1 and 1; for several (Spans), the sums over
// those of two requests or more.
func (s *Summary) scheduled() (span time.Duration, intervals uint64, spans int) {
	return scheduledOver(s.spans())
}

// scheduledOver sums, over the spans of two requests or more, the time
// over which requests were scheduled (last − first scheduled) and the
// intervals between them (n − 1), and counts those spans.
func scheduledOver(all []Span) (span time.Duration, intervals uint64, spans int) {
	for _, p := range all {
		if p.Requests < 2 {
			continue
		}
		span += p.LastScheduled.Sub(p.FirstScheduled)
		intervals += p.Requests - 1
		spans++
	}
	return span, intervals, spans
}

// Rate is the offered rate in requests per second: the rate at which
// requests were scheduled, (n−1) / (last scheduled − first scheduled), so a
// constant 500/s attack reports 500 whatever its length. For records of
// runs apart (Spans) it is Σ(nᵢ−1) / Σ(last − first scheduled)ᵢ over the
// spans: two runs of 200/s an hour apart offered 200/s, not the 5/s of
// their requests spread over the hour between them.
func (s *Summary) Rate() float64 {
	span, intervals, _ := s.scheduled()
	if intervals == 0 || span <= 0 {
		return 0
	}
	return float64(intervals) / span.Seconds()
}

// Throughput is the rate of successes per second over the whole run:
// successes / (Duration + k·i), where i = Σ(last − first scheduled) /
// Σ(n − 1) is the mean scheduled interval and k the spans (1 but for
// runs apart). Counting one interval for the first request of each span,
// as Rate does, keeps Throughput <= Rate: n requests answered instantly at
// rate r give a throughput of exactly r. Like Rate, it is 0 for fewer than
// two requests: one request has no rate.
func (s *Summary) Throughput() float64 {
	if s.Rate() == 0 {
		return 0
	}
	span, intervals, spans := s.scheduled()
	d := s.Duration() + time.Duration(spans)*(span/time.Duration(intervals))
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

// Quantiles of a latency distribution: the fixed set reports show, and
// what thresholds read (latency.p95; the expr tags are their names).
type Quantiles struct {
	Min  time.Duration `expr:"min"`
	Mean time.Duration `expr:"mean"`
	P50  time.Duration `expr:"p50"`
	P75  time.Duration `expr:"p75"`
	P90  time.Duration `expr:"p90"`
	P95  time.Duration `expr:"p95"`
	P99  time.Duration `expr:"p99"`
	P999 time.Duration `expr:"p999"`
	Max  time.Duration `expr:"max"`
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
		P75:  us(h.ValueAtQuantile(75)),
		P90:  us(h.ValueAtQuantile(90)),
		P95:  us(h.ValueAtQuantile(95)),
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
