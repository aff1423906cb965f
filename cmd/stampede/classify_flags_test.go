package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// echoServer answers 401 with a body that echoes the request's headers,
// query and body: an API that reflects secrets in its errors.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		msg, _ := json.Marshal(fmt.Sprintf("Invalid API key %s (query %s, body %s)", r.Header.Get("X-API-Key"), r.URL.RawQuery, body))
		hdr, _ := json.Marshal(r.Header)
		code, _ := json.Marshal(r.Header.Get("X-Tenant")) // an API that makes a code of what it got
		fmt.Fprintf(w, `{"error": {"code": %s, "message": %s, "request_headers": %s}}`, code, msg, hdr)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestNoSecretLeaksInClasses: an API that echoes the request's secrets in
// its error bodies, codes included, gets them masked in the class codes,
// patterns, messages, samples and example requests of the result file and
// of both summaries. The secrets have no digit, which the message pattern
// would mask anyway.
func TestNoSecretLeaksInClasses(t *testing.T) {
	srv := echoServer(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	u := strings.Replace(srv.URL, "http://", "http://user:pw-SECRET1@", 1) + "/v1/x?api_key=SECRET2&q=ok"
	for _, format := range []string{"json", "text"} {
		histogram := map[string]string{"json": "--quiet", "text": "--histogram"}[format]
		code, stdout, stderr := runInProcess(t, "attack", "-u", u, "-H", "X-API-Key: SECRETthree", "-H", "Authorization: Bearer SECRETfour",
			"--secret-header", "X-Tenant", "-H", "X-Tenant: SECRETsix", "-r", "20/s", "-d", "300ms", "-o", out, "--format", format, "-q", histogram)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, where := range []string{string(raw), stdout, stderr} {
			if i := strings.Index(where, "SECRET"); i >= 0 {
				t.Errorf("%s: secret leaked: …%s…", format, where[max(0, i-60):min(len(where), i+20)])
			}
		}
		if !strings.Contains(stdout, "[REDACTED]") {
			t.Errorf("%s summary lacks the masked class:\n%s", format, stdout)
		}
		if format == "text" && !strings.Contains(stdout, "Latency of 401 [REDACTED]") {
			t.Errorf("--histogram printed no histogram of the class:\n%s", stdout)
		}
	}
}

func TestClassifyUsageErrors(t *testing.T) {
	u := "http://127.0.0.1:1/"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"rule without action", []string{"--classify", "status=429"}, `--classify "status=429": the rule does nothing`},
		{"unknown rule key", []string{"--classify", "colour=red"}, "colour=red: unknown key"},
		{"bad regex", []string{"--classify", "code-regex=("}, "not a regular expression"},
		{"bad json path", []string{"--classify", "code-path=$.a[x]"}, "is not an array index"},
		{"two bad rules", []string{"--classify", "status=1,category=payment", "--classify", "retryable=maybe"}, "; --classify"},
		{"zero classes", []string{"--max-classes", "0"}, "--max-classes 0: want 1 to 10000"},
		{"too many classes", []string{"--max-classes", "20000"}, "--max-classes 20000"},
		{"bad limit", []string{"--classify-limit", "lots"}, `--classify-limit "lots"`},
		{"zero limit", []string{"--classify-limit", "0"}, `--classify-limit "0"`},
		{"histogram in json", []string{"--histogram", "--format", "json"}, "--histogram draws in the text summary"},
		{"huge limit", []string{"--classify-limit", "2MiB"}, "want a size from 1 B to 1MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"attack", "-u", u, "-o", ""}, tt.args...)
			code, stdout, stderr := runInProcess(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("run(%q) = exit %d, stderr %q; want exit %d and %q", args, code, stderr, exitUsage, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 {
				t.Errorf("run(%q) printed %d lines of error; want 1:\n%s", args, lines, stderr)
			}
		})
	}
}

// TestClassifyRuleApplies checks that a --classify rule reaches the
// classifier: the code comes from the JSON path and the override holds.
func TestClassifyRuleApplies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"errors": [{"message": "denied", "extensions": {"code": "FORBIDDEN"}}]}`)
	}))
	t.Cleanup(srv.Close)
	code, stdout, stderr := runInProcess(t, "attack", "-u", srv.URL+"/graphql", "-r", "20/s", "-d", "200ms", "-o", "", "--format", "json", "-q",
		"--classify", "status=200,code-path=$.errors[0].extensions.code", "--classify", "code=FORBIDDEN,category=permission")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Classes []struct {
			Status   int    `json:"status"`
			Code     string `json:"code"`
			Category string `json:"category"`
			Count    int    `json:"count"`
		} `json:"classes"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Classes) != 1 || doc.Classes[0].Code != "FORBIDDEN" || doc.Classes[0].Category != "permission" || doc.Classes[0].Count != 4 {
		t.Errorf("classes = %+v; want one class 200 FORBIDDEN permission of 4 responses", doc.Classes)
	}
}

// TestHostileTargetClassesBounded: a target that answers every request with
// a new error code, in a large body, fills --max-classes and the rest count
// in the overflow class of their status; the run ends normally.
func TestHostileTargetClassesBounded(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"code": "E_%d", "message": "bad %c", "pad": "%s"}`, i, 'a'+rune(i%26), strings.Repeat("x", 100_000))
	}))
	t.Cleanup(srv.Close)
	code, stdout, stderr := runInProcess(t, "attack", "-u", srv.URL, "-r", "100/s", "-d", "500ms", "-o", "", "--format", "json", "-q",
		"--max-classes", "5", "--classify-limit", "1KiB")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Requests       uint64 `json:"requests"`
		Classification struct {
			Classes    int    `json:"classes"`
			Overflowed uint64 `json:"overflowed"`
			Truncated  uint64 `json:"truncated_bodies"`
		} `json:"classification"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Classification
	if c.Classes != 6 || c.Overflowed != doc.Requests-5 || c.Truncated != doc.Requests {
		t.Errorf("%d requests: %d classes, %d overflowed, %d truncated; want 6 (5 and the 400 overflow), %d, %d",
			doc.Requests, c.Classes, c.Overflowed, c.Truncated, doc.Requests-5, doc.Requests)
	}
}
