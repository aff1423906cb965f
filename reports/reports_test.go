package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"

	"github.com/stampede-dev/stampede/internal/golden"
)

// testKey is the API key of the fixture runs: it must not appear in any
// report.
const testKey = "sk-test-4f9a2c7e1b8d6035"

// Seed-like bodies of the fixture's error responses.
const (
	rateLimit60 = `{"detail": "Rate limit exceeded. Please retry after 60 seconds."}`
	rateLimit30 = `{"detail": "Rate limit exceeded. Please retry after 30 seconds."}`
	internal    = `{"error": {"code": "internal_error", "message": "Server internal error", "type": "error"}}`
	badKey      = `{"error": {"message": "Incorrect API key provided: ` + testKey + `.", "type": "invalid_request_error", "code": "invalid_api_key"}}`
	envoy503    = "upstream connect error or disconnect/reset before headers.\nreset reason: overflow"
)

// response is one fixture response: what the classifier reads of it.
type response struct {
	status uint16
	kind   records.ErrorKind
	ctype  string
	body   string
}

// fixtureClassifier returns a classifier that knows testKey is a secret.
func fixtureClassifier(t testing.TB, opts classify.Options) *classify.Classifier {
	t.Helper()
	opts.Secrets = append(opts.Secrets, testKey)
	c, err := classify.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fixtureView is how the text fixtures are shown: with the latency from
// the actual send too.
var fixtureView = Options{Uncorrected: true}

// classifiedRun classifies one response per record, as the pipeline does
// (body cut to the classifier's limit, record given the class), and sums
// the records up: record i is scheduled at t0 + 10 ms·i, sent 100 µs·i
// late and completes (i+1) ms after its schedule.
func classifiedRun(t testing.TB, c *classify.Classifier, responses []response) analyze.Run {
	t.Helper()
	return namedRun(t, c, responses, nil)
}

// namedRun is classifiedRun with the request of record i named name(i)
// ("" for none); nil names none.
func namedRun(t testing.TB, c *classify.Classifier, responses []response, name func(i int) string) analyze.Run {
	t.Helper()
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := analyze.NewSummaryFor(c.Classes())
	for i, resp := range responses {
		r := records.Record{
			Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond),
			Sent: time.Duration(i) * 100 * time.Microsecond, Latency: time.Duration(i+1) * time.Millisecond,
			Status: resp.status, ErrorKind: resp.kind, BytesIn: uint64(len(resp.body)), BytesOut: 64,
		}
		if name != nil {
			r.Request = s.ImportRequest(name(i))
		}
		addClassified(c, s, &r, resp)
	}
	return analyze.Run{
		Summary: s, Target: "GET http://127.0.0.1:8080/v1/items?api_key=REDACTED", Pacer: "constant 100/s",
		Planned: time.Second, ResultFile: "r.bin", Records: uint64(len(responses)),
		Truncated: c.Truncated(), BodyLimit: c.BodyLimit(),
	}
}

// addClassified classifies a fixture response as the pipeline does (the
// body cut to the classifier's limit, the record given the class) and adds
// its record to the summary. A 429 gets Retry-After: 1, and a 200 a body
// of 2048 bytes that the classifier does not read.
func addClassified(c *classify.Classifier, s *analyze.Summary, r *records.Record, resp response) {
	if resp.status == 429 {
		r.RetryAfter = "1"
	}
	body := []byte(resp.body)
	if resp.kind == records.ErrNone && resp.status == 200 {
		r.BytesIn = 2048
		body = nil
	}
	if len(body) > c.BodyLimit() {
		body = body[:c.BodyLimit()]
	}
	cl := c.Classify(&classify.Response{
		Status: resp.status, Kind: resp.kind, ContentType: resp.ctype, Body: body, BodyLen: r.BytesIn,
		Method: "GET", URL: "http://127.0.0.1:8080/v1/items?api_key=" + testKey,
	})
	r.Class, r.ErrorCode, r.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
	s.Add(r)
}

// fixedNamedRun is fixedRun with its requests named: three names, one of
// them hostile to tables and spreadsheets, and every tenth request
// without a name.
func fixedNamedRun(t testing.TB) analyze.Run {
	t.Helper()
	names := []string{"list items", "GET /v1/items/{id}", "=cmd|' /C calc'!A0 | <b>create</b>"}
	responses := fixedResponses()
	return namedRun(t, fixtureClassifier(t, classify.Options{}), responses, func(i int) string {
		if i%10 == 9 {
			return ""
		}
		return names[(i*7)%len(names)]
	})
}

// fixedRun is a deterministic run: 100 records at 100/s, fixed latencies,
// mostly 200s without a body read, then rate limits (two messages of one
// pattern), refused connections, server errors in two dialects, a timeout
// and a rejected key.
func fixedRun(t testing.TB) analyze.Run {
	t.Helper()
	return classifiedRun(t, fixtureClassifier(t, classify.Options{}), fixedResponses())
}

