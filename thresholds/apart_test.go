package thresholds

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

// writeRun writes the result file of a constant run at rate per second
// for 10 s from start, each request answered status.
func writeRun(t *testing.T, path string, start time.Time, rate int, status uint16) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := records.NewWriter(f, records.Header{Start: start, Target: "GET http://127.0.0.1:8080/", Pacer: "constant", Duration: 10 * time.Second, Tool: "stampede test"})
	if err != nil {
		t.Fatal(err)
	}
	gap := time.Second / time.Duration(rate)
	for i := range 10 * rate {
		rec := records.Record{Seq: uint64(i), Scheduled: start.Add(time.Duration(i) * gap), Latency: time.Millisecond, Status: status, Attempt: 1, RequestID: uint64(i + 1)}
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
}

// TestRatesOfRunsApart: thresholds on the rates of two runs recorded an
// hour apart judge the rate each ran at: 200/s passes offered_rate > 150
// and throughput > 150 (they failed at the 1.1/s spread over the hour);
// runs at 100/s, or whose every request failed, fail them.
func TestRatesOfRunsApart(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		rate   int
		status uint16
		pass   [2]bool // offered_rate > 150, throughput > 150
	}{
		{"200/s answered", 200, 200, [2]bool{true, true}},
		{"100/s answered", 100, 200, [2]bool{false, false}},
		{"200/s all failed", 200, 503, [2]bool{true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")
			writeRun(t, a, t0, tc.rate, tc.status)
			writeRun(t, b, t0.Add(time.Hour), tc.rate, tc.status)
			run, err := analyze.Consume(context.Background(), analyze.Files([]string{a, b}, analyze.FileOptions{}))
			if err != nil {
				t.Fatal(err)
			}
			var ths []*Threshold
			for _, src := range []string{"offered_rate > 150", "throughput > 150"} {
				th, err := Compile("", src, false)
				if err != nil {
					t.Fatal(err)
				}
				ths = append(ths, th)
			}
			for i, got := range Judge(run, nil, ths) {
				if got.Pass != tc.pass[i] {
					t.Errorf("%s: pass %v (measured %s); want %v", got.Expr, got.Pass, got.Measured, tc.pass[i])
				}
			}
		})
	}
}
