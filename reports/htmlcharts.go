package reports

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
)

// How the HTML report chooses the width of the intervals of its charts
// over time from the run's length and rate: the narrowest the timeline
// holds (an eighth of a second at best, wider for long runs) doubled
// while its intervals would average fewer than htmlMinPerInterval
// requests, so that a rate or a p99 is not the noise of a handful, and
// there would still be htmlMinIntervals of them. A 2 s run at 50/s is
// drawn in quarters of a second, 30 s at 40/s in half seconds, an hour
// at 10/s in 2 s intervals. Charts of more than MaxChartPoints intervals are
// downsampled (LTTB), which keeps their peaks.
const (
	htmlMinPerInterval = 20
	htmlMinIntervals   = 8
)

// htmlData is what the page's charts draw, computed here and embedded as
// JSON: latencies in milliseconds, times in Unix seconds.
type htmlData struct {
	Step        float64   `json:"step"`        // seconds per interval of the charts over time
	Latency     htmlChart `json:"latency"`     // p50, p90 and p99 of each interval
	Percentiles htmlChart `json:"percentiles"` // x = 1/(1−q), the latency at quantile q, overall and of the top classes
	// Classes are the responses per second of every class the timeline
	// follows, most frequent first; the page stacks them and shows the
	// series not Hidden.
	Classes  htmlChart `json:"classes"`
	Families htmlChart `json:"families"`  // responses per second by status family
	Errors   htmlChart `json:"errors"`    // the share of responses that were errors, in percent
	Rates    htmlChart `json:"rates"`     // offered, achieved and successful requests per second
	InFlight htmlChart `json:"in_flight"` // requests in flight, on average over each interval
	// Scatter is every request (or an even sample of each class), for
	// the chart of latency over time by class; nil without requests.
	Scatter *htmlScatter `json:"scatter,omitempty"`
	// Baseline charts this run against the baseline run (--baseline) on
	// the same scale of seconds since each run's start; nil without one.
	Baseline *htmlBaseline `json:"baseline,omitempty"`
	// Load is the load the clients offered (logical requests) and the
	// attempts their retries made of it, per second; only for a run
	// whose clients retried.
	Load *htmlChart `json:"load,omitempty"`
	// Elapsed says the x of the load charts is seconds since the run's
	// start, not a time (the comparison's runs ran at different times).
	Elapsed bool `json:"elapsed,omitempty"`
	// LoadMax is the top of the y axis of every load chart, so that the
	// comparison's charts share a scale; 0 for each its own.
	LoadMax float64 `json:"load_max,omitempty"`
}

// htmlChart is the data of one chart: x and the series drawn over it,
// each as long as x.
type htmlChart struct {
	X      htmlValues   `json:"x"`
	Series []htmlSeries `json:"series"`
}

// htmlSeries is one series of a chart.
type htmlSeries struct {
	Label  string     `json:"label"`
	Values htmlValues `json:"values"`
	// Legend is what the legend shows of the series without hovering:
	// its total, mean or overall value, with its unit.
	Legend string `json:"legend,omitempty"`
	// Hidden series are drawn only once the reader shows them.
	Hidden bool `json:"hidden,omitempty"`
	// Color names the colour of a series that has one of its own
	// (status families: "2xx", "5xx" …); "" for the palette's next.
	Color string `json:"color,omitempty"`
	// Count is the attempts of a class's series, which the page adds up
	// for the classes hidden.
	Count uint64 `json:"count,omitempty"`
}

// htmlValues are the values of a series; NaN is a gap (null in JSON).
type htmlValues []float64

// MarshalJSON writes the values with at most 3 decimals (a microsecond of
// a millisecond value), NaN as null.
func (v htmlValues) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, math.Round(x*1000)/1000, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

// htmlView returns the timeline the charts over time draw: the run's, its
// intervals widened as htmlMinPerInterval and htmlMinIntervals say.
func htmlView(s *analyze.Summary) *analyze.Timeline {
	t := &s.Timeline
	if t.Width == 0 {
		return t
	}
	var attempts uint64
	for i := range t.Buckets {
		attempts += t.Buckets[i].Offered
	}
	length := max(s.Duration(), time.Millisecond)
	step := t.Step()
	for {
		intervals := float64(length) / float64(step)
		perInterval := float64(attempts) / max(intervals, 1)
		if perInterval >= htmlMinPerInterval || intervals < 2*htmlMinIntervals-1 { // halved, fewer than about htmlMinIntervals
			break
		}
		step *= 2
	}
	return t.AtLeast(step)
}

