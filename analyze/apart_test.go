package analyze_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

// constantFile writes a result file of a constant 200/s run of 10 s
// starting at start: 2000 records scheduled 5 ms apart, each answered 200
// in 1 ms, those for which keep(i) holds.
func constantFile(t *testing.T, path, runID, shard string, start time.Time, keep func(int) bool) {
	t.Helper()
	var buf bytes.Buffer
	w, err := records.NewWriter(&buf, records.Header{Start: start, Target: "GET http://127.0.0.1:8080/", Pacer: "constant 200/s", Duration: 10 * time.Second, RunID: runID, Shard: shard, Tool: "stampede test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if !keep(i) {
			continue
		}
		rec := records.Record{Seq: uint64(i), Scheduled: start.Add(time.Duration(i) * 5 * time.Millisecond), Latency: time.Millisecond, Status: 200, Attempt: 1, RequestID: uint64(i + 1)}
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteTrailer(&records.Trailer{End: start.Add(10 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func all(int) bool { return true }

// tApart is when the first run of these tests starts.
var tApart = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// TestRunsApart: two runs of 200/s for 10 s recorded an hour apart offered
// 200/s over 20 s, not 2/3600 of it over the hour between them; the Load
// lists each run with its own duration and a note says they ran apart.
func TestRunsApart(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")
	constantFile(t, a, "run-a", "", tApart, all)
	constantFile(t, b, "run-b", "", tApart.Add(time.Hour), all)
	run, err := analyze.Load(context.Background(), []string{b, a}, analyze.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := run.Summary
	if got := s.Rate(); math.Abs(got-200) > 0.01 {
		t.Errorf("Rate() = %.3f/s; want 200/s", got)
	}
	if got := s.Throughput(); math.Abs(got-200) > 0.1 {
		t.Errorf("Throughput() = %.3f/s; want 200/s", got)
	}
	if got := s.Retries.OfferedRate(); math.Abs(got-200) > 0.01 {
		t.Errorf("Retries.OfferedRate() = %.3f/s; want 200/s of logical requests", got)
	}
	// Each run: 1999 intervals of 5 ms and the last answer 1 ms later.
	if got, want := s.Duration(), 2*(1999*5*time.Millisecond+time.Millisecond); got != want {
		t.Errorf("Duration() = %s; want %s", got, want)
	}
	if got, want := run.Load(), "2 runs at different times: constant 200/s for 10s; constant 200/s for 10s"; got != want {
		t.Errorf("Load() = %q; want %q", got, want)
	}
	if run.Planned != 20*time.Second {
		t.Errorf("Planned = %s; want 20s, the sum of the runs'", run.Planned)
	}
	if len(s.Spans) != 2 || !s.Spans[0].FirstScheduled.Equal(tApart) || s.Spans[0].Requests != 2000 {
		t.Errorf("Spans = %+v; want two of 2000 requests, the first from %s", s.Spans, tApart)
	}
	if !slices.ContainsFunc(run.Notes, func(n string) bool { return strings.Contains(n, "recorded at different times") }) {
		t.Errorf("Notes = %q; want one saying the files were recorded at different times", run.Notes)
	}
}

// TestShardsOfOneRunMergeExactly: the shards of a run, concurrent or not,
// give exactly the figures of the whole run in one file; and so do two
// files of different runs whose time spans overlap.
func TestShardsOfOneRunMergeExactly(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.bin")
	constantFile(t, whole, "run-1", "", tApart, all)
	want, err := analyze.Load(context.Background(), []string{whole}, analyze.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		ids      [2]string
		shards   [2]string
		split    func(int) bool
		wantLoad string
	}{
		{"interleaved shards", [2]string{"run-1", "run-1"}, [2]string{"0/2", "1/2"}, func(i int) bool { return i%2 == 0 }, "constant 200/s for 10s"},
		{"overlapping runs", [2]string{"run-1", "run-2"}, [2]string{"", ""}, func(i int) bool { return i%3 == 0 }, "constant 200/s for 10s"},
		{"shards one after the other", [2]string{"run-1", "run-1"}, [2]string{"0/2", "1/2"}, func(i int) bool { return i < 1000 }, "constant 200/s for 10s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, second := filepath.Join(dir, tc.name+"-0.bin"), filepath.Join(dir, tc.name+"-1.bin")
			constantFile(t, first, tc.ids[0], tc.shards[0], tApart, tc.split)
			constantFile(t, second, tc.ids[1], tc.shards[1], tApart, func(i int) bool { return !tc.split(i) })
			got, err := analyze.Load(context.Background(), []string{first, second}, analyze.FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			g, w := got.Summary, want.Summary
			if g.Rate() != w.Rate() || g.Throughput() != w.Throughput() || g.Duration() != w.Duration() || g.Retries.OfferedRate() != w.Retries.OfferedRate() {
				t.Errorf("rate, throughput, duration, logical rate = %v, %v, %s, %v; want %v, %v, %s, %v", g.Rate(), g.Throughput(), g.Duration(), g.Retries.OfferedRate(),
					w.Rate(), w.Throughput(), w.Duration(), w.Retries.OfferedRate())
			}
			if got.Periods != nil || g.Spans != nil {
				t.Errorf("Periods = %v, Spans = %v; want none: the files ran together", got.Periods, g.Spans)
			}
			if got.Load() != tc.wantLoad {
				t.Errorf("Load() = %q; want %q", got.Load(), tc.wantLoad)
			}
		})
	}
}
