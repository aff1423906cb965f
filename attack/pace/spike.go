package pace

import (
	"time"
)

// Spike is a load shape of Base hits per second, except Peak during
// [At, At+For). It is the Steps shape
//
//	Base@At, Peak@For, Base (for ever)
//
// and delegates to it. Base may be 0: then only the spike sends (and hit 0,
// which is due at t = 0 in every shape).
type Spike struct {
	Base float64       // hits per second outside the spike, >= 0
	Peak float64       // hits per second during the spike, > 0
	At   time.Duration // start of the spike, >= 0
	For  time.Duration // length of the spike, > 0
}

var _ Shape = Spike{}

// Validate reports every problem of the spike: rates finite and at most
// MaxRate, Base >= 0, Peak > 0, At >= 0, For > 0, and At+For must be less
// than the largest time.Duration.
func (s Spike) Validate() error {
	p := problems{shape: "spike"}
	p.rate(`"base"`, s.Base, true)
	p.rate(`"peak"`, s.Peak, false)
	if s.At < 0 {
		p.addf(`"at" must not be negative, got %s`, s.At)
	}
	p.duration(`"for"`, s.For)
	// Strictly less: the steps of the spike end with a 1ns step of Base.
	if s.At >= 0 && s.For > 0 && s.At >= maxDuration-s.For {
		p.addf(`"at" + "for" must be less than %s, got %s + %s`, maxDuration, s.At, s.For)
	}
	return p.err()
}

// steps returns the spike as Steps, built in buf so that converting does not
// allocate. The last step's length is irrelevant: its rate holds for ever.
func (s Spike) steps(buf *[3]Step) Steps {
	if s.At == 0 {
		buf[0], buf[1] = Step{s.Peak, s.For}, Step{s.Base, 1}
		return Steps{buf[:2]}
	}
	*buf = [3]Step{{s.Base, s.At}, {s.Peak, s.For}, {s.Base, 1}}
	return Steps{buf[:]}
}

// valid reports whether the spike is valid; the Steps are then valid too.
func (s Spike) valid() bool {
	return okRate(s.Base, true) && okRate(s.Peak, false) &&
		s.At >= 0 && s.For > 0 && s.At < maxDuration-s.For
}

// String describes the spike, e.g. "spike 50/s→500/s at 2s for 1s".
func (s Spike) String() string {
	return "spike " + RateString(s.Base) + "→" + RateString(s.Peak) + " at " + s.At.String() + " for " + s.For.String()
}

// Rate returns Peak during [At, At+For) and Base otherwise.
func (s Spike) Rate(t time.Duration) float64 {
	var buf [3]Step
	return s.steps(&buf).Rate(t)
}

// Hits returns H(t) as Steps computes it.
func (s Spike) Hits(t time.Duration) float64 {
	var buf [3]Step
	return s.steps(&buf).Hits(t)
}

// Due returns the first nanosecond t with H(t) >= n, as Steps computes it.
// It reports false for an invalid spike, and, when Base is 0, for the hits
// beyond those of the spike.
func (s Spike) Due(n uint64) (time.Duration, bool) {
	if !s.valid() {
		return 0, false
	}
	var buf [3]Step
	return s.steps(&buf).Due(n)
}

// Pace returns the wait until hit number hits is due.
func (s Spike) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(s, elapsed, hits)
}
