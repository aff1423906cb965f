package analyze

import (
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// scatterRecord returns attempt i of a run of one every millisecond.
func scatterRecord(t0 time.Time, i int) records.Record {
	return records.Record{Scheduled: t0.Add(time.Duration(i) * time.Millisecond), Latency: time.Duration(1+i%50) * time.Millisecond, Status: 200}
}

// TestScatterKeepsEveryAttemptWithinTheBound: up to MaxScatterPoints,
// every attempt is a point, in order, with its time and latency.
func TestScatterKeepsEveryAttemptWithinTheBound(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var s Scatter
	for i := range MaxScatterPoints {
		r := scatterRecord(t0, i)
		s.add(&r, 1+uint32(i%3))
	}
	if s.Len() != MaxScatterPoints {
		t.Fatalf("%d points; want %d", s.Len(), MaxScatterPoints)
	}
	for _, c := range s.Classes() {
		if c.Every != 1 || c.Seen != uint64(len(c.Points)) {
			t.Errorf("class %d: every %d, %d points of %d seen; want all", c.ID, c.Every, len(c.Points), c.Seen)
		}
		p := c.Points[5]
		if i := int(c.ID-1) + 5*3; p.Scheduled != t0.Add(time.Duration(i)*time.Millisecond).UnixMilli() || p.Latency != uint32(1+i%50)*1000 || p.Class != c.ID {
			t.Errorf("class %d point 5 = %+v; want attempt %d", c.ID, p, i)
		}
	}
}

// TestScatterThinsTheCommonClassFirst: past the bound the most frequent
// class is thinned evenly, and a rare class keeps every attempt.
func TestScatterThinsTheCommonClassFirst(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var s Scatter
	const n = 100_000
	for i := range n {
		r := scatterRecord(t0, i)
		class := uint32(1)
		if i%100 == 7 { // 1,000 errors
			class = 2
		}
		s.add(&r, class)
	}
	if s.Len() > MaxScatterPoints || s.Len() < MaxScatterPoints/2 {
		t.Fatalf("%d points; want between %d and %d", s.Len(), MaxScatterPoints/2, MaxScatterPoints)
	}
	common, rare := s.Classes()[0], s.Classes()[1]
	if rare.Every != 1 || len(rare.Points) != 1000 || rare.Seen != 1000 {
		t.Errorf("rare class: every %d, %d points of %d; want all 1000", rare.Every, len(rare.Points), rare.Seen)
	}
	if common.Every != 8 || common.Seen != n-1000 || len(common.Points) != (n-1000+7)/8 {
		t.Errorf("common class: every %d, %d points of %d; want 1 in 8", common.Every, len(common.Points), common.Seen)
	}
	// Evenly: the kept attempts are the 1st, the 9th, the 17th … of the class.
	var ordinal []int64
	for i := range n {
		if i%100 != 7 {
			ordinal = append(ordinal, t0.Add(time.Duration(i)*time.Millisecond).UnixMilli())
		}
	}
	for k, p := range common.Points {
		if p.Scheduled != ordinal[k*8] {
			t.Fatalf("common point %d scheduled at %d; want attempt %d of the class", k, p.Scheduled, k*8)
		}
	}
}

// TestScatterMergeKeepsTheBoundAndCounts: merging the scatters of two
// shards keeps the bound, the counts, and an even share of each.
func TestScatterMergeKeepsTheBoundAndCounts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var a, b Scatter
	for i := range 30_000 {
		r := scatterRecord(t0, i)
		if i%2 == 0 {
			a.add(&r, 1)
		} else {
			b.add(&r, 3)
		}
	}
	a.merge(&b, func(id uint32) uint32 { return id + 1 }) // b's class 3 is 4 in a
	if a.Len() > MaxScatterPoints || a.Len() != len(a.Classes()[0].Points)+len(a.Classes()[1].Points) {
		t.Fatalf("merged: %d points; want at most %d, the sum of the classes'", a.Len(), MaxScatterPoints)
	}
	got := a.Classes()
	if len(got) != 2 || got[0].ID != 1 || got[1].ID != 4 || got[0].Seen != 15_000 || got[1].Seen != 15_000 {
		t.Fatalf("merged classes %+v; want ids 1 and 4, 15000 seen each", got)
	}
	if got[1].Points[0].Class != 4 || len(got[0].Points) != len(got[1].Points) {
		t.Errorf("merged: class 4 has %d points (first of class %d), class 1 %d; want equal shares", len(got[1].Points), got[1].Points[0].Class, len(got[0].Points))
	}
}
