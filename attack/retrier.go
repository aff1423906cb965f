package attack

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/ratelimit"
	"github.com/stampede-dev/stampede/records"
)

// RetrySeqBase is the first sequence number of retries: the pacer numbers
// first attempts from 0, retries are numbered from here in the order they
// are scheduled, so both meet in one meter without colliding.
const RetrySeqBase = 1 << 62

// RetryableStatus is the default of Options.Retryable: the statuses the
// seed documents tell clients to retry (408, 429, 500, 502, 503, 504) and
// the transport failures a new connection can cure (timeout, refused,
// reset).
func RetryableStatus(at *records.Attempt, _ retry.On) bool {
	switch at.Record.ErrorKind {
	case records.ErrNone:
	case records.ErrTimeout, records.ErrRefused, records.ErrReset:
		return true
	default:
		return false
	}
	switch at.Record.Status {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// retrier is the client side of retries: it decides, for each failed
// attempt, whether and when its logical request is tried again, and
// sends the retries when they are due. Its decisions run on the attack's
// converting goroutine; only the sending runs on goroutines of its own.
type retrier struct {
	a         *Attack
	o         retry.Options
	on        retry.On
	of        func(time.Duration, string) (retry.Options, retry.On) // nil: o and on for every request
	retryable func(*records.Attempt, retry.On) bool
	rand      *rand.Rand
	budgets   map[float64]*retry.Budget // by share: the requests of one budget spend it together
	client    *http.Client
	duration  time.Duration // of the attack, 0 when unbounded

	done        chan retried // a scheduled retry's result, or its cancellation
	outstanding int          // retries scheduled whose message on done is still to come
	seq         uint64       // retries scheduled so far

	mu      sync.Mutex
	timers  map[uint64]*time.Timer // pending retries by sequence number
	stopped bool
}

// logical is what a retry needs of its logical request.
type logical struct {
	req       *http.Request // the request to repeat; its body rewinds with GetBody
	name      string        // the request's name
	id        uint64        // the logical request id
	first     time.Time     // when its first attempt was scheduled
	backoff   retry.Backoff // its waits
	on        retry.On      // what its clients retry
	budget    *retry.Budget // its policy's retry budget, nil for none
	share     float64       // the budget's share
	tail      time.Duration // how long after the attack's end its retries may still be due: its policy's cap
	notBefore time.Time     // the previous answer's end plus its Retry-After; zero for none
}

// retried is a scheduled retry, sent or cancelled.
type retried struct {
	lg        *logical
	seq       uint64
	attempt   uint32
	scheduled time.Time
	sent      time.Time
	end       time.Time
	resp      *http.Response // headers only; nil without a response
	cancelled bool           // the attack stopped before it was due
}

func newRetrier(a *Attack, o Options, client *http.Client) *retrier {
	r := &retrier{
		a: a, o: o.Retry, on: o.RetryOn, of: o.RetryOf, retryable: o.Retryable, rand: o.Rand, client: client, duration: o.Duration,
		done: make(chan retried, 64), timers: make(map[uint64]*time.Timer), budgets: make(map[float64]*retry.Budget),
	}
	if r.retryable == nil {
		r.retryable = RetryableStatus
	}
	if r.rand == nil {
		r.rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return r
}

// settle decides about a finished attempt: lg is its logical request's
// state for a retry, nil for a first attempt, whose request req is. It
// sets the attempt's retry flags and schedules the retry, if any.
func (r *retrier) settle(at *records.Attempt, lg *logical, req *http.Request) {
	rec := &at.Record
	if lg == nil {
		o, on := r.policyOf(at)
		budget := r.budgetOf(o.Budget)
		if budget != nil {
			budget.First(rec.Scheduled)
		}
		if rec.Success() || req == nil || !o.Enabled() {
			return // done, a failure that never reached the transport, or a client that does not retry
		}
		lg = &logical{req: req, name: at.Request, id: rec.RequestID, first: rec.Scheduled, backoff: o.Backoff(r.rand),
			budget: budget, share: o.Budget, on: on, tail: o.Cap}
	} else if rec.Success() {
		return
	}
	if !r.retryable(at, lg.on) {
		return // a failure not to retry
	}
	end := rec.Scheduled.Add(rec.Latency)
	var ra time.Duration
	if v := rec.RetryAfter; v != "" {
		if p := ratelimit.ParseRetryAfter(v, ratelimit.ResponseDate(at.Header, end)); p.Form.Valid() {
			ra = max(p.Delay, 0)
		}
	}
	wait, decision := lg.backoff.Plan(int(rec.Attempt), ra)
	switch {
	case decision == retry.Exhausted:
		rec.Retry |= records.RetryExhausted
	case decision == retry.OverCap:
		rec.Retry |= records.RetryTooLong
	case r.isStopped() || r.pastEnd(end.Add(wait), lg):
		rec.Retry |= records.RetryStopped
	case lg.budget != nil && !lg.budget.Take(lg.share, end):
		rec.Retry |= records.RetryBudget
	default:
		rec.Retry |= records.RetryFollows
		lg.notBefore = time.Time{}
		if ra > 0 {
			lg.notBefore = end.Add(ra)
		}
		r.schedule(lg, rec.Attempt+1, end.Add(wait))
	}
}

// schedule sends attempt number n of lg when due.
func (r *retrier) schedule(lg *logical, n uint32, due time.Time) {
	r.seq++
	seq := RetrySeqBase + r.seq
	r.outstanding++
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		go func() { r.done <- retried{lg: lg, seq: seq, cancelled: true} }()
		return
	}
	r.timers[seq] = time.AfterFunc(time.Until(due), func() {
		r.mu.Lock()
		delete(r.timers, seq)
		r.mu.Unlock()
		r.done <- r.send(lg, seq, n, due)
	})
}

// send sends one retry and waits for its answer.
func (r *retrier) send(lg *logical, seq uint64, n uint32, due time.Time) retried {
	out := retried{lg: lg, seq: seq, attempt: n, scheduled: due}
	req := lg.req.Clone(context.Background())
	if lg.req.GetBody != nil {
		if body, err := lg.req.GetBody(); err == nil {
			req.Body = body
		}
	}
	req.Header.Set(seqHeader, strconv.FormatUint(seq, 10))
	req.Header[RequestHeader] = []string{lg.name}
	r.a.retries.Add(1)
	out.sent = time.Now()
	resp, err := r.client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body) // the meter counts and captures it
		_ = resp.Body.Close()
		resp.Body = nil
		out.resp = resp
	}
	out.end = time.Now()
	return out
}

