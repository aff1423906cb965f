package pace

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// problems collects every problem of one shape, so that Validate reports
// them all at once rather than the first.
type problems struct {
	shape string // prefix of every message, e.g. "ramp"
	errs  []error
}

// addf records one problem.
func (p *problems) addf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf(p.shape+": "+format, args...))
}

// rate records what is wrong with the rate r of the parameter name, if
// anything. A rate must be finite, at least 0 (greater than 0 unless zeroOK),
// at least MinRate unless 0, and at most MaxRate.
func (p *problems) rate(name string, r float64, zeroOK bool) {
	if msg := rateProblem(r, zeroOK); msg != "" {
		p.addf("%s %s, got %s", name, msg, RateString(r))
	}
}

// duration records a problem if the duration d of the parameter name is not
// greater than 0.
func (p *problems) duration(name string, d time.Duration) {
	if d <= 0 {
		p.addf("%s must be greater than 0, got %s", name, d)
	}
}

// err returns the problems joined, or nil.
func (p *problems) err() error { return errors.Join(p.errs...) }

// okRate reports whether a rate is one a shape accepts (rateProblem
// finds nothing): the shapes' own checks and Validate agree.
func okRate(r float64, zeroOK bool) bool { return rateProblem(r, zeroOK) == "" }

// rateProblem says what is wrong with a rate, or returns "". It is shared by
// Validate and the parsers so that both word a problem the same way; the
// caller names the rate.
func rateProblem(r float64, zeroOK bool) string {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return "must be a finite number"
	case r <= 0 && !zeroOK:
		return "must be greater than zero"
	case r < 0:
		return "must not be negative"
	case r > MaxRate:
		return "must be at most " + RateString(MaxRate) + " (one hit per nanosecond)"
	case r > 0 && r < MinRate:
		return "must be at least one hit a day (1/24h)"
	}
	return ""
}
