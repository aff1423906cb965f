package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/probe"
)

// ProbeSchema names the version of the probe's JSON report. Later versions
// add keys; they never rename or remove one.
const ProbeSchema = "stampede/probe/v1"

// ProbeReport is what `stampede probe` reports.
type ProbeReport struct {
	// Target is the method and URL probed, secrets masked.
	Target string
	Result probe.Result
}

// ProbeText writes the probe's report for people: the bounds, a table of
// the rounds, each round's exchanges, the verdict with its evidence and
// the requests spent.
func ProbeText(w io.Writer, rep ProbeReport) error {
	res := rep.Result
	b := res.Bounds
	tp := &textPrinter{w: w}
	if rep.Target != "" {
		tp.printf("Target    %s\n", rep.Target)
	}
	tp.printf("Ramp      %s, doubling every %s up to %s\n", pace.RateString(b.StartRate), b.Step, pace.RateString(b.MaxRate))
	tp.printf("Bounds    %d requests, %s, %d %s, margin %s\n\n", b.MaxRequests, b.MaxTime, b.Rounds, plural(uint64(b.Rounds), "round", "rounds"), probe.Seconds(b.Margin))

	if len(res.Rounds) > 0 {
		rows := make([][]string, len(res.Rounds))
		for i, r := range res.Rounds {
			rows[i] = []string{
				strconv.Itoa(i + 1), FormatRate(r.TriggerRate), orDash(r.RetryAfter), r.Form.String(), advertisedText(r),
				admittedText(r.Halfway), admittedText(r.Deadline), realWaitText(r), strconv.Itoa(r.Polls), roundVerdictText(r),
			}
		}
		l, rt := tw.AlignLeft, tw.AlignRight
		tp.table([]string{"Round", "Trigger rate", "Retry-After", "Form", "Advertised (s)", "At T/2", "At T+margin", "Real wait (s)", "Polls", "Verdict"},
			[]tw.Align{rt, rt, l, l, rt, l, l, rt, rt, l}, rows)

		tp.printf("\nExchanges (seconds after each round's 429: status, Retry-After)\n")
		for i, r := range res.Rounds {
			parts := make([]string, len(r.Exchanges))
			for j, e := range r.Exchanges {
				parts[j] = fmt.Sprintf("%.2f %s", e.At.Seconds(), exchangeStatusText(e))
				if e.RetryAfter != "" {
					parts[j] += " (" + e.RetryAfter + ")"
				}
			}
			tp.printf("  %d  %s\n", i+1, strings.Join(parts, " · "))
		}
		tp.printf("\n")
	}
	if res.GaveUp != "" {
		tp.printf("Gave up   %s\n", res.GaveUp)
	}
	if s := stoppedText(res); s != "" {
		tp.printf("Stopped   %s\n", s)
	}
	tp.printf("Verdict   %s: %s\n", res.Verdict, res.Explain())
	tp.printf("Requests  %d of at most %d, in %.1f s\n", res.Requests, b.MaxRequests, res.Elapsed.Seconds())
	return tp.err
}

// roundVerdictText is the round's verdict, "no answer" for a round ended
// for want of a limiter answer, "-" for one stopped before a verdict.
func roundVerdictText(r probe.Round) string {
	if r.Verdict == "" && r.NoAnswer != "" {
		return "no answer"
	}
	return orDash(string(r.Verdict))
}

// exchangeStatusText is an exchange's status, "failed" after a transport failure.
func exchangeStatusText(e probe.Exchange) string {
	if e.Status == 0 {
		return "failed"
	}
	return strconv.Itoa(e.Status)
}

// advertisedText is the advertised wait in seconds, "-" without a usable
// Retry-After.
func advertisedText(r probe.Round) string {
	if !r.Form.Valid() {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.Advertised.Seconds())
}

// admittedText is "admitted", "rejected", or "-" for a request not sent.
func admittedText(b *bool) string {
	switch {
	case b == nil:
		return "-"
	case *b:
		return "admitted"
	}
	return "rejected"
}

// realWaitText bounds the real wait: after the last rejected request, at
// most the first admitted one ("1.00–2.25"); "> 8.00" if none was.
func realWaitText(r probe.Round) string {
	if !r.Recovered {
		if r.RejectedUntil == 0 {
			return "-"
		}
		return fmt.Sprintf("> %.2f", r.RejectedUntil.Seconds())
	}
	return fmt.Sprintf("%.2f–%.2f", r.RejectedUntil.Seconds(), r.RealWait.Seconds())
}

// stoppedText says which bound ended the probe early, "" if none did.
func stoppedText(res probe.Result) string {
	var s string
	switch res.Stopped {
	case probe.StopMaxRequests:
		s = fmt.Sprintf("by the bound of %d requests", res.Bounds.MaxRequests)
	case probe.StopMaxTime:
		s = fmt.Sprintf("by the bound of %s", res.Bounds.MaxTime)
	case probe.StopInterrupted:
		s = "by an interrupt"
	default:
		return ""
	}
	return fmt.Sprintf("%s, after %d of %d rounds", s, len(res.Rounds), res.Bounds.Rounds)
}

// JSONProbeReport is the machine-readable report of `stampede probe`,
// documented in docs/probe.md.
type JSONProbeReport struct {
	Schema      string    `json:"schema"`
	Target      string    `json:"target,omitempty"`
	Requests    int       `json:"requests"`
	Failures    int       `json:"failures"`
	MaxRequests int       `json:"max_requests"`
	MaxTimeS    float64   `json:"max_time_s"`
	ElapsedS    float64   `json:"elapsed_s"`
	Verdict     string    `json:"verdict"`
	Explanation string    `json:"explanation"`
	GaveUp      string    `json:"gave_up"`
	Stopped     string    `json:"stopped"`
	Probe       JSONProbe `json:"probe"`
}

