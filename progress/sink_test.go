package progress

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

// recorder is a Display that keeps what it is shown.
type recorder struct {
	shown  []Snapshot
	closed int
}

func (r *recorder) Update(s Snapshot) { r.shown = append(r.shown, s) }
func (r *recorder) Close()            { r.closed++ }

// drive feeds the sink a stream: Begin, ticks a second apart with 100
// more records each, then End with trailer t (none if nil and end is
// false), and finishes it with err.
func drive(t *testing.T, end bool, trailer *records.Trailer, err error) *recorder {
	t.Helper()
	d := &recorder{}
	s := NewSink(d, 10*time.Second)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := &analyze.Run{Summary: analyze.NewSummary()}
	observe := func(ev analyze.Event) {
		if err := s.Observe(&ev, run); err != nil {
			t.Fatal(err)
		}
	}
	observe(analyze.Event{Kind: analyze.EventBegin})
	for i := range 3 {
		for range 100 {
			run.Summary.Add(&records.Record{Status: 200, Scheduled: clock, Latency: time.Millisecond})
		}
		clock = clock.Add(time.Second)
		observe(analyze.Event{Kind: analyze.EventTick, Elapsed: time.Duration(i+1) * time.Second})
	}
	if end {
		observe(analyze.Event{Kind: analyze.EventEnd, End: &analyze.End{Trailer: trailer}, Elapsed: 3400 * time.Millisecond})
	}
	if ferr := s.Finish(run, err); ferr != nil {
		t.Fatal(ferr)
	}
	return d
}

func TestSink(t *testing.T) {
	d := drive(t, true, &records.Trailer{}, nil)
	if len(d.shown) != 4 || d.closed != 1 {
		t.Fatalf("%d snapshots, closed %d times; want 3 ticks and the last, closed once", len(d.shown), d.closed)
	}
	last := d.shown[3]
	if !last.Finished || last.Requests != 300 || last.Successes != 300 || last.Elapsed != 3400*time.Millisecond || last.Total != 10*time.Second || last.Status != "200:300" {
		t.Errorf("last snapshot %+v; want finished, 300 requests in the 3.4s of the end of 10s, status 200:300", last)
	}
	if r := d.shown[2].Rate; r != 100 {
		t.Errorf("rate %v at the third tick; want 100/s", r)
	}
}

// TestSinkUnfinished: an interrupted run, a failed one and one without an
// end leave the bar short; a stream that never began shows nothing.
func TestSinkUnfinished(t *testing.T) {
	for name, d := range map[string]*recorder{
		"interrupted": drive(t, true, &records.Trailer{Interrupted: "SIGINT"}, nil),
		"failed":      drive(t, true, &records.Trailer{}, errors.New("disk full")),
		"no end":      drive(t, false, nil, errors.New("disk full")),
	} {
		if n := len(d.shown); n == 0 || d.shown[n-1].Finished || d.closed != 1 {
			t.Errorf("%s: snapshots %+v, closed %d; want the last unfinished, closed once", name, d.shown, d.closed)
		}
	}
	d := &recorder{}
	s := NewSink(d, time.Second)
	if err := s.Finish(&analyze.Run{Summary: analyze.NewSummary()}, errors.New("header not written")); err != nil || len(d.shown) != 0 || d.closed != 1 {
		t.Errorf("no Begin: %d snapshots, closed %d, %v; want none, closed once", len(d.shown), d.closed, err)
	}
}

// TestSinkWarnsWhenBehind: a record that left 300 ms after its schedule
// shows as BEHIND SCHEDULE for four ticks (under a second), then is
// forgotten; delays under analyze.BehindThreshold never show.
func TestSinkWarnsWhenBehind(t *testing.T) {
	d := &recorder{}
	s := NewSink(d, 10*time.Second)
	run := &analyze.Run{Summary: analyze.NewSummary()}
	observe := func(ev analyze.Event) {
		if err := s.Observe(&ev, run); err != nil {
			t.Fatal(err)
		}
	}
	observe(analyze.Event{Kind: analyze.EventBegin})
	sent := []time.Duration{time.Millisecond, analyze.BehindThreshold - 1, 300 * time.Millisecond, 0, 0, 0, 0, 0, 0}
	for i, delay := range sent {
		observe(analyze.Event{Kind: analyze.EventRecord, Record: records.Record{Status: 200, Sent: delay}})
		observe(analyze.Event{Kind: analyze.EventTick, Elapsed: time.Duration(i+1) * 200 * time.Millisecond})
	}
	for i, snap := range d.shown {
		warned := strings.Contains(snap.Line(), "BEHIND SCHEDULE by 300")
		if want := i >= 2 && i < 6; warned != want {
			t.Errorf("tick %d: Behind %s, line %q; want the warning %v", i, snap.Behind, snap.Line(), want)
		}
	}
}

