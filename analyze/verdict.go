package analyze

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
)

// Threshold is one threshold judged on a run: a condition on its metrics,
// whether it held, and what was measured. Package thresholds judges
// expressions; DefaultThresholds judges the defaults natively.
type Threshold struct {
	Name     string `json:"name"`               // for people: a given name, or the expression
	Expr     string `json:"expr"`               // the condition in the threshold language, e.g. "latency.p99 < 300ms"
	Default  bool   `json:"default,omitempty"`  // one of the defaults, which apply when no threshold is given
	Abort    bool   `json:"abort,omitempty"`    // may stop a run early (--abort-on-fail) once it fails
	Pass     bool   `json:"pass"`               // whether it held
	Measured string `json:"measured,omitempty"` // the value measured, with its unit: "412ms", "100.0 %"
	Baseline string `json:"baseline,omitempty"` // the same value in the baseline run; "" without one
	// Reason says why it failed, for people, with the value measured:
	// "transport failures 100.0 % > 1 %: 40 connection_refused". Empty
	// when it held.
	Reason string `json:"reason,omitempty"`
}

// The limits of the default thresholds on failures, as fractions of the
// requests.
const (
	DefaultMaxTransportRatio   = 0.01
	DefaultMaxServerErrorRatio = 0.01
)

// Expressions of the default thresholds, in the threshold language: what
// a profile writes to state the same thing.
const (
	ExprContract  = "rate_limit.errors == 0"
	ExprTransport = `rate(kind != "") <= 1%`
	ExprServer    = `rate(family == "5xx") <= 1%`
	ExprFinished  = "finished"
	ExprProbes    = `probe.verdict == "honest"`
)

// DefaultThresholds judges the thresholds that apply when none is given:
// the rate-limit contract holds (no violation of severity error), transport
// failures (refused, reset, timeout, DNS, TLS) are at most 1 % of the
// requests, server errors (5xx) at most 1 %, the run finished (not
// interrupted, nothing unsent or unanswered, every result file ended), and
// every probe read with the run found the limiter's waits honest.
func DefaultThresholds(r Run) []Threshold {
	s := r.Summary
	if s == nil {
		s = NewSummary()
	}
	var out []Threshold
	if !r.ProbesOnly() {
		out = append(out,
			contractThreshold(r),
			ratioThreshold("transport failures", ExprTransport, DefaultMaxTransportRatio, s.Requests, transportCounts(s)),
			ratioThreshold("server errors (5xx)", ExprServer, DefaultMaxServerErrorRatio, s.Requests, serverErrorCounts(s)),
			finishedThreshold(r),
		)
	}
	if len(r.Probes) > 0 {
		out = append(out, probesThreshold(r))
	}
	for i := range out {
		out[i].Default = true
	}
	return out
}

// count is a number of requests of one kind, for the reasons of
// thresholds: "40 connection_refused".
type count struct {
	n    uint64
	what string
}

// transportCounts are the transport failures by kind, most first.
func transportCounts(s *Summary) []count {
	var out []count
	for _, k := range records.ErrorKinds {
		if n := s.Transport[k]; n > 0 {
			out = append(out, count{n, k.String()})
		}
	}
	return sortCounts(out)
}

// serverErrorCounts are the 5xx responses by status, most first.
func serverErrorCounts(s *Summary) []count {
	var out []count
	for _, st := range s.Statuses() {
		if st >= 500 && st < 600 {
			out = append(out, count{s.Status[st], fmt.Sprintf("HTTP %d", st)})
		}
	}
	return sortCounts(out)
}

func sortCounts(c []count) []count {
	slices.SortStableFunc(c, func(a, b count) int { return cmp.Compare(b.n, a.n) })
	return c
}

// ratioThreshold judges that the requests counted are at most limit of all.
func ratioThreshold(name, expr string, limit float64, requests uint64, counts []count) Threshold {
	var n uint64
	parts := make([]string, 0, len(counts))
	for _, c := range counts {
		n += c.n
		parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
	}
	ratio := 0.0
	if requests > 0 {
		ratio = float64(n) / float64(requests)
	}
	t := Threshold{Name: name, Expr: expr, Measured: Percent(ratio), Pass: ratio <= limit}
	if !t.Pass {
		t.Reason = fmt.Sprintf("%s %s > %s: %s", name, t.Measured, Percent(limit), strings.Join(parts, ", "))
	}
	return t
}

