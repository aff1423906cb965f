// Package probefile is the stored form of a probe's outcome: the JSON
// report `stampede probe --format json` writes and `stampede report` reads
// beside result files. Its keys are documented in docs/probe.md; later
// versions of the schema add keys, they never rename or remove one.
package probefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Schema names the version of the report.
const Schema = "stampede/probe/v1"

// Honest is the verdict of a limiter whose Retry-After tells the truth:
// the only verdict that lets a run pass.
const Honest = "honest"

// Verdicts are every verdict a probe reaches (the probe package's, which
// a test keeps equal), for checking the thresholds that name one.
var Verdicts = []string{Honest, "overstated", "understated", "no_retry_after", "malformed_retry_after", "inconsistent", "no_limit", "inconclusive"}

// MaxSize bounds the size of a report Read accepts: a real one is a few
// kilobytes per round.
const MaxSize = 4 << 20

// Report is the machine-readable report of `stampede probe`.
type Report struct {
	Schema      string  `json:"schema"`
	Target      string  `json:"target,omitempty"`
	Requests    int     `json:"requests"`
	Failures    int     `json:"failures"`
	MaxRequests int     `json:"max_requests"`
	MaxTimeS    float64 `json:"max_time_s"`
	ElapsedS    float64 `json:"elapsed_s"`
	Verdict     string  `json:"verdict"`
	Explanation string  `json:"explanation"`
	GaveUp      string  `json:"gave_up"`
	Stopped     string  `json:"stopped"`
	Probe       Probe   `json:"probe"`
}

// Passed reports whether the probe's verdict lets a run pass: as for
// `stampede probe`'s exit code, only an honest limiter does.
func (r *Report) Passed() bool { return r.Verdict == Honest }

// Probe is the probe itself: how it ramped and its rounds.
type Probe struct {
	Verdict       string  `json:"verdict"`
	StartRatePerS float64 `json:"start_rate_per_s"`
	MaxRatePerS   float64 `json:"max_rate_per_s"`
	StepS         float64 `json:"step_s"`
	MarginS       float64 `json:"margin_s"`
	RoundsPlanned int     `json:"rounds_planned"`
	MaxInFlight   int     `json:"max_in_flight"`
	Rounds        []Round `json:"rounds"`
}

// Round is one round. Null means not measured: advertised_s without a
// usable Retry-After, halfway_admitted and deadline_admitted for requests
// not sent (or not answered by the limiter), real_wait_s when no request
// was admitted. no_answer says which request got no limiter answer and
// ended the round's checks, "" if none.
type Round struct {
	TriggerRatePerS  float64    `json:"trigger_rate_per_s"`
	RampRequests     int        `json:"ramp_requests"`
	RetryAfter       string     `json:"retry_after"`
	Form             string     `json:"form"`
	AdvertisedS      *float64   `json:"advertised_s"`
	HalfwayAdmitted  *bool      `json:"halfway_admitted"`
	DeadlineAdmitted *bool      `json:"deadline_admitted"`
	RealWaitS        *float64   `json:"real_wait_s"`
	RejectedUntilS   float64    `json:"rejected_until_s"`
	Polls            int        `json:"polls"`
	Verdict          string     `json:"verdict"`
	NoAnswer         string     `json:"no_answer"`
	Exchanges        []Exchange `json:"exchanges"`
}

// Exchange is one request of a round: when it left, in seconds after the
// round's 429, and what came back: status 0 and error after a transport
// failure.
type Exchange struct {
	Kind       string  `json:"kind"`
	AtS        float64 `json:"at_s"`
	Status     int     `json:"status"`
	RetryAfter string  `json:"retry_after"`
	Error      string  `json:"error,omitempty"`
}

// Detect reports whether a file's first bytes look like a report: a JSON
// object naming this schema.
func Detect(prefix []byte) bool {
	p := bytes.TrimLeft(prefix, " \t\r\n")
	return len(p) > 0 && p[0] == '{' && bytes.Contains(p, []byte(`"schema"`)) && bytes.Contains(p, []byte(`"`+Schema+`"`))
}

// Read reads a report of at most MaxSize bytes and of this Schema.
func Read(r io.Reader) (Report, error) {
	var rep Report
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return rep, err
	}
	if len(data) > MaxSize {
		return rep, fmt.Errorf("a probe report of more than %d bytes", MaxSize)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("a probe report that does not parse: %w", err)
	}
	if rep.Schema != Schema {
		return rep, fmt.Errorf("probe report of schema %q; this stampede reads %q", rep.Schema, Schema)
	}
	return rep, nil
}

// Write writes a report as indented JSON, as `stampede probe --format
// json` prints it.
func Write(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
