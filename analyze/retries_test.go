package analyze

import (
	"reflect"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// retryRecords are four logical requests: one succeeds at once, one after
// two retries (the second early), one is given up after its retries are
// used up, one is a 404 retried anyway and then left (not retryable).
func retryRecords() []records.Record {
	ms := time.Millisecond
	at := func(off time.Duration) time.Time { return t0.Add(off) }
	return []records.Record{
		{Seq: 0, Scheduled: at(0), Latency: 5 * ms, Status: 200, Attempt: 1, RequestID: 0},
		{Seq: 1, Scheduled: at(10 * ms), Latency: 5 * ms, Status: 503, Attempt: 1, RequestID: 1, Retry: records.RetryFollows},
		{Seq: 2, Scheduled: at(115 * ms), Latency: 5 * ms, Status: 429, RetryAfter: "1", Attempt: 2, RequestID: 1, SinceFirst: 105 * ms, Retry: records.RetryFollows},
		{Seq: 3, Scheduled: at(120 * ms), Latency: 30 * ms, Status: 200, Attempt: 3, RequestID: 1, SinceFirst: 110 * ms, Retry: records.RetryEarly},
		{Seq: 4, Scheduled: at(20 * ms), Latency: 5 * ms, Status: 503, Attempt: 1, RequestID: 4, Retry: records.RetryFollows},
		{Seq: 5, Scheduled: at(200 * ms), Latency: 5 * ms, Status: 503, Attempt: 2, RequestID: 4, SinceFirst: 180 * ms, Retry: records.RetryExhausted},
		{Seq: 6, Scheduled: at(30 * ms), Latency: 5 * ms, Status: 404, Attempt: 1, RequestID: 6, Retry: records.RetryFollows},
		{Seq: 7, Scheduled: at(40 * ms), Latency: 5 * ms, Status: 404, Attempt: 2, RequestID: 6, SinceFirst: 10 * ms},
	}
}

func TestRetriesCounts(t *testing.T) {
	s := summarise(retryRecords())
	r := s.Retries
	got := [...]uint64{r.Logical, r.Retries, r.Succeeded, r.GaveUp, r.Failed, r.Exhausted, r.Early, r.NonRetryable, r.Unsettled()}
	want := [...]uint64{4, 4, 2, 1, 1, 1, 1, 1, 0}
	if got != want {
		t.Errorf("logical, retries, succeeded, gave up, failed, exhausted, early, non-retryable retried, unsettled = %v; want %v", got, want)
	}
	if a := r.Amplification(); a != 2 {
		t.Errorf("amplification = %v; want 2 (8 attempts for 4 requests)", a)
	}
	if r.SuccessRatio() != 0.5 || r.GiveUpRatio() != 0.25 {
		t.Errorf("success, give-up ratios = %v, %v; want 0.5, 0.25", r.SuccessRatio(), r.GiveUpRatio())
	}
	// Time to success: 5 ms for the first, 110 + 30 = 140 ms for the second.
	if n, lo, hi := r.TimeToSuccess.TotalCount(), r.TimeToSuccess.Min(), r.TimeToSuccess.Max(); n != 2 || lo != 5000 || hi < 139_900 || hi > 140_100 {
		t.Errorf("time to success: %d values from %d to %d µs; want 2, 5000 and 140000", n, lo, hi)
	}
	if !r.Any() {
		t.Error("Any() = false for a run with retries")
	}
	plain := summarise(mixedRecords(100, 1))
	if plain.Retries.Any() || plain.Retries.Amplification() != 1 || plain.Retries.Logical != 100 {
		t.Errorf("a run without retries: Any %v, amplification %v, logical %d; want false, 1, 100",
			plain.Retries.Any(), plain.Retries.Amplification(), plain.Retries.Logical)
	}
}

func TestRetriesUnsettledAndMerge(t *testing.T) {
	recs := retryRecords()
	cut := recs[:2] // the retry of request 1 never came back
	s := summarise(cut)
	if s.Retries.Unsettled() != 1 || s.Retries.Succeeded != 1 {
		t.Errorf("unsettled %d, succeeded %d; want 1, 1", s.Retries.Unsettled(), s.Retries.Succeeded)
	}
	whole := summarise(recs)
	a, b := summarise(recs[:3]), summarise(recs[3:])
	a.Merge(b)
	wr, ar := whole.Retries, a.Retries
	if !ar.TimeToSuccess.Equals(wr.TimeToSuccess) {
		t.Error("merged time-to-success histogram differs from the whole's")
	}
	wr.TimeToSuccess, ar.TimeToSuccess = nil, nil
	if !reflect.DeepEqual(ar, wr) {
		t.Errorf("merged %+v; want %+v", ar, wr)
	}
}

// outageRecords are 100 attempts a second: good for 4 s (1 ms, all
// succeed), an outage for 3 s (503s), a storm of 429s for 2 s after it
// (20 % succeed), then good again, for seconds in all.
func outageRecords(seconds int) []records.Record {
	var out []records.Record
	for s := range seconds {
		for i := range 100 {
			r := records.Record{Scheduled: t0.Add(time.Duration(s)*time.Second + time.Duration(i)*10*time.Millisecond),
				Latency: time.Millisecond, Status: 200, Attempt: 1}
			switch {
			case s >= 4 && s < 7:
				r.Status = 503
			case s >= 7 && s < 9 && i%5 != 0:
				r.Status = 429
			}
			out = append(out, r)
		}
	}
	return out
}

func TestRecovery(t *testing.T) {
	s := summarise(outageRecords(12))
	rec := s.Timeline.Recovery()
	if !rec.Fault || !rec.Recovered {
		t.Fatalf("recovery = %+v; want a fault and a recovery", rec)
	}
	start := s.Timeline.Start()
	if got := rec.FaultStart.Sub(start); got != 4*time.Second {
		t.Errorf("fault start at %v; want 4s", got)
	}
	if got := rec.FaultEnd.Sub(start); got != 7*time.Second {
		t.Errorf("fault end at %v; want 7s", got)
	}
	if rec.Time != 2*time.Second || rec.Resolution != time.Second || rec.BeforeSuccess != 1 {
		t.Errorf("recovery time %v (±%v), success before %v; want 2s (the 429 storm), ±1s, 1", rec.Time, rec.Resolution, rec.BeforeSuccess)
	}

	never := summarise(outageRecords(9)).Timeline.Recovery()
	if !never.Fault || never.Recovered || never.FaultEnd.IsZero() {
		t.Errorf("a run ending in the storm: %+v; want a fault that ended, not recovered", never)
	}
	lasting := summarise(outageRecords(6)).Timeline.Recovery()
	if !lasting.Fault || lasting.Recovered || !lasting.FaultEnd.IsZero() {
		t.Errorf("a run ending in the outage: %+v; want a fault with no end", lasting)
	}
	calm := summarise(outageRecords(4)).Timeline.Recovery()
	if calm.Fault {
		t.Errorf("a run without outage: %+v; want no fault", calm)
	}
	// A fault that begins with the run is found too: the healthy level is
	// that of the intervals after it.
	var late []records.Record
	for _, r := range outageRecords(12) {
		if !r.Scheduled.Before(t0.Add(4 * time.Second)) {
			late = append(late, r)
		}
	}
	first := summarise(late).Timeline.Recovery()
	if !first.Fault || first.Level != LevelAfter || !first.Recovered || first.Time != 2*time.Second || first.BeforeSuccess != 1 {
		t.Errorf("a run beginning in the outage: %+v; want a fault, the level after it, recovered 2s after", first)
	}
	// A run failing throughout is one fault that never ends.
	var down []records.Record
	for _, r := range outageRecords(7) {
		if !r.Scheduled.Before(t0.Add(4 * time.Second)) {
			down = append(down, r)
		}
	}
	if all := summarise(down).Timeline.Recovery(); !all.Fault || all.Recovered || !all.FaultEnd.IsZero() || all.Level != LevelNone {
		t.Errorf("a run failing throughout: %+v; want a fault to the end, not recovered", all)
	}
	if peak := s.Timeline.PeakSent(); peak != 100 {
		t.Errorf("peak sent = %v/s; want 100/s", peak)
	}
}
