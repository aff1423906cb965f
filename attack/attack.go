// Package attack sends paced HTTP load with vegeta's attacker and turns every
// attempt into a records.Record whose latency is measured from the moment the
// request was scheduled to leave.
package attack

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/records"
)

// MaxLateness is how far behind its schedule an attack may fall before it
// stops sending: a bounded attack ends at most this long after its duration,
// and the requests it could not send in time are reported as unsent.
const MaxLateness = time.Second

// Defaults of Options.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultWorkers     = 10
	DefaultConnections = 10000
	// DefaultMaxWorkers bounds the requests in flight when Options give
	// no bound (docs/performance.md). An unbounded pool, vegeta's default,
	// grows a worker, a connection and their buffers for every tick that
	// finds all workers busy: on a loaded machine that feeds on itself
	// until the generator collapses (841 MB and 57 % of a 20,000/s rate).
	// With a bound, a target slower than the rate needs makes requests
	// queue: their latency, measured from the scheduled send, shows it,
	// and the send delay says that stampede, not the target, fell behind.
	// 512 workers keep up with 2,500/s of 200 ms answers, in some 40 MB.
	DefaultMaxWorkers = 512
	// NoLimit as MaxWorkers lets the pool grow without bound.
	NoLimit = math.MaxUint64
)

// Options describe one attack.
type Options struct {
	Targets  []vegeta.Target // requests to send, round-robin
	Shape    pace.Shape      // the load shape; nil with Concurrency
	Duration time.Duration   // 0 for an attack that runs until stopped
	// Concurrency, when above 0, makes the attack a closed model instead
	// of following Shape: that many workers, each sending its next
	// request as soon as its previous one is answered (wrk -c, k6
	// constant-vus). Latency then runs from each actual send: a closed
	// model cannot show coordinated omission.
	Concurrency uint64
	Workers     uint64 // initial workers, 0 for DefaultWorkers
	// MaxWorkers bounds the workers, and so the first attempts in
	// flight: 0 for DefaultMaxWorkers, NoLimit for no bound. Unless the
	// transport sets its own, it also bounds the connections per host,
	// which retries share.
	MaxWorkers uint64
	Transport  TransportOptions
	Capture    Capture // which response bodies to keep the start of, for classification
	// Next, when set, makes each request instead of Targets: it fills t
	// with a target of its own (a fresh Header) for a request due elapsed
	// after the attack began, and returns the request's name. Requests of
	// Targets are named by their method and path, "GET /v1/items".
	Next func(elapsed time.Duration, t *vegeta.Target) (name string, err error)
	// Retry is how the simulated clients retry a failed attempt; the
	// zero value never retries. Retries are attempts of their own, sent
	// when the policy says, beside the schedule of first attempts.
	Retry retry.Options
	// RetryOn says which failed attempts the clients retry.
	RetryOn retry.On
	// RetryOf, when set, gives the retry options of a logical request
	// instead of Retry and RetryOn (a profile's phase or request has its
	// own): from its name and when its first attempt was scheduled,
	// elapsed after the attack began.
	RetryOf func(elapsed time.Duration, request string) (retry.Options, retry.On)
	// Retryable decides whether a failed attempt is one on says to
	// retry; nil for RetryableStatus (which ignores on). Called on one
	// goroutine at a time.
	Retryable func(at *records.Attempt, on retry.On) bool
	// Rand draws the retries' jitter; nil for a randomly seeded source.
	Rand *rand.Rand

	// roundTripper, when set (by tests), sends instead of a transport
	// built from Transport.
	roundTripper http.RoundTripper
}

// Capture says which response bodies an attack keeps the first bytes of.
// Every body is read to its end and counted either way; the zero value
// keeps none.
type Capture struct {
	Limit  int               // bytes kept per body; 0 keeps none
	Status func(uint16) bool // whether to keep the body of a response with this status; nil: none
}

