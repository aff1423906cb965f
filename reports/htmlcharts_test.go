package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

// constantRun returns the run of n requests at rate per second from start,
// each answered status after latency.
func constantRun(start time.Time, rate float64, n int, latency time.Duration, status func(i int) uint16) analyze.Run {
	s := analyze.NewSummary()
	for i := range n {
		s.Add(&records.Record{Scheduled: start.Add(time.Duration(float64(i) / rate * float64(time.Second))), Latency: latency, Status: status(i), Attempt: 1})
	}
	return analyze.Run{Summary: s, Target: "GET http://127.0.0.1:8080/", Pacer: "constant", Start: start}
}

// htmlDataOf renders the page of a run and returns its chart data.
func htmlDataOf(t *testing.T, run analyze.Run) htmlData {
	t.Helper()
	var data htmlData
	if err := json.Unmarshal(htmlChartData(t, htmlParse(t, htmlRender(t, run))), &data); err != nil {
		t.Fatal(err)
	}
	return data
}

func ok(int) uint16 { return 200 }

// TestHTMLNoFakeDips: a constant 50/s run of 2 s, starting and ending
// within a second, is drawn flat at 50/s in quarters of a second, within
// the one request an interval counts or not (it was a triangle 25 → 50 →
// 25 in whole seconds).
func TestHTMLNoFakeDips(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 300e6, time.UTC)
	data := htmlDataOf(t, constantRun(start, 50, 100, 2*time.Millisecond, ok))
	if data.Step != 0.25 || len(data.Rates.X) != 9 { // 0.25 s to 2.5 s
		t.Errorf("%d intervals of %v s; want 9 of 0.25 s", len(data.Rates.X), data.Step)
	}
	htmlCheckRates(t, data, 50)
}

// TestHTMLIntervalWidth: the width of the charts' intervals follows the
// run's length and rate: intervals of 20 requests at least, 16 intervals
// at least, never narrower than the timeline's.
func TestHTMLIntervalWidth(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		rate float64
		n    int
		want float64 // seconds
	}{
		{"2 s at 50/s", 50, 100, 0.25},
		{"one request", 1, 1, 0.125},
		{"30 s at 40/s", 40, 1200, 0.5},
		{"50 s at 1000/s", 1000, 50_000, 0.125},
		{"10 minutes at 10/s", 10, 6000, 2},
		{"an hour at 2/s", 2, 7200, 16},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := constantRun(start, tt.rate, tt.n, time.Millisecond, ok)
			if got := htmlView(run.Summary).Step().Seconds(); got != tt.want {
				t.Errorf("intervals of %v s; want %v s", got, tt.want)
			}
		})
	}
}

// TestHTMLErrorsAndFamilies: an outage in the middle of a run shows on
// the chart of status families and on the chart of errors, in the
// intervals it lasted and nowhere else.
func TestHTMLErrorsAndFamilies(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	// 20 s at 40/s: 503 from 8 s to 12 s; a 404 every 10th request.
	data := htmlDataOf(t, constantRun(start, 40, 800, time.Millisecond, func(i int) uint16 {
		switch {
		case i >= 320 && i < 480:
			return 503
		case i%10 == 0:
			return 404
		}
		return 200
	}))
	if data.Step != 0.5 {
		t.Fatalf("intervals of %v s; want 0.5", data.Step)
	}
	htmlCheckRates(t, data, 40)
	var labels []string
	for _, s := range data.Families.Series {
		labels = append(labels, s.Label+" "+s.Legend)
	}
	if got := strings.Join(labels, "; "); got != "2xx 576 (72.00 %); 4xx 64 (8.00 %); 5xx 160 (20.00 %)" {
		t.Errorf("families %q; want 2xx 576, 4xx 64, 5xx 160", got)
	}
	failed, faults := data.Errors.Series[0], data.Errors.Series[1]
	if failed.Legend != "28.00 % overall" || faults.Legend != "20.00 % overall" {
		t.Errorf("error legends %q, %q; want 28.00 %% and 20.00 %% overall", failed.Legend, faults.Legend)
	}
	for j, x := range data.Errors.X {
		at := x - unixSeconds(start)
		outage := at >= 8 && at < 12
		switch {
		case outage && (faults.Values[j] != 100 || failed.Values[j] != 100):
			t.Errorf("at %v s, in the outage: %v %% failed, %v %% faults; want 100 %%", at, failed.Values[j], faults.Values[j])
		case !outage && (faults.Values[j] != 0 || failed.Values[j] != 10):
			t.Errorf("at %v s: %v %% failed, %v %% faults; want 10 %% and 0", at, failed.Values[j], faults.Values[j])
		}
	}
}

