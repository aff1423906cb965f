package pipeline

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

	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/records"
)

func config(url string, rate float64, d time.Duration, out io.Writer) Config {
	return Config{
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
	out, err := Run(context.Background(), context.Background(), config(srv.URL, 100, 500*time.Millisecond, &buf))
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, buf.Bytes())
	if out.Summary.Requests != 50 || out.Records != 50 || len(recs) != 50 || out.Interrupted {
		t.Errorf("summary %d, written %d, read back %d, interrupted %v; want 50, 50, 50, false", out.Summary.Requests, out.Records, len(recs), out.Interrupted)
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
	out, err := Run(ctx, context.Background(), config(srv.URL, 200, 0, &buf))
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, buf.Bytes())
	if !out.Interrupted || out.Unanswered != 0 {
		t.Errorf("interrupted %v, unanswered %d; want true, 0", out.Interrupted, out.Unanswered)
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
	out, err := Run(ctx, abort, config(srv.URL, 100, 0, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Interrupted || out.Unanswered == 0 || out.Unanswered != uint64(hits.Load())-out.Summary.Requests {
		t.Errorf("interrupted %v, unanswered %d, answered %d, hits %d; want the hanging attempts unanswered", out.Interrupted, out.Unanswered, out.Summary.Requests, hits.Load())
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestRunReportsWriteFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	_, err := Run(context.Background(), context.Background(), config(srv.URL, 100, 3*time.Second, &failingWriter{after: 400}))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run with a failing writer = %v; want the write error", err)
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
	out, err := Run(context.Background(), context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 300*time.Millisecond+attack.MaxLateness+2*time.Second {
		t.Errorf("run took %s; want it to stop about MaxLateness after its 300ms", took)
	}
	if out.Unsent == 0 || out.Summary.Requests+out.Unsent != 600 {
		t.Errorf("sent %d, unsent %d; want unsent > 0 and the two adding up to the 600 planned", out.Summary.Requests, out.Unsent)
	}
}
