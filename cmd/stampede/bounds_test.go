package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/attack"
)

func TestWorkerBound(t *testing.T) {
	tests := []struct {
		name        string
		start, most uint64
		mostSet     bool
		want        uint64
	}{
		{"defaults", attack.DefaultWorkers, attack.DefaultMaxWorkers, false, attack.DefaultMaxWorkers},
		{"explicit bound", 10, 64, true, 64},
		{"no limit", 10, 0, true, attack.NoLimit},
		{"a start above the default bound raises it", 2000, attack.DefaultMaxWorkers, false, 2000},
		{"a start above an explicit bound stays refused", 2000, 64, true, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workerBound(tt.start, tt.most, tt.mostSet); got != tt.want {
				t.Errorf("workerBound(%d, %d, %v) = %d; want %d", tt.start, tt.most, tt.mostSet, got, tt.want)
			}
		})
	}
	code, _, stderr := runInProcess(t, "attack", "-u", "http://127.0.0.1:1/", "--workers", "100", "--max-workers", "64")
	if code != exitUsage {
		t.Errorf("--workers 100 --max-workers 64 = exit %d (%s); want %d", code, stderr, exitUsage)
	}
}

// TestRunWorkerFlags: run bounds its workers as attack does, keeps the
// flags as given in the result file, and refuses them for a profile whose
// load phases are all closed models (they would do nothing).
func TestRunWorkerFlags(t *testing.T) {
	srv, _ := countingServer(t)
	dir := t.TempDir()
	paced, closed := filepath.Join(dir, "paced.yaml"), filepath.Join(dir, "closed.yaml")
	writeFile(t, paced, []byte("name: paced\ntarget: {base-url: http://127.0.0.1:1}\nrequests: [{name: root, path: /}]\nphases:\n  - {name: p, load: {rate: 20/s, duration: 200ms}}\n"))
	writeFile(t, closed, []byte("name: closed\ntarget: {base-url: http://127.0.0.1:1}\nrequests: [{name: root, path: /}]\nphases:\n  - {name: c, load: {concurrency: 2, duration: 200ms}}\n"))
	if code, _, stderr := runInProcess(t, "run", paced, "--base-url", srv.URL, "--max-workers", "5", "--dry-run"); code != exitOK {
		t.Errorf("--max-workers 5 (the default start of 10 yields): exit %d, %s", code, stderr)
	}
	out := filepath.Join(dir, "r.bin")
	if code, _, stderr := runInProcess(t, "run", paced, "--base-url", srv.URL, "--max-workers", "0", "-q", "-o", out); code != exitOK {
		t.Fatalf("--max-workers 0: exit %d, %s", code, stderr)
	}
	h, _, _ := readResults(t, out)
	if cmd := strings.Join(h.Command, " "); !strings.Contains(cmd, "--max-workers=0") || strings.Contains(cmd, "18446744073709551615") {
		t.Errorf("the result file's command line %q; want --max-workers=0 as given", cmd)
	}
	for _, flag := range []string{"--max-workers", "--workers"} {
		code, _, stderr := runInProcess(t, "run", closed, "--base-url", srv.URL, flag, "3", "-q", "-o", "")
		if code != exitUsage || !strings.Contains(stderr, "every load phase of closed is a closed model's") {
			t.Errorf("%s with a closed profile: exit %d, %q; want %d", flag, code, stderr, exitUsage)
		}
	}
}
