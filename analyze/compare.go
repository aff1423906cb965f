package analyze

import "time"

// Comparison is one load shape run once per retry policy, one after the
// other (the retry-storm comparison): what each policy did to the
// target.
type Comparison struct {
	Runs []PolicyRun // in the order they ran
}

// PolicyRun is the run of one policy of a Comparison.
type PolicyRun struct {
	Policy string // the policy's name: none, immediate, exponential, decorrelated
	Detail string // its parameters, e.g. "exponential (3 retries, 100ms to 10s, full jitter, honours Retry-After)"
	Run    Run
}

// PolicyFigures are the figures a comparison sets side by side.
type PolicyFigures struct {
	Logical       uint64        // logical requests the pacer offered
	Attempts      uint64        // attempts sent, retries included
	Goodput       float64       // logical requests that eventually succeeded, per second of offered load (Retries.Goodput)
	Amplification float64       // attempts per logical request
	SuccessRatio  float64       // logical requests that eventually succeeded, 0 to 1
	GiveUpRatio   float64       // logical requests given up, 0 to 1
	Share429      float64       // attempts answered 429, 0 to 1
	TimeToSuccess Quantiles     // from the first attempt to the success
	PeakLoad      float64       // most attempts per second the target saw in one interval
	OfferedRate   float64       // logical requests per second offered (Retries.OfferedRate)
	Recovery      Recovery      // after the fault, if the run had one
	Duration      time.Duration // of the run
}

// Figures computes the comparison's figures of one policy's run.
func (p *PolicyRun) Figures() PolicyFigures {
	s := p.Run.Summary
	if s == nil {
		return PolicyFigures{}
	}
	r := &s.Retries
	f := PolicyFigures{
		Logical:       r.Logical,
		Attempts:      r.Attempts(),
		Amplification: r.Amplification(),
		SuccessRatio:  r.SuccessRatio(),
		GiveUpRatio:   r.GiveUpRatio(),
		Share429:      ratio(s.Status[429], s.Requests),
		TimeToSuccess: LatencyQuantiles(r.TimeToSuccess),
		PeakLoad:      s.Timeline.PeakSent(),
		Recovery:      s.Timeline.Recovery(),
		Duration:      s.Duration(),
	}
	f.Goodput, f.OfferedRate = r.Goodput(), r.OfferedRate()
	return f
}
