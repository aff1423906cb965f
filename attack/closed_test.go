package attack

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/attack/retry"
)

// inFlightServer answers after delay and remembers the most requests it
// held at once.
func inFlightServer(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64, *atomic.Int64) {
	t.Helper()
	var now, most, total atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		total.Add(1)
		time.Sleep(delay)
		now.Add(-1)
	}))
	t.Cleanup(srv.Close)
	return srv, &most, &total
}

// TestClosedModelHoldsItsConcurrency: three workers against a 20 ms target
// never have more than three requests in flight, send each request when
// the previous one is answered (so about 3 × 300/20 of them in 300 ms),
// and measure latency from the actual send: no send delay, no queueing.
func TestClosedModelHoldsItsConcurrency(t *testing.T) {
	srv, most, total := inFlightServer(t, 20*time.Millisecond)
	o := Options{
		Targets:     []vegeta.Target{{Method: "GET", URL: srv.URL}},
		Concurrency: 3,
		Duration:    300 * time.Millisecond,
		Transport:   TransportOptions{Timeout: 5 * time.Second, Connections: 10, KeepAlive: true},
	}
	start := time.Now()
	recs := collect(t, o)
	took := time.Since(start)
	if m := most.Load(); m != 3 {
		t.Errorf("most requests in flight = %d; want exactly 3", m)
	}
	// Each worker sends at most 300/20 + 1 = 16 requests; a busy machine
	// may answer slower, never faster.
	if n := len(recs); n < 3 || n > 48 {
		t.Errorf("records = %d; want 3..48 (3 workers × at most 16 answers of 20 ms)", n)
	}
	if int64(len(recs)) != total.Load() {
		t.Errorf("records = %d, server saw %d; want equal", len(recs), total.Load())
	}
	for _, r := range recs {
		if r.Sent != 0 {
			t.Fatalf("record %+v: send delay %s; want 0 in a closed model", r, r.Sent)
		}
		if r.Latency < 20*time.Millisecond {
			t.Fatalf("record %+v: latency %s below the target's 20 ms", r, r.Latency)
		}
		// A worker takes its last request before the end; the send is
		// stamped just after, a scheduler's delay later on a busy machine.
		if r.Scheduled.Before(start) || r.Scheduled.Sub(start) > 300*time.Millisecond+MaxLateness/2 {
			t.Fatalf("record %+v: sent at %s; want within the 300 ms duration", r, r.Scheduled.Sub(start))
		}
	}
	if took > 300*time.Millisecond+MaxLateness {
		t.Errorf("attack took %s; want it to end once its last answers arrive", took)
	}
}

// TestClosedModelHidesQueueing is the closed model's caveat, shown: one
// worker against a 40 ms target reports about 40 ms latency, where the
// open model at 100/s (TestAttackCorrectsCoordinatedOmission) shows the
// queue growing to hundreds of milliseconds.
func TestClosedModelHidesQueueing(t *testing.T) {
	srv, _, _ := inFlightServer(t, 40*time.Millisecond)
	recs := collect(t, Options{
		Targets:     []vegeta.Target{{Method: "GET", URL: srv.URL}},
		Concurrency: 1, Duration: 200 * time.Millisecond,
		Transport: TransportOptions{Timeout: 5 * time.Second, Connections: 1, KeepAlive: true},
	})
	if len(recs) < 1 || len(recs) > 6 {
		t.Fatalf("records = %d; want 1..6 (one worker, 40 ms answers, 200 ms)", len(recs))
	}
	for _, r := range recs {
		if r.Latency > 400*time.Millisecond {
			t.Errorf("record %+v: latency %s; a closed model measures each answer alone", r, r.Latency)
		}
	}
}

func TestClosedModelValidate(t *testing.T) {
	base := func() Options {
		return Options{Targets: []vegeta.Target{{Method: "GET", URL: "http://127.0.0.1:1/"}}, Concurrency: 4, Duration: time.Second}
	}
	if errs := base().Validate(); len(errs) != 0 {
		t.Fatalf("Validate() = %v; want none for a closed model", errs)
	}
	tests := []struct {
		name string
		edit func(*Options)
	}{
		{"with a shape", func(o *Options) { o.Shape = pace.Constant{PerSecond: 10} }},
		{"with workers", func(o *Options) { o.MaxWorkers = 8 }},
		{"too many", func(o *Options) { o.Concurrency = pace.MaxConcurrency + 1 }},
		{"with retries", func(o *Options) { o.Retry = retry.Options{Policy: retry.Immediate, Max: 1} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.edit(&o)
			if errs := o.Validate(); len(errs) != 1 {
				t.Errorf("Validate() = %v; want one problem", errs)
			}
		})
	}
}

// TestDefaultBoundsInFlight: with no MaxWorkers, an attack holds at most
// DefaultMaxWorkers requests in flight against a target that answers
// none, instead of growing a worker and a connection per tick; the
// requests over the bound queue and are sent once answers come.
func TestDefaultBoundsInFlight(t *testing.T) {
	release := make(chan struct{})
	var now, most, total atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		total.Add(1)
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		now.Add(-1)
	}))
	defer srv.Close()
	o := options(srv.URL, 4000, 250*time.Millisecond) // 1000 requests
	a, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for now.Load() < DefaultMaxWorkers && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // time for any request over the bound to arrive
	if m := most.Load(); m != DefaultMaxWorkers {
		t.Errorf("most requests in flight = %d; want the default bound %d", m, DefaultMaxWorkers)
	}
	close(release)
	var n int
	for at := range a.Attempts() {
		n++
		at.Release()
	}
	if int64(n) != total.Load() || n <= DefaultMaxWorkers {
		t.Errorf("records = %d, server saw %d; want equal, and more than the bound (the queue was sent)", n, total.Load())
	}
}
