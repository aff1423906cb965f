package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/stampede-dev/stampede/analyze"
)

// thresholdRows are the rows of the table of thresholds: name, measured
// value, baseline value (when one is), and the outcome.
func thresholdRows(v analyze.Verdict) (header []string, rows [][]string) {
	withBase, named := false, false
	for _, t := range v.Thresholds {
		withBase = withBase || t.Baseline != ""
		named = named || t.Name != t.Expr
	}
	header = []string{"Threshold"}
	if named {
		header = append(header, "Name")
	}
	header = append(header, "Measured")
	if withBase {
		header = append(header, "Baseline")
	}
	header = append(header, "Result")
	for _, t := range v.Thresholds {
		name := ""
		if t.Name != t.Expr {
			name = t.Name
		}
		if t.Default {
			name += " (default)"
		}
		row := []string{cutText(oneLine(t.Expr), 70)}
		if named {
			row = append(row, cutText(oneLine(name), 40))
		}
		row = append(row, orDash(t.Measured))
		if withBase {
			row = append(row, orDash(t.Baseline))
		}
		result := "pass"
		if !t.Pass {
			result = "FAIL"
		}
		rows = append(rows, append(row, result))
	}
	return header, rows
}

// thresholds writes the table of thresholds judged.
func (p *textPrinter) thresholds(v analyze.Verdict) {
	if len(v.Thresholds) == 0 {
		p.printf("\nThresholds: none judged (--threshold-defaults=false)\n")
		return
	}
	header, rows := thresholdRows(v)
	align := make([]tw.Align, len(header))
	for i, h := range header {
		align[i] = tw.AlignLeft
		if h == "Measured" || h == "Baseline" {
			align[i] = tw.AlignRight
		}
	}
	p.printf("\nThresholds\n")
	p.table(header, align, rows)
}

// mdThresholds writes the table of thresholds in Markdown.
func mdThresholds(p *textPrinter, v analyze.Verdict) {
	if len(v.Thresholds) == 0 {
		return
	}
	header, rows := thresholdRows(v)
	p.printf("|")
	for _, h := range header {
		p.printf(" %s |", h)
	}
	p.printf("\n|")
	for range header {
		p.printf("---|")
	}
	p.printf("\n")
	for _, row := range rows {
		p.printf("|")
		for i, c := range row {
			if i == len(row)-1 {
				c = map[string]string{"pass": "✅ pass", "FAIL": "❌ FAIL"}[c]
			}
			p.printf(" %s |", mdEscape(c))
		}
		p.printf("\n")
	}
	p.printf("\n")
}

// Delta is one headline number of a run beside its baseline's.
type Delta struct {
	What      string  `json:"what"`           // "p99", "success ratio", "request create-agent p99", "class 429 RATE_LIMITED"
	Now       string  `json:"now"`            // the value, with its unit
	Before    string  `json:"baseline"`       // the baseline's
	Change    string  `json:"change"`         // "+12.5 %", "+0.25 pt", "new"
	Worse     bool    `json:"worse"`          // the change is for the worse
	NowKey    float64 `json:"now_value"`      // the value as a number (latency in ns, shares as fractions)
	BeforeKey float64 `json:"baseline_value"` // the baseline's as a number
}

// Deltas compares a run with its baseline: the headline numbers, then the
// p99 of each request name both have, then the share of each class.
func Deltas(run analyze.Run) []Delta {
	b := run.Baseline
	if b == nil || b.Summary == nil || run.Summary == nil {
		return nil
	}
	s, bs := run.Summary, b.Summary
	q, bq := analyze.LatencyQuantiles(s.Latency), analyze.LatencyQuantiles(bs.Latency)
	out := []Delta{
		countDelta("requests", s.Requests, bs.Requests, false),
		shareDelta("success ratio", s.SuccessRatio(), bs.SuccessRatio(), false, shareNoise(s, bs)),
		rateDelta("throughput", s.Throughput(), bs.Throughput()),
		latencyDelta("p50", q.P50, bq.P50),
		latencyDelta("p99", q.P99, bq.P99),
		latencyDelta("max", q.Max, bq.Max),
	}
	for _, r := range s.RequestStats() {
		if br := bs.Request(r.Name); br != nil {
			out = append(out, latencyDelta("request "+r.Name+" p99", analyze.LatencyQuantiles(r.Latency).P99, analyze.LatencyQuantiles(br.Latency).P99))
		}
	}
	// Classes are compared by status and code: several classes of one
	// (messages told apart) count as one.
	before, now := map[string]uint64{}, map[string]uint64{}
	var labels []string
	errorish := map[string]bool{}
	for _, st := range bs.ClassStats() {
		before[classLabel(st)] += st.Count
	}
	for _, st := range s.ClassStats() {
		label := classLabel(st)
		if _, seen := now[label]; !seen {
			labels = append(labels, label)
		}
		now[label] += st.Count
		errorish[label] = errorish[label] || st.Class.Category.String() != "success"
	}
	for _, label := range labels {
		share, was := float64(now[label])/float64(max(s.Requests, 1)), float64(before[label])/float64(max(bs.Requests, 1))
		out = append(out, shareDelta("class "+label, share, was, errorish[label], shareNoise(s, bs)))
	}
	return out
}

