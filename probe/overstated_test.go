package probe

import (
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
)

func TestOverstated(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		T, h time.Duration
		form analyze.RetryAfterForm
		want bool
	}{
		{1 * s, s / 2, analyze.RetryAfterSeconds, false}, // real ≤ 0.5 s: an honest server says 1
		{2 * s, 1 * s, analyze.RetryAfterSeconds, true},  // real ≤ 1 s: an honest server says 1
		{2 * s, s + 1, analyze.RetryAfterSeconds, false}, // real may be just over 1 s: 2 is honest
		{10 * s, 5 * s, analyze.RetryAfterSeconds, true},
		{2 * s, 1 * s, analyze.RetryAfterIMFDate, false}, // a date loses up to 1 s to Date
		{3 * s, 1 * s, analyze.RetryAfterIMFDate, true},
		{3 * s, 1 * s, analyze.RetryAfterObsoleteDate, true},
	} {
		if got := overstated(tc.T, tc.h, tc.form); got != tc.want {
			t.Errorf("overstated(%s, %s, %s) = %v; want %v", tc.T, tc.h, tc.form, got, tc.want)
		}
	}
}
