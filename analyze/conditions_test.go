package analyze

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// conditionsFile writes a result file of one record whose header names n
// thresholds.
func conditionsFile(t *testing.T, dir, name string, n int) string {
	t.Helper()
	h := records.Header{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), RunID: name}
	for i := range n {
		h.Thresholds = append(h.Thresholds, records.HeaderThreshold{Expr: fmt.Sprintf("requests > -%d", i)})
	}
	var b bytes.Buffer
	w, err := records.NewWriter(&b, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&records.Record{Scheduled: h.Start, Latency: time.Millisecond, Status: 200}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTrailer(&records.Trailer{End: h.Start.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConditionsOfFiles: a report judges a file by the thresholds its
// header names; more than it reads make the run fail, and files that name
// different ones are judged by none of them.
func TestConditionsOfFiles(t *testing.T) {
	dir := t.TempDir()
	read := func(paths ...string) Run {
		run, err := Consume(context.Background(), Files(paths, FileOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	two := conditionsFile(t, dir, "two.bin", 2)
	if run := read(two); len(run.Conditions) != 2 || run.ConditionsDropped != 0 {
		t.Errorf("two thresholds: %d kept, %d dropped", len(run.Conditions), run.ConditionsDropped)
	}
	many := read(conditionsFile(t, dir, "many.bin", maxConditions+44))
	if len(many.Conditions) != maxConditions || many.ConditionsDropped != 44 {
		t.Errorf("%d thresholds: %d kept, %d dropped", maxConditions+44, len(many.Conditions), many.ConditionsDropped)
	}
	many.Thresholds = []Threshold{{Name: "x", Expr: "x", Pass: true}}
	if v := many.Verdict(); v.Pass || !strings.Contains(strings.Join(v.Reasons, ";"), "44 thresholds of the result files were not judged") {
		t.Errorf("thresholds left unjudged: %+v", v)
	}
	mixed := read(two, conditionsFile(t, dir, "none.bin", 0))
	if len(mixed.Conditions) != 0 || !strings.Contains(strings.Join(mixed.Notes, ";"), "judged by different thresholds") {
		t.Errorf("files naming different thresholds: %v, notes %q", mixed.Conditions, mixed.Notes)
	}
}
