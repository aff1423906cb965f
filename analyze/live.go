package analyze

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// TickInterval is how often a live run emits EventTick: the progress
// display's refresh, and the result file's chance to flush.
const TickInterval = 250 * time.Millisecond

// Attack is what a live run needs of a running attack; *attack.Attack
// satisfies it.
type Attack interface {
	// Attempts delivers every attempt, in completion order, and is closed
	// when the attack is over.
	Attempts() <-chan records.Attempt
	// Started counts the attempts sent so far.
	Started() uint64
	// Planned is how many attempts the schedule plans, and whether it is
	// bounded.
	Planned() (uint64, bool)
	// Stop stops scheduling; the attempts in flight still arrive.
	Stop()
}

// LiveOptions configure Live.
type LiveOptions struct {
	// Header is what the stream says of its run, as the result file's
	// header keeps it.
	Header records.Header
	// Start starts the attack, capturing the first bodyLimit bytes of the
	// bodies of the responses whose status needsBody names: those the
	// classifier reads. Live calls it once the stream's Begin has been
	// taken in (so that a result file's header is written before the first
	// request leaves).
	Start func(bodyLimit int, needsBody func(status uint16) bool) (Attack, error)
	// Classifier classifies every response; nil for one with the defaults.
	Classifier *classify.Classifier
	// Checker checks the rate-limit contract on every response; nil for
	// one with the defaults.
	Checker *contract.Checker
	// Grace is how long to wait for the attempts in flight once the run is
	// interrupted.
	Grace time.Duration
	// Abort, when done, stops waiting for the attempts in flight at once
	// (a second interrupt). Nil never aborts.
	Abort context.Context
	// MaxLateness is how far behind its schedule the attack may fall before
	// it stops sending, for the trailer.
	MaxLateness time.Duration
	// Interruption names what cut the run short (a signal), for the
	// trailer; nil means "interrupted".
	Interruption func() string
	// Clock is the time; nil for time.Now.
	Clock func() time.Time
	// Probes, if set, returns the reports of the probes run during the
	// attack (a profile's probe phases), for the trailer.
	Probes func() []probefile.Report
}

// Live is the source of a live run: it starts the attack, classifies every
// attempt and checks it against the rate-limit contract, and ends the
// stream with a trailer that says how the run ended. When Next's context
// is cancelled it stops scheduling and waits up to Grace for the attempts
// in flight; when Abort is done it keeps only what already arrived.
func Live(opts LiveOptions) Source {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Abort == nil {
		opts.Abort = context.Background()
	}
	return &live{opts: opts}
}

// liveStage is where a live stream is.
type liveStage uint8

const (
	liveNew      liveStage = iota // Begin not yet sent
	liveStarting                  // Begin sent, attack not started
	liveRunning                   // attempts arrive
	liveDraining                  // aborted: what already arrived, without waiting
	liveLast                      // everything expected arrived: End next
	liveEnded                     // End sent
)

// live is the state of a live stream.
type live struct {
	opts        LiveOptions
	stage       liveStage
	classifier  *classify.Classifier
	checker     *contract.Checker
	atk         Attack
	attempts    <-chan records.Attempt
	start       time.Time
	tick        *time.Ticker
	received    uint64
	names       requestNames // the requests' names → their ids in the stream
	interrupted bool
	interrupt   <-chan struct{} // the context's Done, until it fires
	deadline    <-chan time.Time
}

// Next implements Source.
func (l *live) Next(ctx context.Context, ev *Event) error {
	switch l.stage {
	case liveNew:
		ev.Kind, ev.Header = EventBegin, l.opts.Header
		// As the result file keeps it: this format, the start in UTC.
		ev.Header.Version, ev.Header.Start = records.FormatVersion, ev.Header.Start.UTC()
		l.stage = liveStarting
		return nil
	case liveStarting:
		if err := l.begin(ctx); err != nil {
			return err
		}
	case liveDraining:
		select {
		case at, ok := <-l.attempts:
			if ok {
				l.record(&at, ev)
				return nil
			}
		default:
		}
		return l.end(ev)
	case liveLast:
		return l.end(ev)
	case liveEnded:
		return io.EOF
	}
	return l.wait(ev)
}

// begin starts the attack.
func (l *live) begin(ctx context.Context) error {
	var err error
	if l.classifier = l.opts.Classifier; l.classifier == nil {
		if l.classifier, err = classify.New(classify.Options{}); err != nil {
			return err // cannot happen: the defaults are valid
		}
	}
	if l.checker = l.opts.Checker; l.checker == nil {
		l.checker = contract.New(contract.Options{})
	}
	if l.atk, err = l.opts.Start(l.classifier.BodyLimit(), l.classifier.NeedsBody); err != nil {
		l.stage = liveEnded
		return err
	}
	l.attempts, l.interrupt = l.atk.Attempts(), ctx.Done()
	l.start = l.opts.Clock()
	l.tick = time.NewTicker(TickInterval)
	l.stage = liveRunning
	return nil
}

