package reports

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

// Text writes the summary of a run as aligned tables for people.
func Text(w io.Writer, run analyze.Run, opts Options) error {
	s := run.Summary
	tp := &textPrinter{w: w}
	if run.Target != "" {
		tp.printf("Target    %s\n", oneLine(run.Target))
	}
	if load := run.Load(); load != "" {
		tp.printf("Load      %s\n", oneLine(load))
	}
	if run.Concurrency > 0 {
		tp.printf("Model     %s\n", ClosedModelNote)
	}
	if run.ResultFile != "" {
		tp.printf("Results   %s (%d records)\n", run.ResultFile, run.Records)
	}
	if len(run.Sources) > 0 {
		tp.printf("Read      %s (%d records)\n", oneLine(strings.Join(run.Sources, ", ")), run.Records)
		if !run.Start.IsZero() {
			tp.printf("Started   %s\n", run.Start.UTC().Format(time.RFC3339Nano))
		}
		if len(run.Shards) > 0 {
			tp.printf("Shards    %s\n", oneLine(strings.Join(run.Shards, ", ")))
		}
	}
	if run.Interrupted != "" {
		tp.printf("Stopped   by %s", oneLine(run.Interrupted))
		if run.Unanswered > 0 {
			tp.printf(", %d attempts still unanswered were abandoned", run.Unanswered)
		}
		tp.printf("\n")
	}
	if run.Unsent > 0 {
		behind := "behind its schedule"
		if run.MaxLateness > 0 {
			behind = fmt.Sprintf("more than %s behind its schedule", run.MaxLateness)
		}
		tp.printf("Unsent    %d scheduled requests never left: stampede fell %s (raise --max-workers or lower the rate)\n", run.Unsent, behind)
	}
	if note := BehindNote(run); note != "" {
		tp.printf("Behind    %s\n", note)
	}
	tp.printf("\n")

	tp.table([]string{"Metric", "Value"}, []tw.Align{tw.AlignLeft, tw.AlignRight}, [][]string{
		{"requests", strconv.FormatUint(s.Requests, 10)},
		{rateLabel(run), FormatRate(s.Rate())},
		{"throughput (successes)", FormatRate(s.Throughput())},
		{"duration", fmt.Sprintf("%.3f s", s.Duration().Seconds())},
		{"success ratio", FormatShare(s.SuccessRatio())},
		{"send delay p99 (stampede's lag)", sendDelayP99(run)},
		{"bytes in", FormatBytes(s.BytesIn)},
		{"bytes out", FormatBytes(s.BytesOut)},
	})

	tp.printf("\nLatency\n")
	from := "from scheduled send"
	if run.Concurrency > 0 {
		from = "from actual send"
	}
	rows := [][]string{latencyRow(from, s.Latency)}
	if opts.Uncorrected {
		rows = append(rows, latencyRow("from actual send", s.Uncorrected), latencyRow("send delay", s.SendDelay))
	}
	right := []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	tp.table([]string{"", "min", "mean", "p50", "p90", "p99", "p99.9", "max"}, right, rows)

	tp.printf("\nStatus codes\n")
	var statusRows [][]string
	for _, code := range s.Statuses() {
		statusRows = append(statusRows, []string{statusText(code), strconv.FormatUint(s.Status[code], 10), FormatShare(float64(s.Status[code]) / float64(s.Requests))})
	}
	if len(statusRows) == 0 {
		statusRows = [][]string{{"(no requests)", "0", FormatShare(0)}}
	}
	tp.table([]string{"Status", "Count", "Share"}, []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight}, statusRows)

	if len(s.Transport) > 0 {
		tp.printf("\nTransport errors\n")
		var rows [][]string
		for _, k := range records.ErrorKinds {
			if n := s.Transport[k]; n > 0 {
				rows = append(rows, []string{k.String(), strconv.FormatUint(n, 10), FormatShare(float64(n) / float64(s.Requests))})
			}
		}
		tp.table([]string{"Kind", "Count", "Share"}, []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight}, rows)
	}

	if retried(run) {
		tp.printf("\nRetries\n")
		var rows [][]string
		for _, f := range retryFacts(run) {
			rows = append(rows, []string{f.Label, f.Value, f.Detail})
		}
		tp.table([]string{"", "Value", ""}, []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignLeft}, rows)
	}

	stats := s.ClassStats()
	if len(stats) > 0 {
		tp.classes(run, stats, opts.ClassRows)
	}
	tp.requests(s)
	tp.contract(run.Contract)
	if len(run.Probes) > 0 {
		tp.printf("\nProbes of the Retry-After (stampede probe)\n")
		for _, line := range probeLines(run.Probes) {
			tp.printf("- %s\n", line)
		}
	}
	if opts.Histogram && len(stats) > 0 {
		tp.histograms(stats[:min(len(stats), HistogramClasses)])
	}
	if len(run.Notes) > 0 {
		tp.printf("\nNotes\n")
		for _, n := range run.Notes {
			tp.printf("- %s\n", oneLine(n))
		}
	}
	tp.deltas(run)
	v := run.Verdict()
	tp.thresholds(v)
	if v.Pass {
		tp.printf("\nVerdict: PASS\n")
	} else {
		tp.printf("\nVerdict: FAIL: %s\n", oneLine(strings.Join(v.Reasons, "; ")))
	}
	return tp.err
}

