package progress

import (
	"errors"
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
		warned := strings.Contains(snap.Figures(), "BEHIND SCHEDULE by 300")
		if want := i >= 2 && i < 6; warned != want {
			t.Errorf("tick %d: Behind %s, figures %q; want the warning %v", i, snap.Behind, snap.Figures(), want)
		}
	}
}
