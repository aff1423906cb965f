package reports

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"
	"github.com/stampede-dev/stampede/analyze/contract"
)

// JSONRateLimit is the rate-limit contract of a run in the JSON summary.
type JSONRateLimit struct {
	Errors          uint64             `json:"errors"`   // violations of rules of severity error
	Warnings        uint64             `json:"warnings"` // violations of rules of severity warning
	RetryAfterForms map[string]uint64  `json:"retry_after_forms"`
	ResetKind       string             `json:"reset_kind"` // what Reset values meant, "unknown" when none was seen
	Schemes         map[string]uint64  `json:"schemes"`    // families of rate-limit headers seen
	Rules           []JSONContractRule `json:"rules"`
}

// JSONContractRule is one rule of the contract.
type JSONContractRule struct {
	ID         string                `json:"id"`
	Severity   string                `json:"severity"`
	Title      string                `json:"title"`
	Checked    uint64                `json:"checked"`
	Violations uint64                `json:"violations"`
	Examples   []JSONContractExample `json:"examples"`
}

// JSONContractExample is the evidence of one violation.
type JSONContractExample struct {
	At         *time.Time `json:"at,omitempty"`
	Status     uint16     `json:"status"`
	RetryAfter string     `json:"retry_after"`
	RateLimit  string     `json:"rate_limit"`
	Detail     string     `json:"detail"`
}

// jsonRateLimit renders the contract checks, or nil when there were none.
func jsonRateLimit(c *contract.Report) *JSONRateLimit {
	if c == nil {
		return nil
	}
	kind, _ := c.ResetKind()
	out := &JSONRateLimit{RetryAfterForms: nonNil(c.Forms), ResetKind: kind, Schemes: nonNil(c.Schemes), Rules: []JSONContractRule{}}
	for _, r := range c.Rules {
		jr := JSONContractRule{ID: r.Name, Severity: r.Severity.String(), Title: r.Title, Checked: r.Checked, Violations: r.Violations, Examples: []JSONContractExample{}}
		for _, ex := range r.Examples {
			jr.Examples = append(jr.Examples, JSONContractExample{At: utcOrNil(ex.At), Status: ex.Status, RetryAfter: ex.RetryAfter, RateLimit: ex.RateLimit, Detail: ex.Detail})
		}
		out.Rules = append(out.Rules, jr)
	}
	out.Errors, out.Warnings = c.Violations()
	return out
}

// contract writes the rate-limit contract table: the rules that applied to
// some response, with their evidence, and what the headers looked like.
func (p *textPrinter) contract(c *contract.Report) {
	if c == nil {
		return
	}
	var rows [][]string
	errs, warns := c.Violations() // rules that checked nothing broke nothing
	for _, r := range c.Rules {
		if r.Checked == 0 {
			continue
		}
		example := "-"
		if len(r.Examples) > 0 {
			example = cutText(evidence(r.Examples[0]), 70)
		}
		rows = append(rows, []string{cutText(r.Name, 60), r.Severity.String(), strconv.FormatUint(r.Checked, 10), strconv.FormatUint(r.Violations, 10), example})
	}
	p.printf("\nRate-limit contract\n")
	if len(rows) == 0 {
		p.printf("no 429, no 503 and no rate-limit header seen: nothing to check\n")
		return
	}
	p.table([]string{"Rule", "Severity", "Checked", "Violations", "Example"},
		[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignLeft}, rows)
	facts := contractFacts(c)
	if len(facts) > 0 {
		p.printf("%s\n", oneLine(strings.Join(facts, "; ")))
	}
	switch {
	case errs == 0 && warns == 0:
		p.printf("The contract holds: no violation.\n")
	default:
		p.printf("%d %s, %d %s.\n", errs, plural(errs, "violation", "violations"), warns, plural(warns, "warning", "warnings"))
	}
}

// contractFacts says what the rate-limit headers looked like: the forms
// of Retry-After, the meaning of Reset and the header families seen.
func contractFacts(c *contract.Report) []string {
	var facts []string
	if len(c.Forms) > 0 {
		facts = append(facts, "Retry-After "+counts(c.Forms))
	}
	if kind, n := c.ResetKind(); n > 0 {
		facts = append(facts, fmt.Sprintf("Reset read as %s (%d)", kind, n))
	}
	if len(c.Schemes) > 0 {
		facts = append(facts, "headers "+counts(c.Schemes))
	}
	return facts
}

// evidence renders an example: what is wrong, and the headers as sent.
func evidence(ex contract.Example) string {
	s := ex.Detail
	if ex.RetryAfter != "" {
		s += fmt.Sprintf(" [Retry-After: %s]", ex.RetryAfter)
	}
	if ex.RateLimit != "" {
		s += " [" + ex.RateLimit + "]"
	}
	return s
}

// counts renders "a 3, b 1", keys sorted.
func counts(m map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// nonNil returns m, or an empty map for nil, so that JSON shows {}.
func nonNil(m map[string]uint64) map[string]uint64 {
	if m == nil {
		return map[string]uint64{}
	}
	return m
}
