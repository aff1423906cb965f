// Package pace defines the load shapes of an attack: vegeta pacers whose
// schedule is a pure function of elapsed time.
//
// Every shape has a counting function H(t), the number of hits due in
// [0, t), which is the integral of its rate. Hit n (0-based) is due at the
// smallest t >= 0 with H(t) >= n, so hit 0 is due at t = 0 (or, for steps
// and spikes that begin quiet, when the rate first rises above 0) and the hits due
// in [0, D) number ceil(H(D)) (one more if H reaches a whole number and
// pauses there before D: that hit is due when H reaches it). Because the schedule depends on n alone, the
// time at which any hit was scheduled can be recomputed after the fact, and
// latency can be measured from it: a stalled target cannot hide its queueing
// delay (coordinated omission, as corrected by wrk2).
//
// Times are whole nanoseconds (time.Duration). Due(n) is the first
// nanosecond at which the shape's own Hits reaches n, so for every hit that
// is due
//
//	Hits(Due(n)) >= n   and   Due(n) == 0 || Hits(Due(n)-1) < n
//
// hold exactly, in floating point, and Due is non-decreasing in n. Due is
// then within a nanosecond of the exact instant for instants below 2^53ns
// (104 days); beyond that float64 has no nanoseconds left and the error
// grows to t·2⁻⁵². Where the rate falls to zero (the end of a ramp down to
// 0, the trough of a full-swing sine) the instant is ill-conditioned, and
// Due may be early by up to about √(2·ulp(n)/slope), some 100ns.
//
// Hits and Rate are meaningful only for a valid shape (see each shape's
// Validate); Due, and so Pace, stop at once on an invalid one.
package pace

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Shape is a load shape: a vegeta.Pacer whose schedule is a pure function of
// elapsed time.
type Shape interface {
	vegeta.Pacer // Pace(elapsed, hits) (wait, stop) and Rate(elapsed) in hits/s

	// Hits returns H(t), the hits due in [0, t): the integral of Rate from 0
	// to t. H(0) = 0 and H is non-decreasing.
	Hits(t time.Duration) float64

	// Due returns the offset at which hit n (0-based) is scheduled: the
	// smallest t >= 0 with H(t) >= n, so hit 0 is due at t = 0 unless the
	// shape begins with a quiet step (then: when it ends). It reports
	// false if H never reaches n, for example because the rate drops to zero
	// for good, or only after the largest time.Duration.
	Due(n uint64) (time.Duration, bool)

	// String describes the shape for humans, e.g. "constant 200/s".
	String() string
}

// MaxRate is the highest rate a shape accepts, in hits per second: one hit
// per nanosecond, the resolution of time.Duration.
const MaxRate = 1e9

// MinRate is the lowest rate above 0 a shape accepts: one hit a day.
// Slower rates are no load test, and the first hit of a rate below about
// one in 292 years would be due beyond the end of time.Duration.
const MinRate = 1.0 / 86400

// MaxConcurrency bounds the workers of a closed model (a load of
// workers instead of a shape), for the flags, profiles and attacks alike.
const MaxConcurrency = 100000

// maxDuration is the largest time.Duration, the end of every schedule.
const maxDuration = time.Duration(math.MaxInt64)

// nsPerSecond converts between rates per second and per nanosecond.
const nsPerSecond = 1e9

// dueer is the part of a Shape that pace needs.
type dueer interface {
	Due(n uint64) (time.Duration, bool)
}

// pace is the Pace method shared by every shape: wait until hit n is due.
// A negative wait means the attacker is behind schedule and should send now
// (time.Sleep returns at once); stop means the shape has no hit n.
func pace[S dueer](s S, elapsed time.Duration, hits uint64) (wait time.Duration, stop bool) {
	d, ok := s.Due(hits)
	if !ok {
		return 0, true
	}
	// d >= 0, so d-elapsed cannot overflow for the elapsed >= 0 vegeta passes.
	return d - max(elapsed, 0), false
}

// counter is a non-decreasing counting function over whole nanoseconds:
// a shape's Hits, or one piece of it.
type counter interface {
	Hits(t time.Duration) float64
}

// firstAt returns the smallest t in (lo, hi] with c.Hits(t) >= n, where
// c.Hits(lo) < n <= c.Hits(hi). The search gallops outwards from guess (the
// caller's analytic estimate, usually within a few nanoseconds) and then
// bisects, so it costs a handful of evaluations when the guess is good and
// at most about 2·63 when it is not: it always terminates.
//
// The result satisfies c.Hits(t) >= n and c.Hits(t-1) < n exactly, whatever
// the rounding inside c, because those are the loop invariants.
func firstAt[C counter](c C, n float64, lo, hi, guess time.Duration) time.Duration {
	if guess <= lo || guess > hi {
		guess = lo + (hi-lo)/2 + 1 // lo < guess <= hi
	}
	// Gallop: move one bound to guess, then step away from it, doubling the
	// step, until the other side of n is found.
	if c.Hits(guess) >= n {
		hi = guess
		for step := time.Duration(1); hi-lo > 1; step *= 2 {
			p := hi - step
			if p <= lo {
				break
			}
			if c.Hits(p) < n {
				lo = p
				break
			}
			hi = p
		}
	} else {
		lo = guess
		for step := time.Duration(1); hi-lo > 1; step *= 2 {
			p := lo + step
			if p >= hi || p < lo { // p < lo: lo+step overflowed
				break
			}
			if c.Hits(p) >= n {
				hi = p
				break
			}
			lo = p
		}
	}
	// Bisect: c.Hits(lo) < n <= c.Hits(hi).
	for hi-lo > 1 {
		m := lo + (hi-lo)/2
		if c.Hits(m) >= n {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

// toDuration converts an estimate in nanoseconds to a Duration, rounding up
// and clamping to [0, maxDuration]; NaN becomes 0. Estimates only seed
// firstAt, so clamping loses nothing.
func toDuration(ns float64) time.Duration {
	switch {
	case !(ns > 0): // also NaN
		return 0
	case ns >= math.MaxInt64: // float64(MaxInt64) is 2^63, itself too big
		return maxDuration
	}
	return time.Duration(math.Ceil(ns))
}

// seconds returns a Duration in seconds.
func seconds(d time.Duration) float64 { return float64(d) / nsPerSecond }
