package analyze

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

// classifiedFile writes n records, classified by c, the response of
// record i given by respond, and no trailer unless trailer is set.
func classifiedFile(t *testing.T, path string, c *classify.Classifier, n int, trailer bool, respond func(i int) (status uint16, url, body string)) {
	t.Helper()
	var buf bytes.Buffer
	w, err := records.NewWriter(&buf, records.Header{Start: t0, Target: "GET http://127.0.0.1:8080/"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		status, url, body := respond(i)
		rec := records.Record{Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond, Status: status, BytesIn: uint64(len(body))}
		b := []byte(body)
		if len(b) > c.BodyLimit() { // as the transport captures it
			b = b[:c.BodyLimit()]
		}
		cl := c.Classify(&classify.Response{Status: status, ContentType: "application/json", Body: b, BodyLen: rec.BytesIn, Method: "GET", URL: url})
		rec.Class, rec.ErrorCode, rec.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
		if cl.NewClass {
			if err := w.WriteClass(&cl.Class.Class); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if trailer {
		if err := w.WriteTrailer(&records.Trailer{End: t0.Add(time.Minute), Truncated: c.Truncated()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// classesOf renders the classes of a summary as "status code category
// count" lines, for comparing a live run with its replay.
func classesOf(s *Summary) string {
	var b strings.Builder
	for _, st := range s.ClassStats() {
		fmt.Fprintf(&b, "%d %q %s %s %d\n", st.Class.Status, st.Class.Code, st.Class.Category, st.Class.Dialect, st.Count)
	}
	return b.String()
}

// TestLoadKeepsTheRunsClasses: a file reads back into exactly the classes
// of the run that wrote it: more than the default limit of 200, and
// classes told apart only by an override rule with a path.
func TestLoadKeepsTheRunsClasses(t *testing.T) {
	dir := t.TempDir()
	t.Run("300 classes", func(t *testing.T) {
		c, err := classify.New(classify.Options{MaxClasses: 300})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "many.bin")
		classifiedFile(t, path, c, 800, true, func(i int) (uint16, string, string) {
			return 400, "http://127.0.0.1:8080/", fmt.Sprintf(`{"error": {"code": "E%d", "message": "bad"}}`, i%400)
		})
		run, err := load(context.Background(), []string{path}, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		stats := run.Summary.ClassStats()
		if len(stats) != 301 { // 300 codes and the overflow class of 400
			t.Fatalf("%d classes; want 301:\n%s", len(stats), classesOf(run.Summary))
		}
		for _, st := range stats {
			if st.Class.Dialect == classify.Skipped.String() {
				t.Errorf("class %d/%s was rebuilt from its records, not read from the file", st.Class.Status, st.Class.Code)
			}
		}
	})
	t.Run("path rules", func(t *testing.T) {
		rule, err := classify.ParseRule("path=/a,status=429,category=server_error")
		if err != nil {
			t.Fatal(err)
		}
		c, err := classify.New(classify.Options{Rules: []classify.Rule{rule}})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "paths.bin")
		classifiedFile(t, path, c, 80, true, func(i int) (uint16, string, string) {
			return 429, "http://127.0.0.1:8080/" + []string{"a", "b"}[i%2], `{"detail": "Too many requests"}`
		})
		run, err := load(context.Background(), []string{path}, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := classesOf(run.Summary)
		if want := "429 \"\" server_error detail 40\n429 \"\" rate_limit detail 40\n"; got != want {
			t.Errorf("classes:\n%s\nwant:\n%s", got, want)
		}
	})
}

// TestLoadUnfinishedAndDuplicates: a version 3 file without a trailer
// fails the verdict; the same shard twice is noted; the bodies cut for
// classification add up over files.
func TestLoadUnfinishedAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	c, _ := classify.New(classify.Options{})
	crashed := filepath.Join(dir, "crashed.bin")
	classifiedFile(t, crashed, c, 50, false, func(int) (uint16, string, string) { return 200, "http://127.0.0.1:8080/", "" })
	run, err := load(context.Background(), []string{crashed}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := run.Verdict(); v.Pass || run.Unfinished != 1 || !strings.Contains(strings.Join(v.Reasons, ";"), "crashed or was killed") {
		t.Errorf("verdict %+v, unfinished %d; want a failure for the missing end", v, run.Unfinished)
	}
	a := filepath.Join(dir, "a.bin")
	shard(t, a, "a", 100, func(int) bool { return true })
	run, err = load(context.Background(), []string{a, a}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(run.Notes, "\n"); !strings.Contains(notes, `both shard "a" of run run-1`) {
		t.Errorf("notes lack the duplicate: %s", notes)
	}
	// Truncated bodies add up whatever the order of the files.
	small, _ := classify.New(classify.Options{BodyLimit: 8})
	cut := filepath.Join(dir, "cut.bin")
	classifiedFile(t, cut, small, 5, true, func(int) (uint16, string, string) {
		return 400, "http://127.0.0.1:8080/", `{"error": {"code": "long_enough_to_cut"}}`
	})
	v := vegetaFile(t, dir)
	for _, order := range [][]string{{cut, v}, {v, cut}} {
		run, err := load(context.Background(), order, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if run.Truncated != 5 {
			t.Errorf("%v: %d truncated bodies; want 5", order, run.Truncated)
		}
	}
}

// TestLoadCancelled: a cancelled context stops the reading.
func TestLoadCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.bin")
	shard(t, path, "", 10000, func(int) bool { return true })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := load(ctx, []string{path}, FileOptions{}); err != context.Canceled {
		t.Errorf("Load with a cancelled context: %v; want context.Canceled", err)
	}
}

// TestLoadProbeWithEmptyResults: a probe report beside a result file
// without records does not hide that no request was made.
func TestLoadProbeWithEmptyResults(t *testing.T) {
	dir := t.TempDir()
	c, _ := classify.New(classify.Options{})
	empty := filepath.Join(dir, "empty.bin")
	classifiedFile(t, empty, c, 0, true, nil)
	probe := filepath.Join(dir, "probe.json")
	os.WriteFile(probe, []byte(`{"schema": "stampede/probe/v1", "target": "GET /", "verdict": "honest", "probe": {"rounds": []}}`), 0o644)
	run, err := load(context.Background(), []string{empty, probe}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := run.Verdict(); v.Pass || !strings.Contains(strings.Join(v.Reasons, ";"), "no request was made") {
		t.Errorf("verdict %+v; want a failure: the result file has no request", v)
	}
	run, err = load(context.Background(), []string{probe}, FileOptions{})
	if err != nil || !run.Verdict().Pass {
		t.Errorf("an honest probe alone: %v, verdict %+v; want a pass", err, run.Verdict())
	}
}

// TestTrailerMaxLateness: a trailer's max_lateness_ms becomes the run's
// bound; one that is negative or beyond a day (a crafted file) is unknown.
func TestTrailerMaxLateness(t *testing.T) {
	for _, tc := range []struct {
		ms   int64
		want time.Duration
	}{
		{1000, time.Second}, {0, 0}, {-5, 0}, {86_400_000, 24 * time.Hour}, {86_400_001, 0}, {18446744073710, 0}, {math.MaxInt64, 0},
	} {
		b := newBuilder()
		b.begin(&Event{Kind: EventBegin, Header: records.Header{Version: records.FormatVersion}, Source: "r.bin"})
		b.end(&End{Trailer: &records.Trailer{Unsent: 3, MaxLatenessMs: tc.ms}})
		if b.run.MaxLateness != tc.want {
			t.Errorf("max_lateness_ms %d: MaxLateness %s; want %s", tc.ms, b.run.MaxLateness, tc.want)
		}
	}
}
