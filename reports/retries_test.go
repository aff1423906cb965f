package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/internal/golden"
	"github.com/stampede-dev/stampede/records"
)

// retryPolicy is how the fixture's clients retry: at most attempts
// attempts per logical request, the wait before attempt k+1 given by
// wait(k), and Retry-After honoured or not.
type retryPolicy struct {
	name, detail string
	attempts     int
	wait         func(k int) time.Duration
	honour       bool
}

// The fixture's policies.
var (
	policyNone      = retryPolicy{name: "none", detail: "none (no retry)", attempts: 1, wait: func(int) time.Duration { return 0 }}
	policyImmediate = retryPolicy{name: "immediate", detail: "immediate (3 retries, no wait)", attempts: 4, wait: func(int) time.Duration { return 0 }}
	policyBackoff   = retryPolicy{name: "exponential", detail: "exponential (3 retries, 200ms doubling, honours Retry-After but for odd requests)", attempts: 4,
		wait: func(k int) time.Duration { return 200 * time.Millisecond << (k - 1) }, honour: true}
)

// retryT0 is the start of the retry fixtures.
var retryT0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// retryStatus is what the fixture's target answers an attempt of logical
// request i scheduled at an offset from the start: 200 but for a 404 on
// every 50th request, an outage of 503s from 6 s to 9 s, a storm of 429s
// (three in four) from 9 s to 11 s, and a blip of 503s on odd requests
// after 19.6 s.
func retryStatus(i int, at time.Duration) uint16 {
	switch {
	case i%50 == 7:
		return 404
	case at >= 6*time.Second && at < 9*time.Second:
		return 503
	case at >= 9*time.Second && at < 11*time.Second && i%4 != 0:
		return 429
	case at >= 19600*time.Millisecond && i%2 == 1:
		return 503
	}
	return 200
}

// retryRecords are 20 s of 20 logical requests a second (400) sent by
// clients retrying as p says, against retryStatus: the records in the
// order they completed, unclassified. Retries of a 429 wait for its
// Retry-After (1 s; 120 s for every 25th request, which a client gives
// up on as too long) when p honours it, except for odd requests, which
// retry early. A client gives up when its attempts are used up, on its
// retry budget (every 40th request in the outage), or when the run
// stops (a retry due after 20 s). The retry of request 398 never comes
// back: it stays unsettled.
func retryRecords(p retryPolicy) []records.Record {
	const logical, every, end = 400, 50 * time.Millisecond, 20 * time.Second
	var out []records.Record
	for i := range logical {
		first := time.Duration(i) * every
		at := first
		for k := 1; ; k++ {
			status := retryStatus(i, at)
			if i == 398 {
				status = 503
			}
			r := records.Record{
				Scheduled: retryT0.Add(at), Sent: 50 * time.Microsecond, Status: status,
				Attempt: uint32(k), RequestID: uint64(i + 1), SinceFirst: at - first, BytesOut: 64,
			}
			switch status {
			case 200:
				r.Latency = 3*time.Millisecond + time.Duration(i%10)*200*time.Microsecond
			case 404:
				r.Latency = 2 * time.Millisecond
			case 503:
				r.Latency = time.Millisecond
			case 429:
				r.Latency, r.RetryAfter = 500*time.Microsecond, "1"
				if i%25 == 3 {
					r.RetryAfter = "120"
				}
			}
			out = append(out, r)
			rec := &out[len(out)-1]
			if status == 200 || p.attempts == 1 {
				break
			}
			wait := p.wait(k)
			switch {
			case status == 404 && k > 1: // retried once anyway, then left
			case i == 398:
				rec.Retry |= records.RetryFollows
			case status == 429 && rec.RetryAfter == "120" && p.honour:
				rec.Retry |= records.RetryTooLong
			case status == 503 && i%40 == 13 && at < 9*time.Second:
				rec.Retry |= records.RetryBudget
			case k == p.attempts:
				rec.Retry |= records.RetryExhausted
			default:
				if status == 429 && p.honour && i%2 == 0 {
					wait = max(wait, time.Second)
				}
				if at+wait >= end {
					rec.Retry |= records.RetryStopped
					break
				}
				rec.Retry |= records.RetryFollows
				at += wait
				continue
			}
			break
		}
	}
	// The early flag sits on the retry that left early: the attempt after
	// a 429 whose Retry-After its wait did not reach.
	for j := range out {
		prev := j - 1
		if out[j].Attempt > 1 && prev >= 0 && out[prev].RequestID == out[j].RequestID && out[prev].Status == 429 &&
			out[j].Scheduled.Sub(out[prev].Scheduled) < time.Second && out[prev].RetryAfter == "1" {
			out[j].Retry |= records.RetryEarly
		}
	}
	slices.SortStableFunc(out, func(a, b records.Record) int {
		return a.Scheduled.Add(a.Sent + a.Latency).Compare(b.Scheduled.Add(b.Sent + b.Latency))
	})
	for j := range out {
		out[j].Seq = uint64(j)
	}
	return out
}

