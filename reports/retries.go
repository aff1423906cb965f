package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze"
)

// FormatAmplification renders attempts per logical request: "1.84×".
func FormatAmplification(a float64) string { return fmt.Sprintf("%.2f×", a) }

// retried reports whether a run's clients retried: its reports then show
// the retries (JSON shows them always).
func retried(run analyze.Run) bool {
	return run.Summary != nil && run.Summary.Retries.Any()
}

// retryFigures computes the retry figures of a run, as the comparison
// does for each policy.
func retryFigures(run analyze.Run) analyze.PolicyFigures {
	p := analyze.PolicyRun{Run: run}
	return p.Figures()
}

// retryFact is one retry figure for people: what it is, its value with
// its unit, and what the value means (of what a share is a share).
type retryFact struct {
	Label, Value, Detail string
}

// retryFacts lists the retry figures of a run for people. The text,
// Markdown and HTML reports show them as a table.
func retryFacts(run analyze.Run) []retryFact {
	s := run.Summary
	r := &s.Retries
	f := retryFigures(run)
	q := f.TimeToSuccess
	of := func(n uint64) string { return fmt.Sprintf("%d of %d logical requests", n, r.Logical) }
	facts := []retryFact{
		{"logical requests", strconv.FormatUint(r.Logical, 10), FormatRate(f.OfferedRate) + " offered"},
		{"attempts", strconv.FormatUint(r.Attempts(), 10), fmt.Sprintf("%d %s", r.Retries, plural(r.Retries, "retry", "retries"))},
		{"amplification", FormatAmplification(f.Amplification), "attempts per logical request"},
		{"eventual success", FormatShare(f.SuccessRatio), of(r.Succeeded)},
		{"goodput", FormatRate(f.Goodput), "logical requests that succeeded"},
		{"given up", FormatShare(f.GiveUpRatio), of(r.GaveUp)},
	}
	for _, why := range giveUps(r) {
		facts = append(facts, retryFact{"given up: " + why.what, strconv.FormatUint(why.n, 10), why.detail})
	}
	facts = append(facts, []retryFact{
		{"failed, not retried", FormatShare(share(r.Failed, r.Logical)), of(r.Failed) + ": last attempt failed, no retry due"},
	}...)
	if n := r.Unsettled(); n > 0 {
		facts = append(facts, retryFact{"unsettled", FormatShare(share(n, r.Logical)), of(n) + ": a retry never came back"})
	}
	facts = append(facts,
		retryFact{"early retries", strconv.FormatUint(r.Early, 10), plural(r.Early, "retry", "retries") + " sent before the Retry-After had passed"},
		retryFact{"non-retryable retried", strconv.FormatUint(r.NonRetryable, 10), plural(r.NonRetryable, "attempt", "attempts") + " of a non-retryable class (400, 401, 404…) retried"},
		retryFact{"time to success p50", FormatLatency(q.P50), "from the first attempt's scheduled send"},
		retryFact{"time to success p90", FormatLatency(q.P90), ""},
		retryFact{"time to success p99", FormatLatency(q.P99), ""},
		retryFact{"time to success max", FormatLatency(q.Max), ""},
		retryFact{"peak load on the target", FormatRate(f.PeakLoad), "attempts sent in the busiest interval"},
		retryFact{"recovery", recoveryShort(f.Recovery), recoveryText(f.Recovery, s.Timeline.AtLeast(time.Second).Start())},
	)
	return facts
}

// giveUp is one reason to give a logical request up.
type giveUp struct {
	n            uint64
	what, detail string
}

// giveUps lists the reasons logical requests were given up for, those
// that gave some up.
func giveUps(r *analyze.Retries) []giveUp {
	var out []giveUp
	for _, g := range []giveUp{
		{r.Exhausted, "attempts used up", "the attempts allowed were used up"},
		{r.Budget, "retry budget spent", "the retry budget was spent"},
		{r.TooLong, "Retry-After too long", "the Retry-After asked for a wait beyond the policy's cap"},
		{r.Stopped, "run stopped", "the run stopped before the retry was due"},
	} {
		if g.n > 0 {
			out = append(out, g)
		}
	}
	return out
}

// giveUpReasons says how many logical requests were given up, and why:
// "12: 8 attempts used up, 2 retry budget spent"; "0" when none was.
func giveUpReasons(r *analyze.Retries) string {
	var why []string
	for _, g := range giveUps(r) {
		why = append(why, fmt.Sprintf("%d %s", g.n, g.what))
	}
	if len(why) == 0 {
		return strconv.FormatUint(r.GaveUp, 10)
	}
	return fmt.Sprintf("%d: %s", r.GaveUp, strings.Join(why, ", "))
}

