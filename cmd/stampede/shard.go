package main

import (
	"fmt"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
)

// shardHelp is the help of --shard, on attack and run.
const shardHelp = "this process's share `i/N` of a distributed run (0-based, as Kubernetes' JOB_COMPLETION_INDEX; needs --run-id): " +
	"1/N of the rate (or --concurrency) and of the targets; a name without a slash only labels the result file"

// shardOf reads --shard. "i/N" splits the load; it needs --run-id when N
// is above 1, so that the shards' files are known for one run's (and one
// missing or read twice is seen). A name without a slash, as --shard took
// before, labels the result file and splits nothing: the zero Shard.
//
// A split run's shard also needs a result file (output, -o): its exit
// does not carry its verdict (shardVerdict), the merged report of every
// shard's file does, and a shard without one would leave nothing to
// merge and no failure seen.
func shardOf(value, runID, output string) (records.Shard, error) {
	if value == "" {
		return records.Shard{}, nil
	}
	sh, ok, err := records.ParseShard(value)
	if err != nil {
		return sh, usageErrorf("--shard %s: %w", value, err)
	}
	if !ok {
		return records.Shard{}, nil
	}
	if sh.Count > 1 && runID == "" {
		return sh, usageErrorf("--shard %s: give --run-id ID too, the same for all %d shards, so that stampede report knows their files as one run's and sees one missing or read twice", value, sh.Count)
	}
	if sh.Count > 1 && output == "" {
		return sh, usageErrorf("--shard %s: give --output FILE: a shard's verdict is that of stampede report on every shard's result file, and this shard would write none", value)
	}
	return sh, nil
}

// shardName is what the result file's header says of the shard: "i/N"
// as ParseShard reads it back (007/10 is 7/10), or the label given.
func shardName(value string, sh records.Shard) string {
	if !sh.IsZero() {
		return sh.String()
	}
	return value
}

// shareLoad makes a load shard sh's part of it: 1/N of its shape, or of
// a closed model's workers (dealt in turn; a shard left none is an
// error naming the flags).
func shareLoad(plan *profiles.Plan, sh records.Shard) error {
	if sh.IsZero() {
		return nil
	}
	if plan.Concurrency > 0 {
		n, err := sh.ShareOf("concurrency", int(plan.Concurrency))
		if err != nil {
			return usageErrorf("--shard %s with --concurrency %d: %w", sh, plan.Concurrency, err)
		}
		plan.Concurrency = uint64(n)
	}
	if plan.Shape != nil {
		plan.Shape = pace.NewShare(plan.Shape, uint64(sh.Index), uint64(sh.Count))
	}
	return nil
}

// shardVerdict is the exit of a run: its verdict's, except for a shard of
// a run split among several (--shard i/N, N > 1), whose records are 1/N
// of the run's: its verdict is not the run's, which `stampede report`
// of every shard's file gives. Such a shard says on stderr what it found
// and exits 0, so that one shard's failed threshold does not fail its
// pod (an Indexed Job would stop the others) nor hide the others' files.
func shardVerdict(e *env, sh records.Shard, run analyze.Run) error {
	if sh.Count <= 1 {
		return verdictError(run)
	}
	err := verdictError(run)
	if err == nil {
		return nil
	}
	fmt.Fprintf(e.stderr, "stampede: shard %s alone: %s; the run's verdict is that of stampede report on its %d shards' files\n",
		sh, oneLine(err.Error()), sh.Count)
	return nil
}
