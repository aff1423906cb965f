package progress

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestLineProgress: without a terminal, one line per interval, none at start.
func TestLineProgress(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, false, 30*time.Second, 5*time.Second)
	for ms := 0; ms <= 12_000; ms += 250 {
		p.Update(Snapshot{Elapsed: time.Duration(ms) * time.Millisecond, Total: 30 * time.Second, Requests: uint64(ms / 10), Successes: uint64(ms / 10), Rate: 100, P99: 3 * time.Millisecond, Status: "200:5"})
	}
	p.Close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines; want 2 (at 5s and 10s):\n%s", len(lines), b.String())
	}
	want := "[progress] 5.0s/30.0s  500 req  100.0 req/s  ok 100.00 %  p99 3.000 ms  status 200:5"
	if lines[0] != want {
		t.Errorf("line = %q; want %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "[progress] 10.0s/30.0s") {
		t.Errorf("second line = %q; want it at 10s", lines[1])
	}
}

// TestTermProgress draws the terminal display into a buffer and checks
// the figures appear.
func TestTermProgress(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, true, 2*time.Second, 0)
	p.Update(Snapshot{Elapsed: time.Second, Total: 2 * time.Second, Requests: 42, Successes: 21, Rate: 42, P99: time.Millisecond, Status: "200:21 500:21"})
	p.Close()
	out := b.String()
	for _, want := range []string{"42 req", "ok 50.00 %", "200:21 500:21", "/2.0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("display lacks %q:\n%q", want, out)
		}
	}
}

// screen is enough of a terminal to replay the display: runes one column
// each (colours ignored), a rune past the last column wrapping to the next
// row, \r, \n (the top row going into history from the bottom row),
// ESC [nA (up, stopping at the top row) and ESC [K (erase to the end of
// the row). Any other escape fails the test: ESC [J above all, which tmux
// takes at the top-left corner for a clear of the screen and scrolls the
// screen into its history.
type screen struct {
	t       *testing.T
	rows    [][]rune
	history []string
	x, y    int
}

func newScreen(t *testing.T, width, height int) *screen {
	sc := &screen{t: t, rows: make([][]rune, height)}
	for i := range sc.rows {
		sc.rows[i] = []rune(strings.Repeat(" ", width))
	}
	return sc
}

var escape = regexp.MustCompile(`^\x1b\[([0-9;]*)([A-Za-z])`)

