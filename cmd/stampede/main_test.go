package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/reports"
	"github.com/stampede-dev/stampede/sim"
)

// runInProcess runs the CLI in-process and returns its exit code, stdout
// and stderr.
func runInProcess(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, abort: context.Background()}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// countingServer starts a local target that answers 200 and counts hits.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// readResults reads every record of a result file.
func readResults(t *testing.T, path string) (records.Header, []records.Record, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := records.NewReader(f)
	if err != nil {
		t.Fatalf("NewReader(%s): %v", path, err)
	}
	var recs []records.Record
	for {
		var rec records.Record
		if err := r.Next(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("Next: %v", err)
		}
		recs = append(recs, rec)
	}
	return r.Header(), recs, r.Skipped()
}

func TestAttackJSONMatchesResultFile(t *testing.T) {
	srv, hits := countingServer(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	code, stdout, stderr := runInProcess(t, "attack", "--url", srv.URL+"/x?api_key=s3cret", "-H", "Authorization: Bearer s3cret",
		"--rate", "200/s", "--duration", "1s", "-o", out, "--format", "json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	var doc reports.JSONSummary
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, stdout)
	}
	if doc.Schema != reports.SummarySchema {
		t.Errorf("schema = %q; want %q", doc.Schema, reports.SummarySchema)
	}
	if doc.Requests != 200 || doc.Status["200"] != 200 || hits.Load() != 200 {
		t.Errorf("requests = %d, status 200 = %d, server hits = %d; want 200 each", doc.Requests, doc.Status["200"], hits.Load())
	}
	if doc.RatePerS < 198 || doc.RatePerS > 202 {
		t.Errorf("rate = %.2f/s; want 200/s ±1%%", doc.RatePerS)
	}
	hdr, recs, skipped := readResults(t, out)
	if uint64(len(recs)) != doc.Requests || skipped != 0 {
		t.Errorf("result file has %d records (%d bytes skipped); want %d, 0", len(recs), skipped, doc.Requests)
	}
	for _, rec := range recs {
		if rec.Status != 200 || rec.BytesIn != 2 || rec.Attempt != 1 || rec.Latency < rec.Sent {
			t.Fatalf("record %+v: want status 200, 2 bytes in, attempt 1, latency >= sent", rec)
		}
	}
	whole := strings.Join(hdr.Command, " ") + hdr.Target
	if strings.Contains(whole, "s3cret") || strings.Contains(stdout, "s3cret") {
		t.Errorf("secret leaked: header command %q target %q", hdr.Command, hdr.Target)
	}
	if !strings.Contains(whole, "Authorization: [REDACTED]") {
		t.Errorf("header command %q: want the Authorization header redacted, not dropped", hdr.Command)
	}
}

func TestAttackTextSummary(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%4 == 0 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)
	out := filepath.Join(t.TempDir(), "r.bin")
	code, stdout, stderr := runInProcess(t, "attack", "-u", srv.URL, "-r", "100/s", "-d", "1s", "-o", out, "-q", "--uncorrected")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	for _, want := range []string{"requests", "100", "200 OK", "429 Too Many Requests", "75.00 %", "25.00 %", "from actual send", "send delay", "p99.9"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	_, recs, _ := readResults(t, out)
	var withRetry int
	for _, r := range recs {
		if r.Status == 429 && r.RetryAfter == "7" {
			withRetry++
		}
	}
	if withRetry != 25 {
		t.Errorf("records with 429 and Retry-After 7 = %d; want 25", withRetry)
	}
}

func TestAttackUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the one-line message
	}{
		{"negative rate", []string{"attack", "-u", "http://127.0.0.1:1/", "--rate", "-5/s"}, "--rate"},
		{"zero rate", []string{"attack", "-u", "http://127.0.0.1:1/", "--rate", "0"}, "--rate"},
		{"unknown pace", []string{"attack", "-u", "http://127.0.0.1:1/", "--pace", "zigzag"}, "--pace: unknown pace \"zigzag\""},
		{"malformed header", []string{"attack", "-u", "http://127.0.0.1:1/", "-H", "NoColonHere"}, "--header"},
		{"bad header name", []string{"attack", "-u", "http://127.0.0.1:1/", "-H", "Bad Name: x"}, "--header"},
		{"no target", []string{"attack"}, "give --url URL or --targets FILE"},
		{"bad url", []string{"attack", "-u", "ftp://127.0.0.1/"}, "--url"},
		{"unknown flag", []string{"attack", "--bogus"}, "--bogus"},
		{"typo of a flag", []string{"attack", "--rat", "5/s"}, "unknown flag: --rat; did you mean --rate?"},
		{"typo of a flag with a value", []string{"report", "--fromat=json"}, "unknown flag: --fromat; did you mean --format?"},
		{"bad duration", []string{"attack", "-u", "http://127.0.0.1:1/", "-d", "soon"}, "--duration"},
		{"negative duration", []string{"attack", "-u", "http://127.0.0.1:1/", "-d", "-1s"}, "--duration"},
		{"ramp without to", []string{"attack", "-u", "http://127.0.0.1:1/", "--pace", "ramp", "--ramp-from", "1/s"}, "--ramp-to"},
		{"flag of another pace", []string{"attack", "-u", "http://127.0.0.1:1/", "--pace", "ramp", "--steps", "1@1s"}, "--steps: applies only to --pace steps"},
		{"flags of two paces", []string{"attack", "-u", "http://127.0.0.1:1/", "--steps", "1@1s", "--sine-mean", "5/s"}, "--steps: applies only to --pace steps"},
		{"bad steps", []string{"attack", "-u", "http://127.0.0.1:1/", "--pace", "steps", "--steps", "100@"}, "--steps"},
		{"sine amplitude above mean", []string{"attack", "-u", "http://127.0.0.1:1/", "--pace", "sine", "--sine-mean", "10/s", "--sine-amplitude", "20/s"}, "amplitude"},
		{"bad format", []string{"attack", "-u", "http://127.0.0.1:1/", "--format", "xml"}, "--format"},
		{"body twice", []string{"attack", "-u", "http://127.0.0.1:1/", "--body", "x", "--body-file", "y"}, "--body"},
		{"missing body file", []string{"attack", "-u", "http://127.0.0.1:1/", "--body-file", "/nonexistent/body"}, "--body-file"},
		{"missing targets file", []string{"attack", "--targets", "/nonexistent/targets"}, "--targets"},
		{"unknown command", []string{"attak"}, `unknown command "attak" for "stampede"; did you mean attack?`},
		{"unknown help topic", []string{"help", "attak"}, `unknown help topic "attak"; did you mean attack?`},
		{"completion without shell", []string{"completion"}, "bash"},
		{"stray argument", []string{"attack", "http://127.0.0.1:1/"}, "attack takes no arguments"},
		{"method with targets", []string{"attack", "--targets", "/dev/null", "-m", "POST"}, "--method applies to --url"},
		{"bad method", []string{"attack", "-u", "http://127.0.0.1:1/", "-m", "GE T"}, "--method"},
		{"http2 on cleartext", []string{"attack", "-u", "http://127.0.0.1:1/", "--http2"}, "--http2"},
		{"zero connections", []string{"attack", "-u", "http://127.0.0.1:1/", "--connections", "0"}, "--connections 0"},
		{"endless body file", []string{"attack", "-u", "http://127.0.0.1:1/", "--body-file", "/dev/zero"}, "larger than the limit"},
		{"zero retry-after bound", []string{"attack", "-u", "http://127.0.0.1:1/", "--retry-after-max", "0s"}, "--retry-after-max 0s: want a positive duration"},
		{"closed model with a rate", []string{"attack", "-u", "http://127.0.0.1:1/", "--concurrency", "4", "--rate", "10/s"}, "--rate: a closed model (--concurrency)"},
		{"closed model with a pace", []string{"attack", "-u", "http://127.0.0.1:1/", "--concurrency", "4", "--pace", "sine"}, "--pace sine: a closed model"},
		{"closed model of no workers", []string{"attack", "-u", "http://127.0.0.1:1/", "--concurrency", "0"}, "--concurrency 0: want a whole number of workers"},
		{"closed model with max workers", []string{"attack", "-u", "http://127.0.0.1:1/", "--concurrency", "4", "--max-workers", "8"}, "--concurrency 4: is the number of workers"},
		{"closed model compared", []string{"attack", "-u", "http://127.0.0.1:1/", "--concurrency", "4", "--compare-retry", "none,immediate", "-o", ""}, "--concurrency and --compare-retry"},
		{"closed model retrying", []string{"attack", "-u", "http://127.0.0.1:1/", "--concurrency", "4", "--retry", "exponential"}, "--concurrency 4: retrying clients run in the open model"},
		{"output in missing dir", []string{"attack", "-u", "http://127.0.0.1:1/", "-o", "/nonexistent/dir/r.bin"}, "--output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runInProcess(t, tt.args...)
			if code != exitUsage {
				t.Errorf("run(%q) = exit %d; want %d (stderr %q)", tt.args, code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("run(%q) stderr = %q; want it to contain %q", tt.args, stderr, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 {
				t.Errorf("run(%q) printed %d lines of error; want 1:\n%s", tt.args, lines, stderr)
			}
			if strings.Contains(stderr, "goroutine") || stdout != "" {
				t.Errorf("run(%q): stdout %q, stderr %q; want nothing on stdout and no stack trace", tt.args, stdout, stderr)
			}
		})
	}
}

func TestHelpShowsExamples(t *testing.T) {
	for _, cmd := range [][]string{{"attack", "--help"}, {"version", "--help"}, {"completion", "--help"}, {"--help"}} {
		code, stdout, _ := runInProcess(t, cmd...)
		if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "stampede ") {
			t.Errorf("run(%q) = %d, output lacks Examples:\n%s", cmd, code, stdout)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	code, stdout, _ := runInProcess(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "stampede ") || !strings.Contains(stdout, "vegeta") {
		t.Errorf("version = %d %q; want 'stampede <version> … vegeta …'", code, stdout)
	}
	code, flagOut, _ := runInProcess(t, "--version")
	if code != 0 || flagOut != stdout {
		t.Errorf("--version = %d %q; want what version prints, %q", code, flagOut, stdout)
	}
	code, stdout, _ = runInProcess(t, "completion", "bash")
	if code != 0 || !strings.Contains(stdout, "__start_stampede") {
		t.Errorf("completion bash = %d, %d bytes; want a bash completion script", code, len(stdout))
	}
}

// binDir holds the binary built once for the tests that run it.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// buildBinary builds the stampede binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stampede-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "stampede")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// TestBinaryInterrupts runs the built binary, interrupts it with each
// signal mid-run and checks the exit code, the summary and that the result
// file holds every answered request.
func TestBinaryInterrupts(t *testing.T) {
	bin := buildBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hits := countingServer(t)
			out := filepath.Join(t.TempDir(), "r.bin")
			cmd := exec.Command(bin, "attack", "-u", srv.URL, "-r", "100/s", "-d", "30s", "-o", out, "--format", "json")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return hits.Load() >= 100 })
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.code {
				t.Fatalf("exit = %v; want code %d (stderr %s)", err, tc.code, stderr.String())
			}
			var doc reports.JSONSummary
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Fatalf("summary: %v\n%s", err, stdout.String())
			}
			if doc.Interrupted != tc.name {
				t.Errorf("interrupted = %q; want %q", doc.Interrupted, tc.name)
			}
			_, recs, skipped := readResults(t, out)
			if uint64(len(recs)) != doc.Requests || int64(doc.Requests) != hits.Load() || skipped != 0 {
				t.Errorf("records %d, summary %d, server hits %d, skipped %d; want all equal and 0 skipped", len(recs), doc.Requests, hits.Load(), skipped)
			}
			if doc.Requests >= 3000 {
				t.Errorf("requests = %d: the run did not stop early", doc.Requests)
			}
		})
	}
}

