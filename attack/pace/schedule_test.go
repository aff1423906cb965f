package pace

import (
	"sync"
	"testing"
	"time"
)

// TestSchedulePlanned checks that Planned, computed without iterating,
// equals the hits a simulated attack sends, for every shape.
func TestSchedulePlanned(t *testing.T) {
	for _, c := range shapeCases {
		for _, d := range []time.Duration{1, time.Millisecond, c.d / 3, c.d, c.d + 1} {
			s := NewSchedule(c.shape, d)
			want := simulate(t, s, maxDuration)
			if got, ok := s.Planned(); got != want || !ok {
				t.Errorf("NewSchedule(%v, %s).Planned() = %d, %t; want %d, true", c.shape, d, got, ok, want)
			}
		}
	}
}

func TestSchedulePlannedExamples(t *testing.T) {
	tests := []struct {
		shape Shape
		d     time.Duration
		want  uint64
	}{
		{Constant{PerSecond: 500}, 5 * time.Second, 2500},
		{Constant{PerSecond: 500}, 5*time.Second + 1, 2501},
		{Constant{PerSecond: 500}, 1, 1}, // hit 0, at t = 0
		{Steps{[]Step{{100, time.Second}, {0, time.Second}}}, time.Hour, 101},
		{Spike{Base: 0, Peak: 10, At: time.Second, For: time.Second}, time.Hour, 11},
		{Constant{}, time.Second, 0},                        // invalid: stops at once
		{Constant{PerSecond: 1e9}, 1e6 * time.Second, 1e15}, // one per ns, found without iterating
	}
	for _, tt := range tests {
		if got, ok := NewSchedule(tt.shape, tt.d).Planned(); got != tt.want || !ok {
			t.Errorf("NewSchedule(%v, %s).Planned() = %d, %t; want %d, true", tt.shape, tt.d, got, ok, tt.want)
		}
	}
	// Beyond 2^53 hits float64(n) rounds, but Planned still agrees with Pace.
	huge := NewSchedule(Constant{PerSecond: 1e9}, maxDuration)
	got, _ := huge.Planned()
	if _, stop := huge.Pace(0, got-1); stop {
		t.Errorf("Planned() = %d, but Pace stops at hit %d", got, got-1)
	}
	if _, stop := huge.Pace(0, got); !stop {
		t.Errorf("Planned() = %d, but Pace releases hit %d", got, got)
	}
	if got, ok := NewSchedule(Constant{PerSecond: 1}, 0).Planned(); ok {
		t.Errorf("NewSchedule(constant, 0).Planned() = %d, true; want false for an unbounded schedule", got)
	}
}

func TestScheduleStopsAtDuration(t *testing.T) {
	s := NewSchedule(Constant{PerSecond: 100}, time.Second)
	if got := simulate(t, s, time.Hour); got != 100 {
		t.Errorf("hits sent by NewSchedule(100/s, 1s) = %d; want 100", got)
	}
	if wait, stop := s.Pace(990*time.Millisecond, 99); stop || wait != 0 {
		t.Errorf("Pace(990ms, 99) = %s, %t; want 0s, false", wait, stop)
	}
	if wait, stop := s.Pace(990*time.Millisecond, 100); !stop {
		t.Errorf("Pace(990ms, 100) = %s, %t; want stop: hit 100 is due at 1s", wait, stop)
	}
	if got := s.Rate(time.Second); got != 0 {
		t.Errorf("Rate(1s) = %v; want 0 past the duration", got)
	}
	if got := s.Rate(time.Second - 1); got != 100 {
		t.Errorf("Rate(1s−1ns) = %v; want 100", got)
	}
}

func TestScheduleUnbounded(t *testing.T) {
	s := NewSchedule(Constant{PerSecond: 1}, 0)
	if wait, stop := s.Pace(0, 1_000_000); stop || wait != 1_000_000*time.Second {
		t.Errorf("unbounded Pace(0, 1e6) = %s, %t; want %s, false", wait, stop, 1_000_000*time.Second)
	}
	if s.Shape() != (Constant{PerSecond: 1}) {
		t.Errorf("Shape() = %v; want constant 1/s", s.Shape())
	}
}