// classes writes the table of classes, most frequent first, and the notes
// on what it leaves out: the classes beyond the row limit, the overflow
// class and the bodies too long to be read whole.
func (p *textPrinter) classes(run analyze.Run, stats []*analyze.ClassStats, limit int) {
	s := run.Summary
	if limit < 1 {
		limit = DefaultMaxClassRows
	}
	p.printf("\nClasses\n")
	var rows [][]string
	for _, st := range stats[:min(len(stats), limit)] {
		c := st.Class
		q := analyze.LatencyQuantiles(st.Latency)
		rows = append(rows, []string{
			classStatus(c), orDash(cutText(c.Code, codeWidth)), c.Category.String(), retryableText(c.Class),
			strconv.FormatUint(st.Count, 10), FormatShare(share(st.Count, s.Requests)),
			FormatLatency(q.P50), FormatLatency(q.P99), orDash(cutText(classMessage(c), messageWidth)),
		})
	}
	left := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft}
	p.table([]string{"Status", "Code", "Category", "Retryable", "Count", "Share", "p50", "p99", "Message"}, left, rows)

	if more := stats[min(len(stats), limit):]; len(more) > 0 {
		var n uint64
		for _, st := range more {
			n += st.Count
		}
		p.printf("… and %d more %s (%d %s); see --format json\n", len(more), plural(uint64(len(more)), "class", "classes"), n, plural(n, "request", "requests"))
	}
	for _, note := range classNotes(run, stats) {
		p.printf("%s\n", note)
	}
}

// classNotes says what a table of classes leaves out: the responses that
// fell into the overflow classes, and the bodies too long to be read whole.
func classNotes(run analyze.Run, stats []*analyze.ClassStats) []string {
	var notes []string
	var overflowed uint64 // over the overflow classes, one per status
	for _, st := range stats {
		if st.Class.Overflow {
			overflowed += st.Count
		}
	}
	if overflowed > 0 && run.Summary != nil {
		notes = append(notes, fmt.Sprintf("%d %s beyond the limit of %d classes and %s counted as 'other' of their status (raise --max-classes)",
			overflowed, plural(overflowed, "response fell", "responses fell"), run.MaxClasses(), plural(overflowed, "is", "are")))
	}
	if run.Truncated > 0 {
		limit := FormatBytes(uint64(run.ClassifiedBytes()))
		notes = append(notes, fmt.Sprintf("%d %s longer than %s and %s classified from %s first %s", run.Truncated,
			plural(run.Truncated, "response body was", "response bodies were"), limit,
			plural(run.Truncated, "was", "were"), plural(run.Truncated, "its", "their"), limit))
	}
	return notes
}

// histograms writes a latency histogram of each class of stats.
func (p *textPrinter) histograms(stats []*analyze.ClassStats) {
	headings := make([]string, len(stats))
	seen := make(map[string]int, len(stats))
	for i, st := range stats {
		headings[i] = cutText(classHeading(st.Class), codeWidth+16) // the code comes from the target: no escape sequences
		seen[headings[i]]++
	}
	for i, st := range stats {
		h := headings[i]
		if seen[h] > 1 { // classes of one status and code differ by message
			h += fmt.Sprintf(" %q", cutText(classMessage(st.Class), 40))
		}
		p.printf("\nLatency of %s (%d %s)\n", h, st.Count, plural(st.Count, "response", "responses"))
		if p.err == nil {
			p.err = ASCIIHistogram(p.w, st.Latency, DefaultHistogramWidth)
		}
	}
}

// Display widths of the Code and Message columns: both come from response
// bodies, so a long one is cut rather than widening the table.
const (
	codeWidth    = 40
	messageWidth = 48
)

// classStatus renders the status of a class: "429", the transport failure
// kind for a class without a response ("timeout"), both for a failure
// after the status line ("200 connection_reset"). An overflow class shows
// its status too; its code is "other".
func classStatus(c *classify.Class) string {
	switch {
	case c.Status == 0 && c.ErrorKind != records.ErrNone:
		return c.ErrorKind.String()
	case c.ErrorKind != records.ErrNone:
		return fmt.Sprintf("%d %s", c.Status, c.ErrorKind)
	}
	return strconv.Itoa(int(c.Status))
}