// contractThreshold judges that the rate-limit contract has no violation
// of severity error.
func contractThreshold(r Run) Threshold {
	errs, _ := r.Contract.Violations()
	t := Threshold{Name: "rate-limit contract", Expr: ExprContract, Measured: fmt.Sprintf("%d %s", errs, plural(errs, "error", "errors")), Pass: errs == 0}
	if !t.Pass {
		var parts []string
		for _, rule := range r.Contract.Rules {
			if rule.Violations > 0 && rule.Severity == contract.SeverityError {
				parts = append(parts, fmt.Sprintf("%d %s", rule.Violations, rule.Name))
			}
		}
		t.Reason = fmt.Sprintf("rate-limit contract: %d %s", errs, plural(errs, "violation", "violations"))
		if len(parts) > 0 {
			t.Reason += ": " + strings.Join(parts, ", ")
		}
	}
	return t
}

// finishedThreshold judges that the run ran to its end.
func finishedThreshold(r Run) Threshold {
	reasons := r.unfinished()
	t := Threshold{Name: "run finished", Expr: ExprFinished, Measured: "yes", Pass: len(reasons) == 0}
	if !t.Pass {
		t.Measured = "no"
		t.Reason = "run not finished: " + strings.Join(reasons, "; ")
	}
	return t
}

// probesThreshold judges that every probe found the limiter honest.
func probesThreshold(r Run) Threshold {
	t := Threshold{Name: "Retry-After probe", Expr: ExprProbes, Measured: r.ProbeVerdict(), Pass: true}
	var bad []string
	for _, p := range r.Probes {
		if !p.Passed() {
			bad = append(bad, fmt.Sprintf("probe of %s: %s", p.Target, p.Verdict))
		}
	}
	if len(bad) > 0 {
		t.Pass = false
		t.Reason = strings.Join(bad, "; ")
	}
	return t
}

// ProbeVerdict is the verdict of the run's probes: the first that did not
// pass, or "honest" when all did; "none" without a probe.
func (r Run) ProbeVerdict() string {
	if len(r.Probes) == 0 {
		return "none"
	}
	for _, p := range r.Probes {
		if !p.Passed() {
			return p.Verdict
		}
	}
	return r.Probes[0].Verdict
}

// Finished reports whether the run ran to its end: not interrupted,
// nothing unsent or unanswered, every result file ended.
func (r Run) Finished() bool { return len(r.unfinished()) == 0 }

// unfinished says how the run fell short of its end, if it did.
func (r Run) unfinished() []string {
	var out []string
	if r.Interrupted != "" {
		out = append(out, "interrupted by "+r.Interrupted)
	}
	if r.Unsent > 0 {
		out = append(out, fmt.Sprintf("%d scheduled %s never sent: the generator fell behind", r.Unsent, plural(r.Unsent, "attempt was", "attempts were")))
	}
	if r.Unanswered > 0 {
		out = append(out, fmt.Sprintf("%d %s unanswered", r.Unanswered, plural(r.Unanswered, "attempt", "attempts")))
	}
	if n := uint64(r.Unfinished); n > 0 {
		out = append(out, fmt.Sprintf("%d result %s no end: the run crashed or was killed, and its contract checks are unknown", n, plural(n, "file has", "files have")))
	}
	if n := uint64(r.TrailersDamaged); n > 0 {
		out = append(out, fmt.Sprintf("%d result %s a damaged end: how the run ended and its contract checks are unknown", n, plural(n, "file has", "files have")))
	}
	return out
}

