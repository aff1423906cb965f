package sim

import (
	"strings"
	"testing"
)

// truthStats is the ground truth of a small run: mira answered 200s and
// 429s, mimo 200s and two codes.
func truthStats() Stats {
	return Stats{Requests: 10, APIs: map[string]*APIStats{
		"mira": {Status: map[string]int64{"200": 3, "429": 2}, Codes: map[string]int64{}},
		"mimo": {Status: map[string]int64{"200": 3, "401": 1, "500": 1}, Codes: map[string]int64{"invalid_api_key": 1, "internal_error": 1}},
	}}
}

// truthCounted is what a tool that counted right saw of truthStats.
func truthCounted() Counted {
	return Counted{
		Status: map[uint16]uint64{200: 6, 429: 2, 401: 1, 500: 1},
		Codes: []CodeCount{
			{Request: "POST /mimo/v1/chat/completions", Code: "invalid_api_key", Count: 1},
			{Request: "POST /mimo/v1/chat/completions", Code: "internal_error", Count: 1},
		},
	}
}

func TestCompareAgrees(t *testing.T) {
	cmp := truthStats().Compare(truthCounted())
	if len(cmp.Diffs) != 0 || strings.Join(cmp.APIs, ",") != "mimo" || cmp.Codes != 2 {
		t.Errorf("Compare = %+v; want no difference, 2 codes of mimo", cmp)
	}
}

func TestCompareDiffers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Stats, *Counted)
		want   string
	}{
		{"a status", func(_ *Stats, c *Counted) { c.Status[429] = 1 }, "429: stampede 1, simulation 2"},
		{"no response", func(_ *Stats, c *Counted) { c.Status[0] = 3 }, "no response: stampede 3, simulation 0"},
		{"a code", func(_ *Stats, c *Counted) { c.Codes[1].Count = 4 }, "mimo internal_error: stampede 4, simulation 1"},
		{"a code missed", func(_ *Stats, c *Counted) { c.Codes = c.Codes[:1] }, "mimo internal_error: stampede 0, simulation 1"},
		{"no such API", func(_ *Stats, c *Counted) {
			c.Codes = append(c.Codes, CodeCount{Request: "GET /nope/x", Code: "x", Count: 1})
		}, `classes with codes attributed to "nope", which is no API`},
		{"unrouted", func(s *Stats, c *Counted) { s.Unrouted = 2; c.Status[404] = 2 }, "2 requests reached no API"},
	} {
		s, c := truthStats(), truthCounted()
		tc.change(&s, &c)
		cmp := s.Compare(c)
		if !strings.Contains(strings.Join(cmp.Diffs, "; "), tc.want) {
			t.Errorf("%s: Compare = %q; want a difference %q", tc.name, cmp.Diffs, tc.want)
		}
	}
}
