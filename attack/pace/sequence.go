package pace

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Segment is one stretch of a Sequence: a shape run for a duration from
// the segment's own start, or a pause (a nil Shape) sending nothing.
type Segment struct {
	Name     string        // for people: the phase's name
	Shape    Shape         // nil for a pause
	Duration time.Duration // > 0
}

// Sequence is the load of phases run one after another: each segment's
// shape starts over at the segment's start, and sends the hits it has due
// before the segment ends. It is itself a Shape, so one attack (one
// schedule, latency measured from every hit's due time) runs all the
// phases.
type Sequence struct {
	segments []Segment
	starts   []time.Duration // offset of each segment
	before   []uint64        // hits of the segments before each one
	hits     []uint64        // hits each segment sends
	total    time.Duration
}

// NewSequence builds the sequence of segments. Every duration must be
// positive: the phases of a sequence end.
func NewSequence(segments []Segment) (*Sequence, error) {
	if len(segments) == 0 {
		return nil, fmt.Errorf("no phase")
	}
	s := &Sequence{segments: segments}
	var at time.Duration
	var before uint64
	for i, seg := range segments {
		if seg.Duration <= 0 {
			return nil, fmt.Errorf("phase %d (%s): duration %s: must be positive", i+1, seg.Name, seg.Duration)
		}
		if at > math.MaxInt64-seg.Duration {
			return nil, fmt.Errorf("phase %d (%s): the phases last longer than %s", i+1, seg.Name, time.Duration(math.MaxInt64))
		}
		var n uint64
		if seg.Shape != nil {
			n, _ = NewSchedule(seg.Shape, seg.Duration).Planned()
		}
		s.starts = append(s.starts, at)
		s.before = append(s.before, before)
		s.hits = append(s.hits, n)
		at += seg.Duration
		before += n
	}
	s.total = at
	return s, nil
}

// Duration is the length of the whole sequence.
func (s *Sequence) Duration() time.Duration { return s.total }

// Segments returns the segments, with their starts and planned hits.
func (s *Sequence) Segments() []Segment { return s.segments }

// Planned returns the hits segment i sends, and when it starts.
func (s *Sequence) Planned(i int) (hits uint64, start time.Duration) {
	return s.hits[i], s.starts[i]
}

// At returns the segment running at offset t (the last one after the end).
func (s *Sequence) At(t time.Duration) int {
	i := sort.Search(len(s.starts), func(i int) bool { return s.starts[i] > t }) - 1
	return max(i, 0)
}

// Of returns the segment hit n belongs to, false past the last hit.
func (s *Sequence) Of(n uint64) (int, bool) {
	i := sort.Search(len(s.before), func(i int) bool { return s.before[i]+s.hits[i] > n })
	return i, i < len(s.before)
}

// Due returns when hit n is due: its segment's start plus the hit's due
// time within the segment.
func (s *Sequence) Due(n uint64) (time.Duration, bool) {
	i, ok := s.Of(n)
	if !ok {
		return 0, false
	}
	d, ok := s.segments[i].Shape.Due(n - s.before[i])
	if !ok {
		return 0, false
	}
	return s.starts[i] + d, true
}

// Hits returns H(t), so that hit n is due at the first t with H(t) >= n:
// the hits of the segments before t's, and those of t's own so far, kept
// half a hit short of the next segment's first hit until that segment
// starts (a segment's hits end before it does).
func (s *Sequence) Hits(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	i := s.At(t)
	h := float64(s.before[i]) - 0.5
	if seg := s.segments[i]; seg.Shape != nil && s.hits[i] > 0 {
		h = float64(s.before[i]) + min(seg.Shape.Hits(t-s.starts[i]), float64(s.hits[i])-0.5)
	}
	return max(h, 0)
}

// Rate returns the rate of the segment running at t, 0 in a pause and
// after the end.
func (s *Sequence) Rate(t time.Duration) float64 {
	if t < 0 || t >= s.total {
		return 0
	}
	i := s.At(t)
	if seg := s.segments[i]; seg.Shape != nil {
		return seg.Shape.Rate(t - s.starts[i])
	}
	return 0
}

// Pace returns the wait until hit number hits is due.
func (s *Sequence) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(s, elapsed, hits)
}

// String describes the phases: "warmup: constant 10/s for 10s, then pause
// 5s, then …".
func (s *Sequence) String() string {
	parts := make([]string, len(s.segments))
	for i, seg := range s.segments {
		what := "pause"
		if seg.Shape != nil {
			what = seg.Shape.String()
		}
		parts[i] = fmt.Sprintf("%s for %s", what, seg.Duration)
		if seg.Name != "" {
			parts[i] = seg.Name + ": " + parts[i]
		}
	}
	return strings.Join(parts, ", then ")
}
