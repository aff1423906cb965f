package gradeclient

import (
	"fmt"
	"slices"
	"time"
)

// Attempt is one request the server received, and its answer.
type Attempt struct {
	// Arrived is when the request reached the handler.
	Arrived time.Time
	// Ended is when the server finished writing the answer: gaps are
	// measured from it to the next arrival.
	Ended time.Time
	// Status is the status answered (in proxy mode, the upstream's once
	// the script is spent).
	Status int
	// RetryAfter is the form of the Retry-After header sent.
	RetryAfter RetryAfterForm
	// Wait is the wait the seconds form stated.
	Wait time.Duration
	// NotBefore is the start of the second an HTTP-date named.
	NotBefore time.Time
	// Header is the Retry-After value sent, "" for none.
	Header string
}

// Stop says why a client run ended other than by the client's own exit.
type Stop string

// The reasons a client was stopped.
const (
	StopNone        Stop = ""
	StopTimeout     Stop = "timeout"      // still running at --timeout
	StopTooMany     Stop = "max-attempts" // more than MaxAttempts attempts
	StopInterrupted Stop = "interrupted"  // stampede itself was interrupted
)

// ClientResult is how one run of the client ended.
type ClientResult struct {
	// ExitCode is the client's exit status; -1 when it was stopped or
	// killed by a signal.
	ExitCode int
	// Stopped says why the grader stopped it, "" if it exited on its own.
	Stopped Stop
	// Elapsed is the run's duration.
	Elapsed time.Duration
	// Output is the last lines of its stdout and stderr, bounded.
	Output string
}

// Exchange is what the client did in one run of a scenario.
type Exchange struct {
	Attempts []Attempt
	Client   ClientResult
}

// Gap is the wait before attempt i+1: its arrival minus the end of
// attempt i's answer.
func (e Exchange) Gap(i int) time.Duration { return e.Attempts[i+1].Arrived.Sub(e.Attempts[i].Ended) }

// Verdict is a rule's verdict in one scenario.
type Verdict struct {
	Rule      RuleID  `json:"rule"`
	Mandatory bool    `json:"mandatory"`
	Outcome   Outcome `json:"outcome"`
	// Expected says what the rule wants, Observed what the client did.
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	// Gaps are the waits the rule judged, of the run the verdict is of.
	Gaps []time.Duration `json:"-"`
	// Run is the run (1-based) whose behaviour decided it, 0 for a
	// verdict of all runs.
	Run int `json:"run,omitempty"`
}

// judgement is one run's judgement of a rule: ok, broken, or not judged.
type judgement struct {
	state    Outcome // Pass, Fail (broken) or Skip
	expected string
	observed string
	gaps     []time.Duration
}

// Grade judges each rule the scenario grades against the runs' exchanges.
// A per-run rule's verdict is its worst run's; jitter compares the runs.
func Grade(s Scenario, runs []Exchange) []Verdict {
	var out []Verdict
	for _, id := range s.Graded() {
		rule, ok := RuleOf(id)
		if !ok {
			continue
		}
		v := Verdict{Rule: id, Mandatory: rule.Mandatory}
		if id == Jitter {
			v.set(jitter(runs), rule.Mandatory)
			out = append(out, v)
			continue
		}
		for i, ex := range runs {
			j := judge(id, ex)
			w := Verdict{Rule: id, Mandatory: rule.Mandatory}
			w.set(j, rule.Mandatory)
			if len(runs) > 1 {
				w.Run = i + 1
			}
			if i == 0 || w.Outcome.rank() > v.Outcome.rank() {
				v = w
			}
		}
		out = append(out, v)
	}
	return out
}

// set fills the verdict from a judgement: a broken mandatory rule fails,
// a broken advisory one warns.
func (v *Verdict) set(j judgement, mandatory bool) {
	v.Outcome, v.Expected, v.Observed, v.Gaps = j.state, j.expected, j.observed, j.gaps
	if j.state == Fail && !mandatory {
		v.Outcome = Warn
	}
}

// judge judges one per-run rule. Without any request, only
// succeeds-once-recovered is judged (and fails): the others are not
// exercised.
func judge(id RuleID, ex Exchange) judgement {
	if len(ex.Attempts) == 0 && id != Succeeds {
		return judgement{state: Skip, observed: "not exercised: made no request (" + endText(ex.Client) + ")"}
	}
	switch id {
	case WaitsSeconds:
		return waitsSeconds(ex)
	case WaitsDate:
		return waitsDate(ex)
	case NoRetryNonRetryable:
		return noRetry(ex)
	case Bounded:
		return bounded(ex)
	case Succeeds:
		return succeeds(ex)
	case BackoffGrows:
		return backoffGrows(ex)
	case InvalidFallback:
		return invalidFallback(ex)
	}
	return judgement{state: Skip, observed: "unknown rule"}
}

