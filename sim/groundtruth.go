package sim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Counted is what a load tool counted of the simulation's answers, to
// compare with its ground truth (Stats.Compare).
type Counted struct {
	Status map[uint16]uint64 // responses per status; 0 for attempts without one
	Codes  []CodeCount       // responses per error code
}

// CodeCount is how many responses carried an error code.
type CodeCount struct {
	// Request is "METHOD /path" of a request that got the code: the first
	// segment of its path names the API ("/mimo/v1/…" is mimo's). Each API
	// answers in a dialect of its own, so no code is counted for two.
	Request string
	Code    string
	Count   uint64
}

// Comparison is the outcome of Stats.Compare.
type Comparison struct {
	Diffs []string // each count that differs; empty when all agree
	APIs  []string // the APIs whose error codes were compared, sorted
	Codes int      // the error codes compared
}

// Compare compares a tool's count of every status, and of every error code
// per API, with what the simulation says it answered.
func (s Stats) Compare(c Counted) Comparison {
	var cmp Comparison
	// Requests that reached no API were answered 404 too.
	truth := map[uint16]uint64{}
	if s.Unrouted > 0 {
		truth[http.StatusNotFound] = uint64(s.Unrouted)
	}
	for _, a := range s.APIs {
		for status, n := range a.Status {
			code, _ := strconv.ParseUint(status, 10, 16)
			truth[uint16(code)] += uint64(n)
		}
	}
	seen := maps.Clone(truth)
	for st, n := range c.Status {
		seen[st] += n
	}
	for _, st := range slices.Sorted(maps.Keys(seen)) {
		if truth[st] != c.Status[st] {
			name := strconv.Itoa(int(st))
			if st == 0 {
				name = "no response"
			}
			cmp.Diffs = append(cmp.Diffs, fmt.Sprintf("%s: stampede %d, simulation %d", name, c.Status[st], truth[st]))
		}
	}
	if s.Unrouted != 0 {
		cmp.Diffs = append(cmp.Diffs, fmt.Sprintf("%d requests reached no API", s.Unrouted))
	}
	s.compareCodes(c, &cmp)
	return cmp
}

// compareCodes compares, for every API whose errors carry codes, the
// tool's count of each error code with the simulation's.
func (s Stats) compareCodes(c Counted, cmp *Comparison) {
	counted := map[string]map[string]uint64{} // API → code → responses
	for _, cc := range c.Codes {
		_, path, _ := strings.Cut(cc.Request, " ")
		api, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if counted[api] == nil {
			counted[api] = map[string]uint64{}
		}
		counted[api][cc.Code] += cc.Count
	}
	cmp.APIs = slices.Sorted(maps.Keys(counted))
	for _, api := range cmp.APIs {
		cmp.Codes += len(counted[api])
		truth := s.APIs[api]
		if truth == nil {
			cmp.Diffs = append(cmp.Diffs, fmt.Sprintf("classes with codes attributed to %q, which is no API", api))
			continue
		}
		codes := maps.Clone(counted[api])
		for code := range truth.Codes {
			codes[code] += 0
		}
		for _, code := range slices.Sorted(maps.Keys(codes)) {
			if counted[api][code] != uint64(truth.Codes[code]) {
				cmp.Diffs = append(cmp.Diffs, fmt.Sprintf("%s %s: stampede %d, simulation %d", api, code, counted[api][code], truth.Codes[code]))
			}
		}
	}
}
