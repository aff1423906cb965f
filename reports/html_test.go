package reports

import (
	"bytes"
	"encoding/json"
	"html/template"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/net/html"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/internal/golden"
	"github.com/stampede-dev/stampede/records"
)

// htmlRender returns the HTML report of a run.
func htmlRender(t testing.TB, run analyze.Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, run); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// htmlParse parses a page, failing the test if it does not parse.
func htmlParse(t testing.TB, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// htmlFindAll returns the elements under n for which match is true, in
// document order.
func htmlFindAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

func htmlAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func htmlByID(doc *html.Node, id string) *html.Node {
	found := htmlFindAll(doc, func(n *html.Node) bool { v, _ := htmlAttr(n, "id"); return v == id })
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

// htmlText returns the text under n, white space collapsed.
func htmlText(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// htmlChartData returns the JSON of the page's chart data, as embedded.
func htmlChartData(t testing.TB, doc *html.Node) []byte {
	t.Helper()
	n := htmlByID(doc, "report-data")
	if n == nil || n.FirstChild == nil {
		t.Fatal("no #report-data script")
	}
	if typ, _ := htmlAttr(n, "type"); typ != "application/json" {
		t.Fatalf("#report-data has type %q; want application/json", typ)
	}
	return []byte(n.FirstChild.Data)
}

// The charts the page draws, by the id of their container.
var htmlCharts = []string{"chart-families", "chart-errors", "chart-classes", "chart-latency", "chart-percentiles", "chart-scatter", "chart-rates", "chart-in-flight"}

// TestHTML checks the page of timedRun: the verdict, key numbers, every
// class, the contract's rules and the metadata are there; uPlot and its
// licence are embedded; nothing is loaded from anywhere; the chart data
// is consistent.
func TestHTML(t *testing.T) {
	run := timedRun(t)
	page := htmlRender(t, run)
	doc := htmlParse(t, page)
	esc := template.HTMLEscapeString

	wants := []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
		"FAIL", "rate-limit contract: 3 violations",
		"1200", "29.979 s", "40.0/s", "32.6/s", "81.50 %", "6.483 ms", "9.487 ms", "10.575 ms", "5.001 s",
		"run-0001", "stampede test", "shard-a", "timed.bin", "2026-11-23T12:00:00Z", "constant 40/s for 30s",
		esc("stampede attack --rate 40/s --duration 30s -H 'Authorization: [REDACTED]' 'http://127.0.0.1:8080/v1/items?api_key=REDACTED'"),
		"uPlot " + UPlotVersion, "MIT licence", "Leon Sorokin",
	}
	if v := run.Verdict(); !v.Pass {
		for _, r := range v.Reasons {
			wants = append(wants, esc(r))
		}
	}
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(page, testKey) {
		t.Error("page shows the API key")
	}

	// uPlot, its style and its licence, verbatim.
	for _, name := range []string{"uPlot.iife.min.js", "uPlot.min.css"} {
		b, err := htmlAssets.ReadFile("assets/uplot/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page, string(b)) {
			t.Errorf("page does not embed %s", name)
		}
	}
	license, err := htmlAssets.ReadFile("assets/uplot/LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, esc(string(license))) || !bytes.Contains(license, []byte("Permission is hereby granted")) {
		t.Error("page does not show uPlot's licence")
	}

	// Nothing loads: no element has a src, no link but the empty data:
	// icon, no URL in an attribute that fetches, no url() or @import in
	// the style.
	for _, n := range htmlFindAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch a.Key {
			case "src", "srcset", "action", "formaction", "poster", "data", "background", "ping":
				t.Errorf("<%s %s=%q>: the page must load nothing", n.Data, a.Key, a.Val)
			case "href":
				if a.Val != "data:," {
					t.Errorf("<%s href=%q>: the page must load nothing", n.Data, a.Val)
				}
			}
		}
	}
	for _, re := range []string{`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`, `(?i)url\(\s*["']?\s*(https?:)?//`, `(?i)@import`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("page has %q, a load", m)
		}
	}

	// Structure: the sections, four chart containers, the classes table
	// (10 columns, one row per class, most frequent first), the contract
	// table (one row per rule that applied), three scripts.
	for _, id := range append([]string{"verdict", "numbers", "charts", "classes", "contract", "metadata"}, htmlCharts...) {
		if htmlByID(doc, id) == nil {
			t.Errorf("no element #%s", id)
		}
	}
	if n := len(htmlFindAll(doc, func(n *html.Node) bool { _, ok := htmlAttr(n, "data-chart"); return ok })); n != len(htmlCharts) {
		t.Errorf("%d chart containers; want %d", n, len(htmlCharts))
	}
	table := htmlByID(doc, "classes-table")
	if table == nil {
		t.Fatal("no classes table")
	}
	heads := htmlFindAll(table, func(n *html.Node) bool { return n.Data == "th" })
	var headings []string
	for _, h := range heads {
		headings = append(headings, htmlText(h))
	}
	if want := []string{"Status", "Code", "Category", "Retryable", "Count", "Share", "p50", "p99", "Max", "Message"}; !slices.Equal(headings, want) {
		t.Errorf("classes table headings %q; want %q", headings, want)
	}
	rows := htmlFindAll(table, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	stats := run.Summary.ClassStats()
	if len(rows) != len(stats) {
		t.Fatalf("%d class rows; want %d", len(rows), len(stats))
	}
	for i, st := range stats {
		cells := htmlFindAll(rows[i], func(n *html.Node) bool { return n.Data == "td" })
		if len(cells) != 10 {
			t.Fatalf("row %d has %d cells; want 10", i, len(cells))
		}
		c := st.Class
		q := analyze.LatencyQuantiles(st.Latency)
		retryable := yesNo(c.Retryable)
		if c.Category == records.CatSuccess {
			retryable = "-" // a success is no failure to retry
		}
		for j, want := range map[int]string{0: classStatus(c), 1: orDash(c.Code), 2: c.Category.String(), 3: retryable,
			4: strconv.FormatUint(st.Count, 10), 6: FormatLatency(q.P50), 7: FormatLatency(q.P99), 8: FormatLatency(q.Max)} {
			if got := htmlText(cells[j]); got != want {
				t.Errorf("class %d (%s) column %s = %q; want %q", i, classStatus(c), headings[j], got, want)
			}
		}
		if msg := classMessage(c); msg != "" && !strings.HasPrefix(htmlText(cells[9]), strings.Join(strings.Fields(msg), " ")) {
			t.Errorf("class %d message cell %q; want it to start with %q", i, htmlText(cells[9]), msg)
		}
		if got := len(htmlFindAll(cells[9], func(n *html.Node) bool { return n.Data == "pre" })); got != len(c.Samples) {
			t.Errorf("class %d shows %d samples; want %d", i, got, len(c.Samples))
		}
	}
	contract := htmlByID(doc, "contract-table")
	if contract == nil {
		t.Fatal("no contract table")
	}
	ruleRows := htmlFindAll(contract, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	var checked int
	for _, r := range run.Contract.Rules {
		if r.Checked == 0 {
			continue
		}
		if checked >= len(ruleRows) {
			t.Errorf("no contract row for rule %s", r.Name)
			continue
		}
		row := ruleRows[checked]
		checked++
		code := htmlFindAll(row, func(n *html.Node) bool { return n.Data == "code" })
		if len(code) == 0 || htmlText(code[0]) != r.Name || !strings.Contains(htmlText(row), r.Title) {
			t.Errorf("contract row %q does not show rule %s (%s)", htmlText(row), r.Name, r.Title)
		}
		cells := htmlFindAll(row, func(n *html.Node) bool { return n.Data == "td" })
		want := []string{r.Severity.String(), strconv.FormatUint(r.Checked, 10), strconv.FormatUint(r.Violations, 10), "-"}
		if r.Violations > 0 {
			want[2] += " violated"
		}
		if len(r.Examples) > 0 {
			want[3] = strings.Join(strings.Fields(evidence(r.Examples[0])), " ")
		}
		if len(cells) != 5 || !slices.Equal([]string{htmlText(cells[1]), htmlText(cells[2]), htmlText(cells[3]), htmlText(cells[4])}, want) {
			t.Errorf("contract row %q; want rule %s with %q", htmlText(row), r.Name, want)
		}
	}
	if checked != len(ruleRows) {
		t.Errorf("%d contract rows; want %d", len(ruleRows), checked)
	}
	scripts := htmlFindAll(doc, func(n *html.Node) bool { return n.Data == "script" })
	if len(scripts) != 3 {
		t.Errorf("%d scripts; want 3 (data, uPlot, the page's)", len(scripts))
	}

	// The data: every series as long as its x, no chart over the bound.
	var data htmlData
	if err := json.Unmarshal(htmlChartData(t, doc), &data); err != nil {
		t.Fatal(err)
	}
	htmlCheckCharts(t, data)
	// 30 s at 40/s: intervals of half a second hold 20 requests.
	if data.Step != 0.5 || len(data.Latency.X) != 60 || len(data.Classes.Series) != len(stats) || len(data.Percentiles.Series) != 1+HistogramClasses {
		t.Errorf("%d latency points of %v s, %d class series, %d percentile series; want 60 of 0.5 s, %d, %d",
			len(data.Latency.X), data.Step, len(data.Classes.Series), len(data.Percentiles.Series), len(stats), 1+HistogramClasses)
	}
	htmlCheckRates(t, data, 40)
	// Every class has its series, its count in the legend; the most
	// frequent and the server errors are shown.
	for i, st := range stats {
		s := data.Classes.Series[i]
		if !strings.HasPrefix(s.Legend, strconv.FormatUint(st.Count, 10)+" (") {
			t.Errorf("class %d legend %q; want its count %d first", i, s.Legend, st.Count)
		}
		if s.Hidden {
			t.Errorf("class %d (%s) is hidden; the page has 7 classes and shows them all", i, s.Label)
		}
	}
}

// htmlCheckRates checks the charts of a run at a constant rate: every
// interval, the first and the last included, offers that rate within the
// one request it may count or not (no fake ramp where the run covers an
// interval in part), and the classes and the status families of each
// interval add up to what it offered.
func htmlCheckRates(t *testing.T, data htmlData, rate float64) {
	t.Helper()
	offered := data.Rates.Series[0].Values
	for j, v := range offered {
		if math.Abs(v-rate) > rate/100+1/data.Step {
			t.Errorf("interval %d of %d offers %v/s; want %v/s", j, len(offered), v, rate)
		}
	}
	for name, c := range map[string]htmlChart{"classes": data.Classes, "families": data.Families} {
		if len(c.X) != len(offered) {
			t.Fatalf("chart %s has %d intervals; want %d", name, len(c.X), len(offered))
		}
		for j := range c.X {
			var sum float64
			for _, s := range c.Series {
				sum += s.Values[j]
			}
			if math.Abs(sum-offered[j]) > 0.01*float64(len(c.Series)) {
				t.Errorf("chart %s, interval %d: the series add up to %v/s; want the %v/s offered", name, j, sum, offered[j])
			}
		}
	}
}

// htmlCheckCharts checks that every chart's series are as long as its x
// and that no chart has more than MaxChartPoints points.
func htmlCheckCharts(t *testing.T, data htmlData) {
	t.Helper()
	for name, c := range map[string]htmlChart{"latency": data.Latency, "percentiles": data.Percentiles, "classes": data.Classes, "rates": data.Rates,
		"families": data.Families, "errors": data.Errors, "in flight": data.InFlight} {
		if len(c.X) == 0 || len(c.X) > MaxChartPoints {
			t.Errorf("chart %s has %d points; want 1 to %d", name, len(c.X), MaxChartPoints)
		}
		if !slices.IsSorted(c.X) {
			t.Errorf("chart %s: x is not ascending", name)
		}
		if len(c.Series) == 0 {
			t.Errorf("chart %s has no series", name)
		}
		for _, s := range c.Series {
			if len(s.Values) != len(c.X) {
				t.Errorf("chart %s, series %q: %d values for %d points", name, s.Label, len(s.Values), len(c.X))
			}
		}
	}
}

// UnmarshalJSON reads what MarshalJSON wrote, null as NaN, for the tests.
func (v *htmlValues) UnmarshalJSON(b []byte) error {
	var raw []*float64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*v = make(htmlValues, len(raw))
	for i, x := range raw {
		(*v)[i] = math.NaN()
		if x != nil {
			(*v)[i] = *x
		}
	}
	return nil
}

// TestHTMLData keeps the chart data of timedRun's page in a golden file:
// the latency quantiles over time, the percentile curves, the classes
// over time and the rates, as the page embeds them.
func TestHTMLData(t *testing.T) {
	doc := htmlParse(t, htmlRender(t, timedRun(t)))
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(htmlChartData(t, doc)), "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	golden.Check(t, "json", b.Bytes())
}

// Text a hostile target puts in its responses.
const (
	htmlHostileMessage = `<script>alert(1)</script>`
	htmlHostileCode    = `"><img src=x onerror=alert(2)>`
	htmlHostileSample  = "</script><script>alert(3)</script><!--\u202e"
)

// htmlHostileRun is timedRun with a class whose code, message, sample and
// example request are markup and script, and an interruption and a
// command line that are too.
func htmlHostileRun(t testing.TB) analyze.Run {
	t.Helper()
	run := timedRun(t)
	s := run.Summary
	id := s.ImportClass(records.Class{
		Status: 418, Category: records.CatValidation, Code: htmlHostileCode,
		Message: htmlHostileMessage, Pattern: htmlHostileMessage, Dialect: "<b>dialect</b>",
		Example: "GET /</script><script>alert(4)</script>",
	}, []string{htmlHostileSample})
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		s.Add(&records.Record{
			Seq: uint64(2000 + i), Scheduled: t0.Add(time.Duration(i) * 5 * time.Second), Latency: 3 * time.Millisecond,
			Status: 418, ErrorCode: htmlHostileCode, Category: records.CatValidation, Class: id, Attempt: 1,
		})
	}
	run.Interrupted = "<script>alert(5)</script>"
	run.Command = append(run.Command, "</script><script>alert(6)</script>")
	return run
}