// endText says how the client's run ended: "exit 0", "killed at the
// timeout", "stopped after more than 20 attempts".
func endText(c ClientResult) string {
	switch c.Stopped {
	case StopTimeout:
		return fmt.Sprintf("killed at the timeout, %s", Seconds(c.Elapsed))
	case StopTooMany:
		return fmt.Sprintf("stopped after more than %d attempts", MaxAttempts)
	case StopInterrupted:
		return "interrupted"
	}
	if c.ExitCode < 0 {
		return "killed by a signal"
	}
	return fmt.Sprintf("exit %d", c.ExitCode)
}

// waitsSeconds: after every answer with Retry-After: N (seconds), the
// next attempt comes at least N seconds (less Tolerance) after the answer
// ended. A client that does not retry breaks no wait.
func waitsSeconds(ex Exchange) judgement {
	j := judgement{state: Pass, expected: "≥ the seconds Retry-After states"}
	for i, a := range ex.Attempts {
		if a.RetryAfter != RetryAfterSeconds {
			continue
		}
		if len(j.gaps) == 0 {
			j.expected = "≥ " + Seconds(a.Wait) + " (Retry-After: " + a.Header + ")"
		}
		if i+1 >= len(ex.Attempts) {
			continue
		}
		g := ex.Gap(i)
		j.gaps = append(j.gaps, g)
		if g < a.Wait-Tolerance {
			j.state = Fail
		}
	}
	j.observed = waitedText(j.gaps, ex)
	return j
}

// waitedText is "waited 3.01 s", or "did not retry (…)" without a gap.
func waitedText(gaps []time.Duration, ex Exchange) string {
	if len(gaps) == 0 {
		return fmt.Sprintf("did not retry (%s, %s)", attemptsText(len(ex.Attempts)), endText(ex.Client))
	}
	return "waited " + secondsList(gaps)
}

// waitsDate: after every answer with an HTTP-date Retry-After, the next
// attempt arrives no earlier than the start of the second the date names,
// less Tolerance (a date has whole-second resolution: the client may
// retry as soon as that second begins).
func waitsDate(ex Exchange) judgement {
	j := judgement{state: Pass, expected: "≥ the start of the second Retry-After names"}
	for i, a := range ex.Attempts {
		if a.RetryAfter != RetryAfterDate {
			continue
		}
		if len(j.gaps) == 0 {
			j.expected = fmt.Sprintf("≥ %s (until %s begins)", Seconds(a.NotBefore.Sub(a.Ended)), a.NotBefore.UTC().Format("15:04:05"))
		}
		if i+1 >= len(ex.Attempts) {
			continue
		}
		next := ex.Attempts[i+1].Arrived
		j.gaps = append(j.gaps, ex.Gap(i))
		if next.Before(a.NotBefore.Add(-Tolerance)) {
			j.state = Fail
		}
	}
	j.observed = waitedText(j.gaps, ex)
	return j
}

// noRetry: an answer of 400, 401, 403 or 404 is the last attempt.
func noRetry(ex Exchange) judgement {
	j := judgement{state: Pass, expected: "no retry after a 400, 401, 403 or 404"}
	for i, a := range ex.Attempts {
		if !slices.Contains(NonRetryable, a.Status) {
			continue
		}
		if i+1 < len(ex.Attempts) {
			g := ex.Gap(i)
			j.state, j.gaps = Fail, []time.Duration{g}
			j.observed = fmt.Sprintf("retried the %d after %s (%s in all)", a.Status, Seconds(g), attemptsText(len(ex.Attempts)))
			return j
		}
	}
	j.observed = fmt.Sprintf("no retry (%s, %s)", attemptsText(len(ex.Attempts)), endText(ex.Client))
	return j
}

// bounded: against a server that never recovers, the client stops on its
// own, before the timeout, after at most MaxAttempts attempts.
func bounded(ex Exchange) judgement {
	j := judgement{state: Pass, expected: fmt.Sprintf("stops on its own within %d attempts and the timeout", MaxAttempts)}
	n := len(ex.Attempts)
	switch {
	case ex.Client.Stopped == StopInterrupted:
		j.state, j.observed = Skip, "interrupted before the client stopped"
	case ex.Client.Stopped == StopTimeout:
		j.state, j.observed = Fail, fmt.Sprintf("still retrying when killed at the timeout (%s in %s)", attemptsText(n), Seconds(ex.Client.Elapsed))
	case ex.Client.Stopped == StopTooMany || n > MaxAttempts:
		j.state, j.observed = Fail, fmt.Sprintf("more than %d attempts, stopped after %s", MaxAttempts, Seconds(ex.Client.Elapsed))
	default:
		j.observed = fmt.Sprintf("gave up after %s in %s (%s)", attemptsText(n), Seconds(ex.Client.Elapsed), endText(ex.Client))
	}
	return j
}

