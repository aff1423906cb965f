// Package probe is an active, bounded honesty probe of a rate limiter.
//
// A probe runs rounds. Each round
//
//  1. raises the rate step by step (a pace.Steps ramp: StartRate, doubled
//     every Step, up to MaxRate) until the target answers 429, or gives up
//     after a whole step at MaxRate;
//  2. stops sending at once and reads the 429's Retry-After: the advertised
//     wait T (a date is measured from the response's own Date header);
//  3. sends one request at T/2 (rejected: consistent; admitted: the wait is
//     overstated, beyond the header's whole-second resolution) and one at
//     T + Margin, or at once for T = 0 (admitted: honest; rejected:
//     understated, and then polls with doubling gaps up to 4·max(T, 1 s)
//     to measure the real wait);
//     without a usable Retry-After it backs off as the seed APIs' clients
//     do (1 s, 2 s, 4 s, … at most 60 s) to measure the recovery anyway.
//
// Only a 429 is a rejection and only a 2xx an admission. Any other answer
// to a request after the 429 (a 5xx, a 401, a 3xx, a transport failure) is
// no limiter answer: the request is sent again, up to maxRetries times
// retryGap apart, and if none gets a limiter answer the round ends without
// a verdict and says why (Round.NoAnswer).
//
// The verdict is the rounds' common verdict, or Inconsistent when they
// disagree. Every request counts against MaxRequests, checked before each
// send, and none leaves after MaxTime.
package probe

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/ratelimit"
	"github.com/stampede-dev/stampede/records/probefile"
)

// Defaults of Bounds.
const (
	DefaultStartRate   = 2.0  // requests per second of the ramp's first step
	DefaultMaxRate     = 1000 // requests per second of its last
	DefaultStep        = time.Second
	DefaultMaxTime     = 2 * time.Minute
	DefaultMaxRequests = 10000
	DefaultRounds      = 3
	DefaultMargin      = 250 * time.Millisecond
	DefaultMaxInFlight = 64
)

// Bounds are what a probe may do: how it ramps up and how much traffic and
// time it may spend in all.
type Bounds struct {
	// StartRate is the rate of the ramp's first step, in requests per
	// second.
	StartRate float64
	// MaxRate is the ramp's highest rate: a whole Step at MaxRate without a
	// 429 ends the probe (no limit found).
	MaxRate float64
	// Step is how long each rate of the ramp lasts; each step doubles the
	// rate, up to MaxRate.
	Step time.Duration
	// MaxTime bounds the whole probe: no request leaves after it.
	MaxTime time.Duration
	// MaxRequests bounds the requests sent in all, checked before each send.
	MaxRequests int
	// Rounds is how many times the probe triggers a 429 and checks it.
	Rounds int
	// Margin is how long after the advertised wait the deadline request
	// leaves (after a Retry-After: 0, which leaves no rounding slack, it
	// leaves at once), and the first gap between the polls that follow.
	Margin time.Duration
	// MaxInFlight bounds the ramp's requests in flight at once.
	MaxInFlight int
}

// DefaultBounds returns the default bounds.
func DefaultBounds() Bounds {
	return Bounds{
		StartRate: DefaultStartRate, MaxRate: DefaultMaxRate, Step: DefaultStep, MaxTime: DefaultMaxTime,
		MaxRequests: DefaultMaxRequests, Rounds: DefaultRounds, Margin: DefaultMargin, MaxInFlight: DefaultMaxInFlight,
	}
}

// Options configure a probe.
type Options struct {
	// Target is the request the probe repeats.
	Target vegeta.Target
	// Client sends the requests; its Timeout bounds each of them. Nil is
	// http.DefaultClient.
	Client *http.Client
	// Bounds limit the probe (DefaultBounds for the defaults).
	Bounds
	// Progress, if set, is told what the probe does, a line at a time.
	// Lines name no URL and no header.
	Progress func(line string)
	// Redact, if set, masks the secrets in a text the target sent back (a
	// Retry-After value, a failure's message): the probe keeps and reports
	// only what it returns, since a target may echo a key back.
	Redact func(text string) string
}