// TestHTMLEscapes: what a target sent is text on the page, never markup:
// escaped in the HTML, \u003c in the JSON, and the page has no element a
// target added.
func TestHTMLEscapes(t *testing.T) {
	page := htmlRender(t, htmlHostileRun(t))
	for _, raw := range []string{htmlHostileMessage, "<img", "<script>alert", "\u202e", "<b>dialect"} {
		if strings.Contains(page, raw) {
			t.Errorf("page contains %q unescaped", raw)
		}
	}
	esc := template.HTMLEscapeString
	for _, want := range []string{esc(htmlHostileMessage), esc(htmlHostileCode), esc("</script><script>alert(3)</script><!--"), esc("<script>alert(5)</script>")} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks the escaped %q", want)
		}
	}
	doc := htmlParse(t, page)
	if n := len(htmlFindAll(doc, func(n *html.Node) bool { return n.Data == "script" })); n != 3 {
		t.Errorf("%d scripts; want 3", n)
	}
	if n := len(htmlFindAll(doc, func(n *html.Node) bool { return n.Data == "img" || n.Data == "b" })); n != 0 {
		t.Errorf("%d elements a target injected", n)
	}
	for _, n := range htmlFindAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=%q>: an event handler", n.Data, a.Key, a.Val)
			}
		}
	}
	var found bool
	for _, td := range htmlFindAll(doc, func(n *html.Node) bool { return n.Data == "td" }) {
		if strings.HasPrefix(htmlText(td), htmlHostileMessage) {
			found = true
		}
	}
	if !found {
		t.Errorf("no cell shows the message %q as text", htmlHostileMessage)
	}
	data := string(htmlChartData(t, doc))
	if strings.ContainsAny(data, "<>") || !strings.Contains(data, `418 \"\u003e\u003cimg`) {
		t.Errorf("chart data does not escape the class label:\n%s", data)
	}
}

