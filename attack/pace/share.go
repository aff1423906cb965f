package pace

import (
	"fmt"
	"math"
	"time"
)

// Share is one shard's part of a load shape split among Count processes:
// the whole shape's hits dealt out in turn, hit n of the whole to shard
// n mod Count. Shard Index sends the whole's hits Index, Index+Count,
// Index+2·Count, …, each when the whole schedule has it due, so the
// shards together send exactly the whole schedule (the same hits at the
// same offsets from their starts), at 1/Count of its rate each:
//
//	R_i(t) = R(t) / N
//	H_i(t) = max(0, (H(t) − i) / N)
//	Due_i(k) = Due(k·N + i)
//
// With H_i, H_i(t) >= k exactly when H(t) >= k·N + i, for every k >= 1;
// hit 0 of a share is the whole's hit Index, due when the whole has it
// due (as a quiet first step delays hit 0 of Steps). A bounded schedule
// of the share plans the whole's planned hits P dealt out, ⌊P/N⌋ or one
// more, and the shares' planned hits add up to P exactly.
type Share struct {
	Whole        Shape
	Index, Count uint64 // 0 <= Index < Count
}

var _ Shape = Share{}

// NewShare returns shard index's share of whole among count shards; one
// shard (count 1), or none (count 0: the run is not split), is the whole
// itself.
func NewShare(whole Shape, index, count uint64) Shape {
	if count == 0 || count == 1 && index == 0 {
		return whole
	}
	return Share{Whole: whole, Index: index, Count: count}
}

// Validate reports whether the share is one of at least one shard, and
// the whole shape's own problems.
func (s Share) Validate() error {
	p := problems{shape: "share"}
	switch {
	case s.Count == 0:
		p.addf("count must be at least 1")
	case s.Index >= s.Count:
		p.addf("index %d must be below the count %d", s.Index, s.Count)
	}
	if s.Whole == nil {
		p.addf("no shape to share")
	} else if v, ok := s.Whole.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			p.errs = append(p.errs, err)
		}
	}
	return p.err()
}

// valid is Validate without the messages (the whole's validity is its
// own Due's to check).
func (s Share) valid() bool { return s.Count > 0 && s.Index < s.Count && s.Whole != nil }

// String describes the share, e.g. "constant 200/s, shard 1/4 (1 hit in 4)".
func (s Share) String() string {
	return fmt.Sprintf("%v, shard %d/%d (1 hit in %d)", s.Whole, s.Index, s.Count, s.Count)
}

// Rate returns the whole's rate divided among the shards.
func (s Share) Rate(t time.Duration) float64 {
	if !s.valid() {
		return 0
	}
	return s.Whole.Rate(t) / float64(s.Count)
}

// Hits returns H_i(t) = max(0, (H(t) − i) / N). Subtracting and dividing
// are monotone in floating point, so H_i(Due_i(k)) >= k holds exactly
// for every hit k due.
func (s Share) Hits(t time.Duration) float64 {
	if !s.valid() {
		return 0
	}
	h := s.Whole.Hits(t) - float64(s.Index)
	if !(h > 0) { // also NaN
		return 0
	}
	return h / float64(s.Count)
}

// Due returns when hit k of the share is due: when the whole has hit
// k·N + i due. It reports false when the whole has no such hit, and when
// k·N + i overflows.
func (s Share) Due(k uint64) (time.Duration, bool) {
	if !s.valid() || k > (math.MaxUint64-s.Index)/s.Count {
		return 0, false
	}
	return s.Whole.Due(k*s.Count + s.Index)
}

// Pace returns the wait until hit number hits is due.
func (s Share) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(s, elapsed, hits)
}
