package analyze

import (
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// TestRunBehind: a run is behind its schedule when its send delay p99
// reaches BehindThreshold; never a closed model, which has no schedule.
func TestRunBehind(t *testing.T) {
	runOf := func(delays ...time.Duration) Run {
		s := NewSummary()
		for _, d := range delays {
			s.Add(&records.Record{Status: 200, Sent: d, Latency: d + time.Millisecond})
		}
		return Run{Summary: s}
	}
	many := func(n int, d time.Duration) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	tests := []struct {
		name   string
		run    Run
		behind bool
	}{
		{"on time", runOf(many(100, 100*time.Microsecond)...), false},
		{"one late request in a hundred and one", runOf(append(many(100, 0), time.Second)...), false},
		{"just under", runOf(many(100, BehindThreshold-time.Millisecond)...), false},
		{"at the threshold", runOf(many(100, BehindThreshold)...), true},
		{"far behind", runOf(many(100, 2*time.Second)...), true},
		{"no records", Run{Summary: NewSummary()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, got := tt.run.Behind(); got != tt.behind {
				t.Errorf("Behind() = %v; want %v", got, tt.behind)
			}
		})
	}
	closed := runOf(many(100, 2*time.Second)...)
	closed.Concurrency = 8
	if _, _, got := closed.Behind(); got {
		t.Errorf("a closed model is behind; it has no schedule")
	}
}
