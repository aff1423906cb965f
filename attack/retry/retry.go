// Package retry holds the retry policies of a simulated client: when to
// retry a failed attempt and how long to wait first. The backoff formulas
// are those of the AWS Architecture Blog's "Exponential Backoff and
// Jitter" (exponential with no, full or equal jitter, and decorrelated
// jitter); a Retry-After the server sent can take the place of the wait,
// and a budget bounds the share of retries in the load, as Envoy's and
// gRPC's retry budgets do.
//
// The package is pure: it decides and computes, the attack sends.
package retry

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/internal/field"
)

// Policy is how a client retries.
type Policy uint8

// The policies.
const (
	None         Policy = iota // never retries
	Immediate                  // retries at once, as a naive client does
	Exponential                // waits Base·2ⁿ⁻¹ before the n-th retry, capped, with Jitter
	Decorrelated               // waits a random time between Base and 3× the previous wait, capped
)

var policyNames = [...]string{None: "none", Immediate: "immediate", Exponential: "exponential", Decorrelated: "decorrelated"}

// String returns the policy's name, as ParsePolicy reads it.
func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "policy(" + strconv.Itoa(int(p)) + ")"
}

// Policies returns the names of every policy, in order.
func Policies() []string { return policyNames[:] }

// ParsePolicy reads a policy's name.
func ParsePolicy(s string) (Policy, error) {
	for i, n := range policyNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("unknown retry policy %q (want one of %s)", s, strings.Join(policyNames[:], ", "))
}

// Backs reports whether the policy backs off: waits longer as the
// retries go (exponential, decorrelated).
func (p Policy) Backs() bool { return p == Exponential || p == Decorrelated }

// Jitter is how an exponential wait is randomised.
type Jitter uint8

// The jitters of the AWS formulas.
const (
	NoJitter    Jitter = iota // the wait itself: min(cap, base·2ⁿ⁻¹)
	FullJitter                // uniform in [0, wait)
	EqualJitter               // wait/2 plus uniform in [0, wait/2)
)

var jitterNames = [...]string{NoJitter: "none", FullJitter: "full", EqualJitter: "equal"}

// String returns the jitter's name, as ParseJitter reads it.
func (j Jitter) String() string {
	if int(j) < len(jitterNames) {
		return jitterNames[j]
	}
	return "jitter(" + strconv.Itoa(int(j)) + ")"
}

// Jitters returns the names of every jitter, in order.
func Jitters() []string { return jitterNames[:] }

// ParseJitter reads a jitter's name.
func ParseJitter(s string) (Jitter, error) {
	for i, n := range jitterNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Jitter(i), nil
		}
	}
	return 0, fmt.Errorf("unknown jitter %q (want one of %s)", s, strings.Join(jitterNames[:], ", "))
}

// Defaults of Options.
const (
	DefaultMax  = 3                      // retries per logical request
	DefaultBase = 100 * time.Millisecond // the first backoff wait
	DefaultCap  = 10 * time.Second       // the longest wait
	// MaxRetries bounds Options.Max: a client that retries more is a
	// storm in itself, and the record's attempt number stays small.
	MaxRetries = 100
	// MaxCap bounds Options.Cap: the retries of a bounded attack may run
	// on for its cap after its end.
	MaxCap = 10 * time.Minute
)

// Options are a retry policy and its parameters.
type Options struct {
	Policy Policy
	Max    int           // retries per logical request after its first attempt
	Base   time.Duration // the first backoff wait (Exponential, Decorrelated)
	Cap    time.Duration // the longest wait; a Retry-After beyond it makes the client give up
	Jitter Jitter        // of Exponential waits
	// HonorRetryAfter waits at least the Retry-After a response carries
	// (seconds or HTTP-date) before retrying it.
	HonorRetryAfter bool
	// Budget bounds the retries to this share of the first attempts sent
	// so far (0.1: retries add at most 10 % to the offered load); 0 for
	// no budget.
	Budget float64
}