// rateLabel names the rate of attempts scheduled: the offered rate, or,
// when the clients retried, the attempted rate (the logical requests'
// offered rate is in the retries table), or a closed model's sent rate.
func rateLabel(run analyze.Run) string {
	if run.Concurrency > 0 {
		return "sent rate (closed model)"
	}
	if run.Summary != nil && run.Summary.Retries.Any() {
		return "attempted rate (retries included)"
	}
	return "offered rate"
}

// recoveryText says what the timeline tells of the recovery from a fault,
// its times from the timeline's start: "fault 4 s → 7 s, recovered 2 s
// after (±1 s)", "fault 4 s → 7 s, not recovered by the end of the run",
// "fault from 4 s to the end of the run", "no fault window".
func recoveryText(rec analyze.Recovery, start time.Time) string {
	switch {
	case !rec.Fault:
		return "no fault window"
	case rec.FaultEnd.IsZero():
		return fmt.Sprintf("fault from %s to the end of the run", seconds(rec.FaultStart.Sub(start)))
	}
	window := fmt.Sprintf("fault %s → %s", seconds(rec.FaultStart.Sub(start)), seconds(rec.FaultEnd.Sub(start)))
	if rec.Level == analyze.LevelAfter {
		window += " (from the run's start: judged against the level after it)"
	}
	if !rec.Recovered {
		return window + ", not recovered by the end of the run"
	}
	return fmt.Sprintf("%s, recovered %s after (±%s)", window, seconds(rec.Time), seconds(rec.Resolution))
}

// recoveryShort is recoveryText for a table cell: "2 s (±1 s)", "not
// recovered", "fault to the end", "no fault".
func recoveryShort(rec analyze.Recovery) string {
	switch {
	case !rec.Fault:
		return "no fault"
	case rec.FaultEnd.IsZero():
		return "fault to the end"
	case !rec.Recovered:
		return "not recovered"
	}
	return fmt.Sprintf("%s (±%s)", seconds(rec.Time), seconds(rec.Resolution))
}

// recoveryState names the outcome of a Recovery in JSON: no_fault,
// fault_to_end, not_recovered or recovered.
func recoveryState(rec analyze.Recovery) string {
	switch {
	case !rec.Fault:
		return "no_fault"
	case rec.FaultEnd.IsZero():
		return "fault_to_end"
	case !rec.Recovered:
		return "not_recovered"
	}
	return "recovered"
}

// seconds renders a duration in seconds, as few decimals as it needs:
// "4 s", "0.5 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// retryLine renders the retry figures of a run on one line, for JUnit.
func retryLine(run analyze.Run) string {
	r := &run.Summary.Retries
	f := retryFigures(run)
	q := f.TimeToSuccess
	return fmt.Sprintf("retries: %d logical requests, %d attempts (%s amplification); %s eventually succeeded (%s goodput), %s given up (%s), %d failed not retried, %d unsettled; %d early retries, %d non-retryable retried; time to success p50 %s, p90 %s, p99 %s, max %s; peak load %s; recovery: %s\n",
		r.Logical, r.Attempts(), FormatAmplification(f.Amplification), FormatShare(f.SuccessRatio), FormatRate(f.Goodput),
		FormatShare(f.GiveUpRatio), giveUpReasons(r), r.Failed, r.Unsettled(), r.Early, r.NonRetryable,
		FormatLatency(q.P50), FormatLatency(q.P90), FormatLatency(q.P99), FormatLatency(q.Max),
		FormatRate(f.PeakLoad), recoveryText(f.Recovery, run.Summary.Timeline.AtLeast(time.Second).Start()))
}

// intervalAmplification returns the attempts per logical request
// scheduled in an interval, and false when none was scheduled in it.
func intervalAmplification(p analyze.TimePoint) (float64, bool) {
	if p.Logical == 0 {
		return 0, false
	}
	return float64(p.Offered) / float64(p.Logical), true
}