// TestHTMLInFlight: requests of 300 ms at 10/s keep 3 in flight.
func TestHTMLInFlight(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	data := htmlDataOf(t, constantRun(start, 10, 300, 300*time.Millisecond, ok))
	v := data.InFlight.Series[0].Values
	if len(v) < 6 {
		t.Fatalf("%d intervals in flight", len(v))
	}
	for j := 1; j < len(v)-1; j++ { // the first and the last fill and drain
		if math.Abs(v[j]-3) > 0.05 {
			t.Errorf("interval %d: %v in flight; want 3", j, v[j])
		}
	}
	if got := data.InFlight.Series[0].Legend; got != "mean 3.0, highest 3.0" {
		t.Errorf("legend %q; want mean 3.0, highest 3.0", got)
	}
}

// TestHTMLScatter: every request is a dot, with its time and latency, up
// to analyze.MaxScatterPoints; past it, the common class is thinned and
// says so, the rare one is whole.
func TestHTMLScatter(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	data := htmlDataOf(t, constantRun(start, 100, 500, 7*time.Millisecond, func(i int) uint16 { return map[bool]uint16{true: 503, false: 200}[i%50 == 0] }))
	sc := data.Scatter
	if sc == nil || len(sc.Classes) != 2 || len(sc.Classes[0].Time) != 490 || len(sc.Classes[1].Time) != 10 {
		t.Fatalf("scatter %+v; want 490 dots of 200 and 10 of 503", sc)
	}
	if sc.Classes[1].Time[1]+sc.T0-unixSeconds(start) != 0.5 || sc.Classes[1].Latency[1] != 7 || sc.Classes[1].Legend != "10" {
		t.Errorf("503's second dot at %v s, %v ms (legend %q); want 0.5 s, 7 ms", sc.Classes[1].Time[1]+sc.T0-unixSeconds(start), sc.Classes[1].Latency[1], sc.Classes[1].Legend)
	}
	if sc.Note != "Every one of the 500 requests." {
		t.Errorf("note %q", sc.Note)
	}

	n := analyze.MaxScatterPoints * 3
	data = htmlDataOf(t, constantRun(start, 1000, n, time.Millisecond, func(i int) uint16 { return map[bool]uint16{true: 503, false: 200}[i%100 == 0] }))
	sc = data.Scatter
	dots := len(sc.Classes[0].Time) + len(sc.Classes[1].Time)
	if dots > analyze.MaxScatterPoints || len(sc.Classes[1].Time) != n/100 || sc.Classes[1].Legend != "600" {
		t.Errorf("%d dots, %d of 503 (legend %q); want at most %d, all 600 of 503", dots, len(sc.Classes[1].Time), sc.Classes[1].Legend, analyze.MaxScatterPoints)
	}
	if !strings.HasPrefix(sc.Classes[0].Legend, "14850 of 59400 (1 in 4)") || !strings.Contains(sc.Note, "thinned evenly") {
		t.Errorf("legend %q, note %q; want the 200s thinned 1 in 4 and the note to say so", sc.Classes[0].Legend, sc.Note)
	}
}

// TestHTMLBaseline: with a baseline run the page charts both, on seconds
// since each start; without one, it has neither the data nor the charts.
func TestHTMLBaseline(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	run := constantRun(start, 40, 400, 20*time.Millisecond, func(i int) uint16 { return map[bool]uint16{true: 500, false: 200}[i%4 == 0] })
	base := constantRun(start.Add(-24*time.Hour), 40, 400, 5*time.Millisecond, ok)
	run.Baseline = &base
	page := htmlRender(t, run)
	if !strings.Contains(page, `id="chart-baseline-latency"`) || !strings.Contains(page, `id="chart-baseline-errors"`) {
		t.Error("no baseline charts on a page with a baseline")
	}
	var data htmlData
	if err := json.Unmarshal(htmlChartData(t, htmlParse(t, page)), &data); err != nil {
		t.Fatal(err)
	}
	b := data.Baseline
	if b == nil || len(b.Latency.Series) != 4 || len(b.Errors.Series) != 2 || b.Latency.X[0] != 0 {
		t.Fatalf("baseline data %+v; want 4 latency series, 2 error series from 0 s", b)
	}
	now, before := b.Latency.Series[0].Values[3], b.Latency.Series[1].Values[3]
	if now < 19.5 || now > 20.5 || before < 4.9 || before > 5.1 {
		t.Errorf("p99 at the 4th interval: %v ms now, %v ms before; want 20 and 5", now, before)
	}
	if e, eb := b.Errors.Series[0].Values[3], b.Errors.Series[1].Values[3]; e != 25 || eb != 0 {
		t.Errorf("errors at the 4th interval: %v %% now, %v %% before; want 25 and 0", e, eb)
	}

	run.Baseline = nil
	page = htmlRender(t, run)
	if strings.Contains(page, "chart-baseline") || strings.Contains(string(htmlChartData(t, htmlParse(t, page))), `"baseline"`) {
		t.Error("baseline charts without a baseline")
	}
}

