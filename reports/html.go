package reports

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/probe"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// The page's template, style and script, and uPlot, the chart library
// (assets/uplot/README.md says which version and where it comes from).
//
//go:embed assets/report.html assets/compare.html assets/page.html assets/report.css assets/report.js assets/uplot
var htmlAssets embed.FS

// UPlotVersion is the version of uPlot the HTML report embeds.
const UPlotVersion = "1.6.32"

// Bounds of the HTML report's charts.
const (
	// MaxChartPoints bounds the points of one chart: longer timelines are
	// downsampled (LTTB), so an hour of one-second intervals stays a page
	// of some hundred kilobytes.
	MaxChartPoints = 1000
	// htmlPercentilesPerDecade is the resolution of the percentile chart:
	// 20 points for each 9 added to the percentile (90 %, 99 %, 99.9 % …).
	htmlPercentilesPerDecade = 20
)

var htmlTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 }, // 1-based numbering
}).ParseFS(htmlAssets, "assets/report.html", "assets/page.html"))

// HTML writes the report of a run as one self-contained HTML page: the
// verdict, key numbers, charts of latency, classes and rates over time and
// of the latency distribution, the table of classes, the rate-limit
// contract and the run's metadata. The page loads nothing: uPlot, the
// style and the chart data are inline, and its Content-Security-Policy
// forbids any fetch. Everything a target sent (codes, messages, samples)
// is escaped by html/template, and the chart data is JSON that the page's
// script reads, never markup.
func HTML(w io.Writer, run analyze.Run) error {
	page, err := newHTMLPage(run)
	if err != nil {
		return err
	}
	return htmlTemplate.Execute(w, page)
}

// htmlPage is what the template renders, every value computed here.
type htmlPage struct {
	Title    string
	Subtitle string // target, load and start, those known
	Verdict  analyze.Verdict
	// DefaultThresholds says the thresholds judged are the defaults, and
	// ThresholdBaseline that one of them has a baseline's value.
	DefaultThresholds, ThresholdBaseline bool
	Deltas                               []Delta // the comparison with the baseline run
	Numbers                              []htmlFact
	// Retries are the retry figures of a run whose clients retried; nil
	// for the others, whose page has no retries section.
	Retries []retryFact
	// RetryNumbers are the headline figures of the retries.
	RetryNumbers []htmlFact
	Step         string // length of a timeline interval, "1s"
	Classes      []htmlClass
	Notes        []string // what the table of classes leaves out
	Requests     []htmlRequest
	// RequestNotes say what the table of requests leaves out.
	RequestNotes []string
	Contract     *htmlContract
	Probes       []htmlProbe
	Meta         []htmlFact
	RunNotes     []string // remarks on reading the result files
	Data         htmlData

	pageAssets
}

// pageAssets are what every HTML page embeds to be read offline: uPlot
// (its version and licence), the report's script and style.
type pageAssets struct {
	UPlotVersion string
	UPlotLicense string
	UPlotJS      template.JS
	UPlotCSS     template.CSS
	JS           template.JS
	CSS          template.CSS
}

// loadPageAssets reads the embedded assets of a page.
func loadPageAssets() (pageAssets, error) {
	a := pageAssets{UPlotVersion: UPlotVersion}
	files := []struct {
		name string
		to   *string
	}{
		{"assets/uplot/LICENSE", &a.UPlotLicense},
		{"assets/uplot/uPlot.iife.min.js", (*string)(&a.UPlotJS)},
		{"assets/uplot/uPlot.min.css", (*string)(&a.UPlotCSS)},
		{"assets/report.js", (*string)(&a.JS)},
		{"assets/report.css", (*string)(&a.CSS)},
	}
	for _, f := range files {
		b, err := htmlAssets.ReadFile(f.name)
		if err != nil {
			return a, err
		}
		*f.to = string(b)
	}
	return a, nil
}

// htmlFact is a labelled value.
type htmlFact struct {
	Label, Value string
}