// fixedResponses are the responses of fixedRun.
func fixedResponses() []response {
	responses := make([]response, 100)
	for i := range responses {
		resp := response{status: 200, ctype: "application/json"}
		switch {
		case i%20 == 3:
			resp.status, resp.body = 429, rateLimit60
		case i%20 == 13:
			resp.status, resp.body = 429, rateLimit30
		case i%25 == 24:
			resp.status, resp.kind, resp.ctype = 0, records.ErrRefused, ""
		case i == 50, i == 90:
			resp.status, resp.body = 500, internal
		case i == 66:
			resp.status, resp.ctype, resp.body = 503, "text/plain", envoy503
		case i == 77:
			resp.status, resp.kind, resp.ctype = 0, records.ErrTimeout, ""
		case i == 42:
			resp.status, resp.body = 401, badKey
		}
		responses[i] = resp
	}
	return responses
}

func TestTextSummary(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, fixedRun(t), fixtureView); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "txt", b.Bytes())
}

func TestTextSummaryInterrupted(t *testing.T) {
	run := fixedRun(t)
	run.Interrupted, run.Unanswered, run.Planned = "SIGINT", 3, 0
	var b bytes.Buffer
	if err := Text(&b, run, Options{}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "txt", b.Bytes())
}

// TestTextSummaryHistogram draws the latency histograms of the top classes.
func TestTextSummaryHistogram(t *testing.T) {
	run := fixedRun(t)
	var b bytes.Buffer
	if err := Text(&b, run, Options{Histogram: true}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "txt", b.Bytes())
}

// limitsRun is a run that meets every limit of the classification: more
// codes than the class table holds, bodies longer than the body limit,
// more classes than the text table lists.
func limitsRun(t testing.TB) analyze.Run {
	t.Helper()
	responses := make([]response, 30)
	for i := range responses {
		resp := response{status: 200, ctype: "application/json"}
		switch i % 3 {
		case 1:
			resp.status, resp.body = 400, fmt.Sprintf(`{"code": "bad_field_%d"}`, i%5)
		case 2:
			resp.status, resp.ctype = 502, "text/html"
			resp.body = "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("<p>upstream failed</p>", i%4+1) + "</body></html>"
		}
		responses[i] = resp
	}
	return classifiedRun(t, fixtureClassifier(t, classify.Options{MaxClasses: 3, BodyLimit: 64}), responses)
}

// TestTextSummaryClassLimits shows the notes on classes left out of the
// table, the overflow class and truncated bodies.
func TestTextSummaryClassLimits(t *testing.T) {
	run := limitsRun(t)
	if run.Truncated == 0 {
		t.Fatal("fixture has no truncated body")
	}
	var b bytes.Buffer
	if err := Text(&b, run, Options{Uncorrected: true, ClassRows: 3}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "txt", b.Bytes())
}

func TestJSONSummaryClassLimits(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, limitsRun(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "json", b.Bytes())
	var doc JSONSummary
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var overflow uint64
	for _, c := range doc.Classes {
		if c.Overflow {
			overflow += c.Count
		}
	}
	cl := doc.Classification
	if overflow == 0 || cl.Overflowed != overflow || cl.MaxClasses != 3 || cl.Classes != len(doc.Classes) || cl.BodyLimitBytes != 64 || cl.TruncatedBodies == 0 {
		t.Errorf("classification = %+v with %d responses in the overflow class; want max 3, %d classes, limit 64, bodies truncated", cl, overflow, len(doc.Classes))
	}
}

