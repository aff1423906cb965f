package analyze

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/records"
)

// liveConfig is one live run of a test.
type liveConfig struct {
	Attack     attack.Options
	Classifier *classify.Classifier // nil for one with the defaults
	Header     records.Header
	Output     io.Writer // the result file; nil for none
	Grace      time.Duration
	Sinks      []Sink // more sinks, after the result file
	// Name, when set, names the request of each attempt, as a sender
	// does (the attack of this branch names none).
	Name func(*records.Attempt) string
}

// liveRun runs an attack through the consume loop, as stampede attack
// does: its records into a result file when cfg.Output is set.
func liveRun(ctx, abort context.Context, cfg liveConfig) (Run, error) {
	src := Live(LiveOptions{
		Header: cfg.Header, Classifier: cfg.Classifier, Grace: cfg.Grace, Abort: abort, MaxLateness: attack.MaxLateness,
		Start: func(bodyLimit int, needsBody func(uint16) bool) (Attack, error) {
			opts := cfg.Attack
			opts.Capture = attack.Capture{Limit: bodyLimit, Status: needsBody}
			atk, err := attack.Start(opts)
			if err != nil {
				return nil, err
			}
			if cfg.Name != nil {
				return naming(atk, cfg.Name), nil
			}
			return atk, nil
		},
	})
	sinks := cfg.Sinks
	if cfg.Output != nil {
		sinks = append([]Sink{NewResultFile(cfg.Output)}, sinks...)
	}
	return Consume(ctx, src, sinks...)
}

// namingAttack is an Attack whose attempts are those of another, with
// their request named.
type namingAttack struct {
	Attack
	out chan records.Attempt
}

// naming returns atk with the request of every attempt named by name.
func naming(atk Attack, name func(*records.Attempt) string) Attack {
	n := &namingAttack{Attack: atk, out: make(chan records.Attempt)}
	go func() {
		defer close(n.out)
		for at := range atk.Attempts() {
			at.Request = name(&at)
			n.out <- at
		}
	}()
	return n
}

// Attempts implements Attack.
func (n *namingAttack) Attempts() <-chan records.Attempt { return n.out }

func config(url string, rate float64, d time.Duration, out io.Writer) liveConfig {
	return liveConfig{
		Attack: attack.Options{
			Targets:   []vegeta.Target{{Method: "GET", URL: url}},
			Shape:     pace.Constant{PerSecond: rate},
			Duration:  d,
			Transport: attack.DefaultTransport(),
		},
		Header: records.Header{Start: time.Now(), Target: "GET " + url},
		Output: out,
		Grace:  5 * time.Second,
	}
}

func readAll(t *testing.T, b []byte) []records.Record {
	t.Helper()
	r, err := records.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var recs []records.Record
	for {
		var rec records.Record
		if err := r.Next(&rec); errors.Is(err, io.EOF) {
			return recs
		} else if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
}

func TestRunWritesEveryRecord(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	var buf bytes.Buffer
	out, err := liveRun(context.Background(), context.Background(), config(srv.URL, 100, 500*time.Millisecond, &buf))
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, buf.Bytes())
	if out.Summary.Requests != 50 || out.Records != 50 || len(recs) != 50 || out.Interrupted != "" {
		t.Errorf("summary %d, written %d, read back %d, interrupted %q; want 50, 50, 50, none", out.Summary.Requests, out.Records, len(recs), out.Interrupted)
	}
}

// TestRunInterrupt cancels the context mid-run: scheduling stops, the
// attempts in flight are waited for, and everything answered is written.
func TestRunInterrupt(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		hits.Add(1)
		time.Sleep(100 * time.Millisecond) // keeps attempts in flight at the interrupt
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for hits.Load() < 60 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	var buf bytes.Buffer
	out, err := liveRun(ctx, context.Background(), config(srv.URL, 200, 0, &buf))
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, buf.Bytes())
	if out.Interrupted == "" || out.Unanswered != 0 {
		t.Errorf("interrupted %q, unanswered %d; want interrupted, 0", out.Interrupted, out.Unanswered)
	}
	if int64(len(recs)) != hits.Load() || out.Summary.Requests != uint64(len(recs)) {
		t.Errorf("records %d, summary %d, server hits %d; want all equal", len(recs), out.Summary.Requests, hits.Load())
	}
	for _, r := range recs {
		if r.Status != 200 {
			t.Fatalf("record %+v: want every attempt answered 200 (in-flight ones waited for)", r)
		}
	}
}