// wants reports whether the body of a response with this status is kept.
func (c Capture) wants(status int) bool {
	return c.Limit > 0 && c.Status != nil && status >= 0 && status <= 0xffff && c.Status(uint16(status))
}

// recycleBody takes a captured body's buffer back for reuse
// (records.Attempt.Recycle).
func recycleBody(buf *[]byte) {
	if cap(*buf) <= maxPooledBody { // a larger one is left to the collector
		bodyPool.Put(buf)
	}
}

// maxPooledBody bounds the buffers kept for reuse: bodies captured with a
// larger limit are rare, and pooling them would hold their memory.
const maxPooledBody = 64 << 10

// DefaultTransport returns the transport options of the command line's
// defaults. The zero TransportOptions is different: no timeout and no
// keep-alive.
func DefaultTransport() TransportOptions {
	return TransportOptions{Timeout: DefaultTimeout, Connections: DefaultConnections, KeepAlive: true}
}

// Validate reports every problem of the options at once, each a
// *field.Error named as the command's flags are ("workers 20: …").
func (o Options) Validate() []error {
	var errs []error
	if len(o.Targets) == 0 && o.Next == nil {
		errs = append(errs, field.Errorf("targets", "", "none given"))
	}
	switch {
	case o.Concurrency > pace.MaxConcurrency:
		errs = append(errs, field.Errorf("concurrency", strconv.FormatUint(o.Concurrency, 10), "at most %d workers", pace.MaxConcurrency))
	case o.Concurrency > 0 && o.Shape != nil:
		errs = append(errs, field.Errorf("concurrency", strconv.FormatUint(o.Concurrency, 10), "a closed model has no load shape: drop the rate and pace"))
	case o.Concurrency > 0 && (o.Workers > 0 || o.MaxWorkers > 0):
		errs = append(errs, field.Errorf("concurrency", strconv.FormatUint(o.Concurrency, 10), "is the number of workers of a closed model: drop --workers and --max-workers"))
	case o.Concurrency > 0 && (o.Retry.Enabled() || o.RetryOf != nil):
		errs = append(errs, field.Errorf("concurrency", strconv.FormatUint(o.Concurrency, 10), "retrying clients run in the open model: drop --retry, or give a --rate"))
	case o.Concurrency == 0 && o.Shape == nil:
		errs = append(errs, field.Errorf("pace", "", "no load shape"))
	}
	if o.Duration < 0 {
		errs = append(errs, field.Errorf("duration", o.Duration.String(), "must be >= 0 (0 runs until interrupted)"))
	}
	if o.Transport.Timeout < 0 {
		errs = append(errs, field.Errorf("timeout", o.Transport.Timeout.String(), "must be >= 0"))
	}
	if o.MaxWorkers > 0 && o.Workers > o.MaxWorkers {
		errs = append(errs, field.Errorf("workers", strconv.FormatUint(o.Workers, 10), "more than the maximum of %d workers", o.MaxWorkers))
	}
	if o.Retry.Enabled() {
		errs = append(errs, o.Retry.Validate()...)
	}
	return errs
}

// workers returns how many workers the attack starts with and how many
// it may grow to.
func (o Options) workers() (start, most uint64) {
	if o.Concurrency > 0 {
		return o.Concurrency, o.Concurrency
	}
	start, most = o.Workers, o.MaxWorkers
	if start == 0 {
		start = DefaultWorkers
	}
	if most == 0 {
		most = DefaultMaxWorkers
	}
	return min(start, most), most
}

// errStopped is what the targeter answers once the attack is stopped, so
// that a tick vegeta releases after Stop sends nothing.
var errStopped = errors.New("stampede: attack stopped")

// Attack is a running attack.
type Attack struct {
	sched    *pace.Schedule
	atk      *vegeta.Attacker
	meter    *meter
	attempts chan records.Attempt
	stopped  atomic.Bool
	started  atomic.Uint64 // attempts the targeter let through
	retries  atomic.Uint64 // retries sent
	retrier  *retrier      // nil without retries
}