// retryRunOf classifies the records of retryRecords(p) as the pipeline
// does and sums them up into a run.
func retryRunOf(t testing.TB, p retryPolicy) analyze.Run {
	t.Helper()
	c := fixtureClassifier(t, classify.Options{})
	s := analyze.NewSummaryFor(c.Classes())
	recs := retryRecords(p)
	for i := range recs {
		r := &recs[i]
		body := ""
		switch r.Status {
		case 429:
			body = rateLimit60
		case 503:
			body = envoy503
		case 404:
			body = `{"error": {"code": "not_found", "message": "No such item."}}`
		}
		cl := c.Classify(&classify.Response{
			Status: r.Status, ContentType: "application/json", Body: []byte(body), BodyLen: uint64(len(body)),
			Method: "GET", URL: "http://127.0.0.1:8080/v1/items",
		})
		r.BytesIn = uint64(len(body))
		r.Class, r.ErrorCode, r.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
		s.Add(r)
	}
	return analyze.Run{
		Summary: s, Target: "GET http://127.0.0.1:8080/v1/items", Pacer: "constant 20/s",
		Planned: 20 * time.Second, ResultFile: "retry.bin", Records: uint64(len(recs)),
		BodyLimit: c.BodyLimit(), MaxLateness: time.Second, Start: retryT0, Tool: "stampede test", RunID: "run-retry",
		Command: []string{"stampede", "attack", "--rate", "20/s", "--duration", "20s", "--retry", p.name, "http://127.0.0.1:8080/v1/items"},
	}
}

// retryRun is the run of the exponential policy: every retry figure a
// report shows has a value.
func retryRun(t testing.TB) analyze.Run {
	t.Helper()
	return retryRunOf(t, policyBackoff)
}

// retryComparison is the comparison of the fixture's three policies.
func retryComparison(t testing.TB) analyze.Comparison {
	t.Helper()
	var cmp analyze.Comparison
	for _, p := range []retryPolicy{policyNone, policyImmediate, policyBackoff} {
		cmp.Runs = append(cmp.Runs, analyze.PolicyRun{Policy: p.name, Detail: p.detail, Run: retryRunOf(t, p)})
	}
	return cmp
}

// retryCounts are the retry figures of retryRecords(p), counted from the
// records themselves, not by analyze: what the reports must show.
type retryCounts struct {
	logical, attempts, succeeded, gaveUp, failed, early, status429 int
}

func countRetries(p retryPolicy) retryCounts {
	var c retryCounts
	for _, r := range retryRecords(p) {
		c.attempts++
		if r.Attempt == 1 {
			c.logical++
		}
		if r.Status == 429 {
			c.status429++
		}
		if r.Retry&records.RetryEarly != 0 {
			c.early++
		}
		switch {
		case r.Retry&records.RetryFollows != 0:
		case r.Status == 200:
			c.succeeded++
		case r.Retry.GaveUp():
			c.gaveUp++
		default:
			c.failed++
		}
	}
	return c
}

// TestRetryFixture checks the fixture: every figure has a value, and
// analyze agrees with the records.
func TestRetryFixture(t *testing.T) {
	run := retryRun(t)
	c := countRetries(policyBackoff)
	r := run.Summary.Retries
	if c.logical != 400 || int(r.Logical) != c.logical || int(r.Attempts()) != c.attempts || int(r.Succeeded) != c.succeeded ||
		int(r.GaveUp) != c.gaveUp || int(r.Failed) != c.failed || int(r.Early) != c.early {
		t.Fatalf("analyze %+v; the records count %+v", r, c)
	}
	if r.Exhausted == 0 || r.Budget == 0 || r.TooLong == 0 || r.Stopped == 0 || r.NonRetryable == 0 || r.Unsettled() != 1 {
		t.Errorf("retries %+v; want every reason to give up, non-retryable retried and one unsettled", r)
	}
	if rec := run.Summary.Timeline.Recovery(); !rec.Recovered {
		t.Errorf("recovery %+v; want a fault and a recovery", rec)
	}
}

