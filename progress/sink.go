package progress

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze"
)

// Sink shows a live run's progress on a Display: a snapshot of the run at
// every tick of the stream, a last one when it is over, then the display
// is closed. It is an analyze.Sink.
type Sink struct {
	d        Display
	total    time.Duration // planned duration, 0 if unbounded
	began    bool          // the stream began
	elapsed  time.Duration // since the attack began, as the stream last said
	recent   recentWindow
	lag      lagWindow
	finished bool // the stream ended without an interrupt
	// Phase, when set, names the phase of a profile running now.
	Phase func() string
}

// NewSink returns the sink that shows a run planned to last total (0 if
// unbounded) on d.
func NewSink(d Display, total time.Duration) *Sink {
	return &Sink{d: d, total: total}
}

// Observe implements analyze.Sink.
func (s *Sink) Observe(ev *analyze.Event, run *analyze.Run) error {
	switch ev.Kind {
	case analyze.EventBegin:
		s.began = true
	case analyze.EventRecord:
		s.lag.observe(ev.Record.Sent)
	case analyze.EventTick:
		s.elapsed = ev.Elapsed
		s.lag.tick()
		s.d.Update(s.snapshot(run))
	case analyze.EventEnd:
		s.elapsed = max(s.elapsed, ev.Elapsed)
		s.finished = ev.End.Trailer != nil && ev.End.Trailer.Interrupted == ""
	}
	return nil
}

// Finish implements analyze.Finisher: the last snapshot, then the display
// closes. A run that failed or was interrupted leaves its bar short.
func (s *Sink) Finish(run *analyze.Run, err error) error {
	if !s.began { // nothing to show
		s.d.Close()
		return nil
	}
	final := s.snapshot(run)
	final.Finished = s.finished && err == nil
	s.d.Update(final)
	s.d.Close()
	return nil
}

// snapshot is the state of the run at the stream's last word on time.
func (s *Sink) snapshot(run *analyze.Run) Snapshot {
	elapsed := s.elapsed
	sum := run.Summary
	recent, failed, span := s.recent.observe(sample{at: elapsed, requests: sum.Requests, failed: sum.Requests - min(sum.Successes, sum.Requests)})
	rate := 0.0
	if span > 0 {
		rate = float64(recent) / span.Seconds()
	}
	return Snapshot{
		Elapsed:      elapsed,
		Total:        s.total,
		Requests:     sum.Requests,
		Successes:    sum.Successes,
		Rate:         rate,
		Recent:       recent,
		RecentFailed: failed,
		P99:          time.Duration(sum.Latency.ValueAtQuantile(99)) * time.Microsecond,
		Status:       statusCounts(sum.Status),
		Phase:        s.phase(),
		Behind:       s.lag.most(),
	}
}

// phase names the phase running, "" without phases.
func (s *Sink) phase() string {
	if s.Phase == nil {
		return ""
	}
	return s.Phase()
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

// lagWindow keeps the largest send delay of the records of the last few
// ticks: how far behind its schedule stampede is now.
type lagWindow struct {
	ticks [5]time.Duration // the largest of each of the last ticks, ring
	n     int
}

// observe counts a record's send delay in the current tick.
func (l *lagWindow) observe(sent time.Duration) {
	i := l.n % len(l.ticks)
	l.ticks[i] = max(l.ticks[i], sent)
}

// tick starts the next tick, forgetting the oldest.
func (l *lagWindow) tick() {
	l.n++
	l.ticks[l.n%len(l.ticks)] = 0
}

// most is the largest send delay of the ticks kept.
func (l *lagWindow) most() time.Duration {
	var m time.Duration
	for _, t := range l.ticks {
		m = max(m, t)
	}
	return m
}

// sample is the running counts of a stream at a time.
type sample struct {
	at               time.Duration // the stream's elapsed time
	requests, failed uint64        // responses so far, and those not successes
}

// recentWindow keeps the samples of the last few seconds of ticks, to
// tell what happened over the last Window. A live run ticks every
// analyze.TickInterval (250 ms) and a tick may come late or be dropped
// when the consume loop is busy, so the window is measured on the
// samples' own times, not counted in ticks.
type recentWindow struct {
	samples [16]sample // ring; 4 s of 250 ms ticks, room for late ones
	n       int        // samples taken
}

// observe keeps now and returns the responses since the kept sample
// closest to Window before it, the failures among them, and the span
// between the two (0 when there is no earlier sample): the rate over the
// last second is responses / span. The stream begins at 0 with nothing
// counted, so the first second is measured from there.
func (r *recentWindow) observe(now sample) (responses, failed uint64, span time.Duration) {
	from, found := sample{}, now.at > 0 // the stream's start, nothing counted
	best := absDuration(now.at - Window)
	for _, c := range r.samples[:min(r.n, len(r.samples))] {
		if c.at >= now.at || c.requests > now.requests || c.failed > now.failed {
			continue // not earlier, or the counts went back: no start
		}
		if d := absDuration(now.at - Window - c.at); !found || d < best {
			from, best, found = c, d, true
		}
	}
	r.samples[r.n%len(r.samples)] = now
	r.n++
	if !found {
		return 0, 0, 0
	}
	return now.requests - from.requests, now.failed - from.failed, now.at - from.at
}

// absDuration is |d|.
func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
