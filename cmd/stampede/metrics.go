package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/metrics"
)

// metricsFlags are the flags of the Prometheus endpoint, shared by the
// commands that attack, and the endpoint while the command runs.
type metricsFlags struct {
	addr   string
	linger time.Duration
	srv    *metricsServer // nil without --metrics-addr, or before it is bound
}

// metricsServer is the endpoint of --metrics-addr and its metrics.
type metricsServer struct {
	m   *metrics.Metrics
	srv *metrics.Server
	fed bool // a run has fed it: lingering is worth it
}

// register adds the flags of the endpoint.
func (f *metricsFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.addr, "metrics-addr", "", "serve live Prometheus metrics on http://`HOST:PORT`/metrics during the run, e.g. 127.0.0.1:9464 (:9464 for every interface; docs/metrics.md)")
	fl.DurationVar(&f.linger, "metrics-linger", 0, "keep serving the metrics this long after the run (a `duration`, e.g. 30s), so that a last scrape sees the final counts; Ctrl-C ends it")
}

// check checks the flags of the endpoint: a malformed address is a
// usage error.
func (f *metricsFlags) check() error {
	switch {
	case f.addr == "" && f.linger != 0:
		return usageErrorf("--metrics-linger %s: applies with --metrics-addr", f.linger)
	case f.linger < 0:
		return usageErrorf("--metrics-linger %s: must not be negative", f.linger)
	case f.addr == "":
		return nil
	}
	if err := metrics.ParseAddr(f.addr); err != nil {
		return usageErrorf("--metrics-addr %q: %v", f.addr, err)
	}
	return nil
}

// serve runs fn with the endpoint of --metrics-addr up, if given: bound
// before fn starts the attack, kept up --metrics-linger after it, then
// closed. An address that cannot be bound fails the run.
func (f *metricsFlags) serve(ctx context.Context, e *env, fn func() error) error {
	if err := f.check(); err != nil {
		return err
	}
	if f.addr == "" {
		return fn()
	}
	m := metrics.New(metrics.Options{})
	srv, err := metrics.Listen(f.addr, m)
	if err != nil {
		return runtimeError(fmt.Errorf("--metrics-addr %s: %w", f.addr, err))
	}
	f.srv = &metricsServer{m: m, srv: srv}
	defer func() { _ = srv.Close(); f.srv = nil }()
	fmt.Fprintf(e.stderr, "stampede: metrics at %s\n", srv.URL())
	err = fn()
	if f.srv.fed && f.linger > 0 {
		f.srv.lingerFor(ctx, e, f.linger)
	}
	return err
}

// lingerFor keeps serving for d, or until an interrupt: the first, or
// after a run that one cut short, the second.
func (s *metricsServer) lingerFor(ctx context.Context, e *env, d time.Duration) {
	fmt.Fprintf(e.stderr, "stampede: metrics served %s more at %s (Ctrl-C to stop)\n", d, s.srv.URL())
	t := time.NewTimer(d)
	defer t.Stop()
	interrupt, abort := ctx.Done(), (<-chan struct{})(nil)
	if ctx.Err() != nil {
		interrupt = nil // the run was interrupted already: wait for the next one
	}
	if e.abort != nil {
		abort = e.abort.Done()
	}
	select {
	case <-t.C:
	case <-interrupt:
	case <-abort:
	}
}

// sinks appends the metrics' sink of a live run, whose contract checks
// checker makes, to sinks; none without --metrics-addr.
func (s *metricsServer) sinks(sinks []analyze.Sink, checker *contract.Checker) []analyze.Sink {
	if s == nil {
		return sinks
	}
	s.fed = true
	return append(sinks, s.m.Sink(checker))
}
