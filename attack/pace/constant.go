package pace

import (
	"time"
)

// Constant is a load shape of PerSecond hits per second, for ever.
//
//	R(t) = r
//	H(t) = r·t
//	Due(n) = n/r
//
// (The field cannot be called Rate: that is the vegeta.Pacer method.)
type Constant struct {
	PerSecond float64 // the rate r, hits per second, > 0
}

var _ Shape = Constant{}

// Validate reports whether the rate is finite, greater than 0 and at most
// MaxRate.
func (c Constant) Validate() error {
	p := problems{shape: "constant"}
	p.rate("rate", c.PerSecond, false)
	return p.err()
}

// valid is Validate without the messages, cheap enough for every Due.
func (c Constant) valid() bool { return okRate(c.PerSecond, false) }

// String describes the shape, e.g. "constant 200/s".
func (c Constant) String() string { return "constant " + RateString(c.PerSecond) }

// Rate returns the rate in hits per second, whatever the elapsed time.
func (c Constant) Rate(time.Duration) float64 { return c.PerSecond }

// Hits returns H(t) = r·t, computed as r·t[ns]/1e9: multiplying first keeps
// whole results exact (500/s at 2ms is exactly 1), and every step is
// monotone in t, so H is non-decreasing in floating point too.
func (c Constant) Hits(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	return c.PerSecond * float64(t) / nsPerSecond
}

// Due returns the first nanosecond t with H(t) >= n, near n/r. It reports
// false for an invalid shape and beyond the largest time.Duration.
func (c Constant) Due(n uint64) (time.Duration, bool) {
	if !c.valid() {
		return 0, false
	}
	if n == 0 {
		return 0, true
	}
	x := float64(n)
	if c.Hits(maxDuration) < x {
		return 0, false
	}
	return firstAt(c, x, 0, maxDuration, toDuration(x*nsPerSecond/c.PerSecond)), true
}

// Pace returns the wait until hit number hits is due.
func (c Constant) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(c, elapsed, hits)
}