// stream drives a sink through a live run: ticks at the given elapsed
// times, and before each the records completed since the last, their
// count and how many failed given by at(from, to).
func stream(t *testing.T, ticks []time.Duration, at func(from, to time.Duration) (n, failed int)) []Snapshot {
	t.Helper()
	d := &recorder{}
	s := NewSink(d, 0)
	run := &analyze.Run{Summary: analyze.NewSummary()}
	observe := func(ev analyze.Event) {
		if err := s.Observe(&ev, run); err != nil {
			t.Fatal(err)
		}
	}
	observe(analyze.Event{Kind: analyze.EventBegin})
	var last time.Duration
	for _, tick := range ticks {
		n, failed := at(last, tick)
		for i := range n {
			status := uint16(200)
			if i < failed {
				status = 503
			}
			run.Summary.Add(&records.Record{Status: status, Latency: time.Millisecond})
		}
		observe(analyze.Event{Kind: analyze.EventTick, Elapsed: tick})
		last = tick
	}
	return d.shown
}

// steady is n(from, to) of a rate stepping from before to after per
// second at step: the whole completions by to minus those by from.
func steady(before, after float64, step time.Duration) func(from, to time.Duration) (int, int) {
	count := func(at time.Duration) int {
		if at <= step {
			return int(before * at.Seconds())
		}
		return int(before*step.Seconds() + after*(at-step).Seconds())
	}
	return func(from, to time.Duration) (int, int) { return count(to) - count(from), 0 }
}

// TestSinkRateFollowsStep: the rate is that of the last second of stream
// time: a step from 300/s to 600/s at 5 s reads 300 before it, half-way
// at 5.5 s, and 600 from 6 s, whether the ticks come every 250 ms, late,
// or some are dropped.
func TestSinkRateFollowsStep(t *testing.T) {
	regular := make([]time.Duration, 0, 40)
	for i := 1; i <= 40; i++ {
		regular = append(regular, time.Duration(i)*analyze.TickInterval)
	}
	var sparse []time.Duration // every other tick dropped, one late
	for i := 2; i <= 40; i += 2 {
		sparse = append(sparse, time.Duration(i)*analyze.TickInterval)
	}
	sparse[12] += 40 * time.Millisecond // 6.54 s
	for name, ticks := range map[string][]time.Duration{"regular": regular, "sparse": sparse} {
		shown := stream(t, ticks, steady(300, 600, 5*time.Second))
		for i, snap := range shown {
			at := ticks[i]
			var want float64
			switch {
			case at <= 5*time.Second && at >= time.Second:
				want = 300
			case at >= 6*time.Second:
				want = 600
			case at == 5500*time.Millisecond:
				want = 450
			default:
				continue
			}
			if math.Abs(snap.Rate-want) > want*0.02 {
				t.Errorf("%s: rate %.1f/s at %s; want %.0f/s", name, snap.Rate, at, want)
			}
		}
	}
}

// TestSinkWarnsOfErrors: 600 responses a second, of which 20 % fail, then
// 87 % from 4 s: the errors warning shows from the second tick whose last
// second is half failures, and until then not.
func TestSinkWarnsOfErrors(t *testing.T) {
	var ticks []time.Duration
	for i := 1; i <= 32; i++ {
		ticks = append(ticks, time.Duration(i)*analyze.TickInterval)
	}
	shown := stream(t, ticks, func(from, to time.Duration) (int, int) {
		if from >= 4*time.Second {
			return 150, 130 // 87 % of 150 per 250 ms
		}
		return 150, 30
	})
	for i, snap := range shown {
		// The last second from 4.5 s back to 3.5 s: 2 ticks of 30 and 2 of 130 failed.
		want := ticks[i] >= 4500*time.Millisecond
		if got := strings.Contains(strings.Join(snap.Warnings(), " "), "ERRORS"); got != want {
			t.Errorf("at %s, %d of the last second's %d failed: warning %v; want %v", ticks[i], snap.RecentFailed, snap.Recent, got, want)
		}
	}
	if last := shown[len(shown)-1]; last.Recent != 600 || last.RecentFailed != 520 {
		t.Errorf("last second: %d of %d failed; want 520 of 600", last.RecentFailed, last.Recent)
	}
}
