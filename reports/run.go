// Package reports renders a run, as analyze.Consume built it, in the
// formats people and tools read: aligned text, JSON, CSV, one HTML page,
// JUnit, Markdown, HdrHistogram's percentile distribution, and the
// probe's own report. Renderers write to an io.Writer and hold no state;
// they never drive a terminal.
package reports

import (
	"fmt"
	"strings"
	"time"
)

// DefaultMaxClassRows is how many classes the text summary lists when
// Options.ClassRows is 0.
const DefaultMaxClassRows = 20

// HistogramClasses is how many classes, the most frequent, get a latency
// histogram with Options.Histogram.
const HistogramClasses = 5

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
