package analyze

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// cleanFile writes a result file of n successful records with thresholds
// in its header and a trailer, and returns its bytes and the offset of its
// trailer frame.
func cleanFile(t *testing.T, n int) ([]byte, int) {
	t.Helper()
	var buf bytes.Buffer
	w, err := records.NewWriter(&buf, records.Header{Start: t0, RunID: "run-1", Tool: "stampede test",
		Thresholds: []records.HeaderThreshold{{Expr: "p99 < 1ms"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		rec := records.Record{Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond), Latency: time.Millisecond,
			Status: 200, Category: records.CatSuccess, Attempt: 1, RequestID: uint64(i + 1)}
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	at := buf.Len()
	if err := w.WriteTrailer(&records.Trailer{End: t0.Add(3 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), at
}

// hasPrefix reports whether one of list starts with prefix.
func hasPrefix(list []string, prefix string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// TestDamagedFileNeverPasses: a result file whose header or trailer is
// damaged is read, its records counted, with notes saying what was lost;
// and the run does not pass where the intact file does.
func TestDamagedFileNeverPasses(t *testing.T) {
	const n = 300
	data, at := cleanFile(t, n)
	dir := t.TempDir()
	header := bytes.Clone(data)
	header[30] ^= 0x01 // inside the header JSON
	trailer := bytes.Clone(data)
	trailer[at+5] ^= 0x01 // inside the trailer's payload
	tests := []struct {
		name      string
		data      []byte
		reason    string // the start of a verdict reason; "" to pass
		note      string // the start of a note
		start     bool   // the run's start is known
		unchanged bool   // no note of damage
	}{
		{"intact", data, "", "", true, true},
		{"header", header, "the header of %s is damaged: the thresholds it named are unknown",
			"the header of %s is damaged (corrupt result file header: checksum mismatch", false, false},
		{"trailer", trailer, "run not finished: 1 result file has a damaged end",
			"the trailer of %s is damaged: how the run ended", true, false},
		{"no trailer", data[:at], "run not finished: 1 result file has no end",
			"%s: no trailer, so the run did not end cleanly (a crash or a kill)", true, false},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name+".bin")
		if err := os.WriteFile(path, tt.data, 0o644); err != nil {
			t.Fatal(err)
		}
		run, err := load(context.Background(), []string{path}, FileOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if run.Records != n {
			t.Errorf("%s: %d records; want %d", tt.name, run.Records, n)
		}
		if got := !run.Start.IsZero(); got != tt.start {
			t.Errorf("%s: Start = %v; want it known: %v", tt.name, run.Start, tt.start)
		}
		v := run.Verdict()
		switch {
		case tt.reason == "" && !v.Pass:
			t.Errorf("%s: verdict fails: %q; want a pass", tt.name, v.Reasons)
		case tt.reason != "" && (v.Pass || !hasPrefix(v.Reasons, strings.ReplaceAll(tt.reason, "%s", path))):
			t.Errorf("%s: verdict pass %v, reasons %q; want a failure, a reason %q", tt.name, v.Pass, v.Reasons, tt.reason)
		}
		if tt.unchanged && len(run.Notes) > 0 {
			t.Errorf("%s: notes %q; want none", tt.name, run.Notes)
		}
		if tt.note != "" && !hasPrefix(run.Notes, strings.ReplaceAll(tt.note, "%s", path)) {
			t.Errorf("%s: notes %q; want one starting %q", tt.name, run.Notes, tt.note)
		}
		if tt.name == "trailer" && hasPrefix(run.Notes, path+": no trailer") {
			t.Errorf("%s: notes %q; a damaged trailer is not a missing one", tt.name, run.Notes)
		}
	}
}

// TestVerdictNamesDamagedHeaders: the verdict names the first files whose
// header is damaged, and counts the others.
func TestVerdictNamesDamagedHeaders(t *testing.T) {
	r := passingRun()
	for i := range maxHeaderLostReasons + 2 {
		r.HeadersLost = append(r.HeadersLost, strings.Repeat("x", i+1)+".bin")
	}
	v := r.Verdict()
	if v.Pass || len(v.Reasons) != maxHeaderLostReasons+1 || v.Reasons[0] != "the header of x.bin is damaged: the thresholds it named are unknown" ||
		v.Reasons[maxHeaderLostReasons] != "and 2 more result files have a damaged header" {
		t.Errorf("verdict %+v; want a failure naming %d files and counting 2 more", v, maxHeaderLostReasons)
	}
}
