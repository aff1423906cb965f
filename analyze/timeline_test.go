package analyze

import (
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// timelineRecords returns n records, one every step from start, with
// latencies cycling through 1..97 ms and classes 1..classes.
func timelineRecords(start time.Time, n int, step time.Duration, classes uint32) []records.Record {
	out := make([]records.Record, n)
	for i := range out {
		out[i] = records.Record{
			Scheduled: start.Add(time.Duration(i) * step),
			Sent:      time.Duration(i%3) * time.Millisecond,
			Latency:   time.Duration(1+i%97) * time.Millisecond,
			Status:    200,
			Class:     1 + uint32(i)%classes,
		}
	}
	return out
}

func TestTimelineCountsAndQuantiles(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var tl Timeline
	for _, r := range timelineRecords(start, 1000, 10*time.Millisecond, 2) {
		tl.Add(&r, r.Class)
	}
	if tl.Step() != TimelineTick || tl.Start() != start {
		t.Fatalf("step %v start %v, want %v from %v", tl.Step(), tl.Start(), TimelineTick, start)
	}
	if n, f := len(tl.Points()), len(tl.InFlight()); n != 80 || f != 81 { // the last requests are in flight in the 81st
		t.Fatalf("%d points and %d in flight of %v, want 80 and 81", n, f, tl.Step())
	}
	sec := tl.AtLeast(time.Second)
	if sec.Step() != time.Second || sec.Start() != start || len(tl.Points()) != 80 {
		t.Fatalf("AtLeast(1s): step %v start %v; want 1s from %v, the timeline unchanged", sec.Step(), sec.Start(), start)
	}
	if f := sec.InFlight(); len(f) != 11 || f[10].InFlight <= 0 {
		t.Fatalf("%d seconds in flight, the last %+v; want 11, the last with requests in flight only", len(f), f[len(f)-1])
	}
	points := sec.Points()
	if len(points) != 10 {
		t.Fatalf("%d points, want 10 (10 s of 100/s)", len(points))
	}
	var offered, sent uint64
	for _, p := range points {
		offered += p.Offered
		sent += p.Sent
		if p.Count != 100 || p.P50 < 40*time.Millisecond || p.P50 > 60*time.Millisecond || p.Max < 96*time.Millisecond {
			t.Errorf("point %v: count %d p50 %v max %v", p.Start, p.Count, p.P50, p.Max)
		}
	}
	if offered != 1000 || sent != 1000 {
		t.Errorf("offered %d sent %d, want 1000 each", offered, sent)
	}
	if n := len(sec.ClassPoints(1)); n != 10 {
		t.Errorf("class 1 has %d points, want 10", n)
	}
	if n := len(sec.ClassPoints(3)); n != 0 {
		t.Errorf("class 3 has %d points, want none", n)
	}
}

func TestTimelineMergeHalvesEqualsWhole(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 500e6, time.UTC)
	recs := timelineRecords(start, 30000, 150*time.Millisecond, 5) // 75 min: widens
	var whole, a, b Timeline
	for i := range recs {
		whole.Add(&recs[i], recs[i].Class)
		if i%2 == 0 {
			a.Add(&recs[i], recs[i].Class)
		} else {
			b.Add(&recs[i], recs[i].Class)
		}
	}
	var merged Timeline
	merged.Merge(&a, nil)
	merged.Merge(&b, nil)
	if whole.Width < 2 {
		t.Fatalf("width %d: the test should widen the intervals", whole.Width)
	}
	if merged.Width != whole.Width || merged.Origin != whole.Origin || len(merged.Buckets) != len(whole.Buckets) {
		t.Fatalf("merged width %d origin %d len %d, whole %d %d %d", merged.Width, merged.Origin, len(merged.Buckets), whole.Width, whole.Origin, len(whole.Buckets))
	}
	wp, mp := whole.Points(), merged.Points()
	for i := range wp {
		if wp[i] != mp[i] {
			t.Fatalf("point %d: merged %+v, whole %+v", i, mp[i], wp[i])
		}
	}
	for c := uint32(1); c <= 5; c++ {
		wc, mc := whole.ClassPoints(c), merged.ClassPoints(c)
		if len(wc) != len(mc) {
			t.Fatalf("class %d: %d points merged, %d whole", c, len(mc), len(wc))
		}
		for i := range wc {
			if wc[i] != mc[i] {
				t.Fatalf("class %d point %d: merged %+v, whole %+v", c, i, mc[i], wc[i])
			}
		}
	}
}