// classHeading names a class in a histogram heading: its status, then its
// code or, without one, its category, unless that repeats the status
// ("timeout", "other").
func classHeading(c *classify.Class) string {
	status := classStatus(c)
	what := c.Code
	if what == "" {
		what = c.Category.String()
	}
	if what == status {
		return status
	}
	return status + " " + what
}

// classMessage returns what the Message column shows of a class: its
// message, else its pattern.
func classMessage(c *classify.Class) string {
	if c.Message != "" {
		return c.Message
	}
	return c.Pattern
}

// oneLine makes text from a target or a file safe to print on one line of
// a terminal: control characters (newlines, tabs, escapes) and format
// characters (bidi overrides, zero-width characters) become spaces, runs
// of white space one space, invalid UTF-8 U+FFFD.
func oneLine(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, text)), " ")
}

// cutText makes text fit one table cell of at most width display columns:
// control characters (newlines, tabs, escapes) become spaces, runs of
// white space one space, invalid UTF-8 U+FFFD, and a longer text is cut
// at a rune boundary and ends with "…".
func cutText(text string, width int) string {
	text = oneLine(text)
	if twwidth.Width(text) <= width {
		return text
	}
	var b strings.Builder
	used := 0
	for _, r := range text {
		w := twwidth.Width(string(r))
		if used+w > width-1 { // room for the ellipsis
			break
		}
		b.WriteRune(r)
		used += w
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// retryableText says whether a class's failures are worth retrying: yes
// or no, and "-" for a success, which is no failure to retry.
func retryableText(c records.Class) string {
	if c.Category == records.CatSuccess {
		return "-"
	}
	return yesNo(c.Retryable)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// share is n / total, 0 when total is 0.
func share(n, total uint64) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// plural returns one when n is 1, else many.
func plural(n uint64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func latencyRow(name string, h *hdrhistogram.Histogram) []string {
	q := analyze.LatencyQuantiles(h)
	return []string{name, FormatLatency(q.Min), FormatLatency(q.Mean), FormatLatency(q.P50), FormatLatency(q.P90), FormatLatency(q.P99), FormatLatency(q.P999), FormatLatency(q.Max)}
}

// statusText renders "200 OK", or "0 (no response)".
func statusText(code uint16) string {
	if code == 0 {
		return "0 (no response)"
	}
	if t := http.StatusText(int(code)); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(int(code))
}

// textPrinter keeps the first write error so the report reads straight.
type textPrinter struct {
	w   io.Writer
	err error
}

func (p *textPrinter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *textPrinter) table(header []string, align []tw.Align, rows [][]string) {
	if p.err != nil {
		return
	}
	t := tablewriter.NewTable(p.w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		p.err = err
		return
	}
	p.err = t.Render()
}

// BehindNote says that a run fell behind its schedule, and what that
// means for its figures; "" when it kept to it.
func BehindNote(run analyze.Run) string {
	p99, most, behind := run.Behind()
	if !behind {
		return ""
	}
	return fmt.Sprintf("stampede fell behind its schedule: send delay p99 %s, max %s. Requests waited for a free worker "+
		"(all busy: a target slower than the rate needs, or a starved CPU); the latency below includes the wait. "+
		"To send on time, raise --max-workers or lower the rate", FormatLatency(p99), FormatLatency(most))
}

// runNotes are the run's notes, with what its model and schedule mean
// for its figures first: the closed model's caveat, falling behind.
func runNotes(run analyze.Run) []string {
	var notes []string
	if run.Concurrency > 0 {
		notes = append(notes, "Model: "+ClosedModelNote)
	}
	if n := BehindNote(run); n != "" {
		notes = append(notes, n)
	}
	return append(notes, run.Notes...)
}

// ClosedModelNote says what a closed model's latency can and cannot show.
const ClosedModelNote = "closed: each worker sends its next request when its previous one is answered, " +
	"so latency runs from each actual send and cannot show coordinated omission (docs/latency.md)"

// sendDelayP99 is the p99 of stampede's lag behind its schedule; a closed
// model has no schedule to lag behind.
func sendDelayP99(run analyze.Run) string {
	if run.Concurrency > 0 {
		return "n/a (closed model)"
	}
	if run.SendDelayUnknown {
		return "unknown (vegeta files keep no schedule)"
	}
	return FormatLatency(analyze.LatencyQuantiles(run.Summary.SendDelay).P99)
}
