package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/reports"
)

// TestBinaryRepeatedKill9 kills the binary with SIGKILL at seeded random
// moments, five times: every result file reads back with `stampede report`,
// holding every record the server answered but at most one flush interval
// of them (analyze.FlushInterval, checked on ticks of analyze.TickInterval)
// and those in flight, and the report says the run was cut.
func TestBinaryRepeatedKill9(t *testing.T) {
	bin := buildBinary(t)
	const (
		runs = 5
		rate = 200 // per second
	)
	rng := rand.New(rand.NewPCG(15, 9))
	// One flush interval of records (a flush is due on the first tick
	// FlushInterval after the last), and the attempts in flight at a
	// local target (a few), with one tick of slack for a loaded machine:
	// what a kill may cost.
	maxLost := int64(rate*(analyze.FlushInterval+2*analyze.TickInterval)/time.Second) + 20
	for i := range runs {
		killAt := 300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
		srv, hits := countingServer(t)
		out := filepath.Join(t.TempDir(), "r.bin")
		cmd := exec.Command(bin, "attack", "-u", srv.URL, "-r", "200/s", "-d", "3s", "-o", out, "-q")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { fi, err := os.Stat(out); return err == nil && fi.Size() > 0 })
		time.Sleep(killAt)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		seen := hits.Load()

		rep := exec.Command(bin, "report", "--format", "json", out)
		var stdout, stderr strings.Builder
		rep.Stdout, rep.Stderr = &stdout, &stderr
		err := rep.Run()
		code := rep.ProcessState.ExitCode()
		if code != 0 && code != 1 {
			t.Fatalf("run %d (kill at %s): report exit %d (%v); want 0 or 1\nstderr: %s", i, killAt, code, err, stderr.String())
		}
		var doc reports.JSONSummary
		if err := json.Unmarshal([]byte(stdout.String()), &doc); err != nil {
			t.Fatalf("run %d: report is not JSON: %v\n%s\nstderr: %s", i, err, stdout.String(), stderr.String())
		}
		lost := seen - int64(doc.Requests)
		t.Logf("run %d: killed %s after the header; server saw %d, the file holds %d (lost %d, at most %d allowed)",
			i, killAt.Round(time.Millisecond), seen, doc.Requests, lost, maxLost)
		if lost > maxLost || lost < 0 {
			t.Errorf("run %d: %d records of the %d requests the server saw; want at most %d lost, none invented", i, doc.Requests, seen, maxLost)
		}
		if doc.Verdict.Pass || code != 1 {
			t.Errorf("run %d: exit %d, verdict pass %v; want a failed verdict (the run did not finish)", i, code, doc.Verdict.Pass)
		}
		cut := false
		for _, r := range doc.Verdict.Reasons {
			cut = cut || strings.Contains(r, "crashed or was killed")
		}
		noted := false
		for _, n := range doc.Notes {
			noted = noted || strings.Contains(n, "a crash or a kill")
		}
		if !cut || !noted {
			t.Errorf("run %d: reasons %q, notes %q; want the run said cut (crashed or killed)", i, doc.Verdict.Reasons, doc.Notes)
		}
		if doc.RateLimit != nil {
			t.Errorf("run %d: a rate_limit section from a file without its trailer", i)
		}
	}
}