func TestTimelineBounded(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var tl Timeline
	// 300 classes over 100 s: 30 000 cells at 1 s, far over the budget.
	for _, r := range timelineRecords(start, 30000, 3333*time.Microsecond, 300) {
		tl.Add(&r, r.Class)
	}
	if tl.cells > MaxTimelineCells {
		t.Errorf("%d cells, want at most %d", tl.cells, MaxTimelineCells)
	}
	cells := 0
	var total uint64
	for i := range tl.Buckets {
		cells += tl.Buckets[i].count()
		total += tl.Buckets[i].Offered
	}
	if cells != tl.cells || total != 30000 {
		t.Errorf("cells %d (kept %d), attempts %d of 30000", cells, tl.cells, total)
	}
	// A far-away second widens the span instead of allocating it.
	far := records.Record{Scheduled: start.Add(1000 * 24 * time.Hour), Latency: time.Millisecond}
	tl.Add(&far, 1)
	if len(tl.Buckets) > MaxTimelineBuckets {
		t.Errorf("%d buckets, want at most %d", len(tl.Buckets), MaxTimelineBuckets)
	}
}

// TestTimelineManyClassesOneSecond: more classes than the histograms
// allow, all in one second, end (the classes beyond MaxTimelineClasses
// count in the totals only) instead of widening forever.
func TestTimelineManyClassesOneSecond(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var tl Timeline
	const classes = 3000
	for i := range classes {
		r := records.Record{Scheduled: start.Add(time.Duration(i) * 100 * time.Microsecond), Latency: time.Millisecond, Status: 200}
		tl.Add(&r, uint32(i+1))
	}
	followedClasses := map[uint32]bool{}
	for _, b := range tl.Buckets {
		for c := range b.Classes {
			followedClasses[c] = true
		}
	}
	if tl.cells > MaxTimelineCells || len(followedClasses) != MaxTimelineClasses {
		t.Errorf("%d cells, %d classes followed; want at most %d and %d", tl.cells, len(followedClasses), MaxTimelineCells, MaxTimelineClasses)
	}
	var offered, successes uint64
	for _, p := range tl.Points() {
		offered += p.Offered
		successes += p.Successes
	}
	if successes != classes {
		t.Errorf("%d successes of %d: the classes not followed must count too", successes, classes)
	}
	if offered != classes || len(tl.ClassPoints(classes)) != 0 || len(tl.ClassPoints(1)) != 1 {
		t.Errorf("offered %d of %d; class %d has %d points, class 1 %d", offered, classes, classes, len(tl.ClassPoints(classes)), len(tl.ClassPoints(1)))
	}
	var merged Timeline
	merged.Merge(&tl, nil)
	merged.Merge(&tl, func(id uint32) uint32 { return id + classes })
	if merged.cells > MaxTimelineCells {
		t.Errorf("merged: %d cells", merged.cells)
	}
}

// TestTimelineAeons: times 2⁶² s apart, which overflow a signed span,
// widen the intervals instead of allocating them; and so does a Series.
func TestTimelineAeons(t *testing.T) {
	var tl Timeline
	var s Series
	for _, sec := range []int64{-1 << 62, 1 << 62, 0} {
		r := records.Record{Scheduled: time.Unix(sec, 0), Latency: time.Millisecond}
		tl.Add(&r, 1)
		s.Add(r.Scheduled, 1)
	}
	if len(tl.Buckets) > MaxTimelineBuckets || len(s.Counts) > MaxSeriesBuckets || s.Total() != 3 {
		t.Errorf("%d buckets, series of %d counting %d", len(tl.Buckets), len(s.Counts), s.Total())
	}
}

// TestTimelineInFlight: a request counts in flight from its actual send to
// its completion, in part in the intervals it covers in part, whole in
// those between; widening and merging keep the same time in flight.
func TestTimelineInFlight(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var tl Timeline
	// Scheduled at 0, sent at 100 ms, complete at 1.1 s.
	r := records.Record{Scheduled: t0, Sent: 100 * time.Millisecond, Latency: 1100 * time.Millisecond, Status: 200}
	tl.Add(&r, 1)
	// A second one within one interval: 10 ms from 300 ms.
	r2 := records.Record{Scheduled: t0.Add(300 * time.Millisecond), Latency: 10 * time.Millisecond, Status: 503}
	tl.Add(&r2, 2)
	flight := tl.InFlight()
	want := []float64{0.2, 1, 1.08, 1, 1, 1, 1, 1, 0.8}
	if len(flight) != len(want) {
		t.Fatalf("%d intervals in flight; want %d", len(flight), len(want))
	}
	for i, p := range flight {
		if d := p.InFlight - want[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("interval %d: %.4f in flight; want %.4f", i, p.InFlight, want[i])
		}
	}
	points := tl.Points()
	if len(points) != 3 || points[0].Families[Family2xx] != 1 || points[2].Families[Family5xx] != 1 {
		t.Errorf("%d points, families %v, %v; want 3 to the last scheduled, a 2xx in the first interval, a 5xx in the third", len(points), points[0].Families, points[2].Families)
	}
	sec := tl.AtLeast(time.Second).InFlight()
	if len(sec) != 2 || sec[0].InFlight < 0.909999 || sec[0].InFlight > 0.910001 || sec[1].InFlight < 0.099999 || sec[1].InFlight > 0.100001 {
		t.Errorf("per second: %+v; want 0.91 then 0.1 in flight", sec)
	}
	// The same two requests in two timelines merged: the same.
	var a, b, merged Timeline
	a.Add(&r, 1)
	b.Add(&r2, 2)
	merged.Merge(&a, nil)
	merged.Merge(&b, nil)
	for i, p := range merged.InFlight() {
		if d := p.InFlight - want[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("merged interval %d: %.4f in flight; want %.4f", i, p.InFlight, want[i])
		}
	}
}