// Start begins an attack. Records arrive on Records until the schedule ends
// or Stop is called and the attempts in flight are answered.
func Start(o Options) (*Attack, error) {
	if errs := o.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	workers, maxWorkers := o.workers()
	var tr http.RoundTripper = o.roundTripper
	if tr == nil {
		to := o.Transport
		if to.MaxConnections == 0 && maxWorkers <= math.MaxInt {
			to.MaxConnections = int(maxWorkers) // retries wait for a connection too
		}
		t, err := newTransport(to)
		if err != nil {
			return nil, fmt.Errorf("build transport: %w", err)
		}
		tr = t
	}
	sched := pace.NewClosedSchedule(o.Duration)
	if o.Concurrency == 0 {
		sched = pace.NewSchedule(o.Shape, o.Duration)
	}
	a := &Attack{
		sched:    sched,
		meter:    newMeter(tr, o.Capture),
		attempts: make(chan records.Attempt, 1024),
	}
	client := newClient(o.Transport, a.meter)
	if o.Retry.Enabled() || o.RetryOf != nil {
		a.retrier = newRetrier(a, o, client)
		a.meter.keepRequests = true
	}
	a.atk = vegeta.NewAttacker(
		vegeta.Workers(workers),
		vegeta.MaxWorkers(maxWorkers),
		vegeta.MaxBody(0), // bodies are drained and counted by the meter, not kept
		vegeta.Client(client),
	)
	static := vegeta.NewStaticTargeter(o.Targets...)
	targeter := func(t *vegeta.Target) error {
		// Count first, then check: Stop sets stopped before reading
		// started, so an attempt is either counted or refused, never lost.
		a.started.Add(1)
		if a.stopped.Load() || a.tooLate(o.Duration) {
			a.started.Add(^uint64(0))
			return errStopped
		}
		if o.Next != nil {
			return a.next(o.Next, t)
		}
		return static(t)
	}
	// The schedule ends the attack exactly on time; vegeta's own clock is
	// the backstop that ends it anyway when it is running late.
	deadline := time.Duration(0)
	if o.Duration > 0 {
		deadline = o.Duration + MaxLateness
	}
	vres := a.atk.Attack(targeter, a.sched, deadline, "")
	go a.convert(vres)
	return a, nil
}

// next makes a request with Options.Next, its name in RequestHeader for
// the meter.
func (a *Attack) next(next func(time.Duration, *vegeta.Target) (string, error), t *vegeta.Target) error {
	var elapsed time.Duration
	if began, ok := a.sched.Began(); ok {
		elapsed = time.Since(began)
	}
	name, err := next(elapsed, t)
	if err != nil {
		return err
	}
	if t.Header == nil {
		t.Header = make(http.Header, 1)
	}
	t.Header[RequestHeader] = []string{name}
	return nil
}

// tooLate reports whether a bounded attack of duration d is past its end
// plus MaxLateness: an attempt handed to a worker that late (workers are
// capped, and all were busy) is refused and reported as unsent, so that
// the attack really ends within MaxLateness of its duration. A closed
// model's attempt is refused from the end of its duration: its workers
// are never behind, only busy.
func (a *Attack) tooLate(d time.Duration) bool {
	if d <= 0 {
		return false
	}
	began, ok := a.sched.Began()
	limit := d + MaxLateness
	if a.sched.Closed() {
		limit = d // a closed model is never behind: it ends on time
	}
	return ok && time.Since(began) > limit
}

// Attempts returns the stream of attempts, in completion order. It is
// closed when the attack is over. The receiver calls Release on each
// attempt once done with its Body.
func (a *Attack) Attempts() <-chan records.Attempt { return a.attempts }

