// Package progress shows a live run's progress on the terminal: a line of
// figures (with a bar of elapsed time on a wide terminal) and a line per
// warning, redrawn in place when stderr is a terminal; one plain line
// every few seconds otherwise (CI logs), warnings included.
package progress

import (
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"

	"github.com/stampede-dev/stampede/reports"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Snapshot is the state of a run shown by the progress display.
type Snapshot struct {
	Elapsed   time.Duration // since the run started
	Total     time.Duration // planned duration, 0 if unbounded
	Requests  uint64
	Successes uint64
	Rate      float64       // completions per second over the last Window
	P99       time.Duration // corrected p99 so far
	Status    string        // counts per status, e.g. "200:4990 503:10"
	Finished  bool          // the run reached its planned end (last snapshot only)
	Phase     string        // the profile's phase running, "" outside a profile
	// Behind is the largest send delay of the last second: how far
	// behind its schedule stampede is; shown from analyze.BehindThreshold.
	Behind time.Duration
	// Recent counts the responses of the last Window, RecentFailed those
	// of them that were not successes: the errors warning compares them
	// (ErrorWarnRatio).
	Recent, RecentFailed uint64
}

// Line renders the snapshot on one line, for a log: the clock, the
// figures, then the warnings.
func (s Snapshot) Line() string {
	total := "∞"
	if s.Total > 0 {
		total = fmt.Sprintf("%.1fs", s.Total.Seconds())
	}
	line := fmt.Sprintf("%.1fs/%s  %s", s.Elapsed.Seconds(), total, s.Figures())
	for _, w := range s.Warnings() {
		line += "  " + w
	}
	return line
}

// Figures renders the counts, rate, success ratio, p99 and status counts.
func (s Snapshot) Figures() string {
	status := s.Status
	if status == "" {
		status = "-"
	}
	figures := fmt.Sprintf("%d req  %.1f req/s  ok %s  p99 %s  status %s",
		s.Requests, s.Rate, reports.FormatShare(s.ok()), reports.FormatLatency(s.P99), status)
	if s.Phase != "" {
		figures = "phase " + s.Phase + "  " + figures
	}
	return figures
}

// Display shows a run's progress while it runs.
type Display interface {
	Update(Snapshot)
	Close()
}

// New returns the display for w: a live bar when w is a terminal,
// otherwise one plain line every interval (CI logs).
func New(w io.Writer, terminal bool, total, interval time.Duration) Display {
	if terminal {
		return newBarProgress(w, total, nil)
	}
	return &lineProgress{w: w, every: interval}
}

// Quiet is the display of --quiet: it shows nothing.
type Quiet struct{}

// Update implements Display.
func (Quiet) Update(Snapshot) {}

// Close implements Display.
func (Quiet) Close() {}

// lineProgress prints a line whenever interval has passed since the last.
type lineProgress struct {
	w     io.Writer
	every time.Duration
	next  time.Duration
}

func (p *lineProgress) Update(s Snapshot) {
	if s.Elapsed < p.next {
		return
	}
	if p.next == 0 {
		p.next = p.every // no line at start: the first one comes after interval
		if s.Elapsed < p.next {
			return
		}
	}
	fmt.Fprintf(p.w, "[progress] %s\n", s.Line())
	if p.every <= 0 {
		return // a line at every update
	}
	// The next whole interval after Elapsed; none if that is beyond time.
	if p.next = (s.Elapsed/p.every + 1) * p.every; p.next <= s.Elapsed {
		p.next = math.MaxInt64
	}
}

func (p *lineProgress) Close() {}

// barProgress redraws Snapshot.Lines in place on a terminal. mpb keeps
// the terminal: it asks for the width at every redraw (so a resized
// terminal is followed), moves the cursor up over the lines drawn last and
// clears them. The lines are drawn by the display itself, as mpb's bar
// filler (the first line, given the whole width) and extender (the
// warnings, one row each), so that their layout is decided on the width
// and no line is wider than the terminal: mpb's own bar shrinks to
// nothing ("[]") as its decorators grow, and its truncation fills the
// last column.
type barProgress struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	last atomic.Pointer[Snapshot]
	unit time.Duration
	// lines are those of the frame being drawn: the filler renders them,
	// the extender draws the rest; mpb calls both in turn from the bar's
	// one goroutine.
	lines []string
}

// newBarProgress starts the display on w, redrawn every 200 ms, or at
// every receive from refresh if it is not nil (tests).
func newBarProgress(w io.Writer, total time.Duration, refresh <-chan any) *barProgress {
	b := &barProgress{unit: 100 * time.Millisecond}
	b.last.Store(&Snapshot{Total: total})
	// Not a terminal (a test's buffer): mpb draws WithWidth columns.
	opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(DefaultWidth)}
	if refresh != nil {
		opts = append(opts, mpb.WithManualRefresh(refresh))
	} else {
		opts = append(opts, mpb.WithAutoRefresh(), mpb.WithRefreshRate(200*time.Millisecond))
	}
	b.p = mpb.New(opts...)
	first := mpb.BarFillerFunc(func(out io.Writer, st decor.Statistics) error {
		b.lines = b.last.Load().Lines(st.AvailableWidth, true)
		_, err := io.WriteString(out, b.lines[0])
		return err
	})
	rest := mpb.BarFillerFunc(func(out io.Writer, _ decor.Statistics) error {
		for _, l := range b.lines[1:] {
			if _, err := io.WriteString(out, l+"\n"); err != nil {
				return err
			}
		}
		return nil
	})
	units := int64(0) // unbounded: the bar runs until aborted
	if total > 0 {
		units = int64(total / b.unit)
	}
	b.bar = b.p.MustAdd(units, first, mpb.BarFillerTrim(), mpb.BarExtender(rest, false))
	return b
}

func (b *barProgress) Update(s Snapshot) {
	b.last.Store(&s)
	if s.Total > 0 {
		b.bar.SetCurrent(min(int64(s.Elapsed/b.unit), int64(s.Total/b.unit)))
	}
}

// Close completes the bar of a run that reached its planned end, stops it
// where it is otherwise (an interrupted run leaves it short), and waits for
// the last render.
func (b *barProgress) Close() {
	if s := b.last.Load(); s.Total > 0 && s.Finished {
		b.bar.SetCurrent(int64(s.Total / b.unit)) // complete: the bar fills
	} else {
		b.bar.Abort(false)
	}
	b.p.Wait()
}
