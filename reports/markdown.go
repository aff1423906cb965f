package reports

import (
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
)

// MarkdownClasses is how many classes, the most frequent, the Markdown
// summary lists.
const MarkdownClasses = 10

// Display widths of the Markdown cells whose text comes from the target.
const (
	mdMessageWidth = 60
	mdExampleWidth = 80
)

// Markdown writes a compact GitHub-flavoured summary of a run, for a pull
// request comment or $GITHUB_STEP_SUMMARY: a heading with the verdict and
// its reasons, a line saying what was tested, a table of the key numbers,
// the most frequent classes and, when the run had contract checks, the
// rules that applied to some response. Text that comes from the target or
// the operator (messages, codes, evidence, the target URL) is escaped by
// mdEscape, so it cannot break a table, inject HTML or links, or mention
// people.
func Markdown(w io.Writer, run analyze.Run) error {
	s := run.Summary
	p := &textPrinter{w: w}
	v := run.Verdict()
	if v.Pass {
		p.printf("### ✅ stampede: PASS\n\n")
	} else {
		p.printf("### ❌ stampede: FAIL — %s\n\n", mdEscape(strings.Join(v.Reasons, "; ")))
	}
	if meta := mdMetadata(run); meta != "" {
		p.printf("%s\n\n", meta)
	}
	mdThresholds(p, v)

	q := analyze.LatencyQuantiles(s.Latency)
	p.printf("| Requests | Duration | Offered rate | Throughput | Success | p50 | p90 | p99 | Max |\n")
	p.printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	p.printf("| %d | %.3f s | %s | %s | %s | %s | %s | %s | %s |\n\n", s.Requests, s.Duration().Seconds(),
		FormatRate(s.Rate()), FormatRate(s.Throughput()), FormatShare(s.SuccessRatio()),
		FormatLatency(q.P50), FormatLatency(q.P90), FormatLatency(q.P99), FormatLatency(q.Max))

	if retried(run) {
		mdRetries(p, run)
	}
	if stats := s.ClassStats(); len(stats) > 0 {
		mdClasses(p, s.Requests, stats)
	}
	mdRequests(p, s)
	mdDeltas(p, run)
	if run.Contract != nil {
		mdContract(p, run.Contract)
	}
	if len(run.Probes) > 0 {
		p.printf("**Probes of the Retry-After**\n\n")
		for i, line := range probeLines(run.Probes) {
			mark := "✅"
			if !run.Probes[i].Passed() {
				mark = "❌"
			}
			p.printf("- %s %s\n", mark, mdEscape(line))
		}
		p.printf("\n")
	}
	if notes := runNotes(run); len(notes) > 0 {
		p.printf("**Notes**\n\n")
		for _, n := range notes {
			p.printf("- %s\n", mdEscape(n))
		}
		p.printf("\n")
	}
	return p.err
}

// mdMetadata renders what was tested, with what load, when and by what,
// on one line; "" when nothing is known.
func mdMetadata(run analyze.Run) string {
	var parts []string
	if run.Target != "" {
		parts = append(parts, "**Target** "+mdEscape(run.Target))
	}
	if len(run.Periods) > 1 {
		parts = append(parts, "**Load** "+mdEscape(run.Load()))
	} else if run.Pacer != "" {
		load := run.Pacer
		if run.Planned > 0 {
			load += " for " + run.Planned.String()
		}
		parts = append(parts, "**Load** "+mdEscape(load))
	}
	if !run.Start.IsZero() {
		parts = append(parts, "**Started** "+run.Start.UTC().Format(time.RFC3339))
	}
	if run.RunID != "" {
		parts = append(parts, "**Run** "+mdEscape(run.RunID))
	}
	if run.Tool != "" {
		parts = append(parts, mdEscape(run.Tool))
	}
	return strings.Join(parts, " · ")
}

