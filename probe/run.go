package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/ratelimit"
)

// Poll schedules.
const (
	// minPollGap is the first gap between polls when Margin is shorter.
	minPollGap = 100 * time.Millisecond
	// horizonFactor: after a rejected deadline request, polls go on until
	// horizonFactor·max(T, 1 s) after the 429.
	horizonFactor = 4
	// maxBackoff caps the gaps of the backoff without a usable Retry-After,
	// as the seeds' clients do: delay = min(2^attempt, 60) seconds.
	maxBackoff = 60 * time.Second
	// maxDrain is the most of a response body read before closing it.
	maxDrain = 1 << 20
)

// Run probes the limiter in front of o.Target and returns what it
// measured. The error is a problem of the options, or of the target:
// maxFailures ramp requests in a row that failed in transport (GaveUp says
// so too), or an answer other than 429 from 400 up, a 4xx or a 5xx, before
// any 429 (a request the target refuses, or fails, cannot probe its
// limiter). A transport
// failure after a 429 is no limiter answer, retried (see the package
// comment). A result
// stopped by a bound, or by ctx, comes with a nil error and says so in
// Stopped; it holds everything measured until then.
func Run(ctx context.Context, o Options) (Result, error) {
	if errs := o.Validate(); len(errs) > 0 {
		return Result{Bounds: o.Bounds}, errors.Join(errs...)
	}
	p := &prober{ctx: ctx, o: o, client: o.Client, ramp: o.Ramp()}
	if p.client == nil {
		p.client = http.DefaultClient
	}
	for _, st := range p.ramp.Steps {
		p.rampEnd += st.For
	}
	p.start = time.Now()
	p.deadline = p.start.Add(o.MaxTime)
	p.res.Bounds = o.Bounds
	err := p.run()
	p.res.Verdict = verdictOf(p.res)
	if p.failedOut && p.res.Verdict == NoLimit {
		p.res.Verdict = Inconclusive // the target failed, it did not admit everything
	}
	p.res.Elapsed = time.Since(p.start)
	return p.res, err
}

// prober is one probe under way.
type prober struct {
	ctx     context.Context
	o       Options
	client  *http.Client
	ramp    pace.Steps
	rampEnd time.Duration // the ramp gives up at this offset

	start, deadline time.Time
	res             Result
	failedOut       bool // a ramp gave up after maxFailures transport failures in a row
}

// run runs the rounds until they are done, a bound stops them, or a ramp
// finds no 429.
func (p *prober) run() error {
	for n := 1; n <= p.o.Rounds; n++ {
		t, err := p.rampUp(n)
		if err != nil || t == nil {
			return err
		}
		// The ramp's requests still in flight end before the check, so that
		// none of them takes a token the check's requests are meant to see.
		t.drain()
		r := p.round(n, t)
		r.RampRequests = t.sent
		p.res.Rounds = append(p.res.Rounds, r)
		if p.res.Stopped != StopNone {
			return nil
		}
		if n < p.o.Rounds && r.Recovered {
			// The admitted request took the token that had come back:
			// give the limiter as long again before the next ramp.
			until := t.received.Add(2 * r.RealWait)
			if until.After(p.deadline) {
				p.res.Stopped = StopMaxTime
				return nil
			}
			if !p.sleepUntil(until) {
				return nil
			}
		}
	}
	return nil
}

// answer is one response, or a transport failure.
type answer struct {
	status   int
	header   http.Header
	sent     time.Time
	received time.Time     // when the response's header arrived
	due      time.Duration // ramp requests: the offset in the ramp it was due at
	err      error
}

// trigger is the ramp's first 429, and the requests still in flight.
type trigger struct {
	answer
	rate  float64 // the ramp's rate when it left
	sent  int     // requests of the ramp
	drain func()  // waits for the ramp's requests still in flight
}