func TestJSONSummary(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, fixedRun(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "json", b.Bytes())

	// The documented keys are all there, with the documented types.
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema", "requests", "rate_per_s", "throughput_per_s", "duration_s", "latency_ms", "status", "transport_errors", "classes", "classification", "verdict", "timeline"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("JSON summary lacks %q", key)
		}
	}
	lat := doc["latency_ms"].(map[string]any)
	for _, key := range []string{"min", "mean", "p50", "p90", "p99", "p999", "max"} {
		if _, ok := lat[key].(float64); !ok {
			t.Errorf("latency_ms.%s = %v; want a number", key, lat[key])
		}
	}
	if doc["schema"] != SummarySchema || doc["requests"].(float64) != 100 {
		t.Errorf("schema %v, requests %v; want %s, 100", doc["schema"], doc["requests"], SummarySchema)
	}
	te := doc["transport_errors"].(map[string]any)
	if len(te) != len(records.ErrorKinds) || te["connection_refused"].(float64) != 4 {
		t.Errorf("transport_errors = %v; want every kind, connection_refused 4", te)
	}

	// Every class has every documented key; the counts add up to the
	// requests, in descending order, and so do each class's series.
	classes := doc["classes"].([]any)
	var total, last float64 = 0, 1e9
	for i, c := range classes {
		class := c.(map[string]any)
		for _, key := range []string{"id", "status", "error_kind", "code", "category", "retryable", "overflow", "dialect", "pattern", "message", "count", "share", "latency_ms", "first_seen", "last_seen", "per_second", "samples", "example_request"} {
			if _, ok := class[key]; !ok {
				t.Errorf("classes[%d] lacks %q", i, key)
			}
		}
		n := class["count"].(float64)
		if n > last {
			t.Errorf("classes[%d].count = %v after %v; want descending counts", i, n, last)
		}
		last, total = n, total+n
		var series float64
		for _, v := range class["per_second"].(map[string]any)["counts"].([]any) {
			series += v.(float64)
		}
		if series != n {
			t.Errorf("classes[%d].per_second counts add up to %v; want %v", i, series, n)
		}
		if ex := class["example_request"].(string); ex != "GET /v1/items?api_key=REDACTED" {
			t.Errorf("classes[%d].example_request = %q; want the path with the key redacted", i, ex)
		}
	}
	if total != 100 {
		t.Errorf("class counts add up to %v; want 100", total)
	}
	if strings.Contains(b.String(), testKey) {
		t.Errorf("JSON summary shows the API key %q", testKey)
	}
	cl := doc["classification"].(map[string]any)
	if cl["classes"].(float64) != float64(len(classes)) || cl["max_classes"].(float64) != classify.DefaultMaxClasses || cl["overflowed"].(float64) != 0 {
		t.Errorf("classification = %v; want %d classes of at most %d, none overflowed", cl, len(classes), classify.DefaultMaxClasses)
	}
}