// htmlWindow is the part of the time of a run a series covers, a part
// for each run of records recorded apart: rates per second divide each
// interval's count by the seconds of it the window covers, so that a run
// starting or ending within an interval does not seem to ramp up or die
// off.
type htmlWindow []htmlPart

// htmlPart is a stretch of time of an htmlWindow.
type htmlPart struct {
	from, to time.Time
	gap      time.Duration // the mean time between two attempts in it; 0 for one
}

// scheduleWindow is the time the run's schedule covered: in each of its
// spans, each attempt stands for the mean gap between attempts, centred
// on it, so a part runs from half a gap before the span's first attempt
// to half a gap after its last.
func scheduleWindow(s *analyze.Summary) htmlWindow {
	var w htmlWindow
	for _, sp := range s.Covered() {
		p := htmlPart{from: sp.FirstScheduled, to: sp.LastScheduled}
		if sp.Requests > 1 {
			p.gap = sp.LastScheduled.Sub(sp.FirstScheduled) / time.Duration(sp.Requests-1)
			p.from, p.to = p.from.Add(-p.gap/2), p.to.Add(p.gap/2)
		}
		w = append(w, p)
	}
	return w
}

// flightWindow is the time requests may have been in flight: each span
// from its first scheduled attempt to its last completion.
func flightWindow(s *analyze.Summary) htmlWindow {
	var w htmlWindow
	for _, sp := range s.Covered() {
		w = append(w, htmlPart{from: sp.FirstScheduled, to: sp.LastEnd})
	}
	return w
}

// seconds returns the seconds of an interval the window covers, but at
// least a mean gap of a part it meets (and at most the interval): a
// sliver holds one attempt at most, which must not make a spike. An
// interval a part of a single attempt meets counts whole; one the window
// does not meet covers 0 (nothing is counted in it).
func (w htmlWindow) seconds(start time.Time, step time.Duration) float64 {
	end := start.Add(step)
	var covered time.Duration
	floor, met := step, false
	for _, p := range w {
		from, to := start, end
		if p.from.After(from) {
			from = p.from
		}
		if p.to.Before(to) {
			to = p.to
		}
		if to.Before(from) || (to.Equal(from) && p.gap > 0) {
			continue
		}
		covered += to.Sub(from)
		met = true
		if p.gap > 0 {
			floor = min(floor, p.gap)
		}
	}
	if !met {
		return 0
	}
	return min(max(covered, floor), step).Seconds()
}

// htmlRates turns counts per interval into rates per second of the part
// of each interval the run covered.
type htmlRates struct {
	covered []float64 // seconds of each interval the window covers
	step    float64   // seconds of an interval
}

// newHTMLRates returns the rates of the intervals of points under window.
func newHTMLRates(points []analyze.TimePoint, window htmlWindow, step time.Duration) htmlRates {
	r := htmlRates{covered: make([]float64, len(points)), step: step.Seconds()}
	for i, p := range points {
		r.covered[i] = window.seconds(p.Start, step)
	}
	return r
}

// of returns counts (one per interval) per second of the covered part of
// each interval. An interval covered less than half, the edge of a run,
// shares the rate of the neighbour covered more, over both: its few
// requests are no rate of their own (one request in a sliver of 10 ms
// reads 100/s in a run at 20/s), and a run's rate does not jump at its
// edges.
func (r htmlRates) of(counts []float64) htmlValues {
	return r.ratios(counts, r.covered, 0) // an interval not covered counts nothing
}

// share returns parts / wholes of each interval in percent, a gap where
// the whole is 0, an edge covered less than half sharing its neighbour's
// as of does: one failure alone in a sliver is no 100 %.
func (r htmlRates) share(parts, wholes []float64) htmlValues {
	v := r.ratios(parts, wholes, math.NaN())
	for i := range v {
		v[i] *= 100
	}
	return v
}