// classLabel names a class across runs: "429 RATE_LIMITED", "timeout".
func classLabel(st *analyze.ClassStats) string {
	c := st.Class
	label := strconv.Itoa(int(c.Status))
	if c.Status == 0 {
		label = c.ErrorKind.String()
	}
	if c.Code != "" {
		label += " " + c.Code
	}
	return label
}

// Changes smaller than these are noise, not for the worse: a latency 10 %
// higher, a throughput 5 % lower, a share 0.5 percentage points off.
const (
	noiseLatency    = 0.10
	noiseThroughput = 0.05
	noiseShare      = 0.005
)

func latencyDelta(what string, now, before time.Duration) Delta {
	d := Delta{What: what, Now: FormatLatency(now), Before: FormatLatency(before), NowKey: float64(now), BeforeKey: float64(before)}
	d.Change, d.Worse = relative(float64(now), float64(before)), float64(now) > float64(before)*(1+noiseLatency)
	return d
}

func countDelta(what string, now, before uint64, moreIsWorse bool) Delta {
	d := Delta{What: what, Now: strconv.FormatUint(now, 10), Before: strconv.FormatUint(before, 10), NowKey: float64(now), BeforeKey: float64(before)}
	d.Change, d.Worse = relative(float64(now), float64(before)), moreIsWorse && now > before
	return d
}

func rateDelta(what string, now, before float64) Delta {
	d := Delta{What: what, Now: FormatRate(now), Before: FormatRate(before), NowKey: now, BeforeKey: before}
	d.Change, d.Worse = relative(now, before), now < before*(1-noiseThroughput)
	return d
}

// shareNoise is the change of a share that is noise: 0.5 points, or two
// requests of the smaller run, whichever is more (one request of 190 is
// half a point).
func shareNoise(s, b *analyze.Summary) float64 {
	n := max(min(s.Requests, b.Requests), 1)
	return max(noiseShare, 2/float64(n))
}

// shareDelta compares two fractions in percentage points; more is worse
// for an error class, less for the success ratio.
func shareDelta(what string, now, before float64, moreIsWorse bool, noise float64) Delta {
	d := Delta{What: what, Now: FormatShare(now), Before: FormatShare(before), NowKey: now, BeforeKey: before}
	d.Change = fmt.Sprintf("%+.2f pt", 100*(now-before))
	d.Worse = moreIsWorse && now > before+noise || !moreIsWorse && now < before-noise
	return d
}

// relative is the change from before to now in percent.
func relative(now, before float64) string {
	if before == 0 {
		if now == 0 {
			return "0 %"
		}
		return "new"
	}
	return fmt.Sprintf("%+.1f %%", 100*(now-before)/before)
}

// deltas writes the comparison with the baseline.
func (p *textPrinter) deltas(run analyze.Run) {
	ds := Deltas(run)
	if len(ds) == 0 {
		return
	}
	p.printf("\nCompared with the baseline (%s)\n", orDash(baselineName(run)))
	var rows [][]string
	for _, d := range ds {
		mark := ""
		if d.Worse {
			mark = "worse"
		}
		rows = append(rows, []string{cutText(d.What, 60), d.Now, d.Before, d.Change, mark})
	}
	p.table([]string{"", "Now", "Baseline", "Change", ""}, []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft}, rows)
}

// mdDeltas writes the comparison with the baseline in Markdown.
func mdDeltas(p *textPrinter, run analyze.Run) {
	ds := Deltas(run)
	if len(ds) == 0 {
		return
	}
	p.printf("**Compared with the baseline** (%s)\n\n| | Now | Baseline | Change |\n|---|---:|---:|---:|\n", mdEscape(orDash(baselineName(run))))
	for _, d := range ds {
		change := d.Change
		if d.Worse {
			change += " ⚠️"
		}
		p.printf("| %s | %s | %s | %s |\n", mdEscape(d.What), d.Now, d.Before, change)
	}
	p.printf("\n")
}

// baselineName says which run the baseline is.
func baselineName(run analyze.Run) string {
	b := run.Baseline
	if b == nil {
		return ""
	}
	if len(b.Sources) > 0 {
		return strings.Join(b.Sources, ", ")
	}
	return b.RunID
}
