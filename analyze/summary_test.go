package analyze

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// mixedRecords makes n deterministic records at 100/s with a mix of outcomes.
func mixedRecords(n int, seed uint64) []records.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]records.Record, n)
	for i := range out {
		r := records.Record{
			Seq:       uint64(i),
			Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond),
			Sent:      time.Duration(rng.IntN(1000)) * time.Microsecond,
			Status:    200,
			BytesIn:   100,
			BytesOut:  10,
		}
		r.Latency = r.Sent + time.Duration(1+rng.IntN(50_000))*time.Microsecond
		switch i % 10 {
		case 7:
			r.Status = 429
		case 9:
			r.Status, r.ErrorKind = 0, records.ErrTimeout
		}
		out[i] = r
	}
	return out
}

func summarise(recs []records.Record) *Summary {
	s := NewSummary()
	for i := range recs {
		s.Add(&recs[i])
	}
	return s
}

func TestSummaryCounts(t *testing.T) {
	s := summarise(mixedRecords(1000, 1))
	if s.Requests != 1000 || s.Successes != 800 || s.Status[200] != 800 || s.Status[429] != 100 || s.Status[0] != 100 {
		t.Errorf("counts = %d req, %d ok, status %v; want 1000, 800, 200:800 429:100 0:100", s.Requests, s.Successes, s.Status)
	}
	if s.Transport[records.ErrTimeout] != 100 || len(s.Transport) != 1 {
		t.Errorf("transport = %v; want timeout:100 only", s.Transport)
	}
	if got := s.Rate(); got < 99.999 || got > 100.001 {
		t.Errorf("Rate() = %v; want 100 (records 10ms apart)", got)
	}
	if got := s.Throughput(); got > s.Rate() || got < 70 {
		t.Errorf("Throughput() = %v; want at most Rate() = %v and about 80/s", got, s.Rate())
	}
	if s.BytesIn != 100_000 || s.BytesOut != 10_000 {
		t.Errorf("bytes = %d in, %d out; want 100000, 10000", s.BytesIn, s.BytesOut)
	}
	if got := s.SuccessRatio(); got != 0.8 {
		t.Errorf("SuccessRatio() = %v; want 0.8", got)
	}
}

// TestSingleRequestHasNoRate: one request has neither a rate nor a
// throughput, rather than a throughput above its rate.
func TestSingleRequestHasNoRate(t *testing.T) {
	s := summarise(mixedRecords(1, 1))
	if s.Requests != 1 || s.Successes != 1 || s.Rate() != 0 || s.Throughput() != 0 {
		t.Errorf("one request: %d req, %d ok, rate %v, throughput %v; want 1, 1, 0, 0", s.Requests, s.Successes, s.Rate(), s.Throughput())
	}
}

// TestMergeHalvesEqualsWhole: two shards merged give exactly the summary of
// the whole run.
func TestMergeHalvesEqualsWhole(t *testing.T) {
	recs := mixedRecords(5000, 2)
	whole := summarise(recs)
	a, b := summarise(recs[:1234]), summarise(recs[1234:])
	a.Merge(b)
	if a.Requests != whole.Requests || a.Successes != whole.Successes || a.BytesIn != whole.BytesIn ||
		!a.FirstScheduled.Equal(whole.FirstScheduled) || !a.LastScheduled.Equal(whole.LastScheduled) || !a.LastEnd.Equal(whole.LastEnd) {
		t.Errorf("merged = %v; want %v", a, whole)
	}
	if !a.Latency.Equals(whole.Latency) || !a.Uncorrected.Equals(whole.Uncorrected) || !a.SendDelay.Equals(whole.SendDelay) {
		t.Error("merged histograms differ from the whole's")
	}
	for k, v := range whole.Status {
		if a.Status[k] != v {
			t.Errorf("merged status %d = %d; want %d", k, a.Status[k], v)
		}
	}
	if LatencyQuantiles(a.Latency) != LatencyQuantiles(whole.Latency) {
		t.Errorf("quantiles %+v; want %+v", LatencyQuantiles(a.Latency), LatencyQuantiles(whole.Latency))
	}
	empty := NewSummary()
	empty.Merge(NewSummary())
	if empty.Requests != 0 || !empty.FirstScheduled.IsZero() {
		t.Errorf("empty merge = %v; want empty", empty)
	}
}