// Percent renders a fraction as a percentage for people: "1 %", "0.25 %",
// "100.0 %", "16.667 %", with as many decimals as keep a value that is
// not whole from reading as a whole one (99.967 % is never "100.0 %",
// nor 1.00001 % "1 %").
func Percent(f float64) string {
	p := 100 * f
	if p == math.Trunc(p) {
		if p >= 100 {
			return fmt.Sprintf("%.1f %%", p)
		}
		return fmt.Sprintf("%d %%", int64(p))
	}
	for decimals := 1; decimals <= 6; decimals++ {
		s := strconv.FormatFloat(p, 'f', decimals, 64)
		if p < 10 && decimals < 3 {
			continue // small shares with three decimals: 0.789 %
		}
		if v, _ := strconv.ParseFloat(s, 64); v != math.Trunc(v) {
			return strings.TrimRight(strings.TrimRight(s, "0"), ".") + " %"
		}
	}
	return strconv.FormatFloat(p, 'g', -1, 64) + " %"
}

// Verdict is a run's headline: whether it passed, and why not.
type Verdict struct {
	Pass    bool
	Reasons []string // what failed, for people; empty when Pass
	// Unfinished holds the reasons about how the run ended (interrupted,
	// attempts unsent or unanswered, a file without its end), whether a
	// threshold judges it or not.
	Unfinished []string
	// Thresholds are the thresholds judged: the run's own, or the
	// defaults when it has none.
	Thresholds []Threshold
}

// Verdict judges the run: it fails when no request was made (and no probe
// report was read), when any of its thresholds failed (the run's
// Thresholds, or DefaultThresholds when they are nil), and, whatever the
// thresholds, when the run did not finish or a probe found the limiter's
// waits untrue.
func (r Run) Verdict() Verdict {
	v := Verdict{Unfinished: r.unfinished(), Thresholds: r.Thresholds}
	if v.Thresholds == nil {
		v.Thresholds = DefaultThresholds(r)
	}
	if (r.Summary == nil || r.Summary.Requests == 0) && !r.ProbesOnly() {
		v.Reasons = append(v.Reasons, "no request was made")
	}
	judged := map[string]bool{}
	for _, t := range v.Thresholds {
		judged[t.Expr] = true
		if !t.Pass {
			reason := t.Reason
			if reason == "" {
				reason = t.Name + " failed"
			}
			v.Reasons = append(v.Reasons, reason)
		}
	}
	// Whatever the thresholds, a run that did not finish, or whose
	// probes found the limiter's waits untrue, does not pass: what it
	// measured is not what it set out to measure.
	if len(v.Unfinished) > 0 && !judged[ExprFinished] {
		v.Reasons = append(v.Reasons, "run not finished: "+strings.Join(v.Unfinished, "; "))
	}
	if p := probesThreshold(r); !p.Pass && !judged[ExprProbes] {
		v.Reasons = append(v.Reasons, p.Reason)
	}
	if r.Duplicates > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d %s a shard read already: their records count twice", r.Duplicates, plural(uint64(r.Duplicates), "file is", "files are")))
	}
	for _, g := range r.ShardsMissing {
		v.Reasons = append(v.Reasons, "run "+g.RunID+": "+g.String())
	}
	v.Reasons = append(v.Reasons, r.headersLost()...)
	if r.ConditionsDropped > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d thresholds of the result files were not judged: more than a report reads", r.ConditionsDropped))
	}
	v.Pass = len(v.Reasons) == 0
	return v
}

// maxHeaderLostReasons bounds the files named in the verdict's reasons
// about damaged headers; the others are counted.
const maxHeaderLostReasons = 5

// headersLost gives the verdict's reasons about result files whose header
// is damaged: the thresholds they named are unknown, so the run is not
// judged as it asked to be.
func (r Run) headersLost() []string {
	var out []string
	for i, name := range r.HeadersLost {
		if i == maxHeaderLostReasons {
			more := uint64(len(r.HeadersLost) - i)
			out = append(out, fmt.Sprintf("and %d more result %s a damaged header", more, plural(more, "file has", "files have")))
			break
		}
		out = append(out, fmt.Sprintf("the header of %s is damaged: the thresholds it named are unknown", name))
	}
	return out
}

// plural picks the word for a count.
func plural(n uint64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
