package gradeclient

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RuleID names a rule.
type RuleID string

// The rules.
const (
	WaitsSeconds        RuleID = "waits-retry-after-seconds"
	WaitsDate           RuleID = "waits-retry-after-date"
	NoRetryNonRetryable RuleID = "no-retry-non-retryable"
	Bounded             RuleID = "bounded-attempts"
	Succeeds            RuleID = "succeeds-once-recovered"
	BackoffGrows        RuleID = "backoff-grows"
	Jitter              RuleID = "jitter-across-runs"
	InvalidFallback     RuleID = "invalid-retry-after-fallback"
)

// Rule is a rule and whether breaking it fails the grade.
type Rule struct {
	ID RuleID
	// Mandatory rules fail the grade (exit 1); advisory ones warn.
	Mandatory bool
	// Title says what the rule expects, in a few words.
	Title string
}

// Rules lists every rule, mandatory first, in the order reports show them.
var Rules = []Rule{
	{WaitsSeconds, true, "waits at least Retry-After (seconds)"},
	{WaitsDate, true, "waits at least Retry-After (HTTP-date)"},
	{NoRetryNonRetryable, true, "does not retry 400, 401, 403, 404"},
	{Bounded, true, "gives up when the server never recovers"},
	{Succeeds, true, "succeeds once the server recovers"},
	{BackoffGrows, false, "the wait grows without Retry-After"},
	{Jitter, false, "waits differ across runs (jitter)"},
	{InvalidFallback, false, "backs off on an invalid Retry-After"},
}

// RuleOf returns the rule of an id.
func RuleOf(id RuleID) (Rule, bool) {
	i := slices.IndexFunc(Rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return Rules[i], true
}

// RuleIDs lists the ids of every rule.
func RuleIDs() []string {
	out := make([]string, len(Rules))
	for i, r := range Rules {
		out[i] = string(r.ID)
	}
	return out
}

// Outcome is a rule's verdict.
type Outcome string

// The outcomes, from best to worst.
const (
	Skip Outcome = "skip" // not judged: the rule needs what the run did not give (--runs ≥ 3)
	Pass Outcome = "pass"
	Warn Outcome = "warn" // an advisory rule broken
	Fail Outcome = "fail" // a mandatory rule broken: the grade fails
)

// rank orders outcomes from best to worst.
func (o Outcome) rank() int { return slices.Index([]Outcome{Skip, Pass, Warn, Fail}, o) }

// Worse returns the worse of two outcomes.
func Worse(a, b Outcome) Outcome {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Tolerance is the slack of every comparison of times: a client may
// retry this much before the wait it was told (the server's clock reads
// arrival after the request's first bytes, the client's timer is coarse).
// A gap shorter than it is a retry "at once".
const Tolerance = 50 * time.Millisecond

// MaxAttempts bounds the attempts of a client in one scenario run: a
// client still retrying beyond it is stopped, and does not bound its
// attempts.
const MaxAttempts = 20

// Seconds formats a duration as seconds with two decimals and the unit:
// "3.01 s".
func Seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// secondsList formats durations: "1.00 s, 2.01 s".
func secondsList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = Seconds(d)
	}
	return strings.Join(parts, ", ")
}

// attemptsText is "1 attempt", "3 attempts".
func attemptsText(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}
