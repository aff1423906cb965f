package main

import (
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
