package gradeclient

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/stampede-dev/stampede/internal/junit"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Schema is the version of the JSON report.
const Schema = "stampede/grade-client/v1"

// Formats lists the report formats.
var Formats = []string{"text", "json", "junit"}

// Write renders the result in a format of Formats.
func Write(w io.Writer, format string, r Result) error {
	switch format {
	case "json":
		return WriteJSON(w, r)
	case "junit":
		return WriteJUnit(w, r)
	case "text", "":
		return WriteText(w, r)
	}
	return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) table(header []string, rows [][]string) {
	if e.err != nil {
		return
	}
	t := tablewriter.NewTable(e.w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header(header)
	if e.err = t.Bulk(rows); e.err == nil {
		e.err = t.Render()
	}
}

// kind is "mandatory" or "advisory".
func kind(mandatory bool) string {
	if mandatory {
		return "mandatory"
	}
	return "advisory"
}

// clean folds a text from the client or a file into one printable line.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}

// WriteText writes the grade for people: a verdict table per scenario and
// rule, the attempts of every run (the client's last lines when it
// failed), a table of the rules and the grade.
func WriteText(w io.Writer, r Result) error {
	p := &errWriter{w: w}
	p.printf("Client     %s\n", clean(strings.Join(r.Command, " ")))
	if r.Upstream != "" {
		p.printf("Proxy      in front of %s\n", clean(r.Upstream))
	}
	p.printf("Scenarios  %d, %d %s each, timeout %s per run, %s in all\n\n", len(r.Scenarios), r.Runs, plural(r.Runs, "run", "runs"), Seconds(r.Timeout), Seconds(r.Elapsed))
	var rows [][]string
	for _, sr := range r.Scenarios {
		for _, v := range sr.Verdicts {
			obs := v.Observed
			if v.Run > 0 {
				obs = fmt.Sprintf("run %d: %s", v.Run, obs)
			}
			rows = append(rows, []string{sr.Scenario.Name, string(v.Rule), kind(v.Mandatory), v.Expected, clean(obs), strings.ToUpper(string(v.Outcome))})
		}
	}
	p.table([]string{"Scenario", "Rule", "Kind", "Expected", "Observed", "Verdict"}, rows)
	p.printf("\nAttempts (status, then the wait before the next attempt)\n")
	for _, sr := range r.Scenarios {
		for i, ex := range sr.Runs {
			p.printf("  %-24s run %d: %s; %s in %s\n", sr.Scenario.Name, i+1, attemptsLine(ex), endText(ex.Client), Seconds(ex.Client.Elapsed))
			if ex.Client.ExitCode != 0 && ex.Client.Output != "" {
				for _, l := range strings.Split(ex.Client.Output, "\n") {
					p.printf("      | %s\n", clean(l))
				}
			}
		}
	}
	p.printf("\n")
	var sum [][]string
	for _, s := range r.Summary() {
		sum = append(sum, []string{string(s.Rule), kind(s.Mandatory), s.Title, strings.ToUpper(string(s.Outcome)), strings.Join(s.Scenarios, ", ")})
	}
	p.table([]string{"Rule", "Kind", "Expects", "Verdict", "Graded in"}, sum)
	p.printf("\n%s\n", gradeLine(r))
	return p.err
}

// gradeLine is the last line: the grade and the rules that decided it.
func gradeLine(r Result) string {
	var s string
	if f := r.Failed(); len(f) > 0 {
		s = "Grade      FAIL: mandatory rules broken: " + joinIDs(f)
	} else {
		s = "Grade      PASS: every mandatory rule held"
	}
	if wn := r.Warned(); len(wn) > 0 {
		s += "; advisory warnings: " + joinIDs(wn)
	}
	if r.Interrupted {
		s += " (interrupted: not every scenario ran)"
	}
	return s
}

func joinIDs(ids []RuleID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = string(id)
	}
	return strings.Join(parts, ", ")
}

