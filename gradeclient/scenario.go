// Package gradeclient grades the retry behaviour of an HTTP client: it
// starts a scripted fault server (or a reverse proxy that injects the
// script's faults in front of a real upstream) on 127.0.0.1, runs the
// client against it, records the arrival of every attempt and judges the
// recorded arrivals against rules: waits at least Retry-After (both forms),
// does not retry a non-retryable status, gives up when the server never
// recovers, succeeds once it does, backs off, jitters, and survives an
// invalid Retry-After. The grading is pure: functions from recorded
// attempts to verdicts.
package gradeclient

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Then is what the server answers once a scenario's steps are spent.
type Then uint8

// The final behaviours of a scenario.
const (
	// Recover answers 200 forever (in proxy mode: forwards to the upstream).
	Recover Then = iota
	// Repeat answers the last step forever: the server never recovers.
	Repeat
)

// String names the behaviour as scenario files write it.
func (t Then) String() string {
	if t == Repeat {
		return "repeat"
	}
	return "recover"
}

// RetryAfterForm is the form of a step's Retry-After header.
type RetryAfterForm uint8

// The forms of Retry-After a step may send.
const (
	NoRetryAfter      RetryAfterForm = iota // no header
	RetryAfterSeconds                       // delay-seconds: "3"
	RetryAfterDate                          // an HTTP-date, computed when the response is sent
	RetryAfterInvalid                       // anything else, sent as is: "soon"
)

// String names the form.
func (f RetryAfterForm) String() string {
	switch f {
	case RetryAfterSeconds:
		return "seconds"
	case RetryAfterDate:
		return "http-date"
	case RetryAfterInvalid:
		return "invalid"
	}
	return "none"
}

// RetryAfter is the Retry-After header of a step.
type RetryAfter struct {
	Form RetryAfterForm
	// Wait is the wait stated: the seconds of the seconds form; for the
	// date form, how far ahead of the response's sending the date is
	// (rounded down to its whole second when sent).
	Wait time.Duration
	// Raw is the invalid form's text.
	Raw string
}

// ParseRetryAfterSpec reads a scenario's retry-after value: whole seconds
// ("3") for the seconds form, "date+D" (a Go duration: "date+3s") for an
// HTTP-date D ahead of the moment the response is sent, and any other
// text, sent as is, for an invalid header ("soon"). "" is no header.
func ParseRetryAfterSpec(s string) RetryAfter {
	switch {
	case s == "":
		return RetryAfter{}
	case strings.HasPrefix(s, "date+"):
		if d, err := time.ParseDuration(strings.TrimPrefix(s, "date+")); err == nil && d >= 0 {
			return RetryAfter{Form: RetryAfterDate, Wait: d}
		}
	default:
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && !strings.HasPrefix(s, "+") {
			return RetryAfter{Form: RetryAfterSeconds, Wait: time.Duration(n) * time.Second}
		}
	}
	return RetryAfter{Form: RetryAfterInvalid, Raw: s}
}

// String is the spec ParseRetryAfterSpec reads back.
func (r RetryAfter) String() string {
	switch r.Form {
	case RetryAfterSeconds:
		return strconv.Itoa(int(r.Wait / time.Second))
	case RetryAfterDate:
		return "date+" + r.Wait.String()
	case RetryAfterInvalid:
		return r.Raw
	}
	return ""
}

// Value is the header's value for a response sent at now: for the date
// form, the HTTP-date of now+Wait, which names a whole second.
func (r RetryAfter) Value(now time.Time) string {
	if r.Form == RetryAfterDate {
		return now.Add(r.Wait).UTC().Format(http.TimeFormat)
	}
	return r.String()
}

// Step is the answer to one attempt.
type Step struct {
	Status     int
	RetryAfter RetryAfter
	Header     http.Header // other headers
	Body       string      // "" for a JSON error body naming the status
	Delay      time.Duration
}

// Retryable reports whether the step's status is one a client should
// retry: 408, 425, 429 and 5xx.
func (s Step) Retryable() bool { return Retryable(s.Status) }

// Retryable reports whether a status is one a client should retry.
func Retryable(status int) bool {
	return status == 408 || status == 425 || status == 429 || status >= 500 && status <= 599
}

// NonRetryable lists the statuses a client must not retry: the request or
// its credentials are wrong, and will be again.
var NonRetryable = []int{400, 401, 403, 404}

// Scenario is a scripted sequence of answers: attempt n gets Steps[n-1],
// and after the steps, Then.
type Scenario struct {
	Name        string
	Description string
	Steps       []Step
	Then        Then
	// Rules are the rules the scenario grades; empty: those whose
	// conditions its steps meet (Applicable).
	Rules []RuleID
}

// Graded is the scenario's rules: Rules, or Applicable when it names none.
func (s Scenario) Graded() []RuleID {
	if len(s.Rules) > 0 {
		return s.Rules
	}
	return s.Applicable()
}

