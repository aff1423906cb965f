package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/progress"
)

// TestLiveDisplayUnderTmux runs the binary in a terminal, a detached tmux
// session of its own server with tmux's defaults (skipped without tmux),
// at 80 and 200 columns, against a target failing five requests in seven
// with six statuses: afterwards the pane and its scrollback hold the
// progress line once (the last frame, redrawn in place, not a trail of
// frames), no row wider than the terminal, and the errors warning once,
// on its own row. The display starts on the pane's top row, where tmux
// (scroll-on-clear) turned every redraw of the mpb bar into a line of
// scrollback.
func TestLiveDisplayUnderTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("no tmux")
	}
	bin := buildBinary(t)
	var n atomic.Uint64
	statuses := []int{200, 500, 503, 200, 429, 502, 404}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(statuses[n.Add(1)%uint64(len(statuses))])
	}))
	t.Cleanup(srv.Close)
	for _, width := range []int{80, 200} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
			defer cancel()
			dir := t.TempDir()
			socket := filepath.Join(dir, "tmux.sock") // a server of its own, none of the user's sessions
			run := func(args ...string) string {
				t.Helper()
				cmd := exec.CommandContext(ctx, tmux, append([]string{"-S", socket, "-f", "/dev/null"}, args...)...)
				cmd.Env = append(os.Environ(), "TMUX=") // inside tmux too, a server of its own
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			t.Cleanup(func() { _ = exec.Command(tmux, "-S", socket, "kill-server").Run() })
			command := fmt.Sprintf("%s attack -u %s -r 100/s -d 3s -o %s; echo stampede-exit=$?; sleep 30",
				bin, srv.URL, filepath.Join(dir, "r.bin"))
			run("new-session", "-d", "-s", "t", "-x", fmt.Sprint(width), "-y", "30", command)
			var screen string
			for !strings.Contains(screen, "stampede-exit=") {
				if ctx.Err() != nil {
					t.Fatalf("stampede did not finish within 25s; the pane:\n%s", screen)
				}
				time.Sleep(100 * time.Millisecond)
				screen = run("capture-pane", "-p", "-S", "-", "-t", "t")
			}
			var progressRows, warnings int
			for _, row := range strings.Split(screen, "\n") {
				if w := progress.Width(row); w > width {
					t.Errorf("row %q is %d columns wide in a terminal of %d", row, w, width)
				}
				if strings.Contains(row, "req/s  ok ") {
					progressRows++
				}
				if strings.HasPrefix(row, "ERRORS: ") {
					warnings++
				}
			}
			if progressRows != 1 || warnings != 1 {
				t.Errorf("%d progress rows and %d warnings in the scrollback; want the last frame once, with its warning:\n%s", progressRows, warnings, screen)
			}
		})
	}
}
