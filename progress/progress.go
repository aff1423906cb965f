// Package progress shows a live run's progress on the terminal: a line of
// figures (with a bar of elapsed time on a wide terminal) and a line per
// warning, redrawn in place when stderr is a terminal; one plain line
// every few seconds otherwise (CI logs), warnings included.
package progress

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stampede-dev/stampede/reports"
	"golang.org/x/term"
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

// New returns the display for w: Snapshot.Lines redrawn in place every
// RefreshInterval, as wide as the terminal, when w is a terminal;
// otherwise one plain line every interval (CI logs).
func New(w io.Writer, terminal bool, total, interval time.Duration) Display {
	if terminal {
		p := newTermProgress(w, terminalWidth(w), total, RefreshInterval)
		p.plain = os.Getenv("NO_COLOR") != "" // no-color.org: any value
		return p
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

// RefreshInterval is how often the display redraws on a terminal.
const RefreshInterval = 200 * time.Millisecond

// termProgress redraws Snapshot.Lines in place on a terminal: at every
// redraw the cursor goes back up over the rows drawn last, and each row
// is rewritten, then erased to its end (ESC [K); rows a shorter frame no
// longer needs are erased and the cursor comes back under the frame.
//
// Why not mpb, which drew this display before: mpb moves up and erases
// the rows it drew with ESC [J (erase below), written by its cwriter with
// no way around it. tmux from 3.3 (its scroll-on-clear option, on by
// default) takes an erase below from the top-left corner for a clear of
// the whole screen and scrolls the screen into its history first, so a
// display starting on a pane's top row (a fresh pane, after clear or
// Ctrl-L) left a stale copy of itself in the scrollback at every redraw,
// five a second. Erasing row by row is never a clear of the screen.
//
// A terminal made narrower reflows the rows drawn before and may keep
// one stale copy of them: the cursor goes back up the rows drawn, as it
// cannot know how the terminal rewrapped them.
type termProgress struct {
	w     io.Writer
	width func() int // the terminal's width now; 0 when it does not say
	plain bool       // no colour: NO_COLOR is set
	last  atomic.Pointer[Snapshot]
	stop  chan struct{} // closed by Close; nil without a refresh loop
	done  chan struct{} // closed when the refresh loop returns

	mu   sync.Mutex // serialises draws: the refresh loop and Close
	rows int        // the rows drawn last; the cursor is on the row under them
}

// newTermProgress starts the display on w, redrawn every interval (none
// if interval ≤ 0: tests draw it themselves); width gives the terminal's
// width at every redraw, so that a resized terminal is followed.
func newTermProgress(w io.Writer, width func() int, total, interval time.Duration) *termProgress {
	p := &termProgress{w: w, width: width}
	p.last.Store(&Snapshot{Total: total})
	if interval > 0 {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.refresh(interval)
	}
	return p
}

// refresh draws the display every interval until Close.
func (p *termProgress) refresh(interval time.Duration) {
	defer close(p.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			p.draw()
		case <-p.stop:
			return
		}
	}
}

// draw redraws the last snapshot over the rows drawn before.
func (p *termProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := p.last.Load().Lines(p.width(), !p.plain) // Lines takes 0 for DefaultWidth
	var b bytes.Buffer
	if p.rows > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA", p.rows)
	}
	for _, l := range lines {
		b.WriteString("\r" + l + "\x1b[K\n")
	}
	if extra := p.rows - len(lines); extra > 0 { // the rows of warnings gone
		b.WriteString(strings.Repeat("\r\x1b[K\n", extra))
		fmt.Fprintf(&b, "\x1b[%dA", extra)
	}
	p.rows = len(lines)
	// A terminal that fails a write shows less; the run goes on, and
	// its summary goes to stdout.
	_, _ = p.w.Write(b.Bytes())
}

func (p *termProgress) Update(s Snapshot) {
	p.last.Store(&s)
}

// Close stops the redraws and draws the last snapshot, leaving the cursor
// under it: a run that reached its planned end shows its bar full, an
// interrupted one leaves it short.
func (p *termProgress) Close() {
	if p.stop != nil {
		close(p.stop)
		<-p.done
	}
	p.draw()
}

// terminalWidth reads the width of the terminal w is, at every call: 0
// when w is no file or its size is unknown.
func terminalWidth(w io.Writer) func() int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return func() int { return 0 }
	}
	fd := int(f.Fd())
	return func() int {
		width, _, err := term.GetSize(fd)
		if err != nil {
			return 0
		}
		return width
	}
}
