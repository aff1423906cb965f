package attack

import (
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/attack/pace"
)

// TestShapesAgainstServer runs every load shape through vegeta's real
// attacker against a local server: the hits the server counts over the
// window are within ±1% of the shape's integral H(D).
func TestShapesAgainstServer(t *testing.T) {
	const d = 2 * time.Second
	tests := []struct {
		name  string
		shape pace.Shape
	}{
		{"constant", pace.Constant{PerSecond: 300}},
		{"ramp", pace.Ramp{From: 50, To: 450, Over: d}},
		{"steps", pace.Steps{Steps: []pace.Step{{Rate: 100, For: 500 * time.Millisecond}, {Rate: 400, For: time.Second}, {Rate: 200, For: time.Second}}}},
		{"spike", pace.Spike{Base: 100, Peak: 600, At: 500 * time.Millisecond, For: 500 * time.Millisecond}},
		{"sine", pace.Sine{Mean: 250, Amplitude: 200, Period: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
			defer srv.Close()
			o := options(srv.URL, 1, d)
			o.Shape = tt.shape
			recs := collect(t, o)
			want := tt.shape.Hits(d)
			got := float64(hits.Load())
			if math.Abs(got-want) > math.Max(1, 0.01*want) || len(recs) != int(got) {
				t.Errorf("%v for %s: server counted %.0f hits, %d records; want H(%s) = %.1f ±1%%", tt.shape, d, got, len(recs), d, want)
			}
		})
	}
}