// Validate reports every problem of the options, each a *field.Error
// naming its field as the command's flags do ("max-rate 0: …").
func (o Options) Validate() []error {
	var errs []error
	add := func(name, value, format string, args ...any) {
		errs = append(errs, field.Errorf(name, value, format, args...))
	}
	if o.Target.URL == "" || o.Target.Method == "" {
		add("target", "", "a method and a URL are required")
	}
	b := o.Bounds
	maxOK := b.MaxRate > 0 && b.MaxRate <= pace.MaxRate
	if !maxOK {
		add("max-rate", fmt.Sprint(b.MaxRate), "want a rate above 0 and at most %g/s", float64(pace.MaxRate))
	}
	if !(b.StartRate > 0 && b.StartRate <= pace.MaxRate) {
		add("start-rate", fmt.Sprint(b.StartRate), "want a rate above 0")
	} else if maxOK && b.StartRate > b.MaxRate {
		add("start-rate", pace.RateString(b.StartRate), "above max-rate %s", pace.RateString(b.MaxRate))
	}
	if b.Step <= 0 {
		add("step", b.Step.String(), "must be above 0")
	}
	if b.MaxTime <= 0 {
		add("max-time", b.MaxTime.String(), "must be above 0")
	}
	if b.MaxRequests < 1 {
		add("max-requests", strconv.Itoa(b.MaxRequests), "must be at least 1")
	}
	if b.Rounds < 1 {
		add("rounds", strconv.Itoa(b.Rounds), "must be at least 1")
	}
	if b.Margin < 0 {
		add("margin", b.Margin.String(), "must not be negative")
	}
	if b.MaxInFlight < 1 {
		add("max-in-flight", strconv.Itoa(b.MaxInFlight), "must be at least 1")
	}
	if len(errs) == 0 {
		if err := b.Ramp().Validate(); err != nil {
			add("start-rate", pace.RateString(b.StartRate)+" and max-rate "+pace.RateString(b.MaxRate), "%v", err)
		}
	}
	return errs
}

// Ramp returns the ramp of each round: StartRate for Step, then twice that
// for Step, and so on up to MaxRate, which lasts one Step too:
//
//	rate_k = min(MaxRate, StartRate·2^k),  k = 0 … ceil(log2(MaxRate/StartRate))
//
// The probe gives up when the ramp's steps are over without a 429.
func (b Bounds) Ramp() pace.Steps {
	var s pace.Steps
	for rate := b.StartRate; ; rate *= 2 {
		if rate >= b.MaxRate || len(s.Steps) >= pace.MaxSteps || math.IsNaN(rate) {
			s.Steps = append(s.Steps, pace.Step{Rate: b.MaxRate, For: b.Step})
			return s
		}
		s.Steps = append(s.Steps, pace.Step{Rate: rate, For: b.Step})
	}
}

// Verdict is what a probe concluded about a limiter's Retry-After.
type Verdict string

// Verdicts. Only Honest is a pass.
const (
	// Honest: the limiter admitted a request once the advertised wait had
	// passed (and, if before, only within the header's resolution).
	Honest Verdict = probefile.Honest
	// Overstated: the limiter admitted a request well before its
	// advertised wait was over.
	Overstated Verdict = "overstated"
	// Understated: the limiter still rejected a request after the
	// advertised wait and the margin, or right after a Retry-After: 0.
	Understated Verdict = "understated"
	// NoRetryAfter: the 429s carried no Retry-After.
	NoRetryAfter Verdict = "no_retry_after"
	// MalformedRetryAfter: the 429s carried a Retry-After that is neither
	// delay-seconds nor an HTTP-date ("5s", "soon").
	MalformedRetryAfter Verdict = "malformed_retry_after"
	// Inconsistent: the rounds reached different verdicts.
	Inconsistent Verdict = "inconsistent"
	// NoLimit: the ramp got no 429 within the bounds: nothing to verify.
	NoLimit Verdict = "no_limit"
	// Inconclusive: the probe was stopped (by a bound or an interrupt)
	// before any round reached a verdict.
	Inconclusive Verdict = "inconclusive"
)