// rampUp raises the rate until a 429 arrives and returns it; nil with the
// reason recorded in the result if none did.
func (p *prober) rampUp(round int) (*trigger, error) {
	p.progress("round %d: ramp from %s, doubling every %s up to %s, until the first 429", round,
		pace.RateString(p.o.StartRate), p.o.Step, pace.RateString(p.o.MaxRate))
	answers := make(chan answer, p.o.MaxInFlight) // room for every request in flight: senders never block
	inflight, sent, failures := 0, 0, 0
	// drain waits for the requests in flight; the first 429 among them
	// is returned if first is nil.
	drain := func() (first *answer) {
		for ; inflight > 0; inflight-- {
			a := <-answers // each request ends by its timeout, or at once when ctx is cancelled
			if first == nil && a.status == http.StatusTooManyRequests {
				first = &a
			}
		}
		return first
	}
	begin := time.Now()
	var top float64 // the fastest rate a request of the ramp left at
	var gaveUp string
	var failure error
loop:
	for n := uint64(0); ; {
		due, ok := p.ramp.Due(n)
		if !ok || due >= p.rampEnd {
			gaveUp = fmt.Sprintf("no 429 up to %s (a whole %s step at the top rate)", pace.RateString(top), p.o.Step)
			break
		}
		at := begin.Add(due)
		if !p.mayLeave(at) {
			gaveUp = p.boundGaveUp(top)
			break
		}
		var wake <-chan time.Time
		var timer *time.Timer
		if inflight < p.o.MaxInFlight { // else: wait for an answer to free a slot
			timer = time.NewTimer(time.Until(at))
			wake = timer.C
		}
		select {
		case a := <-answers:
			stopTimer(timer)
			inflight--
			if a.err == nil {
				failures = 0
			}
			switch {
			case p.ctx.Err() != nil:
				p.res.Stopped = StopInterrupted
				break loop
			case a.err != nil:
				p.res.Failures++
				if failures++; failures >= maxFailures {
					failure = fmt.Errorf("%d requests in a row failed, the last: %w", failures, a.err)
					gaveUp = fmt.Sprintf("%d requests in a row failed in transport", failures)
					p.failedOut = true
					break loop
				}
				continue
			case a.status == http.StatusTooManyRequests:
				t := &trigger{answer: a, rate: p.ramp.Rate(a.due), sent: sent}
				t.drain = func() { drain() }
				return t, nil
			case a.status >= 400: // a 4xx or a 5xx: the 429 was handled above
				failure = refusal(a.status)
				break loop
			}
		case <-wake:
			// The slots may have been full well past at: the bound holds
			// for the moment the request really leaves.
			if !p.mayLeave(time.Now()) {
				gaveUp = p.boundGaveUp(top)
				break loop
			}
			top = max(top, p.ramp.Rate(due))
			p.res.Requests++
			sent++
			inflight++
			go func() {
				a := p.send()
				a.due = due
				answers <- a
			}()
			n++
		case <-p.ctx.Done():
			stopTimer(timer)
			p.res.Stopped = StopInterrupted
			break loop
		}
	}
	// No 429 yet: the requests in flight may still bring one.
	first := drain()
	switch {
	case failure != nil:
		if gaveUp != "" {
			if round > 1 {
				gaveUp = fmt.Sprintf("round %d: %s", round, gaveUp)
			}
			p.res.GaveUp = gaveUp
			p.progress("%s", gaveUp)
		}
		return nil, failure
	case p.res.Stopped == StopInterrupted:
		return nil, nil
	case first != nil:
		// Its round starts, even if a bound allows it no request: the
		// 429 itself is evidence.
		return &trigger{answer: *first, rate: p.ramp.Rate(first.due), sent: sent, drain: func() {}}, nil
	}
	if round > 1 {
		gaveUp = fmt.Sprintf("round %d: %s", round, gaveUp)
	}
	p.res.GaveUp = gaveUp
	p.progress("%s", gaveUp)
	return nil, nil
}

