package analyze

import (
	"slices"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// MaxScatterPoints bounds the attempts a Scatter keeps: up to it, every
// attempt of the run; beyond it, the classes with the most attempts are
// thinned evenly until they fit, so rare classes (the errors one looks
// for) stay whole longest. 20,000 points cost 320 KB of memory and about
// 300 KB of HTML.
const MaxScatterPoints = 20_000

// ScatterPoint is one attempt in a Scatter.
type ScatterPoint struct {
	Scheduled int64  // when it was scheduled, in Unix milliseconds
	Latency   uint32 // its corrected latency in microseconds
	Class     uint32 // its class id
}

// Scatter keeps the attempts of a run for the chart of every request
// (latency over time, by class), within MaxScatterPoints. Each class keeps
// one attempt in Every, the first, the Every+1st and so on in the order
// they came, Every a power of two: a class is thinned by doubling its
// Every and keeping every other point it kept. The zero value is empty
// and ready to use.
type Scatter struct {
	classes []*ScatterClass // by class id - 1; nil for a class without attempts
	total   int             // points kept, over the classes
}

// ScatterClass is the sample of one class of a Scatter.
type ScatterClass struct {
	ID     uint32
	Every  uint64 // one attempt kept in Every
	Seen   uint64 // attempts of the class
	Points []ScatterPoint
}

// add counts one attempt of a class, keeping it when its turn comes.
func (s *Scatter) add(r *records.Record, class uint32) {
	c := s.class(class)
	if c.Seen&(c.Every-1) == 0 { // Every is a power of two
		c.Points = append(c.Points, ScatterPoint{
			Scheduled: r.Scheduled.UnixMilli(),
			Latency:   uint32(min(r.Latency/time.Microsecond, 1<<32-1)),
			Class:     class,
		})
		s.total++
	}
	c.Seen++
	if s.total > MaxScatterPoints {
		s.fit()
	}
}

// class returns the sample of a class id, making it.
func (s *Scatter) class(id uint32) *ScatterClass {
	if id == 0 {
		id = 1 // not a class of the table: never the case in a summary
	}
	if int(id) > len(s.classes) {
		s.classes = append(s.classes, make([]*ScatterClass, int(id)-len(s.classes))...)
	}
	c := s.classes[id-1]
	if c == nil {
		c = &ScatterClass{ID: id, Every: 1}
		s.classes[id-1] = c
	}
	return c
}

// fit thins the class keeping the most points until the total fits.
func (s *Scatter) fit() {
	for s.total > MaxScatterPoints {
		var most *ScatterClass
		for _, c := range s.classes {
			if c != nil && (most == nil || len(c.Points) >= len(most.Points)) {
				most = c
			}
		}
		if len(most.Points) < 2 {
			return // a point per class: more classes than points, which class tables do not allow
		}
		s.total -= len(most.Points)
		most.thin(most.Every * 2)
		s.total += len(most.Points)
	}
}

// thin keeps one attempt in every of those the class has seen: of its
// points, one in every/Every, from the first.
func (c *ScatterClass) thin(every uint64) {
	if every <= c.Every {
		return
	}
	step := int(every / c.Every)
	kept := c.Points[:0]
	for i := 0; i < len(c.Points); i += step {
		kept = append(kept, c.Points[i])
	}
	clear(c.Points[len(kept):])
	c.Points, c.Every = kept, every
}

// merge adds another scatter, mapping its class ids through id (nil:
// unchanged). The classes of both are thinned to the larger Every, so the
// merged sample keeps the same share of each part.
func (s *Scatter) merge(o *Scatter, id func(uint32) uint32) {
	for _, oc := range o.classes {
		if oc == nil {
			continue
		}
		to := oc.ID
		if id != nil {
			to = id(to)
		}
		c := s.class(to)
		s.total -= len(c.Points)
		every := max(c.Every, oc.Every)
		c.thin(every)
		step := int(every / oc.Every)
		for i := 0; i < len(oc.Points); i += step {
			p := oc.Points[i]
			p.Class = to
			c.Points = append(c.Points, p)
		}
		c.Seen += oc.Seen
		s.total += len(c.Points)
	}
	s.fit()
}

// Classes returns the samples of the classes, by ascending id.
func (s *Scatter) Classes() []*ScatterClass {
	out := make([]*ScatterClass, 0, len(s.classes))
	for _, c := range s.classes {
		if c != nil {
			out = append(out, c)
		}
	}
	return slices.Clip(out)
}

// Len returns the points kept over the classes.
func (s *Scatter) Len() int { return s.total }
