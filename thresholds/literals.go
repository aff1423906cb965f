package thresholds

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// rewritten is an expression with its unit literals turned into what the
// expression library reads, and the way back to the columns of the text
// the user wrote.
type rewritten struct {
	text string
	// orig maps a rune index of text to the rune index of the original
	// it came from.
	orig []int
	// badUnit is a number followed by a word that is no unit ("1sec",
	// "2d"), and where it starts; "" if none.
	badUnit string
	badAt   int
}

// column returns the 1-based column in the original of rune index i of
// the rewritten text (clamped to the text).
func (r rewritten) column(i int) int {
	if len(r.orig) == 0 {
		return 1
	}
	i = min(max(i, 0), len(r.orig)-1)
	return r.orig[i] + 1
}

// rewriteLiterals rewrites the literals the expression library has no
// syntax for: durations with a unit ("300ms", "1.5s", "1m30s") become
// lit_duration("300ms"), and percentages ("1%", "0.5 %") become fractions
// (0.01, 0.005). A '%' between two operands stays the remainder operator.
// String literals are left alone.
func rewriteLiterals(src string) rewritten {
	var out strings.Builder
	var orig []int
	badUnit, badAt := "", 0
	runes := []rune(src)
	emit := func(s string, from int) {
		for range utf8.RuneCountInString(s) {
			orig = append(orig, from)
		}
		out.WriteString(s)
	}
	for i := 0; i < len(runes); {
		c := runes[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := skipString(runes, i)
			for k := i; k < j; k++ {
				emit(string(runes[k]), k)
			}
			i = j
		case isDigit(c) && (i == 0 || !isIdentRune(runes[i-1]) && runes[i-1] != '.'):
			j := i
			for j < len(runes) && (isDigit(runes[j]) || runes[j] == '.' || runes[j] == '_') {
				j++
			}
			number := string(runes[i:j])
			if end, ok := durationEnd(runes, i); ok {
				emit(`lit_duration("`+string(runes[i:end])+`")`, i)
				i = end
				continue
			}
			if j < len(runes) && isLetter(runes[j]) && badUnit == "" && !strings.ContainsAny(number, "_") {
				k := j
				for k < len(runes) && isIdentRune(runes[k]) {
					k++
				}
				if w := string(runes[j:k]); !strings.EqualFold(w, "e") && !(len(w) > 1 && (w[0] == 'e' || w[0] == 'E') && isDigit(rune(w[1]))) {
					badUnit, badAt = string(runes[i:k]), i
				}
			}
			if k := skipSpaces(runes, j); k < len(runes) && runes[k] == '%' && !operandFollows(runes, k+1) {
				if v, err := strconv.ParseFloat(strings.ReplaceAll(number, "_", ""), 64); err == nil {
					emit("("+strconv.FormatFloat(v/100, 'g', -1, 64)+")", i)
					i = k + 1
					continue
				}
			}
			for k := i; k < j; k++ {
				emit(string(runes[k]), k)
			}
			i = j
		default:
			emit(string(c), i)
			i++
		}
	}
	return rewritten{text: out.String(), orig: orig, badUnit: badUnit, badAt: badAt}
}

// durationEnd returns the end of a duration literal starting at i, such
// as "300ms" or "1m30s", if one starts there.
func durationEnd(runes []rune, i int) (int, bool) {
	j := i
	units := 0
	for j < len(runes) && isDigit(runes[j]) {
		k := j
		for k < len(runes) && (isDigit(runes[k]) || runes[k] == '.') {
			k++
		}
		u := k
		for u < len(runes) && isLetter(runes[u]) {
			u++
		}
		if u == k || !isUnit(string(runes[k:u])) {
			break
		}
		units++
		j = u
	}
	if units == 0 || j < len(runes) && (isIdentRune(runes[j]) || runes[j] == '.') {
		return i, false
	}
	if _, err := time.ParseDuration(string(runes[i:j])); err != nil {
		return i, false
	}
	return j, true
}

func isUnit(s string) bool {
	switch s {
	case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		return true
	}
	return false
}

// operandFollows reports whether an operand starts at or after i (after
// spaces): then a '%' before it is the remainder operator.
func operandFollows(runes []rune, i int) bool {
	i = skipSpaces(runes, i)
	if i >= len(runes) {
		return false
	}
	c := runes[i]
	return isIdentRune(c) || c == '(' || c == '"' || c == '\'' || c == '`' || c == '['
}

func skipSpaces(runes []rune, i int) int {
	for i < len(runes) && (runes[i] == ' ' || runes[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string literal starting at i.
func skipString(runes []rune, i int) int {
	quote := runes[i]
	for j := i + 1; j < len(runes); j++ {
		if runes[j] == '\\' && quote != '`' {
			j++
			continue
		}
		if runes[j] == quote {
			return j + 1
		}
	}
	return len(runes)
}

func isDigit(c rune) bool { return c >= '0' && c <= '9' }
func isLetter(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == 'µ' || c == 'μ'
}
func isIdentRune(c rune) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '$' || c == '#'
}
