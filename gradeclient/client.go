package gradeclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Placeholder is the argument text the server's URL replaces.
const Placeholder = "{url}"

// outputLimit bounds the client's output kept: its last bytes.
const outputLimit = 64 << 10

// tailLines is how many of the client's last lines a report shows.
const tailLines = 8

// ErrNoPlaceholder is returned when no argument of the command holds
// Placeholder.
var ErrNoPlaceholder = errors.New("no argument holds " + Placeholder + ": put it where the client takes the URL, e.g. curl --retry 3 " + Placeholder)

// CommandNotFoundError is returned when the client's program cannot be
// found or is not executable.
type CommandNotFoundError struct {
	Name string
	Err  error
}

func (e *CommandNotFoundError) Error() string {
	return fmt.Sprintf("command %q not found: %v", e.Name, e.Err)
}

func (e *CommandNotFoundError) Unwrap() error { return e.Err }

// CheckCommand checks a client's command line: it holds Placeholder and
// its program exists.
func CheckCommand(argv []string) error {
	if len(argv) == 0 {
		return errors.New("no client command")
	}
	if !HasPlaceholder(argv) {
		return ErrNoPlaceholder
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return &CommandNotFoundError{Name: argv[0], Err: errors.Unwrap(err)}
	}
	return nil
}

// HasPlaceholder reports whether an argument holds Placeholder.
func HasPlaceholder(argv []string) bool {
	for _, a := range argv {
		if strings.Contains(a, Placeholder) {
			return true
		}
	}
	return false
}

// Expand replaces Placeholder with url in every argument.
func Expand(argv []string, url string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = strings.ReplaceAll(a, Placeholder, url)
	}
	return out
}

// tail keeps the last outputLimit bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - outputLimit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// lines returns the last n lines kept.
func (t *tail) lines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ls := strings.Split(strings.TrimRight(strings.ToValidUTF8(string(t.buf), "\uFFFD"), "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// runClient runs the client's command in its own process group, until it
// exits, the timeout passes, over is closed (too many attempts) or ctx is
// done; in the last three cases its whole process group is killed. Its
// output is kept, bounded. An error is a failure to start it.
func runClient(ctx context.Context, argv []string, env []string, timeout time.Duration, over <-chan struct{}) (ClientResult, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out := &tail{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// After the group is killed, a grandchild that escaped it must not
	// keep Wait waiting on the output pipes.
	cmd.WaitDelay = 2 * time.Second
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return ClientResult{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	res := ClientResult{ExitCode: -1}
	var waitErr error
	select {
	case waitErr = <-done:
	case <-timer.C:
		res.Stopped = StopTimeout
	case <-over:
		res.Stopped = StopTooMany
	case <-ctx.Done():
		res.Stopped = StopInterrupted
	}
	// The group goes in any case: a client's children must not outlive it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if res.Stopped != StopNone {
		waitErr = <-done
	}
	res.Elapsed = time.Since(begin)
	if res.Stopped == StopNone {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	_ = waitErr // the exit status is in ProcessState
	res.Output = out.lines(tailLines)
	return res, nil
}

// listenLocal listens on a free port of 127.0.0.1.
func listenLocal(ctx context.Context) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	return ln, nil
}