// TestHTMLOneRequest: a run of one request draws it (it was a null, a
// count divided by the no time a lone request covers).
func TestHTMLOneRequest(t *testing.T) {
	data := htmlDataOf(t, constantRun(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), 1, 1, time.Millisecond, ok))
	for name, c := range map[string]htmlChart{"rates": data.Rates, "families": data.Families, "classes": data.Classes} {
		if len(c.X) != 1 || math.IsNaN(c.Series[0].Values[0]) || c.Series[0].Values[0] <= 0 {
			t.Errorf("chart %s: %+v; want the request drawn", name, c)
		}
	}
}

// TestHTMLClassesPastTheTimeline: classes the timeline does not follow
// (past analyze.MaxTimelineClasses) get no series of zeros on the chart
// of classes.
func TestHTMLClassesPastTheTimeline(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := analyze.NewSummaryFor(classify.NewClassTable(analyze.MaxTimelineClasses + 10))
	for c := range analyze.MaxTimelineClasses + 5 {
		id := s.ImportClass(records.Class{Status: 400, Category: records.CatValidation, Code: fmt.Sprintf("E%d", c)}, nil)
		s.Add(&records.Record{Scheduled: t0.Add(time.Duration(c) * time.Millisecond), Latency: time.Millisecond, Status: 400, ErrorCode: fmt.Sprintf("E%d", c), Class: id})
	}
	data := htmlDataOf(t, analyze.Run{Summary: s})
	if n := len(data.Classes.Series); n != analyze.MaxTimelineClasses {
		t.Errorf("%d class series; want the %d the timeline follows", n, analyze.MaxTimelineClasses)
	}
	for _, series := range data.Classes.Series {
		var sum float64
		for _, v := range series.Values {
			sum += v
		}
		if sum == 0 {
			t.Fatalf("class %s is drawn as zeros though it has %d attempts", series.Label, series.Count)
		}
	}
}

// TestHTMLNoSpikeAtASliver: a run at 100/s, then 20/s, whose last request
// falls 5 ms into a new interval and fails is drawn at 20/s to its end,
// with 1 error in the 11 requests of the last two intervals: the sliver shares the rate and the error
// share of the interval before it (its one request over the run's mean
// gap read 60/s, its one failure 100 %).
func TestHTMLNoSpikeAtASliver(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := analyze.NewSummary()
	add := func(at time.Duration, status uint16) {
		s.Add(&records.Record{Scheduled: t0.Add(at), Latency: time.Millisecond, Status: status, Attempt: 1})
	}
	for i := range 200 {
		add(time.Duration(i)*10*time.Millisecond, 200)
	}
	for i := range 40 {
		status := uint16(200)
		if i == 39 {
			status = 503
		}
		add(2055*time.Millisecond+time.Duration(i)*50*time.Millisecond, status) // the last at 4.005 s
	}
	data := htmlDataOf(t, analyze.Run{Summary: s})
	offered := data.Rates.Series[0].Values
	if data.Step != 0.5 || len(offered) != 9 {
		t.Fatalf("%d intervals of %v s; want 9 of 0.5 s", len(offered), data.Step)
	}
	for j, want := range []float64{100, 100, 100, 100, 20, 20, 20, 20, 20} {
		if math.Abs(offered[j]-want) > 1/data.Step+1 {
			t.Errorf("interval %d offers %v/s; want %v/s", j, offered[j], want)
		}
	}
	failed := data.Errors.Series[0].Values
	if last := failed[len(failed)-2:]; last[0] != 9.091 || last[1] != 9.091 || failed[0] != 0 {
		t.Errorf("errors %v; want 0 %% but for the last two intervals, 1 in 11 (9.091 %%) over both", failed)
	}
}
