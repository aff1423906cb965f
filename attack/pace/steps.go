package pace

import (
	"fmt"
	"strings"
	"time"
)

// MaxSteps is the most steps a Steps shape may have.
const MaxSteps = 1000

// Step is one period of a Steps shape: Rate hits per second for For.
type Step struct {
	Rate float64       // hits per second, >= 0; 0 is a quiet period
	For  time.Duration // > 0
}

// Steps is a piecewise constant load shape: each step's rate in turn, and
// after the last step the last step's rate for ever. With steps of rates
// r_i, lengths d_i and starts s_i = d_0+…+d_{i−1}, for t in step i
//
//	R(t) = r_i
//	H(t) = r_0·d_0 + … + r_{i−1}·d_{i−1} + r_i·(t − s_i)
//
// A step of rate 0 is a pause: Due skips over it. If the last rate is 0,
// hits beyond H(end of the steps) never come.
type Steps struct {
	Steps []Step
}

var _ Shape = Steps{}

// Validate reports every problem of the steps: there must be 1 to MaxSteps
// of them; each rate finite, between 0 and MaxRate; each length greater than
// 0; at least one rate greater than 0; and the total length must fit in a
// time.Duration.
func (s Steps) Validate() error {
	p := problems{shape: "steps"}
	switch n := len(s.Steps); {
	case n == 0:
		p.addf("need at least one step")
	case n > MaxSteps:
		p.addf("at most %d steps, got %d", MaxSteps, n)
	}
	for i, st := range s.Steps {
		p.rate(fmt.Sprintf("step %d rate", i+1), st.Rate, true)
		p.duration(fmt.Sprintf("step %d length", i+1), st.For)
	}
	for _, msg := range listProblems(s.Steps) {
		p.addf("%s", msg)
	}
	return p.err()
}

// listProblems returns the problems of a list of steps that belong to no
// single step: an all-quiet list, or one too long for a time.Duration.
// ParseSteps shares them with Validate.
func listProblems(steps []Step) []string {
	var msgs []string
	quiet := len(steps) > 0
	var total time.Duration
	overflow := false
	for _, st := range steps {
		if st.Rate != 0 {
			quiet = false
		}
		if st.For > 0 {
			if total > maxDuration-st.For {
				overflow = true
			}
			total += st.For
		}
	}
	if quiet {
		msgs = append(msgs, "every step has rate 0/s; at least one rate must be greater than zero")
	}
	if overflow {
		msgs = append(msgs, "the steps last longer than "+maxDuration.String()+" in total")
	}
	return msgs
}

// valid is Validate without the messages.
func (s Steps) valid() bool {
	if len(s.Steps) == 0 || len(s.Steps) > MaxSteps {
		return false
	}
	var total time.Duration
	busy := false
	for _, st := range s.Steps {
		if !okRate(st.Rate, true) || st.For <= 0 || total > maxDuration-st.For {
			return false
		}
		total += st.For
		busy = busy || st.Rate > 0
	}
	return busy
}

// Length returns the sum of the steps' lengths: the natural duration of an
// attack with this shape. It saturates at the largest time.Duration.
func (s Steps) Length() time.Duration {
	var total time.Duration
	for _, st := range s.Steps {
		if st.For > maxDuration-total {
			return maxDuration
		}
		total += max(st.For, 0)
	}
	return total
}

// String describes the steps in ParseSteps's syntax, e.g.
// "steps 100/s@30s,200/s@1m0s".
func (s Steps) String() string {
	var b strings.Builder
	b.WriteString("steps ")
	for i, st := range s.Steps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(RateString(st.Rate))
		b.WriteByte('@')
		b.WriteString(st.For.String())
	}
	return b.String()
}

// Rate returns the rate of the step containing t, or the last step's rate
// after the last step.
func (s Steps) Rate(t time.Duration) float64 {
	t = max(t, 0)
	var start time.Duration
	for i, st := range s.Steps {
		if i == len(s.Steps)-1 || t-start < st.For {
			return st.Rate
		}
		start += st.For
	}
	return 0
}

// piece is one step seen as a counting function: acc hits are due before
// start, then rate per second.
//
//	H(t) = acc + rate·(t − start)     for t >= start
type piece struct {
	start time.Duration
	acc   float64
	rate  float64
}

// Hits returns acc + rate·(t−start), with t in ns divided by 1e9 last.
func (p piece) Hits(t time.Duration) float64 {
	return p.acc + p.rate*float64(t-p.start)/nsPerSecond
}

// Hits returns H(t). The hits before each step are accumulated with the very
// expression that gives the hits at the end of the previous step, so H joins
// its pieces without a step backwards and is non-decreasing in floating
// point.
func (s Steps) Hits(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	var p piece
	for i, st := range s.Steps {
		p.rate = st.Rate
		if i == len(s.Steps)-1 || t-p.start <= st.For {
			return p.Hits(t)
		}
		p.acc = p.Hits(p.start + st.For)
		p.start += st.For
	}
	return 0
}

// Due returns the first nanosecond t with H(t) >= n (for hit 0: the start of
// the first step whose rate is not 0): it finds the step in
// which H reaches n, estimates t = s_i + (n − H(s_i))/r_i and refines it on
// that step alone. It reports false for invalid steps and for hits beyond a
// final quiet step.
func (s Steps) Due(n uint64) (time.Duration, bool) {
	if !s.valid() {
		return 0, false
	}
	if n == 0 {
		// H(0) = 0 already "reaches" 0, but a leading quiet step must stay
		// quiet: the first hit leaves when the first non-zero step begins.
		var start time.Duration
		for _, st := range s.Steps {
			if st.Rate > 0 {
				return start, true
			}
			start += st.For
		}
		return 0, false
	}
	x := float64(n)
	var p piece // invariant: p.acc = H(p.start) < x
	for i, st := range s.Steps {
		p.rate = st.Rate
		end := maxDuration
		if i < len(s.Steps)-1 {
			end = p.start + st.For
		}
		if e := p.Hits(end); e >= x {
			guess := float64(p.start) + (x-p.acc)*nsPerSecond/p.rate // e > acc, so rate > 0
			return firstAt(p, x, p.start, end, toDuration(guess)), true
		} else if i < len(s.Steps)-1 {
			p.acc, p.start = e, end
		}
	}
	return 0, false // the last rate is 0, or it reaches x only after maxDuration
}

// Pace returns the wait until hit number hits is due.
func (s Steps) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(s, elapsed, hits)
}
