package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/reports"
)

// leakSecrets are the credentials of TestSecretsNeverLeak: one random
// marker each, so that every encoding of one is unique.
type leakSecrets struct {
	password, bearer, apiKey, cookie, tenant, session string
}

func newLeakSecrets(t *testing.T) leakSecrets {
	t.Helper()
	// 16 random hex characters, then characters that URL encodings change.
	r := func(tail string) string {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b) + tail
	}
	return leakSecrets{r("+/&@"), r("+/="), r("+&="), r("/+"), r(" +/&"), r("+/&= ")}
}

func (s leakSecrets) named() map[string]string {
	return map[string]string{"userinfo password": s.password, "bearer token": s.bearer, "X-API-Key": s.apiKey,
		"cookie": s.cookie, "X-Tenant (--secret-header)": s.tenant, "session query value": s.session}
}

// leakForm is one searchable form of one secret.
type leakForm struct{ secret, form, text string }

// secretForms lists every form a secret may leak in: raw, URL-escaped,
// base64 (standard and URL alphabets) at each of the 3 alignments (the
// characters that depend on the secret's bytes only), and the Basic
// credentials of the password. The random part alone finds a secret cut
// at one of its special characters.
func secretForms(s leakSecrets) []leakForm {
	var forms []leakForm
	for name, v := range s.named() {
		add := func(form, text string) { forms = append(forms, leakForm{name, form, text}) }
		add("raw", v)
		add("its random part", v[:16])
		add("query-escaped", url.QueryEscape(v))
		add("path-escaped", url.PathEscape(v))
		for _, enc := range []struct {
			name string
			e    *base64.Encoding
		}{{"base64", base64.StdEncoding}, {"base64url", base64.URLEncoding}} {
			for p := range 3 {
				b64 := enc.e.EncodeToString([]byte(strings.Repeat("a", p) + v))
				start, end := (8*p+5)/6, 8*(p+len(v))/6
				add(fmt.Sprintf("%s, alignment %d", enc.name, p), b64[start:end])
			}
		}
	}
	forms = append(forms, leakForm{"userinfo password", "Basic credentials", base64.StdEncoding.EncodeToString([]byte("user:" + s.password))})
	return forms
}

// leakScanner collects every text the commands wrote, to be searched for
// every form of every secret.
type leakScanner struct {
	mu    sync.Mutex
	texts map[string]string
}

func (l *leakScanner) add(where, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.texts == nil {
		l.texts = map[string]string{}
	}
	l.texts[where] += text
}

// holds reports whether any text collected so far holds sub.
func (l *leakScanner) holds(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, text := range l.texts {
		if strings.Contains(text, sub) {
			return true
		}
	}
	return false
}

// addDir adds every file under dir.
func (l *leakScanner) addDir(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		l.add("file "+rel, string(raw))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// check fails the test for each form found, saying where with ±40
// characters of context, the found form itself replaced.
func (l *leakScanner) check(t *testing.T, forms []leakForm) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	wheres := make([]string, 0, len(l.texts))
	for w := range l.texts {
		wheres = append(wheres, w)
	}
	sort.Strings(wheres)
	for _, where := range wheres {
		text := l.texts[where]
		for _, f := range forms {
			if i := strings.Index(text, f.text); i >= 0 {
				ctx := text[max(0, i-40):i] + "<" + f.form + ">" + text[i+len(f.text):min(len(text), i+len(f.text)+40)]
				t.Errorf("%s holds the %s (%s): …%q…", where, f.secret, f.form, ctx)
			}
		}
	}
}

// checkLeakForms checks that the forms find each secret as it travels:
// in an Authorization header's base64 at any offset, as Basic
// credentials, in a URL-encoded JSON value.
func checkLeakForms(t *testing.T, s leakSecrets, forms []leakForm) {
	t.Helper()
	for name, v := range s.named() {
		for _, text := range []string{
			base64.StdEncoding.EncodeToString([]byte("Bearer " + v)),
			base64.URLEncoding.EncodeToString([]byte(`{"k":"` + v + `"}`)),
			base64.StdEncoding.EncodeToString([]byte("user:" + v)),
			url.QueryEscape(`{"k":"` + v + `"}`),
		} {
			found := false
			for _, f := range forms {
				found = found || (f.secret == name && strings.Contains(text, f.text))
			}
			if !found {
				t.Errorf("no form of the %s finds it in %q", name, text)
			}
		}
	}
}

