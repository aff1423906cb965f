package thresholds

import (
	"strconv"

	"github.com/stampede-dev/stampede/analyze"
)

// splitByRequest splits the groups of a run (one per class) by request
// name: each class's count goes to the names that drew it, and what no
// name accounts for (records without one) stays under the name "".
func splitByRequest(s *analyze.Summary, groups []Group) []Group {
	stats := s.RequestStats()
	if len(stats) == 0 {
		return groups
	}
	byID := make(map[uint32]int, len(groups))
	for i, st := range s.ClassStats() {
		byID[st.Class.ID] = i
	}
	rest := make([]uint64, len(groups))
	for i, g := range groups {
		rest[i] = g.count
	}
	var out []Group
	for _, r := range stats {
		for id, n := range r.Classes {
			i, ok := byID[id]
			if !ok || n == 0 {
				continue
			}
			g := groups[i]
			g.Request, g.count = r.Name, n
			out = append(out, g)
			rest[i] -= min(n, rest[i])
		}
	}
	for i, g := range groups {
		if rest[i] > 0 {
			g.count = rest[i]
			out = append(out, g)
		}
	}
	return out
}

// requestScopes gathers the scope of each request name of a summary.
func requestScopes(s *analyze.Summary, run *Scope) map[string]*Scope {
	out := map[string]*Scope{}
	for _, r := range s.RequestStats() {
		sc := &Scope{
			Requests: float64(r.Count), Successes: float64(r.Successes), SuccessRatio: r.SuccessRatio(),
			Latency: analyze.LatencyQuantiles(r.Latency), what: "request " + strconv.Quote(r.Name),
		}
		for _, g := range run.groups {
			if g.Request == r.Name {
				sc.groups = append(sc.groups, g)
			}
		}
		out[r.Name] = sc
	}
	return out
}
