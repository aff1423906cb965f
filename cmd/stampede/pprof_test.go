package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfilesFromTheEnvironment: STAMPEDE_CPUPROFILE and
// STAMPEDE_HEAPPROFILE write their profiles; a path that cannot be
// written is said on stderr and stops nothing.
func TestProfilesFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{cpuProfileEnv: filepath.Join(dir, "cpu.prof"), heapProfileEnv: filepath.Join(dir, "heap.prof")}
	var stderr bytes.Buffer
	stop := startProfiles(&stderr, func(k string) string { return env[k] })
	garbage := make([][]byte, 0, 64)
	for range 64 {
		garbage = append(garbage, make([]byte, 64<<10))
	}
	_ = garbage
	stop()
	for _, path := range env {
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v; want a profile written", path, err)
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr %q; want nothing", stderr.String())
	}
	bad := map[string]string{cpuProfileEnv: filepath.Join(dir, "no", "cpu.prof"), heapProfileEnv: filepath.Join(dir, "no", "heap.prof")}
	stderr.Reset()
	startProfiles(&stderr, func(k string) string { return bad[k] })()
	if !strings.Contains(stderr.String(), cpuProfileEnv) || !strings.Contains(stderr.String(), heapProfileEnv) {
		t.Errorf("stderr %q; want both variables named", stderr.String())
	}
}