// mdClasses writes the table of the MarkdownClasses most frequent classes
// and says how many more there are.
func mdClasses(p *textPrinter, requests uint64, stats []*analyze.ClassStats) {
	p.printf("| Status | Code | Category | Count | Share | p50 | p99 | Message |\n")
	p.printf("|---|---|---|---:|---:|---:|---:|---|\n")
	for _, st := range stats[:min(len(stats), MarkdownClasses)] {
		c := st.Class
		q := analyze.LatencyQuantiles(st.Latency)
		p.printf("| %s | %s | %s | %d | %s | %s | %s | %s |\n",
			classStatus(c), mdCell(c.Code, codeWidth), c.Category, st.Count, FormatShare(share(st.Count, requests)),
			FormatLatency(q.P50), FormatLatency(q.P99), mdCell(classMessage(c), mdMessageWidth))
	}
	p.printf("\n")
	if more := stats[min(len(stats), MarkdownClasses):]; len(more) > 0 {
		var n uint64
		for _, st := range more {
			n += st.Count
		}
		p.printf("… and %d more %s (%d %s)\n\n", len(more), plural(uint64(len(more)), "class", "classes"), n, plural(n, "request", "requests"))
	}
}

// mdRetries writes the retry figures of a run whose clients retried.
func mdRetries(p *textPrinter, run analyze.Run) {
	p.printf("**Retries**\n\n| | Value | |\n|---|---:|---|\n")
	for _, f := range retryFacts(run) {
		p.printf("| %s | %s | %s |\n", mdEscape(f.Label), mdEscape(f.Value), mdEscape(f.Detail))
	}
	p.printf("\n")
}

// mdContract writes the rules of the rate-limit contract that applied to
// some response, each with its first example.
func mdContract(p *textPrinter, c *contract.Report) {
	errs, warns := c.Violations()
	p.printf("**Rate-limit contract**: ")
	switch {
	case errs == 0 && warns == 0:
		p.printf("holds, no violation\n\n")
	default:
		p.printf("%d %s, %d %s\n\n", errs, plural(errs, "violation", "violations"), warns, plural(warns, "warning", "warnings"))
	}
	var rows []contract.RuleResult
	for _, r := range c.Rules {
		if r.Checked > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		p.printf("No 429, no 503 and no rate-limit header seen: nothing to check.\n\n")
		return
	}
	p.printf("| | Rule | Severity | Checked | Violations | First example |\n")
	p.printf("|---|---|---|---:|---:|---|\n")
	for _, r := range rows {
		mark := "✅"
		switch {
		case r.Violations > 0 && r.Severity == contract.SeverityWarning:
			mark = "⚠️"
		case r.Violations > 0:
			mark = "❌"
		}
		example := ""
		if len(r.Examples) > 0 {
			example = mdCell(evidence(r.Examples[0]), mdExampleWidth)
		}
		p.printf("| %s | %s | %s | %d | %d | %s |\n", mark, mdEscape(r.Name), r.Severity, r.Checked, r.Violations, example)
	}
	p.printf("\n")
}

// mdCell renders text from outside as the content of a table cell: on one
// line, at most width display columns (cutText), escaped (mdEscape).
func mdCell(s string, width int) string { return mdEscape(cutText(s, width)) }

// mdEscape makes text from outside (a target's message or code, a URL)
// inert in GitHub-flavoured Markdown, within a line or a table cell:
//
//   - \ | ` * _ [ ] ~ $ are escaped with a backslash, so the text can
//     neither end a table cell nor open emphasis, code, a link, an image,
//     strikethrough or math;
//   - & < > become &amp; &lt; &gt;, so no HTML tag, autolink <…> or
//     character reference gets through;
//   - control characters (newlines included) become spaces and format
//     characters (bidi overrides, zero-width ones) are dropped, so the
//     text stays on its line and reads as it looks; invalid UTF-8 becomes
//     U+FFFD;
//   - every @ is followed by U+2060 WORD JOINER, invisible, so "@team" or
//     "ops@example.com" mentions nobody in a pull request comment.
//
// Bare URLs are still linked by GitHub, but their text is the URL itself.
func mdEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case strings.ContainsRune(`\|`+"`"+`*_[]~$`, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '@':
			b.WriteString("@\u2060")
		case unicode.IsControl(r):
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