// succeeds: the client got the server's 2xx once it recovered, and exited
// 0 on its own.
func succeeds(ex Exchange) judgement {
	j := judgement{state: Fail, expected: "gets the 2xx and exits 0"}
	got := slices.IndexFunc(ex.Attempts, func(a Attempt) bool { return a.Status >= 200 && a.Status <= 299 })
	n := len(ex.Attempts)
	switch {
	case ex.Client.Stopped == StopInterrupted:
		j.state, j.observed = Skip, "interrupted"
	case got >= 0 && ex.Client.Stopped == StopNone && ex.Client.ExitCode == 0:
		j.state, j.observed = Pass, fmt.Sprintf("got %d at attempt %d, exit 0", ex.Attempts[got].Status, got+1)
	case got >= 0:
		j.observed = fmt.Sprintf("got %d at attempt %d, then %s", ex.Attempts[got].Status, got+1, endText(ex.Client))
	case n == 0:
		j.observed = "made no request (" + endText(ex.Client) + ")"
	default:
		j.observed = fmt.Sprintf("never reached the recovery: %s, %s", attemptsText(n), endText(ex.Client))
	}
	return j
}

// plainGaps are the waits after retryable answers without Retry-After:
// the waits the client chose itself.
func plainGaps(ex Exchange) []time.Duration {
	var gaps []time.Duration
	for i, a := range ex.Attempts {
		if i+1 < len(ex.Attempts) && a.RetryAfter == NoRetryAfter && Retryable(a.Status) {
			gaps = append(gaps, ex.Gap(i))
		}
	}
	return gaps
}

// backoffGrows: each wait the client chose itself is longer than the one
// before it, by at least Tolerance. A first gap shorter than Tolerance (a
// first retry at once, as several well-known clients make) is left out.
func backoffGrows(ex Exchange) judgement {
	j := judgement{state: Pass, expected: "each wait longer than the one before"}
	gaps := plainGaps(ex)
	j.gaps = gaps
	judged := gaps
	note := ""
	if len(judged) > 0 && judged[0] < Tolerance {
		judged, note = judged[1:], " (a first retry at once left out)"
	}
	if len(judged) < 2 {
		j.state = Skip
		j.observed = fmt.Sprintf("not exercised: %d waits to compare%s (%s, %s)", len(judged), note, attemptsText(len(ex.Attempts)), endText(ex.Client))
		return j
	}
	for k := 1; k < len(judged); k++ {
		if judged[k] < judged[k-1]+Tolerance {
			j.state = Fail
		}
	}
	verb := "grew"
	if j.state == Fail {
		verb = "did not grow"
	}
	j.observed = fmt.Sprintf("%s: %s%s", verb, secondsList(gaps), note)
	return j
}

// MinRunsForJitter is the runs the jitter rule needs.
const MinRunsForJitter = 3

// jitter: the waits a client chooses itself differ across runs. For each
// wait (the first, second, … after answers without Retry-After) that every
// run made, the spread across runs (longest minus shortest) is measured;
// the client jitters when some spread is at least Tolerance and a tenth
// of that wait's mean, above the noise of timers and scheduling.
func jitter(runs []Exchange) judgement {
	j := judgement{state: Fail, expected: fmt.Sprintf("waits differ across %d or more runs", MinRunsForJitter)}
	if len(runs) < MinRunsForJitter {
		j.state, j.observed = Skip, fmt.Sprintf("skipped: needs --runs ≥ %d", MinRunsForJitter)
		return j
	}
	var all [][]time.Duration
	n := -1
	for _, ex := range runs {
		g := plainGaps(ex)
		all = append(all, g)
		if n < 0 || len(g) < n {
			n = len(g)
		}
	}
	if n == 0 {
		j.state, j.observed = Skip, "not exercised: some run made no wait of its own"
		return j
	}
	var best time.Duration
	bestAt := 0
	for k := 0; k < n; k++ {
		lo, hi, sum := all[0][k], all[0][k], time.Duration(0)
		for _, g := range all {
			lo, hi, sum = min(lo, g[k]), max(hi, g[k]), sum+g[k]
		}
		spread := hi - lo
		if spread > best {
			best, bestAt = spread, k
		}
		if spread >= Tolerance && spread >= sum/time.Duration(len(all))/10 {
			j.state = Pass
		}
	}
	j.gaps = []time.Duration{best}
	j.observed = fmt.Sprintf("largest spread %s (wait %d, %d runs)", Seconds(best), bestAt+1, len(runs))
	return j
}

// invalidFallback: after an invalid Retry-After, the client waits (at
// least Tolerance) and retries, rather than retrying at once, crashing
// or giving up.
func invalidFallback(ex Exchange) judgement {
	j := judgement{state: Pass, expected: "a wait of its own, then a retry"}
	i := slices.IndexFunc(ex.Attempts, func(a Attempt) bool { return a.RetryAfter == RetryAfterInvalid })
	if i < 0 {
		j.state, j.observed = Skip, "not exercised: no invalid Retry-After was sent"
		return j
	}
	if i+1 < len(ex.Attempts) {
		g := ex.Gap(i)
		j.gaps = []time.Duration{g}
		if g < Tolerance {
			j.state, j.observed = Fail, "retried at once: waited "+Seconds(g)
			return j
		}
		j.observed = "waited " + Seconds(g)
		return j
	}
	j.state = Fail
	switch {
	case ex.Client.Stopped != StopNone:
		j.observed = "no retry: " + endText(ex.Client)
	case ex.Client.ExitCode != 0:
		j.observed = "crashed without retrying: " + endText(ex.Client)
	default:
		j.observed = "gave up without retrying: exit 0"
	}
	return j
}
