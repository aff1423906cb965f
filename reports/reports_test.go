package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack/results"

	"github.com/stampede-dev/stampede/internal/golden"
)

// fixedRun is a deterministic run: 100 records at 100/s, fixed latencies.
func fixedRun() Run {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := analyze.NewSummary()
	for i := 0; i < 100; i++ {
		r := results.Record{
			Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond),
			Sent: time.Duration(i) * 100 * time.Microsecond, Latency: time.Duration(i+1) * time.Millisecond,
			Status: 200, BytesIn: 2048, BytesOut: 64,
		}
		switch {
		case i%10 == 3:
			r.Status, r.RetryAfter = 429, "1"
		case i%25 == 24:
			r.Status, r.ErrorKind = 0, results.ErrRefused
		case i == 50:
			r.Status = 503
		}
		s.Add(&r)
	}
	return Run{
		Summary: s, Target: "GET http://127.0.0.1:8080/v1/items?api_key=REDACTED", Pacer: "constant 100/s",
		Planned: time.Second, ResultFile: "r.bin", Records: 100, Uncorrected: true,
	}
}

func TestTextSummary(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, fixedRun()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "txt", b.Bytes())
}

func TestTextSummaryInterrupted(t *testing.T) {
	run := fixedRun()
	run.Interrupted, run.Unanswered, run.Uncorrected, run.Planned = "SIGINT", 3, false, 0
	var b bytes.Buffer
	if err := Text(&b, run); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "txt", b.Bytes())
}

func TestJSONSummary(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, fixedRun()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "json", b.Bytes())

	// The documented keys are all there, with the documented types.
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema", "requests", "rate", "throughput", "duration_s", "latency_ms", "status", "transport_errors"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("JSON summary lacks %q", key)
		}
	}
	lat := doc["latency_ms"].(map[string]any)
	for _, key := range []string{"min", "mean", "p50", "p90", "p99", "p999", "max"} {
		if _, ok := lat[key].(float64); !ok {
			t.Errorf("latency_ms.%s = %v; want a number", key, lat[key])
		}
	}
	if doc["schema"] != SummarySchema || doc["requests"].(float64) != 100 {
		t.Errorf("schema %v, requests %v; want %s, 100", doc["schema"], doc["requests"], SummarySchema)
	}
	te := doc["transport_errors"].(map[string]any)
	if len(te) != len(results.ErrorKinds) || te["connection_refused"].(float64) != 4 {
		t.Errorf("transport_errors = %v; want every kind, connection_refused 4", te)
	}
}

func TestEmptySummary(t *testing.T) {
	run := Run{Summary: analyze.NewSummary()}
	var b bytes.Buffer
	if err := Text(&b, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(no requests)") {
		t.Errorf("empty text summary:\n%s", b.String())
	}
	b.Reset()
	if err := JSON(&b, run); err != nil || !json.Valid(b.Bytes()) {
		t.Errorf("empty JSON summary invalid (%v):\n%s", err, b.String())
	}
}

func TestFormatters(t *testing.T) {
	tests := []struct{ got, want string }{
		{FormatLatency(999 * time.Microsecond), "999 µs"},
		{FormatLatency(1500 * time.Microsecond), "1.500 ms"},
		{FormatLatency(2500 * time.Millisecond), "2.500 s"},
		{FormatBytes(1023), "1023 B"},
		{FormatBytes(1536), "1.5 KiB"},
		{FormatBytes(3 << 30), "3.0 GiB"},
		{FormatRate(499.96), "500.0/s"},
		{FormatShare(0.25), "25.00 %"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}

// TestLineProgress: without a terminal, one line per interval, none at start.
func TestLineProgress(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, false, 30*time.Second, 5*time.Second)
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
	p := NewProgress(&b, true, 2*time.Second, 0)
	p.Update(Snapshot{Elapsed: time.Second, Total: 2 * time.Second, Requests: 42, Successes: 21, Rate: 42, P99: time.Millisecond, Status: "200:21 500:21"})
	p.Close()
	out := b.String()
	for _, want := range []string{"42 req", "ok 50.00 %", "200:21 500:21", "/2.0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q:\n%q", want, out)
		}
	}
}
