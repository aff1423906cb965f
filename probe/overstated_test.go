package probe

import (
	"testing"
	"time"

	"github.com/stampede-dev/stampede/ratelimit"
)

func TestOverstated(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		T, h time.Duration
		form ratelimit.RetryAfterForm
		want bool
	}{
		{1 * s, s / 2, ratelimit.RetryAfterSeconds, false}, // real ≤ 0.5 s: an honest server says 1
		{2 * s, 1 * s, ratelimit.RetryAfterSeconds, true},  // real ≤ 1 s: an honest server says 1
		{2 * s, s + 1, ratelimit.RetryAfterSeconds, false}, // real may be just over 1 s: 2 is honest
		{10 * s, 5 * s, ratelimit.RetryAfterSeconds, true},
		{2 * s, 1 * s, ratelimit.RetryAfterIMFDate, false}, // a date loses up to 1 s to Date
		{3 * s, 1 * s, ratelimit.RetryAfterIMFDate, true},
		{3 * s, 1 * s, ratelimit.RetryAfterObsoleteDate, true},
	} {
		if got := overstated(tc.T, tc.h, tc.form); got != tc.want {
			t.Errorf("overstated(%s, %s, %s) = %v; want %v", tc.T, tc.h, tc.form, got, tc.want)
		}
	}
}
