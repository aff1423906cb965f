package main

import (
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/reports"
)

func TestMedian(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, nan, 1, 2, 3}, 2.5},
		{[]float64{math.Inf(1), 1}, 1},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
	if got := median([]float64{nan}); !math.IsNaN(got) {
		t.Errorf("median(NaN) = %v, want NaN", got)
	}
}

func TestRatio(t *testing.T) {
	if got := ratio(3, 2); got != 1.5 {
		t.Errorf("ratio(3, 2) = %v", got)
	}
	for _, c := range [][2]float64{{1, 0}, {math.NaN(), 1}, {1, math.NaN()}} {
		if got := ratio(c[0], c[1]); !math.IsNaN(got) {
			t.Errorf("ratio(%v, %v) = %v, want NaN", c[0], c[1], got)
		}
	}
}

func TestOrderAlternates(t *testing.T) {
	if o := order(0); o != [2]string{"stampede", "vegeta"} {
		t.Errorf("pair 1: %v", o)
	}
	if o := order(1); o != [2]string{"vegeta", "stampede"} {
		t.Errorf("pair 2: %v", o)
	}
	if order(2) != order(0) {
		t.Error("pair 3 should run as pair 1")
	}
}

func TestParseStampede(t *testing.T) {
	doc := `{"schema":"stampede/summary/v1","requests":50000,"successes":49990,"duration_s":10.0001,
	"unsent":0,"records_written":50000,"latency_ms":{"p50":0.5,"p99":12.5},"verdict":{"pass":true}}`
	s, err := parseStampede([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 50000 || s.Successes != 49990 || s.RecordsWritten != 50000 || s.LatencyMs.P99 != 12.5 {
		t.Errorf("parsed %+v", s)
	}
	if got := s.achieved(); math.Abs(got-49990/10.0001) > 1e-9 {
		t.Errorf("achieved %v", got)
	}
	if _, err := parseStampede([]byte(`{"requests":1}`)); err == nil {
		t.Error("a document without the schema parsed")
	}
	if _, err := parseStampede([]byte("Target GET …")); err == nil {
		t.Error("a text summary parsed")
	}
	if got := (stampedeSummary{reports.JSONSummary{Successes: 1}}).achieved(); !math.IsNaN(got) {
		t.Errorf("achieved without a duration = %v", got)
	}
}

func TestParseVegeta(t *testing.T) {
	// vegeta report -type json of v12.13.0, as it prints it.
	doc := `{"latencies":{"total":4972824014,"mean":331521,"50th":274231,"90th":525397,"95th":695402,"99th":1495207,"max":4462190,"min":54372},"bytes_in":{"total":165000,"mean":11},"bytes_out":{"total":0,"mean":0},"earliest":"2026-12-07T07:12:19.223479599Z","latest":"2026-12-07T07:12:22.223218331Z","end":"2026-12-07T07:12:22.223518581Z","duration":2999738732,"wait":300250,"requests":15000,"rate":5000.435484592729,"throughput":4999.935030844209,"success":0.9,"status_codes":{"200":13500,"500":1500},"errors":[]}`
	v, err := parseVegeta([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if v.Requests != 15000 || v.successes() != 13500 || v.Latencies.P99 != 1495207 {
		t.Errorf("parsed %+v", v)
	}
	want := 13500 / ((2999738732.0 + 300250) / 1e9)
	if got := v.achieved(); math.Abs(got-want) > 1e-6 {
		t.Errorf("achieved %v, want %v", got, want)
	}
	if _, err := parseVegeta([]byte("Requests [total]")); err == nil {
		t.Error("a text report parsed")
	}
}

func TestTrueP99(t *testing.T) {
	for _, c := range []struct{ stall, every, want time.Duration }{
		{time.Second, 10 * time.Second, 900 * time.Millisecond},
		{300 * time.Millisecond, 3 * time.Second, 270 * time.Millisecond},
		{50 * time.Millisecond, 10 * time.Second, 0}, // under 1 % of the time: the p99 is not stalled
	} {
		if got := trueP99(c.stall, c.every); got != c.want {
			t.Errorf("trueP99(%v, %v) = %v, want %v", c.stall, c.every, got, c.want)
		}
	}
}

// TestTrueP99MatchesSchedule checks the formula against a constant-rate
// schedule over whole periods, each request waiting for the end of the
// stall window it arrives in, as benchtarget holds it.
func TestTrueP99MatchesSchedule(t *testing.T) {
	stall, every := time.Second, 10*time.Second
	const rate, periods = 1000, 3
	var lat []float64
	phase := 3700 * time.Millisecond // any phase: whole periods see the same share stalled
	for i := range rate * periods * int(every/time.Second) {
		at := phase + time.Duration(i)*time.Second/rate
		var wait time.Duration
		if p := at % every; p < stall {
			wait = stall - p
		}
		lat = append(lat, float64(wait)/1e6)
	}
	got := quantile(lat, 0.99)
	want := float64(trueP99(stall, every)) / 1e6
	if math.Abs(got-want) > 1 {
		t.Errorf("p99 of the schedule %v ms, formula %v ms", got, want)
	}
}

func TestServerP99(t *testing.T) {
	base := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	var sb strings.Builder
	line := func(arr time.Time, lat time.Duration) {
		sb.WriteString(strconv.FormatInt(arr.UnixNano(), 10) + " " + strconv.FormatInt(arr.Add(lat).UnixNano(), 10) + "\n")
	}
	for i := range 100 {
		line(base.Add(time.Duration(i)*time.Millisecond), time.Duration(i+1)*time.Millisecond)
	}
	line(base.Add(-time.Second), time.Hour) // before the run: left out
	line(base.Add(time.Hour), time.Hour)    // after it
	sb.WriteString("garbage\n")
	got := serverP99([]byte(sb.String()), base, base.Add(time.Second))
	if got != 99 {
		t.Errorf("server p99 %v ms, want 99", got)
	}
	if got := serverP99(nil, base, base); !math.IsNaN(got) {
		t.Errorf("no lines: %v", got)
	}
}

func TestTableAndGoals(t *testing.T) {
	cfg := defaultConfig(false)
	b := &bench{cfg: cfg, concurrent: false}
	add := func(cmp, tool string, s sample) {
		s.Cmp, s.Tool = cmp, tool
		b.samples = append(b.samples, s)
	}
	for _, v := range []float64{20000, 22000} {
		add("a", "vegeta", sample{Achieved: v})
	}
	add("d5000", "stampede", sample{Requests: 50000, CPU: 5, Achieved: 4999, RSSKiB: 30 << 10, FileBytes: 1_600_000, Records: 50000})
	add("d5000", "vegeta", sample{Requests: 50000, CPU: 4, Achieved: 4999.5, RSSKiB: 20 << 10, FileBytes: 8_000_000, Records: 50000})
	add("d5000", "stampede", sample{Err: "timed out", CPU: 1000}) // failed: left out
	add("f", "stampede", sample{P99ms: 950})
	add("f", "vegeta", sample{P99ms: 1200})
	var out strings.Builder
	writeTable(&out, b.rows())
	text := out.String()
	for _, want := range []string{
		"n/a (not built)", // (a) without --concurrency
		"21000/s",         // vegeta's median
		"100.0 µs",        // (b) 5 s / 50000
		"1.25×",           // its ratio, over 1.0: missed
		"32.0 B",          // (e) bytes per record
		"99.98 %",         // (d) achieved/offered
		"true 900 ms",     // (f)
		"1.056",           // 950/900
	} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	rowMet := func(prefix string) string {
		for l := range strings.Lines(text) {
			if strings.HasPrefix(l, prefix) {
				f := strings.Fields(l)
				return f[len(f)-1]
			}
		}
		t.Fatalf("no row %q:\n%s", prefix, text)
		return ""
	}
	for prefix, want := range map[string]string{
		"(a) max throughput":             "n/a",
		"(b) CPU per request":            "no",
		"(d) achieved/offered at 5000/s": "yes",
		"(d) achieved/offered at 10000":  "n/a",
		"(e) bytes per record":           "yes",
		"(f) p99, stall":                 "yes",
	} {
		if got := rowMet(prefix); got != want {
			t.Errorf("%s: met %q, want %q", prefix, got, want)
		}
	}
}

func TestTile(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.bin"), filepath.Join(dir, "dst.bin")
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	w, err := records.NewWriter(f, records.Header{Start: start, Duration: time.Second, Target: "GET http://127.0.0.1/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteClass(&records.Class{ID: 1, Status: 200, Category: records.CatSuccess}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		rec := records.Record{Seq: uint64(i), RequestID: uint64(i + 1), Scheduled: start.Add(time.Duration(i) * 100 * time.Millisecond),
			Latency: time.Millisecond, Status: 200, Class: 1, Attempt: 1}
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteTrailer(&records.Trailer{End: start.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	if err := tile(src, dst, 25); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := records.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	seqs, ids := map[uint64]bool{}, map[uint64]bool{}
	var prev time.Time
	n := 0
	for {
		var rec records.Record
		if err := r.Next(&rec); err != nil {
			break
		}
		n++
		if seqs[rec.Seq] || ids[rec.RequestID] {
			t.Errorf("record %d: seq %d or request id %d repeated", n, rec.Seq, rec.RequestID)
		}
		seqs[rec.Seq], ids[rec.RequestID] = true, true
		if !rec.Scheduled.After(prev) {
			t.Errorf("record %d scheduled at %v, not after %v", n, rec.Scheduled, prev)
		}
		if want := start.Add(time.Duration(n-1) * 100 * time.Millisecond); !rec.Scheduled.Equal(want) {
			t.Errorf("record %d scheduled at %v, want %v (the rate kept)", n, rec.Scheduled, want)
		}
		prev = rec.Scheduled
	}
	if n != 25 {
		t.Errorf("%d records, want 25", n)
	}
	if r.Skipped() != 0 {
		t.Errorf("%d bytes skipped", r.Skipped())
	}
	if tr := r.Trailer(); tr == nil || !tr.End.Equal(start.Add(3*time.Second)) {
		t.Errorf("trailer %+v, want its end moved by two copies", tr)
	}
	if len(r.Classes()) != 1 {
		t.Errorf("classes %v", r.Classes())
	}
}

func TestParseTime(t *testing.T) {
	var u usage
	if err := parseTime([]byte("10.01 4.20 1.10 25716\n"), &u); err != nil {
		t.Fatal(err)
	}
	if math.Abs(u.cpu-5.3) > 1e-9 || u.rssKiB != 25716 {
		t.Errorf("parsed %+v", u)
	}
	if err := parseTime([]byte("Command terminated by signal 9\n0.50 0.10 0.00 1200\n"), &u); err != nil || u.rssKiB != 1200 {
		t.Errorf("after a signal line: %+v, %v", u, err)
	}
	if err := parseTime([]byte("garbage"), &u); err == nil {
		t.Error("garbage parsed")
	}
}

// TestRunMeasuresTheChild checks that the peak RSS of a small child is its
// own, not this test process's (which holds 100 MiB here).
func TestRunMeasuresTheChild(t *testing.T) {
	if _, err := os.Stat(timeBin); err != nil {
		t.Skip(timeBin, "missing")
	}
	big := make([]byte, 100<<20)
	for i := range big {
		big[i] = 1
	}
	u, err := run(30*time.Second, "", "", "/bin/sh", "-c", "exit 3")
	if err != nil {
		t.Fatal(err)
	}
	if u.exit != 3 {
		t.Errorf("exit %d, want 3", u.exit)
	}
	if u.rssKiB <= 0 || u.rssKiB > 50<<10 {
		t.Errorf("peak RSS of sh: %d KiB (this process's own counted?)", u.rssKiB)
	}
	if big[len(big)-1] != 1 {
		t.Fatal("unreachable")
	}
	if _, err := run(200*time.Millisecond, "", "", "/bin/sleep", "10"); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("sleep 10 with a 200ms timeout: %v", err)
	}
}

// TestTileVegeta: vegeta's own results, repeated to exactly n, shifted by
// the run's span with fresh sequence numbers, headers and bodies kept.
func TestTileVegeta(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.gob"), filepath.Join(dir, "dst.gob")
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	enc := vegeta.NewEncoder(f)
	for i := range 10 {
		r := vegeta.Result{Seq: uint64(i), Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond), Code: 200,
			Latency: time.Millisecond, Body: []byte(`{"ok":true}`), Headers: http.Header{"Content-Type": {"application/json"}}}
		if err := enc.Encode(&r); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if err := tileVegeta(src, dst, 25); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dec := vegeta.NewDecoder(in)
	var got []vegeta.Result
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			break
		}
		got = append(got, r)
	}
	if len(got) != 25 {
		t.Fatalf("%d results; want 25", len(got))
	}
	seen := map[uint64]bool{}
	for i, r := range got {
		if want := start.Add(time.Duration(i) * 100 * time.Millisecond); !r.Timestamp.Equal(want) {
			t.Errorf("result %d at %s; want %s (copies a span of 1 s apart)", i, r.Timestamp, want)
		}
		if seen[r.Seq] || string(r.Body) != `{"ok":true}` || r.Headers.Get("Content-Type") != "application/json" {
			t.Errorf("result %d: seq %d (seen %v), body %q, headers %v", i, r.Seq, seen[r.Seq], r.Body, r.Headers)
		}
		seen[r.Seq] = true
	}
	if err := tileVegeta(filepath.Join(dir, "missing.gob"), dst, 5); err == nil {
		t.Error("tileVegeta of a missing file: no error")
	}
}
