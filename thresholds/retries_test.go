package thresholds

import (
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

// stormRun is a run of 100 logical requests a second for seconds
// seconds: 1 s good, then failing (each logical request tried
// attempts times, the last attempt failing too) until fault ends, then
// good again.
func stormRun(seconds, faultEnd int, attempts uint32) analyze.Run {
	return faultRun(seconds, 1, faultEnd, attempts)
}

// faultRun is stormRun with the fault from faultStart.
func faultRun(seconds, faultStart, faultEnd int, attempts uint32) analyze.Run {
	s := analyze.NewSummary()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for sec := range seconds {
		for i := range 100 {
			at := t0.Add(time.Duration(sec)*time.Second + time.Duration(i)*10*time.Millisecond)
			bad := sec >= faultStart && sec < faultEnd
			for n := uint32(1); n <= attempts; n++ {
				r := records.Record{Scheduled: at, Latency: time.Millisecond, Status: 200, Attempt: n, SinceFirst: time.Duration(n-1) * time.Millisecond}
				if bad {
					r.Status = 503
					r.Retry = records.RetryFollows
					if n == attempts {
						r.Retry = records.RetryExhausted
					}
				}
				s.Add(&r)
				if !bad {
					break
				}
			}
		}
	}
	return analyze.Run{Summary: s}
}

func TestRetryThresholds(t *testing.T) {
	calm, storm, never := stormRun(4, 1, 1), stormRun(4, 3, 4), stormRun(4, 4, 4)
	cases := []struct {
		run  analyze.Run
		expr string
		pass bool
	}{
		{calm, "retries.amplification < 1.5", true},
		{storm, "retries.amplification < 1.5", false}, // 2 s of 4 attempts, 2 s of 1: 2.5×
		{storm, "retries.amplification == 2.5", true},
		{storm, "retries.give_up_ratio <= 50%", true},
		{storm, "retries.give_up_ratio < 50%", false},
		{storm, "retries.success_ratio >= 50%", true},
		{storm, "retries.success_ratio > 50%", false},
		{storm, "retries.recovery_time <= 0s", true}, // the interval after the fault is good
		{storm, "retries.recovered", true},
		{never, "retries.recovered", false},
		{never, "retries.recovery_time < 1h", false}, // never recovered: no bound holds
		{calm, "retries.recovered && retries.recovery_time == 0s", true},
		{storm, "retries.early == 0 && retries.non_retryable == 0", true},
		{storm, "retries.peak_load >= 400", true},
		{storm, "retries.time_to_success.p99 < 2ms", true},
		{calm, "retries.logical == 400 && retries.attempts == 400", true},
		{calm, "retries.fault_duration == 0s", true},
		{storm, "retries.fault_duration == 2s", true},
		{storm, "retries.fault_duration < 2s", false},
		{never, "retries.fault_duration < 1h", false},
		// A fault from the start is a fault, and a run that never stops
		// failing never recovered.
		{faultRun(6, 0, 6, 2), "retries.recovered", false},
		{faultRun(6, 0, 6, 2), "retries.recovery_time < 1h", false},
		{faultRun(6, 0, 3, 2), "retries.recovered && retries.recovery_time == 0s", true},
	}
	for _, c := range cases {
		got := judge(t, c.run, nil, c.expr)
		if got.Pass != c.pass {
			t.Errorf("%s: pass = %v (%s); want %v", c.expr, got.Pass, got.Reason, c.pass)
		}
	}
	if got := judge(t, never, nil, "retries.recovery_time < 1h"); !strings.Contains(got.Reason, "never") {
		t.Errorf("reason %q does not say the recovery never came", got.Reason)
	}
	if got := judge(t, storm, nil, "retries.amplification < 1.5"); !strings.Contains(got.Reason, "2.5") {
		t.Errorf("reason %q does not name the amplification measured, 2.5", got.Reason)
	}
}
