package pace

import (
	"testing"
	"time"
)

func TestSequenceRunsItsPhasesInTurn(t *testing.T) {
	seq, err := NewSequence([]Segment{
		{Name: "warm", Shape: Constant{PerSecond: 10}, Duration: time.Second},   // 10 hits at 0, 100ms, … 900ms
		{Name: "rest", Duration: 2 * time.Second},                               // none
		{Name: "burst", Shape: Constant{PerSecond: 100}, Duration: time.Second}, // 100 hits from 3s
	})
	if err != nil {
		t.Fatal(err)
	}
	if seq.Duration() != 4*time.Second {
		t.Errorf("duration %s, want 4s", seq.Duration())
	}
	planned, _ := NewSchedule(seq, seq.Duration()).Planned()
	if planned != 110 {
		t.Errorf("planned %d, want 110", planned)
	}
	for n, want := range map[uint64]time.Duration{0: 0, 9: 900 * time.Millisecond, 10: 3 * time.Second, 11: 3*time.Second + 10*time.Millisecond, 109: 3*time.Second + 990*time.Millisecond} {
		if got, ok := seq.Due(n); !ok || got != want {
			t.Errorf("Due(%d) = %s, %v; want %s", n, got, ok, want)
		}
	}
	if _, ok := seq.Due(110); ok {
		t.Error("Due(110): the sequence has 110 hits")
	}
	for at, want := range map[time.Duration]int{0: 0, 999 * time.Millisecond: 0, time.Second: 1, 2999 * time.Millisecond: 1, 3 * time.Second: 2, time.Hour: 2} {
		if got := seq.At(at); got != want {
			t.Errorf("At(%s) = %d, want %d", at, got, want)
		}
	}
	if got := seq.Rate(1500 * time.Millisecond); got != 0 {
		t.Errorf("rate in the pause %v, want 0", got)
	}
	if got := seq.Rate(3500 * time.Millisecond); got != 100 {
		t.Errorf("rate in the burst %v, want 100", got)
	}
	if got := seq.Hits(2 * time.Second); got != 9.5 {
		t.Errorf("Hits(2s) = %v, want 9.5: every hit of the warm-up, none of the burst", got)
	}
	// Hits and Due agree, as every shape's must: Due(n) is the first t
	// with Hits(t) >= n.
	for n := uint64(1); n < 110; n++ {
		d, _ := seq.Due(n)
		if seq.Hits(d) < float64(n) || seq.Hits(d-1) >= float64(n) {
			t.Fatalf("hit %d due at %s: Hits there %v, just before %v", n, d, seq.Hits(d), seq.Hits(d-1))
		}
	}
	if s := seq.String(); s != "warm: constant 10/s for 1s, then rest: pause for 2s, then burst: constant 100/s for 1s" {
		t.Errorf("String() = %q", s)
	}
}

func TestSequenceRefusesEndlessPhases(t *testing.T) {
	if _, err := NewSequence(nil); err == nil {
		t.Error("no phase accepted")
	}
	if _, err := NewSequence([]Segment{{Name: "x", Shape: Constant{PerSecond: 1}}}); err == nil {
		t.Error("a phase of duration 0 accepted")
	}
}
