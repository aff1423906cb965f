package thresholds

import (
	"time"

	"github.com/stampede-dev/stampede/analyze"
)

// CheckInterval is how often Abort judges its thresholds on the live run.
const CheckInterval = time.Second

// Abort is an analyze.Sink that judges the abortable thresholds on the
// run so far, every CheckInterval of the stream's time, and calls stop
// with the reason of the first that fails and cannot hold any more
// (once): a run that can no longer pass stops early (--abort-on-fail). A
// count above its upper bound cannot come back; a count below a lower
// bound, or a condition on a request not yet sent, may still come true
// and does not stop the run; rates and latencies stop it as they stand.
type Abort struct {
	ths     []*Threshold
	stop    func(reason string)
	next    time.Duration
	stopped bool
}

// NewAbort returns the sink for the thresholds marked abortable among ths;
// nil when none is.
func NewAbort(ths []*Threshold, stop func(reason string)) *Abort {
	var abortable []*Threshold
	for _, t := range ths {
		if t.Abort && !t.UsesBaseline() {
			abortable = append(abortable, t)
		}
	}
	if len(abortable) == 0 {
		return nil
	}
	return &Abort{ths: abortable, stop: stop, next: CheckInterval}
}

// Observe implements analyze.Sink.
func (a *Abort) Observe(ev *analyze.Event, run *analyze.Run) error {
	if a.stopped || ev.Kind != analyze.EventTick || ev.Elapsed < a.next || run.Summary == nil || run.Summary.Requests == 0 {
		return nil
	}
	a.next = (ev.Elapsed/CheckInterval + 1) * CheckInterval
	scope := newScope(*run)
	for _, t := range a.ths {
		res, sd := t.judgeSides(scope)
		if !res.Pass && t.cannotHold(sd) {
			a.stopped = true
			a.stop(res.Reason)
			return nil
		}
	}
	return nil
}
