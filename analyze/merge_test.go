package analyze_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/reports"
)

// TestMergeShardsEqualsWhole: two shards of a run, split record by record
// and classified apart, report the same counts, percentiles, classes,
// timeline and contract as one file holding every record.
func TestMergeShardsEqualsWhole(t *testing.T) {
	dir := t.TempDir()
	const n = 3000
	whole, a, b := filepath.Join(dir, "whole.bin"), filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")
	analyze.ShardFile(t, whole, "all", n, func(int) bool { return true })
	analyze.ShardFile(t, a, "a", n, func(i int) bool { return (i*31)%7 < 3 }) // an uneven, interleaved split
	analyze.ShardFile(t, b, "b", n, func(i int) bool { return (i*31)%7 >= 3 })

	one, err := analyze.Load(context.Background(), []string{whole}, analyze.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	two, err := analyze.Load(context.Background(), []string{a, b}, analyze.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if one.Summary.Requests != n || two.Summary.Requests != n || two.Records != n {
		t.Fatalf("requests %d and %d (records %d); want %d", one.Summary.Requests, two.Summary.Requests, two.Records, n)
	}
	if !slices.Equal(two.Shards, []string{"a", "b"}) || two.RunID != "run-1" || two.Target != "GET http://127.0.0.1:8080/v1/items" {
		t.Errorf("shards %v, run id %q, target %q", two.Shards, two.RunID, two.Target)
	}
	// The JSON summary holds every count, percentile, class and the
	// timeline: apart from the sources and shards, both are equal.
	render := func(run analyze.Run) map[string]any {
		var buf bytes.Buffer
		if err := reports.JSON(&buf, run); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "sources")
		delete(doc, "shards")
		for _, c := range doc["classes"].([]any) {
			// Ids are local to a file; the message and samples are
			// examples, those of the file read first.
			delete(c.(map[string]any), "id")
			delete(c.(map[string]any), "message")
			delete(c.(map[string]any), "samples")
		}
		// Rules that follow a sequence of responses judge each shard's
		// own sequence: they add up per shard, not as one stream.
		rl := doc["rate_limit"].(map[string]any)
		rl["rules"] = slices.DeleteFunc(rl["rules"].([]any), func(r any) bool {
			id := r.(map[string]any)["id"]
			return id == "headers-consistent" || id == "admitted-after-wait"
		})
		delete(rl, "errors")
		delete(rl, "warnings")
		delete(doc, "verdict")
		return doc
	}
	dOne, dTwo := render(one), render(two)
	for _, key := range []string{"requests", "status", "latency_ms", "latency_uncorrected_ms", "send_delay_ms", "classes", "timeline", "rate_limit", "rate_per_s", "duration_s"} {
		j1, _ := json.Marshal(dOne[key])
		j2, _ := json.Marshal(dTwo[key])
		if !bytes.Equal(j1, j2) {
			t.Errorf("%s differs:\n one file: %s\n 2 shards: %s", key, j1, j2)
		}
	}
	if len(dOne["classes"].([]any)) != 4 {
		t.Errorf("%d classes; want 4 (200, 429, 500, refused)", len(dOne["classes"].([]any)))
	}
	if errs, _ := two.Contract.Violations(); errs == 0 {
		t.Errorf("merged contract has no violation; half the 429s lack Retry-After")
	}
}