// TestRunAbortStopsWaiting: a second interrupt gives up on attempts in
// flight and counts them as unanswered.
func TestRunAbortStopsWaiting(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	abort, kill := context.WithCancel(context.Background())
	go func() {
		for hits.Load() < 5 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
		kill()
	}()
	out, err := liveRun(ctx, abort, config(srv.URL, 100, 0, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if out.Interrupted == "" || out.Unanswered == 0 || out.Unanswered != uint64(hits.Load())-out.Summary.Requests {
		t.Errorf("interrupted %q, unanswered %d, answered %d, hits %d; want the hanging attempts unanswered", out.Interrupted, out.Unanswered, out.Summary.Requests, hits.Load())
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestRunReportsWriteFailure: a result file that cannot be written stops
// the run with the write error, and stops the attack: no request leaves
// after it.
func TestRunReportsWriteFailure(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	start := time.Now()
	_, err := liveRun(context.Background(), context.Background(), config(srv.URL, 100, 3*time.Second, &failingWriter{after: 400}))
	var write *WriteError
	if err == nil || !strings.Contains(err.Error(), "disk full") || !errors.As(err, &write) {
		t.Errorf("Run with a failing writer = %v; want the write error, a *WriteError", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("run took %s; want it to stop at the failure, not at the end of its 3s", took)
	}
	stopped := hits.Load()
	time.Sleep(300 * time.Millisecond) // 30 requests' worth at 100/s
	if late := hits.Load() - stopped; late > 1 {
		t.Errorf("%d requests after the run failed; want the attack stopped", late)
	}
}

// TestRunReportsUnsent: a generator that cannot keep up stops
// attack.MaxLateness after the duration and reports what it never sent.
func TestRunReportsUnsent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		time.Sleep(5 * time.Millisecond)
	}))
	defer srv.Close()
	cfg := config(srv.URL, 2000, 300*time.Millisecond, io.Discard)
	cfg.Attack.Workers, cfg.Attack.MaxWorkers = 1, 1
	start := time.Now()
	out, err := liveRun(context.Background(), context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 300*time.Millisecond+attack.MaxLateness+2*time.Second {
		t.Errorf("run took %s; want it to stop about MaxLateness after its 300ms", took)
	}
	if out.Unsent == 0 || out.Summary.Requests+out.Unsent != 600 {
		t.Errorf("sent %d, unsent %d; want unsent > 0 and the two adding up to the 600 planned", out.Summary.Requests, out.Unsent)
	}
	if out.MaxLateness != attack.MaxLateness {
		t.Errorf("max lateness %s; want the attack's %s, for the report to say how far behind it fell", out.MaxLateness, attack.MaxLateness)
	}
}

// timeSink keeps what the stream says of time.
type timeSink struct{ ticks, end time.Duration }

func (s *timeSink) Observe(ev *Event, _ *Run) error {
	switch ev.Kind {
	case EventTick:
		s.ticks = ev.Elapsed
	case EventEnd:
		s.end = ev.Elapsed
	}
	return nil
}

// TestLiveStreamTime: a live stream says how long the attack has run at
// every tick and at its end, for the progress display.
func TestLiveStreamTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	clock := &timeSink{}
	cfg := config(srv.URL, 100, time.Second, nil)
	cfg.Sinks = []Sink{clock}
	if _, err := liveRun(context.Background(), context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if clock.ticks < 500*time.Millisecond || clock.end < 900*time.Millisecond || clock.end > 5*time.Second || clock.end < clock.ticks {
		t.Errorf("last tick at %s, end at %s; want ticks through the 1s run and the end at about 1s", clock.ticks, clock.end)
	}
}