// fill turns a retry's result into its attempt.
func (r *retrier) fill(rt retried, at *records.Attempt) {
	obs, _ := r.a.meter.take(rt.seq)
	rec := &at.Record
	*rec = records.Record{
		Seq:        rt.seq,
		Scheduled:  rt.scheduled,
		Sent:       max(rt.sent.Sub(rt.scheduled), 0),
		Latency:    max(rt.end.Sub(rt.scheduled), 0),
		BytesIn:    obs.bytesIn,
		BytesOut:   obs.bytesOut,
		ErrorKind:  obs.kind,
		Attempt:    rt.attempt,
		RequestID:  rt.lg.id,
		SinceFirst: max(rt.scheduled.Sub(rt.lg.first), 0),
	}
	if !rt.lg.notBefore.IsZero() && rt.sent.Before(rt.lg.notBefore) {
		rec.Retry |= records.RetryEarly
	}
	if rt.resp != nil {
		rec.Status = uint16(rt.resp.StatusCode)
		rec.RetryAfter = rt.resp.Header.Get("Retry-After")
		at.Header = rt.resp.Header
	} else if obs.status != 0 {
		rec.Status = uint16(obs.status) // the body failed after the status line
		rec.RetryAfter = obs.header.Get("Retry-After")
		at.Header = obs.header
	}
	if rec.ErrorKind == records.ErrNone && rt.resp == nil && obs.status == 0 {
		rec.ErrorKind = records.ErrOther
	}
	at.Method, at.URL, at.Scope, at.Principal, at.Request = rt.lg.req.Method, rt.lg.req.URL.String(), obs.scope, obs.principal, rt.lg.name
	if obs.body != nil {
		at.Buffer, at.Body, at.Recycle = obs.body, *obs.body, recycleBody
	}
}

// stop cancels the retries not yet due.
func (r *retrier) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	for seq, t := range r.timers {
		if t.Stop() { // else it fired: its retry is on its way, and says so on done
			delete(r.timers, seq)
			go func() { r.done <- retried{seq: seq, cancelled: true} }()
		}
	}
}

// policyOf returns how the clients of a first attempt's logical request
// retry.
func (r *retrier) policyOf(at *records.Attempt) (retry.Options, retry.On) {
	if r.of == nil {
		return r.o, r.on
	}
	var elapsed time.Duration
	if began, ok := r.a.sched.Began(); ok {
		elapsed = at.Record.Scheduled.Sub(began)
	}
	return r.of(elapsed, at.Request)
}

// budgetOf returns the budget of a share, nil for none.
func (r *retrier) budgetOf(share float64) *retry.Budget {
	if share <= 0 {
		return nil
	}
	b := r.budgets[share]
	if b == nil {
		b = &retry.Budget{}
		r.budgets[share] = b
	}
	return b
}

// pastEnd reports whether a retry due then comes too late: after the end
// of a bounded attack, its lateness allowance and the policy's cap. The
// logical requests of a run settle within that tail, and the run ends.
func (r *retrier) pastEnd(due time.Time, lg *logical) bool {
	began, ok := r.a.sched.Began()
	return r.duration > 0 && ok && due.After(began.Add(r.duration+MaxLateness+lg.tail))
}

func (r *retrier) isStopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}
