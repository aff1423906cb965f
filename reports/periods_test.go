package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
)

// TestLoadOfRunsApart: the Load of the text and Markdown reports of runs
// recorded at different times lists each run with its own duration, not
// the first one's shape for the sum of their durations.
func TestLoadOfRunsApart(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	period := func(start time.Time, pacer string) analyze.Period {
		return analyze.Period{Pacer: pacer, Planned: 10 * time.Second, Span: analyze.Span{FirstScheduled: start, LastScheduled: start.Add(10 * time.Second), LastEnd: start.Add(10 * time.Second), Requests: 2000}}
	}
	run := analyze.Run{
		Summary: analyze.NewSummary(), Pacer: "2 load shapes: constant 200/s; constant 100/s", Planned: 20 * time.Second,
		Periods: []analyze.Period{period(t0, "constant 200/s"), period(t0.Add(time.Hour), "constant 100/s")},
	}
	const want = "2 runs at different times: constant 200/s for 10s; constant 100/s for 10s"
	var text, md bytes.Buffer
	if err := Text(&text, run, Options{}); err != nil {
		t.Fatal(err)
	}
	if line := "Load      " + want + "\n"; !strings.Contains(text.String(), line) {
		t.Errorf("Text: no line %q in\n%s", line, text.String())
	}
	if err := Markdown(&md, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "**Load** "+want) {
		t.Errorf("Markdown: no **Load** %s in\n%s", want, md.String())
	}
}

// TestHTMLOfRunsApart: the HTML page of runs recorded an hour apart names
// each run's load, and draws each at its own rate, not spread over the
// hour between them.
func TestHTMLOfRunsApart(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	a := constantRun(t0, 200, 2000, time.Millisecond, ok)
	b := constantRun(t0.Add(time.Hour), 200, 2000, time.Millisecond, ok)
	span := func(sum *analyze.Summary) analyze.Span {
		return analyze.Span{FirstScheduled: sum.FirstScheduled, LastScheduled: sum.LastScheduled, LastEnd: sum.LastEnd, Requests: sum.Requests}
	}
	spans := []analyze.Span{span(a.Summary), span(b.Summary)}
	s := analyze.NewSummary()
	s.Merge(a.Summary)
	s.Merge(b.Summary)
	s.Spans = spans
	run := analyze.Run{Summary: s, Pacer: "constant 200/s", Planned: 20 * time.Second, Periods: []analyze.Period{
		{Pacer: "constant 200/s", Planned: 10 * time.Second, Span: spans[0]},
		{Pacer: "constant 200/s", Planned: 10 * time.Second, Span: spans[1]},
	}}
	page := htmlRender(t, run)
	if want := "2 runs at different times: constant 200/s for 10s; constant 200/s for 10s"; !strings.Contains(page, want) {
		t.Errorf("the page does not say %q", want)
	}
	data := htmlDataOf(t, run)
	var busy int
	for j, v := range data.Rates.Series[0].Values {
		if v == 0 {
			continue // the hour between the runs
		}
		busy++
		if v < 190 || v > 210 {
			t.Errorf("interval %d of %v s offers %v/s; want 200/s", j, data.Step, v)
		}
	}
	if busy < 2 { // the timeline spans the hour between them in at most 3600 intervals: each run is a few
		t.Errorf("%d intervals with requests; want each run drawn", busy)
	}
}

// TestHTMLRunsApartEdges: two short runs 3 s apart are each drawn at
// their rate up to their edges, where one ends and the other begins (the
// window of the rates is made of the runs' spans, not of the first
// attempt of one and the last of the other).
func TestHTMLRunsApartEdges(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	a := constantRun(t0, 50, 100, time.Millisecond, ok)
	b := constantRun(t0.Add(5*time.Second+300*time.Millisecond), 50, 100, time.Millisecond, ok)
	span := func(sum *analyze.Summary) analyze.Span {
		return analyze.Span{FirstScheduled: sum.FirstScheduled, LastScheduled: sum.LastScheduled, LastEnd: sum.LastEnd, Requests: sum.Requests}
	}
	s := analyze.NewSummary()
	s.Spans = []analyze.Span{span(a.Summary), span(b.Summary)}
	s.Merge(a.Summary)
	s.Merge(b.Summary)
	data := htmlDataOf(t, analyze.Run{Summary: s})
	var busy int
	for j, v := range data.Rates.Series[0].Values {
		if v == 0 {
			continue
		}
		busy++
		if math.Abs(v-50) > 1/data.Step+0.5 {
			t.Errorf("interval %d of %v s offers %v/s; want 50/s", j, data.Step, v)
		}
	}
	if busy < 8 {
		t.Errorf("%d intervals with requests; want both runs drawn", busy)
	}
	if got := data.InFlight.Series[0].Legend; got != "mean 0.1, highest 0.1" {
		t.Errorf("in flight: %q; want the mean over the runs' time, not the gap's", got)
	}
}
