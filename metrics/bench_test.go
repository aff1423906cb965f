package metrics

import (
	"testing"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

// begun returns a sink past its stream's Begin, and record events of a
// few series, each seen once.
func begun(tb testing.TB) (*Sink, []analyze.Event) {
	tb.Helper()
	s := New(Options{}).Sink(nil)
	if err := s.Observe(&analyze.Event{Kind: analyze.EventBegin, Header: records.Header{RunID: "b"}}, nil); err != nil {
		tb.Fatal(err)
	}
	evs := make([]analyze.Event, 8)
	for i := range evs {
		evs[i] = analyze.Event{Kind: analyze.EventRecord, Record: rec(i, []uint16{200, 200, 429, 503}[i%4], "", records.CatSuccess, uint32(1+i%2))}
		if i < 2 {
			evs[i].RequestName = []string{"GET /a", "GET /b"}[i]
		}
		if err := s.Observe(&evs[i], nil); err != nil {
			tb.Fatal(err)
		}
		evs[i].RequestName = ""
	}
	return s, evs
}

// TestSinkRecordDoesNotAllocate guards the hot path: a record of a series
// seen before costs no allocation.
func TestSinkRecordDoesNotAllocate(t *testing.T) {
	s, evs := begun(t)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		_ = s.Observe(&evs[i%len(evs)], nil)
		i++
	})
	if allocs != 0 {
		t.Errorf("Observe of a record allocates %v times; want 0", allocs)
	}
}

// BenchmarkSinkRecord measures the cost the sink adds to each record.
func BenchmarkSinkRecord(b *testing.B) {
	s, evs := begun(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = s.Observe(&evs[i%len(evs)], nil)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
