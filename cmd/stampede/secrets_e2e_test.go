package main

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// echoAuthServer answers 429 with the request's Authorization header
// echoed in Retry-After and in the body, as a careless API might.
func echoAuthServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("Retry-After", auth)
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte("slow down, " + strings.TrimPrefix(auth, "Basic ")))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// checkNoLeak fails the test if text holds any of the secrets, naming
// where without printing the secret.
func checkNoLeak(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if j := strings.Index(text, s); j >= 0 {
			t.Errorf("%s holds secret #%d at byte %d", where, i, j)
		}
	}
}

// TestUserinfoBasicCredentialsMasked: the credentials of a URL's user
// info go out as "Authorization: Basic base64(user:pass)"; echoed back,
// that form is masked in the live JSON and every report of the result
// file, as the password itself is.
func TestUserinfoBasicCredentialsMasked(t *testing.T) {
	srv := echoAuthServer(t)
	basic := base64.StdEncoding.EncodeToString([]byte("bob:pw-userinfo-77"))
	u := strings.Replace(srv.URL, "http://", "http://bob:pw-userinfo-77@", 1) + "/"
	out := filepath.Join(t.TempDir(), "r.bin")
	code, stdout, stderr := runInProcess(t, "attack", "-u", u, "-r", "20/s", "-d", "300ms", "-o", out, "--format", "json", "-q")
	if code != 0 && code != exitThreshold {
		t.Fatalf("attack: exit %d", code)
	}
	if !strings.Contains(stdout, "429") {
		t.Fatalf("attack: no 429 in the summary")
	}
	checkNoLeak(t, "attack's JSON", stdout, basic, "pw-userinfo-77")
	checkNoLeak(t, "attack's stderr", stderr, basic, "pw-userinfo-77")
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, "the result file", string(raw), basic, "pw-userinfo-77")
	for _, format := range []string{"text", "json", "html", "junit", "markdown", "csv"} {
		_, stdout, stderr := runInProcess(t, "report", "--format", format, out)
		checkNoLeak(t, "report --format "+format, stdout+stderr, basic, "pw-userinfo-77")
	}
}

// TestRetryAfterMaskedInResultFile: a server reflecting the bearer token
// into Retry-After does not get it into the result file, retried or not,
// while an ordinary Retry-After is kept as sent.
func TestRetryAfterMaskedInResultFile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after := "3"
		if r.URL.Path == "/echo" {
			after = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		w.Header().Set("Retry-After", after)
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	const token = "tok-reflected-4242"
	dir := t.TempDir()
	for _, tc := range []struct{ path, want string }{{"/echo", "[REDACTED]"}, {"/plain", "3"}} {
		out := filepath.Join(dir, strings.TrimPrefix(tc.path, "/")+".bin")
		code, _, _ := runInProcess(t, "attack", "-u", srv.URL+tc.path, "-H", "Authorization: Bearer "+token,
			"--retry", "immediate", "--retry-max", "1", "--honor-retry-after=false", "-r", "20/s", "-d", "200ms", "-o", out, "-q")
		if code != 0 && code != exitThreshold {
			t.Fatalf("%s: exit %d", tc.path, code)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		checkNoLeak(t, "the result file of "+tc.path, string(raw), token)
		_, recs, _ := readResults(t, out)
		retried := false
		for _, rec := range recs {
			if rec.RetryAfter != tc.want {
				t.Errorf("%s: record %d keeps Retry-After %q; want %q", tc.path, rec.Seq, checkedText(rec.RetryAfter, token), tc.want)
			}
			retried = retried || rec.Attempt > 1
		}
		if len(recs) == 0 || !retried {
			t.Errorf("%s: %d records, retried %v; want some, retries among them", tc.path, len(recs), retried)
		}
	}
}

// checkedText returns s, or a placeholder when it holds the secret, for
// test messages.
func checkedText(s, secret string) string {
	if strings.Contains(s, secret) {
		return "<holds the secret>"
	}
	return s
}

// echoAfterResponseServer answers every request with a complete 200 and
// then, on the same connection, writes the request's header lines again:
// net/http's client finds bytes on an idle connection and logs them
// through the standard logger.
func echoAfterResponseServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		buf.Flush()
		time.Sleep(20 * time.Millisecond) // the client is idle by now
		r.Header.Write(buf)
		buf.WriteString(r.URL.String() + "\r\n")
		buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBinaryStdLoggerNoSecrets: what net/http logs through the standard
// logger (the bytes of an unsolicited response, here the request echoed)
// reaches stderr without the secrets of the run.
func TestBinaryStdLoggerNoSecrets(t *testing.T) {
	bin := buildBinary(t)
	srv := echoAfterResponseServer(t)
	secrets := []string{"tok-stdlog-9191", "key-stdlog-8282", "sid-stdlog-7373", "qry-stdlog-6464"}
	cmd := exec.Command(bin, "attack", "-u", srv.URL+"/?api_key="+secrets[3], "-H", "Authorization: Bearer "+secrets[0],
		"-H", "X-API-Key: "+secrets[1], "-H", "Cookie: sid="+secrets[2], "-r", "10/s", "-d", "300ms", "-o", "", "-q")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("attack: %v", err)
	}
	if !strings.Contains(stderr.String(), "idle connection") {
		t.Fatalf("stderr does not report the bytes on an idle connection; the test's server did not provoke it (%d bytes)", stderr.Len())
	}
	checkNoLeak(t, "stderr", stderr.String(), secrets...)
}
