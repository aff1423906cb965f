package contract

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/ratelimit"
)

// Severity is how bad breaking a contract rule is.
type Severity uint8

// The severities of contract rules.
const (
	SeverityError   Severity = iota // the contract is broken: clients will misbehave
	SeverityWarning                 // allowed, but a trap for clients
)

// String names the severity: "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// MarshalText renders the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning"; any other name reads as an
// error, the stricter reading.
func (s *Severity) UnmarshalText(b []byte) error {
	*s = SeverityError
	if string(b) == "warning" {
		*s = SeverityWarning
	}
	return nil
}

// RuleID names a rule of the rate-limit contract.
type RuleID uint8

// The rules of the rate-limit contract, in the order reports show them.
// Every seed document promises the same thing: a 429 says when to come
// back, and coming back then works.
const (
	RuleRetryAfterOn429      RuleID = iota // a 429 carries Retry-After
	RuleRetryAfterOn503                    // a 503 carries Retry-After
	RuleRetryAfterValid                    // Retry-After is delay-seconds or an HTTP-date
	RuleRetryAfterIMFFixdate               // an HTTP-date Retry-After is an IMF-fixdate
	RuleRetryAfterBounds                   // the wait is in (0, max], a date not in the past
	RuleRetryAfterZero                     // the wait is not 0
	RuleRetryAfterBody                     // a wait stated in the body agrees with the header
	RuleRateLimitValid                     // rate-limit header values parse
	RuleRemainingInRange                   // 0 ≤ Remaining ≤ Limit
	RuleLimitStable                        // Limit does not change within a window
	RuleRemainingZeroOn429                 // a 429 says Remaining 0
	RuleResetNotPast                       // Reset is not in the past
	RuleResetMatchesRetry                  // on a 429, Reset and Retry-After agree
	RuleHeadersConsistent                  // the 429s of one class all carry the same headers
	RuleAdmittedAfterWait                  // a request sent after the advertised wait is admitted
	numRules
)

// Rule describes one rule.
type Rule struct {
	ID       RuleID   `json:"-"`        // restored from Name when read back
	Name     string   `json:"id"`       // stable identifier, as in JSON: "retry-after-on-429"
	Severity Severity `json:"severity"` // "error" or "warning" in JSON
	Title    string   `json:"title"`    // what the rule asks, for people
}

// Rules lists every rule, by RuleID. Treat it as read-only.
var Rules = [numRules]Rule{
	RuleRetryAfterOn429:      {RuleRetryAfterOn429, "retry-after-on-429", SeverityError, "every 429 carries Retry-After"},
	RuleRetryAfterOn503:      {RuleRetryAfterOn503, "retry-after-on-503", SeverityWarning, "every 503 carries Retry-After"},
	RuleRetryAfterValid:      {RuleRetryAfterValid, "retry-after-valid", SeverityError, "Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3)"},
	RuleRetryAfterIMFFixdate: {RuleRetryAfterIMFFixdate, "retry-after-imf-fixdate", SeverityWarning, "an HTTP-date Retry-After is an IMF-fixdate, not an obsolete form"},
	RuleRetryAfterBounds:     {RuleRetryAfterBounds, "retry-after-bounds", SeverityError, "the wait is at most the bound, and a date is not in the past"},
	RuleRetryAfterZero:       {RuleRetryAfterZero, "retry-after-zero", SeverityWarning, "the wait is not 0 (a retry storm invitation)"},
	RuleRetryAfterBody:       {RuleRetryAfterBody, "retry-after-matches-body", SeverityError, "a wait stated in the body agrees with Retry-After (within 1 s)"},
	RuleRateLimitValid:       {RuleRateLimitValid, "ratelimit-valid", SeverityError, "rate-limit header values parse"},
	RuleRemainingInRange:     {RuleRemainingInRange, "ratelimit-remaining-in-range", SeverityError, "Remaining is between 0 and Limit"},
	RuleLimitStable:          {RuleLimitStable, "ratelimit-limit-stable", SeverityWarning, "Limit does not change before its window resets"},
	RuleRemainingZeroOn429:   {RuleRemainingZeroOn429, "ratelimit-remaining-zero-on-429", SeverityError, "a 429 says Remaining: 0"},
	RuleResetNotPast:         {RuleResetNotPast, "ratelimit-reset-not-past", SeverityError, "Reset is not in the past"},
	RuleResetMatchesRetry:    {RuleResetMatchesRetry, "ratelimit-reset-matches-retry-after", SeverityError, "on a 429, Reset and Retry-After agree (within 1 s)"},
	RuleHeadersConsistent:    {RuleHeadersConsistent, "headers-consistent", SeverityWarning, "the 429s of one class all carry the same rate-limit headers"},
	RuleAdmittedAfterWait:    {RuleAdmittedAfterWait, "admitted-after-wait", SeverityError, "a request sent once the advertised wait has passed is admitted"},
}