// htmlClass is one row of the table of classes. The *Key fields are what
// the page sorts the column by.
type htmlClass struct {
	Status, StatusKey      string
	Code, Category         string
	Retryable              string
	Count                  uint64
	Share                  string
	ShareKey               float64
	P50, P99, Max          string
	P50Key, P99Key, MaxKey int64 // microseconds
	Message, Dialect       string
	Example                string
	Samples                []string
	More                   string // what the details under the message hold: "2 samples, example request"
	Overflow               bool
}

// htmlContract is the rate-limit contract section.
type htmlContract struct {
	Rules   []htmlRule // the rules that applied to some response
	Facts   string     // what the headers looked like
	Outcome string     // "The contract holds: no violation." or the counts
}

// htmlRule is one row of the contract table.
type htmlRule struct {
	Name, Title, Severity string
	Checked, Violations   uint64
	Example               string
}

func newHTMLPage(run analyze.Run) (*htmlPage, error) {
	s := run.Summary
	if s == nil {
		s = analyze.NewSummary()
	}
	p := &htmlPage{
		Title:   "stampede report",
		Verdict: run.Verdict(),
		Deltas:  Deltas(run),
		Step:    htmlStepText(htmlView(s).Step()),
	}
	for _, t := range p.Verdict.Thresholds {
		p.DefaultThresholds = p.DefaultThresholds || t.Default
		p.ThresholdBaseline = p.ThresholdBaseline || t.Baseline != ""
	}
	if run.Target != "" {
		p.Title += " — " + cutText(run.Target, 120)
	}
	p.Meta = htmlMeta(run, s)
	var sub []string
	for _, f := range p.Meta {
		if f.Label == "target" || f.Label == "load" || f.Label == "start" {
			sub = append(sub, f.Value)
		}
	}
	p.Subtitle = strings.Join(sub, " · ")
	var err error
	if p.pageAssets, err = loadPageAssets(); err != nil {
		return nil, err
	}

	q := analyze.LatencyQuantiles(s.Latency)
	p.Numbers = []htmlFact{
		{"requests", strconv.FormatUint(s.Requests, 10)},
		{"duration", fmt.Sprintf("%.3f s", s.Duration().Seconds())},
		{rateLabel(run), FormatRate(s.Rate())},
		{"throughput (successes)", FormatRate(s.Throughput())},
		{"success ratio", FormatShare(s.SuccessRatio())},
		{"latency p50", FormatLatency(q.P50)},
		{"latency p90", FormatLatency(q.P90)},
		{"latency p99", FormatLatency(q.P99)},
		{"latency max", FormatLatency(q.Max)},
	}

	stats := s.ClassStats()
	for _, st := range stats {
		p.Classes = append(p.Classes, newHTMLClass(st, s.Requests))
	}
	p.Notes = htmlClassNotes(run, stats)
	p.Requests, p.RequestNotes = htmlRequests(s)
	for _, n := range runNotes(run) {
		p.RunNotes = append(p.RunNotes, oneLine(n))
	}
	p.Contract = newHTMLContract(run.Contract)
	for _, pr := range run.Probes {
		p.Probes = append(p.Probes, newHTMLProbe(pr))
	}
	p.Data = newHTMLData(analyze.Run{Summary: s, Baseline: run.Baseline}, stats)
	if retried(run) {
		p.Retries = retryFacts(run)
		f := retryFigures(run)
		p.RetryNumbers = []htmlFact{
			{"amplification", FormatAmplification(f.Amplification)},
			{"eventual success", FormatShare(f.SuccessRatio)},
			{"given up", FormatShare(f.GiveUpRatio)},
			{"time to success p99", FormatLatency(f.TimeToSuccess.P99)},
			{"peak load", FormatRate(f.PeakLoad)},
			{"recovery", recoveryShort(f.Recovery)},
		}
		load := htmlLoadChart(s)
		p.Data.Load = &load
	}
	return p, nil
}

