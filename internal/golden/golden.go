// Package golden compares test output with files in testdata/, rewriting
// them when the tests run with -update (as cmd/gofmt's tests do).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Path returns testdata/<test name>.golden.<ext>.
func Path(t testing.TB, ext string) string {
	return filepath.Join("testdata", t.Name()+".golden."+ext)
}

// Check compares got with the golden file testdata/<test name>.golden.<ext>,
// first rewriting that file with got under -update. It returns the golden
// bytes, so a caller can go on checking them (e.g. that they still parse).
func Check(t testing.TB, ext string, got []byte) []byte {
	t.Helper()
	path := Path(t, ext)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("output differs from %s at byte %d (got %d bytes, want %d; run with -update if intended):\n--- got\n%s\n--- want\n%s",
			path, i, len(got), len(want), got, want)
	}
	return want
}
