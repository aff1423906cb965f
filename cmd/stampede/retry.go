package main

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
)

// retryFlags are the flags of the simulated clients' retries, into a
// profiles.Retry (the retry: section of a profile reads the same).
type retryFlags struct{ profiles.Retry }

// register adds the retry flags.
func (r *retryFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&r.Policy, "retry", "", "how the clients retry a failed request, a `policy`: "+strings.Join(retry.Policies(), ", ")+" (default none)")
	fl.StringVar(&r.Max, "retry-max", "", "retries per request after its first attempt, a `number` (default 3)")
	fl.StringVar(&r.Base, "retry-base", "", "first backoff wait, a `duration` (default 100ms)")
	fl.StringVar(&r.Cap, "retry-cap", "", "longest wait, a `duration`; a Retry-After beyond it makes the client give up (default 10s)")
	fl.StringVar(&r.Jitter, "jitter", "", "jitter of the exponential waits, a `kind`: none, full or equal (default full)")
	fl.StringVar(&r.HonorRetryAfter, "honor-retry-after", "", "wait at least the Retry-After of a response, a `bool`; --honor-retry-after=false ignores it (default true for exponential and decorrelated, false for immediate)")
	fl.Lookup("honor-retry-after").NoOptDefVal = "true"
	fl.StringVar(&r.Budget, "retry-budget", "", "retries add at most this `share` of the first attempts of the last 10 s, e.g. 10% (default none)")
	fl.StringVar(&r.On, "retry-on", "", "what to retry, a `list` of retryable (the classes the classifier marks retryable), transport, statuses (429) and families (5xx) (default retryable)")
}

// options reads the retry flags, their problems named as the flags are.
func (r *retryFlags) options() (retry.Options, retry.On, error) {
	o, on, errs := r.Retry.Options()
	if len(errs) > 0 {
		for i, err := range errs {
			if fe := field.As(err); fe != nil {
				errs[i] = field.Renamed(err, profiles.RetryFlags[fe.Field])
			}
		}
		return o, on, flagProblems(errs)
	}
	return o, on, nil
}

// retryPredicate decides which failed attempts the clients retry: by
// what on names, and for the classes marked retryable, by a classifier
// of its own built with the run's classification options (the attack's
// goroutine calls it, one attempt at a time).
func retryPredicate(opts classify.Options) (func(*records.Attempt, retry.On) bool, error) {
	c, err := classify.New(opts)
	if err != nil {
		return nil, err
	}
	return func(at *records.Attempt, on retry.On) bool {
		rec := &at.Record
		return on.Match(rec.Status, rec.ErrorKind != records.ErrNone, func() bool {
			cl := c.Classify(&classify.Response{
				Status: rec.Status, Kind: rec.ErrorKind, ContentType: at.Header.Get("Content-Type"),
				Body: at.Body, BodyLen: rec.BytesIn, ContentEncoding: at.Header.Get("Content-Encoding"),
				Method: at.Method, URL: at.URL,
			})
			return cl.Class.Retryable
		})
	}, nil
}
