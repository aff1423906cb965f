// Package reports renders what analyze computed: terminal tables and
// machine-readable JSON now, more formats later.
package reports

import (
	"fmt"
	"time"

	"github.com/stampede-dev/stampede/analyze"
)

// Run is everything a report shows about one run: the summary and the
// facts about the run that are not aggregates.
type Run struct {
	Summary     *analyze.Summary
	Contract    *analyze.Contract // the rate-limit contract checks; nil for none
	Target      string            // e.g. "GET http://127.0.0.1:8080/" (redacted)
	Pacer       string            // the load shape, e.g. "constant 500/s"
	Planned     time.Duration     // the --duration asked for, 0 if unbounded
	ResultFile  string            // path of the result file, "" if none
	Records     uint64            // records written to the result file
	Interrupted string            // the signal that stopped the run, "" if it ran to the end
	Unanswered  uint64            // attempts still in flight when the run gave up waiting
	Unsent      uint64            // scheduled attempts never sent: the generator fell too far behind
	MaxLateness time.Duration     // how far behind schedule stampede may fall before it stops sending
	Uncorrected bool              // also show the latency measured from the actual send (wrk2 -U)
	MaxClasses  int               // rows of the text classes table; 0 means DefaultMaxClassRows
	Histogram   bool              // draw a latency histogram of each of the top classes (--histogram)
	Truncated   uint64            // bodies longer than the classification limit
	BodyLimit   int               // body bytes read for classification; 0 means analyze.DefaultBodyLimit
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
	return analyze.DefaultBodyLimit
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
