package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/probe"
	"github.com/stampede-dev/stampede/records/probefile"
)

// ProbeReport is what `stampede probe` reports.
type ProbeReport struct {
	// Target is the method and URL probed, secrets masked.
	Target string
	Result probe.Result
}

// ProbeText writes the probe's report for people: the bounds, a table of
// the rounds, each round's exchanges, the verdict with its evidence and
// the requests spent.
func ProbeText(w io.Writer, rep ProbeReport) error {
	res := rep.Result
	b := res.Bounds
	tp := &textPrinter{w: w}
	if rep.Target != "" {
		tp.printf("Target    %s\n", rep.Target)
	}
	tp.printf("Ramp      %s, doubling every %s up to %s\n", pace.RateString(b.StartRate), b.Step, pace.RateString(b.MaxRate))
	tp.printf("Bounds    %d requests, %s, %d %s, margin %s\n\n", b.MaxRequests, b.MaxTime, b.Rounds, plural(uint64(b.Rounds), "round", "rounds"), probe.Seconds(b.Margin))

	if len(res.Rounds) > 0 {
		rows := make([][]string, len(res.Rounds))
		for i, r := range res.Rounds {
			rows[i] = []string{
				strconv.Itoa(i + 1), FormatRate(r.TriggerRate), orDash(r.RetryAfter), r.Form.String(), advertisedText(r),
				admittedText(r.Halfway, sentKind(r, probe.KindHalfway)), admittedText(r.Deadline, sentKind(r, probe.KindDeadline)), realWaitText(r), strconv.Itoa(r.Polls), roundVerdictText(r),
			}
		}
		l, rt := tw.AlignLeft, tw.AlignRight
		tp.table([]string{"Round", "Trigger rate", "Retry-After", "Form", "Advertised (s)", "At T/2", "At T+margin", "Real wait (s)", "Polls", "Verdict"},
			[]tw.Align{rt, rt, l, l, rt, l, l, rt, rt, l}, rows)

		tp.printf("\nExchanges (seconds after each round's 429: status, Retry-After)\n")
		for i, r := range res.Rounds {
			parts := make([]string, len(r.Exchanges))
			for j, e := range r.Exchanges {
				parts[j] = fmt.Sprintf("%.2f %s", e.At.Seconds(), exchangeStatusText(e))
				if e.RetryAfter != "" {
					parts[j] += " (" + e.RetryAfter + ")"
				}
			}
			tp.printf("  %d  %s\n", i+1, strings.Join(parts, " · "))
		}
		tp.printf("\n")
	}
	if res.GaveUp != "" {
		tp.printf("Gave up   %s\n", res.GaveUp)
	}
	if s := stoppedText(res); s != "" {
		tp.printf("Stopped   %s\n", s)
	}
	tp.printf("Verdict   %s: %s\n", res.Verdict, res.Explain())
	tp.printf("Requests  %d of at most %d, in %.1f s\n", res.Requests, b.MaxRequests, res.Elapsed.Seconds())
	return tp.err
}

// roundVerdictText is the round's verdict, "no answer" for a round ended
// for want of a limiter answer, "-" for one stopped before a verdict.
func roundVerdictText(r probe.Round) string {
	if r.Verdict == "" && r.NoAnswer != "" {
		return "no answer"
	}
	return orDash(string(r.Verdict))
}

// exchangeStatusText is an exchange's status, "failed" after a transport failure.
func exchangeStatusText(e probe.Exchange) string {
	if e.Status == 0 {
		return "failed"
	}
	return strconv.Itoa(e.Status)
}

// advertisedText is the advertised wait in seconds, "-" without a usable
// Retry-After.
func advertisedText(r probe.Round) string {
	if !r.Form.Valid() {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.Advertised.Seconds())
}

// admittedText is what a check request got: "admitted", "rejected", "no
// answer" for one sent that got no limiter answer (a 5xx, a transport
// failure, or a bound before its retry), "-" for one not sent.
func admittedText(b *bool, sent bool) string {
	switch {
	case b != nil && *b:
		return "admitted"
	case b != nil:
		return "rejected"
	case sent:
		return "no answer"
	}
	return "-"
}

// sentKind reports whether the round sent a request of kind.
func sentKind(r probe.Round, kind string) bool {
	for _, e := range r.Exchanges {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// realWaitText bounds the real wait: after the last rejected request, at
// most the first admitted one ("1.00–2.25"); "> 8.00" if none was.
func realWaitText(r probe.Round) string {
	if !r.Recovered {
		if r.RejectedUntil == 0 {
			return "-"
		}
		return fmt.Sprintf("> %.2f", r.RejectedUntil.Seconds())
	}
	return fmt.Sprintf("%.2f–%.2f", r.RejectedUntil.Seconds(), r.RealWait.Seconds())
}

// stoppedText says which bound ended the probe early, "" if none did.
func stoppedText(res probe.Result) string {
	var s string
	switch res.Stopped {
	case probe.StopMaxRequests:
		s = fmt.Sprintf("by the bound of %d requests", res.Bounds.MaxRequests)
	case probe.StopMaxTime:
		s = fmt.Sprintf("by the bound of %s", res.Bounds.MaxTime)
	case probe.StopInterrupted:
		s = "by an interrupt"
	default:
		return ""
	}
	return fmt.Sprintf("%s, after %d of %d rounds", s, len(res.Rounds), res.Bounds.Rounds)
}

// ProbeJSON writes the probe's JSON report (probefile.Report), indented.
func ProbeJSON(w io.Writer, rep ProbeReport) error {
	return probefile.Write(w, probe.NewReport(rep.Target, rep.Result))
}

// probeLines renders the probes for the text and Markdown reports: one
// line each, "<target>: <verdict>: <explanation>", cleaned for a terminal.
func probeLines(probes []probefile.Report) []string {
	var out []string
	for _, p := range probes {
		out = append(out, oneLine(fmt.Sprintf("%s: %s: %s (%d rounds, %d requests)", p.Target, p.Verdict, p.Explanation, len(p.Probe.Rounds), p.Requests)))
	}
	return out
}