func TestLatencyQuantilesWithinHDRPrecision(t *testing.T) {
	h := NewLatencyHistogram()
	for i := 1; i <= 1000; i++ {
		RecordLatency(h, time.Duration(i)*time.Millisecond)
	}
	q := LatencyQuantiles(h)
	near := func(got, want time.Duration) bool { return got >= want && float64(got) <= float64(want)*1.001 }
	if !near(q.P50, 500*time.Millisecond) || !near(q.P99, 990*time.Millisecond) || !near(q.Max, time.Second) || !near(q.Min, time.Millisecond) {
		t.Errorf("quantiles = %+v; want p50 500ms, p99 990ms, max 1s, min 1ms within 0.1%%", q)
	}
	// Out-of-range values are clamped, not dropped.
	RecordLatency(h, 2*time.Hour)
	RecordLatency(h, 0)
	if h.TotalCount() != 1002 {
		t.Errorf("TotalCount() = %d; want 1002", h.TotalCount())
	}
}

func TestAddDoesNotAllocate(t *testing.T) {
	recs := mixedRecords(100, 3)
	s := NewSummary()
	names := []string{"", "list items", "create item"}
	for i := range recs {
		recs[i].Request = s.ImportRequest(names[i%3])
		s.Add(&recs[i])
	}
	allocs := testing.AllocsPerRun(1000, func() { s.Add(&recs[5]) })
	if allocs != 0 {
		t.Errorf("Add allocates %v times per record; want 0", allocs)
	}
}

// BenchmarkSummaryAdd adds classified records, as the pipeline does.
func BenchmarkSummaryAdd(b *testing.B) {
	recs := mixedRecords(1024, 4)
	s := NewSummary()
	for i := range recs {
		recs[i].Request = s.ImportRequest([]string{"", "list items", "create item"}[i%3])
		s.Add(&recs[i])
	}
	for i := range recs {
		recs[i].Class = s.classOf(&recs[i]).ID
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Add(&recs[i%len(recs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// TestRecordClassesBounded: records without a class (older files, classes
// a file does not describe) get classes from their codes, within the
// table's bound: the rest count in their status's overflow class.
func TestRecordClassesBounded(t *testing.T) {
	s := NewSummaryFor(classify.NewClassTable(5))
	for i := range 50 {
		r := records.Record{Scheduled: time.Unix(1700000000, 0), Latency: time.Millisecond, Status: 400, ErrorCode: fmt.Sprintf("E%d", i)}
		s.Add(&r)
	}
	r := records.Record{Scheduled: time.Unix(1700000000, 0), Latency: time.Millisecond, Status: 200}
	s.Add(&r)
	stats := s.ClassStats()
	if len(stats) != 7 || s.Requests != 51 { // 5 codes, the overflow of 400, and 200
		t.Errorf("%d classes for %d requests; want 7", len(stats), s.Requests)
	}
}

// TestSummaryUnclassifiedRecords checks that records without a class (files
// of older versions) get classes from their own fields.
func TestSummaryUnclassifiedRecords(t *testing.T) {
	s := NewSummary()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []records.Record{
		{Status: 429, ErrorCode: "insufficient_quota", Scheduled: at},
		{Status: 429, ErrorCode: "insufficient_quota", Scheduled: at},
		{Status: 429, Scheduled: at},
		{Status: 200, Scheduled: at, Category: records.CatSuccess},
	} {
		s.Add(&r)
	}
	got := map[string]uint64{}
	for _, st := range s.ClassStats() {
		got[fmt.Sprintf("%d/%s/%s/%t", st.Class.Status, st.Class.Code, st.Class.Category, st.Class.Retryable)] = st.Count
	}
	want := map[string]uint64{"429/insufficient_quota/payment/false": 2, "429//rate_limit/true": 1, "200//success/false": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("classes = %v; want %v", got, want)
	}
}

// TestSummaryRejectsForeignClassIDs: a record whose Class belongs to
// another table is classified by its own fields, not counted in a
// stranger's class.
func TestSummaryRejectsForeignClassIDs(t *testing.T) {
	s := NewSummary()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Add(&records.Record{Status: 429, Class: 7, Scheduled: at})
	s.Add(&records.Record{Status: 500, Class: 1, Scheduled: at})
	s.Add(&records.Record{Status: 500, Class: 1, Scheduled: at})
	got := map[uint16]uint64{}
	for _, st := range s.ClassStats() {
		got[st.Class.Status] += st.Count
	}
	if got[429] != 1 || got[500] != 2 {
		t.Errorf("counts per status %v; want 429:1 500:2", got)
	}
}