// ratios returns num / den of each interval (none where den is 0), an
// interval covered less than half taking the ratio of the sums over it
// and its neighbour covered more.
func (r htmlRates) ratios(num, den []float64, none float64) htmlValues {
	v := make(htmlValues, len(num))
	for i := range num {
		v[i] = none
		if den[i] > 0 {
			v[i] = num[i] / den[i]
		}
	}
	whole := func(j int) bool { return j >= 0 && j < len(num) && r.covered[j] >= r.step/2 }
	for i := range num {
		if r.covered[i] == 0 || r.covered[i] >= r.step/2 {
			continue
		}
		j := i - 1
		if !whole(j) {
			j = i + 1
		}
		if whole(j) && den[i]+den[j] > 0 {
			v[i] = (num[i] + num[j]) / (den[i] + den[j])
			v[j] = v[i]
		}
	}
	return v
}

// htmlX returns the x of points: their starts in Unix seconds.
func htmlX(points []analyze.TimePoint) htmlValues {
	x := make(htmlValues, len(points))
	for i, p := range points {
		x[i] = unixSeconds(p.Start)
	}
	return x
}

// unixSeconds returns a time in Unix seconds, fractions included.
func unixSeconds(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

// newHTMLData computes the data of the charts from the summary's timeline,
// histograms and scatter; stats are its classes, most frequent first.
func newHTMLData(run analyze.Run, stats []*analyze.ClassStats) htmlData {
	s := run.Summary
	t := htmlView(s)
	points := t.Points()
	d := htmlData{Step: t.Step().Seconds()}
	x := htmlX(points)
	rates := newHTMLRates(points, scheduleWindow(s), t.Step())
	perSecond := func(count func(analyze.TimePoint) uint64) htmlValues {
		counts := make([]float64, len(points))
		for i, p := range points {
			counts[i] = float64(count(p))
		}
		return rates.of(counts)
	}

	d.Latency = htmlDownsampled(htmlChart{X: x, Series: htmlLatencySeries(points, analyze.LatencyQuantiles(s.Latency))})
	d.Classes = htmlDownsampled(htmlClassChart(t, x, rates, stats, s.Requests))
	d.Families = htmlDownsampled(htmlFamilyChart(points, x, perSecond))
	d.Errors = htmlDownsampled(htmlChart{X: x, Series: htmlErrorSeries(points, rates, s)})

	rate := func(label string, count func(analyze.TimePoint) uint64, total float64) htmlSeries {
		return htmlSeries{Label: label, Values: perSecond(count), Legend: "mean " + FormatRate(total)}
	}
	d.Rates = htmlDownsampled(htmlChart{X: x, Series: []htmlSeries{
		rate("offered", func(p analyze.TimePoint) uint64 { return p.Offered }, s.Rate()),
		rate("achieved (sent)", func(p analyze.TimePoint) uint64 { return p.Sent }, s.Rate()*sentShare(s)),
		rate("successful", func(p analyze.TimePoint) uint64 { return p.Successes }, s.Throughput()),
	}})
	d.InFlight = htmlDownsampled(htmlInFlightChart(t.InFlight(), flightWindow(s), s.Duration(), t.Step()))

	labels := htmlChartLabels(stats)
	hists := []*hdrhistogram.Histogram{s.Latency}
	names := []string{"all requests"}
	for i, st := range stats[:min(len(stats), HistogramClasses)] {
		hists = append(hists, st.Latency)
		names = append(names, labels[i])
	}
	d.Percentiles = htmlPercentileChart(names, hists)
	d.Scatter = newHTMLScatter(s, stats, labels)
	if run.Baseline != nil && run.Baseline.Summary != nil && run.Baseline.Summary.Requests > 0 {
		d.Baseline = newHTMLBaseline(s, run.Baseline.Summary)
	}
	return d
}

// sentShare is the share of the scheduled attempts that were sent: 1 but
// for a run cut short with attempts still queued.
func sentShare(s *analyze.Summary) float64 {
	var offered, sent uint64
	for i := range s.Timeline.Buckets {
		offered += s.Timeline.Buckets[i].Offered
		sent += s.Timeline.Buckets[i].Sent
	}
	if offered == 0 {
		return 0
	}
	return float64(sent) / float64(offered)
}

// htmlLatencySeries returns p50, p90 and p99 of each interval; the legend
// gives those of the whole run.
func htmlLatencySeries(points []analyze.TimePoint, overall analyze.Quantiles) []htmlSeries {
	p50, p90, p99 := htmlGaps(len(points)), htmlGaps(len(points)), htmlGaps(len(points))
	for i, p := range points {
		if p.Count > 0 {
			p50[i], p90[i], p99[i] = htmlMillis(p.P50), htmlMillis(p.P90), htmlMillis(p.P99)
		}
	}
	return []htmlSeries{
		{Label: "p50", Values: p50, Legend: FormatLatency(overall.P50) + " overall"},
		{Label: "p90", Values: p90, Legend: FormatLatency(overall.P90) + " overall"},
		{Label: "p99", Values: p99, Legend: FormatLatency(overall.P99) + " overall"},
	}
}

// htmlShownClasses is how many classes, the most frequent, the chart of
// classes shows at first; the others are a click away, but for the most
// frequent htmlShownFaults classes of server errors or transport
// failures, which are shown too: an outage is what the chart is for.
const (
	htmlShownClasses = 8
	htmlShownFaults  = 3
)

// htmlClassChart returns the responses per second of every class the
// timeline follows (ClassPoints lists only the intervals in which a class
// has attempts: the others count 0), each legend giving its share of the
// run's requests.
func htmlClassChart(t *analyze.Timeline, x htmlValues, rates htmlRates, stats []*analyze.ClassStats, requests uint64) htmlChart {
	labels := htmlChartLabels(stats)
	chart := htmlChart{X: x, Series: []htmlSeries{}}
	faults := 0
	for i, st := range stats {
		if !analyze.TimelineFollows(st.Class.ID) {
			continue // a class past the timeline's bound: not over time
		}
		counts := make([]float64, len(x))
		for _, p := range t.ClassPoints(st.Class.ID) {
			if j := int(p.Start.Sub(t.Start()) / t.Step()); j < len(counts) {
				counts[j] += float64(p.Count)
			}
		}
		fault := analyze.IsFault(st.Class.ErrorKind, st.Class.Status)
		shown := i < htmlShownClasses || (fault && faults < htmlShownFaults)
		if fault {
			faults++
		}
		chart.Series = append(chart.Series, htmlSeries{Label: labels[i], Values: rates.of(counts), Hidden: !shown, Count: st.Count,
			Legend: fmt.Sprintf("%d (%s)", st.Count, FormatShare(share(st.Count, requests)))})
	}
	return chart
}

// htmlFamilies are the status families the chart of families draws, in
// the order it stacks them; a family without attempts is left out.
var htmlFamilies = []struct {
	family       int
	label, color string
}{
	{analyze.Family2xx, "2xx", "2xx"},
	{analyze.Family3xx, "3xx", "3xx"},
	{analyze.Family1xx, "1xx", "other"},
	{analyze.Family4xx, "4xx", "4xx"},
	{analyze.Family5xx, "5xx", "5xx"},
	{analyze.FamilyTransport, "transport failure (no response)", "transport"},
	{analyze.FamilyOther, "other status", "other"},
}

// htmlFamilyChart returns the responses per second of each status family.
func htmlFamilyChart(points []analyze.TimePoint, x htmlValues, perSecond func(func(analyze.TimePoint) uint64) htmlValues) htmlChart {
	chart := htmlChart{X: x, Series: []htmlSeries{}}
	var all uint64
	for _, p := range points {
		all += p.Offered
	}
	for _, f := range htmlFamilies {
		var total uint64
		for _, p := range points {
			total += p.Families[f.family]
		}
		if total == 0 {
			continue
		}
		chart.Series = append(chart.Series, htmlSeries{Label: f.label, Color: f.color,
			Values: perSecond(func(p analyze.TimePoint) uint64 { return p.Families[f.family] }),
			Legend: fmt.Sprintf("%d (%s)", total, FormatShare(share(total, all)))})
	}
	return chart
}

// htmlErrorSeries returns the share of the attempts of each interval that
// failed (neither 2xx nor 3xx), and of those the server errors and
// transport failures, in percent; a gap where no attempt was scheduled.
func htmlErrorSeries(points []analyze.TimePoint, rates htmlRates, s *analyze.Summary) []htmlSeries {
	failed, faults, offered := make([]float64, len(points)), make([]float64, len(points)), make([]float64, len(points))
	var allFaults uint64
	for i, p := range points {
		allFaults += p.Faults
		failed[i], faults[i], offered[i] = float64(p.Offered-p.Successes), float64(p.Faults), float64(p.Offered)
	}
	return []htmlSeries{
		{Label: "errors: neither 2xx nor 3xx", Values: rates.share(failed, offered), Legend: FormatShare(1-s.SuccessRatio()) + " overall", Color: "4xx"},
		{Label: "server errors (5xx) and transport failures", Values: rates.share(faults, offered), Legend: FormatShare(share(allFaults, s.Requests)) + " overall", Color: "5xx"},
	}
}

// htmlInFlightChart returns the requests in flight, on average over each
// interval the run covered (window: from its first scheduled attempt to
// its last completion, length long), from the records' send and
// completion times.
func htmlInFlightChart(points []analyze.FlightPoint, window htmlWindow, length, step time.Duration) htmlChart {
	x, v := make(htmlValues, len(points)), make(htmlValues, len(points))
	var peak, busy float64
	for i, p := range points {
		x[i] = unixSeconds(p.Start)
		inFlight := p.InFlight * step.Seconds() // request-seconds in the interval
		busy += inFlight
		if covered := window.seconds(p.Start, step); covered > 0 {
			v[i] = inFlight / covered
		}
		peak = max(peak, v[i])
	}
	legend := ""
	if length > 0 {
		legend = fmt.Sprintf("mean %s, highest %s", strconv.FormatFloat(busy/length.Seconds(), 'f', 1, 64), strconv.FormatFloat(peak, 'f', 1, 64))
	}
	return htmlChart{X: x, Series: []htmlSeries{{Label: "in flight", Values: v, Legend: legend}}}
}

// htmlLoadChart computes the chart of the load the clients offered and
// the attempts sent for it: per interval, the logical requests (first
// attempts) and all the attempts scheduled in it, per second of the
// interval the run covered.
func htmlLoadChart(s *analyze.Summary) htmlChart {
	t := htmlView(s)
	points := t.Points()
	rates := newHTMLRates(points, scheduleWindow(s), t.Step())
	logical, attempts := make([]float64, len(points)), make([]float64, len(points))
	var allLogical, allAttempts uint64
	for i, p := range points {
		logical[i], attempts[i] = float64(p.Logical), float64(p.Offered)
		allLogical += p.Logical
		allAttempts += p.Offered
	}
	return htmlDownsampled(htmlChart{X: htmlX(points), Series: []htmlSeries{
		{Label: "offered: logical requests", Values: rates.of(logical), Legend: fmt.Sprintf("%d in all", allLogical)},
		{Label: "attempted: retries included", Values: rates.of(attempts), Legend: fmt.Sprintf("%d in all", allAttempts)},
	}})
}

// htmlScatter is every request of a run, or an even sample of each class
// (analyze.Scatter): its scheduled time, as seconds from T0, and latency.
type htmlScatter struct {
	T0      float64            `json:"t0"` // Unix seconds
	Classes []htmlScatterClass `json:"classes"`
	Note    string             `json:"note"` // how many requests are drawn, and how they were chosen
}

// htmlScatterClass is the sample of one class: the times and latencies of
// its requests drawn, one in Every of the Seen.
type htmlScatterClass struct {
	Label   string     `json:"label"`
	Legend  string     `json:"legend"`
	Hidden  bool       `json:"hidden,omitempty"`
	Time    htmlValues `json:"t"`  // seconds since T0
	Latency htmlValues `json:"ms"` // milliseconds
}

// newHTMLScatter returns the scatter of a run's requests, its classes in
// the order and with the labels of stats; nil without requests.
func newHTMLScatter(s *analyze.Summary, stats []*analyze.ClassStats, labels []string) *htmlScatter {
	if s.Scatter.Len() == 0 {
		return nil
	}
	byID := make(map[uint32]*analyze.ScatterClass)
	for _, c := range s.Scatter.Classes() {
		byID[c.ID] = c
	}
	out := &htmlScatter{T0: math.Floor(unixSeconds(s.FirstScheduled)), Classes: []htmlScatterClass{}}
	shown, thinned := 0, 0
	for i, st := range stats {
		c := byID[st.Class.ID]
		if c == nil {
			continue
		}
		sc := htmlScatterClass{Label: labels[i], Hidden: i >= htmlShownClasses && !analyze.IsFault(st.Class.ErrorKind, st.Class.Status),
			Time: make(htmlValues, len(c.Points)), Latency: make(htmlValues, len(c.Points))}
		for j, p := range c.Points {
			sc.Time[j] = float64(p.Scheduled)/1e3 - out.T0
			sc.Latency[j] = float64(p.Latency) / 1000
		}
		sc.Legend = fmt.Sprintf("%d", c.Seen)
		if c.Every > 1 {
			sc.Legend = fmt.Sprintf("%d of %d (1 in %d)", len(c.Points), c.Seen, c.Every)
			thinned++
		}
		shown += len(c.Points)
		out.Classes = append(out.Classes, sc)
	}
	out.Note = fmt.Sprintf("Every one of the %d requests.", s.Requests)
	if thinned > 0 {
		out.Note = fmt.Sprintf("%d of the %d requests: past %d, the most frequent classes are thinned evenly (the legend says how), the rarer ones are drawn whole.",
			shown, s.Requests, analyze.MaxScatterPoints)
	}
	return out
}

// htmlBaseline is this run against its baseline, on seconds since each
// run's first interval, in intervals of the same width.
type htmlBaseline struct {
	Latency htmlChart `json:"latency"` // p99 and p50 of each
	Errors  htmlChart `json:"errors"`  // the error share of each, in percent
}

// newHTMLBaseline charts the run s against the baseline run b.
func newHTMLBaseline(s, b *analyze.Summary) *htmlBaseline {
	now, before := htmlView(s), htmlView(b)
	step := max(now.Step(), before.Step())
	now, before = now.AtLeast(step), before.AtLeast(step)
	np, bp := now.Points(), before.Points()
	n := max(len(np), len(bp))
	x := make(htmlValues, n)
	for i := range x {
		x[i] = float64(i) * step.Seconds()
	}
	series := func(points []analyze.TimePoint, value func(analyze.TimePoint) (float64, bool)) htmlValues {
		v := htmlGaps(n)
		for i, p := range points {
			if y, ok := value(p); ok {
				v[i] = y
			}
		}
		return v
	}
	p99 := func(p analyze.TimePoint) (float64, bool) { return htmlMillis(p.P99), p.Count > 0 }
	p50 := func(p analyze.TimePoint) (float64, bool) { return htmlMillis(p.P50), p.Count > 0 }
	failed := func(p analyze.TimePoint) (float64, bool) {
		return 100 * float64(p.Offered-p.Successes) / float64(max(p.Offered, 1)), p.Offered > 0
	}
	nq, bq := analyze.LatencyQuantiles(s.Latency), analyze.LatencyQuantiles(b.Latency)
	return &htmlBaseline{
		Latency: htmlDownsampled(htmlChart{X: x, Series: []htmlSeries{
			{Label: "p99, this run", Values: series(np, p99), Legend: FormatLatency(nq.P99) + " overall"},
			{Label: "p99, baseline", Values: series(bp, p99), Legend: FormatLatency(bq.P99) + " overall"},
			{Label: "p50, this run", Values: series(np, p50), Legend: FormatLatency(nq.P50) + " overall"},
			{Label: "p50, baseline", Values: series(bp, p50), Legend: FormatLatency(bq.P50) + " overall"},
		}}),
		Errors: htmlDownsampled(htmlChart{X: x, Series: []htmlSeries{
			{Label: "errors, this run", Values: series(np, failed), Legend: FormatShare(1-s.SuccessRatio()) + " overall"},
			{Label: "errors, baseline", Values: series(bp, failed), Legend: FormatShare(1-b.SuccessRatio()) + " overall"},
		}}),
	}
}