// Defaults returns the options of a policy with its defaults: the
// backoff policies honour Retry-After and use full jitter; the
// immediate one does neither, as a naive client.
func Defaults(p Policy) Options {
	o := Options{Policy: p, Max: DefaultMax, Base: DefaultBase, Cap: DefaultCap}
	if p.Backs() {
		o.HonorRetryAfter, o.Jitter = true, FullJitter
	}
	if p == None {
		o.Max = 0
	}
	return o
}

// Enabled reports whether the options retry at all.
func (o Options) Enabled() bool { return o.Policy != None && o.Max > 0 }

// Validate reports every problem of the options, each a *field.Error
// named as the command's flags are.
func (o Options) Validate() []error {
	var errs []error
	if int(o.Policy) >= len(policyNames) {
		errs = append(errs, field.Errorf("retry", o.Policy.String(), "unknown policy (want one of %s)", strings.Join(policyNames[:], ", ")))
	}
	if o.Max < 0 || o.Max > MaxRetries {
		errs = append(errs, field.Errorf("retry-max", strconv.Itoa(o.Max), "must be between 0 and %d", MaxRetries))
	}
	if o.Base < 0 {
		errs = append(errs, field.Errorf("retry-base", o.Base.String(), "must be >= 0"))
	}
	if o.Cap < 0 || o.Cap > MaxCap {
		errs = append(errs, field.Errorf("retry-cap", o.Cap.String(), "must be between 0s and %s", MaxCap))
	} else if o.Policy.Backs() && o.Cap < o.Base {
		errs = append(errs, field.Errorf("retry-cap", o.Cap.String(), "is below --retry-base %s: no wait could grow", o.Base))
	}
	if o.Policy.Backs() && o.Base == 0 {
		errs = append(errs, field.Errorf("retry-base", "0s", "a backoff from 0 never grows; give the first wait, e.g. 100ms"))
	}
	if int(o.Jitter) >= len(jitterNames) {
		errs = append(errs, field.Errorf("jitter", o.Jitter.String(), "unknown jitter (want one of %s)", strings.Join(jitterNames[:], ", ")))
	}
	if o.Budget < 0 || o.Budget > 100 || o.Budget != o.Budget {
		errs = append(errs, field.Errorf("retry-budget", FormatBudget(o.Budget), "must be between 0%% and 10000%%"))
	}
	return errs
}

