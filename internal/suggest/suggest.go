// Package suggest finds the word a typo meant: the nearest of the valid
// names, by edit distance.
package suggest

import "strings"

// Nearest returns the candidate closest to s by edit distance, if it is
// close enough to be a likely typo (at most a third of the longer word, and
// at least 1 edit allowed, but never all of s), or "".
func Nearest(s string, candidates []string) string {
	best, bestD := "", -1
	low := strings.ToLower(s)
	for _, c := range candidates {
		d := levenshtein(low, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(len(s), len(best)) / 3
	if limit < 1 {
		limit = 1
	}
	if bestD < 0 || bestD > limit || bestD >= len(s) {
		return ""
	}
	return best
}

// levenshtein is the edit distance of a and b (insertions, deletions and
// substitutions of bytes, each costing 1), with one row of the table:
//
//	d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+[a[i-1] != b[j-1]])
func levenshtein(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0] // d[i-1][j-1]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			above := row[j]
			row[j] = min(above+1, row[j-1]+1, diag+cost)
			diag = above
		}
	}
	return row[len(b)]
}
