package progress

import (
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/reports"
)

// The live display on a terminal (Snapshot.Lines) is one line of figures
// and, under it, one line per warning:
//
//	  7.3s/15.0s [==========>-----------------]  2190 req  600 req/s  ok 99.50 %  p99 3.100 ms  status 200:2180 503:10
//	BEHIND SCHEDULE by 312.000 ms: raise --max-workers or lower the rate
//	ERRORS: 87 % of the last second's 600 responses failed
//
// From WideWidth columns the figures follow a bar of elapsed time
// BarWidth wide; below, the line is compact, without a bar. Every line
// fits the terminal: what does not fit is cut with "…", from the end, so
// the status list goes first; a warning has a line of its own, so it is
// never cut away by the figures.
const (
	// WideWidth is the narrowest terminal, in columns, that gets the bar.
	WideWidth = 100
	// BarWidth is the width of the bar of elapsed time, brackets included.
	BarWidth = 32
	// DefaultWidth is the width assumed when the terminal does not say.
	DefaultWidth = 80
)

// Window is the span of the live figures of "now": the rate, and the
// share of failures that raises the errors warning, count the responses
// of the last Window.
const Window = time.Second

// ErrorWarnRatio is the share of the last Window's responses that were
// not successes (no status in [200, 400), or a transport failure) from
// which the display warns of errors (at or above it):
// half of them failing is no noise, and it stays quiet for a target that
// sheds a few requests under load.
const ErrorWarnRatio = 0.5

// ANSI colours of the warnings, on a terminal only.
const (
	colourRed    = "\x1b[1;31m"
	colourYellow = "\x1b[1;33m"
	colourReset  = "\x1b[0m"
)

// warning is one warning of the display and its colour on a terminal.
type warning struct {
	text, colour string
}

// warnings are the snapshot's warnings, most urgent first.
func (s Snapshot) warnings() []warning {
	var ws []warning
	if s.erring() {
		ws = append(ws, warning{
			text: fmt.Sprintf("ERRORS: %.0f %% of the last second's %d responses failed",
				100*float64(s.RecentFailed)/float64(s.Recent), s.Recent),
			colour: colourRed,
		})
	}
	if s.Behind >= analyze.BehindThreshold {
		ws = append(ws, warning{
			text:   "BEHIND SCHEDULE by " + reports.FormatLatency(s.Behind) + ": raise --max-workers or lower the rate",
			colour: colourYellow,
		})
	}
	return ws
}

// erring reports whether the failures of the last Window reach
// ErrorWarnRatio of its responses: failed ≥ ErrorWarnRatio × responses.
func (s Snapshot) erring() bool {
	return s.Recent > 0 && float64(s.RecentFailed) >= ErrorWarnRatio*float64(s.Recent)
}

// Warnings are the snapshot's warnings as plain text: falling behind the
// schedule (from analyze.BehindThreshold) and failures (from
// ErrorWarnRatio of the last Window's responses).
func (s Snapshot) Warnings() []string {
	ws := s.warnings()
	texts := make([]string, len(ws))
	for i, w := range ws {
		texts[i] = w.text
	}
	return texts
}

// Lines renders the snapshot for a terminal width columns wide (0 or
// less: DefaultWidth): the figures, then a line per warning, coloured if
// colour is set. No line is wider than width − 1 columns: the last column
// stays free, so that no terminal wraps a line, whether it wraps on the
// last column or counts a rune of ambiguous width (µ, …) as two; a
// wrapped line would break the redraw in place.
func (s Snapshot) Lines(width int, colour bool) []string {
	if width <= 0 {
		width = DefaultWidth
	}
	room := max(width-1, 1)
	var b strings.Builder
	b.WriteString(s.clock())
	if width >= WideWidth && s.Total > 0 {
		b.WriteByte(' ')
		b.WriteString(s.bar())
	}
	fmt.Fprintf(&b, "  %d req  %.0f req/s  ok %s  p99 %s", s.Requests, s.Rate, reports.FormatShare(s.ok()), reports.FormatLatency(s.P99))
	if s.Phase != "" {
		b.WriteString("  phase " + s.Phase)
	}
	if s.Status != "" {
		b.WriteString("  status " + s.Status)
	}
	lines := []string{truncate(b.String(), room)}
	for _, w := range s.warnings() {
		text := truncate(w.text, room)
		if colour {
			text = w.colour + text + colourReset
		}
		lines = append(lines, text)
	}
	return lines
}

// clock renders the time elapsed, and the planned duration if bounded.
func (s Snapshot) clock() string {
	if s.Total <= 0 {
		return fmt.Sprintf("%6.1fs", s.Elapsed.Seconds())
	}
	return fmt.Sprintf("%6.1fs/%.1fs", s.Elapsed.Seconds(), s.Total.Seconds())
}

// bar draws the elapsed share of the planned duration, BarWidth wide:
// full when the run finished, the tip at Elapsed/Total otherwise.
func (s Snapshot) bar() string {
	inner := BarWidth - 2
	done := inner
	if !s.Finished {
		done = int(float64(inner) * min(max(s.Elapsed.Seconds()/s.Total.Seconds(), 0), 1))
	}
	if done >= inner {
		return "[" + strings.Repeat("=", inner) + "]"
	}
	return "[" + strings.Repeat("=", done) + ">" + strings.Repeat("-", inner-done-1) + "]"
}

// ok is the share of successes of the requests so far.
func (s Snapshot) ok() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Successes) / float64(s.Requests)
}

// Width is the number of terminal columns s takes: its runes' display
// widths (µ counts one, a wide CJK rune two), its ANSI colour sequences
// none.
func Width(s string) int {
	return runewidth.StringWidth(stripColour(s))
}

// truncate cuts s to at most width columns, ending it with "…" when cut.
func truncate(s string, width int) string {
	return runewidth.Truncate(s, width, "…")
}

// stripColour removes the ANSI colour sequences (ESC [ … m) of s.
func stripColour(s string) string {
	if !strings.Contains(s, "\x1b[") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], 'm')
		if end < 0 {
			s = ""
			break
		}
		s = s[i+end+1:]
	}
	b.WriteString(s)
	return b.String()
}
