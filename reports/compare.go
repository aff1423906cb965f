package reports

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/stampede-dev/stampede/analyze"
)

// CompareSchema names the version of the comparison's JSON document.
// Later versions add keys; they never rename or remove one.
const CompareSchema = "stampede/compare-retry/v1"

// ComparisonFormats lists the formats RenderComparison writes.
var ComparisonFormats = []string{"text", "json", "markdown", "html"}

// CheckComparisonFormat returns an error naming the formats when name is
// not one of ComparisonFormats.
func CheckComparisonFormat(name string) error {
	if slices.Contains(ComparisonFormats, name) {
		return nil
	}
	return fmt.Errorf("unknown comparison format %q: want one of %s", name, strings.Join(ComparisonFormats, ", "))
}

// RenderComparison writes the retry-storm comparison in a format of
// ComparisonFormats.
func RenderComparison(w io.Writer, format string, cmp analyze.Comparison) error {
	switch format {
	case "text":
		return CompareText(w, cmp)
	case "json":
		return CompareJSON(w, cmp)
	case "markdown":
		return CompareMarkdown(w, cmp)
	case "html":
		return CompareHTML(w, cmp)
	}
	return CheckComparisonFormat(format)
}

// compareRow is one policy of the comparison for people, every value
// with its unit.
type compareRow struct {
	Policy, Detail                                string
	Goodput, Amplification, Success, GiveUp       string
	Share429, TimeToSuccessP99, PeakLoad, Offered string
	Recovery, RecoveryText                        string
}

// compareHeader is the heading of the comparison's table, in the order of
// compareRow.cells.
var compareHeader = []string{"Policy", "Goodput", "Amplification", "Eventual success", "Given up", "429 share", "Time to success p99", "Peak load", "Offered", "Recovery"}

// cells returns the row's values in the order of compareHeader.
func (r compareRow) cells() []string {
	return []string{r.Policy, r.Goodput, r.Amplification, r.Success, r.GiveUp, r.Share429, r.TimeToSuccessP99, r.PeakLoad, r.Offered, r.Recovery}
}

// compareRows computes the rows of the comparison, in the order the
// policies ran.
func compareRows(cmp analyze.Comparison) []compareRow {
	rows := make([]compareRow, 0, len(cmp.Runs))
	for i := range cmp.Runs {
		pr := &cmp.Runs[i]
		f := pr.Figures()
		start := compareStart(pr.Run)
		rows = append(rows, compareRow{
			Policy: oneLine(pr.Policy), Detail: oneLine(pr.Detail),
			Goodput: FormatRate(f.Goodput), Amplification: FormatAmplification(f.Amplification),
			Success: FormatShare(f.SuccessRatio), GiveUp: FormatShare(f.GiveUpRatio), Share429: FormatShare(f.Share429),
			TimeToSuccessP99: FormatLatency(f.TimeToSuccess.P99), PeakLoad: FormatRate(f.PeakLoad), Offered: FormatRate(f.OfferedRate),
			Recovery: recoveryShort(f.Recovery), RecoveryText: recoveryText(f.Recovery, start),
		})
	}
	return rows
}

// compareStart returns the start of a run's timeline, from which the
// comparison counts the times of a fault.
func compareStart(run analyze.Run) time.Time {
	if run.Summary == nil {
		return time.Time{}
	}
	return run.Summary.Timeline.AtLeast(time.Second).Start() // the whole second Recovery counts from
}

// compareAbout returns what the comparison's runs share, target and load,
// on one line: "" when they share neither.
func compareAbout(cmp analyze.Comparison) string {
	var parts []string
	for _, pick := range []func(analyze.Run) string{
		func(r analyze.Run) string { return r.Target },
		func(r analyze.Run) string {
			if r.Pacer == "" || r.Planned <= 0 {
				return r.Pacer
			}
			return r.Pacer + " for " + r.Planned.String()
		},
	} {
		same := ""
		for i, pr := range cmp.Runs {
			v := pick(pr.Run)
			if i > 0 && v != same {
				same = ""
				break
			}
			same = v
		}
		if same != "" {
			parts = append(parts, oneLine(same))
		}
	}
	return strings.Join(parts, " · ")
}

