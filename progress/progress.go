// Package progress shows a live run's progress on the terminal: a bar
// redrawn in place when stderr is a terminal, one plain line every few
// seconds otherwise (CI logs).
package progress

import (
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"

	"github.com/stampede-dev/stampede/analyze"
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
	Rate      float64       // completions per second over the last second
	P99       time.Duration // corrected p99 so far
	Status    string        // counts per status, e.g. "200:4990 503:10"
	Finished  bool          // the run reached its planned end (last snapshot only)
	Phase     string        // the profile's phase running, "" outside a profile
	// Behind is the largest send delay of the last second: how far
	// behind its schedule stampede is; shown from analyze.BehindThreshold.
	Behind time.Duration
}

// Line renders the snapshot on one line: the clock, then the figures.
func (s Snapshot) Line() string {
	total := "∞"
	if s.Total > 0 {
		total = fmt.Sprintf("%.1fs", s.Total.Seconds())
	}
	return fmt.Sprintf("%.1fs/%s  %s", s.Elapsed.Seconds(), total, s.Figures())
}

// Figures renders the counts, rate, success ratio, p99 and status counts.
func (s Snapshot) Figures() string {
	ok := 0.0
	if s.Requests > 0 {
		ok = float64(s.Successes) / float64(s.Requests)
	}
	status := s.Status
	if status == "" {
		status = "-"
	}
	figures := fmt.Sprintf("%d req  %.1f req/s  ok %s  p99 %s  status %s",
		s.Requests, s.Rate, reports.FormatShare(ok), reports.FormatLatency(s.P99), status)
	if s.Phase != "" {
		figures = "phase " + s.Phase + "  " + figures
	}
	if s.Behind >= analyze.BehindThreshold {
		figures += "  BEHIND SCHEDULE by " + reports.FormatLatency(s.Behind) + " (all workers busy: raise --max-workers or lower the rate)"
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
		return newBarProgress(w, total)
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

// barProgress draws an mpb bar of elapsed time with the live figures.
type barProgress struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	last atomic.Pointer[Snapshot]
	unit time.Duration
}

func newBarProgress(w io.Writer, total time.Duration) *barProgress {
	b := &barProgress{unit: 100 * time.Millisecond}
	b.last.Store(&Snapshot{Total: total})
	b.p = mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithWidth(120), mpb.WithRefreshRate(200*time.Millisecond))
	figures := decor.Any(func(decor.Statistics) string {
		return "  " + b.last.Load().Figures()
	})
	clock := decor.Any(func(decor.Statistics) string {
		s := b.last.Load()
		if s.Total <= 0 {
			return fmt.Sprintf("%6.1fs", s.Elapsed.Seconds())
		}
		return fmt.Sprintf("%6.1fs/%.1fs", s.Elapsed.Seconds(), s.Total.Seconds())
	})
	if total > 0 {
		b.bar = b.p.New(int64(total/b.unit), mpb.BarStyle(), mpb.PrependDecorators(clock), mpb.AppendDecorators(figures))
	} else {
		b.bar = b.p.New(0, mpb.SpinnerStyle(), mpb.PrependDecorators(clock), mpb.AppendDecorators(figures))
	}
	return b
}

func (b *barProgress) Update(s Snapshot) {
	b.last.Store(&s)
	if s.Total > 0 {
		b.bar.SetCurrent(min(int64(s.Elapsed/b.unit), int64(s.Total/b.unit)))
	}
}

// Close fills the bar of a run that reached its planned end, stops it
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
