package analyze

import (
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

// Retries aggregates a run's logical requests and what their retries
// made of them, from the records' attempt numbers and retry flags. A
// logical request is settled by its last attempt: one that succeeded,
// or failed with no retry to follow. Merging is exact.
type Retries struct {
	Logical   uint64 // logical requests: first attempts
	Retries   uint64 // attempts after the first
	Succeeded uint64 // logical requests whose last attempt succeeded
	GaveUp    uint64 // logical requests given up on a retryable failure (Exhausted + Budget + TooLong + Stopped)
	Failed    uint64 // logical requests whose last attempt failed and was not to be retried

	Exhausted uint64 // given up: the attempts allowed were used up
	Budget    uint64 // given up: the retry budget was spent
	TooLong   uint64 // given up: the Retry-After asked for a wait beyond the policy's cap
	Stopped   uint64 // given up: the run stopped first

	// Early counts retries sent before the Retry-After of the attempt
	// before them had passed: 0 for a client that honours it.
	Early uint64
	// NonRetryable counts attempts of a class that is not retryable
	// (400, 401, 403, 404…) that were retried anyway: 0 by default.
	NonRetryable uint64

	// TimeToSuccess is the time from the scheduled send of each
	// succeeded logical request's first attempt to the end of its
	// successful one, in microseconds.
	TimeToSuccess *hdrhistogram.Histogram

	// FirstLogical and LastLogical are the earliest and latest scheduled
	// sends of a first attempt: the span of the offered load, which the
	// retries that follow its end do not stretch.
	FirstLogical, LastLogical time.Time
	// Spans are the stretches of the first attempts of runs recorded at
	// different times (as Summary.Spans), nil for one: OfferedRate counts
	// their time, not the gaps between them.
	Spans []Span
}

func newRetries() Retries { return Retries{TimeToSuccess: NewLatencyHistogram()} }

// add counts one attempt of class c.
func (s *Retries) add(r *records.Record, c *classify.Class) {
	if r.Attempt <= 1 {
		s.Logical++
		s.widen(r.Scheduled, r.Scheduled)
	} else {
		s.Retries++
	}
	if r.Retry&records.RetryEarly != 0 {
		s.Early++
	}
	if r.Retry&records.RetryFollows != 0 {
		if c != nil && !c.Retryable && !r.Success() {
			s.NonRetryable++
		}
		return // not its request's last attempt
	}
	switch {
	case r.Success():
		s.Succeeded++
		RecordLatency(s.TimeToSuccess, r.SinceFirst+r.Latency)
	case r.Retry.GaveUp():
		s.GaveUp++
		switch {
		case r.Retry&records.RetryExhausted != 0:
			s.Exhausted++
		case r.Retry&records.RetryBudget != 0:
			s.Budget++
		case r.Retry&records.RetryTooLong != 0:
			s.TooLong++
		default:
			s.Stopped++
		}
	default:
		s.Failed++
	}
}

// merge adds o into s.
func (s *Retries) merge(o *Retries) {
	s.Logical += o.Logical
	s.Retries += o.Retries
	s.Succeeded += o.Succeeded
	s.GaveUp += o.GaveUp
	s.Failed += o.Failed
	s.Exhausted += o.Exhausted
	s.Budget += o.Budget
	s.TooLong += o.TooLong
	s.Stopped += o.Stopped
	s.Early += o.Early
	s.NonRetryable += o.NonRetryable
	s.TimeToSuccess.Merge(o.TimeToSuccess)
	if o.Logical > 0 {
		s.widen(o.FirstLogical, o.LastLogical)
	}
}

// widen makes the span of the first attempts cover first to last.
func (s *Retries) widen(first, last time.Time) {
	if s.FirstLogical.IsZero() || first.Before(s.FirstLogical) {
		s.FirstLogical = first
	}
	if last.After(s.LastLogical) {
		s.LastLogical = last
	}
}

// OfferedRate returns the logical requests offered per second: over the
// span of their first attempts (or the Spans of runs apart), as
// Summary.Rate counts attempts; 0 with fewer than two.
func (s *Retries) OfferedRate() float64 {
	if len(s.Spans) > 1 {
		span, intervals, _ := scheduledOver(s.Spans)
		if intervals == 0 || span <= 0 {
			return 0
		}
		return float64(intervals) / span.Seconds()
	}
	span := s.LastLogical.Sub(s.FirstLogical)
	if s.Logical < 2 || span <= 0 {
		return 0
	}
	return float64(s.Logical-1) / span.Seconds()
}

// Goodput returns the logical requests that eventually succeeded per
// second of offered load: OfferedRate × SuccessRatio, so that a policy
// whose retries run on after the load ends is not credited or charged
// for the time they take.
func (s *Retries) Goodput() float64 { return s.OfferedRate() * s.SuccessRatio() }

// Attempts returns every attempt: first attempts and retries.
func (s *Retries) Attempts() uint64 { return s.Logical + s.Retries }

// Amplification returns the attempts per logical request: 1 without
// retries, 0 without any request.
func (s *Retries) Amplification() float64 { return ratio(s.Attempts(), s.Logical) }

// SuccessRatio returns the share of logical requests that eventually
// succeeded, 0 to 1.
func (s *Retries) SuccessRatio() float64 { return ratio(s.Succeeded, s.Logical) }

// GiveUpRatio returns the share of logical requests given up on a
// retryable failure, 0 to 1.
func (s *Retries) GiveUpRatio() float64 { return ratio(s.GaveUp, s.Logical) }

// Unsettled returns the logical requests whose last attempt the run
// never saw: a retry was scheduled, and the run ended (or its record was
// lost) before it came back.
func (s *Retries) Unsettled() uint64 {
	settled := s.Succeeded + s.GaveUp + s.Failed
	if settled >= s.Logical {
		return 0
	}
	return s.Logical - settled
}

// Any reports whether any attempt of the run was a retry or was to be
// retried: whether the run's clients retried at all.
func (s *Retries) Any() bool { return s.Retries > 0 || s.GaveUp > 0 }

func ratio(n, d uint64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Bounds of the recovery analysis.
const (
	// FaultMargin is how far above the run's healthiest interval (in
	// share of attempts) an interval's rate of 5xx and transport failures
	// must rise to be part of a fault.
	FaultMargin = 0.10
	// FaultMajority is the rate of 5xx and transport failures above which
	// an interval is part of a fault whatever the healthiest one had: a
	// run failing throughout is one long fault, not a healthy level.
	FaultMajority = 0.5
	// RecoveryTolerance is how close to its healthy level the success
	// ratio and p99 must be back: within 10 %.
	RecoveryTolerance = 0.10
	// RecoveryLatencySlack is the least p99 margin: a target answering in
	// a millisecond is not read as unrecovered for 0.2 ms of noise.
	RecoveryLatencySlack = 5 * time.Millisecond
)

// Recovery is what the timeline tells of a run's recovery from a fault:
// the first window of intervals whose rate of 5xx and transport failures
// rose FaultMargin above the run's healthiest interval (or above
// FaultMajority), and how long after the window ended the success ratio
// and p99 were back within RecoveryTolerance of their healthy level: that
// of the intervals before the fault, or, when the fault began with the
// run, of the healthy intervals of the later half of the time after it
// (the level the run settled to).
type Recovery struct {
	// Fault says a fault window was found.
	Fault                bool
	FaultStart, FaultEnd time.Time // the window: its first interval, and the first after it; FaultEnd is zero if it lasted to the end
	// Level says which intervals give the healthy level: those before the
	// fault, or those after it when the run began in it; LevelNone when
	// none do (BeforeSuccess and BeforeP99 are then 0).
	Level         RecoveryLevel
	BeforeSuccess float64 // the healthy level's success ratio, 0 to 1
	BeforeP99     time.Duration
	// Recovered says the success ratio and p99 came back in an interval
	// from FaultEnd on; Time is from FaultEnd to that interval's start,
	// to within Resolution (the timeline's interval).
	Recovered  bool
	Time       time.Duration
	Resolution time.Duration
}

// RecoveryLevel says which intervals give a Recovery's healthy level.
type RecoveryLevel uint8

// The levels.
const (
	LevelNone   RecoveryLevel = iota // no healthy interval to judge by
	LevelBefore                      // the intervals before the fault
	LevelAfter                       // the healthy intervals of the later half of the time after the fault
)

// String names the level as the JSON summary does: "", "before", "after".
func (l RecoveryLevel) String() string {
	switch l {
	case LevelBefore:
		return "before"
	case LevelAfter:
		return "after"
	}
	return ""
}

// Recovery finds the first fault window of the timeline and the time
// the run took to recover from it.
func (t *Timeline) Recovery() Recovery {
	t = t.AtLeast(time.Second) // whole seconds, as the threshold's doc says
	rec := Recovery{Resolution: t.Step()}
	// The intervals up to the last in which an attempt was scheduled or
	// sent: those after it hold only requests still in flight, which are
	// no level to recover to.
	buckets := t.Buckets[:t.scheduledLen()]
	healthiest, seen := 1.0, false
	for i := range buckets {
		if b := &buckets[i]; b.Offered > 0 {
			healthiest, seen = min(healthiest, faultRate(b)), true
		}
	}
	faulty := func(b *TimeBucket) bool {
		fr := faultRate(b)
		return b.Offered > 0 && (fr > healthiest+FaultMargin || fr > FaultMajority)
	}
	start := slices.IndexFunc(buckets, func(b TimeBucket) bool { return faulty(&b) })
	if !seen || start < 0 {
		return rec
	}
	end := start + 1
	for end < len(buckets) && (buckets[end].Offered == 0 || faulty(&buckets[end])) {
		end++
	}
	rec.Fault, rec.FaultStart = true, t.intervalStart(start)
	level := bucketSum{h: NewTimelineHistogram()}
	for i := range start { // healthy, all of them: the fault is the first
		level.add(&buckets[i])
	}
	rec.Level = LevelBefore
	if level.offered == 0 { // the run began in the fault: the level it settles to, in the later half of the time after it
		rec.Level = LevelAfter
		for i := end + (len(buckets)-end)/2; i < len(buckets); i++ {
			if b := &buckets[i]; !faulty(b) {
				level.add(b)
			}
		}
	}
	if level.offered == 0 {
		rec.Level = LevelNone
	} else {
		rec.BeforeSuccess = ratio(level.successes, level.offered)
		rec.BeforeP99 = time.Duration(level.h.ValueAtQuantile(99)) * time.Microsecond
	}
	if end == len(buckets) {
		return rec // the fault lasted to the end
	}
	rec.FaultEnd = t.intervalStart(end)
	if rec.Level == LevelNone {
		return rec // nothing to be back to
	}
	slack := max(time.Duration(float64(rec.BeforeP99)*RecoveryTolerance), RecoveryLatencySlack)
	scratch := NewTimelineHistogram()
	for j := end; j < len(buckets); j++ {
		b := &buckets[j]
		if b.Offered == 0 || b.Latency == nil {
			continue
		}
		p99 := time.Duration(b.Latency.View(scratch).ValueAtQuantile(99)) * time.Microsecond
		if ratio(b.Successes, b.Offered) >= rec.BeforeSuccess*(1-RecoveryTolerance) && p99 <= rec.BeforeP99+slack {
			rec.Recovered, rec.Time = true, t.intervalStart(j).Sub(rec.FaultEnd)
			break
		}
	}
	return rec
}

func (t *Timeline) intervalStart(i int) time.Time {
	return t.Start().Add(time.Duration(i) * t.Step())
}

// PeakSent returns the most attempts per second that left in one
// interval: the peak load the target saw.
func (t *Timeline) PeakSent() float64 {
	t = t.AtLeast(time.Second) // a peak of whole seconds, not of the noise of an eighth
	var peak uint64
	for i := range t.Buckets {
		peak = max(peak, t.Buckets[i].Sent)
	}
	if t.Width == 0 {
		return 0
	}
	return float64(peak) / t.Step().Seconds()
}

func faultRate(b *TimeBucket) float64 { return ratio(b.Faults, b.Offered) }

// bucketSum adds intervals up.
type bucketSum struct {
	offered, successes, faults uint64
	h                          *hdrhistogram.Histogram
}

func (s *bucketSum) add(b *TimeBucket) {
	s.offered += b.Offered
	s.successes += b.Successes
	s.faults += b.Faults
	if b.Latency != nil {
		b.Latency.addTo(s.h)
	}
}