func newHTMLClass(st *analyze.ClassStats, requests uint64) htmlClass {
	c := st.Class
	q := analyze.LatencyQuantiles(st.Latency)
	row := htmlClass{
		Status:    classStatus(c),
		StatusKey: fmt.Sprintf("%03d %s", c.Status, c.ErrorKind),
		Code:      orDash(oneLine(c.Code)),
		Category:  c.Category.String(),
		Retryable: retryableText(c.Class),
		Count:     st.Count,
		Share:     FormatShare(share(st.Count, requests)),
		ShareKey:  share(st.Count, requests),
		P50:       FormatLatency(q.P50),
		P50Key:    q.P50.Microseconds(),
		P99:       FormatLatency(q.P99),
		P99Key:    q.P99.Microseconds(),
		Max:       FormatLatency(q.Max),
		MaxKey:    q.Max.Microseconds(),
		Message:   orDash(oneLine(classMessage(c))),
		Dialect:   oneLine(c.Dialect),
		Example:   oneLine(c.Example),
		Overflow:  c.Overflow,
	}
	var more []string
	for _, sample := range c.Samples {
		row.Samples = append(row.Samples, htmlCleanBlock(sample))
	}
	if n := uint64(len(row.Samples)); n > 0 {
		more = append(more, fmt.Sprintf("%d %s", n, plural(n, "sample", "samples")))
	}
	if row.Example != "" {
		more = append(more, "example request")
	}
	row.More = strings.Join(more, ", ")
	return row
}

// htmlProbe is one report of `stampede probe`, as the page shows it.
type htmlProbe struct {
	Target, Verdict, Explanation string
	Pass                         bool
	Requests                     int
	Rounds                       []htmlProbeRound
}

// htmlProbeRound is one round of a probe.
type htmlProbeRound struct {
	Trigger, RetryAfter, Advertised, Halfway, Deadline, RealWait, Verdict string
}

// newHTMLProbe renders a probe's report for the page.
func newHTMLProbe(p probefile.Report) htmlProbe {
	out := htmlProbe{Target: oneLine(p.Target), Verdict: oneLine(p.Verdict), Explanation: oneLine(p.Explanation),
		Pass: p.Passed(), Requests: p.Requests}
	seconds := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatFloat(*v, 'f', 3, 64) + " s"
	}
	for _, r := range p.Probe.Rounds {
		out.Rounds = append(out.Rounds, htmlProbeRound{
			Trigger: FormatRate(r.TriggerRatePerS), RetryAfter: orDash(oneLine(r.RetryAfter)), Advertised: seconds(r.AdvertisedS),
			Halfway:  admittedText(r.HalfwayAdmitted, storedKind(r, probe.KindHalfway)),
			Deadline: admittedText(r.DeadlineAdmitted, storedKind(r, probe.KindDeadline)), RealWait: seconds(r.RealWaitS), Verdict: oneLine(r.Verdict),
		})
	}
	return out
}

// storedKind reports whether a stored round sent a request of kind.
func storedKind(r probefile.Round, kind string) bool {
	for _, e := range r.Exchanges {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// htmlClassNotes says what the table of classes leaves out, as the text
// report does.
func htmlClassNotes(run analyze.Run, stats []*analyze.ClassStats) []string {
	notes := classNotes(run, stats)
	for i := range notes {
		notes[i] += "."
	}
	return notes
}

// newHTMLContract renders the contract as the text report does: the rules
// that applied to some response, what the headers looked like and the
// outcome. It returns nil when the run had no contract checks.
func newHTMLContract(c *contract.Report) *htmlContract {
	if c == nil {
		return nil
	}
	out := &htmlContract{}
	for _, r := range c.Rules {
		if r.Checked == 0 {
			continue
		}
		row := htmlRule{Name: r.Name, Title: r.Title, Severity: r.Severity.String(), Checked: r.Checked, Violations: r.Violations, Example: "-"}
		if len(r.Examples) > 0 {
			row.Example = oneLine(evidence(r.Examples[0]))
		}
		out.Rules = append(out.Rules, row)
	}
	out.Facts = oneLine(strings.Join(contractFacts(c), "; "))
	switch errs, warns := c.Violations(); {
	case len(out.Rules) == 0:
		out.Outcome = "No 429, no 503 and no rate-limit header seen: nothing to check."
	case errs == 0 && warns == 0:
		out.Outcome = "The contract holds: no violation."
	default:
		out.Outcome = fmt.Sprintf("%d %s, %d %s.", errs, plural(errs, "violation", "violations"), warns, plural(warns, "warning", "warnings"))
	}
	return out
}

// htmlMeta lists the facts about the run that are not aggregates, the
// empty ones left out.
func htmlMeta(run analyze.Run, s *analyze.Summary) []htmlFact {
	var meta []htmlFact
	add := func(label, value string) {
		if value != "" {
			meta = append(meta, htmlFact{label, oneLine(value)})
		}
	}
	add("command", shellLine(run.Command))
	add("target", run.Target)
	add("load", run.Load())
	start := run.Start
	if start.IsZero() {
		start = s.FirstScheduled
	}
	if !start.IsZero() {
		add("start", start.UTC().Format(time.RFC3339))
	}
	add("duration", fmt.Sprintf("%.3f s", s.Duration().Seconds()))
	add("tool", run.Tool)
	add("run id", run.RunID)
	add("shards", strings.Join(run.Shards, ", "))
	add("sources", strings.Join(run.Sources, ", "))
	if run.ResultFile != "" {
		add("result file", fmt.Sprintf("%s (%d records)", run.ResultFile, run.Records))
	}
	return meta
}

// htmlCleanBlock is oneLine for text shown as a block: line breaks
// and tabs stay.
func htmlCleanBlock(text string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, "\uFFFD"))
}

