package thresholds

import (
	"strings"
	"testing"
	"time"
)

// TestThresholdsCostLittle: what could loop, allocate without bound,
// recurse deeply or change with the clock is refused when compiled, in
// little time.
func TestThresholdsCostLittle(t *testing.T) {
	deep := strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000) + " > 0"
	for src, want := range map[string]string{
		`let r = 1..9999; all(r, all(r, true))`:          "not allowed",
		`let r = [1]; true`:                              "variables (let) are not allowed",
		`all([1, 2], true)`:                              "all() is not allowed",
		`len(repeat(repeat("a", 99999), 999999)) > 0`:    "repeat() is not allowed",
		`now() > now()`:                                  "now() is not allowed",
		`count(len(code) > 2) == 0`:                      "len() is not allowed",
		`count(status in 1..1000000) == 0`:               "ranges (..) are not allowed",
		deep:                                             "nested more than 64 deep",
		strings.Repeat("requests > 0 && ", 400) + "true": "at most 4096",
		strings.Repeat("(", 100_000):                     "at most 4096",
		`{"a": 1}.a > 0`:                                 "maps are not allowed",
		`map([1,2], # * 2)[0] > 0`:                       "not allowed",
	} {
		start := time.Now()
		_, err := Compile("", src, false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%.60q) = %v, want an error containing %q", src, err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Compile(%.60q) took %s", src, d)
		}
		if e, ok := err.(*Error); ok && len(e.Msg) > 400 {
			t.Errorf("Compile(%.60q): a message of %d bytes", src, len(e.Msg))
		}
	}
	for _, ok := range []string{`max(latency.p99, latency.p50) < 1s`, `abs(requests - 10) < 5`, `count(status in [500, 503]) == 0`, `success_ratio > 0.9 ? true : false`} {
		if _, err := Compile("", ok, false); err != nil {
			t.Errorf("Compile(%q): %v", ok, err)
		}
	}
}
