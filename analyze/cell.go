package analyze

import (
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Cell is the latency histogram of one interval of a Timeline, overall or
// of a class. While its interval is recent it is a whole HDR histogram of
// the timeline's geometry (26 KB); once compact it keeps only its
// non-zero buckets, which describe the same distribution exactly in a
// few hundred bytes to a few kilobytes. Reading a compact cell fills a
// scratch histogram the reader owns, so reading a long timeline costs no
// memory per interval either. The zero value is empty.
type Cell struct {
	h       *hdrhistogram.Histogram // the histogram; nil while empty or compact
	buckets []cellBucket            // a compact cell's non-zero buckets
}

// cellBucket is a non-zero bucket of a compact cell: its lowest value and
// its count, 8 bytes where an hdrhistogram.Bar takes 24. A timeline's
// values are microseconds up to HighestLatencyUs, within 32 bits.
type cellBucket struct{ from, count uint32 }

// CellOf returns a cell holding h (not copied), for timelines built by
// hand.
func CellOf(h *hdrhistogram.Histogram) *Cell { return &Cell{h: h} }

// View returns the cell's distribution, to read and not to change: its
// histogram, or scratch (a timeline histogram, reset) filled with its
// counts; nil for a nil cell.
func (c *Cell) View(scratch *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	switch {
	case c == nil:
		return nil
	case c.h != nil:
		return c.h
	}
	scratch.Reset()
	c.addTo(scratch)
	return scratch
}

// addTo adds the cell's counts to h.
func (c *Cell) addTo(h *hdrhistogram.Histogram) {
	if c.h != nil {
		h.Merge(c.h)
		return
	}
	for _, b := range c.buckets {
		_ = h.RecordValues(int64(b.from), int64(b.count)) // from is within the geometry it came from
	}
}

// live returns the cell's histogram to record into, expanding a compact
// cell (a record that arrived late) or making an empty one.
func (c *Cell) live() *hdrhistogram.Histogram {
	if c.h == nil {
		h := NewTimelineHistogram()
		c.addTo(h)
		c.h, c.buckets = h, nil
	}
	return c.h
}

// merge adds another cell's counts.
func (c *Cell) merge(o *Cell) {
	if o != nil {
		o.addTo(c.live())
	}
}

// compact keeps only the histogram's non-zero buckets, each as its lowest
// value, which records into the same bucket.
func (c *Cell) compact() {
	if c == nil || c.h == nil {
		return
	}
	var buckets []cellBucket
	for _, b := range c.h.Distribution() {
		if b.Count > math.MaxUint32 || b.From > math.MaxUint32 {
			return // beyond 32 bits (never in a timeline's geometry of an interval): stays whole
		}
		if b.Count > 0 {
			buckets = append(buckets, cellBucket{uint32(b.From), uint32(b.Count)})
		}
	}
	c.h, c.buckets = nil, buckets
}
