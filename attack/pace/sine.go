package pace

import (
	"math"
	"time"
)

// Sine is a load shape whose rate oscillates around Mean: it starts at the
// mean going up, peaks at Mean+Amplitude a quarter Period in, and bottoms
// out at Mean−Amplitude three quarters in.
//
//	R(t) = M + A·sin(2πt/P)
//	H(t) = M·t + (A·P/2π)·(1 − cos(2πt/P))
//
// H(k·P) = M·k·P: every whole period brings exactly the mean's hits.
type Sine struct {
	Mean      float64       // hits per second, > 0
	Amplitude float64       // hits per second, 0 <= Amplitude <= Mean
	Period    time.Duration // > 0
}

var _ Shape = Sine{}

// Validate reports every problem of the sine: Mean finite, greater than 0
// and at most MaxRate; Amplitude finite, >= 0 and at most Mean (the rate
// must not go negative); Period greater than 0.
func (s Sine) Validate() error {
	p := problems{shape: "sine"}
	p.rate("mean", s.Mean, false)
	switch a := s.Amplitude; {
	case math.IsNaN(a) || math.IsInf(a, 0):
		p.addf("amplitude must be a finite number, got %s", RateString(a))
	case a < 0:
		p.addf("amplitude must not be negative, got %s", RateString(a))
	case a > s.Mean && s.Mean > 0:
		p.addf("amplitude %s must not exceed mean %s: the rate would go negative", RateString(a), RateString(s.Mean))
	}
	p.duration("period", s.Period)
	return p.err()
}

// valid is Validate without the messages.
func (s Sine) valid() bool {
	return okRate(s.Mean, false) && s.Amplitude >= 0 && s.Amplitude <= s.Mean && s.Period > 0
}

// String describes the sine, e.g. "sine 200/s±150/s period 4s".
func (s Sine) String() string {
	return "sine " + RateString(s.Mean) + "±" + RateString(s.Amplitude) + " period " + s.Period.String()
}

// phase returns 2π·(t mod P)/P. Reducing t modulo P in integer arithmetic
// first keeps the angle exact for any t.
func (s Sine) phase(t time.Duration) float64 {
	return 2 * math.Pi * float64(t%s.Period) / float64(s.Period)
}

// Rate returns R(t) = M + A·sin(2πt/P) in hits per second.
func (s Sine) Rate(t time.Duration) float64 {
	if s.Period <= 0 {
		return s.Mean
	}
	return s.Mean + s.Amplitude*math.Sin(s.phase(max(t, 0)))
}

// Hits returns H(t) = M·t + (A·P/2π)·(1 − cos(2πt/P)), with t and P in ns and
// the sum divided by 1e9.
func (s Sine) Hits(t time.Duration) float64 {
	h, _ := s.hitsAndRate(t)
	return h
}

// hitsAndRate returns H(t), as Hits, and R(t) in hits per nanosecond, from
// one math.Sincos.
func (s Sine) hitsAndRate(t time.Duration) (hits, perNs float64) {
	if t <= 0 || s.Period <= 0 {
		return 0, s.Mean / nsPerSecond
	}
	sin, cos := math.Sincos(s.phase(t))
	amp := s.Amplitude * float64(s.Period) / (2 * math.Pi)
	return (s.Mean*float64(t) + amp*(1-cos)) / nsPerSecond, (s.Mean + s.Amplitude*sin) / nsPerSecond
}

// Due returns the first nanosecond t with H(t) >= n. H has no closed-form
// inverse, so Due brackets the answer and solves numerically:
//
//   - bracket: H(k·P) = M·k·P, so with k = ceil(n / (M·P)) the answer lies
//     in ((k−1)·P, k·P];
//   - safeguarded Newton, from t = n/M: t ← t − (H(t) − n)/R(t), each
//     iterate narrowing the bracket, falling back to bisection when the step
//     leaves the bracket or R(t) = 0 (at the trough when A = M), and
//     stopping once the step is under a nanosecond;
//   - firstAt then pins the exact first nanosecond.
//
// Every stage is bounded, so Due terminates for every valid shape and n.
// It reports false for an invalid sine and beyond the largest time.Duration.
func (s Sine) Due(n uint64) (time.Duration, bool) {
	if !s.valid() {
		return 0, false
	}
	if n == 0 {
		return 0, true
	}
	x := float64(n)
	lo, hi := time.Duration(0), maxDuration
	perPeriod := s.Mean * float64(s.Period) / nsPerSecond // H(P), as Hits computes it
	if k := math.Ceil(x / perPeriod); k < float64(maxDuration/s.Period) {
		if end := time.Duration(k) * s.Period; s.Hits(end) >= x {
			hi = end
		}
		if start := time.Duration(k-1) * s.Period; s.Hits(start) < x {
			lo = start
		}
	}
	if hi == maxDuration && s.Hits(maxDuration) < x {
		return 0, false
	}
	// Safeguarded Newton; invariant: Hits(lo) < x <= Hits(hi).
	t := toDuration(x * nsPerSecond / s.Mean)
	for range 64 {
		if t <= lo || t > hi {
			t = lo + (hi-lo)/2 + 1
		}
		h, r := s.hitsAndRate(t)
		if h >= x {
			hi = t
		} else {
			lo = t
		}
		if hi-lo <= 1 {
			break
		}
		next := float64(t) - (h-x)/r
		if math.Abs(next-float64(t)) < 1 {
			break // converged: firstAt finishes in a step or two
		}
		if !(next > float64(lo) && next < float64(hi)) { // also NaN, ±Inf
			next = float64(lo) + float64(hi-lo)/2
		}
		t = toDuration(next)
	}
	return firstAt(s, x, lo, hi, t), true
}

// Pace returns the wait until hit number hits is due.
func (s Sine) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(s, elapsed, hits)
}