// compareNotes explain the columns of the comparison's table.
var compareNotes = []string{
	"goodput: logical requests that eventually succeeded, per second of offered load (offered rate × eventual success)",
	"amplification: attempts per logical request (1.00× without retries)",
	"eventual success and given up: shares of the logical requests",
	"429 share: share of the attempts answered 429",
	"time to success: from the first attempt's scheduled send to the end of the successful one",
	"peak load: most attempts sent per second in one interval, what the target saw; offered: logical requests per second",
	"recovery: from the end of the first fault window (5xx and transport failures) to an interval whose success ratio and p99 are back within 10 % of their healthy level",
}

// CompareText writes the retry-storm comparison as aligned text: what
// ran, a table of the policies side by side, each policy's parameters
// and recovery, and what the columns mean.
func CompareText(w io.Writer, cmp analyze.Comparison) error {
	p := &textPrinter{w: w}
	p.printf("Retry-storm comparison: %d %s\n", len(cmp.Runs), plural(uint64(len(cmp.Runs)), "policy", "policies"))
	if about := compareAbout(cmp); about != "" {
		p.printf("%s\n", about)
	}
	p.printf("\n")
	rows := compareRows(cmp)
	var cells [][]string
	for _, r := range rows {
		cells = append(cells, r.cells())
	}
	align := []tw.Align{tw.AlignLeft}
	for range compareHeader[1:] {
		align = append(align, tw.AlignRight)
	}
	p.table(compareHeader, align, cells)
	p.printf("\n")
	for _, r := range rows {
		p.printf("- %s: %s; %s\n", r.Policy, orDash(r.Detail), r.RecoveryText)
	}
	p.printf("\n")
	for _, n := range compareNotes {
		p.printf("%s.\n", upperFirst(n))
	}
	return p.err
}

// CompareMarkdown writes the retry-storm comparison as GitHub-flavoured
// Markdown: a heading, a table of the policies side by side, each
// policy's parameters and recovery, and what the columns mean.
func CompareMarkdown(w io.Writer, cmp analyze.Comparison) error {
	p := &textPrinter{w: w}
	p.printf("### stampede: retry-storm comparison of %d %s\n\n", len(cmp.Runs), plural(uint64(len(cmp.Runs)), "policy", "policies"))
	if about := compareAbout(cmp); about != "" {
		p.printf("%s\n\n", mdEscape(about))
	}
	p.printf("| %s |\n|---%s|\n", strings.Join(compareHeader, " | "), strings.Repeat("|---:", len(compareHeader)-1))
	rows := compareRows(cmp)
	for _, r := range rows {
		cells := r.cells()
		for i := range cells {
			cells[i] = mdEscape(cells[i])
		}
		p.printf("| %s |\n", strings.Join(cells, " | "))
	}
	p.printf("\n")
	for _, r := range rows {
		p.printf("- **%s**: %s; %s\n", mdEscape(r.Policy), mdEscape(orDash(r.Detail)), mdEscape(r.RecoveryText))
	}
	p.printf("\n<details><summary>What the columns mean</summary>\n\n")
	for _, n := range compareNotes {
		p.printf("- %s\n", mdEscape(n))
	}
	p.printf("\n</details>\n")
	return p.err
}

// upperFirst capitalises the first letter of an ASCII text.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// JSONComparison is the comparison's JSON document, documented in
// docs/retries.md.
type JSONComparison struct {
	Schema   string       `json:"schema"`
	Target   string       `json:"target,omitempty"` // when every run had the same
	Pacer    string       `json:"pacer,omitempty"`  // when every run had the same
	Policies []JSONPolicy `json:"policies"`
}

// JSONPolicy is one policy of the comparison: the figures set side by
// side, then the run's full retries object.
type JSONPolicy struct {
	Policy               string      `json:"policy"`
	Detail               string      `json:"detail,omitempty"`
	LogicalRequests      uint64      `json:"logical_requests"`
	Attempts             uint64      `json:"attempts"`
	GoodputPerS          float64     `json:"goodput_per_s"`
	Amplification        float64     `json:"amplification"`
	EventualSuccessRatio float64     `json:"eventual_success_ratio"`
	GiveUpRatio          float64     `json:"give_up_ratio"`
	Share429             float64     `json:"share_429"`
	TimeToSuccessP99Ms   float64     `json:"time_to_success_p99_ms"`
	PeakLoadPerS         float64     `json:"peak_load_per_s"`
	OfferedPerS          float64     `json:"offered_per_s"`
	Recovery             string      `json:"recovery"`                   // no_fault, fault_to_end, not_recovered, recovered
	RecoveryTimeMs       *float64    `json:"recovery_time_ms,omitempty"` // when recovered
	DurationS            float64     `json:"duration_s"`
	Retries              JSONRetries `json:"retries"`
}