func (sc *screen) Write(p []byte) (int, error) {
	s := string(p)
	for s != "" {
		if m := escape.FindStringSubmatch(s); m != nil {
			switch n, _ := strconv.Atoi(m[1]); m[2] {
			case "A":
				sc.y = max(sc.y-max(n, 1), 0)
			case "K":
				for x := sc.x; x < len(sc.rows[sc.y]); x++ {
					sc.rows[sc.y][x] = ' '
				}
			case "m":
			default:
				sc.t.Fatalf("escape %q: the display writes only ESC [nA, ESC [K and colours", m[0])
			}
			s = s[len(m[0]):]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch r {
		case '\r':
			sc.x = 0
		case '\n':
			sc.newline()
		default:
			if sc.x == len(sc.rows[sc.y]) { // past the last column: wrap
				sc.x = 0
				sc.newline()
			}
			sc.rows[sc.y][sc.x] = r
			sc.x++
		}
	}
	return len(p), nil
}

func (sc *screen) newline() {
	if sc.y < len(sc.rows)-1 {
		sc.y++
		return
	}
	sc.history = append(sc.history, strings.TrimRight(string(sc.rows[0]), " "))
	copy(sc.rows, sc.rows[1:])
	sc.rows[len(sc.rows)-1] = []rune(strings.Repeat(" ", len(sc.rows[0])))
}

// text is the history and the screen, a line a row, trailing blanks cut.
func (sc *screen) text() []string {
	lines := slices.Clone(sc.history)
	for _, r := range sc.rows {
		lines = append(lines, strings.TrimRight(string(r), " "))
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// TestTermProgressRedrawsInPlace replays what the display writes on a
// terminal 80 columns wide and 6 rows high, starting on its top row
// (where tmux turned every redraw of the old display into a line of
// scrollback) or under a line of earlier output: after every redraw the
// screen holds the earlier output and the frame just drawn, nothing
// else, and no history, whether the warning rows come or go.
func TestTermProgressRedrawsInPlace(t *testing.T) {
	warned := Snapshot{Elapsed: 3 * time.Second, Total: 15 * time.Second, Requests: 900, Successes: 100, Rate: 300, P99: 950 * time.Microsecond,
		Status: "200:100 429:200 500:200 502:100 503:200 504:100", Behind: 400 * time.Millisecond, Recent: 300, RecentFailed: 270}
	calm := Snapshot{Elapsed: 6 * time.Second, Total: 15 * time.Second, Requests: 1800, Successes: 1800, Rate: 300, P99: time.Millisecond, Status: "200:1800", Recent: 300}
	finished := calm
	finished.Elapsed, finished.Finished = 15*time.Second, true
	for _, before := range []string{"", "$ stampede attack -u http://127.0.0.1:8080/ -r 300/s -d 15s\n"} {
		sc := newScreen(t, 80, 6)
		_, _ = sc.Write([]byte(before))
		earlier := sc.text()
		p := newTermProgress(sc, func() int { return 80 }, 15*time.Second, 0)
		for i, snap := range []Snapshot{calm, warned, warned, calm, calm, warned, calm, warned, finished} {
			p.Update(snap)
			if i == 8 {
				p.Close()
			} else {
				p.draw()
			}
			want := append(slices.Clone(earlier), stripped(snap.Lines(80, true))...)
			if got := sc.text(); !slices.Equal(got, want) {
				t.Fatalf("after %s at redraw %d, the terminal holds\n%s\nwant\n%s", strings.Join(earlier, ""), i, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		if sc.history != nil {
			t.Errorf("history %q; want none", sc.history)
		}
		if _, err := sc.Write([]byte("Target    GET /\n")); err != nil || sc.text()[len(sc.text())-1] != "Target    GET /" {
			t.Errorf("the summary after the display: %q; want it on the row under the last frame", sc.text())
		}
	}
}

// stripped is lines without their colours.
func stripped(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = stripColour(l)
	}
	return out
}

// TestLinesFit: at every width the display fits in width − 1 columns
// (measured in display columns, µ and … counting one): compact below
// WideWidth, with the bar from it, the status list cut with "…" and the
// warnings whole on lines of their own.
func TestLinesFit(t *testing.T) {
	long := Snapshot{Elapsed: 7300 * time.Millisecond, Total: 15 * time.Second, Requests: 123456, Successes: 100000, Rate: 612.4, P99: 870 * time.Microsecond,
		Status: "200:100000 401:3456 429:10000 500:5000 502:2000 503:2500 504:500", Phase: "burst", Behind: 312 * time.Millisecond}
	short := Snapshot{Elapsed: 7300 * time.Millisecond, Total: 15 * time.Second, Requests: 2190, Successes: 2190, Rate: 600, P99: 3100 * time.Microsecond, Status: "200:2190"}
	for _, c := range []struct {
		name  string
		s     Snapshot
		width int
		bar   bool
		first string // the first line, exactly, if set
	}{
		{"compact 40", long, 40, false, ""},
		{"compact 80", long, 80, false, ""},
		{"compact 80 short", short, 80, false, "   7.3s/15.0s  2190 req  600 req/s  ok 100.00 %  p99 3.100 ms  status 200:2190"},
		{"compact 99", long, 99, false, ""},
		{"wide 100", long, 100, true, ""},
		{"wide 200", long, 200, true, "   7.3s/15.0s [==============>---------------]  123456 req  612 req/s  ok 81.00 %  p99 870 µs  phase burst  status 200:100000 401:3456 429:10000 500:5000 502:2000 503:2500 504:500"},
		{"wide 200 short", short, 200, true, "   7.3s/15.0s [==============>---------------]  2190 req  600 req/s  ok 100.00 %  p99 3.100 ms  status 200:2190"},
		{"unknown width", short, 0, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := c.s.Lines(c.width, true)
			room := c.width - 1
			if c.width == 0 {
				room = DefaultWidth - 1
			}
			for _, l := range lines {
				if w := Width(l); w > room {
					t.Errorf("Lines(%d) line %q is %d columns; want at most %d", c.width, l, w, room)
				}
			}
			if got := strings.Contains(lines[0], "[==="); got != c.bar {
				t.Errorf("Lines(%d)[0] = %q: bar %v; want %v", c.width, lines[0], got, c.bar)
			}
			if c.first != "" && lines[0] != c.first {
				t.Errorf("Lines(%d)[0] =\n%q; want\n%q", c.width, lines[0], c.first)
			}
			if c.s.Behind > 0 {
				if len(lines) != 2 || !strings.Contains(lines[1], "BEHIND SCHEDULE by 312.000 ms") {
					t.Errorf("Lines(%d) = %q; want the figures, then BEHIND SCHEDULE by 312.000 ms whole", c.width, lines)
				}
				if c.width < 200 && !strings.HasSuffix(lines[0], "…") {
					t.Errorf("Lines(%d)[0] = %q; want the status list cut with …", c.width, lines[0])
				}
			}
		})
	}
}

// TestBehindVisibleAt80: at 80 columns, with a status list that fills the
// line, the behind warning has its own line, whole, in yellow on a
// terminal and plain otherwise; the plain log line says it too.
func TestBehindVisibleAt80(t *testing.T) {
	s := Snapshot{Elapsed: 5 * time.Second, Total: 30 * time.Second, Requests: 5000, Successes: 4000, Rate: 1000, P99: 2 * time.Second,
		Status: "200:4000 429:400 500:300 502:100 503:100 504:100", Behind: 1500 * time.Millisecond}
	want := "BEHIND SCHEDULE by 1.500 s: raise --max-workers or lower the rate"
	lines := s.Lines(80, false)
	if len(lines) != 2 || lines[1] != want {
		t.Errorf("Lines(80) = %q; want the figures, then %q", lines, want)
	}
	if lines := s.Lines(80, true); len(lines) != 2 || lines[1] != colourYellow+want+colourReset {
		t.Errorf("Lines(80, colour) = %q; want the warning in yellow", lines)
	}
	if line := s.Line(); !strings.HasSuffix(line, "  "+want) {
		t.Errorf("Line() = %q; want it to end with the warning", line)
	}
}

// TestErrorWarning: the errors warning shows from ErrorWarnRatio of the
// last second's responses failing, not below it, nor without responses;
// in red on a terminal, in the plain line too.
func TestErrorWarning(t *testing.T) {
	for _, c := range []struct {
		recent, failed uint64
		want           string // "" for no warning
	}{
		{100, 50, "ERRORS: 50 % of the last second's 100 responses failed"},
		{600, 522, "ERRORS: 87 % of the last second's 600 responses failed"},
		{100, 100, "ERRORS: 100 % of the last second's 100 responses failed"},
		{100, 49, ""},
		{1000, 499, ""},
		{0, 0, ""},
	} {
		s := Snapshot{Elapsed: 3 * time.Second, Total: 10 * time.Second, Requests: 1000, Successes: 500, Status: "200:500 500:500", Recent: c.recent, RecentFailed: c.failed}
		got := strings.Join(s.Warnings(), "|")
		if got != c.want {
			t.Errorf("%d of %d failed: Warnings() = %q; want %q", c.failed, c.recent, got, c.want)
		}
		lines := s.Lines(80, true)
		if c.want == "" {
			if len(lines) != 1 || strings.Contains(s.Line(), "ERRORS") {
				t.Errorf("%d of %d failed: Lines = %q, Line = %q; want no warning", c.failed, c.recent, lines, s.Line())
			}
			continue
		}
		if len(lines) != 2 || lines[1] != colourRed+c.want+colourReset || !strings.HasSuffix(s.Line(), "  "+c.want) {
			t.Errorf("%d of %d failed: Lines = %q, Line = %q; want the warning in red, and in the line", c.failed, c.recent, lines, s.Line())
		}
	}
}

func TestWidth(t *testing.T) {
	for in, want := range map[string]int{
		"p99 870 µs":                       10,
		"200:5 …":                          7,
		colourRed + "ERRORS" + colourReset: 6,
		"日本":                               4,
	} {
		if got := Width(in); got != want {
			t.Errorf("Width(%q) = %d; want %d", in, got, want)
		}
	}
}

// TestLineProgressHugeElapsed: an elapsed time at the end of time (a clock
// gone wrong) prints and returns; an interval of 0 prints every update.
func TestLineProgressHugeElapsed(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, false, time.Second, 5*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Update(Snapshot{Elapsed: math.MaxInt64 - 1, Total: time.Second})
		p.Update(Snapshot{Elapsed: math.MaxInt64, Total: time.Second})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Update does not return for an elapsed time near the end of time")
	}
	if n := strings.Count(b.String(), "\n"); n < 1 || n > 2 {
		t.Errorf("%d lines for 2 updates; want 1 or 2:\n%s", n, b.String())
	}
	b.Reset()
	p = New(&b, false, time.Second, 0)
	for ms := range 3 {
		p.Update(Snapshot{Elapsed: time.Duration(ms) * time.Millisecond})
	}
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Errorf("interval 0: %d lines for 3 updates; want 3", n)
	}
}

func TestFiguresNameThePhase(t *testing.T) {
	s := Snapshot{Requests: 10, Successes: 10, Phase: "burst"}
	if got := s.Figures(); !strings.HasPrefix(got, "phase burst  10 req") {
		t.Errorf("Figures() = %q, want it to start with the phase", got)
	}
	s.Phase = ""
	if got := s.Figures(); strings.Contains(got, "phase") {
		t.Errorf("Figures() = %q: no phase outside a profile", got)
	}
}

// TestNoColor: on a terminal the errors warning is red, unless NO_COLOR
// is set (no-color.org), when it is the same text without colour.
func TestNoColor(t *testing.T) {
	failing := Snapshot{Elapsed: 2 * time.Second, Total: 10 * time.Second, Requests: 200, Recent: 100, RecentFailed: 90}
	draw := func() string {
		var b bytes.Buffer
		d := New(&b, true, 10*time.Second, 0)
		d.Update(failing)
		d.Close()
		return b.String()
	}
	t.Setenv("NO_COLOR", "")
	if out := draw(); !strings.Contains(out, colourRed+"ERRORS") {
		t.Errorf("a terminal without NO_COLOR: %q; want the warning in red", out)
	}
	t.Setenv("NO_COLOR", "1")
	if out := draw(); strings.Contains(out, "\x1b[1;") || !strings.Contains(out, "ERRORS: 90 %") {
		t.Errorf("NO_COLOR=1: %q; want the warning without colour", out)
	}
}
