package analyze

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkLoad reads a file of 20 000 classified records back into a
// report: the cost of `stampede report` per record.
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(b.TempDir(), "r.bin")
	const n = 20000
	shard(b, path, "", n, func(int) bool { return true })
	b.ResetTimer()
	for b.Loop() {
		run, err := load(context.Background(), []string{path}, FileOptions{})
		if err != nil || run.Summary.Requests != n {
			b.Fatalf("%v, %d requests", err, run.Summary.Requests)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
