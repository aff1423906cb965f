package analyze

import (
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
}

func newRetries() Retries { return Retries{TimeToSuccess: NewLatencyHistogram()} }

// add counts one attempt of class c.
func (s *Retries) add(r *records.Record, c *classify.Class) {
	if r.Attempt <= 1 {
		s.Logical++
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
}

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
	// FaultMargin is how far above the level before the fault (in
	// share of attempts) an interval's rate of 5xx and transport failures
	// must rise to be part of a fault, and fall back to end it.
	FaultMargin = 0.10
	// RecoveryTolerance is how close to its level before the fault the
	// success ratio and p99 must be back: within 10 %.
	RecoveryTolerance = 0.10
	// RecoveryLatencySlack is the least p99 margin: a target answering in
	// a millisecond is not read as unrecovered for 0.2 ms of noise.
	RecoveryLatencySlack = 5 * time.Millisecond
)

// Recovery is what the timeline tells of a run's recovery from a fault:
// a window of intervals whose rate of 5xx and transport failures rose
// FaultMargin above its level before, and how long after the window
// ended the success ratio and p99 were back within RecoveryTolerance of
// their level before it.
type Recovery struct {
	// Fault says a fault window was found after at least one interval
	// without it (the level before it).
	Fault                bool
	FaultStart, FaultEnd time.Time // the window: its first interval, and the first after it; FaultEnd is zero if it lasted to the end
	BeforeSuccess        float64   // success ratio of the attempts before the fault, 0 to 1
	BeforeP99            time.Duration
	// Recovered says the success ratio and p99 came back in an interval
	// from FaultEnd on; Time is from FaultEnd to that interval's start,
	// to within Resolution (the timeline's interval).
	Recovered  bool
	Time       time.Duration
	Resolution time.Duration
}

// Recovery finds the first fault window of the timeline and the time
// the run took to recover from it.
func (t *Timeline) Recovery() Recovery {
	rec := Recovery{Resolution: t.Step()}
	before := bucketSum{h: NewTimelineHistogram()}
	i := 0
	for ; i < len(t.Buckets); i++ {
		b := &t.Buckets[i]
		if b.Offered == 0 {
			continue
		}
		if before.offered > 0 && faultRate(b) > before.faultRate()+FaultMargin {
			break
		}
		before.add(b)
	}
	if i == len(t.Buckets) {
		return rec
	}
	rec.Fault, rec.FaultStart = true, t.intervalStart(i)
	rec.BeforeSuccess = ratio(before.successes, before.offered)
	rec.BeforeP99 = time.Duration(before.h.ValueAtQuantile(99)) * time.Microsecond
	for i++; i < len(t.Buckets); i++ {
		if b := &t.Buckets[i]; b.Offered > 0 && faultRate(b) <= before.faultRate()+FaultMargin {
			break
		}
	}
	if i == len(t.Buckets) {
		return rec // the fault lasted to the end
	}
	rec.FaultEnd = t.intervalStart(i)
	slack := max(time.Duration(float64(rec.BeforeP99)*RecoveryTolerance), RecoveryLatencySlack)
	for j := i; j < len(t.Buckets); j++ {
		b := &t.Buckets[j]
		if b.Offered == 0 || b.Latency == nil {
			continue
		}
		p99 := time.Duration(b.Latency.ValueAtQuantile(99)) * time.Microsecond
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
	var peak uint64
	for i := range t.Buckets {
		peak = max(peak, t.Buckets[i].Sent)
	}
	if t.Width == 0 {
		return 0
	}
	return float64(peak) / float64(t.Width)
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
		s.h.Merge(b.Latency)
	}
}

func (s *bucketSum) faultRate() float64 { return ratio(s.faults, s.offered) }