// String describes the options for people: "exponential (3 retries, 100ms
// to 10s, full jitter, honours Retry-After, budget 10%)".
func (o Options) String() string {
	if !o.Enabled() {
		return "none"
	}
	var parts []string
	parts = append(parts, plural(o.Max, "retry", "retries"))
	switch o.Policy {
	case Exponential:
		parts = append(parts, fmt.Sprintf("%s to %s", o.Base, o.Cap), o.Jitter.String()+" jitter")
	case Decorrelated:
		parts = append(parts, fmt.Sprintf("%s to %s", o.Base, o.Cap))
	}
	if o.HonorRetryAfter {
		parts = append(parts, "honours Retry-After")
	} else {
		parts = append(parts, "ignores Retry-After")
	}
	if o.Budget > 0 {
		parts = append(parts, "budget "+FormatBudget(o.Budget))
	}
	return o.Policy.String() + " (" + strings.Join(parts, ", ") + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// ParseBudget reads a retry budget: a percentage ("10%") of the first
// attempts, or "none" (also "0" and "0%") for no budget.
func ParseBudget(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.EqualFold(t, "none") {
		return 0, nil
	}
	num, ok := strings.CutSuffix(t, "%")
	if !ok && t != "0" {
		return 0, fmt.Errorf("retry budget %q: want a percentage of the first attempts, e.g. 10%%, or none", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || v > 10000 || v != v {
		return 0, fmt.Errorf("retry budget %q: want a percentage between 0%% and 10000%%, e.g. 10%%", s)
	}
	return v / 100, nil
}

// FormatBudget writes a budget as ParseBudget reads it.
func FormatBudget(b float64) string {
	if b == 0 {
		return "none"
	}
	return strconv.FormatFloat(b*100, 'f', -1, 64) + "%"
}

// Backoff computes the waits of one logical request's retries. Its zero
// value is not usable: get one with Options.Backoff.
type Backoff struct {
	o    Options
	rand *rand.Rand
	prev time.Duration // the last wait (Decorrelated)
}

// Backoff returns the wait calculator of one logical request, drawing
// its jitter from r.
func (o Options) Backoff(r *rand.Rand) Backoff { return Backoff{o: o, rand: r, prev: o.Base} }

// Wait returns the wait before retry n (1 for the first retry), from the
// policy's formula alone: Retry-After is the caller's to apply.
//
//	immediate:    0
//	exponential:  w = min(cap, base·2ⁿ⁻¹); none: w; full: rand[0, w); equal: w/2 + rand[0, w/2)
//	decorrelated: w = min(cap, rand[base, 3·previous)), previous starting at base
func (b *Backoff) Wait(n int) time.Duration {
	switch b.o.Policy {
	case Exponential:
		w := b.o.Cap
		if n-1 < 62 && b.o.Base <= b.o.Cap>>(n-1) { // base·2ⁿ⁻¹ ≤ cap, without overflow
			w = b.o.Base << (n - 1)
		}
		switch b.o.Jitter {
		case FullJitter:
			return b.between(0, w)
		case EqualJitter:
			return w/2 + b.between(0, w-w/2)
		}
		return w
	case Decorrelated:
		hi := b.prev * 3
		if hi < b.prev { // overflow
			hi = b.o.Cap
		}
		b.prev = min(b.o.Cap, b.between(b.o.Base, hi))
		return b.prev
	}
	return 0
}

// between draws uniformly from [lo, hi), or returns lo when the range is
// empty.
func (b *Backoff) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(b.rand.Int64N(int64(hi-lo)))
}

// Decision is what to do about a failed attempt.
type Decision uint8

// The decisions.
const (
	Retry     Decision = iota // retry after the wait
	Exhausted                 // give up: the attempts allowed are used up
	OverCap                   // give up: the Retry-After asks for a wait beyond the cap
)

// Plan decides about the failure of attempt number attempt (1 for the
// first) of a logical request and returns the wait before its retry:
// the policy's backoff, or the Retry-After when honouring it asks for
// longer (retryAfter ≤ 0 for none). The budget is the caller's.
func (b *Backoff) Plan(attempt int, retryAfter time.Duration) (time.Duration, Decision) {
	if attempt > b.o.Max {
		return 0, Exhausted
	}
	if b.o.HonorRetryAfter && retryAfter > 0 && b.o.Cap > 0 && retryAfter > b.o.Cap {
		return 0, OverCap
	}
	w := b.Wait(attempt)
	if b.o.HonorRetryAfter && retryAfter > w {
		w = retryAfter
	}
	return w, Retry
}

// BudgetWindow is how far back a Budget counts: the retries of the last
// 10 s may be at most its share of the first attempts of the last 10 s,
// so that a long healthy stretch does not save up a storm for the next
// outage.
const BudgetWindow = 10 * time.Second

// budgetSlots are the one-second slots of a Budget's window.
const budgetSlots = int(BudgetWindow / time.Second)

// Budget is a retry budget: over a sliding window of BudgetWindow, the
// retries may be at most a share of the first attempts, as Envoy's and
// gRPC's retry budgets bound retries to a share of the load. Times are
// those of the attempts (their schedule), not the clock's. Not safe for
// concurrent use; the zero value is ready.
type Budget struct {
	secs    [budgetSlots]int64 // the second each slot counts
	firsts  [budgetSlots]uint64
	retries [budgetSlots]uint64
}

// slot returns the slot of the second of t, emptied if it held an
// older second.
func (b *Budget) slot(t time.Time) int {
	sec := t.Unix()
	i := int((sec%int64(budgetSlots) + int64(budgetSlots)) % int64(budgetSlots))
	if b.secs[i] != sec {
		b.secs[i], b.firsts[i], b.retries[i] = sec, 0, 0
	}
	return i
}

// First counts a first attempt scheduled at t.
func (b *Budget) First(t time.Time) { b.firsts[b.slot(t)]++ }

// Take spends one retry decided at t if a budget of share allows it,
// and reports whether it did.
func (b *Budget) Take(share float64, t time.Time) bool {
	i := b.slot(t)
	now := t.Unix()
	var firsts, retries uint64
	for j := range b.secs {
		if age := now - b.secs[j]; age >= 0 && age < int64(budgetSlots) {
			firsts += b.firsts[j]
			retries += b.retries[j]
		}
	}
	if float64(retries+1) > share*float64(firsts) {
		return false
	}
	b.retries[i]++
	return true
}

// On says which failed attempts a client retries: those of the classes
// the classifier marks retryable (the default), and any statuses,
// status families or transport failures named.
type On struct {
	Retryable bool         // the classes marked retryable (429 rate, 500, 503…; not a quota 429)
	Statuses  map[int]bool // statuses named, e.g. 404
	Families  [6]bool      // families named, by their first digit: Families[5] for 5xx
	Transport bool         // every transport failure
}

// DefaultOn retries the classes the classifier marks retryable.
func DefaultOn() On { return On{Retryable: true} }

// ParseOn reads a comma-separated list of what to retry: retryable (the
// classes marked retryable), transport, a status (429) or a family
// (5xx). "" is DefaultOn.
func ParseOn(s string) (On, error) {
	if strings.TrimSpace(s) == "" {
		return DefaultOn(), nil
	}
	var o On
	for item := range strings.SplitSeq(s, ",") {
		t := strings.ToLower(strings.TrimSpace(item))
		switch {
		case t == "retryable":
			o.Retryable = true
		case t == "transport":
			o.Transport = true
		case len(t) == 3 && t[0] >= '1' && t[0] <= '5' && t[1:] == "xx":
			o.Families[t[0]-'0'] = true
		default:
			n, err := strconv.Atoi(t)
			if err != nil || n < 100 || n > 599 {
				return On{}, fmt.Errorf("retry on %q: want retryable, transport, a status from 100 to 599 (429) or a family (5xx), comma-separated", item)
			}
			if o.Statuses == nil {
				o.Statuses = make(map[int]bool)
			}
			o.Statuses[n] = true
		}
	}
	return o, nil
}

// Match reports whether a failed attempt is to be retried: status is its
// HTTP status (0 without a response), transport whether it failed in
// transport, and retryable whether its class is marked retryable (called
// only when that decides).
func (o On) Match(status uint16, transport bool, retryable func() bool) bool {
	switch {
	case transport && o.Transport:
		return true
	case status >= 100 && status <= 599 && (o.Families[status/100] || o.Statuses[int(status)]):
		return true
	}
	return o.Retryable && retryable()
}

// String writes o as ParseOn reads it.
func (o On) String() string {
	var parts []string
	if o.Retryable {
		parts = append(parts, "retryable")
	}
	if o.Transport {
		parts = append(parts, "transport")
	}
	for f, on := range o.Families {
		if on {
			parts = append(parts, strconv.Itoa(f)+"xx")
		}
	}
	statuses := make([]int, 0, len(o.Statuses))
	for s := range o.Statuses {
		statuses = append(statuses, s)
	}
	slices.Sort(statuses)
	for _, s := range statuses {
		parts = append(parts, strconv.Itoa(s))
	}
	return strings.Join(parts, ",")
}