// Defaults of Options.
const (
	DefaultMaxRetryAfter = 24 * time.Hour
	DefaultAdmitMargin   = 250 * time.Millisecond
	// MaxExamples bounds the examples kept per rule.
	MaxExamples = 5
	// maxScopes bounds the scopes whose limit state is followed; requests
	// of further scopes are checked by the stateless rules only.
	maxScopes = 4096
)

// Options configure a Checker. The zero value uses the defaults.
type Options struct {
	MaxRetryAfter time.Duration // the longest acceptable wait; DefaultMaxRetryAfter if 0
	// AdmitMargin is how long after an advertised wait a request must
	// have left to be held to the promise: requests in flight at the
	// deadline may take the token first. DefaultAdmitMargin if 0.
	AdmitMargin time.Duration
	// Settle is how long a rejection after the wait stays unjudged, so
	// that a slower admitted response of a request sent before it (which
	// spent the capacity) can still arrive: the attack's request timeout.
	// DefaultSettle if 0.
	Settle time.Duration
	// Redact masks secrets in the header values kept as evidence (a
	// target may echo a key in any header); nil keeps them as they are.
	Redact func(string) string
	// Severity overrides the severity of rules: a profile may hold a 503
	// without Retry-After as an error rather than a warning.
	Severity map[RuleID]Severity
}

// DefaultSettle is Options.Settle's default.
const DefaultSettle = 30 * time.Second

// Response is what the contract checker sees of one response.
type Response struct {
	Status    uint16
	Header    http.Header // nil without a response
	Body      []byte      // the start of the body, for a wait stated in it; may be nil
	Sent      time.Time   // when the request left
	Received  time.Time   // when the response was complete
	Scope     uint64      // the limiter the request falls under: one endpoint and one set of credentials
	Principal uint64      // whose limit it counts against: one host and one set of credentials
	Class     uint32      // the response's class, for RuleHeadersConsistent
}

// Example is the evidence of one violation.
type Example struct {
	At         time.Time `json:"at"`
	Status     uint16    `json:"status"`
	RetryAfter string    `json:"retry_after"` // as sent
	RateLimit  string    `json:"rate_limit"`  // the rate-limit headers as sent, "Limit/Remaining/Reset"
	Detail     string    `json:"detail"`      // what is wrong, with the numbers
}

// RuleResult is the outcome of one rule over a run.
type RuleResult struct {
	Rule
	Checked    uint64    `json:"checked"` // responses (or classes) the rule applied to
	Violations uint64    `json:"violations"`
	Examples   []Example `json:"examples"` // the first MaxExamples violations
}

// Checker checks the rate-limit contract on every response of a run: Add
// one response at a time, then Results. It keeps bounded state per scope
// (the deadline a 429 set, the last Limit seen) and per 429 class. A
// Checker is not safe for concurrent use.
type Checker struct {
	opts    Options
	results [numRules]RuleResult
	forms   [ratelimit.RetryAfterInvalid + 1]uint64 // Retry-After values per form
	resets  [16]uint64                              // Reset values per kind
	schemes [ratelimit.NumSchemes]uint64            // responses per family of headers
	scopes  map[uint64]*scopeState
	// byPrincipal lists the scopes of each principal: an admission on any
	// endpoint of a key may spend the capacity another endpoint's wait
	// was for.
	byPrincipal map[uint64][]*scopeState
	classes     map[uint32]*presence
}

// scopeState is what the checker remembers of one scope.
type scopeState struct {
	deadline   time.Time     // when the pending advertised wait ends; zero if none is pending
	advertised time.Duration // that wait
	since      time.Time     // when the 429 that advertised it arrived
	firstAdmit time.Time     // the earliest send, after since, of an admitted request of the principal; zero if none
	suspect    *suspect      // a rejection after the wait, judged once it has settled; nil if none
	suspectEx  Example       // its evidence
	limit      int64         // the last Limit seen, 0 if none
	limitUntil time.Time     // when the window of that Limit resets
}