// JSONRetries is the "retries" object of the JSON summary, and of each
// policy of the comparison: the logical requests of a run and what their
// retries made of them, documented in docs/summary-json.md.
type JSONRetries struct {
	LogicalRequests      uint64       `json:"logical_requests"` // first attempts
	Attempts             uint64       `json:"attempts"`         // first attempts and retries
	Retries              uint64       `json:"retries"`
	Amplification        float64      `json:"amplification"` // attempts / logical_requests
	Succeeded            uint64       `json:"succeeded"`     // logical requests that eventually succeeded
	EventualSuccessRatio float64      `json:"eventual_success_ratio"`
	GiveUpRatio          float64      `json:"give_up_ratio"`
	GaveUp               JSONGaveUp   `json:"gave_up"`
	Failed               uint64       `json:"failed"`    // last attempt failed, no retry due
	Unsettled            uint64       `json:"unsettled"` // last attempt never seen
	EarlyRetries         uint64       `json:"early_retries"`
	NonRetryableRetried  uint64       `json:"non_retryable_retried"`
	TimeToSuccessMs      LatencyMs    `json:"time_to_success_ms"`
	GoodputPerS          float64      `json:"goodput_per_s"`      // logical requests that succeeded, per second
	LogicalRatePerS      float64      `json:"logical_rate_per_s"` // logical requests offered, per second
	PeakLoadPerS         float64      `json:"peak_load_per_s"`    // most attempts sent per second in one interval
	Recovery             JSONRecovery `json:"recovery"`
}

// JSONGaveUp counts the logical requests given up, by reason.
type JSONGaveUp struct {
	Total             uint64 `json:"total"`
	Exhausted         uint64 `json:"exhausted"`
	Budget            uint64 `json:"budget"`
	RetryAfterTooLong uint64 `json:"retry_after_too_long"`
	Stopped           uint64 `json:"stopped"`
}

// JSONRecovery is analyze.Recovery: the first fault window of the
// timeline and the recovery after it. The keys that have no value (no
// fault, no end, no recovery) are absent.
type JSONRecovery struct {
	State              string     `json:"state"` // no_fault, fault_to_end, not_recovered, recovered
	Fault              bool       `json:"fault"`
	Level              string     `json:"level,omitempty"` // the healthy level judged against: "before" the fault, or "after" it when the run began in it
	FaultStart         *time.Time `json:"fault_start,omitempty"`
	FaultEnd           *time.Time `json:"fault_end,omitempty"`
	BeforeSuccessRatio *float64   `json:"before_success_ratio,omitempty"`
	BeforeP99Ms        *float64   `json:"before_p99_ms,omitempty"`
	Recovered          bool       `json:"recovered"`
	RecoveryTimeMs     *float64   `json:"recovery_time_ms,omitempty"`
	ResolutionMs       float64    `json:"resolution_ms"`
}

// NewJSONRetries builds the "retries" object of a run.
func NewJSONRetries(run analyze.Run) JSONRetries {
	if run.Summary == nil {
		run.Summary = analyze.NewSummary()
	}
	r := &run.Summary.Retries
	f := retryFigures(run)
	return JSONRetries{
		LogicalRequests:      r.Logical,
		Attempts:             r.Attempts(),
		Retries:              r.Retries,
		Amplification:        round(f.Amplification, 6),
		Succeeded:            r.Succeeded,
		EventualSuccessRatio: round(f.SuccessRatio, 6),
		GiveUpRatio:          round(f.GiveUpRatio, 6),
		GaveUp:               JSONGaveUp{Total: r.GaveUp, Exhausted: r.Exhausted, Budget: r.Budget, RetryAfterTooLong: r.TooLong, Stopped: r.Stopped},
		Failed:               r.Failed,
		Unsettled:            r.Unsettled(),
		EarlyRetries:         r.Early,
		NonRetryableRetried:  r.NonRetryable,
		TimeToSuccessMs:      latencyMs(r.TimeToSuccess),
		GoodputPerS:          round(f.Goodput, 3),
		LogicalRatePerS:      round(f.OfferedRate, 3),
		PeakLoadPerS:         round(f.PeakLoad, 3),
		Recovery:             jsonRecovery(f.Recovery),
	}
}

// jsonRecovery renders a Recovery.
func jsonRecovery(rec analyze.Recovery) JSONRecovery {
	out := JSONRecovery{State: recoveryState(rec), Fault: rec.Fault, Recovered: rec.Recovered, ResolutionMs: ms(rec.Resolution)}
	if !rec.Fault {
		return out
	}
	out.FaultStart, out.FaultEnd = utcOrNil(rec.FaultStart), utcOrNil(rec.FaultEnd)
	if out.Level = rec.Level.String(); rec.Level != analyze.LevelNone {
		ratio, p99 := round(rec.BeforeSuccess, 6), ms(rec.BeforeP99)
		out.BeforeSuccessRatio, out.BeforeP99Ms = &ratio, &p99
	}
	if rec.Recovered {
		t := ms(rec.Time)
		out.RecoveryTimeMs = &t
	}
	return out
}