func TestScheduleStop(t *testing.T) {
	s := NewSchedule(Constant{PerSecond: 100}, 0)
	if s.Stopped() {
		t.Fatal("Stopped() = true before Stop")
	}
	if _, stop := s.Pace(0, 0); stop {
		t.Fatal("Pace(0, 0) stops before Stop")
	}
	s.Stop()
	s.Stop() // idempotent
	if !s.Stopped() {
		t.Error("Stopped() = false after Stop")
	}
	if wait, stop := s.Pace(0, 1); !stop {
		t.Errorf("Pace(0, 1) after Stop = %s, %t; want stop", wait, stop)
	}
	if got := s.Rate(0); got != 0 {
		t.Errorf("Rate(0) after Stop = %v; want 0", got)
	}
}

func TestScheduleBegan(t *testing.T) {
	shape := Sine{Mean: 200, Amplitude: 150, Period: 4 * time.Second}
	s := NewSchedule(shape, time.Minute)
	if b, ok := s.Began(); ok {
		t.Fatalf("Began() = %v, true before the first Pace", b)
	}
	if got := s.Scheduled(5); !got.IsZero() {
		t.Fatalf("Scheduled(5) = %v before the first Pace; want the zero Time", got)
	}

	const elapsed = 3 * time.Second
	before := time.Now()
	s.Pace(elapsed, 0)
	after := time.Now()
	b, ok := s.Began()
	if !ok || b.Before(before.Add(-elapsed)) || b.After(after.Add(-elapsed)) {
		t.Fatalf("Began() = %v, %t; want within [%v, %v]", b, ok, before.Add(-elapsed), after.Add(-elapsed))
	}
	s.Pace(elapsed+time.Hour, 1) // later calls do not move the start
	if b2, _ := s.Began(); !b2.Equal(b) {
		t.Errorf("Began() = %v after a second Pace; want %v", b2, b)
	}
	for _, n := range []uint64{0, 1, 799, 800, 1e6} {
		d, _ := shape.Due(n)
		if got, want := s.Scheduled(n), b.Add(d); !got.Equal(want) {
			t.Errorf("Scheduled(%d) = %v; want Began()+Due = %v", n, got, want)
		}
	}
	// The start keeps its monotonic reading: Sub ignores wall-clock jumps.
	if d := s.Scheduled(800).Sub(b); d != 4*time.Second {
		t.Errorf("Scheduled(800).Sub(Began()) = %s; want 4s", d)
	}
	// A hit the shape never releases has no scheduled time.
	quiet := NewSchedule(Steps{[]Step{{1, time.Second}}}, 0)
	quiet.Pace(0, 0)
	if got := quiet.Scheduled(2); got.IsZero() {
		t.Errorf("Scheduled(2) of 1/s = zero; want a time")
	}
	dead := NewSchedule(Steps{[]Step{{1, time.Second}, {0, time.Second}}}, 0)
	dead.Pace(0, 0)
	if got := dead.Scheduled(2); !got.IsZero() {
		t.Errorf("Scheduled(2) past a final pause = %v; want the zero Time", got)
	}
}

// TestScheduleConcurrent drives Pace as vegeta does, from one goroutine,
// while others read and stop the schedule. Run with -race.
func TestScheduleConcurrent(t *testing.T) {
	s := NewSchedule(Ramp{From: 1000, To: 5000, Over: time.Second}, 0)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() { // vegeta's attack loop, on a virtual clock
		defer wg.Done()
		defer close(done)
		var clock time.Duration
		for n := uint64(0); ; n++ {
			wait, stop := s.Pace(clock, n)
			if stop {
				return
			}
			clock += max(wait, 0)
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() { // result handlers
			defer wg.Done()
			for n := uint64(0); ; n++ {
				select {
				case <-done:
					return
				default:
				}
				s.Began()
				s.Scheduled(n)
				s.Stopped()
				s.Rate(time.Duration(n))
				if n == 5000 {
					s.Stop()
				}
			}
		}()
	}
	wg.Wait()
	if !s.Stopped() {
		t.Error("Stopped() = false after Stop")
	}
	if _, ok := s.Began(); !ok {
		t.Error("Began() = false after Pace")
	}
}