// wait waits for the next attempt, tick or interrupt.
func (l *live) wait(ev *Event) error {
	for {
		select {
		case at, ok := <-l.attempts:
			if !ok {
				return l.end(ev)
			}
			l.record(&at, ev)
			if l.interrupted && l.received == l.atk.Started() {
				l.stage = liveLast // everything sent before the interrupt is answered
			}
			return nil
		case <-l.tick.C:
			ev.Kind, ev.Elapsed = EventTick, l.opts.Clock().Sub(l.start)
			return nil
		case <-l.interrupt:
			l.interrupt, l.interrupted = nil, true
			l.atk.Stop()
			if l.received == l.atk.Started() {
				return l.end(ev)
			}
			l.deadline = time.After(l.opts.Grace)
		case <-l.deadline:
			return l.end(ev)
		case <-l.opts.Abort.Done():
			l.interrupted, l.stage = true, liveDraining
			return l.Next(context.Background(), ev)
		}
	}
}

// record turns an attempt into a record event: classified, checked
// against the contract, stamped.
func (l *live) record(at *records.Attempt, ev *Event) {
	l.received++
	ev.Kind, ev.Record = EventRecord, at.Record
	rec := &ev.Record
	rec.Request, ev.RequestName = l.names.id(at.Request)
	cl := stamp(l.classifier, ev, &classify.Response{
		Status: rec.Status, Kind: rec.ErrorKind, ContentType: at.Header.Get("Content-Type"),
		Body: at.Body, BodyLen: rec.BytesIn, ContentEncoding: at.Header.Get("Content-Encoding"),
		Method: at.Method, URL: at.URL,
	})
	cr := contract.Response{
		Status: rec.Status, Header: at.Header, Sent: rec.Scheduled.Add(rec.Sent), Received: rec.Scheduled.Add(rec.Latency),
		Scope: at.Scope, Principal: at.Principal, Class: rec.Class,
	}
	if rec.Status == 429 || rec.Status == 503 {
		cr.Body = cl.Body // for a wait stated in the body, inflated
	}
	l.checker.Add(&cr)
	at.Release()
	// Stored as sent but for the secrets: a server may reflect a key there.
	rec.RetryAfter = l.classifier.MaskSecrets(rec.RetryAfter)
	// As the result file keeps it: in UTC, without the monotonic reading.
	rec.Scheduled = rec.Scheduled.UTC()
}

// stamp classifies a response and stamps the record of ev with its class:
// the one place where live runs and re-read vegeta results are
// classified. ev also gets the class's description on its first record,
// and the sample the response added.
func stamp(c *classify.Classifier, ev *Event, resp *classify.Response) classify.Classified {
	cl := c.Classify(resp)
	rec := &ev.Record
	rec.Class, rec.ErrorCode, rec.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
	if cl.NewClass {
		ev.Class = &cl.Class.Class
	}
	if cl.NewSample {
		ev.Sample = cl.Class.Samples[len(cl.Class.Samples)-1]
	}
	return cl
}

// Close stops the attack, if it still runs (a sink failed), and lets the
// attempts still to come go: nothing waits for them.
func (l *live) Close() error {
	if l.atk == nil {
		return nil
	}
	l.atk.Stop()
	l.tick.Stop()
	go func(attempts <-chan records.Attempt) {
		for at := range attempts {
			at.Release()
		}
	}(l.attempts)
	l.atk = nil
	return nil
}

// end ends the stream with its trailer.
func (l *live) end(ev *Event) error {
	l.stage = liveEnded
	l.tick.Stop()
	t := &records.Trailer{
		End: l.opts.Clock().UTC(), Truncated: l.classifier.Truncated(), BodyLimit: l.classifier.BodyLimit(),
		MaxClasses: l.classifier.Classes().Max(), MaxLatenessMs: l.opts.MaxLateness.Milliseconds(),
		Contract: contractJSON(l.checker.Report(), records.MaxPayloadLen/2),
	}
	if l.opts.Probes != nil {
		t.Probes = probesJSON(l.opts.Probes(), records.MaxPayloadLen/2-1024)
	}
	if l.interrupted {
		t.Unanswered = l.atk.Started() - l.received
		t.Interrupted = "interrupted"
		if l.opts.Interruption != nil {
			t.Interrupted = l.opts.Interruption()
		}
	} else if planned, bounded := l.atk.Planned(); bounded && planned > l.atk.Started() {
		t.Unsent = planned - l.atk.Started()
	}
	ev.Kind, ev.End, ev.Elapsed = EventEnd, &End{Trailer: t}, l.opts.Clock().Sub(l.start)
	return nil
}

// probesJSON encodes probe reports in at most limit bytes in all: the
// reports that do not fit are left out (a probe's report is a few
// hundred bytes per round).
func probesJSON(reps []probefile.Report, limit int) []json.RawMessage {
	var out []json.RawMessage
	for _, rep := range reps {
		b, err := json.Marshal(rep)
		if err != nil || len(b) > limit {
			continue
		}
		limit -= len(b)
		out = append(out, b)
	}
	return out
}

// contractJSON encodes a contract report in at most limit bytes, dropping
// examples, the latest first, until it fits.
func contractJSON(c *contract.Report, limit int) json.RawMessage {
	b, _ := json.Marshal(c) // cannot fail: plain data
	if len(b) <= limit {
		return b
	}
	short := *c
	short.Rules = slices.Clone(c.Rules)
	for keep := contract.MaxExamples - 1; keep >= 0 && len(b) > limit; keep-- {
		for i := range short.Rules {
			short.Rules[i].Examples = short.Rules[i].Examples[:min(keep, len(short.Rules[i].Examples))]
		}
		b, _ = json.Marshal(&short)
	}
	return b
}
