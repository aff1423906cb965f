package probe

import (
	"fmt"
	"strings"
	"time"
)

// verdictOf is the rounds' common verdict, Inconsistent if they differ;
// NoLimit if no ramp found a 429, Inconclusive if the probe stopped before
// any round reached a verdict.
func verdictOf(res Result) Verdict {
	var v Verdict
	for _, r := range res.Rounds {
		switch {
		case r.Verdict == "":
		case v == "":
			v = r.Verdict
		case v != r.Verdict:
			return Inconsistent
		}
	}
	switch {
	case v != "":
		return v
	case len(res.Rounds) == 0 && res.GaveUp != "":
		return NoLimit
	}
	return Inconclusive
}

// Explain says in one sentence why the probe reached its verdict, with
// the evidence of the first round that shows it.
func (res Result) Explain() string {
	switch res.Verdict {
	case NoLimit:
		return res.GaveUp + ": nothing to verify"
	case Inconclusive:
		why := "the probe stopped"
		switch {
		case res.Stopped == StopMaxRequests:
			why = fmt.Sprintf("the bound of %d requests stopped the probe", res.Bounds.MaxRequests)
		case res.Stopped == StopMaxTime:
			why = fmt.Sprintf("the bound of %s stopped the probe", res.Bounds.MaxTime)
		case res.Stopped == StopInterrupted:
			why = "the probe was interrupted"
		case res.GaveUp != "":
			why = res.GaveUp
		case res.noAnswer() != "":
			return "no round reached a verdict: " + res.noAnswer()
		}
		s := why + " before any round reached a verdict"
		if na := res.noAnswer(); na != "" {
			s += "; " + na
		}
		return s
	case Inconsistent:
		parts := make([]string, 0, len(res.Rounds))
		for i, r := range res.Rounds {
			v := string(r.Verdict)
			switch {
			case v != "":
			case r.NoAnswer != "":
				v = "no limiter answer"
			default:
				v = "unfinished"
			}
			parts = append(parts, fmt.Sprintf("round %d %s", i+1, v))
		}
		return "the rounds disagree: " + strings.Join(parts, ", ")
	}
	for i, r := range res.Rounds {
		if r.Verdict == res.Verdict {
			s := fmt.Sprintf("round %d: %s", i+1, r.Explain())
			if na := res.noAnswer(); na != "" {
				s += "; no verdict in " + na
			}
			return s
		}
	}
	return string(res.Verdict)
}

// noAnswer lists the rounds that ended without a verdict for want of a
// limiter answer, and why: "round 2: the deadline request got …".
func (res Result) noAnswer() string {
	var parts []string
	for i, r := range res.Rounds {
		if r.Verdict == "" && r.NoAnswer != "" {
			parts = append(parts, fmt.Sprintf("round %d: %s", i+1, r.NoAnswer))
		}
	}
	return strings.Join(parts, "; ")
}

// Explain says what the round's exchanges show.
func (r Round) Explain() string {
	said := fmt.Sprintf("its 429 said Retry-After: %s (%s)", r.RetryAfter, seconds(r.Advertised))
	switch r.Verdict {
	case Honest:
		if r.Halfway != nil && *r.Halfway {
			return fmt.Sprintf("%s, and a request %s later was admitted, within the header's whole-second resolution", said, seconds(r.RealWait))
		}
		return fmt.Sprintf("%s, and a request %s later was admitted, as it said", said, seconds(r.RealWait))
	case Overstated:
		return fmt.Sprintf("%s, but a request only %s later was admitted: clients wait longer than they need to", said, seconds(r.RealWait))
	case Understated:
		d := r.Exchanges[len(r.Exchanges)-1]
		for _, e := range r.Exchanges {
			if e.Kind == KindDeadline {
				d = e
			}
		}
		s := fmt.Sprintf("%s, but a request %s later was still rejected", said, seconds(d.At))
		if r.Advertised == 0 {
			s = said + ", but a request sent right after it was still rejected"
		}
		if !r.Recovered {
			s += fmt.Sprintf("; none was admitted up to %s", seconds(r.RejectedUntil))
			if r.NoAnswer != "" {
				s += ", then " + r.NoAnswer
			}
			return s
		}
		s += fmt.Sprintf("; the first admitted left %s after the 429", seconds(r.RealWait))
		if r.Advertised > 0 {
			s += fmt.Sprintf(" (%.1f× the advertised wait)", float64(r.RealWait)/float64(r.Advertised))
		}
		return s
	case NoRetryAfter, MalformedRetryAfter:
		s := "its 429 carried no Retry-After"
		if r.Verdict == MalformedRetryAfter {
			s = fmt.Sprintf("its 429 carried Retry-After: %s, neither delay-seconds nor an HTTP-date, which clients cannot read", r.RetryAfter)
		}
		s += "; backing off 1 s, 2 s, 4 s, … as the seed APIs advise"
		if !r.Recovered {
			if r.Polls == 0 {
				return s + ", the probe was stopped before the first retry"
			}
			s += fmt.Sprintf(", no request was admitted up to %s", seconds(r.RejectedUntil))
			if r.NoAnswer != "" {
				s += ", then " + r.NoAnswer
			}
			return s
		}
		return s + fmt.Sprintf(", the first request admitted left %s after the 429", seconds(r.RealWait))
	}
	if r.NoAnswer != "" {
		return "no verdict: " + r.NoAnswer
	}
	return "stopped before a verdict"
}

// String returns the verdict's name.
func (v Verdict) String() string { return string(v) }

// Seconds formats a duration for the probe's messages: "1.25 s".
func Seconds(d time.Duration) string { return seconds(d) }
