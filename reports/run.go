// Package reports renders what analyze computed: terminal tables and
// machine-readable JSON now, more formats later.
package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records/probefile"
)

// Run is everything a report shows about one run: the summary and the
// facts about the run that are not aggregates.
type Run struct {
	Summary     *analyze.Summary
	Contract    *contract.Report // the rate-limit contract checks; nil for none
	Target      string           // e.g. "GET http://127.0.0.1:8080/" (redacted)
	Pacer       string           // the load shape, e.g. "constant 500/s"
	Planned     time.Duration    // the --duration asked for, 0 if unbounded
	ResultFile  string           // path of the result file, "" if none
	Records     uint64           // records written to the result file
	Interrupted string           // the signal that stopped the run, "" if it ran to the end
	Unanswered  uint64           // attempts still in flight when the run gave up waiting
	Unsent      uint64           // scheduled attempts never sent: the generator fell too far behind
	MaxLateness time.Duration    // how far behind schedule stampede may fall before it stops sending
	Uncorrected bool             // also show the latency measured from the actual send (wrk2 -U)
	MaxClasses  int              // rows of the text classes table; 0 means DefaultMaxClassRows
	Histogram   bool             // draw a latency histogram of each of the top classes (--histogram)
	Truncated   uint64           // bodies longer than the classification limit
	BodyLimit   int              // body bytes read for classification; 0 means classify.DefaultBodyLimit

	// Metadata of the run, for reports read later by people who were not
	// at the terminal; empty when unknown.
	Command []string  // the command line, secrets redacted
	Start   time.Time // when the run (the earliest of its shards) started
	Tool    string    // what wrote the results, e.g. "stampede 0.4.0"
	RunID   string    // identifies the run; all shards of one run share it
	Shards  []string  // the shards merged into this report
	Sources []string  // the result files read, "-" for standard input
	Notes   []string  // remarks on reading the results: damage skipped, parts unknown
	// Probes are reports of `stampede probe --format json` read with the
	// result files: the active check of the rate limiter's Retry-After.
	Probes []probefile.Report
	// ResultFiles counts the stampede and vegeta result files read; 0 for
	// a live run.
	ResultFiles int
	// Unfinished counts the result files that should end with a trailer
	// (format 3 and later) but do not: runs that crashed or were killed.
	Unfinished int
}

// probesOnly reports whether the report holds probe reports and no
// result file: no request is then expected.
func (r Run) probesOnly() bool { return len(r.Probes) > 0 && r.ResultFiles == 0 }

// Verdict is a run's headline: whether it passed, and why not.
type Verdict struct {
	Pass    bool
	Reasons []string // what failed, for people; empty when Pass
	// Unfinished holds the reasons about how the run ended (interrupted,
	// attempts unsent or unanswered, a file without its end), also in
	// Reasons.
	Unfinished []string
}

// Verdict judges the run: it fails when the rate-limit contract has a
// violation of severity error, when a probe found the limiter's waits
// untrue, when the run was interrupted, when
// attempts went unsent or unanswered, when a result file has no end (a
// crash), or when there was no request.
func (r Run) Verdict() Verdict {
	var v Verdict
	unfinished := func(reason string) {
		v.Reasons = append(v.Reasons, reason)
		v.Unfinished = append(v.Unfinished, reason)
	}
	if (r.Summary == nil || r.Summary.Requests == 0) && !r.probesOnly() {
		v.Reasons = append(v.Reasons, "no request was made")
	}
	if errs, _ := r.Contract.Violations(); errs > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("rate-limit contract: %d %s", errs, plural(errs, "violation", "violations")))
	}
	if r.Interrupted != "" {
		unfinished("interrupted by " + r.Interrupted)
	}
	if r.Unsent > 0 {
		unfinished(fmt.Sprintf("%d scheduled %s never sent: the generator fell behind", r.Unsent, plural(r.Unsent, "attempt was", "attempts were")))
	}
	if r.Unanswered > 0 {
		unfinished(fmt.Sprintf("%d %s unanswered", r.Unanswered, plural(r.Unanswered, "attempt", "attempts")))
	}
	for _, p := range r.Probes {
		if !p.Passed() {
			v.Reasons = append(v.Reasons, fmt.Sprintf("probe of %s: %s", p.Target, p.Verdict))
		}
	}
	if n := uint64(r.Unfinished); n > 0 {
		unfinished(fmt.Sprintf("%d result %s no end: the run crashed or was killed, and its contract checks are unknown", n, plural(n, "file has", "files have")))
	}
	v.Pass = len(v.Reasons) == 0
	return v
}

// DefaultMaxClassRows is how many classes the text summary lists when
// Run.MaxClasses is 0.
const DefaultMaxClassRows = 20

// HistogramClasses is how many classes, the most frequent, get a latency
// histogram with Run.Histogram.
const HistogramClasses = 5

// bodyLimit returns the body limit the run classified with.
func (r Run) bodyLimit() int {
	if r.BodyLimit > 0 {
		return r.BodyLimit
	}
	return classify.DefaultBodyLimit
}

// FormatLatency renders a duration with a unit chosen for its size:
// microseconds below 1 ms, milliseconds below 1 s, seconds above.
func FormatLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d/time.Microsecond)
	case d < time.Second:
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
}

// FormatBytes renders a byte count with a binary unit.
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// FormatRate renders a per-second rate.
func FormatRate(r float64) string { return fmt.Sprintf("%.1f/s", r) }

// FormatShare renders a ratio as a percentage.
func FormatShare(r float64) string { return fmt.Sprintf("%.2f %%", 100*r) }

// shellLine renders a command line that a POSIX shell reads back as args:
// an argument with anything but letters, digits and -_./:=,@%+ is put in
// single quotes.
func shellLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

// shellQuote quotes one argument for shellLine.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
