package progress

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// TestLineProgress: without a terminal, one line per interval, none at start.
func TestLineProgress(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, false, 30*time.Second, 5*time.Second)
	for ms := 0; ms <= 12_000; ms += 250 {
		p.Update(Snapshot{Elapsed: time.Duration(ms) * time.Millisecond, Total: 30 * time.Second, Requests: uint64(ms / 10), Successes: uint64(ms / 10), Rate: 100, P99: 3 * time.Millisecond, Status: "200:5"})
	}
	p.Close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines; want 2 (at 5s and 10s):\n%s", len(lines), b.String())
	}
	want := "[progress] 5.0s/30.0s  500 req  100.0 req/s  ok 100.00 %  p99 3.000 ms  status 200:5"
	if lines[0] != want {
		t.Errorf("line = %q; want %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "[progress] 10.0s/30.0s") {
		t.Errorf("second line = %q; want it at 10s", lines[1])
	}
}

// TestBarProgress draws the terminal bar into a buffer and checks the
// figures appear.
func TestBarProgress(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, true, 2*time.Second, 0)
	p.Update(Snapshot{Elapsed: time.Second, Total: 2 * time.Second, Requests: 42, Successes: 21, Rate: 42, P99: time.Millisecond, Status: "200:21 500:21"})
	p.Close()
	out := b.String()
	for _, want := range []string{"42 req", "ok 50.00 %", "200:21 500:21", "/2.0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q:\n%q", want, out)
		}
	}
}

func TestRateWindow(t *testing.T) {
	var r rateWindow
	var got float64
	for i := 0; i <= 20; i++ {
		got = r.observe(time.Duration(i)*250*time.Millisecond, uint64(i*25))
	}
	if got != 100 {
		t.Errorf("rate = %v; want 100/s", got)
	}
}

// TestLineProgressHugeElapsed: an elapsed time at the end of time (a clock
// gone wrong) prints and returns; an interval of 0 prints every update.
func TestLineProgressHugeElapsed(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, false, time.Second, 5*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Update(Snapshot{Elapsed: math.MaxInt64 - 1, Total: time.Second})
		p.Update(Snapshot{Elapsed: math.MaxInt64, Total: time.Second})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Update does not return for an elapsed time near the end of time")
	}
	if n := strings.Count(b.String(), "\n"); n < 1 || n > 2 {
		t.Errorf("%d lines for 2 updates; want 1 or 2:\n%s", n, b.String())
	}
	b.Reset()
	p = New(&b, false, time.Second, 0)
	for ms := range 3 {
		p.Update(Snapshot{Elapsed: time.Duration(ms) * time.Millisecond})
	}
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Errorf("interval 0: %d lines for 3 updates; want 3", n)
	}
}

func TestFiguresNameThePhase(t *testing.T) {
	s := Snapshot{Requests: 10, Successes: 10, Phase: "burst"}
	if got := s.Figures(); !strings.HasPrefix(got, "phase burst  10 req") {
		t.Errorf("Figures() = %q, want it to start with the phase", got)
	}
	s.Phase = ""
	if got := s.Figures(); strings.Contains(got, "phase") {
		t.Errorf("Figures() = %q: no phase outside a profile", got)
	}
}
