package contract

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"

	"github.com/stampede-dev/stampede/ratelimit"
)

// Report is the outcome of a run's rate-limit contract checks,
// detached from the checker that computed it: what reports render, what a
// result file stores at its end, and what adds up across the shards of a
// run. Its JSON form is documented in docs/result-format.md.
type Report struct {
	Rules   []RuleResult      `json:"rules"`             // one per rule, in RuleID order
	Forms   map[string]uint64 `json:"retry_after_forms"` // Retry-After values per form, absent excluded
	Resets  map[string]uint64 `json:"reset_kinds"`       // Reset values per meaning (ResetKind names)
	Schemes map[string]uint64 `json:"schemes"`           // responses per family of rate-limit headers
}

// Report returns the outcome of the checks so far. Like Results, it judges
// the suspects left and may be called again.
func (c *Checker) Report() *Report {
	r := &Report{Rules: c.Results(), Forms: c.Forms(), Resets: map[string]uint64{}, Schemes: c.Schemes()}
	for k, n := range c.resets {
		if n > 0 {
			r.Resets[ratelimit.ResetKind(k).String()] = n
		}
	}
	return r
}

// ResetKind returns what most Reset values meant and how many did;
// "unknown" and 0 when none was seen.
func (r *Report) ResetKind() (string, uint64) {
	best, n := ratelimit.ResetUnknown.String(), uint64(0)
	for _, k := range slices.Sorted(maps.Keys(r.Resets)) { // sorted: ties break the same way every time
		if r.Resets[k] > n {
			best, n = k, r.Resets[k]
		}
	}
	return best, n
}

// Violations returns the violations of rules of severity error and of
// severity warning.
func (r *Report) Violations() (errors, warnings uint64) {
	if r == nil {
		return 0, 0
	}
	for _, rule := range r.Rules {
		if rule.Severity == SeverityWarning {
			warnings += rule.Violations
		} else {
			errors += rule.Violations
		}
	}
	return errors, warnings
}

// Merge adds the outcome of another shard or run: counts add up, and each
// rule keeps the earliest MaxExamples examples of both. A rule
// only o knows (a newer writer's) is appended.
func (r *Report) Merge(o *Report) {
	if o == nil {
		return
	}
	for _, rule := range o.Rules {
		i := slices.IndexFunc(r.Rules, func(x RuleResult) bool { return x.Name == rule.Name })
		if i < 0 {
			rule.Examples = slices.Clone(rule.Examples)
			r.Rules = append(r.Rules, rule)
			continue
		}
		mine := &r.Rules[i]
		mine.Checked += rule.Checked
		mine.Violations += rule.Violations
		mine.Examples = append(slices.Clone(mine.Examples), rule.Examples...)
		slices.SortStableFunc(mine.Examples, func(a, b Example) int { return a.At.Compare(b.At) })
		if len(mine.Examples) > MaxExamples {
			mine.Examples = mine.Examples[:MaxExamples]
		}
	}
	slices.SortStableFunc(r.Rules, func(a, b RuleResult) int { return cmp.Compare(a.ID, b.ID) })
	r.Forms = addCounts(r.Forms, o.Forms)
	r.Resets = addCounts(r.Resets, o.Resets)
	r.Schemes = addCounts(r.Schemes, o.Schemes)
}

// addCounts adds the counts of b into a, allocating a if needed.
func addCounts(a, b map[string]uint64) map[string]uint64 {
	if a == nil {
		a = map[string]uint64{}
	}
	for k, n := range b {
		a[k] += n
	}
	return a
}

// RuleByName returns the rule with a name, and whether there is one.
func RuleByName(name string) (Rule, bool) {
	for _, r := range Rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}

// unknownRule is the ID of a rule read back that this version does not
// know: it sorts after every known rule.
const unknownRule RuleID = 255

// UnmarshalJSON reads a report and restores each rule's ID from its name.
func (r *Report) UnmarshalJSON(b []byte) error {
	type plain Report // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	for i := range p.Rules {
		p.Rules[i].ID = unknownRule
		if known, ok := RuleByName(p.Rules[i].Name); ok {
			p.Rules[i].ID = known.ID
		}
	}
	*r = Report(p)
	return nil
}