// NewJSONComparison builds the comparison's JSON document.
func NewJSONComparison(cmp analyze.Comparison) JSONComparison {
	doc := JSONComparison{Schema: CompareSchema, Policies: make([]JSONPolicy, 0, len(cmp.Runs))}
	for i, pr := range cmp.Runs {
		if i == 0 {
			doc.Target, doc.Pacer = pr.Run.Target, pr.Run.Pacer
		}
		if pr.Run.Target != doc.Target {
			doc.Target = ""
		}
		if pr.Run.Pacer != doc.Pacer {
			doc.Pacer = ""
		}
		f := pr.Figures()
		retries := NewJSONRetries(pr.Run)
		doc.Policies = append(doc.Policies, JSONPolicy{
			Policy: pr.Policy, Detail: pr.Detail,
			LogicalRequests: f.Logical, Attempts: f.Attempts,
			GoodputPerS: round(f.Goodput, 3), Amplification: round(f.Amplification, 6),
			EventualSuccessRatio: round(f.SuccessRatio, 6), GiveUpRatio: round(f.GiveUpRatio, 6), Share429: round(f.Share429, 6),
			TimeToSuccessP99Ms: ms(f.TimeToSuccess.P99), PeakLoadPerS: round(f.PeakLoad, 3), OfferedPerS: round(f.OfferedRate, 3),
			Recovery: recoveryState(f.Recovery), RecoveryTimeMs: retries.Recovery.RecoveryTimeMs,
			DurationS: round(f.Duration.Seconds(), 6), Retries: retries,
		})
	}
	return doc
}

// CompareJSON writes the comparison as one indented JSON document of
// schema CompareSchema.
func CompareJSON(w io.Writer, cmp analyze.Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewJSONComparison(cmp))
}

var compareTemplate = template.Must(template.ParseFS(htmlAssets, "assets/compare.html", "assets/page.html"))

// comparePage is what the comparison's template renders.
type comparePage struct {
	Title, Subtitle string
	Header          []string
	Rows            []compareRow
	Charts          []compareChart
	Notes           []string
	Data            map[string]any // the charts' data, as report.js reads it

	pageAssets
}

// compareChart is the chart of one policy.
type compareChart struct {
	ID, Key, Policy, Detail string
	Figures                 string // the headline figures, readable without hovering
}

// CompareHTML writes the comparison as one self-contained HTML page, as
// HTML writes a run's: the table of the policies side by side and one
// chart per policy of the load the clients offered (logical requests)
// and the attempts sent for it, over the seconds since the run's start,
// all on one scale. The page loads nothing.
func CompareHTML(w io.Writer, cmp analyze.Comparison) error {
	p := &comparePage{Title: "stampede retry-storm comparison", Header: compareHeader, Rows: compareRows(cmp)}
	p.Subtitle = compareAbout(cmp)
	for _, n := range compareNotes {
		p.Notes = append(p.Notes, upperFirst(n)+".")
	}
	var err error
	if p.pageAssets, err = loadPageAssets(); err != nil {
		return err
	}
	p.Data = map[string]any{"elapsed": true}
	var top float64
	for i, pr := range cmp.Runs {
		s := pr.Run.Summary
		if s == nil {
			s = analyze.NewSummary()
		}
		key := fmt.Sprintf("load-%d", i)
		chart := htmlElapsed(htmlLoadChart(s), htmlView(s).Start())
		for _, series := range chart.Series {
			for _, v := range series.Values {
				top = max(top, v)
			}
		}
		p.Data[key] = chart
		r := p.Rows[i]
		p.Charts = append(p.Charts, compareChart{ID: "chart-" + key, Key: key, Policy: r.Policy, Detail: r.Detail,
			Figures: fmt.Sprintf("%s amplification, peak load %s for %s offered, %s eventual success", r.Amplification, r.PeakLoad, r.Offered, r.Success)})
	}
	p.Data["load_max"] = top
	return compareTemplate.Execute(w, p)
}

// htmlElapsed makes the x of a chart over time seconds since start.
func htmlElapsed(c htmlChart, start time.Time) htmlChart {
	x := make(htmlValues, len(c.X))
	for i, v := range c.X {
		x[i] = v - unixSeconds(start)
	}
	c.X = x
	return c
}
