// Command stampede is a resilience-testing and load-generation harness for
// HTTP APIs. This package only wires flags to the library packages.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, abort := interrupts()
	e := &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		abort:     abort,
		args0:     os.Args,
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// interrupts returns a context cancelled, with a signalCause, by the first
// SIGINT or SIGTERM, and one cancelled by the second: the first stops the
// run gracefully, the second stops waiting for requests in flight.
func interrupts() (graceful, abort context.Context) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	graceful, stop := context.WithCancelCause(context.Background())
	abort, kill := context.WithCancel(context.Background())
	go func() {
		s := <-sigs
		stop(signalCause{s.(syscall.Signal)})
		<-sigs
		kill()
	}()
	return graceful, abort
}
