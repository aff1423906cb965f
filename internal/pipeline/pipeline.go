// Package pipeline is the single consume loop of a run: every record an
// attack emits is appended to the result file, added to the summary and
// counted for the progress display, in that order, by one goroutine.
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/progress"
	"github.com/stampede-dev/stampede/records"
)

// FlushInterval bounds how long a record can sit in the result file's
// buffer: a process killed outright loses at most this much.
const FlushInterval = 500 * time.Millisecond

// ProgressInterval is how often the progress display is refreshed.
const ProgressInterval = 250 * time.Millisecond

// Config is one run.
type Config struct {
	Attack     attack.Options
	Classifier *classify.Classifier // nil for one with the defaults
	Contract   *contract.Checker    // rate-limit contract checks; nil for the defaults
	Header     records.Header       // header of the result file
	Output     io.Writer            // where the result file goes; nil for none
	Progress   progress.Display     // nil for none
	Grace      time.Duration        // how long to wait for attempts in flight after an interrupt
	Clock      func() time.Time     // nil for time.Now
	// Interruption names what cut the run short (a signal), for the
	// result file's trailer; nil means "interrupted".
	Interruption func() string
}

// Outcome is what a run produced.
type Outcome struct {
	Summary     *analyze.Summary
	Records     uint64           // records written to the result file
	Interrupted bool             // ctx was cancelled before the schedule ended
	Unanswered  uint64           // attempts still in flight when waiting gave up
	Unsent      uint64           // scheduled attempts never sent: the attack fell more than attack.MaxLateness behind
	Truncated   uint64           // bodies longer than the classifier's limit, classified from their start
	Contract    *contract.Report // the rate-limit contract checks of every response
}

// Run starts the attack and consumes its records until the schedule ends.
// When ctx is cancelled it stops scheduling and waits up to cfg.Grace for
// the attempts in flight; when abort is cancelled it stops waiting at once.
// Everything received is written and flushed before Run returns.
func Run(ctx, abort context.Context, cfg Config) (Outcome, error) {
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	display := cfg.Progress
	if display == nil {
		display = progress.Quiet{}
	}
	classifier := cfg.Classifier
	if classifier == nil {
		var err error
		if classifier, err = classify.New(classify.Options{}); err != nil {
			return Outcome{}, err // cannot happen: the defaults are valid
		}
	}
	cfg.Attack.Capture = attack.Capture{Limit: classifier.BodyLimit(), Status: classifier.NeedsBody}
	checker := cfg.Contract
	if checker == nil {
		checker = contract.New(contract.Options{})
	}
	out := Outcome{Summary: analyze.NewSummaryFor(classifier.Classes())}

	var w *records.Writer
	if cfg.Output != nil {
		var err error
		if w, err = records.NewWriter(cfg.Output, cfg.Header); err != nil {
			return out, fmt.Errorf("write result file header: %w", err)
		}
		if err := w.Flush(); err != nil {
			return out, fmt.Errorf("write result file header: %w", err)
		}
	}

	atk, err := attack.Start(cfg.Attack)
	if err != nil {
		return out, err
	}
	start := now()
	flush := time.NewTicker(FlushInterval)
	defer flush.Stop()
	tick := time.NewTicker(ProgressInterval)
	defer tick.Stop()

	var (
		received  uint64
		rate      rateWindow
		interrupt = ctx.Done()
		deadline  <-chan time.Time
		writeErr  error
	)
	attempts := atk.Records()
	snapshot := func() progress.Snapshot {
		elapsed := now().Sub(start)
		return progress.Snapshot{
			Elapsed:   elapsed,
			Total:     cfg.Attack.Duration,
			Requests:  out.Summary.Requests,
			Successes: out.Summary.Successes,
			Rate:      rate.observe(elapsed, out.Summary.Requests),
			P99:       time.Duration(out.Summary.Latency.ValueAtQuantile(99)) * time.Microsecond,
			Status:    statusCounts(out.Summary.Status),
		}
	}

	consume := func(at *attack.Attempt) {
		received++
		rec := &at.Record
		cl := classifier.Classify(&classify.Response{
			Status: rec.Status, Kind: rec.ErrorKind, ContentType: at.Header.Get("Content-Type"),
			Body: at.Body, BodyLen: rec.BytesIn, ContentEncoding: at.Header.Get("Content-Encoding"),
			Method: at.Method, URL: at.URL,
		})
		rec.Class, rec.ErrorCode, rec.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
		cr := contract.Response{
			Status: rec.Status, Header: at.Header, Sent: rec.Scheduled.Add(rec.Sent), Received: rec.Scheduled.Add(rec.Latency),
			Scope: at.Scope, Principal: at.Principal, Class: rec.Class,
		}
		if rec.Status == 429 || rec.Status == 503 {
			cr.Body = cl.Body // for a wait stated in the body, inflated
		}
		checker.Add(&cr)
		at.Release()
		if w != nil && writeErr == nil {
			writeErr = writeClassified(w, rec, cl)
		}
		out.Summary.Add(rec)
	}

loop:
	for {
		select {
		case at, ok := <-attempts:
			if !ok {
				break loop
			}
			consume(&at)
			if out.Interrupted && received == atk.Started() {
				break loop // everything sent before the interrupt is answered
			}
		case <-flush.C:
			if w != nil && writeErr == nil {
				writeErr = w.Flush()
			}
		case <-tick.C:
			display.Update(snapshot())
		case <-interrupt:
			interrupt = nil
			out.Interrupted = true
			atk.Stop()
			if received == atk.Started() {
				break loop
			}
			deadline = time.After(cfg.Grace)
		case <-deadline:
			break loop
		case <-abort.Done():
			out.Interrupted = true
			drain(attempts, consume) // keep what already arrived
			break loop
		}
		if writeErr != nil {
			atk.Stop()
			break loop
		}
	}
	out.Truncated = classifier.Truncated()
	out.Contract = checker.Report()
	if out.Interrupted {
		out.Unanswered = atk.Started() - received
	} else if planned, bounded := atk.Schedule().Planned(); bounded && planned > atk.Started() && writeErr == nil {
		out.Unsent = planned - atk.Started()
	}
	if w != nil && writeErr == nil {
		writeErr = w.WriteTrailer(trailer(&cfg, &out, classifier, now()))
	}
	final := snapshot()
	final.Finished = !out.Interrupted && writeErr == nil
	display.Update(final)
	display.Close()
	if w != nil {
		if writeErr == nil {
			writeErr = w.Flush()
		}
		out.Records = w.Count()
	}
	if writeErr != nil {
		return out, fmt.Errorf("write result file: %w", writeErr)
	}
	return out, nil
}