// TestRecoveryIgnoresTheInFlightTail: a run that begins in a fault and
// recovers keeps its verdict when its last request hangs for 40 s: the
// intervals after the last send, which hold only requests in flight, are
// no level to recover to (they made it "not recovered").
func TestRecoveryIgnoresTheInFlightTail(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tail := range []time.Duration{10 * time.Millisecond, 40 * time.Second} {
		var tl Timeline
		for i := range 200 { // 10 s of 503, then 10 s of 200, at 10/s
			r := records.Record{Scheduled: t0.Add(time.Duration(i) * 100 * time.Millisecond), Latency: 10 * time.Millisecond, Status: 503}
			if i >= 100 {
				r.Status = 200
			}
			if i == 199 {
				r.Latency = tail
			}
			tl.Add(&r, 1)
		}
		rec := tl.Recovery()
		if !rec.Fault || rec.Level != LevelAfter || !rec.Recovered || rec.Time != 0 || !rec.FaultEnd.Equal(t0.Add(10*time.Second)) {
			t.Errorf("last request of %v: recovery %+v; want a fault from the start, recovered at 10 s, judged against the level after", tail, rec)
		}
	}
}

// TestTimelineFarFuture: times past 2262, where Unix nanoseconds
// overflow, fall in the right intervals.
func TestTimelineFarFuture(t *testing.T) {
	t0 := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	var tl Timeline
	for _, r := range timelineRecords(t0, 200, 100*time.Millisecond, 1) {
		tl.Add(&r, 1)
	}
	sec := tl.AtLeast(time.Second)
	points := sec.Points()
	if !tl.Start().Equal(t0) || !sec.Start().Equal(t0) || len(points) != 20 || points[19].Offered != 10 || !points[19].Start.Equal(t0.Add(19*time.Second)) {
		t.Errorf("start %v (1 s: %v), %d points, the last %+v; want 20 seconds of 10 from %v", tl.Start(), sec.Start(), len(points), points[len(points)-1], t0)
	}
}

// TestTimelinePlan: a run of a known length starts at the width it would
// reach, a minute in eighths of a second, four minutes or more in whole
// seconds; an unknown length starts narrow and widens past
// MaxFineBuckets.
func TestTimelinePlan(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		length time.Duration
		want   time.Duration
	}{
		{2 * time.Second, TimelineTick}, {time.Minute, TimelineTick}, {90 * time.Second, 2 * TimelineTick},
		{3 * time.Minute, 4 * TimelineTick}, {4 * time.Minute, 4 * TimelineTick}, {5 * time.Minute, time.Second}, {time.Hour, time.Second},
	} {
		var tl Timeline
		tl.Plan(tt.length)
		r := records.Record{Scheduled: t0, Latency: time.Millisecond, Status: 200}
		tl.Add(&r, 1)
		if tl.Step() != tt.want {
			t.Errorf("Plan(%v): intervals of %v; want %v", tt.length, tl.Step(), tt.want)
		}
	}
	var tl Timeline // unknown: 5 minutes at 10/s
	for _, r := range timelineRecords(t0, 3000, 100*time.Millisecond, 1) {
		tl.Add(&r, 1)
	}
	if tl.Step() != time.Second || len(tl.Buckets) > MaxFineBuckets {
		t.Errorf("5 minutes of unknown length: %d intervals of %v; want 1 s", len(tl.Buckets), tl.Step())
	}
}

// TestRecoveryNotRecoveredWithATail: the counterpart of
// TestRecoveryIgnoresTheInFlightTail: a run healthy for 10 s, then in a
// fault to its end, whose last request hangs for 40 s, is not recovered:
// the intervals of the hanging request are no recovery either.
func TestRecoveryNotRecoveredWithATail(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var tl Timeline
	for i := range 200 { // 10 s of 200, then 10 s of 503, at 10/s
		r := records.Record{Scheduled: t0.Add(time.Duration(i) * 100 * time.Millisecond), Latency: 10 * time.Millisecond, Status: 200}
		if i >= 100 {
			r.Status = 503
		}
		if i == 199 {
			r.Latency = 40 * time.Second
		}
		tl.Add(&r, 1)
	}
	rec := tl.Recovery()
	if !rec.Fault || rec.Level != LevelBefore || rec.Recovered || !rec.FaultEnd.IsZero() || !rec.FaultStart.Equal(t0.Add(10*time.Second)) {
		t.Errorf("recovery %+v; want a fault from 10 s to the end of the run, not recovered", rec)
	}
}