// TestTextRetries: the text report of a run with retries has a Retries
// table with the figures the records give.
func TestTextRetries(t *testing.T) {
	run := retryRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return Text(b, run, Options{}) })
	golden.Check(t, "txt", out)
	c := countRetries(policyBackoff)
	for label, want := range map[string]string{
		"amplification":    fmt.Sprintf("%.2f× │ attempts per logical request", float64(c.attempts)/float64(c.logical)),
		"eventual success": fmt.Sprintf("%.2f %% │ %d of %d logical requests", 100*float64(c.succeeded)/float64(c.logical), c.succeeded, c.logical),
		"given up":         fmt.Sprintf("%.2f %% │ %d of %d logical requests", 100*float64(c.gaveUp)/float64(c.logical), c.gaveUp, c.logical),
		"early retries":    fmt.Sprintf("%d │ retries sent before the Retry-After", c.early),
		"recovery":         "2 s (±1 s) │ fault 6 s → 9 s, recovered 2 s after (±1 s)",
	} {
		if row := textRow(string(out), label); !strings.Contains(row, want) {
			t.Errorf("text row %q is %q; want %q in it", label, row, want)
		}
	}
}

// textRow returns the row of a text table whose first cell is label.
func textRow(out, label string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "│ "+label+" ") {
			return line
		}
	}
	return ""
}

// TestNoRetriesNoRetryTables: a run whose clients did not retry shows no
// retries but in JSON.
func TestNoRetriesNoRetryTables(t *testing.T) {
	run := timedRun(t)
	for _, format := range Formats {
		out := renderFormat(t, func(b *bytes.Buffer) error { return Render(b, format, run, Options{}) })
		has := strings.Contains(string(out), "amplification") || strings.Contains(string(out), "Retries")
		if has != (format == "json") {
			t.Errorf("%s: retries shown %v; want only in json", format, has)
		}
	}
}

func TestMarkdownRetries(t *testing.T) {
	run := retryRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return Markdown(b, run) })
	golden.Check(t, "md", out)
	checkMarkdownTables(t, out)
	c := countRetries(policyBackoff)
	if want := fmt.Sprintf("| amplification | %.2f× | attempts per logical request |", float64(c.attempts)/float64(c.logical)); !strings.Contains(string(out), want) {
		t.Errorf("Markdown lacks %q", want)
	}
}

func TestJUnitRetries(t *testing.T) {
	run := retryRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return JUnit(b, run) })
	golden.Check(t, "xml", out)
	doc := parseJUnit(t, out)
	c := countRetries(policyBackoff)
	want := fmt.Sprintf("retries: %d logical requests, %d attempts (%.2f× amplification)", c.logical, c.attempts, float64(c.attempts)/float64(c.logical))
	if got := doc.Suites[0].Cases[1].SystemOut; !strings.Contains(got, want) {
		t.Errorf("run/requests system-out %q lacks %q", got, want)
	}
}

// TestCSVRetries: the classes table does not change with retries.
func TestCSVRetries(t *testing.T) {
	run := retryRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return CSV(b, run) })
	golden.Check(t, "csv", out)
	readCSVRows(t, out, csvColumns)
}

// TestCSVSeriesRetries: logical and amplification close each row of
// all; the logical requests add up, and each amplification is count /
// logical.
func TestCSVSeriesRetries(t *testing.T) {
	run := retryRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return CSVSeries(b, run) })
	golden.Check(t, "csv", out)
	h := append(slices.Clip(csvSeriesColumns), csvRetryColumns...)
	rows := readCSVRows(t, out, h)
	classCol, countCol, logicalCol, ampCol := csvColumn(t, h, "class"), csvColumn(t, h, "count"), csvColumn(t, h, "logical"), csvColumn(t, h, "amplification")
	var logical, attempts uint64
	for i, row := range rows {
		if row[classCol] != "all" {
			if row[logicalCol] != "" || row[ampCol] != "" {
				t.Errorf("row %d of a class: logical %q, amplification %q; want empty", i, row[logicalCol], row[ampCol])
			}
			continue
		}
		n, l := parseCount(t, row[countCol]), parseCount(t, row[logicalCol])
		logical, attempts = logical+l, attempts+n
		if want := strconv.FormatFloat(float64(n)/float64(l), 'f', 3, 64); l > 0 && row[ampCol] != want {
			t.Errorf("row %d: amplification %s; want %s (%d / %d)", i, row[ampCol], want, n, l)
		}
	}
	c := countRetries(policyBackoff)
	if int(logical) != c.logical || int(attempts) != c.attempts {
		t.Errorf("all rows: %d logical, %d attempts; want %d, %d", logical, attempts, c.logical, c.attempts)
	}
}

