package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/reports"
)

// pathCounter is a local target that counts the requests of each path.
type pathCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (p *pathCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.counts[r.URL.Path]++
	p.mu.Unlock()
	w.Write([]byte("ok"))
}

// total returns the requests counted, and a copy of the counts by path.
func (p *pathCounter) total() (int, map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.counts {
		n += c
	}
	return n, maps.Clone(p.counts)
}

// TestBinaryFourShards runs 4 shards of one attack (--shard i/4) as
// separate processes against one local server, with a targets file of 8
// paths: the server sees the offered rate × duration, every path its
// eighth, and `stampede report` of the 4 files (a pattern it expands
// itself) equals the report of the same records read as one file. A
// shard left out fails the verdict, saying which.
func TestBinaryFourShards(t *testing.T) {
	bin := buildBinary(t)
	target := &pathCounter{counts: map[string]int{}}
	srv := httptest.NewServer(target)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	var list strings.Builder
	for j := range 8 {
		fmt.Fprintf(&list, "GET %s/t%d\n\n", srv.URL, j)
	}
	targets := filepath.Join(dir, "targets.txt")
	if err := os.WriteFile(targets, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	const shards, rate, seconds = 4, 400, 3
	runShards(t, bin, shards, func(i int) []string {
		return []string{"attack", "--targets", targets, "-r", fmt.Sprintf("%d/s", rate), "-d", fmt.Sprintf("%ds", seconds),
			"--shard", fmt.Sprintf("%d/%d", i, shards), "--run-id", "four", "-o", filepath.Join(dir, fmt.Sprintf("shard-%d.bin", i)), "-q"}
	})
	seen, byPath := target.total()
	t.Logf("the server saw %d requests (offered %d/s × %ds = %d), by path %v", seen, rate, seconds, rate*seconds, byPath)
	if seen != rate*seconds {
		t.Errorf("the server saw %d requests; want %d, the offered rate × duration (the shards' schedules add up exactly)", seen, rate*seconds)
	}
	for j := range 8 {
		if n := byPath[fmt.Sprintf("/t%d", j)]; n != seen/8 {
			t.Errorf("path /t%d: %d requests; want %d, an eighth (each shard sends 2 of the 8 targets)", j, n, seen/8)
		}
	}
	code, merged, stderr := runBin(t, bin, "report", "--format", "json", filepath.Join(dir, "shard-*.bin"))
	if code != 0 {
		t.Fatalf("report of the 4 shards: exit %d\n%s", code, stderr)
	}
	whole := concatenate(t, dir, shards)
	code, single, stderr := runBin(t, bin, "report", "--format", "json", whole)
	if code != 0 {
		t.Fatalf("report of the records as one file: exit %d\n%s", code, stderr)
	}
	compareSummaries(t, merged, single, seen)
	missingShard(t, bin, dir)
}

// runShards runs the shards' processes at once and waits for each, which
// must exit 0.
func runShards(t *testing.T, bin string, n int, args func(i int) []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range n {
		cmds[i] = exec.CommandContext(ctx, bin, args(i)...)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("shard %d/%d: %v\n%s", i, n, err, outs[i].String())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// runBin runs the binary to its end (within a minute) and returns its
// exit code, standard output and standard error.
func runBin(t *testing.T, bin string, args ...string) (int, []byte, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s %q: %v", bin, args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.Bytes(), stderr.String()
}

// concatenate writes the records of the shards' files into one file, as
// one process would have written them (classified again from their
// fields), and returns its path.
func concatenate(t *testing.T, dir string, shards int) string {
	t.Helper()
	var all []records.Record
	var start time.Time
	for i := range shards {
		h, recs, skipped := readResults(t, filepath.Join(dir, fmt.Sprintf("shard-%d.bin", i)))
		if skipped != 0 || h.Shard != fmt.Sprintf("%d/%d", i, shards) || h.RunID != "four" || h.Pacer != "constant 400/s" {
			t.Fatalf("shard %d: skipped %d, header shard %q run %q pacer %q; want %d/%d of run four, the whole shape", i, skipped, h.Shard, h.RunID, h.Pacer, i, shards)
		}
		if start.IsZero() || h.Start.Before(start) {
			start = h.Start
		}
		all = append(all, recs...)
	}
	slices.SortStableFunc(all, func(a, b records.Record) int { return a.Scheduled.Compare(b.Scheduled) })
	path := filepath.Join(dir, "whole.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := records.NewWriter(f, records.Header{Start: start, Pacer: "constant 400/s", RunID: "whole", Tool: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		all[i].Class = 0
		if err := w.Write(&all[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteTrailer(&records.Trailer{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

// compareSummaries checks that the merged report and the single file's
// agree on every count, percentile and the timeline.
func compareSummaries(t *testing.T, merged, single []byte, seen int) {
	t.Helper()
	var dm, ds map[string]any
	if err := json.Unmarshal(merged, &dm); err != nil {
		t.Fatalf("merged: %v\n%s", err, merged)
	}
	if err := json.Unmarshal(single, &ds); err != nil {
		t.Fatalf("single: %v\n%s", err, single)
	}
	for _, key := range []string{"requests", "successes", "status", "transport_errors", "latency_ms", "latency_uncorrected_ms", "send_delay_ms",
		"rate_per_s", "throughput_per_s", "duration_s", "bytes_in", "bytes_out", "timeline"} {
		a, _ := json.Marshal(dm[key])
		b, _ := json.Marshal(ds[key])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs:\n 4 shards: %s\n one file: %s", key, a, b)
		}
	}
	var doc reports.JSONSummary
	if err := json.Unmarshal(merged, &doc); err != nil {
		t.Fatal(err)
	}
	t.Logf("merged: %d requests, %.2f/s offered over %.3fs, p99 %.3fms, shards %v", doc.Requests, doc.RatePerS, doc.DurationS, doc.LatencyMs.P99, doc.Shards)
	if int(doc.Requests) != seen || !doc.Verdict.Pass || doc.RunID != "four" || len(doc.Shards) != 4 {
		t.Errorf("merged: %d requests (server %d), pass %v %q, run %q, shards %v; want all, a pass, run four, 4 shards",
			doc.Requests, seen, doc.Verdict.Pass, doc.Verdict.Reasons, doc.RunID, doc.Shards)
	}
}

// missingShard checks that a report of 3 of the 4 shards fails, saying
// which is missing, in the JSON, Markdown and JUnit reports.
func missingShard(t *testing.T, bin, dir string) {
	t.Helper()
	md, xml := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.xml")
	code, out, stderr := runBin(t, bin, "report", "--format", "json", "--report", "markdown="+md, "--report", "junit="+xml,
		filepath.Join(dir, "shard-0.bin"), filepath.Join(dir, "shard-1.bin"), filepath.Join(dir, "shard-3.bin"))
	const want = "3 of 4 shards read; shard 2/4 is missing"
	var doc reports.JSONSummary
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("report of 3 shards: %v\n%s", err, stderr)
	}
	if code != exitThreshold || doc.Verdict.Pass || !slices.ContainsFunc(doc.Verdict.Reasons, func(r string) bool { return strings.Contains(r, want) }) {
		t.Errorf("report of 3 of 4 shards: exit %d, pass %v, reasons %q; want exit 1 saying %q", code, doc.Verdict.Pass, doc.Verdict.Reasons, want)
	}
	if len(doc.ShardsMissing) != 1 || doc.ShardsMissing[0].RunID != "four" || fmt.Sprint(doc.ShardsMissing[0].Missing) != "[2]" || doc.ShardsMissing[0].Read != 3 {
		t.Errorf("report of 3 of 4 shards: shards_missing %+v; want run four, 3 read, [2] missing", doc.ShardsMissing)
	}
	for _, path := range []string{md, xml} {
		if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v; want it to say %q:\n%s", filepath.Base(path), err, want, b)
		}
	}
}

// TestShardFlag checks what --shard accepts and refuses on attack and
// run, and that a closed model's workers are dealt among the shards.
func TestShardFlag(t *testing.T) {
	srv, _ := countingServer(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // a fragment of stderr, or of the result file's header "shard concurrency"
	}{
		{"index too high", []string{"attack", "-u", srv.URL, "--shard", "4/4", "--run-id", "r"}, exitUsage,
			"--shard 4/4: index must be 0..3 (shards are numbered from 0, as Kubernetes' JOB_COMPLETION_INDEX)"},
		{"bare number", []string{"attack", "-u", srv.URL, "--shard", "2"}, exitUsage, "--shard 2: want index/count, such as 0/4"},
		{"no run id", []string{"attack", "-u", srv.URL, "--shard", "1/4"}, exitUsage, "--shard 1/4: give --run-id ID too, the same for all 4 shards"},
		{"run: index too high", []string{"run", "mira-chat", "--dry-run", "--shard", "9/4", "--run-id", "r"}, exitUsage, "--shard 9/4: index must be 0..3"},
		{"no worker left", []string{"attack", "-u", srv.URL, "--concurrency", "3", "--shard", "3/4", "--run-id", "r", "-d", "1s"}, exitUsage,
			"--shard 3/4 with --concurrency 3: concurrency 3 dealt among 4 shards leaves shard 3/4 none: run at most 3 shards, or raise the concurrency"},
		{"workers dealt", []string{"attack", "-u", srv.URL, "--concurrency", "5", "--shard", "1/2", "--run-id", "r", "-d", "300ms"}, exitOK, "1/2 2 closed model, 5 workers"},
		{"open model", []string{"attack", "-u", srv.URL, "-r", "40/s", "--shard", "0/2", "--run-id", "r", "-d", "300ms"}, exitOK, "0/2 0 constant 40/s"},
		{"label", []string{"attack", "-u", srv.URL, "-r", "20/s", "--shard", "eu-west", "-d", "300ms"}, exitOK, "eu-west 0 constant 20/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".bin")
			args := append(tc.args, "-q")
			if tc.args[0] == "attack" {
				args = append(args, "-o", out)
			}
			code, _, stderr := runInProcess(t, args...)
			if code != tc.code {
				t.Fatalf("stampede %q: exit %d; want %d\n%s", args, code, tc.code, stderr)
			}
			if tc.code != exitOK {
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("stampede %q: stderr %q; want %q", args, stderr, tc.want)
				}
				return
			}
			h, _, _ := readResults(t, out)
			if got := fmt.Sprintf("%s %d %s", h.Shard, h.Concurrency, h.Pacer); got != tc.want {
				t.Errorf("stampede %q: header %q; want %q (the shard, its workers, the whole run's load)", args, got, tc.want)
			}
		})
	}
}

// TestShardDefersTheVerdict: a shard of a split run whose own records
// fail the thresholds exits 0, saying so: the run's verdict is the
// report's of every shard.
func TestShardDefersTheVerdict(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	t.Cleanup(failing.Close)
	out := filepath.Join(t.TempDir(), "s.bin")
	code, _, stderr := runInProcess(t, "attack", "-u", failing.URL, "-r", "20/s", "-d", "300ms", "--shard", "1/2", "--run-id", "r", "-o", out, "-q")
	const want = "stampede: shard 1/2 alone: verdict FAIL"
	if code != exitOK || !strings.Contains(stderr, want) || !strings.Contains(stderr, "the run's verdict is that of stampede report on its 2 shards' files") {
		t.Errorf("a failing shard 1/2: exit %d, stderr %q; want 0 and %q", code, stderr, want)
	}
	if code, _, stderr := runInProcess(t, "report", out); code != exitThreshold || !strings.Contains(stderr, "1 of 2 shards read; shard 0/2 is missing") {
		t.Errorf("report of the failing shard alone: exit %d, %q; want 1, saying shard 0/2 is missing", code, stderr)
	}
	// Every shard failing, each exiting 0: the whole run's report fails.
	other := filepath.Join(filepath.Dir(out), "s0.bin")
	if code, _, stderr := runInProcess(t, "attack", "-u", failing.URL, "-r", "20/s", "-d", "300ms", "--shard", "0/2", "--run-id", "r", "-o", other, "-q"); code != exitOK {
		t.Fatalf("failing shard 0/2: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runInProcess(t, "report", out, other); code != exitThreshold || !strings.Contains(stderr, "server errors") || strings.Contains(stderr, "missing") {
		t.Errorf("report of both failing shards: exit %d, %q; want 1 for the server errors, no shard missing", code, stderr)
	} // Without a result file, nothing would carry its failure: refused.
	for _, cmd := range [][]string{{"attack", "-u", failing.URL, "-r", "20/s", "-d", "300ms"}, {"run", "mira-chat", "--base-url", failing.URL}} {
		args := append(cmd, "--shard", "1/2", "--run-id", "r", "-o", "", "-q")
		if code, _, stderr := runInProcess(t, args...); code != exitUsage || !strings.Contains(stderr, "--shard 1/2: give --output FILE") {
			t.Errorf("stampede %q: exit %d, %q; want %d asking for --output", args, code, stderr, exitUsage)
		}
	}
}

// TestReportPatterns: report expands a pattern that names no file itself
// (for containers with no shell); one matching nothing, or malformed, is
// a usage error.
func TestReportPatterns(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ arg, want string }{
		{filepath.Join(dir, "none-*.bin"), "no file matches the pattern"},
		{filepath.Join(dir, "[.bin"), "syntax error in pattern"},
	} {
		code, _, stderr := runInProcess(t, "report", tc.arg)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("report %s: exit %d, %q; want 2 saying %q", tc.arg, code, stderr, tc.want)
		}
	}
}
