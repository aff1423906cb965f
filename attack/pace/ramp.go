package pace

import (
	"math"
	"time"
)

// Ramp is a load shape whose rate changes linearly from From to To hits per
// second over Over, then holds To. It ramps down when To < From.
//
//	R(t) = From + (To−From)·t/Over                  for t <= Over
//	R(t) = To                                       for t > Over
//	H(t) = From·t + (To−From)·t²/(2·Over)           for t <= Over
//	H(t) = H(Over) + To·(t−Over)                    for t > Over
//
// where H(Over) = (From+To)·Over/2.
type Ramp struct {
	From float64       // rate at t = 0, hits per second, >= 0
	To   float64       // rate from t = Over on, hits per second, >= 0
	Over time.Duration // length of the ramp, > 0
}

var _ Shape = Ramp{}

// Validate reports every problem of the ramp: rates must be finite, between
// 0 and MaxRate and not both 0; Over must be greater than 0.
func (r Ramp) Validate() error {
	p := problems{shape: "ramp"}
	p.rate(`"from"`, r.From, true)
	p.rate(`"to"`, r.To, true)
	if r.From == 0 && r.To == 0 {
		p.addf(`"from" and "to" must not both be 0/s`)
	}
	p.duration(`"over"`, r.Over)
	return p.err()
}

// valid is Validate without the messages.
func (r Ramp) valid() bool {
	return okRate(r.From, true) && okRate(r.To, true) && (r.From > 0 || r.To > 0) && r.Over > 0
}

// String describes the ramp, e.g. "ramp 10/s→200/s over 1m0s".
func (r Ramp) String() string {
	return "ramp " + RateString(r.From) + "→" + RateString(r.To) + " over " + r.Over.String()
}

// Rate returns R(t) in hits per second.
func (r Ramp) Rate(t time.Duration) float64 {
	switch {
	case t <= 0:
		return r.From
	case t >= r.Over:
		return r.To
	}
	return r.From + (r.To-r.From)*float64(t)/float64(r.Over)
}

// Hits returns H(t). Each branch is computed so that it is non-decreasing in
// floating point too, not only in exact arithmetic:
//
//   - up (To >= From): From·t + (To−From)·t·t/(2·Over), a sum of terms that
//     each grow with t;
//   - down (To < From): the ramp read backwards is a ramp up from To to From,
//     G(s) = To·s + (From−To)·s²/(2·Over), and H(t) = G(Over) − G(Over−t),
//     where Over−t is exact integer arithmetic;
//   - tail: H(Over) + To·(t−Over), with H(Over) computed by the branch above
//     so that the pieces join without a step backwards.
func (r Ramp) Hits(t time.Duration) float64 {
	switch {
	case t <= 0:
		return 0
	case t > r.Over:
		return r.total() + r.To*float64(t-r.Over)/nsPerSecond
	case r.To >= r.From:
		return r.up(r.From, r.To, t)
	default:
		return r.up(r.To, r.From, r.Over) - r.up(r.To, r.From, r.Over-t)
	}
}

// total returns H(Over), exactly as Hits computes it at t = Over.
func (r Ramp) total() float64 {
	if r.To >= r.From {
		return r.up(r.From, r.To, r.Over)
	}
	return r.up(r.To, r.From, r.Over) // minus G(0) = 0
}

// up returns the hits in [0, t) of a ramp from lo to hi >= lo over r.Over:
// (lo·t + (hi−lo)·t·t/(2·Over)) with t in ns, divided by 1e9.
func (r Ramp) up(lo, hi float64, t time.Duration) float64 {
	x := float64(t)
	return (lo*x + (hi-lo)*x*x/(2*float64(r.Over))) / nsPerSecond
}

// Due returns the first nanosecond t with H(t) >= n. The estimate solves
// H(t) = n analytically. On the ramp, with a = From and b = (To−From)/Over,
// it is the root of (b/2)·t² + a·t − n = 0 in the form
//
//	t = 2n / (a + √(a² + 2bn))
//
// which neither cancels nor divides by b, so it holds for b = 0, a = 0
// (then t = √(2n/b)) and b < 0 alike; a² + 2bn >= To² >= 0 for n <= H(Over).
// On the tail, t = Over + (n − H(Over))/To, and with To = 0 hit n never
// comes. Due reports false for an invalid ramp.
func (r Ramp) Due(n uint64) (time.Duration, bool) {
	if !r.valid() {
		return 0, false
	}
	if n == 0 {
		return 0, true
	}
	x := float64(n)
	if total := r.total(); x > total {
		if r.To == 0 || r.Hits(maxDuration) < x {
			return 0, false
		}
		guess := float64(r.Over) + (x-total)*nsPerSecond/r.To
		return firstAt(r, x, r.Over, maxDuration, toDuration(guess)), true
	}
	a, b := r.From, (r.To-r.From)/seconds(r.Over)
	ts := 2 * x / (a + math.Sqrt(max(0, a*a+2*b*x)))
	return firstAt(r, x, 0, r.Over, toDuration(ts*nsPerSecond)), true
}

// Pace returns the wait until hit number hits is due.
func (r Ramp) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(r, elapsed, hits)
}
