package records

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxShards is the most shards a run may be split into.
const MaxShards = 10000

// Shard is one process's share of a distributed run: shard Index of Count,
// numbered from 0 as Kubernetes numbers the pods of an Indexed Job
// (JOB_COMPLETION_INDEX). The zero value, 0 of 0, is no shard: the whole
// run. A result file's Header.Shard holds its String, "i/N".
type Shard struct {
	Index, Count int
}

// IsZero reports whether s is no shard: the whole run in one process.
func (s Shard) IsZero() bool { return s.Count == 0 }

// String renders the shard as ParseShard reads it, "1/4"; "" for none.
func (s Shard) String() string {
	if s.IsZero() {
		return ""
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// ShardError is the error of ParseShard: what is wrong with the input,
// and what to write instead. Its message does not repeat the input, which
// the caller names ("--shard 4/4: index must be 0..3 ...").
type ShardError struct {
	Input   string // the text given
	Problem string // what is wrong, and the fix
}

func (e *ShardError) Error() string { return e.Problem }

// ParseShard reads a shard identity:
//
//	shard = index "/" count      ; decimal digits, no sign, no spaces
//	0 <= index < count <= MaxShards
//
// ok is false, with no error, for text without a "/" that is not a number
// either: a shard's name only (an older --shard), which splits nothing.
// A bare number is an error, since it could mean either. The errors are
// *ShardError.
func ParseShard(s string) (shard Shard, ok bool, err error) {
	idx, cnt, slash := strings.Cut(s, "/")
	if !slash {
		if _, err := strconv.ParseUint(s, 10, 64); err == nil || s == "" {
			return Shard{}, false, shardErrorf(s, "want index/count, such as 0/4 (shards are numbered from 0, as Kubernetes' JOB_COMPLETION_INDEX)")
		}
		return Shard{}, false, nil
	}
	n, err := shardNumber(cnt)
	if err != nil {
		return Shard{}, false, shardErrorf(s, "count %q: %v (want index/count, such as 0/4)", cnt, err)
	}
	if n < 1 || n > MaxShards {
		return Shard{}, false, shardErrorf(s, "count must be 1..%d", MaxShards)
	}
	i, err := shardNumber(idx)
	if err != nil {
		return Shard{}, false, shardErrorf(s, "index %q: %v (want index/count, such as 0/4)", idx, err)
	}
	if i >= n {
		return Shard{}, false, shardErrorf(s, "index must be 0..%d (shards are numbered from 0, as Kubernetes' JOB_COMPLETION_INDEX)", n-1)
	}
	return Shard{Index: i, Count: n}, true, nil
}

// shardErrorf is a *ShardError about input.
func shardErrorf(input, format string, args ...any) error {
	return &ShardError{Input: input, Problem: fmt.Sprintf(format, args...)}
}

// shardNumber reads a non-negative decimal of at most 9 digits (beyond
// MaxShards either way, and far from overflow).
func shardNumber(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	if strings.HasPrefix(s, "$(") {
		return 0, errors.New("a variable left unexpanded (Kubernetes expands $(JOB_COMPLETION_INDEX) in args only in an Indexed Job, completionMode: Indexed)")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not a whole number")
		}
	}
	if len(s) > 9 {
		return 0, errors.New("too large")
	}
	n, _ := strconv.Atoi(s) // at most 9 digits: cannot fail
	return n, nil
}

// Share is the part of count things (hits, targets, workers) that shard s
// takes when they are dealt out in turn, the first to shard 0: count/N,
// one more for the first count mod N shards. The shares of all the shards
// differ by at most one and add up to count. The whole run (no shard)
// takes everything.
func (s Shard) Share(count int) int {
	if s.IsZero() || count <= 0 {
		return max(count, 0)
	}
	share := count / s.Count
	if s.Index < count%s.Count {
		share++
	}
	return share
}

// EmptyShareError says that a shard's share of something dealt among the
// shards (a closed model's workers) is nothing: there are fewer of them
// than shards.
type EmptyShareError struct {
	Shard Shard
	What  string // what is dealt out, e.g. "concurrency"
	Count int    // how many there are in all
}

func (e *EmptyShareError) Error() string {
	return fmt.Sprintf("%s %d dealt among %d shards leaves shard %s none: run at most %d shards, or raise the %s",
		e.What, e.Count, e.Shard.Count, e.Shard, e.Count, e.What)
}

// ShareOf is Share for what must not be empty: an *EmptyShareError when
// shard s would take none of a positive count.
func (s Shard) ShareOf(what string, count int) (int, error) {
	n := s.Share(count)
	if n == 0 && count > 0 {
		return 0, &EmptyShareError{Shard: s, What: what, Count: count}
	}
	return n, nil
}
