// Command stampede is a resilience-testing and load-generation harness for
// HTTP APIs. This package only wires flags to the library packages.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"
)

func main() {
	ctx, abort := interrupts()
	routeStdLog(os.Stderr, os.Args[1:])
	e := &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stderrTTY: drawable(os.Stderr),
		abort:     abort,
	}
	stopProfiles := startProfiles(os.Stderr, os.Getenv)
	code := run(ctx, e, os.Args[1:])
	stopProfiles()
	os.Exit(code)
}

// forceExitAfter is how long a second interrupt lets stampede flush what it
// has before the process exits regardless.
const forceExitAfter = 3 * time.Second

// interrupts returns a context cancelled, with a signalCause, by the first
// SIGINT or SIGTERM, and one cancelled by the second. The first stops the
// run gracefully; the second stops waiting for requests in flight, and if
// the process is still alive after forceExitAfter (blocked on a pipe or a
// terminal, say), or on a third signal, it exits at once.
func interrupts() (graceful, abort context.Context) {
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	graceful, stop := context.WithCancelCause(context.Background())
	abort, kill := context.WithCancel(context.Background())
	go func() {
		first := signalCause{(<-sigs).(syscall.Signal)}
		stop(first)
		<-sigs
		kill()
		select {
		case <-sigs:
		case <-time.After(forceExitAfter):
		}
		fmt.Fprintf(os.Stderr, "stampede: %s, exiting without waiting further\n", first)
		os.Exit(first.exitCode())
	}()
	return graceful, abort
}

// drawable reports whether f is a terminal whose size is known: a progress
// bar needs both; anything else gets plain progress lines.
func drawable(f *os.File) bool {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return false
	}
	w, _, err := term.GetSize(fd)
	return err == nil && w > 0
}
