package pace

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// rateForm names the forms ParseRate accepts, for error messages.
const rateForm = "want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms"

// stepsForm names the form ParseSteps accepts, for error messages.
const stepsForm = "want RATE@DURATION[,RATE@DURATION...], e.g. 100/s@30s,200/s@1m"

// ParseRate parses a rate in vegeta's syntax and returns it in hits per
// second.
//
// Grammar (surrounding whitespace ignored):
//
//	rate     = number [ "/" per ]       ; no "/per" means per second
//	per      = unit | duration
//	unit     = "ns" | "us" | "µs" | "ms" | "s" | "m" | "h"   ; one unit
//	duration = a time.ParseDuration string, e.g. "1s", "100ms", "1m30s"
//	number   = decimal floating-point number, e.g. "200", "1.5", "2e3"
//
// so "200", "200/s", "200/1s", "50/100ms", "3000/m" and "1.5/s" are all
// valid. The rate, number/per, must be finite, greater than zero and at
// most MaxRate; per must be greater than zero.
func ParseRate(s string) (float64, error) {
	return parseRate(s, false)
}

// parseRate is ParseRate, also accepting a rate of zero if zeroOK.
func parseRate(s string, zeroOK bool) (float64, error) {
	num, per, hasPer := strings.Cut(strings.TrimSpace(s), "/")
	num = strings.TrimSpace(num)
	if num == "" {
		return 0, fmt.Errorf("rate %s: %s", quote(s), rateForm)
	}
	// ParseFloat alone would also take "inf", "0x1p4" and "1_0".
	if strings.Trim(num, "0123456789.eE+-") != "" {
		return 0, fmt.Errorf("rate %s: %s is not a number; %s", quote(s), quote(num), rateForm)
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) { // out of range: ±Inf or 0, judged below
		return 0, fmt.Errorf("rate %s: %s is not a number; %s", quote(s), quote(num), rateForm)
	}
	unit := time.Second
	if hasPer {
		per = strings.TrimSpace(per)
		switch per {
		case "ns", "us", "µs", "ms", "s", "m", "h":
			per = "1" + per
		}
		unit, err = time.ParseDuration(per)
		if err != nil {
			return 0, fmt.Errorf("rate %s: %s is neither a unit (ns, us, µs, ms, s, m, h) nor a duration such as 100ms; %s", quote(s), quote(per), rateForm)
		}
		if unit <= 0 {
			return 0, fmt.Errorf("rate %s: the period %s must be greater than zero", quote(s), unit)
		}
	}
	// r = n/per in hits per second, as n·1e9/per[ns] so that "1/ns" is
	// exactly 1e9. Overflow to ±Inf from a finite n is a rate too high.
	r := n * nsPerSecond / float64(unit)
	if math.IsInf(r, 0) && !math.IsInf(n, 0) {
		r = math.Copysign(math.MaxFloat64, r)
	}
	if msg := rateProblem(r, zeroOK); msg != "" {
		return 0, fmt.Errorf("rate %s: %s", quote(s), msg)
	}
	return r + 0, nil // + 0 turns -0 into 0
}

// ParseSteps parses a list of steps.
//
// Grammar (whitespace around items, rates and durations ignored):
//
//	steps    = step *( "," step )       ; 1 to MaxSteps steps
//	step     = rate "@" duration
//	rate     = ParseRate's rate, where 0 is also allowed (a pause)
//	duration = a time.ParseDuration string greater than 0, e.g. "30s", "1m"
//
// For example "100/s@30s,200@1m,0@10s" is 100 hits per second for 30s,
// then 200 per second for a minute, then a pause of 10s. At least one rate
// must be greater than zero. The result satisfies Steps.Validate.
func ParseSteps(s string) ([]Step, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("steps %s: %s", quote(s), stepsForm)
	}
	// Count before splitting, so that a huge input costs no allocation.
	if n := strings.Count(s, ",") + 1; n > MaxSteps {
		return nil, fmt.Errorf("steps %s: at most %d steps, got %d", quote(s), MaxSteps, n)
	}
	var steps []Step
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("steps %s: step %d is empty; %s", quote(s), i+1, stepsForm)
		}
		rate, dur, ok := strings.Cut(item, "@")
		if !ok {
			return nil, fmt.Errorf("steps %s: step %d %s has no \"@\"; %s", quote(s), i+1, quote(item), stepsForm)
		}
		r, err := parseRate(rate, true)
		if err != nil {
			return nil, fmt.Errorf("steps %s: step %d: %w", quote(s), i+1, err)
		}
		dur = strings.TrimSpace(dur)
		d, err := time.ParseDuration(dur)
		if err != nil {
			return nil, fmt.Errorf("steps %s: step %d: duration %s: want a duration such as 30s or 1m30s", quote(s), i+1, quote(dur))
		}
		if d <= 0 {
			return nil, fmt.Errorf("steps %s: step %d: duration %s must be greater than zero", quote(s), i+1, quote(dur))
		}
		steps = append(steps, Step{Rate: r, For: d})
	}
	if msgs := listProblems(steps); len(msgs) > 0 {
		return nil, fmt.Errorf("steps %s: %s", quote(s), strings.Join(msgs, "; "))
	}
	return steps, nil
}

// RateString formats a rate in hits per second for humans and for
// ParseRate: at most 3 decimals from 1/s up ("200/s", "12.5/s"), and 3
// significant digits below ("0.5/s", "0.0167/s").
func RateString(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return strconv.FormatFloat(r, 'g', -1, 64) + "/s"
	}
	if r == 0 {
		return "0/s" // also -0
	}
	var s string
	switch a := math.Abs(r); {
	case a >= 1:
		s = strconv.FormatFloat(r, 'f', 3, 64)
	case a >= 1e-9:
		// 3 significant digits: decimals = 2 − floor(log10 a).
		s = strconv.FormatFloat(r, 'f', 2-int(math.Floor(math.Log10(a))), 64)
	default:
		s = strconv.FormatFloat(r, 'g', 3, 64)
	}
	if strings.Contains(s, ".") && !strings.ContainsAny(s, "eE") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + "/s"
}

// quote quotes user input for an error message, shortened if long so that
// a runaway argument does not flood the terminal.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