// Stop is why a probe ended before its rounds were done.
type Stop string

// Reasons to stop early.
const (
	StopNone        Stop = ""
	StopMaxRequests Stop = "max_requests" // the next request would have exceeded MaxRequests
	StopMaxTime     Stop = "max_time"     // the next request would have left after MaxTime
	StopInterrupted Stop = "interrupted"  // the context was cancelled
)

// Kinds of exchange in a round.
const (
	KindTrigger  = "trigger"  // the ramp's first 429
	KindHalfway  = "halfway"  // at T/2
	KindDeadline = "deadline" // at T + Margin (T = 0: at once)
	KindPoll     = "poll"     // after a rejected deadline request, gaps doubling up to 4·max(T, 1 s)
	KindBackoff  = "backoff"  // without a usable Retry-After: 1 s, 2 s, 4 s, … gaps
)

// Retries of a request after the 429 that got no limiter answer.
const (
	maxRetries = 3                      // retries of one step, each counted
	retryGap   = 250 * time.Millisecond // after each answer that is no limiter answer
	// maxFailures is how many ramp requests in a row may fail in transport
	// before the probe gives up.
	maxFailures = 5
)

// Exchange is one request of a round and its answer.
type Exchange struct {
	Kind string // KindTrigger, KindHalfway, …
	// At is when the request left, from the receipt of the round's 429
	// (which is at 0).
	At         time.Duration
	Status     int    // the response's status; 0 after a transport failure
	RetryAfter string // its Retry-After header as sent (secrets masked), "" if none
	Error      string // the transport failure, if any (no URL, secrets masked)
}

// Admitted reports whether the limiter let the request through: a 2xx.
func (e Exchange) Admitted() bool { return e.Status >= 200 && e.Status < 300 }

// Rejected reports whether the limiter rejected the request: a 429.
func (e Exchange) Rejected() bool { return e.Status == http.StatusTooManyRequests }

// Round is one trigger of the limiter and its check.
type Round struct {
	// TriggerRate is the ramp's rate, in requests per second, when the
	// request that got the 429 left; RampRequests the requests the ramp
	// sent in this round (those in flight at the 429 included).
	TriggerRate  float64
	RampRequests int
	// RetryAfter is the 429's header as sent; Form its form.
	RetryAfter string
	Form       ratelimit.RetryAfterForm
	// Advertised is the wait Retry-After stated (a date: from the
	// response's Date header); meaningful only when Form.Valid().
	Advertised time.Duration
	// Halfway and Deadline are whether the requests at T/2 and at T+Margin
	// were admitted; nil when not sent (no usable Retry-After, T = 0, a
	// halfway request admitted, or a bound reached).
	Halfway, Deadline *bool
	// Recovered reports whether a request was admitted after the 429;
	// RealWait is then when the first one left (an upper bound of the
	// real wait), and RejectedUntil when the last rejected one before it
	// left (a lower bound).
	Recovered     bool
	RealWait      time.Duration
	RejectedUntil time.Duration
	// Polls counts the requests after the deadline request, or the backoff
	// requests without a usable Retry-After.
	Polls int
	// Verdict is the round's verdict; "" if the probe stopped before the
	// round reached one, or a step got no limiter answer (see NoAnswer).
	Verdict Verdict
	// NoAnswer says which step got no limiter answer, after its retries,
	// and ended the round's checks; "" if none did.
	NoAnswer string
	// Exchanges are the round's requests from the 429 on, in order.
	Exchanges []Exchange
}

// Result is what a probe measured.
type Result struct {
	Bounds Bounds // as the probe ran
	// Rounds are the rounds that got a 429, in order.
	Rounds  []Round
	Verdict Verdict
	// Requests is every request sent, the ramps' included; Failures
	// those that failed in transport (no response).
	Requests int
	Failures int
	// GaveUp says why a ramp ended without a 429 (no 429 within the ramp,
	// a bound, or maxFailures transport failures in a row); "" if none did.
	GaveUp string
	// Stopped is the bound (or interrupt) that ended the probe early.
	Stopped Stop
	// Elapsed is how long the probe ran.
	Elapsed time.Duration
}