// TestHTMLNoContract: without contract checks the page has no contract
// section; with checks that saw nothing, it says so.
func TestHTMLNoContract(t *testing.T) {
	run := timedRun(t)
	run.Contract = nil
	doc := htmlParse(t, htmlRender(t, run))
	if htmlByID(doc, "contract") != nil {
		t.Error("contract section without a contract")
	}
	run.Contract = contract.New(contract.Options{}).Report()
	page := htmlRender(t, run)
	if !strings.Contains(page, "No 429, no 503 and no rate-limit header seen: nothing to check.") {
		t.Error("an empty contract does not say so")
	}
}

// TestHTMLEmpty: a run without requests renders, fails and has empty
// charts.
func TestHTMLEmpty(t *testing.T) {
	page := htmlRender(t, analyze.Run{})
	doc := htmlParse(t, page)
	if !strings.Contains(page, "FAIL") || !strings.Contains(page, "no request was made") || !strings.Contains(page, "No requests.") {
		t.Error("empty run: no FAIL, no reason or no empty table")
	}
	var data htmlData
	if err := json.Unmarshal(htmlChartData(t, doc), &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Latency.X)+len(data.Percentiles.X)+len(data.Classes.X)+len(data.Rates.X) != 0 {
		t.Errorf("empty run has chart data: %+v", data)
	}
}

