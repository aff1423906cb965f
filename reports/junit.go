package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/internal/junit"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// JUnit test classes of a run's testcases.
const (
	junitContractClass = "rate-limit contract"
	junitRunClass      = "run"
)

// JUnit writes the verdict of a run as a JUnit XML report, so that a CI
// system shows it as tests: one testsuite, named "stampede: <target>",
// whose properties say what ran (target, pacer, planned duration, start,
// run id, tool, command; the known ones), and whose testcases are
//
//   - classname "run", name "completed": fails when the run was
//     interrupted or attempts went unsent or unanswered (Verdict's reasons);
//     its time is the run's duration;
//   - classname "run", name "requests": fails when no request was made;
//     its system-out has the key numbers of the run and, when its
//     clients retried, a line of the retry figures;
//   - classname "rate-limit contract", name "<rule id>: <title>", one per
//     rule when the run had contract checks: a rule of severity error with
//     violations fails, with the counts as the message and the examples as
//     the body; a warning with violations passes, its evidence in
//     system-out; a rule that checked nothing is skipped.
//
// Text from outside is stripped of the characters XML 1.0 forbids
// (xmlText), and names and examples are kept on one line (junitLine);
// encoding/xml escapes the rest, and failure bodies and system-out are
// CDATA, which it splits around "]]>".
func JUnit(w io.Writer, run analyze.Run) error {
	s := run.Summary
	duration := s.Duration()
	suite := junit.Suite{
		Name:       junitLine("stampede: " + orDash(run.Target)),
		Time:       junit.Seconds(duration),
		Properties: junitProperties(run),
	}
	if !run.Start.IsZero() {
		// The Ant schema's timestamp has no zone: it is in UTC.
		suite.Timestamp = run.Start.UTC().Format("2006-01-02T15:04:05")
	}

	completed := junit.Case{Classname: junitRunClass, Name: "completed", Time: junit.Seconds(duration)}
	if reasons := run.Verdict().Unfinished; len(reasons) > 0 {
		completed.Failure = &junit.Failure{Message: xmlText(strings.Join(reasons, "; ")), Type: "incomplete", Body: xmlText(strings.Join(reasons, "\n"))}
	}
	numbers := junitNumbers(s)
	if retried(run) {
		numbers += retryLine(run)
	}
	requests := junit.Case{Classname: junitRunClass, Name: "requests", Time: junit.Seconds(0), SystemOut: &junit.Output{Text: xmlText(numbers)}}
	switch {
	case run.ProbesOnly():
		requests.Skipped = &junit.Skipped{Message: "probe reports only, no result file"}
	case s.Requests == 0:
		requests.Failure = &junit.Failure{Message: "no request was made", Type: "no-requests"}
	}
	suite.Cases = append(suite.Cases, completed, requests)
	if c, ok := junitShards(run); ok {
		suite.Cases = append(suite.Cases, c)
	}
	if run.Contract != nil {
		for _, r := range run.Contract.Rules {
			suite.Cases = append(suite.Cases, junitRule(r))
		}
	}
	for _, p := range run.Probes {
		elapsed := time.Duration(0)
		if p.ElapsedS > 0 && p.ElapsedS < 1e6 { // a crafted report may say anything
			elapsed = time.Duration(p.ElapsedS * float64(time.Second))
		}
		c := junit.Case{Classname: "probe", Name: junitLine("Retry-After of " + orDash(p.Target)), Time: junit.Seconds(elapsed)}
		if !p.Passed() {
			c.Failure = &junit.Failure{Message: xmlText(p.Verdict + ": " + p.Explanation), Type: xmlText(p.Verdict), Body: xmlText(strings.Join(probeLines([]probefile.Report{p}), "\n"))}
		}
		suite.Cases = append(suite.Cases, c)
	}

	for _, t := range run.Verdict().Thresholds {
		c := junit.Case{Classname: "threshold", Name: junitLine(t.Name), Time: junit.Seconds(0), SystemOut: &junit.Output{Text: xmlText(fmt.Sprintf("%s\nmeasured: %s\nbaseline: %s", t.Expr, orDash(t.Measured), orDash(t.Baseline)))}}
		if !t.Pass {
			c.Failure = &junit.Failure{Message: xmlText(t.Reason), Type: "threshold", Body: xmlText(t.Expr)}
		}
		suite.Cases = append(suite.Cases, c)
	}
	for _, c := range suite.Cases {
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
	}
	return junit.Write(w, junit.Suites{Name: "stampede", Tests: suite.Tests, Failures: suite.Failures, Time: suite.Time, Suites: []junit.Suite{suite}})
}

