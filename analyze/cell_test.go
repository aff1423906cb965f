package analyze

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// TestCellCompactIsExact: a compact cell gives back exactly the histogram
// it was, takes late records, and merges like a whole one.
func TestCellCompactIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	whole := NewTimelineHistogram()
	c := &Cell{}
	for range 5000 {
		d := time.Duration(rng.ExpFloat64()*float64(20*time.Millisecond)) + 50*time.Microsecond
		RecordLatency(whole, d)
		RecordLatency(c.live(), d)
	}
	c.compact()
	if c.h != nil || len(c.buckets) == 0 || len(c.buckets) > 2000 {
		t.Fatalf("compact cell: histogram %v, %d buckets; want none and a few hundred buckets", c.h != nil, len(c.buckets))
	}
	scratch := NewTimelineHistogram()
	RecordLatency(scratch, time.Hour) // a scratch histogram is reset before use
	if got := c.View(scratch); !got.Equals(whole) || LatencyQuantiles(got) != LatencyQuantiles(whole) {
		t.Fatalf("expanded %+v; want %+v", LatencyQuantiles(got), LatencyQuantiles(whole))
	}
	RecordLatency(c.live(), time.Second) // a late record
	RecordLatency(whole, time.Second)
	other := &Cell{}
	RecordLatency(other.live(), 3*time.Second)
	other.compact()
	c.merge(other)
	RecordLatency(whole, 3*time.Second)
	c.compact()
	if got := c.View(scratch); !got.Equals(whole) {
		t.Errorf("after a late record and a merge: %+v; want %+v", LatencyQuantiles(got), LatencyQuantiles(whole))
	}
	var empty *Cell
	if empty.View(scratch) != nil {
		t.Errorf("a nil cell has a histogram")
	}
	empty = &Cell{}
	empty.compact()
	if h := empty.View(scratch); h == nil || h.TotalCount() != 0 {
		t.Errorf("an empty cell's histogram = %v; want an empty one", h)
	}
}

// TestTimelineKeepsOnlyRecentIntervalsWhole: a long run's timeline holds
// whole histograms for its last LiveIntervals intervals only, and its
// points are those of a timeline that never compacted.
func TestTimelineKeepsOnlyRecentIntervalsWhole(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tl Timeline
	var want []TimePoint
	var wantFlight []FlightPoint
	for sec := range 100 {
		for i := range 20 {
			r := records.Record{Status: 200, Scheduled: t0.Add(time.Duration(sec)*time.Second + time.Duration(i)*50*time.Millisecond),
				Latency: time.Duration(1+sec%7) * time.Millisecond}
			tl.Add(&r, 1)
		}
	}
	whole := 0
	for i := range tl.Buckets {
		b := &tl.Buckets[i]
		if b.Latency.h != nil {
			whole++
		}
		for _, c := range b.Classes {
			if c.h != nil {
				whole++
			}
		}
	}
	for sec := range 100 {
		h := NewTimelineHistogram()
		for range 20 {
			RecordLatency(h, time.Duration(1+sec%7)*time.Millisecond)
		}
		p := point(t0.Add(time.Duration(sec)*time.Second), h)
		p.Offered, p.Sent, p.Successes, p.Logical = 20, 20, 20, 20
		p.Families[Family2xx] = 20
		want = append(want, p)
		wantFlight = append(wantFlight, FlightPoint{Start: p.Start, InFlight: 20 * (time.Duration(1+sec%7) * time.Millisecond).Seconds()}) // 20 requests of that latency, in a second
	}
	if whole > 2*LiveIntervals {
		t.Errorf("%d whole histograms in %d intervals; want at most %d (the last %d intervals, overall and one class)", whole, len(tl.Buckets), 2*LiveIntervals, LiveIntervals)
	}
	got := tl.AtLeast(time.Second).Points()
	if len(got) != len(want) {
		t.Fatalf("%d points; want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("point %d = %+v; want %+v", i, got[i], want[i])
		}
	}
	flight := tl.AtLeast(time.Second).InFlight()
	if len(flight) != len(wantFlight) {
		t.Fatalf("%d intervals in flight; want %d", len(flight), len(wantFlight))
	}
	for i := range flight {
		if flight[i] != wantFlight[i] {
			t.Fatalf("in flight %d = %+v; want %+v", i, flight[i], wantFlight[i])
		}
	}
	if cp := tl.AtLeast(time.Second).ClassPoints(1); len(cp) != 100 || cp[3].P99 != want[3].P99 {
		t.Errorf("class points: %d, the fourth %+v; want 100 matching the overall ones", len(cp), cp[3])
	}
}

// wholeCells counts the cells of a timeline that hold a whole histogram.
func wholeCells(tl *Timeline) int {
	n := 0
	for i := range tl.Buckets {
		b := &tl.Buckets[i]
		if b.Latency != nil && b.Latency.h != nil {
			n++
		}
		for _, c := range b.Classes {
			if c.h != nil {
				n++
			}
		}
	}
	return n
}

// TestTimelineCompactsLateRecords: records that arrive long after their
// interval (1 % of them time out after 30 s) make it whole only until a
// newer interval begins; widening and merging hold no more whole
// histograms than the last intervals'; and the counts stay exact.
func TestTimelineCompactsLateRecords(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tl Timeline
	var late []records.Record
	total := 0
	for sec := range 600 {
		for i := range 100 {
			r := records.Record{Status: 200, Scheduled: t0.Add(time.Duration(sec)*time.Second + time.Duration(i)*10*time.Millisecond), Latency: 2 * time.Millisecond}
			if i == 0 { // times out, and arrives 30 s later
				r.Latency, r.ErrorKind = 30*time.Second, records.ErrTimeout
				late = append(late, r)
			} else {
				tl.Add(&r, 1)
				total++
			}
			if sec >= 30 && i == 50 {
				tl.Add(&late[0], 1)
				late = late[1:]
				total++
			}
		}
	}
	if n := wholeCells(&tl); n > 2*(LiveIntervals+1) {
		t.Errorf("%d whole histograms after 600 s with late records; want at most %d", n, 2*(LiveIntervals+1))
	}
	count := func(tl *Timeline) (n int64) {
		scratch := NewTimelineHistogram()
		for i := range tl.Buckets {
			n += tl.Buckets[i].Latency.View(scratch).TotalCount()
		}
		return n
	}
	if got := count(&tl); got != int64(total) {
		t.Errorf("timeline counts %d latencies; want %d", got, total)
	}
	var merged Timeline
	merged.Merge(&tl, nil)
	merged.Merge(&tl, nil)
	if n := wholeCells(&merged); n > 2*LiveIntervals {
		t.Errorf("merging: %d whole histograms; want at most %d", n, 2*LiveIntervals)
	}
	if got := count(&merged); got != 2*int64(total) {
		t.Errorf("merged timeline counts %d; want %d", got, 2*total)
	}
	merged.widen()
	if n := wholeCells(&merged); n > 2*LiveIntervals {
		t.Errorf("widening: %d whole histograms; want at most %d", n, 2*LiveIntervals)
	}
	if got := count(&merged); got != 2*int64(total) {
		t.Errorf("widened timeline counts %d; want %d", got, 2*total)
	}
}