// echoEverythingServer answers in turn 200, 429 and 503, each echoing the
// request's headers, query and body, as they are and in base64: in a JSON error body (a dialect
// stampede reads), in X-Echo, in Retry-After (every other 429 gets a
// secret header's value) and, every fifth request, in bytes written on the
// connection after a complete response.
func echoEverythingServer(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	printable := regexp.MustCompile(`[^\x20-\x7e]`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		var echo strings.Builder
		var body bytes.Buffer
		body.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<16))
		r.Header.Write(&echo)
		echo.WriteString("query: " + r.URL.RawQuery + "\r\nbody: " + body.String())
		// The echo also goes out in base64, at an alignment that changes
		// with each request.
		pad := strings.Repeat("x", int(i%3))
		echo.WriteString("\r\nbase64: " + base64.StdEncoding.EncodeToString([]byte(pad+echo.String())))
		echo.WriteString("\r\nbase64url: " + base64.RawURLEncoding.EncodeToString([]byte(pad+pad+echo.String())))
		flat := printable.ReplaceAllString(echo.String(), " ")
		if i%5 == 0 {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			buf.Flush()
			time.Sleep(20 * time.Millisecond) // the client's connection is idle by now
			buf.WriteString(echo.String())
			buf.Flush()
			return
		}
		status := []int{http.StatusOK, http.StatusTooManyRequests, http.StatusServiceUnavailable}[i%3]
		w.Header().Set("X-Echo", flat)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case status == http.StatusTooManyRequests && i%2 == 0:
			after := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if tenant := r.Header.Get("X-Tenant"); tenant != "" && i%4 == 0 {
				after = tenant
			}
			w.Header().Set("Retry-After", after)
		case status != http.StatusOK:
			w.Header().Set("Retry-After", "1")
		}
		msg, _ := json.Marshal(flat)
		w.WriteHeader(status)
		code := map[int]string{200: "ok", 429: "rate_limited", 503: "unavailable"}[status]
		fmt.Fprintf(w, `{"error":{"code":%q,"type":"echo","message":%s}}`, code, msg)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runBinary runs the built binary in dir with env added, within limit,
// and adds its stdout and stderr to the scanner; it returns the exit code.
func runBinary(t *testing.T, l *leakScanner, name, bin, dir string, env []string, limit time.Duration, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("%s: %v", name, err)
	}
	l.add(name+" stdout", stdout.String())
	l.add(name+" stderr", stderr.String())
	return code, stdout.String(), stderr.String()
}