// TestBinaryKill9KeepsRecords kills the binary outright after 3 s of load:
// the result file must still hold at least 2 s of records.
func TestBinaryKill9KeepsRecords(t *testing.T) {
	bin := buildBinary(t)
	srv, _ := countingServer(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	cmd := exec.Command(bin, "attack", "-u", srv.URL, "-r", "200/s", "-d", "30s", "-o", out, "-q")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The run starts once the header is on disk; the scenario is a kill
	// after 3 s of load.
	waitFor(t, func() bool { fi, err := os.Stat(out); return err == nil && fi.Size() > 0 })
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	_, recs, _ := readResults(t, out)
	if len(recs) == 0 {
		t.Fatal("no records survived kill -9")
	}
	first, last := recs[0].Scheduled, recs[0].Scheduled
	for _, r := range recs {
		if r.Scheduled.Before(first) {
			first = r.Scheduled
		}
		if r.Scheduled.After(last) {
			last = r.Scheduled
		}
	}
	span := last.Sub(first)
	t.Logf("after kill -9 at ~3 s: %d records covering %s", len(recs), span)
	if span < 2*time.Second {
		t.Errorf("records cover %s after kill -9 at ~3 s; want at least 2s (%d records)", span, len(recs))
	}
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBinaryRate500For5s is the acceptance run of the foundation: 500/s for
// 5 s sends 2500 requests ±1%, and the JSON summary and result file agree.
func TestBinaryRate500For5s(t *testing.T) {
	bin := buildBinary(t)
	srv, hits := countingServer(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	cmd := exec.Command(bin, "attack", "--url", srv.URL+"/", "--rate", "500/s", "--duration", "5s", "-o", out, "--format", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var doc reports.JSONSummary
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout.String())
	}
	if doc.Requests < 2475 || doc.Requests > 2525 || int64(doc.Requests) != hits.Load() {
		t.Errorf("requests = %d, server hits = %d; want 2500 ±1%% and equal", doc.Requests, hits.Load())
	}
	_, recs, _ := readResults(t, out)
	if uint64(len(recs)) != doc.Requests || doc.Status["200"] != doc.Requests {
		t.Errorf("records = %d, status 200 = %d; want both %d", len(recs), doc.Status["200"], doc.Requests)
	}
}

// TestNoSecretLeaks: whatever the spelling of the flags, secrets reach
// neither the result file's header nor the summary nor error messages.
func TestNoSecretLeaks(t *testing.T) {
	srv, _ := countingServer(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	u := strings.Replace(srv.URL, "http://", "http://user:pw-SECRET1@", 1) + "/?session=SECRET2&q=ok"
	code, stdout, stderr := runInProcess(t, "attack", "-u"+u, "-kH", "X-API-Key: SECRET3", "-qH", "Authorization: Bearer SECRET4",
		"--header=Cookie: SECRET5", "--secret-header", "X-Tenant", "-H", "X-Tenant: SECRET6", "--body", "SECRET7",
		"-r", "10/s", "-d", "200ms", "-o", out, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	hdr, _, _ := readResults(t, out)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, where := range []string{string(raw), stdout, stderr} {
		if i := strings.Index(where, "SECRET"); i >= 0 {
			t.Errorf("secret leaked: …%s…", where[max(0, i-40):min(len(where), i+20)])
		}
	}
	cmd := strings.Join(hdr.Command, " ")
	for _, want := range []string{"--header=X-API-Key: [REDACTED]", "--header=Authorization: [REDACTED]", "--insecure=true", "q=ok"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("command %q lacks %q", cmd, want)
		}
	}

	// Errors name the problem without echoing the secret.
	for _, args := range [][]string{
		{"attack", "-u", "http://127.0.0.1:1/", "-H", "Authorization Bearer SECRET8"},
		{"attack", "-u", "ftp://user:SECRET9@127.0.0.1/"},
		{"attack", "-u", "http://127.0.0.1:1/%zzSECRET10"},
		// A password with a '/' breaks the URL where the password is.
		{"attack", "-u", "http://user:SECRET/11@127.0.0.1/"},
		// A header value split by the shell becomes stray arguments.
		{"attack", "-u", "http://127.0.0.1:1/", "-H", "Authorization:", "Bearer", "SECRET12"},
		{"serve", "SECRET13"},
		// A bad flag among secret ones: pflag quotes what it could not parse.
		{"attack", "-H", "X-API-Key: SECRET14", "-u", "http://127.0.0.1:1/", "--rate=SECRET14"},
		{"attack", "-u", "http://127.0.0.1:1/?token=SECRET15;x", "-d", "SECRET15"},
	} {
		code, _, stderr := runInProcess(t, args...)
		if code != exitUsage || strings.Contains(stderr, "SECRET") {
			t.Errorf("run(%q) = %d, %q; want exit 2 without the secret", args, code, stderr)
		}
	}
}

// TestBinaryInterruptWhileBlockedOnInput: the first SIGINT ends a run that
// is still waiting on a FIFO (-o with no reader, --body-file and --targets
// with no writer), with the interrupt's exit code.
func TestBinaryInterruptWhileBlockedOnInput(t *testing.T) {
	bin := buildBinary(t)
	srv, hits := countingServer(t)
	for _, flag := range []string{"-o", "--body-file", "--targets"} {
		t.Run(flag, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			args := []string{"attack", "-d", "1s", "-q", flag, fifo}
			if flag != "--targets" {
				args = append(args, "-u", srv.URL)
			}
			if flag != "-o" {
				args = append(args, "-o", "")
			}
			cmd := exec.Command(bin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			start := time.Now()
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 130 {
					t.Errorf("exit = %v; want 130 (stderr %s)", err, stderr.String())
				}
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("exit took %s after SIGINT; want it at once", took)
				}
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still blocked 5s after SIGINT (stderr %s)", stderr.String())
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("the server got %d requests; want none", hits.Load())
	}
}

// TestAttackHeaderNotWritten: a result file whose header cannot be written
// (a full disk) fails the run at once with exit 3, before any request
// leaves, and the progress display shows nothing of a run that never
// began.
func TestAttackHeaderNotWritten(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	srv, hits := countingServer(t)
	done := make(chan struct{})
	var code int
	var stderr string
	go func() {
		defer close(done)
		code, _, stderr = runInProcess(t, "attack", "--url", srv.URL, "--rate", "10/s", "--duration", "1s", "-o", "/dev/full")
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("attack with -o /dev/full did not end")
	}
	if code != exitRuntime || !strings.Contains(stderr, "write result file header") || strings.Contains(stderr, "[progress]") || hits.Load() != 0 {
		t.Errorf("exit %d, %d requests, stderr %q; want %d, none, the header's write error and no progress line", code, hits.Load(), stderr, exitRuntime)
	}
}

// TestPaceImpliedByItsFlags: a pace's own flags without --pace choose it
// (--steps alone is --pace steps), in the run and in its result file.
func TestPaceImpliedByItsFlags(t *testing.T) {
	srv, hits := countingServer(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		load string
		hits int64
	}{
		{[]string{"--steps", "10/s@200ms,20/s@200ms"}, "steps 10/s@200ms,20/s@200ms", 6},
		{[]string{"--ramp-from", "10/s", "--ramp-to", "30/s", "-d", "200ms"}, "ramp 10/s→30/s over 200ms", 4},
	} {
		out := filepath.Join(dir, "r.bin")
		before := hits.Load()
		code, _, stderr := runInProcess(t, append([]string{"attack", "-u", srv.URL, "-q", "-o", out}, tc.args...)...)
		if code != exitOK {
			t.Fatalf("%q: exit %d: %s", tc.args, code, stderr)
		}
		h, _, _ := readResults(t, out)
		if h.Pacer != tc.load || hits.Load()-before != tc.hits {
			t.Errorf("%q: load %q, %d requests; want %q, %d", tc.args, h.Pacer, hits.Load()-before, tc.load, tc.hits)
		}
	}
}

// TestCompletionOffersFlagValues: shell completion offers the values of
// --pace, --format (each command's own) and serve's --retry-after.
func TestCompletionOffersFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "attack", "--pace", ""}, profiles.Paces},
		{[]string{"__complete", "report", "--format", ""}, append(slices.Clone(reports.Formats), "vegeta-json")},
		{[]string{"__complete", "attack", "--format", ""}, reportFormats},
		{[]string{"__complete", "probe", "--format", ""}, []string{"text", "json"}},
		{[]string{"__complete", "serve", "--retry-after", ""}, sim.RetryAfterModes},
		{[]string{"__complete", "attack", "--retry", ""}, []string{"none", "immediate", "exponential", "decorrelated"}},
	} {
		code, stdout, _ := runInProcess(t, tc.args...)
		got := strings.Split(strings.TrimSpace(stdout), "\n")
		if code != 0 || len(got) == 0 || !slices.Equal(got[:len(got)-1], tc.want) {
			t.Errorf("%q: exit %d, %q; want %q", tc.args, code, got, tc.want)
		}
	}
}