// Applicable lists the rules a scenario's steps give a client the chance
// to break, in the order of Rules:
//
//   - a seconds or date Retry-After: the wait rule of its form;
//   - a non-retryable status (400, 401, 403, 404): no retry of it;
//   - Then repeat: bounded attempts;
//   - Then recover, with no non-retryable status and no invalid
//     Retry-After: succeeds once recovered;
//   - two or more retryable steps without Retry-After: the wait grows,
//     and jitter across runs;
//   - an invalid Retry-After: the fallback rule.
func (s Scenario) Applicable() []RuleID {
	has := map[RuleID]bool{}
	plain, blocked := 0, false
	for _, st := range s.Steps {
		switch st.RetryAfter.Form {
		case RetryAfterSeconds:
			has[WaitsSeconds] = true
		case RetryAfterDate:
			has[WaitsDate] = true
		case RetryAfterInvalid:
			has[InvalidFallback], blocked = true, true
		case NoRetryAfter:
			if st.Retryable() {
				plain++
			}
		}
		if slices.Contains(NonRetryable, st.Status) {
			has[NoRetryNonRetryable], blocked = true, true
		}
	}
	if s.Then == Repeat {
		has[Bounded] = true
	} else if !blocked {
		has[Succeeds] = true
	}
	if plain >= 2 {
		has[BackoffGrows], has[Jitter] = true, true
	}
	var out []RuleID
	for _, r := range Rules {
		if has[r.ID] {
			out = append(out, r.ID)
		}
	}
	return out
}

// The waits of the built-in scenarios: short, because real clients sleep
// the full Retry-After, and above the 1 s and 2 s backoffs common clients
// use anyway, so that a client that ignores the header cannot pass by
// chance (the mimo seed waits 1 s + a random fraction first).
const (
	builtinSeconds = 3 * time.Second // Retry-After: 3
	builtinDate    = 3 * time.Second // an HTTP-date 3 s ahead: 2–3 s of wait
	// builtinNever is the Retry-After of never-recovers: 1 s, so a client
	// that honours it reaches its limit soon.
	builtinNever = 1 * time.Second
)

// Builtin returns the built-in scenarios, one per rule, in the order
// `all` runs them.
func Builtin() []Scenario {
	secs := func(d time.Duration) RetryAfter { return RetryAfter{Form: RetryAfterSeconds, Wait: d} }
	return []Scenario{
		{Name: "retry-after-seconds", Description: "one 429 with Retry-After: 3, then 200",
			Steps: []Step{{Status: 429, RetryAfter: secs(builtinSeconds)}}, Rules: []RuleID{WaitsSeconds, Succeeds}},
		{Name: "retry-after-date", Description: "one 429 with Retry-After: an HTTP-date 3 s ahead, then 200",
			Steps: []Step{{Status: 429, RetryAfter: RetryAfter{Form: RetryAfterDate, Wait: builtinDate}}}, Rules: []RuleID{WaitsDate, Succeeds}},
		{Name: "backoff-no-retry-after", Description: "three 503s without Retry-After, then 200",
			Steps: []Step{{Status: 503}, {Status: 503}, {Status: 503}}, Rules: []RuleID{BackoffGrows, Jitter, Succeeds}},
		{Name: "invalid-retry-after", Description: "one 429 with Retry-After: soon, then 200",
			Steps: []Step{{Status: 429, RetryAfter: RetryAfter{Form: RetryAfterInvalid, Raw: "soon"}}}, Rules: []RuleID{InvalidFallback}},
		{Name: "non-retryable-400", Description: "one 400, then 200",
			Steps: []Step{{Status: 400}}, Rules: []RuleID{NoRetryNonRetryable}},
		{Name: "never-recovers", Description: "429 with Retry-After: 1, forever",
			Steps: []Step{{Status: 429, RetryAfter: secs(builtinNever)}}, Then: Repeat, Rules: []RuleID{Bounded}},
	}
}

// All is the name that selects every built-in scenario.
const All = "all"

// BuiltinNames lists the built-in scenarios' names, and All.
func BuiltinNames() []string {
	var names []string
	for _, s := range Builtin() {
		names = append(names, s.Name)
	}
	return append(names, All)
}

// Lookup returns the built-in scenario name, or every one for All.
func Lookup(name string) ([]Scenario, bool) {
	if name == All {
		return Builtin(), true
	}
	for _, s := range Builtin() {
		if s.Name == name {
			return []Scenario{s}, true
		}
	}
	return nil, false
}

// Describe is one line on a scenario's script: "429 (Retry-After: 3), then 200".
func (s Scenario) Describe() string {
	parts := make([]string, 0, len(s.Steps)+1)
	for _, st := range s.Steps {
		p := strconv.Itoa(st.Status)
		if st.RetryAfter.Form != NoRetryAfter {
			p += " (Retry-After: " + st.RetryAfter.String() + ")"
		}
		if st.Delay > 0 {
			p += fmt.Sprintf(" after %s", st.Delay)
		}
		parts = append(parts, p)
	}
	then := "then 200"
	if s.Then == Repeat {
		then = "the last forever"
	}
	return strings.Join(parts, ", ") + ", " + then
}

// sortedHeaderKeys lists a header's keys in order, for stable output.
func sortedHeaderKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
