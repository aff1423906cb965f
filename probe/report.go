package probe

import (
	"math"
	"time"

	"github.com/stampede-dev/stampede/records/probefile"
)

// NewReport is the stored form of a probe's result: the JSON report of
// `stampede probe --format json`, which `stampede report` reads back.
// target is the method and URL probed, secrets masked. Times are in
// seconds, to the millisecond.
func NewReport(target string, res Result) probefile.Report {
	b := res.Bounds
	out := probefile.Report{
		Schema: probefile.Schema, Target: target, Requests: res.Requests, Failures: res.Failures, MaxRequests: b.MaxRequests,
		MaxTimeS: secs(b.MaxTime), ElapsedS: secs(res.Elapsed), Verdict: string(res.Verdict), Explanation: res.Explain(),
		GaveUp: res.GaveUp, Stopped: string(res.Stopped),
		Probe: probefile.Probe{
			Verdict: string(res.Verdict), StartRatePerS: b.StartRate, MaxRatePerS: b.MaxRate, StepS: secs(b.Step),
			MarginS: secs(b.Margin), RoundsPlanned: b.Rounds, MaxInFlight: b.MaxInFlight, Rounds: []probefile.Round{},
		},
	}
	for _, r := range res.Rounds {
		jr := probefile.Round{
			TriggerRatePerS: roundTo(r.TriggerRate, 3), RampRequests: r.RampRequests, RetryAfter: r.RetryAfter, Form: r.Form.String(),
			HalfwayAdmitted: r.Halfway, DeadlineAdmitted: r.Deadline, RejectedUntilS: secs(r.RejectedUntil),
			Polls: r.Polls, Verdict: string(r.Verdict), NoAnswer: r.NoAnswer, Exchanges: make([]probefile.Exchange, len(r.Exchanges)),
		}
		if r.Form.Valid() {
			jr.AdvertisedS = ptrTo(secs(r.Advertised))
		}
		if r.Recovered {
			jr.RealWaitS = ptrTo(secs(r.RealWait))
		}
		for i, e := range r.Exchanges {
			jr.Exchanges[i] = probefile.Exchange{Kind: e.Kind, AtS: secs(e.At), Status: e.Status, RetryAfter: e.RetryAfter, Error: e.Error}
		}
		out.Probe.Rounds = append(out.Probe.Rounds, jr)
	}
	return out
}

// secs is d in seconds, to the millisecond.
func secs(d time.Duration) float64 { return roundTo(d.Seconds(), 3) }

// roundTo rounds v to digits decimals; NaN and infinities become 0.
func roundTo(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func ptrTo[T any](v T) *T { return &v }