func TestJSONSummaryRetries(t *testing.T) {
	run := retryRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return JSON(b, run) })
	golden.Check(t, "json", out)
	var doc JSONSummary
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	c := countRetries(policyBackoff)
	r := doc.Retries
	if int(r.LogicalRequests) != c.logical || int(r.Attempts) != c.attempts || int(r.Succeeded) != c.succeeded || int(r.GaveUp.Total) != c.gaveUp ||
		int(r.Failed) != c.failed || int(r.EarlyRetries) != c.early || r.Unsettled != 1 {
		t.Errorf("retries %+v; the records count %+v", r, c)
	}
	if want := round(float64(c.attempts)/float64(c.logical), 6); r.Amplification != want {
		t.Errorf("amplification %v; want %v", r.Amplification, want)
	}
	if want := round(float64(c.succeeded)/float64(c.logical), 6); r.EventualSuccessRatio != want {
		t.Errorf("eventual success %v; want %v of the logical requests", r.EventualSuccessRatio, want)
	}
	if r.GaveUp.Exhausted+r.GaveUp.Budget+r.GaveUp.RetryAfterTooLong+r.GaveUp.Stopped != r.GaveUp.Total {
		t.Errorf("gave up %+v: the reasons do not add up", r.GaveUp)
	}
	if rec := r.Recovery; rec.State != "recovered" || rec.RecoveryTimeMs == nil || *rec.RecoveryTimeMs != 2000 || rec.FaultStart == nil || !rec.FaultStart.Equal(retryT0.Add(6*time.Second)) {
		t.Errorf("recovery %+v; want recovered 2 s after a fault from 6 s", rec)
	}
	var logical uint64
	for i, l := range doc.Timeline.Logical {
		logical += l
		a := doc.Timeline.Amplification[i]
		if (a == nil) != (l == 0) || a != nil && *a != round(float64(doc.Timeline.Offered[i])/float64(l), 3) {
			t.Errorf("interval %d: amplification %v for %d offered, %d logical", i, a, doc.Timeline.Offered[i], l)
		}
	}
	if int(logical) != c.logical {
		t.Errorf("timeline.logical adds up to %d; want %d", logical, c.logical)
	}
}

// TestHTMLRetries: the page of a run with retries has the retries panel
// and the load chart, whose series add up to the logical requests and
// the attempts.
func TestHTMLRetries(t *testing.T) {
	run := retryRun(t)
	doc := htmlParse(t, htmlRender(t, run))
	table := htmlByID(doc, "retries-table")
	if table == nil || htmlByID(doc, "chart-load") == nil {
		t.Fatal("no retries table or load chart")
	}
	c := countRetries(policyBackoff)
	rows := map[string][]string{}
	for _, tr := range htmlFindAll(table, func(n *html.Node) bool { return n.Data == "tr" }) {
		var cells []string
		for _, td := range htmlFindAll(tr, func(n *html.Node) bool { return n.Data == "td" || n.Data == "th" }) {
			cells = append(cells, htmlText(td))
		}
		rows[cells[0]] = cells[1:]
	}
	for label, want := range map[string][]string{
		"amplification":    {fmt.Sprintf("%.2f×", float64(c.attempts)/float64(c.logical)), "attempts per logical request"},
		"eventual success": {fmt.Sprintf("%.2f %%", 100*float64(c.succeeded)/float64(c.logical)), fmt.Sprintf("%d of %d logical requests", c.succeeded, c.logical)},
		"recovery":         {"2 s (±1 s)", "fault 6 s → 9 s, recovered 2 s after (±1 s)"},
	} {
		if !slices.Equal(rows[label], want) {
			t.Errorf("retries table row %q: %q; want %q", label, rows[label], want)
		}
	}
	var data htmlData
	if err := json.Unmarshal(htmlChartData(t, doc), &data); err != nil {
		t.Fatal(err)
	}
	if data.Load == nil || len(data.Load.Series) != 2 {
		t.Fatalf("load chart %+v; want two series", data.Load)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(htmlChartData(t, doc)), "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	golden.Check(t, "json", b.Bytes())
	// Every interval is covered whole (the run starts and ends on one):
	// the rates per second times the interval add up to the counts.
	var logical, attempts float64
	for i := range data.Load.X {
		logical += data.Load.Series[0].Values[i] * data.Step
		attempts += data.Load.Series[1].Values[i] * data.Step
	}
	if math.Abs(logical-float64(c.logical)) > 1 || math.Abs(attempts-float64(c.attempts)) > 1 {
		t.Errorf("load chart adds up to %v logical, %v attempts; want %d, %d", logical, attempts, c.logical, c.attempts)
	}
}