// htmlHourRun is a run of one hour with a timeline of 3600 one-second
// intervals, three classes and latency that varies from one interval to
// the next. A timeline built by Add would widen its intervals to bound
// its histograms; this one is built whole, its intervals sharing a few
// histograms, to test the page at the timeline's longest.
func htmlHourRun(t testing.TB) analyze.Run {
	t.Helper()
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := analyze.NewSummary()
	ids := []uint32{
		s.ImportClass(records.Class{Status: 200, Category: records.CatSuccess}, nil),
		s.ImportClass(records.Class{Status: 429, Category: records.CatRateLimit, Code: "rate_limit_exceeded", Retryable: true, Message: "slow down"}, nil),
		s.ImportClass(records.Class{Status: 503, Category: records.CatUnavailable, Retryable: true}, nil),
	}
	for i := range 3600 * 4 {
		c := 0
		switch {
		case i%7 == 3:
			c = 1
		case i%53 == 5:
			c = 2
		}
		s.Add(&records.Record{
			Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 250 * time.Millisecond), Latency: time.Duration(1000+(i*37)%9000) * time.Microsecond,
			Status: []uint16{200, 429, 503}[c], ErrorCode: []string{"", "rate_limit_exceeded", ""}[c], Class: ids[c], Attempt: 1,
		})
	}
	// 60 kinds of interval, each class with its own latency.
	pool := make([][4]*hdrhistogram.Histogram, 60)
	for k := range pool {
		for j := range pool[k] {
			h := analyze.NewTimelineHistogram()
			for n := range 4 {
				analyze.RecordLatency(h, time.Duration(1000+200*k+500*j+300*n+int(1000*math.Sin(float64(k))))*time.Microsecond)
			}
			pool[k][j] = h
		}
	}
	tl := analyze.Timeline{Width: int64(time.Second / analyze.TimelineTick), Origin: t0.Unix(), Buckets: make([]analyze.TimeBucket, 3600)}
	for i := range tl.Buckets {
		p := pool[(i*7+i/60)%len(pool)]
		tl.Buckets[i] = analyze.TimeBucket{
			Offered: uint64(18 + i%5), Sent: uint64(18 + (i+1)%5), Families: [analyze.Families]uint64{analyze.Family2xx: uint64(18 + i%5)}, Latency: analyze.CellOf(p[0]),
			Classes: map[uint32]*analyze.Cell{ids[0]: analyze.CellOf(p[1]), ids[1]: analyze.CellOf(p[2]), ids[2]: analyze.CellOf(p[3])},
		}
	}
	s.Timeline = tl
	return analyze.Run{Summary: s, Target: "GET http://127.0.0.1:8080/", Pacer: "constant 20/s", Planned: time.Hour, Start: t0}
}