// TestFormatFlagEverywhere: -f is --format in every command that has a
// --format, as in report.
func TestFormatFlagEverywhere(t *testing.T) {
	root := newRootCmd(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, abort: context.Background()})
	n := 0
	for _, c := range root.Commands() {
		if c.Flags().Lookup("format") == nil {
			continue
		}
		n++
		if f := c.Flags().ShorthandLookup("f"); f == nil || f.Name != "format" {
			t.Errorf("stampede %s: -f is %v; want --format", c.Name(), f)
		}
	}
	if n < 5 {
		t.Errorf("%d commands with --format; want attack, run, probe, report and grade-client at least", n)
	}
}

// TestSummaryInEveryFormat: attack and run print their summary in any
// report format, as report writes it.
func TestSummaryInEveryFormat(t *testing.T) {
	srv, _ := countingServer(t)
	for format, want := range map[string]string{"markdown": "| Threshold |", "junit": "<testsuites", "csv": "status,", "hgrm": "Value", "html": "<!DOCTYPE html>"} {
		code, stdout, stderr := runInProcess(t, "attack", "-u", srv.URL, "-r", "20/s", "-d", "100ms", "-q", "-o", "", "-f", format)
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("attack -f %s: exit %d, %q…; want %q in it (stderr %s)", format, code, stdout[:min(len(stdout), 200)], want, stderr)
		}
	}
	code, stdout, _ := runInProcess(t, "run", "mira-chat", "--base-url", srv.URL, "--dry-run", "-f", "junit")
	if code != exitOK {
		t.Errorf("run --dry-run -f junit: exit %d: %s", code, stdout)
	}
}
