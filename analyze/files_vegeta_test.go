package analyze

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// vegetaResults are results as vegeta's attacker makes them: 200s, 429s
// with a JSON error body, 503s and refused connections.
func vegetaResults() []vegeta.Result {
	var out []vegeta.Result
	for i := range 500 {
		r := vegeta.Result{
			Attack: "t", Seq: uint64(i), Timestamp: t0.Add(time.Duration(i) * 20 * time.Millisecond),
			Latency: time.Duration(1+i%40) * time.Millisecond, BytesOut: 10, Method: "GET", URL: "http://127.0.0.1:8080/v1/items",
			Code: 200, BytesIn: 2,
		}
		switch {
		case i%10 == 3:
			r.Code, r.Body = 429, []byte(`{"error": {"code": "rate_limit_exceeded", "message": "Rate limit reached for requests", "type": "requests"}}`)
			r.Headers = http.Header{"Content-Type": {"application/json"}, "Retry-After": {"1"}}
			r.BytesIn = uint64(len(r.Body))
		case i%50 == 7:
			r.Code, r.Body = 503, []byte("upstream connect error")
			r.BytesIn = uint64(len(r.Body))
		case i%100 == 9:
			r.Code, r.BytesIn = 0, 0
			r.Error = `Get "http://127.0.0.1:8080/v1/items": dial tcp 127.0.0.1:8080: connect: connection refused`
		}
		out = append(out, r)
	}
	return out
}

// TestVegetaFiles: files written by vegeta's own encoders (gob, JSON and
// CSV) report the same request count and status counts as vegeta's
// metrics, and the 429 bodies are classified by their error code.
func TestVegetaFiles(t *testing.T) {
	res := vegetaResults()
	var m vegeta.Metrics
	for i := range res {
		m.Add(&res[i])
	}
	m.Close()
	for _, enc := range []struct {
		name string
		new  func(*bytes.Buffer) vegeta.Encoder
	}{
		{"gob", func(b *bytes.Buffer) vegeta.Encoder { return vegeta.NewEncoder(b) }},
		{"json", func(b *bytes.Buffer) vegeta.Encoder { return vegeta.NewJSONEncoder(b) }},
		{"csv", func(b *bytes.Buffer) vegeta.Encoder { return vegeta.NewCSVEncoder(b) }},
	} {
		t.Run(enc.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := enc.new(&buf)
			for i := range res {
				if err := e.Encode(&res[i]); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(t.TempDir(), "results."+enc.name)
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			run, err := load(context.Background(), []string{path}, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := run.Summary
			if s.Requests != m.Requests {
				t.Errorf("%d requests; vegeta counts %d", s.Requests, m.Requests)
			}
			for code, n := range m.StatusCodes {
				c, _ := strconv.Atoi(code)
				if s.Status[uint16(c)] != uint64(n) {
					t.Errorf("status %s: %d; vegeta counts %d", code, s.Status[uint16(c)], n)
				}
			}
			if len(s.Status) != len(m.StatusCodes) {
				t.Errorf("statuses %v; vegeta has %v", s.Status, m.StatusCodes)
			}
			var coded bool
			for _, st := range s.ClassStats() {
				if st.Class.Status == 429 && st.Class.Code == "rate_limit_exceeded" && st.Count == 50 {
					coded = true
				}
			}
			if !coded {
				t.Errorf("no class 429/rate_limit_exceeded of 50 responses; classes: %v", classNames(run.Summary.ClassStats()))
			}
			if run.MaxClasses() != classify.DefaultMaxClasses {
				t.Errorf("class limit %d; want the re-classifier's %d", run.MaxClasses(), classify.DefaultMaxClasses)
			}
			if want := time.Duration(40) * time.Millisecond; s.Latency.Max() < int64(want/time.Microsecond)-100 {
				t.Errorf("max latency %d µs; want about %v", s.Latency.Max(), want)
			}
			if run.Target != "GET http://127.0.0.1:8080/v1/items" || run.Tool != "vegeta ("+enc.name+")" {
				t.Errorf("target %q, tool %q", run.Target, run.Tool)
			}
			if rs := s.RequestStats(); len(rs) != 1 || rs[0].Name != "GET /v1/items" || rs[0].Count != m.Requests {
				t.Errorf("requests %s; want every result under GET /v1/items, from its method and URL", requestsOf(s))
			}
		})
	}
}

// TestExportVegetaRoundTrip: a stampede file exported as vegeta JSON reads
// back in vegeta's decoder with the same statuses and latencies.
func TestExportVegetaRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.bin")
	shard(t, path, "", 400, func(int) bool { return true })
	var out bytes.Buffer
	if err := exportVegeta(context.Background(), &out, []string{path}, nil); err != nil {
		t.Fatal(err)
	}
	run, err := load(context.Background(), []string{path}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dec := vegeta.NewJSONDecoder(&out)
	var m vegeta.Metrics
	var r vegeta.Result
	for dec.Decode(&r) == nil {
		if r.URL != "http://127.0.0.1:8080/v1/items" || r.Method != "GET" {
			t.Fatalf("result %d: %s %s", r.Seq, r.Method, r.URL)
		}
		m.Add(&r)
	}
	m.Close()
	if m.Requests != run.Summary.Requests {
		t.Fatalf("vegeta reads %d results; the file has %d", m.Requests, run.Summary.Requests)
	}
	for status, n := range run.Summary.Status {
		if got := m.StatusCodes[strconv.Itoa(int(status))]; uint64(got) != n {
			t.Errorf("status %d: vegeta reads %d; want %d", status, got, n)
		}
	}
	if got, want := m.Latencies.Max, time.Duration(run.Summary.Latency.Max())*time.Microsecond; got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("max latency %v in vegeta; %v in stampede", got, want)
	}
}