// shellQuote quotes args for sh.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// TestSecretsNeverLeak runs every command of the built binary with
// credentials of every kind (Basic from a URL's user info, Bearer,
// X-API-Key, Cookie, a --secret-header, a secret query value) against a
// server that echoes them back in bodies, headers, Retry-After and
// unsolicited bytes, and searches every file written, stdout, stderr and
// the progress display for every form of every secret.
func TestSecretsNeverLeak(t *testing.T) {
	bin := buildBinary(t)
	srv := echoEverythingServer(t)
	s := newLeakSecrets(t)
	forms := secretForms(s)
	env := []string{"LEAK_TOKEN=" + s.bearer, "LEAK_APIKEY=" + s.apiKey, "LEAK_COOKIE=" + s.cookie,
		"LEAK_TENANT=" + s.tenant, "LEAK_SESSION=" + url.QueryEscape(s.session), "LEAK_URL=" + srv.URL}
	checkLeakForms(t, s, forms)
	dir := t.TempDir()
	var l leakScanner
	sane := func(t *testing.T, name string, code int, stderr string) {
		t.Helper()
		if code != 0 && code != exitThreshold {
			t.Errorf("%s: exit %d; want 0 or 1: %s", name, code, lastLines(stderr, 5))
		}
	}
	query := "/v1/echo?session=" + url.QueryEscape(s.session) + "&q=ok"
	withUser, _ := url.Parse(srv.URL)
	withUser.User = url.UserPassword("user", s.password)
	basicURL, bearerURL := withUser.String()+query, srv.URL+query
	common := []string{"-H", "X-API-Key: " + s.apiKey, "-H", "Cookie: sid=" + s.cookie, "--secret-header", "X-Tenant",
		"-H", "X-Tenant: " + s.tenant, "-r", "40/s", "-d", "1s", "--timeout", "2s"}

	t.Run("live", func(t *testing.T) {
		t.Run("bearer-every-report", func(t *testing.T) {
			t.Parallel()
			args := append([]string{"attack", "-u", bearerURL, "-H", "Authorization: Bearer " + s.bearer,
				"-o", "bearer.bin", "--format", "json", "--retry", "immediate", "--retry-max", "1"}, common...)
			for _, f := range reports.Formats {
				args = append(args, "--report", f+"=attack-report."+f)
			}
			code, _, stderr := runBinary(t, &l, "attack (bearer, json, reports)", bin, dir, env, 20*time.Second, args...)
			sane(t, "attack (bearer)", code, stderr)
		})
		t.Run("basic-text", func(t *testing.T) {
			t.Parallel()
			args := append([]string{"attack", "-u", basicURL, "-o", "basic.bin", "--format", "text", "--histogram"}, common...)
			code, _, stderr := runBinary(t, &l, "attack (basic, text)", bin, dir, env, 20*time.Second, args...)
			sane(t, "attack (basic)", code, stderr)
		})
		t.Run("terminal-progress", func(t *testing.T) {
			t.Parallel()
			script, err := exec.LookPath("script")
			if err != nil {
				t.Skip("no script(1) for a terminal")
			}
			args := append([]string{bin, "attack", "-u", bearerURL, "-H", "Authorization: Bearer " + s.bearer,
				"-o", ""}, slices.Concat(common, []string{"-d", "2s"})...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			// script(1) gives the binary a terminal, stty a size: the live bar draws.
			cmd := exec.CommandContext(ctx, script, "-qfec", "stty cols 120 rows 40; exec "+shellQuote(args), "/dev/null")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), append(env, "TERM=xterm", "COLUMNS=120", "LINES=40")...)
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), "\x1b[") || !strings.Contains(string(out), "Latency") {
				t.Errorf("the attack on a terminal drew no live display or no summary (%d bytes)", len(out))
			}
			l.add("attack on a terminal (progress bar)", string(out))
		})
		t.Run("probe", func(t *testing.T) {
			t.Parallel()
			for _, format := range []string{"text", "json"} {
				code, _, stderr := runBinary(t, &l, "probe --format "+format, bin, dir, env, 20*time.Second,
					"probe", "-u", bearerURL, "-H", "Authorization: Bearer "+s.bearer, "-H", "X-API-Key: "+s.apiKey,
					"-H", "Cookie: sid="+s.cookie, "--secret-header", "X-Tenant", "-H", "X-Tenant: "+s.tenant,
					"--start-rate", "20/s", "--step", "200ms", "--max-rate", "40/s", "--rounds", "1", "--max-time", "3s",
					"--max-requests", "40", "--margin", "50ms", "--timeout", "2s", "--format", format)
				if code != 0 && code != 1 && code != 3 {
					t.Errorf("probe --format %s: exit %d: %s", format, code, lastLines(stderr, 5))
				}
			}
		})
		t.Run("run", func(t *testing.T) {
			t.Parallel()
			profile := `name: leaks
target:
  base-url: ${LEAK_URL}
  auth: {type: bearer, env: LEAK_TOKEN}
  headers: {X-API-Key: "${LEAK_APIKEY}", Cookie: "sid=${LEAK_COOKIE}"}
requests:
  - name: echo
    path: /v1/echo?session=${LEAK_SESSION}&q=ok
    method: POST
    body: '{"note": "request {{counter}}"}'
phases:
  - name: load
    load: {pace: constant, rate: 40/s, duration: 1s}
`
			if err := os.WriteFile(filepath.Join(dir, "leaks.yaml"), []byte(profile), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"run", "leaks.yaml", "-o", "run.bin", "--timeout", "2s"}
			for _, f := range reports.Formats {
				args = append(args, "--report", f+"=run-report."+f)
			}
			code, stdout, stderr := runBinary(t, &l, "run", bin, dir, env, 20*time.Second, args...)
			sane(t, "run", code, stderr+stdout)
		})
		t.Run("serve", func(t *testing.T) {
			t.Parallel()
			testServeLeaks(t, &l, bin, dir, env, s)
		})
		t.Run("demo", func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runBinary(t, &l, "demo", bin, dir, env, 40*time.Second, "demo", "--duration", "1s", "--dir", "demo")
			if code != 0 && code != 1 {
				t.Errorf("demo: exit %d: %s", code, lastLines(stderr, 5))
			}
		})
	})
	if !l.holds("idle connection") {
		t.Error("no command reported the unsolicited bytes on an idle connection: the server did not provoke them")
	}
	// Every result file, in every format stampede reads them back in.
	formats := append(append([]string{}, reports.Formats...), "vegeta-json")
	for _, file := range []string{"bearer.bin", "basic.bin", "run.bin"} {
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			t.Errorf("no result file %s: %v", file, err)
			continue
		}
		for _, f := range formats {
			name := "report --format " + f + " " + file
			code, _, stderr := runBinary(t, &l, name, bin, dir, env, 10*time.Second, "report", "--format", f, file)
			sane(t, name, code, stderr)
		}
	}
	code, _, stderr := runBinary(t, &l, "report of the files merged", bin, dir, env, 10*time.Second,
		"report", "--format", "html", "-o", "merged.html", "bearer.bin", "basic.bin", "run.bin")
	sane(t, "report merged", code, stderr)
	l.addDir(t, dir)
	l.check(t, forms)
}