func TestEmptySummary(t *testing.T) {
	run := analyze.Run{Summary: analyze.NewSummary()}
	var b bytes.Buffer
	if err := Text(&b, run, Options{Histogram: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(no requests)") {
		t.Errorf("empty text summary:\n%s", b.String())
	}
	if strings.Contains(b.String(), "Classes") {
		t.Errorf("empty text summary has a classes table:\n%s", b.String())
	}
	b.Reset()
	if err := JSON(&b, run); err != nil || !json.Valid(b.Bytes()) {
		t.Errorf("empty JSON summary invalid (%v):\n%s", err, b.String())
	}
	if !strings.Contains(b.String(), `"classes": []`) {
		t.Errorf("empty JSON summary lacks an empty classes array:\n%s", b.String())
	}
}

func TestFormatters(t *testing.T) {
	tests := []struct{ got, want string }{
		{FormatLatency(999 * time.Microsecond), "999 µs"},
		{FormatLatency(1500 * time.Microsecond), "1.500 ms"},
		{FormatLatency(2500 * time.Millisecond), "2.500 s"},
		{FormatBytes(1023), "1023 B"},
		{FormatBytes(1536), "1.5 KiB"},
		{FormatBytes(3 << 30), "3.0 GiB"},
		{FormatRate(499.96), "500.0/s"},
		{FormatShare(0.25), "25.00 %"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}

func TestCutText(t *testing.T) {
	tests := []struct {
		name, in string
		width    int
		want     string
	}{
		{"short", "Rate limit exceeded.", 60, "Rate limit exceeded."},
		{"control characters", "line one\nline two\t\ttab\r\x1b[31mred", 60, "line one line two tab [31mred"},
		{"exactly the width", strings.Repeat("a", 60), 60, strings.Repeat("a", 60)},
		{"ascii cut", strings.Repeat("a", 61), 60, strings.Repeat("a", 59) + "…"},
		{"cut before a space", "aaaa bbbb", 6, "aaaa…"},
		{"runes", strings.Repeat("é", 70), 60, strings.Repeat("é", 59) + "…"},
		{"wide runes", strings.Repeat("漢", 40), 60, strings.Repeat("漢", 29) + "…"},
		{"invalid utf-8", "a\xffb", 60, "a\uFFFDb"},
	}
	for _, tt := range tests {
		if got := cutText(tt.in, tt.width); got != tt.want {
			t.Errorf("%s: cutText(%q, %d) = %q; want %q", tt.name, tt.in, tt.width, got, tt.want)
		}
	}
}

func TestClassStatus(t *testing.T) {
	tests := []struct {
		class         records.Class
		status, title string
	}{
		{records.Class{Status: 429, Category: records.CatRateLimit}, "429", "429 rate_limit"},
		{records.Class{Status: 500, Code: "internal_error", Category: records.CatServerError}, "500", "500 internal_error"},
		{records.Class{ErrorKind: records.ErrTimeout, Category: records.CatTimeout}, "timeout", "timeout"},
		{records.Class{ErrorKind: records.ErrRefused, Category: records.CatTransport}, "connection_refused", "connection_refused transport"},
		{records.Class{Status: 200, ErrorKind: records.ErrReset, Category: records.CatTransport}, "200 connection_reset", "200 connection_reset transport"},
		{records.Class{Status: 403, Overflow: true, Code: classify.OverflowCode, Category: records.CatPermission}, "403", "403 other"},
		{records.Class{Status: 500, Code: "x\x1b]0;owned\a\x1b[2J\u202eRED", Category: records.CatServerError}, "500", "500 x ]0;owned [2J RED"},
	}
	for _, tt := range tests {
		c := &classify.Class{Class: tt.class}
		if got := classStatus(c); got != tt.status {
			t.Errorf("classStatus(%+v) = %q; want %q", tt.class, got, tt.status)
		}
		if got := cutText(classHeading(c), 60); got != tt.title { // as histograms prints it
			t.Errorf("classHeading(%+v) = %q; want %q", tt.class, got, tt.title)
		}
	}
}

// TestTextUnsent says how far behind the generator fell when the run
// knows its bound (a live run, a file with max_lateness_ms), and only that
// it fell behind when it does not (older files).
func TestTextUnsent(t *testing.T) {
	for _, tc := range []struct {
		lateness time.Duration
		want     string
	}{
		{time.Second, "Unsent    7 scheduled requests never left: stampede fell more than 1s behind its schedule"},
		{0, "Unsent    7 scheduled requests never left: stampede fell behind its schedule"},
	} {
		run := fixedRun(t)
		run.Unsent, run.MaxLateness = 7, tc.lateness
		var b bytes.Buffer
		if err := Text(&b, run, Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("max lateness %s: no line %q in:\n%s", tc.lateness, tc.want, b.String())
		}
		if !strings.Contains(b.String(), "run not finished: 7 scheduled attempts were never sent") {
			t.Errorf("max lateness %s: unsent attempts pass the verdict:\n%s", tc.lateness, b.String())
		}
	}
}

// renderGolden checks what render writes of the run against the test's
// golden file with extension ext.
func renderGolden(t *testing.T, ext string, render func(*bytes.Buffer) error) {
	t.Helper()
	var b bytes.Buffer
	if err := render(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, ext, b.Bytes())
}

// TestTextRequests: the text summary of a run whose requests have names
// has a table of them, aligned, after the classes.
func TestTextRequests(t *testing.T) {
	run := fixedNamedRun(t)
	renderGolden(t, "txt", func(b *bytes.Buffer) error { return Text(b, run, Options{}) })
}

// TestMarkdownRequests: the Markdown summary's table of requests.
func TestMarkdownRequests(t *testing.T) {
	run := fixedNamedRun(t)
	renderGolden(t, "md", func(b *bytes.Buffer) error { return Markdown(b, run) })
}

// TestJSONSummaryRequests: the JSON summary's by_request array.
func TestJSONSummaryRequests(t *testing.T) {
	run := fixedNamedRun(t)
	renderGolden(t, "json", func(b *bytes.Buffer) error { return JSON(b, run) })
}

// TestCSVRequests: the csv-requests table.
func TestCSVRequests(t *testing.T) {
	run := fixedNamedRun(t)
	renderGolden(t, "csv", func(b *bytes.Buffer) error { return CSVRequests(b, run) })
}

// TestHTMLRequests: the HTML page's table of requests, names escaped.
func TestHTMLRequests(t *testing.T) {
	run := fixedNamedRun(t)
	var page bytes.Buffer
	if err := HTML(&page, run); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<section id="requests">`, `<td class="code" data-v="list items">list items</td>`,
		"=cmd|&#39; /C calc&#39;!A0 | &lt;b&gt;create&lt;/b&gt;", "10 attempts without a request name are in no row."} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML page lacks %q", want)
		}
	}
	if strings.Contains(page.String(), "<b>create</b>") {
		t.Error("HTML page holds a request name unescaped")
	}
}

// TestNoRequestsNoBreakdown: a run whose records name no request shows
// no table of requests in any format.
func TestNoRequestsNoBreakdown(t *testing.T) {
	run := fixedRun(t)
	for _, format := range Formats {
		var b bytes.Buffer
		if err := Render(&b, format, run, Options{}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "Requests by name") || strings.Contains(out, "by_request") || strings.Contains(out, "Top classes") {
			t.Errorf("%s: a table of requests in a run without names", format)
		}
		if format == "csv-requests" && out != "request,count,successes,success_ratio,share,latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms,status,transport_errors,classes\r\n" {
			t.Errorf("csv-requests of a run without names = %q; want the header alone", out)
		}
	}
}
