package records

import (
	"errors"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Shard
		ok       bool
		problem  string // a fragment of the error; "" for none
	}{
		{"first of four", "0/4", Shard{0, 4}, true, ""},
		{"last of four", "3/4", Shard{3, 4}, true, ""},
		{"one shard", "0/1", Shard{0, 1}, true, ""},
		{"leading zeros", "007/0010", Shard{7, 10}, true, ""},
		{"most shards", "9999/10000", Shard{9999, 10000}, true, ""},
		{"label", "eu-west", Shard{}, false, ""},
		{"label with digits", "runner-3", Shard{}, false, ""},
		{"index too high", "4/4", Shard{}, false, "index must be 0..3 (shards are numbered from 0, as Kubernetes' JOB_COMPLETION_INDEX)"},
		{"numbered from one", "1/1", Shard{}, false, "index must be 0..0"},
		{"count zero", "0/0", Shard{}, false, "count must be 1..10000"},
		{"too many", "0/10001", Shard{}, false, "count must be 1..10000"},
		{"huge", "0/99999999999999999999", Shard{}, false, "too large"},
		{"negative", "-1/4", Shard{}, false, `index "-1": not a whole number`},
		{"signed count", "0/+4", Shard{}, false, `count "+4": not a whole number`},
		{"spaces", "1 / 4", Shard{}, false, "not a whole number"},
		{"no index", "/4", Shard{}, false, `index "": empty`},
		{"no count", "1/", Shard{}, false, `count "": empty`},
		{"two slashes", "1/2/4", Shard{}, false, "not a whole number"},
		{"bare number", "2", Shard{}, false, "want index/count, such as 0/4"},
		{"empty", "", Shard{}, false, "want index/count"},
		{"unexpanded variable", "$(JOB_COMPLETION_INDEX)/4", Shard{}, false, "a variable left unexpanded (Kubernetes expands $(JOB_COMPLETION_INDEX) in args only in an Indexed Job"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := ParseShard(tc.in)
			if tc.problem == "" {
				if err != nil || got != tc.want || ok != tc.ok {
					t.Errorf("ParseShard(%q) = %v, %v, %v; want %v, %v, nil", tc.in, got, ok, err, tc.want, tc.ok)
				}
				return
			}
			var se *ShardError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.problem) || se.Input != tc.in || ok {
				t.Errorf("ParseShard(%q) = %v, %v, %v; want a *ShardError saying %q", tc.in, got, ok, err, tc.problem)
			}
		})
	}
}

// TestShardShares checks that the shares of every shard of a count differ
// by at most one and add up to the count.
func TestShardShares(t *testing.T) {
	for n := 1; n <= 12; n++ {
		for count := 0; count <= 40; count++ {
			sum, lo, hi := 0, count, 0
			for i := range n {
				s := Shard{Index: i, Count: n}.Share(count)
				sum += s
				lo, hi = min(lo, s), max(hi, s)
			}
			if sum != count || hi-lo > 1 {
				t.Errorf("shares of %d over %d shards: sum %d, from %d to %d; want sum %d, spread <= 1", count, n, sum, lo, hi, count)
			}
		}
	}
	if got := (Shard{}).Share(7); got != 7 {
		t.Errorf("Shard{}.Share(7) = %d; want 7 (no shard takes all)", got)
	}
}

// FuzzParseShard checks that ParseShard never panics, that what it
// accepts is within bounds and renders back to an equal shard, and that
// every error is a *ShardError.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/4", "3/4", "4/4", "0/1", "9999/10000", "0/10001", "eu-west", "2", "", "/", "1/", "/4",
		"-1/4", "007/0010", "1/2/3", "$(JOB_COMPLETION_INDEX)/4", "99999999999/1", "٣/4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, ok, err := ParseShard(s)
		if err != nil {
			var se *ShardError
			if !errors.As(err, &se) || ok || !sh.IsZero() {
				t.Fatalf("ParseShard(%q) = %v, %v, %v; want a *ShardError and no shard", s, sh, ok, err)
			}
			return
		}
		if !ok {
			if strings.Contains(s, "/") || !sh.IsZero() {
				t.Fatalf("ParseShard(%q) = %v, label; a label has no slash", s, sh)
			}
			return
		}
		if sh.Count < 1 || sh.Count > MaxShards || sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("ParseShard(%q) = %v: out of bounds", s, sh)
		}
		again, ok2, err := ParseShard(sh.String())
		if again != sh || !ok2 || err != nil {
			t.Fatalf("ParseShard(%q) = %v; its String %q reads back as %v, %v, %v", s, sh, sh.String(), again, ok2, err)
		}
	})
}

func TestShareOf(t *testing.T) {
	if n, err := (Shard{Index: 2, Count: 3}).ShareOf("concurrency", 8); n != 2 || err != nil {
		t.Errorf("Shard 2/3 ShareOf(8) = %d, %v; want 2, nil", n, err)
	}
	_, err := (Shard{Index: 3, Count: 4}).ShareOf("concurrency", 3)
	var empty *EmptyShareError
	const want = "concurrency 3 dealt among 4 shards leaves shard 3/4 none: run at most 3 shards, or raise the concurrency"
	if !errors.As(err, &empty) || err.Error() != want {
		t.Errorf("Shard 3/4 ShareOf(3) = %v; want %q", err, want)
	}
}