// junitShards is the test case of a run merged from shards split i/N
// (or with a shard read twice): it fails when a shard is missing or
// counted twice. ok is false for a run of no such shards.
func junitShards(run analyze.Run) (junit.Case, bool) {
	c := junit.Case{Classname: junitRunClass, Name: "shards", Time: junit.Seconds(0)}
	var reasons []string
	for _, g := range run.ShardsMissing {
		reasons = append(reasons, "run "+g.RunID+": "+g.String())
	}
	if run.Duplicates > 0 {
		reasons = append(reasons, fmt.Sprintf("%d result files are a shard read already: their records count twice", run.Duplicates))
	}
	if len(reasons) > 0 {
		c.Failure = &junit.Failure{Message: xmlText(strings.Join(reasons, "; ")), Type: "partial", Body: xmlText(strings.Join(reasons, "\n"))}
		return c, true
	}
	split := slices.ContainsFunc(run.Shards, func(s string) bool { _, ok, _ := records.ParseShard(s); return ok })
	if split {
		c.SystemOut = &junit.Output{Text: xmlText("every shard read once: " + strings.Join(run.Shards, ", "))}
	}
	return c, split
}

// junitProperties lists what ran, leaving out what is unknown.
func junitProperties(run analyze.Run) []junit.Property {
	var props []junit.Property
	add := func(name, value string) {
		if value != "" {
			props = append(props, junit.Property{Name: name, Value: xmlText(value)})
		}
	}
	add("target", run.Target)
	add("pacer", run.Pacer)
	if run.Planned > 0 {
		add("duration", run.Planned.String())
	}
	if !run.Start.IsZero() {
		add("start", run.Start.UTC().Format(time.RFC3339Nano))
	}
	add("run_id", run.RunID)
	add("tool", run.Tool)
	add("command", shellLine(run.Command))
	return props
}

// junitRule renders one rule of the contract as a testcase.
func junitRule(r contract.RuleResult) junit.Case {
	c := junit.Case{Classname: junitContractClass, Name: xmlText(r.Name + ": " + r.Title), Time: junit.Seconds(0)}
	switch {
	case r.Checked == 0:
		c.Skipped = &junit.Skipped{Message: "no response to check"}
	case r.Violations == 0:
		// passed
	case r.Severity == contract.SeverityWarning:
		c.SystemOut = &junit.Output{Text: xmlText("warning, not a failure: " + ruleCounts(r) + "\n" + ruleEvidence(r))}
	default:
		c.Failure = &junit.Failure{Message: xmlText(ruleCounts(r)), Type: r.Severity.String(), Body: xmlText(ruleEvidence(r))}
	}
	return c
}

// ruleCounts says how often a rule was broken: "1 of 3 checked responses
// violated: every 429 carries Retry-After".
func ruleCounts(r contract.RuleResult) string {
	return fmt.Sprintf("%d of %d checked %s violated: %s", r.Violations, r.Checked, plural(r.Checked, "response", "responses"), r.Title)
}

// ruleEvidence lists the measured values and the examples of a rule's
// violations, one per line:
//
//	rule:       retry-after-on-429 (error)
//	checked:    3
//	violations: 1
//	examples:
//	  2026-11-23T12:00:03Z 429: 429 without Retry-After
func ruleEvidence(r contract.RuleResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule:       %s (%s)\nchecked:    %d\nviolations: %d\n", r.Name, r.Severity, r.Checked, r.Violations)
	if len(r.Examples) > 0 {
		b.WriteString("examples:\n")
	}
	for _, ex := range r.Examples {
		b.WriteString("  ")
		if !ex.At.IsZero() {
			b.WriteString(ex.At.UTC().Format("2006-01-02T15:04:05.000Z07:00") + " ") // fixed width: the examples line up
		}
		if ex.Status != 0 {
			b.WriteString(strconv.Itoa(int(ex.Status)) + ": ")
		}
		b.WriteString(junitLine(evidence(ex)) + "\n")
	}
	return b.String()
}

// junitLineWidth bounds a line of text from outside in a JUnit report.
const junitLineWidth = 1000

// junitLine makes text from outside fit one line of a JUnit report: control
// characters become spaces and a text longer than junitLineWidth is cut
// (cutText), and what XML cannot hold is dropped (xmlText).
func junitLine(s string) string { return xmlText(cutText(s, junitLineWidth)) }

// junitNumbers renders the key numbers of a run on one line.
func junitNumbers(s *analyze.Summary) string {
	q := analyze.LatencyQuantiles(s.Latency)
	return fmt.Sprintf("%d requests in %.3f s: %s offered, %s throughput, %s success; latency p50 %s, p90 %s, p99 %s, max %s\n",
		s.Requests, s.Duration().Seconds(), FormatRate(s.Rate()), FormatRate(s.Throughput()), FormatShare(s.SuccessRatio()),
		FormatLatency(q.P50), FormatLatency(q.P90), FormatLatency(q.P99), FormatLatency(q.Max))
}

// xmlText makes text storable in XML 1.0 (junit.Text).
func xmlText(s string) string { return junit.Text(s) }