// TestHTMLLongRun: an hour of one-second intervals stays a small page:
// every chart is downsampled to at most MaxChartPoints points.
func TestHTMLLongRun(t *testing.T) {
	run := htmlHourRun(t)
	if n := len(run.Summary.Timeline.Points()); n != 3600 {
		t.Fatalf("fixture has %d intervals; want 3600", n)
	}
	page := htmlRender(t, run)
	const limit = 1500 * 1024
	if len(page) > limit {
		t.Errorf("page of an hour is %d bytes; want at most %d", len(page), limit)
	}
	t.Logf("page of an hour: %d bytes", len(page))
	var data htmlData
	if err := json.Unmarshal(htmlChartData(t, htmlParse(t, page)), &data); err != nil {
		t.Fatal(err)
	}
	htmlCheckCharts(t, data)
	if data.Step != 1 {
		t.Errorf("intervals of %v s; want 1 s, the timeline's (about 20 requests each)", data.Step)
	}
	for name, c := range map[string]htmlChart{"latency": data.Latency, "classes": data.Classes, "rates": data.Rates, "families": data.Families} {
		if len(c.X) < MaxChartPoints/2 {
			t.Errorf("chart %s kept %d of 3600 points; want most of %d", name, len(c.X), MaxChartPoints)
		}
		if c.X[0] != float64(run.Start.Unix()) || c.X[len(c.X)-1] != float64(run.Start.Unix()+3599) {
			t.Errorf("chart %s spans %v to %v; want the first and last interval", name, c.X[0], c.X[len(c.X)-1])
		}
	}
}