// testServeLeaks starts stampede serve, sends it requests carrying the
// secrets, stops it with SIGINT and adds its output to l.
func testServeLeaks(t *testing.T, l *leakScanner, bin, dir string, env []string, s leakSecrets) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var stderr strings.Builder
	lines := bufio.NewScanner(errPipe)
	base := ""
	for base == "" && lines.Scan() {
		stderr.WriteString(lines.Text() + "\n")
		if _, after, ok := strings.Cut(lines.Text(), "listening on "); ok {
			base, _, _ = strings.Cut(after, " ")
		}
	}
	if base == "" {
		t.Fatalf("serve did not say where it listens: %s", stderr.String())
	}
	done := make(chan struct{})
	go func() {
		for lines.Scan() {
			stderr.WriteString(lines.Text() + "\n")
		}
		close(done)
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	u, _ := url.Parse(base)
	u.User = url.UserPassword("user", s.password)
	for _, path := range []string{"/mira/v1/chat/completions", "/mimo/v1/chat/completions", "/mirra/api/v1/agents", "/nowhere", "/__sim/stats"} {
		for _, bearer := range []bool{true, false} {
			req, _ := http.NewRequest(http.MethodPost, u.String()+path+"?session="+url.QueryEscape(s.session),
				strings.NewReader(`{"model":"mira","messages":[{"role":"user","content":"`+s.tenant+`"}]}`))
			if bearer {
				req.Header.Set("Authorization", "Bearer "+s.bearer)
			}
			req.Header.Set("X-API-Key", s.apiKey)
			req.Header.Set("Cookie", "sid="+s.cookie)
			req.Header.Set("X-Tenant", s.tenant)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("serve: %v", err)
			}
			resp.Body.Close()
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10s of SIGINT")
	}
	cmd.Wait()
	l.add("serve stdout", stdout.String())
	l.add("serve stderr", stderr.String())
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