// attemptsLine is "429 · 3.01 s · 200": each status, and the wait before
// the next attempt between them.
func attemptsLine(ex Exchange) string {
	if len(ex.Attempts) == 0 {
		return "no request"
	}
	var b strings.Builder
	for i, a := range ex.Attempts {
		if i > 0 {
			b.WriteString(" · " + Seconds(ex.Gap(i-1)) + " · ")
		}
		b.WriteString(strconv.Itoa(a.Status))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// The JSON report (Schema): documented in docs/grade-client.md.
type (
	jsonReport struct {
		Schema         string         `json:"schema"`
		Command        []string       `json:"command"`
		Upstream       string         `json:"upstream,omitempty"`
		Runs           int            `json:"runs"`
		TimeoutSeconds float64        `json:"timeout_seconds"`
		ElapsedSeconds float64        `json:"elapsed_seconds"`
		Passed         bool           `json:"passed"`
		Failed         []RuleID       `json:"failed"`
		Warned         []RuleID       `json:"warned"`
		Interrupted    bool           `json:"interrupted,omitempty"`
		Rules          []RuleSummary  `json:"rules"`
		Scenarios      []jsonScenario `json:"scenarios"`
	}
	jsonScenario struct {
		Name        string        `json:"name"`
		Description string        `json:"description,omitempty"`
		Script      string        `json:"script"`
		Verdicts    []jsonVerdict `json:"verdicts"`
		Runs        []jsonRun     `json:"runs"`
	}
	jsonVerdict struct {
		Verdict
		GapsSeconds []float64 `json:"gaps_seconds"`
	}
	jsonRun struct {
		Attempts       []jsonAttempt `json:"attempts"`
		ExitCode       int           `json:"exit_code"`
		Stopped        Stop          `json:"stopped,omitempty"`
		ElapsedSeconds float64       `json:"elapsed_seconds"`
		Output         string        `json:"output,omitempty"`
	}
	jsonAttempt struct {
		Status     int    `json:"status"`
		RetryAfter string `json:"retry_after,omitempty"`
		// AtSeconds is the arrival, from the first attempt's.
		AtSeconds float64 `json:"at_seconds"`
		// WaitSeconds is the gap before it: its arrival minus the end of
		// the answer before; absent for the first.
		WaitSeconds *float64 `json:"wait_seconds,omitempty"`
	}
)

func secs(d time.Duration) float64 { return float64(d.Round(time.Millisecond)) / float64(time.Second) }

// WriteJSON writes the grade as JSON (Schema), indented.
func WriteJSON(w io.Writer, r Result) error {
	rep := jsonReport{
		Schema: Schema, Command: r.Command, Upstream: r.Upstream, Runs: r.Runs,
		TimeoutSeconds: secs(r.Timeout), ElapsedSeconds: secs(r.Elapsed), Failed: r.Failed(), Warned: r.Warned(),
		Interrupted: r.Interrupted, Rules: r.Summary(), Scenarios: []jsonScenario{},
	}
	rep.Passed = len(rep.Failed) == 0 && !r.Interrupted
	if rep.Failed == nil {
		rep.Failed = []RuleID{}
	}
	if rep.Warned == nil {
		rep.Warned = []RuleID{}
	}
	for _, sr := range r.Scenarios {
		js := jsonScenario{Name: sr.Scenario.Name, Description: sr.Scenario.Description, Script: sr.Scenario.Describe(), Verdicts: []jsonVerdict{}}
		for _, v := range sr.Verdicts {
			jv := jsonVerdict{Verdict: v, GapsSeconds: []float64{}}
			for _, g := range v.Gaps {
				jv.GapsSeconds = append(jv.GapsSeconds, secs(g))
			}
			js.Verdicts = append(js.Verdicts, jv)
		}
		for _, ex := range sr.Runs {
			js.Runs = append(js.Runs, jsonRunOf(ex))
		}
		rep.Scenarios = append(rep.Scenarios, js)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func jsonRunOf(ex Exchange) jsonRun {
	jr := jsonRun{Attempts: []jsonAttempt{}, ExitCode: ex.Client.ExitCode, Stopped: ex.Client.Stopped, ElapsedSeconds: secs(ex.Client.Elapsed), Output: ex.Client.Output}
	for i, a := range ex.Attempts {
		ja := jsonAttempt{Status: a.Status, RetryAfter: a.Header, AtSeconds: secs(a.Arrived.Sub(ex.Attempts[0].Arrived))}
		if i > 0 {
			g := secs(ex.Gap(i - 1))
			ja.WaitSeconds = &g
		}
		jr.Attempts = append(jr.Attempts, ja)
	}
	return jr
}

// WriteJUnit writes the grade as JUnit XML: a testsuite per scenario, a
// testcase per rule it grades (classname the scenario). A failed
// mandatory rule is a failure; an advisory warning passes with the
// warning in its system-out; a skipped rule is skipped.
func WriteJUnit(w io.Writer, r Result) error {
	doc := junit.Suites{Name: "stampede grade-client: " + clean(strings.Join(r.Command, " ")), Time: junit.Seconds(r.Elapsed)}
	for _, sr := range r.Scenarios {
		var elapsed time.Duration
		for _, ex := range sr.Runs {
			elapsed += ex.Client.Elapsed
		}
		s := junit.Suite{Name: sr.Scenario.Name, Time: junit.Seconds(elapsed)}
		for _, v := range sr.Verdicts {
			c := junit.Case{Classname: sr.Scenario.Name, Name: string(v.Rule), Time: junit.Seconds(0),
				SystemOut: &junit.Output{Text: fmt.Sprintf("%s: expected %s; observed %s", v.Outcome, v.Expected, clean(v.Observed))}}
			switch v.Outcome {
			case Fail:
				c.Failure = &junit.Failure{Message: clean(v.Observed), Type: "mandatory", Body: "expected " + v.Expected + "\nobserved " + clean(v.Observed)}
				s.Failures++
			case Skip:
				c.Skipped = &junit.Skipped{Message: clean(v.Observed)}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Suites = append(doc.Suites, s)
	}
	return junit.Write(w, doc)
}