// classNames lists classes for a failure message.
func classNames(stats []*ClassStats) string {
	var b strings.Builder
	for _, st := range stats {
		fmt.Fprintf(&b, "%d/%s ×%d; ", st.Class.Status, st.Class.Code, st.Count)
	}
	return b.String()
}

// vegetaFile writes vegetaResults with vegeta's gob encoder into dir and
// returns its path.
func vegetaFile(t *testing.T, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := vegeta.NewEncoder(&buf)
	res := vegetaResults()
	for i := range res {
		if err := enc.Encode(&res[i]); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "v.gob")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVegetaDamageAndSecrets: a vegeta file cut in an entry keeps the
// results before it, with a note; a URL's secret never reaches a report
// nor the vegeta-json export; many distinct URLs make a short target.
func TestVegetaDamageAndSecrets(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	enc := vegeta.NewJSONEncoder(&buf)
	for i := range 300 {
		r := vegeta.Result{Seq: uint64(i), Timestamp: t0.Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond, Code: 200,
			Method: "GET", URL: fmt.Sprintf("http://127.0.0.1:8080/items/%d?api_key=SUPERSECRETKEY123", i)}
		if err := enc.Encode(&r); err != nil {
			t.Fatal(err)
		}
	}
	data := buf.Bytes()
	cut := filepath.Join(dir, "cut.json")
	os.WriteFile(cut, data[:len(data)-40], 0o644)
	run, err := load(context.Background(), []string{cut}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(run.Notes, "\n")
	if run.Summary.Requests != 299 || !strings.Contains(notes, "vegeta json results: entry 300 ") || !strings.Contains(notes, "; the 299 results before it were read") || strings.Contains(notes, "SUPERSECRET") {
		t.Errorf("%d requests, notes %q; want 299 and a note without the entry's secret", run.Summary.Requests, run.Notes)
	}
	// A time zone cannot carry a timestamp past the year 9999.
	late := filepath.Join(dir, "late.json")
	os.WriteFile(late, []byte(`{"seq":0,"code":200,"timestamp":"9999-12-31T23:59:59-05:00","latency":1000}`+"\n"), 0o644)
	if run, err := load(context.Background(), []string{late}, FileOptions{}); err != nil || run.Summary.Requests != 0 || len(run.Notes) != 2 || !strings.Contains(run.Notes[0], "does not decode") {
		t.Errorf("a result in the year 10000: %v, %d requests, notes %q", err, run.Summary.Requests, run.Notes)
	}
	if strings.Contains(run.Target, "SUPERSECRET") || len(run.Target) > 1000 || !strings.HasSuffix(run.Target, "and more") {
		t.Errorf("target %q: want at most %d redacted targets, and more", run.Target, MaxTargets)
	}
	var discard bytes.Buffer
	if err := exportVegeta(context.Background(), &discard, []string{cut}, nil); err == nil || strings.Contains(err.Error(), "SUPERSECRET") || !strings.Contains(err.Error(), "entry 300") {
		t.Errorf("exporting a damaged file: %v; want an error naming entry 300, without its secret", err)
	}
	full := filepath.Join(dir, "full.json")
	os.WriteFile(full, data, 0o644)
	var out bytes.Buffer
	if err := exportVegeta(context.Background(), &out, []string{full}, nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Bytes(), []byte("SUPERSECRET")) || bytes.Count(out.Bytes(), []byte("\n")) != 300 {
		t.Errorf("export: %d lines, secret present %v", bytes.Count(out.Bytes(), []byte("\n")), bytes.Contains(out.Bytes(), []byte("SUPERSECRET")))
	}
}

// TestExportVegetaKeepsEachFilesRequests: exported, a vegeta result keeps
// its own request, even none (files of vegeta before v12.9), and never
// takes one from a result of another file of the same class.
func TestExportVegetaKeepsEachFilesRequests(t *testing.T) {
	dir := t.TempDir()
	with := vegetaFile(t, dir)
	var buf bytes.Buffer
	enc := vegeta.NewJSONEncoder(&buf)
	res := vegetaResults()[:50]
	for i := range res {
		res[i].Method, res[i].URL = "", ""
		if err := enc.Encode(&res[i]); err != nil {
			t.Fatal(err)
		}
	}
	without := filepath.Join(dir, "old.json")
	if err := os.WriteFile(without, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := exportVegeta(context.Background(), &out, []string{with, without}, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 550 {
		t.Fatalf("%d results exported; want 550", len(lines))
	}
	if !strings.Contains(lines[0], `"method":"GET","url":"http://127.0.0.1:8080/v1/items"`) {
		t.Errorf("first result %s; want its own GET of /v1/items", lines[0])
	}
	for i, l := range lines[500:] {
		if !strings.Contains(l, `"method":"","url":""`) {
			t.Fatalf("result %d of the file without requests: %s; want no method and no URL", i, l)
		}
	}
}

// TestPathName: a vegeta result's request is named by its method and its
// URL's path, without the query or fragment.
func TestPathName(t *testing.T) {
	for _, tc := range []struct{ method, url, want string }{
		{"GET", "http://127.0.0.1:8080/v1/items?page=2&key=%5BREDACTED%5D", "GET /v1/items"},
		{"POST", "https://api.example/v1/items#frag", "POST /v1/items"},
		{"GET", "http://host", "GET /"},
		{"GET", "http://host?x=1", "GET /"},
		{"DELETE", "/relative/path?q", "DELETE /relative/path"},
		{"", "http://host/x", ""},
		{"GET", "", ""},
	} {
		if got := pathName(tc.method, tc.url); got != tc.want {
			t.Errorf("pathName(%q, %q) = %q; want %q", tc.method, tc.url, got, tc.want)
		}
	}
}
