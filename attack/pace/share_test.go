package pace

import (
	"math"
	"strings"
	"testing"
	"time"
)

// shareCounts are the shard counts the share tests split every shape into.
var shareCounts = []uint64{1, 2, 3, 4, 7}

// TestShareSumsToWhole checks, for every shape case and shard count, that
// the shards' bounded schedules plan exactly the whole's hits between
// them (their shares differ by at most one), that dealt out again they are
// the whole schedule, hit for hit, and that vegeta's loop driven by each
// share sends what it plans.
func TestShareSumsToWhole(t *testing.T) {
	for _, c := range shapeCases {
		whole, _ := NewSchedule(c.shape, c.d).Planned()
		for _, n := range shareCounts {
			var sum, lo, hi uint64 = 0, math.MaxUint64, 0
			for i := range n {
				share := NewShare(c.shape, i, n)
				planned, _ := NewSchedule(share, c.d).Planned()
				sum, lo, hi = sum+planned, min(lo, planned), max(hi, planned)
				if sent := simulate(t, NewSchedule(share, c.d), c.d); sent != planned {
					t.Errorf("%s, shard %d/%d: simulated %d hits; planned %d", c.name, i, n, sent, planned)
				}
				if whole <= 200_000 {
					checkDealt(t, c, share, i, n, planned)
				}
			}
			if sum != whole || hi-lo > 1 {
				t.Errorf("%s over %d shards: planned %d in all (from %d to %d each); want %d, spread <= 1", c.name, n, sum, lo, hi, whole)
			}
		}
	}
}

// checkDealt checks that hit k of shard i of n is the whole's hit k·n+i,
// and that the share's counting function agrees with its Due.
func checkDealt(t *testing.T, c shapeCase, share Shape, i, n, planned uint64) {
	t.Helper()
	for k := range planned {
		got, ok := share.Due(k)
		want, wok := c.shape.Due(k*n + i)
		if got != want || ok != wok {
			t.Fatalf("%s, shard %d/%d: Due(%d) = %s, %v; want the whole's Due(%d) = %s, %v", c.name, i, n, k, got, ok, k*n+i, want, wok)
		}
		if k == 0 {
			continue // hit 0 is due with the whole's hit i, not at 0
		}
		if h := share.Hits(got); h < float64(k) || got > 0 && share.Hits(got-1) >= float64(k) {
			t.Fatalf("%s, shard %d/%d: Hits(Due(%d) = %s) = %v, Hits(-1ns) = %v; want the first nanosecond with Hits >= %d",
				c.name, i, n, k, got, h, share.Hits(got-1), k)
		}
	}
}

// TestShareRates checks that the shards' rates add up to the whole's.
func TestShareRates(t *testing.T) {
	for _, c := range shapeCases {
		for _, n := range shareCounts {
			for at := time.Duration(0); at < c.d; at += c.d / 17 {
				var sum float64
				for i := range n {
					sum += NewShare(c.shape, i, n).Rate(at)
				}
				if want := c.shape.Rate(at); math.Abs(sum-want) > 1e-9*want {
					t.Errorf("%s over %d shards at %s: rates add up to %v; want %v", c.name, n, at, sum, want)
				}
			}
		}
	}
}

func TestShareValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		share Share
		want  string // a fragment of the error; "" for none
	}{
		{"valid", Share{Constant{100}, 3, 4}, ""},
		{"no count", Share{Constant{100}, 0, 0}, "count must be at least 1"},
		{"index beyond", Share{Constant{100}, 4, 4}, "index 4 must be below the count 4"},
		{"no shape", Share{nil, 0, 2}, "no shape to share"},
		{"invalid whole", Share{Constant{-1}, 0, 2}, "constant: rate must be greater than zero"},
	} {
		err := tc.share.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v.Validate() = %v; want %q", tc.name, tc.share, err, tc.want)
		}
		if tc.want != "" {
			if _, ok := tc.share.Due(0); ok {
				t.Errorf("%s: Due(0) of an invalid share is due; want false", tc.name)
			}
		}
	}
	if _, ok := (Share{Constant{100}, 3, 4}).Due(math.MaxUint64); ok {
		t.Errorf("Due(MaxUint64) of shard 3/4 is due; want false (k·N+i overflows)")
	}
	if got := NewShare(Constant{5}, 0, 1); got != (Constant{5}) {
		t.Errorf("NewShare(constant, 0, 1) = %v; want the whole shape", got)
	}
}

// TestNewShareOfNoShard: no split (count 0) and one shard are the whole
// shape itself; more shards are a Share.
func TestNewShareOfNoShard(t *testing.T) {
	whole := Constant{PerSecond: 10}
	for _, tc := range []struct {
		index, count uint64
		whole        bool
	}{{0, 0, true}, {0, 1, true}, {1, 2, false}} {
		_, isWhole := NewShare(whole, tc.index, tc.count).(Constant)
		if isWhole != tc.whole {
			t.Errorf("NewShare(%d/%d) is the whole: %v; want %v", tc.index, tc.count, isWhole, tc.whole)
		}
	}
}