// JSONProbe is the probe itself: how it ramped and its rounds.
type JSONProbe struct {
	Verdict       string           `json:"verdict"`
	StartRatePerS float64          `json:"start_rate_per_s"`
	MaxRatePerS   float64          `json:"max_rate_per_s"`
	StepS         float64          `json:"step_s"`
	MarginS       float64          `json:"margin_s"`
	RoundsPlanned int              `json:"rounds_planned"`
	MaxInFlight   int              `json:"max_in_flight"`
	Rounds        []JSONProbeRound `json:"rounds"`
}

// JSONProbeRound is one round. Null means not measured: advertised_s
// without a usable Retry-After, halfway_admitted and deadline_admitted
// for requests not sent (or not answered by the limiter), real_wait_s when
// no request was admitted. no_answer says which request got no limiter
// answer and ended the round's checks, "" if none.
type JSONProbeRound struct {
	TriggerRatePerS  float64             `json:"trigger_rate_per_s"`
	RampRequests     int                 `json:"ramp_requests"`
	RetryAfter       string              `json:"retry_after"`
	Form             string              `json:"form"`
	AdvertisedS      *float64            `json:"advertised_s"`
	HalfwayAdmitted  *bool               `json:"halfway_admitted"`
	DeadlineAdmitted *bool               `json:"deadline_admitted"`
	RealWaitS        *float64            `json:"real_wait_s"`
	RejectedUntilS   float64             `json:"rejected_until_s"`
	Polls            int                 `json:"polls"`
	Verdict          string              `json:"verdict"`
	NoAnswer         string              `json:"no_answer"`
	Exchanges        []JSONProbeExchange `json:"exchanges"`
}

// JSONProbeExchange is one request of a round: when it left, in seconds
// after the round's 429, and what came back: status 0 and error after a
// transport failure.
type JSONProbeExchange struct {
	Kind       string  `json:"kind"`
	AtS        float64 `json:"at_s"`
	Status     int     `json:"status"`
	RetryAfter string  `json:"retry_after"`
	Error      string  `json:"error,omitempty"`
}

// NewJSONProbeReport builds the JSON report.
func NewJSONProbeReport(rep ProbeReport) JSONProbeReport {
	res := rep.Result
	b := res.Bounds
	out := JSONProbeReport{
		Schema: ProbeSchema, Target: rep.Target, Requests: res.Requests, Failures: res.Failures, MaxRequests: b.MaxRequests,
		MaxTimeS: secs(b.MaxTime), ElapsedS: secs(res.Elapsed), Verdict: string(res.Verdict), Explanation: res.Explain(),
		GaveUp: res.GaveUp, Stopped: string(res.Stopped),
		Probe: JSONProbe{
			Verdict: string(res.Verdict), StartRatePerS: b.StartRate, MaxRatePerS: b.MaxRate, StepS: secs(b.Step),
			MarginS: secs(b.Margin), RoundsPlanned: b.Rounds, MaxInFlight: b.MaxInFlight, Rounds: []JSONProbeRound{},
		},
	}
	for _, r := range res.Rounds {
		jr := JSONProbeRound{
			TriggerRatePerS: round(r.TriggerRate, 3), RampRequests: r.RampRequests, RetryAfter: r.RetryAfter, Form: r.Form.String(),
			HalfwayAdmitted: r.Halfway, DeadlineAdmitted: r.Deadline, RejectedUntilS: secs(r.RejectedUntil),
			Polls: r.Polls, Verdict: string(r.Verdict), NoAnswer: r.NoAnswer, Exchanges: make([]JSONProbeExchange, len(r.Exchanges)),
		}
		if r.Form.Valid() {
			jr.AdvertisedS = ptrTo(secs(r.Advertised))
		}
		if r.Recovered {
			jr.RealWaitS = ptrTo(secs(r.RealWait))
		}
		for i, e := range r.Exchanges {
			jr.Exchanges[i] = JSONProbeExchange{Kind: e.Kind, AtS: secs(e.At), Status: e.Status, RetryAfter: e.RetryAfter, Error: e.Error}
		}
		out.Probe.Rounds = append(out.Probe.Rounds, jr)
	}
	return out
}

// ProbeJSON writes the probe's JSON report, indented.
func ProbeJSON(w io.Writer, rep ProbeReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewJSONProbeReport(rep))
}

// secs is d in seconds, to the millisecond.
func secs(d time.Duration) float64 { return round(d.Seconds(), 3) }

func ptrTo[T any](v T) *T { return &v }

// ProbePassed reports whether a probe's verdict lets a run pass: as for
// `stampede probe`'s exit code, only an honest limiter does.
func ProbePassed(verdict string) bool { return verdict == string(probe.Honest) }

// probeLines renders the probes for the text and Markdown reports: one
// line each, "<target>: <verdict>: <explanation>", cleaned for a terminal.
func probeLines(probes []JSONProbeReport) []string {
	var out []string
	for _, p := range probes {
		out = append(out, oneLine(fmt.Sprintf("%s: %s: %s (%d rounds, %d requests)", p.Target, p.Verdict, p.Explanation, len(p.Probe.Rounds), p.Requests)))
	}
	return out
}
