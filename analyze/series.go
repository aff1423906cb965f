package analyze

import "time"

// MaxSeriesBuckets bounds the buckets of a Series: a longer run widens its
// buckets instead of growing, so memory stays constant in its length.
const MaxSeriesBuckets = 3600

// Series counts events per interval of absolute time. Bucket i covers the
// Unix seconds [(Origin+i)·Width, (Origin+i+1)·Width). Width starts at one
// second and doubles, merging neighbouring buckets, whenever the span would
// need more than MaxSeriesBuckets buckets. Buckets are aligned on absolute
// time, so series of shards of one run merge exactly. The zero value is an
// empty series.
type Series struct {
	Width  int64    // seconds per bucket, a power of two; 0 while empty
	Origin int64    // bucket number of Counts[0], in units of Width since the Unix epoch
	Counts []uint64 // events per bucket
}

// Add counts n events at time t.
func (s *Series) Add(t time.Time, n uint64) {
	s.addAt(t.Unix(), n)
}

func (s *Series) addAt(sec int64, n uint64) {
	if s.Width == 0 {
		s.Width, s.Origin, s.Counts = 1, sec, make([]uint64, 1, 64)
	}
	b := floorDiv(sec, s.Width)
	if i := b - s.Origin; i >= 0 && i < int64(len(s.Counts)) {
		s.Counts[i] += n // the common case: a bucket that exists
		return
	}
	s.cover(b, b)
	b = floorDiv(sec, s.Width) // cover may have widened the buckets
	s.Counts[b-s.Origin] += n
}

// cover grows s so that buckets lo..hi (in units of the current Width)
// exist, widening the buckets while the span exceeds MaxSeriesBuckets.
func (s *Series) cover(lo, hi int64) {
	first, last := min(lo, s.Origin), max(hi, s.Origin+int64(len(s.Counts))-1)
	for uint64(last-first) >= MaxSeriesBuckets { // unsigned: no overflow for spans of 2⁶³ s
		s.widen()
		first, last = floorDiv(first, 2), floorDiv(last, 2)
	}
	s.Origin, s.Counts = extend(s.Origin, s.Counts, first, last)
}

// extend grows items, whose first element is bucket origin, to span the
// buckets first to last with zero values, and returns the new origin.
func extend[T any](origin int64, items []T, first, last int64) (int64, []T) {
	if first < origin {
		grown := make([]T, int(origin-first)+len(items), int(last-first+1))
		copy(grown[origin-first:], items)
		items, origin = grown, first
	}
	var zero T
	for origin+int64(len(items))-1 < last {
		items = append(items, zero)
	}
	return origin, items
}

// widen doubles the bucket width, adding each pair of aligned buckets.
func (s *Series) widen() {
	origin := floorDiv(s.Origin, 2)
	out := make([]uint64, 0, len(s.Counts)/2+1)
	for i, n := range s.Counts {
		j := int(floorDiv(s.Origin+int64(i), 2) - origin)
		for len(out) <= j {
			out = append(out, 0)
		}
		out[j] += n
	}
	s.Width, s.Origin, s.Counts = s.Width*2, origin, out
}

// Merge adds o into s exactly: the finer series is widened to the coarser
// width first.
func (s *Series) Merge(o Series) {
	if o.Width == 0 {
		return
	}
	o.Counts = append([]uint64(nil), o.Counts...) // widen must not touch the caller's counts
	if s.Width == 0 {
		*s = o
		return
	}
	for s.Width < o.Width {
		s.widen()
	}
	for o.Width < s.Width {
		o.widen()
	}
	for i, n := range o.Counts {
		if n == 0 {
			continue
		}
		b := o.Origin + int64(i)
		b = floorDiv(b*o.Width, s.Width) // s may widen while covering: recompute from seconds
		s.cover(b, b)
		s.Counts[floorDiv((o.Origin+int64(i))*o.Width, s.Width)-s.Origin] += n
	}
}

// Total returns the sum of the counts.
func (s *Series) Total() uint64 {
	var t uint64
	for _, n := range s.Counts {
		t += n
	}
	return t
}

// Start returns the start of the first bucket, the zero time when empty.
func (s *Series) Start() time.Time {
	if s.Width == 0 {
		return time.Time{}
	}
	return time.Unix(s.Origin*s.Width, 0).UTC()
}

// Step returns the width of a bucket.
func (s *Series) Step() time.Duration { return time.Duration(s.Width) * time.Second }

// floorDiv is a / b rounded towards minus infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}