// round checks the Retry-After of the 429 t.
func (p *prober) round(n int, t *trigger) Round {
	raw := t.header.Get("Retry-After")
	ra := ratelimit.ParseRetryAfter(raw, ratelimit.ResponseDate(t.header, t.received))
	raw = p.redact(raw)
	r := Round{
		TriggerRate: t.rate, RetryAfter: raw, Form: ra.Form,
		Exchanges: []Exchange{{Kind: KindTrigger, Status: t.status, RetryAfter: raw}},
	}
	c := check{p: p, r: &r, t0: t.received, n: n}
	if !ra.Form.Valid() {
		r.Verdict = NoRetryAfter
		if ra.Form == ratelimit.RetryAfterInvalid {
			r.Verdict = MalformedRetryAfter
		}
		p.progress("round %d: 429 at %s, Retry-After %s: backing off 1 s, 2 s, 4 s, … to measure the recovery", n, pace.RateString(t.rate), quoted(raw))
		c.backoff()
		return r
	}
	T := max(ra.Delay, 0)
	r.Advertised = T
	p.progress("round %d: 429 at %s, Retry-After: %s (%s, %s)", n, pace.RateString(t.rate), raw, ra.Form, seconds(T))
	if T > 0 {
		if !c.at(T/2, KindHalfway) {
			return r
		}
		h := r.Exchanges[len(r.Exchanges)-1]
		r.Halfway = ptr(h.Admitted())
		if h.Admitted() {
			r.Verdict = Honest
			if overstated(T, h.At, ra.Form) {
				r.Verdict = Overstated
			}
			return r
		}
	}
	// Retry-After: 0 leaves no rounding slack to allow for: an honest
	// server rounds any wait up to at least a second, so 0 says "now".
	deadline := T + p.o.Margin
	if T == 0 {
		deadline = 0
	}
	if !c.at(deadline, KindDeadline) {
		return r
	}
	d := r.Exchanges[len(r.Exchanges)-1]
	r.Deadline = ptr(d.Admitted())
	if d.Admitted() {
		r.Verdict = Honest
		return r
	}
	r.Verdict = Understated
	c.poll(T, deadline)
	return r
}

// overstated reports whether a request admitted at h after a 429 shows its
// advertised wait T to be longer than an honest server could state. An
// honest server rounds its wait up to whole seconds; a date loses up to a
// second more to its Date header, which is truncated to the second:
//
//	honest T ≤ ceil(h)        (delay-seconds)
//	honest T ≤ ceil(h) + 1 s  (HTTP-date, measured from Date)
func overstated(T, h time.Duration, form ratelimit.RetryAfterForm) bool {
	limit := (h + time.Second - 1) / time.Second * time.Second
	if form != ratelimit.RetryAfterSeconds {
		limit += time.Second
	}
	return T > limit
}

// check is the requests of one round after its 429.
type check struct {
	p  *prober
	r  *Round
	t0 time.Time // the 429's receipt
	n  int       // the round's number
}

// at sends one request offset after the 429 and records it in the
// round. It reports whether the limiter answered it (a 429 or a 2xx, the
// round's last exchange): false when a bound or ctx forbade a request, or
// when no request got a limiter answer after maxRetries retries, retryGap
// apart (the round's NoAnswer then says so).
func (c *check) at(offset time.Duration, kind string) bool {
	var got []string
	for try := 0; ; try++ {
		at := c.t0.Add(offset)
		// The bound is checked again when the request really leaves.
		if !c.p.mayLeave(at) || !c.p.sleepUntil(at) || !c.p.mayLeave(time.Now()) {
			return false
		}
		c.p.res.Requests++
		a := c.p.send()
		if a.err != nil && c.p.ctx.Err() != nil {
			c.p.res.Stopped = StopInterrupted
			return false
		}
		e := Exchange{Kind: kind, At: a.sent.Sub(c.t0), Status: a.status, RetryAfter: c.p.redact(a.header.Get("Retry-After"))}
		if a.err != nil {
			c.p.res.Failures++
			e.Error = c.p.redact(a.err.Error())
		}
		c.r.Exchanges = append(c.r.Exchanges, e)
		line := fmt.Sprintf("round %d: %s at +%s: %s", c.n, kind, seconds(e.At), e.answerText())
		if e.RetryAfter != "" {
			line += ", Retry-After: " + e.RetryAfter
		}
		switch {
		case e.Admitted():
			if !c.r.Recovered {
				c.r.Recovered, c.r.RealWait = true, e.At
			}
		case e.Rejected():
			if !c.r.Recovered {
				c.r.RejectedUntil = e.At
			}
		case try < maxRetries:
			c.p.progress("%s: no limiter answer, again in %s", line, seconds(retryGap))
			got = append(got, e.answerText())
			offset = e.At + retryGap
			continue
		default:
			got = append(got, e.answerText())
			c.r.NoAnswer = fmt.Sprintf("the %s request got no limiter answer in %d tries (%s)", kind, try+1, strings.Join(got, ", "))
			c.p.progress("%s; round %d: %s", line, c.n, c.r.NoAnswer)
			return false
		}
		c.p.progress("%s", line)
		return true
	}
}

// answerText is the exchange's status, or "failed" for a transport
// failure.
func (e Exchange) answerText() string {
	if e.Status == 0 {
		return "failed"
	}
	return strconv.Itoa(e.Status)
}