// writeClassified writes a record, preceded by the frame of its class when
// the record created it and by the frame of a sample it added: a class
// frame always comes before the records of the class.
func writeClassified(w *records.Writer, rec *records.Record, cl classify.Classified) error {
	if cl.NewClass {
		if err := w.WriteClass(&cl.Class.Class); err != nil {
			return err
		}
	}
	if cl.NewSample {
		if err := w.WriteSample(cl.Class.ID, []byte(cl.Class.Samples[len(cl.Class.Samples)-1])); err != nil {
			return err
		}
	}
	return w.Write(rec)
}

// trailer returns what the result file keeps of the run's end.
func trailer(cfg *Config, out *Outcome, classifier *classify.Classifier, end time.Time) *records.Trailer {
	t := &records.Trailer{
		End: end.UTC(), Unanswered: out.Unanswered, Unsent: out.Unsent, Truncated: out.Truncated,
		BodyLimit: classifier.BodyLimit(), MaxClasses: classifier.Classes().Max(),
	}
	if out.Interrupted {
		t.Interrupted = "interrupted"
		if cfg.Interruption != nil {
			t.Interrupted = cfg.Interruption()
		}
	}
	t.Contract = contractJSON(out.Contract, records.MaxPayloadLen-1024)
	return t
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

// drain consumes the attempts already delivered, without waiting for more.
func drain(attempts <-chan attack.Attempt, consume func(*attack.Attempt)) {
	for {
		select {
		case at, ok := <-attempts:
			if !ok {
				return
			}
			consume(&at)
		default:
			return
		}
	}
}

// statusCounts renders "200:4990 503:10", ascending by status.
func statusCounts(m map[uint16]uint64) string {
	codes := make([]uint16, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var b strings.Builder
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(int(c)))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(m[c], 10))
	}
	return b.String()
}

// rateWindow measures the completion rate over about the last second from
// samples of a running count.
type rateWindow struct {
	samples [5]struct {
		at    time.Duration
		count uint64
	}
	n int
}

// observe records a sample and returns the rate since the oldest kept
// sample: (count − oldCount) / (at − oldAt).
func (r *rateWindow) observe(at time.Duration, count uint64) float64 {
	i := r.n % len(r.samples)
	r.samples[i].at, r.samples[i].count = at, count
	r.n++
	oldest := 0
	if r.n > len(r.samples) {
		oldest = r.n % len(r.samples)
	}
	o := r.samples[oldest]
	if span := at - o.at; span > 0 {
		return float64(count-o.count) / span.Seconds()
	}
	return 0
}