// htmlStepText names the width of the charts' intervals: "250 ms", "1 s".
func htmlStepText(step time.Duration) string {
	if step <= 0 {
		step = time.Second // an empty timeline's
	}
	if step < time.Second {
		return strconv.FormatInt(step.Milliseconds(), 10) + " ms"
	}
	return seconds(step)
}

// htmlMillis converts a duration to milliseconds.
func htmlMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// htmlGaps returns n gaps.
func htmlGaps(n int) htmlValues {
	v := make(htmlValues, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// htmlLabelWidth bounds a class's name in the charts' legends, which wrap
// it: long enough for any code and message a person reads.
const htmlLabelWidth = 160

// htmlChartLabels names the classes in the charts' legends, as the text
// report's histograms do: status and code ("429 rate_limit_exceeded"), the
// status alone for a success without a code, and the message when two
// classes would otherwise have the same name.
func htmlChartLabels(stats []*analyze.ClassStats) []string {
	labels := make([]string, len(stats))
	seen := make(map[string]int, len(stats))
	for i, st := range stats {
		c := st.Class
		switch {
		case c.Code == "" && c.Category == records.CatSuccess:
			labels[i] = classStatus(c)
		default:
			labels[i] = classHeading(c)
		}
		labels[i] = cutText(labels[i], htmlLabelWidth)
		seen[labels[i]]++
	}
	for i, st := range stats {
		if seen[labels[i]] > 1 {
			labels[i] += fmt.Sprintf(" %q", cutText(classMessage(st.Class), htmlLabelWidth))
		}
	}
	return labels
}

// htmlPercentileChart computes the latency distributions in HdrHistogram's
// percentile plot: on a log scale of x = 1/(1−q), so that 90 %, 99 %,
// 99.9 % … are evenly spaced, the latency at quantile q = 1 − 1/x. A
// series of n values ends at x ≥ n, its maximum; the points past it are
// gaps.
func htmlPercentileChart(names []string, hists []*hdrhistogram.Histogram) htmlChart {
	var most int64
	for _, h := range hists {
		most = max(most, h.TotalCount())
	}
	if most == 0 {
		return htmlChart{X: htmlValues{}, Series: []htmlSeries{}}
	}
	// x_k = 10^(k/htmlPercentilesPerDecade) for k = 0 … up to the first x ≥ most.
	last := int(math.Ceil(htmlPercentilesPerDecade * math.Log10(float64(most))))
	x := make(htmlValues, last+1)
	for k := range x {
		x[k] = math.Pow(10, float64(k)/htmlPercentilesPerDecade)
	}
	chart := htmlChart{X: x}
	for i, h := range hists {
		v := htmlGaps(len(x))
		n := float64(h.TotalCount())
		for k, xk := range x {
			if n == 0 {
				break
			}
			if xk >= n { // the last value: the maximum
				v[k] = float64(h.Max()) / 1000
				break
			}
			v[k] = float64(h.ValueAtQuantile(100*(1-1/xk))) / 1000
		}
		q := analyze.LatencyQuantiles(h)
		chart.Series = append(chart.Series, htmlSeries{Label: names[i], Values: v, Legend: "p99 " + FormatLatency(q.P99) + ", max " + FormatLatency(q.Max)})
	}
	return chart
}

// htmlDownsampled returns the chart with at most MaxChartPoints points:
// the union of the points LTTB keeps of each series. Each series keeps
// the same number of points, as many as the union allows: the series
// share most of their peaks, so that is often far more than
// MaxChartPoints / series.
func htmlDownsampled(c htmlChart) htmlChart {
	if len(c.X) <= MaxChartPoints || len(c.Series) == 0 {
		return c
	}
	union := func(per int) []int {
		keep := make([]bool, len(c.X))
		for _, s := range c.Series {
			for _, i := range lttb(c.X, s.Values, per) {
				keep[i] = true
			}
		}
		var idx []int
		for i, k := range keep {
			if k {
				idx = append(idx, i)
			}
		}
		return idx
	}
	// Binary search for the most points per series whose union fits: lo
	// fits (each series keeps at most lo points, lo·series ≤ the bound)
	// but for more than MaxChartPoints/3 series, whose 3 points each (the
	// least LTTB keeps) may go past the bound, which is then exceeded;
	// hi+1 never fits.
	lo, hi := max(MaxChartPoints/len(c.Series), 3), MaxChartPoints
	idx := union(lo)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if u := union(mid); len(u) <= MaxChartPoints {
			lo, idx = mid, u
		} else {
			hi = mid - 1
		}
	}
	pick := func(v htmlValues) htmlValues {
		out := make(htmlValues, len(idx))
		for j, i := range idx {
			out[j] = v[i]
		}
		return out
	}
	out := htmlChart{X: pick(c.X)}
	for _, s := range c.Series {
		s.Values = pick(s.Values)
		out.Series = append(out.Series, s)
	}
	return out
}

// lttb returns the indices, ascending, of at most n points of the series
// (x, y) chosen by Largest-Triangle-Three-Buckets (S. Steinarsson,
// "Downsampling Time Series for Visual Representation", 2013): the first
// and the last point, and of each of n−2 equal buckets between them the
// point that makes the largest triangle with the point chosen in the
// previous bucket and the mean of the next bucket,
//
//	area = |(xa − xm)(yj − ya) − (xa − xj)(ym − ya)| / 2.
//
// It keeps peaks and troughs where averaging would flatten them. A gap
// (NaN) counts as 0, so that gaps are kept as the drops they look like.
// With n ≥ len(x) it returns every index; n < 3 counts as 3.
func lttb(x, y []float64, n int) []int {
	n = max(n, 3) // the first, the last and one between
	if n >= len(x) {
		idx := make([]int, len(x))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	val := func(i int) float64 {
		if math.IsNaN(y[i]) {
			return 0
		}
		return y[i]
	}
	every := float64(len(x)-2) / float64(n-2)
	out := make([]int, 0, n)
	out = append(out, 0)
	a := 0
	for b := range n - 2 {
		// The mean of the next bucket (the last point for the last one).
		from, to := int(float64(b+1)*every)+1, min(int(float64(b+2)*every)+1, len(x))
		var mx, my float64
		for j := from; j < to; j++ {
			mx += x[j]
			my += val(j)
		}
		mx, my = mx/float64(to-from), my/float64(to-from)
		best, area := -1, -1.0
		for j := int(float64(b)*every) + 1; j < int(float64(b+1)*every)+1; j++ {
			if s := math.Abs((x[a]-mx)*(val(j)-val(a)) - (x[a]-x[j])*(my-val(a))); s > area {
				best, area = j, s
			}
		}
		out = append(out, best)
		a = best
	}
	out = append(out, len(x)-1)
	return slices.Compact(out)
}