// suspect is a rejection sent after an advertised wait, not yet judged.
// It keeps copies, not the response: the pipeline reuses its memory.
type suspect struct{ sent, received time.Time }

// presence counts which headers the 429s of one class carried.
type presence struct {
	withRetryAfter, withoutRetryAfter uint64
	withRateLimit, withoutRateLimit   uint64
	example                           Example
}

// New returns a checker with no responses.
func New(opts Options) *Checker {
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.AdmitMargin <= 0 {
		opts.AdmitMargin = DefaultAdmitMargin
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	c := &Checker{opts: opts, scopes: make(map[uint64]*scopeState), byPrincipal: make(map[uint64][]*scopeState), classes: make(map[uint32]*presence)}
	for i := range c.results {
		c.results[i].Rule = Rules[i]
	}
	return c
}

// check counts a response against rule id, and a violation when bad.
func (c *Checker) check(id RuleID, bad bool, r *Response, ra string, rl *ratelimit.Headers, detail func() string) {
	res := &c.results[id]
	res.Checked++
	if !bad {
		return
	}
	res.Violations++
	if len(res.Examples) < MaxExamples {
		res.Examples = append(res.Examples, c.example(r, ra, rl, detail()))
	}
}

// example builds the evidence of a violation, with secrets masked.
func (c *Checker) example(r *Response, ra string, rl *ratelimit.Headers, detail string) Example {
	ex := Example{At: r.Received, Status: r.Status, RetryAfter: ra, RateLimit: rateLimitEvidence(rl), Detail: detail}
	if c.opts.Redact != nil {
		ex.RetryAfter, ex.RateLimit, ex.Detail = c.opts.Redact(ex.RetryAfter), c.opts.Redact(ex.RateLimit), c.opts.Redact(ex.Detail)
	}
	return ex
}

// rateLimitEvidence renders the rate-limit headers as sent.
func rateLimitEvidence(rl *ratelimit.Headers) string {
	if rl == nil || rl.Scheme == ratelimit.SchemeNone {
		return ""
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	return rl.Scheme.String() + " " + dash(rl.Raw[0]) + "/" + dash(rl.Raw[1]) + "/" + dash(rl.Raw[2])
}

// Add checks one response against every rule that applies to it.
func (c *Checker) Add(r *Response) {
	if r.Header == nil {
		return // no response: nothing was promised
	}
	raw := r.Header.Get("Retry-After")
	ra := ratelimit.ParseRetryAfter(raw, r.Received)
	c.forms[ra.Form]++
	rl, hasRL := ratelimit.ParseHeaders(r.Header, r.Received)
	// Dates are measured from the response's own Date, so that a skew of
	// the client's clock gives no false violation. Parsing Date is the
	// dearest step of a check: it is done only for the values that need it,
	// shifting what was measured from the receipt: t − date = (t − received) + (received − date).
	dated := ra.Form == ratelimit.RetryAfterIMFDate || ra.Form == ratelimit.RetryAfterObsoleteDate
	absolute := hasRL && rl.HasReset && rl.ResetKind.Absolute()
	if dated || absolute {
		skew := r.Received.Sub(ratelimit.ResponseDate(r.Header, r.Received))
		if dated {
			ra.Delay += skew
		}
		if absolute {
			rl.ResetIn += skew
		}
	}
	var rlp *ratelimit.Headers
	if hasRL {
		rlp = &rl
		if int(rl.Scheme) < len(c.schemes) {
			c.schemes[rl.Scheme]++
		}
		if rl.HasReset && int(rl.ResetKind) < len(c.resets) {
			c.resets[rl.ResetKind]++
		}
	}
	limited := r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable

	switch r.Status {
	case http.StatusTooManyRequests:
		c.check(RuleRetryAfterOn429, ra.Form == ratelimit.RetryAfterAbsent, r, raw, rlp, func() string { return "429 without Retry-After" })
		c.presence(r, ra.Form != ratelimit.RetryAfterAbsent, hasRL, raw, rlp)
	case http.StatusServiceUnavailable:
		c.check(RuleRetryAfterOn503, ra.Form == ratelimit.RetryAfterAbsent, r, raw, rlp, func() string { return "503 without Retry-After" })
	}
	if ra.Form != ratelimit.RetryAfterAbsent {
		c.check(RuleRetryAfterValid, ra.Form == ratelimit.RetryAfterInvalid, r, raw, rlp, func() string {
			return fmt.Sprintf("Retry-After %q is neither delay-seconds nor an HTTP-date", raw)
		})
	}
	if ra.Form == ratelimit.RetryAfterIMFDate || ra.Form == ratelimit.RetryAfterObsoleteDate {
		c.check(RuleRetryAfterIMFFixdate, ra.Form == ratelimit.RetryAfterObsoleteDate, r, raw, rlp, func() string {
			return fmt.Sprintf("Retry-After %q is an obsolete HTTP-date form (understood: %s)", raw, seconds(ra.Delay))
		})
	}
	if ra.Form.Valid() {
		c.check(RuleRetryAfterBounds, ra.Delay < 0 || ra.Delay > c.opts.MaxRetryAfter, r, raw, rlp, func() string {
			if ra.Delay < 0 {
				return fmt.Sprintf("Retry-After names a date %s in the past (against the response's Date)", seconds(-ra.Delay))
			}
			return fmt.Sprintf("Retry-After of %s exceeds the bound of %s", seconds(ra.Delay), seconds(c.opts.MaxRetryAfter))
		})
		if limited {
			c.check(RuleRetryAfterZero, ra.Delay == 0, r, raw, rlp, func() string { return "Retry-After: 0 invites an immediate retry" })
		}
	}
	if limited && ra.Form.Valid() && len(r.Body) > 0 {
		if wait, ok := ratelimit.BodyWait(r.Body); ok {
			diff := wait - ra.Delay
			c.check(RuleRetryAfterBody, diff > time.Second || diff < -time.Second, r, raw, rlp, func() string {
				return fmt.Sprintf("the body says wait %s, Retry-After says %s", seconds(wait), seconds(ra.Delay))
			})
		}
	}
	if hasRL {
		c.rateLimitRules(r, &rl, ra, raw)
	}
	c.admission(r, ra, raw, rlp)
}

// rateLimitRules checks the rate-limit headers of a response.
func (c *Checker) rateLimitRules(r *Response, rl *ratelimit.Headers, ra ratelimit.RetryAfter, raw string) {
	c.check(RuleRateLimitValid, rl.Malformed != 0, r, raw, rl, func() string {
		return fmt.Sprintf("%s headers do not parse: %s", rl.Scheme, malformedNames(rl.Malformed))
	})
	if rl.HasRemaining {
		c.check(RuleRemainingInRange, rl.Remaining < 0 || rl.HasLimit && rl.Remaining > rl.Limit, r, raw, rl, func() string {
			if rl.Remaining < 0 {
				return fmt.Sprintf("Remaining %d is negative", rl.Remaining)
			}
			return fmt.Sprintf("Remaining %d is above Limit %d", rl.Remaining, rl.Limit)
		})
		if r.Status == http.StatusTooManyRequests {
			c.check(RuleRemainingZeroOn429, rl.Remaining != 0, r, raw, rl, func() string {
				return fmt.Sprintf("a 429 says Remaining %d", rl.Remaining)
			})
		}
	}
	// A reset is measured from the response's Date, whole seconds: allow
	// that second on top of the rule's own.
	slack := time.Second
	if r.Header.Get("Date") != "" {
		slack += time.Second
	}
	if rl.HasReset && rl.ResetKind.Absolute() { // a delta cannot be in the past
		c.check(RuleResetNotPast, rl.ResetIn < -slack, r, raw, rl, func() string {
			return fmt.Sprintf("Reset is %s in the past (%s)", seconds(-rl.ResetIn), rl.ResetKind)
		})
		if r.Status == http.StatusTooManyRequests && ra.Form.Valid() {
			diff := rl.ResetIn - ra.Delay
			c.check(RuleResetMatchesRetry, diff > slack || diff < -slack, r, raw, rl, func() string {
				return fmt.Sprintf("Reset is in %s, Retry-After says %s", seconds(rl.ResetIn), seconds(ra.Delay))
			})
		}
	}
	if rl.HasLimit {
		st := c.scope(r.Scope, r.Principal)
		if st == nil {
			return
		}
		if st.limit != 0 && r.Received.Before(st.limitUntil) {
			prev := st.limit
			c.check(RuleLimitStable, rl.Limit != prev, r, raw, rl, func() string {
				return fmt.Sprintf("Limit changed from %d to %d before its window reset", prev, rl.Limit)
			})
		}
		st.limit = rl.Limit
		st.limitUntil = r.Received
		if rl.HasReset && rl.ResetIn > 0 {
			// ResetIn is measured from the response's Date; the window
			// ends that long after the client got it, on the client's clock.
			st.limitUntil = r.Received.Add(rl.ResetIn)
		}
	}
}

// admission checks that the first request sent after an advertised wait
// (plus the margin) is admitted. The promise is a client's who waits: a
// request of the same principal admitted meanwhile may have taken the
// capacity the wait was for, so such a deadline is not judged. The first
// 429 of a scope sets the deadline; later ones do not move it until it is
// judged. A rejection after the deadline is a suspect until it settles:
// responses arrive in the order they complete, and a slower admitted
// response of a request sent before it may still excuse it.
func (c *Checker) admission(r *Response, ra ratelimit.RetryAfter, raw string, rlp *ratelimit.Headers) {
	ok := r.Status >= 200 && r.Status < 400
	st := c.scope(r.Scope, r.Principal)
	if ok {
		for _, other := range c.byPrincipal[r.Principal] {
			if !other.deadline.IsZero() && r.Sent.After(other.since) && (other.firstAdmit.IsZero() || r.Sent.Before(other.firstAdmit)) {
				other.firstAdmit = r.Sent
			}
		}
	}
	if st == nil {
		return
	}
	c.settle(st, r.Received, false)
	rejected := r.Status == http.StatusTooManyRequests
	if !st.deadline.IsZero() && st.suspect == nil {
		switch {
		case ok && !r.Sent.Before(st.deadline):
			if !st.spent(r.Sent) {
				c.check(RuleAdmittedAfterWait, false, r, raw, rlp, nil) // the promise kept
			}
			st.deadline = time.Time{}
		case rejected && !r.Sent.Before(st.deadline.Add(c.opts.AdmitMargin)):
			late, advertised := r.Sent.Sub(st.deadline), st.advertised
			st.suspect = &suspect{sent: r.Sent, received: r.Received} // rare: one per broken promise
			st.suspectEx = c.example(r, raw, rlp, fmt.Sprintf("rejected although sent %s after an advertised wait of %s had passed, with no request admitted meanwhile", seconds(late), seconds(advertised)))
		}
	}
	if st.deadline.IsZero() && rejected && ra.Form.Valid() && ra.Delay >= 0 {
		st.deadline, st.advertised, st.since, st.firstAdmit = r.Received.Add(ra.Delay), ra.Delay, r.Received, time.Time{}
	}
}

// spent reports whether a request of the scope's principal sent after the
// 429 that opened its deadline, and before sent, was admitted.
func (st *scopeState) spent(sent time.Time) bool {
	return !st.firstAdmit.IsZero() && st.firstAdmit.Before(sent)
}

// settle judges st's suspect rejection once Settle has passed since it
// arrived (or at once when final): a violation, unless a request of its
// principal sent before it was admitted in the meantime. The deadline is
// then closed.
func (c *Checker) settle(st *scopeState, now time.Time, final bool) {
	r := st.suspect
	if r == nil || !final && now.Sub(r.received) < c.opts.Settle {
		return
	}
	res := &c.results[RuleAdmittedAfterWait]
	if !st.spent(r.sent) {
		res.Checked++
		res.Violations++
		if len(res.Examples) < MaxExamples {
			res.Examples = append(res.Examples, st.suspectEx)
		}
	}
	st.suspect, st.deadline = nil, time.Time{}
}

// scope returns the state of a scope, creating it while there is room;
// nil once maxScopes scopes are followed.
func (c *Checker) scope(id, principal uint64) *scopeState {
	if st := c.scopes[id]; st != nil {
		return st
	}
	if len(c.scopes) >= maxScopes {
		return nil
	}
	st := &scopeState{}
	c.scopes[id] = st
	c.byPrincipal[principal] = append(c.byPrincipal[principal], st)
	return st
}

// presence counts the headers of a 429 of its class.
func (c *Checker) presence(r *Response, hasRA, hasRL bool, raw string, rlp *ratelimit.Headers) {
	p := c.classes[r.Class]
	if p == nil {
		if len(c.classes) >= maxScopes {
			return
		}
		p = &presence{}
		c.classes[r.Class] = p
	}
	if hasRA {
		p.withRetryAfter++
	} else {
		p.withoutRetryAfter++
	}
	if hasRL {
		p.withRateLimit++
	} else {
		p.withoutRateLimit++
	}
	if (p.withRetryAfter > 0 && p.withoutRetryAfter > 0 || p.withRateLimit > 0 && p.withoutRateLimit > 0) && p.example.Detail == "" {
		p.example = Example{At: r.Received, Status: r.Status, RetryAfter: raw, RateLimit: rateLimitEvidence(rlp)}
	}
}

// Results returns the outcome of every rule, in RuleID order. The
// consistency of headers per class is judged here, over the whole run.
func (c *Checker) Results() []RuleResult {
	// Every response has arrived: judge the suspects left, on a copy so
	// that Results may be called again, and Add after it.
	saved := c.results[RuleAdmittedAfterWait]
	savedExamples := slices.Clone(saved.Examples)
	var suspects []*scopeState
	for _, st := range c.scopes {
		if st.suspect != nil {
			suspects = append(suspects, st)
		}
	}
	slices.SortFunc(suspects, func(a, b *scopeState) int { return a.suspect.received.Compare(b.suspect.received) })
	for _, st := range suspects {
		suspect, deadline := st.suspect, st.deadline
		c.settle(st, time.Time{}, true)
		st.suspect, st.deadline = suspect, deadline
	}
	out := slices.Clone(c.results[:])
	c.results[RuleAdmittedAfterWait] = saved
	c.results[RuleAdmittedAfterWait].Examples = savedExamples
	hc := &out[RuleHeadersConsistent]
	ids := make([]uint32, 0, len(c.classes))
	for id := range c.classes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := c.classes[id]
		hc.Checked++
		mixedRA := p.withRetryAfter > 0 && p.withoutRetryAfter > 0
		mixedRL := p.withRateLimit > 0 && p.withoutRateLimit > 0
		if !mixedRA && !mixedRL {
			continue
		}
		hc.Violations++
		if len(hc.Examples) < MaxExamples {
			ex := p.example
			ex.Detail = fmt.Sprintf("class %d: Retry-After on %d of %d 429s, rate-limit headers on %d of %d", id,
				p.withRetryAfter, p.withRetryAfter+p.withoutRetryAfter, p.withRateLimit, p.withRateLimit+p.withoutRateLimit)
			hc.Examples = append(hc.Examples, ex)
		}
	}
	for id, sev := range c.opts.Severity {
		if int(id) < len(out) {
			out[id].Severity = sev
		}
	}
	return out
}

// Violations returns the violations of rule id counted so far: a live
// view, for a display or metrics as the run goes, which only grows and is
// at most what Results says. Results judges more once the run is over
// (the rejections after a wait still settling, the consistency of the
// headers of each class); an unknown id has none.
func (c *Checker) Violations(id RuleID) uint64 {
	if int(id) >= len(c.results) {
		return 0
	}
	return c.results[id].Violations
}

// Severity returns the severity rule id has in this checker's results:
// the rule's own, or the one Options.Severity gives it.
func (c *Checker) Severity(id RuleID) Severity {
	if sev, ok := c.opts.Severity[id]; ok {
		return sev
	}
	if int(id) >= len(Rules) {
		return SeverityWarning
	}
	return Rules[id].Severity
}

// Forms returns how many responses carried Retry-After in each form,
// absent excluded, as "form": count.
func (c *Checker) Forms() map[string]uint64 {
	out := map[string]uint64{}
	for f, n := range c.forms {
		if n > 0 && ratelimit.RetryAfterForm(f) != ratelimit.RetryAfterAbsent {
			out[ratelimit.RetryAfterForm(f).String()] = n
		}
	}
	return out
}

// Schemes returns how many responses used each family of rate-limit
// headers, as "scheme": count.
func (c *Checker) Schemes() map[string]uint64 {
	out := map[string]uint64{}
	for s, n := range c.schemes {
		if n > 0 {
			out[ratelimit.Scheme(s).String()] = n
		}
	}
	return out
}

// malformedNames lists the fields of a Malformed set.
func malformedNames(f ratelimit.Field) string {
	var names []string
	for _, x := range []struct {
		bit  ratelimit.Field
		name string
	}{{ratelimit.FieldLimit, "limit"}, {ratelimit.FieldRemaining, "remaining"}, {ratelimit.FieldReset, "reset"}, {ratelimit.FieldPolicy, "policy"}} {
		if f&x.bit != 0 {
			names = append(names, x.name)
		}
	}
	if len(names) == 0 {
		return "?"
	}
	return strings.Join(names, ", ")
}

// seconds renders a duration in seconds with a unit, to the millisecond:
// "1 s", "0.299 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}
