package reports

import (
	"bytes"
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