// Planned returns the attempts planned in all: those the schedule plans
// and the retries sent so far; and whether it is bounded (an attack of
// duration 0 runs until stopped).
//
// A closed model plans what it sends, as it sends it: it has no schedule
// to fall behind, and a chain of legs counts its attempts as planned, so
// that they cannot make up for the unsent attempts of a paced leg.
func (a *Attack) Planned() (uint64, bool) {
	if a.sched.Closed() {
		return a.Started(), a.sched.Duration() > 0
	}
	n, bounded := a.sched.Planned()
	return n + a.retries.Load(), bounded
}

// Started returns the number of attempts sent so far, retries included.
func (a *Attack) Started() uint64 { return a.started.Load() + a.retries.Load() }

// Stop stops scheduling: no new attempt is sent, and no retry not yet
// due; those in flight complete and are delivered.
func (a *Attack) Stop() {
	a.stopped.Store(true)
	a.sched.Stop()
	if a.retrier != nil {
		a.retrier.stop()
	}
}

// convert turns vegeta's results and the retries' into attempts, deciding
// about the retry of each, until both are over.
func (a *Attack) convert(vres <-chan *vegeta.Result) {
	defer close(a.attempts)
	var done chan retried
	if a.retrier != nil {
		done = a.retrier.done
	}
	for vres != nil || (a.retrier != nil && a.retrier.outstanding > 0) {
		var at records.Attempt
		select {
		case vr, ok := <-vres:
			if !ok {
				vres = nil
				continue
			}
			if vr.Method == "" && vr.Error == errStopped.Error() {
				continue // refused after Stop: nothing was sent
			}
			req := a.fill(vr, &at)
			if a.retrier != nil {
				a.retrier.settle(&at, nil, req)
			}
		case rt := <-done:
			a.retrier.outstanding--
			if rt.cancelled {
				continue
			}
			a.retrier.fill(rt, &at)
			a.retrier.settle(&at, rt.lg, nil)
		}
		a.attempts <- at
	}
}

// fill converts a vegeta result into a record, and returns the request
// that was sent when the meter kept it (for a retry). Latency runs from the time
// the schedule assigned to the result's sequence number: the n-th attempt a
// worker takes is the n-th tick of the schedule, so a stalled target or a
// shortage of workers shows up as latency instead of vanishing.
func (a *Attack) fill(vr *vegeta.Result, at *records.Attempt) *http.Request {
	scheduled := a.sched.Scheduled(vr.Seq)
	if scheduled.IsZero() {
		scheduled = vr.Timestamp // a closed model's hit leaves when its worker is free
	}
	end := vr.Timestamp.Add(vr.Latency)
	obs, _ := a.meter.take(vr.Seq)

	rec := &at.Record
	*rec = records.Record{
		Seq:       vr.Seq,
		Scheduled: scheduled,
		Sent:      max(vr.Timestamp.Sub(scheduled), 0),
		Latency:   max(end.Sub(scheduled), 0),
		Status:    vr.Code,
		BytesIn:   obs.bytesIn,
		BytesOut:  obs.bytesOut,
		ErrorKind: obs.kind,
		Attempt:   1,
		RequestID: vr.Seq,
	}
	if rec.Status == 0 && obs.status != 0 {
		rec.Status = uint16(obs.status) // the body failed after the status line
	}
	if rec.ErrorKind == records.ErrNone && vr.Code == 0 && vr.Error != "" {
		rec.ErrorKind = records.ErrOther // failed before reaching the transport
	}
	header := vr.Headers
	if header == nil {
		header = obs.header // vegeta drops the headers of a body that failed
	}
	rec.RetryAfter = header.Get("Retry-After") // "" for no header: a nil Header has none
	at.Header, at.Method, at.URL, at.Scope, at.Principal, at.Request = header, vr.Method, vr.URL, obs.scope, obs.principal, obs.request
	if obs.body != nil {
		at.Buffer, at.Body, at.Recycle = obs.body, *obs.body, recycleBody
	}
	return obs.req
}
