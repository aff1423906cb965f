package analyze_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/analyze"
)

// TestShardsMissing: the files of a run split i/N that lack a shard, or
// disagree on N, give a ShardGap and a failed verdict; every shard, or
// shards named by labels only, give none.
func TestShardsMissing(t *testing.T) {
	dir := t.TempDir()
	file := func(name string) string {
		path := filepath.Join(dir, strings.NewReplacer("/", "-of-").Replace(name)+".bin")
		analyze.ShardFile(t, path, name, 40, func(i int) bool { return i%4 == 0 })
		return path
	}
	for _, tc := range []struct {
		name   string
		shards []string
		reason string // "" for none
	}{
		{"all four", []string{"0/4", "1/4", "2/4", "3/4"}, ""},
		{"one of one", []string{"0/1"}, ""},
		{"labels", []string{"eu", "us"}, ""},
		{"one missing", []string{"0/4", "1/4", "3/4"}, "run run-1: 3 of 4 shards read; shard 2/4 is missing: the merged run is 3/4 of the load offered"},
		{"two missing", []string{"3/4", "1/4"}, "run run-1: 2 of 4 shards read; shards 0/4, 2/4 are missing: the merged run is 2/4 of the load offered"},
		{"counts differ", []string{"0/2", "1/2", "2/3"}, "run run-1: its result files disagree on the number of shards (2 and 3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, s := range tc.shards {
				paths = append(paths, file(s))
			}
			run, err := analyze.Load(context.Background(), paths, analyze.FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			v := run.Verdict()
			if tc.reason == "" {
				if len(run.ShardsMissing) > 0 || !v.Pass {
					t.Errorf("Load(%v): shards missing %v, verdict %v; want none and a pass", tc.shards, run.ShardsMissing, v.Reasons)
				}
				return
			}
			if v.Pass || !slices.Contains(v.Reasons, tc.reason) {
				t.Errorf("Load(%v): verdict %v %q; want a fail saying %q", tc.shards, v.Pass, v.Reasons, tc.reason)
			}
			noted := slices.ContainsFunc(run.Notes, func(n string) bool { return n == tc.reason })
			if !noted {
				t.Errorf("Load(%v): notes %q; want %q", tc.shards, run.Notes, tc.reason)
			}
		})
	}
}
