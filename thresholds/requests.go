package thresholds

import "github.com/stampede-dev/stampede/analyze"

// requestScopes gathers the scopes of each request name of a summary.
func requestScopes(s *analyze.Summary, run *Scope) map[string]*Scope {
	return map[string]*Scope{}
}