// poll follows a deadline request rejected at offset deadline: gaps from
// max(Margin, 100 ms), doubling, until a request is admitted or
// horizonFactor·max(T, 1 s) after the 429 (the last poll is at that
// horizon).
func (c *check) poll(T, deadline time.Duration) {
	horizon := horizonFactor * max(T, time.Second)
	gap := max(c.p.o.Margin, minPollGap)
	for at := deadline; !c.r.Recovered && at < horizon; gap *= 2 {
		at = min(at+gap, horizon)
		c.r.Polls++
		if !c.at(at, KindPoll) {
			if c.r.NoAnswer == "" {
				c.r.Polls-- // not sent
			}
			return
		}
	}
}

// backoff measures the recovery without a usable Retry-After, as the
// seeds' clients retry: after 1 s, then 2 s, 4 s, … (at most 60 s), until a
// request is admitted or a bound stops it.
func (c *check) backoff() {
	var at time.Duration
	for gap := time.Second; !c.r.Recovered; gap = min(2*gap, maxBackoff) {
		at += gap
		c.r.Polls++
		if !c.at(at, KindBackoff) {
			if c.r.NoAnswer == "" {
				c.r.Polls-- // not sent
			}
			return
		}
	}
}

// mayLeave reports whether a request may leave at at: the probe is not
// interrupted, one more request stays within MaxRequests, and at is within
// MaxTime. If not, it records why.
func (p *prober) mayLeave(at time.Time) bool {
	switch {
	case p.ctx.Err() != nil:
		p.res.Stopped = StopInterrupted
	case p.res.Requests >= p.o.MaxRequests:
		p.res.Stopped = StopMaxRequests
	case at.After(p.deadline):
		p.res.Stopped = StopMaxTime
	default:
		return true
	}
	return false
}

// refusal is the error of a ramp answered status, from 400 up and not 429,
// before any 429.
func refusal(status int) error {
	hint := "the probe needs a request the target accepts (check the URL, method, headers and body)"
	if status >= 500 {
		hint = "the probe needs a target that answers the request, not one failing"
	}
	return fmt.Errorf("the target answered %d %s before any 429: %s", status, http.StatusText(status), hint)
}

// boundGaveUp says why a ramp whose fastest request left at top (0 for
// none) ended without a 429: the bound recorded in Stopped.
func (p *prober) boundGaveUp(top float64) string {
	if top == 0 {
		return fmt.Sprintf("no request before the %s bound (%s)", p.res.Stopped, p.boundText())
	}
	return fmt.Sprintf("no 429 up to %s before the %s bound (%s)", pace.RateString(top), p.res.Stopped, p.boundText())
}

// boundText describes the bound recorded in Stopped.
func (p *prober) boundText() string {
	switch p.res.Stopped {
	case StopMaxRequests:
		return fmt.Sprintf("%d requests", p.o.MaxRequests)
	case StopMaxTime:
		return p.o.MaxTime.String()
	}
	return string(p.res.Stopped)
}

// stopTimer stops t, if any.
func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// sleepUntil waits until t; false if ctx was cancelled first.
func (p *prober) sleepUntil(t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-p.ctx.Done():
		p.res.Stopped = StopInterrupted
		return false
	}
}

// send sends the target once and reads the whole answer (up to maxDrain).
func (p *prober) send() answer {
	t := p.o.Target
	a := answer{sent: time.Now()}
	req, err := t.Request()
	if err != nil {
		a.err = err
		return a
	}
	resp, err := p.client.Do(req.WithContext(p.ctx))
	if err != nil {
		// url.Error quotes the URL, which may hold a secret: keep the
		// failure only.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		a.err = fmt.Errorf("request failed: %w", err)
		return a
	}
	a.received = time.Now()
	a.status, a.header = resp.StatusCode, resp.Header
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	resp.Body.Close()
	return a
}

// redact masks the secrets of a text the target sent back.
func (p *prober) redact(text string) string {
	if p.o.Redact == nil || text == "" {
		return text
	}
	return p.o.Redact(text)
}

// progress tells o.Progress, if set.
func (p *prober) progress(format string, args ...any) {
	if p.o.Progress != nil {
		p.o.Progress(fmt.Sprintf(format, args...))
	}
}

func ptr[T any](v T) *T { return &v }

// seconds formats d as "1.25 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// quoted is a header value for messages: "absent" for none.
func quoted(v string) string {
	if v == "" {
		return "absent"
	}
	return fmt.Sprintf("%q", v)
}
