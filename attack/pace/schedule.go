package pace

import (
	"math"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Schedule wraps a Shape as the vegeta.Pacer of one attack: it bounds the
// attack to a duration, can be stopped from another goroutine, and
// remembers when the attack began so that the scheduled time of hit n can
// be recovered afterwards.
//
// A schedule without a shape (NewClosedSchedule) is a closed model's: it
// releases a hit as soon as a worker is free to take it, until its
// duration, and no hit has a scheduled time of its own.
//
// Pace is called by vegeta's attack loop alone; every other method may be
// called from any goroutine at any time.
type Schedule struct {
	shape    Shape
	duration time.Duration // 0: unbounded

	stopped atomic.Bool
	// began is set once, by the first Pace call. An atomic pointer rather
	// than a sync.Once and a plain field: readers must not wait for, or
	// trigger, the first Pace, and they still need a happens-before edge
	// with the write.
	began atomic.Pointer[time.Time]
}

var _ vegeta.Pacer = (*Schedule)(nil)

// NewSchedule returns the schedule of an attack with shape s lasting
// duration: the hits due in [0, duration). A duration of 0 is unbounded.
func NewSchedule(s Shape, duration time.Duration) *Schedule {
	return &Schedule{shape: s, duration: max(duration, 0)}
}

// NewClosedSchedule returns the schedule of a closed-model attack lasting
// duration (0: unbounded): every hit is due at once, so each worker sends
// its next request as soon as its previous one is answered.
func NewClosedSchedule(duration time.Duration) *Schedule {
	return &Schedule{duration: max(duration, 0)}
}

// Duration returns how long the schedule lasts, 0 if unbounded.
func (s *Schedule) Duration() time.Duration { return s.duration }

// Closed reports whether the schedule is a closed model's.
func (s *Schedule) Closed() bool { return s.shape == nil }

// Shape returns the schedule's load shape; nil for a closed model.
func (s *Schedule) Shape() Shape { return s.shape }

// Pace returns the wait until hit number hits is due: Due(hits) − elapsed,
// negative when the attacker is behind. It stops the attack once Stop was
// called, when the shape has no such hit, or when the hit would be due at or
// after the duration. The first call records the attack's start as
// time.Now() − elapsed.
func (s *Schedule) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if s.began.Load() == nil {
		// time.Now keeps the monotonic clock reading, and Add preserves it,
		// so Scheduled times compare exactly with vegeta's timestamps.
		began := time.Now().Add(-elapsed)
		s.began.CompareAndSwap(nil, &began)
	}
	if s.stopped.Load() {
		return 0, true
	}
	if s.Closed() {
		return 0, s.duration > 0 && elapsed >= s.duration
	}
	d, ok := s.due(hits)
	if !ok {
		return 0, true
	}
	return d - max(elapsed, 0), false
}

// due returns Due(n) and whether the schedule releases hit n at all.
func (s *Schedule) due(n uint64) (time.Duration, bool) {
	d, ok := s.shape.Due(n)
	if !ok || (s.duration > 0 && d >= s.duration) {
		return 0, false
	}
	return d, true
}

// Rate returns the shape's rate at elapsed, or 0 once the schedule is
// stopped or past its duration, and for a closed model, which has none.
func (s *Schedule) Rate(elapsed time.Duration) float64 {
	if s.Closed() || s.stopped.Load() || (s.duration > 0 && elapsed >= s.duration) {
		return 0
	}
	return s.shape.Rate(elapsed)
}

// Stop makes every further Pace call stop the attack. It is safe to call
// from any goroutine, any number of times.
func (s *Schedule) Stop() { s.stopped.Store(true) }

// Stopped reports whether Stop was called.
func (s *Schedule) Stopped() bool { return s.stopped.Load() }

// Began returns when the attack began, with a monotonic clock reading, and
// false before the first Pace call.
func (s *Schedule) Began() (time.Time, bool) {
	if b := s.began.Load(); b != nil {
		return *b, true
	}
	return time.Time{}, false
}

// Scheduled returns the time at which hit n was scheduled: Began() plus
// Due(n). It returns the zero Time before the attack began, if the shape
// has no hit n, and for a closed model, whose hits leave when a worker
// is free.
func (s *Schedule) Scheduled(n uint64) time.Time {
	b, ok := s.Began()
	if !ok || s.Closed() {
		return time.Time{}
	}
	d, ok := s.shape.Due(n)
	if !ok {
		return time.Time{}
	}
	return b.Add(d)
}

// Planned returns how many hits a bounded schedule releases: the count of n
// with Due(n) < duration. It reports false for an unbounded schedule.
//
// Since Due(n) <= D−1ns exactly when H(D−1ns) >= n, the count is
//
//	floor(H(D − 1ns)) + 1
//
// which Planned then checks against Due itself, so that rounding near
// 2^53 hits or a quiet tail cannot make it disagree with Pace. A closed
// model plans no count either: it sends what its workers can.
func (s *Schedule) Planned() (uint64, bool) {
	if s.duration <= 0 || s.Closed() {
		return 0, false
	}
	var guess uint64
	switch h := s.shape.Hits(s.duration - 1); {
	case !(h >= 0): // negative or NaN: an invalid shape
		guess = 0
	case h >= math.MaxUint64: // float64(MaxUint64) is 2^64
		guess = math.MaxUint64
	default:
		guess = uint64(h) + 1
	}
	return s.released(guess), true
}

// released returns the smallest n whose hit the schedule does not release,
// which is how many it releases, since those are 0, 1, …, n−1 (Due is
// monotone). It gallops from guess and then bisects, so a guess that is off
// costs logarithmically many Due calls. The count saturates at MaxUint64.
func (s *Schedule) released(guess uint64) uint64 {
	rel := func(n uint64) bool { _, ok := s.due(n); return ok }
	// Invariant: every n < lo is released, and the answer is at most hi.
	lo, hi := uint64(0), uint64(math.MaxUint64)
	up := rel(guess)
	if up {
		if guess == math.MaxUint64 {
			return math.MaxUint64
		}
		lo = guess + 1
	} else {
		hi = guess
	}
	for step := uint64(1); lo < hi && step != 0; step <<= 1 { // step wraps to 0 after 2^63
		if up {
			p := lo + min(step, hi-lo) - 1 // lo <= p < hi
			if !rel(p) {
				hi = p
				break
			}
			lo = p + 1
		} else {
			p := hi - min(step, hi-lo) // lo <= p < hi
			if rel(p) {
				lo = p + 1
				break
			}
			hi = p
		}
	}
	for lo < hi {
		m := lo + (hi-lo)/2
		if rel(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