// TestHTMLEveryClass: the chart of classes over time has a series for
// every class, its count in the legend; it shows the most frequent ones
// and the server errors first, however rare, the others a click away.
func TestHTMLEveryClass(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := analyze.NewSummary()
	const classes = 12
	add := func(status uint16, cat records.Category, n int) {
		id := s.ImportClass(records.Class{Status: status, Category: cat}, nil)
		for i := range n {
			s.Add(&records.Record{Scheduled: t0.Add(time.Duration(i) * time.Second), Latency: time.Millisecond, Status: status, Class: id})
		}
	}
	for c := range classes {
		add(uint16(400+c), records.CatValidation, 20-c) // class c has 20 − c records
	}
	add(503, records.CatUnavailable, 1)
	var data htmlData
	if err := json.Unmarshal(htmlChartData(t, htmlParse(t, htmlRender(t, analyze.Run{Summary: s}))), &data); err != nil {
		t.Fatal(err)
	}
	var shown, hidden []string
	for _, series := range data.Classes.Series {
		if series.Hidden {
			hidden = append(hidden, series.Label)
		} else {
			shown = append(shown, series.Label)
		}
	}
	wantShown := []string{"400 validation", "401 validation", "402 validation", "403 validation", "404 validation", "405 validation", "406 validation", "407 validation", "503 unavailable"}
	wantHidden := []string{"408 validation", "409 validation", "410 validation", "411 validation"}
	if !slices.Equal(shown, wantShown) || !slices.Equal(hidden, wantHidden) {
		t.Errorf("class series shown %q, hidden %q; want %q and %q", shown, hidden, wantShown, wantHidden)
	}
	if first, last := data.Classes.Series[0].Legend, data.Classes.Series[len(data.Classes.Series)-1].Legend; !strings.HasPrefix(first, "20 (") || !strings.HasPrefix(last, "1 (") {
		t.Errorf("legends %q … %q; want the counts 20 … 1", first, last)
	}
	var families []string
	for _, f := range data.Families.Series {
		families = append(families, f.Label+" "+f.Legend)
	}
	if want := []string{"4xx 174 (99.43 %)", "5xx 1 (0.57 %)"}; !slices.Equal(families, want) {
		t.Errorf("families %q; want %q", families, want)
	}
}

// TestLTTB checks the downsampling: the first and last points stay, at
// most n are kept, in order, and a lone peak survives.
func TestLTTB(t *testing.T) {
	line := func(n int, f func(i int) float64) ([]float64, []float64) {
		x, y := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i], y[i] = float64(i), f(i)
		}
		return x, y
	}
	tests := []struct {
		name    string
		n, keep int
		y       func(i int) float64
		want    []int // indices that must be kept
	}{
		{"fewer than n", 5, 10, func(i int) float64 { return float64(i) }, []int{0, 1, 2, 3, 4}},
		{"as many as n", 10, 10, func(i int) float64 { return float64(i) }, []int{0, 9}},
		{"peak", 1000, 50, func(i int) float64 { return map[bool]float64{true: 100}[i == 517] }, []int{0, 517, 999}},
		{"trough", 3600, 100, func(i int) float64 { return 10 - map[bool]float64{true: 10}[i == 1234] }, []int{0, 1234, 3599}},
		{"gap", 500, 20, func(i int) float64 {
			if i == 250 {
				return math.NaN()
			}
			return 5
		}, []int{0, 250, 499}},
		{"sine", 3600, 333, func(i int) float64 { return math.Sin(float64(i) / 100) }, []int{0, 3599}},
		{"n below 3", 100, 1, func(i int) float64 { return float64(i % 3) }, []int{0, 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := line(tt.n, tt.y)
			got := lttb(x, y, tt.keep)
			if len(got) > max(tt.keep, 3) || len(got) > tt.n {
				t.Errorf("lttb(%d points, %d) kept %d", tt.n, tt.keep, len(got))
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("lttb(%d points, %d) = %v; want ascending distinct indices", tt.n, tt.keep, got)
			}
			for _, i := range tt.want {
				if !slices.Contains(got, i) {
					t.Errorf("lttb(%d points, %d) drops point %d", tt.n, tt.keep, i)
				}
			}
		})
	}
}

// TestHTMLValuesJSON: values are rounded to the microsecond of a
// millisecond, and gaps are null.
func TestHTMLValuesJSON(t *testing.T) {
	b, err := json.Marshal(htmlValues{1, 2.5, math.NaN(), 0.0004, 1234.56789, math.Inf(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "[1,2.5,null,0,1234.568,null]"; got != want {
		t.Errorf("json.Marshal(values) = %s; want %s", got, want)
	}
}
