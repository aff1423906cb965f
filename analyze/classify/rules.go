package classify

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/stampede-dev/stampede/records"
)

// Rule is a user's classification rule. Its selectors (Path, Status, Code,
// Message) say which responses it applies to; a selector left empty
// matches everything. It either extracts (Dialect, CodePath or CodeRegexp:
// how to find the error code) or overrides (Category, Retryable: what the
// class means), or both.
//
// Extraction: the first rule whose Path and Status match and that has an
// extractor decides the dialect and where the code comes from. A CodePath
// or CodeRegexp that finds nothing leaves the dialect's own code.
// Overrides: every matching rule with an override applies, in order, so a
// later rule wins. Code and Message select on what extraction found, so
// they may only appear in override rules.
type Rule struct {
	Path       string         // URL path prefix, "" for any
	Status     StatusMatch    // status or status class, zero for any
	Code       string         // error code (exact), "" for any; overrides only
	Message    *regexp.Regexp // matches the message, nil for any; overrides only
	Dialect    Dialect        // pinned dialect; Auto to detect
	CodePath   JSONPath       // where the code is in a JSON body
	CodeRegexp *regexp.Regexp // matches the code in the body; its first group if it has one
	Category   *records.Category
	Retryable  *bool
}

// StatusMatch matches an HTTP status exactly (429) or by class (4xx, when
// Class is set). The zero value matches every status.
type StatusMatch struct {
	Code  uint16 // exact status; with Class, the class's first digit × 100
	Class bool   // match the whole hundred: 400–499 for Code 400
}

// Matches reports whether status matches.
func (m StatusMatch) Matches(status uint16) bool {
	switch {
	case m.Code == 0:
		return true
	case m.Class:
		return status/100 == m.Code/100
	}
	return status == m.Code
}

// String renders the match as it is written: "429", "4xx" or "".
func (m StatusMatch) String() string {
	switch {
	case m.Code == 0:
		return ""
	case m.Class:
		return strconv.Itoa(int(m.Code/100)) + "xx"
	}
	return strconv.Itoa(int(m.Code))
}

// extracts reports whether the rule says how to find the code.
func (r *Rule) extracts() bool {
	return r.Dialect != Auto || len(r.CodePath) > 0 || r.CodeRegexp != nil
}

// overrides reports whether the rule changes what a class means.
func (r *Rule) overrides() bool { return r.Category != nil || r.Retryable != nil }

// matchesRequest reports whether the rule's Path and Status select a
// response.
func (r *Rule) matchesRequest(status uint16, path string) bool {
	return r.Status.Matches(status) && strings.HasPrefix(path, r.Path)
}

// Validate reports every problem of the rule at once.
func (r *Rule) Validate() []error {
	var errs []error
	if !r.extracts() && !r.overrides() {
		errs = append(errs, errors.New("the rule does nothing: give dialect=, code-path= or code-regex= to find the code, or category= or retryable= to override"))
	}
	if len(r.CodePath) > 0 && r.CodeRegexp != nil {
		errs = append(errs, errors.New("code-path= and code-regex= both say where the code is: give one"))
	}
	if r.extracts() && (r.Code != "" || r.Message != nil) {
		errs = append(errs, errors.New("code= and message= select on what extraction finds, so they cannot be used in a rule that extracts (dialect=, code-path=, code-regex=): write two rules"))
	}
	if r.CodeRegexp != nil && r.CodeRegexp.NumSubexp() > 1 {
		errs = append(errs, fmt.Errorf("code-regex=%s has %d groups: give at most one, around the code", r.CodeRegexp, r.CodeRegexp.NumSubexp()))
	}
	return errs
}

// ParseRule parses a rule written on the command line (and, later, in
// profiles) as comma-separated key=value pairs:
//
//	rule  = pair *( "," pair )
//	pair  = key "=" value      ; "\," in a value is a literal comma
//	key   = "path" | "status" | "code" | "message"          ; selectors
//	      | "dialect" | "code-path" | "code-regex"          ; extraction
//	      | "category" | "retryable"                        ; overrides
//
// path is a URL path prefix (/v1/); status is a status (429) or class
// (4xx); code is an exact error code; message and code-regex are Go
// regular expressions (RE2); dialect is a Dialect name; code-path a
// JSONPath; category a category name; retryable true or false. Examples:
//
//	status=429,code=insufficient_quota,category=payment,retryable=false
//	path=/graphql,status=200,code-path=$.errors[0].extensions.code
//	code-regex=ERR-([0-9]+)
//	path=/legacy/,dialect=text
func ParseRule(s string) (Rule, error) {
	var r Rule
	if strings.TrimSpace(s) == "" {
		return r, errors.New("empty rule: want key=value pairs such as status=429,category=payment")
	}
	seen := map[string]bool{}
	for _, pair := range splitEscaped(s) {
		key, value, ok := strings.Cut(pair, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return r, fmt.Errorf("%q is not key=value", pair)
		}
		if seen[key] {
			return r, fmt.Errorf("%s= is given twice", key)
		}
		seen[key] = true
		if err := r.set(key, value); err != nil {
			return r, fmt.Errorf("%s=%s: %w", key, value, err)
		}
	}
	if errs := r.Validate(); len(errs) > 0 {
		return r, errors.Join(errs...)
	}
	return r, nil
}

// ruleKeys lists the keys of ParseRule, for error messages.
const ruleKeys = "path, status, code, message, dialect, code-path, code-regex, category, retryable"

func (r *Rule) set(key, value string) error {
	var err error
	switch key {
	case "path":
		if !strings.HasPrefix(value, "/") {
			return errors.New("want a URL path prefix starting with /")
		}
		r.Path = value
	case "status":
		r.Status, err = parseStatusMatch(value)
	case "code":
		if value == "" {
			return errors.New("want an error code")
		}
		r.Code = value
	case "message":
		r.Message, err = compileRegexp(value)
	case "dialect":
		r.Dialect, err = ParseDialect(value)
		if err == nil && r.Dialect == Auto {
			err = errors.New("auto is the default: pin a dialect, or leave dialect= out")
		}
	case "code-path":
		r.CodePath, err = ParseJSONPath(value)
	case "code-regex":
		r.CodeRegexp, err = compileRegexp(value)
	case "category":
		var c records.Category
		if c, err = records.ParseCategory(value); err == nil {
			r.Category = &c
		}
	case "retryable":
		var b bool
		if b, err = strconv.ParseBool(value); err != nil {
			return errors.New("want true or false")
		}
		r.Retryable = &b
	default:
		return fmt.Errorf("unknown key (want one of %s)", ruleKeys)
	}
	return err
}

func compileRegexp(s string) (*regexp.Regexp, error) {
	if s == "" {
		return nil, errors.New("want a regular expression")
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("not a regular expression: %w", err)
	}
	return re, nil
}

// parseStatusMatch parses "429" or "4xx" (also "4XX").
func parseStatusMatch(s string) (StatusMatch, error) {
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' && strings.EqualFold(s[1:], "xx") {
		return StatusMatch{Code: uint16(s[0]-'0') * 100, Class: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return StatusMatch{}, errors.New("want a status from 100 to 599, or a class such as 4xx")
	}
	return StatusMatch{Code: uint16(n)}, nil
}

// splitEscaped splits s at commas not preceded by a backslash and turns
// "\," into ",".
func splitEscaped(s string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ',':
			b.WriteByte(',')
			i++
		case s[i] == ',':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	return append(parts, b.String())
}

// JSONPath is a path into a JSON document, as the keys of each step:
// array indexes are decimal strings.
type JSONPath []string

// ParseJSONPath parses the subset of JSONPath that names one value:
//
//	path    = [ "$" ] [ step ] *( "." name / "[" index "]" / "[" quoted "]" )
//	step    = name                      ; the first step may omit the dot
//	name    = 1*( any character but . [ ] )
//	index   = 1*DIGIT
//	quoted  = "'" *( any but ' ) "'" / DQUOTE *( any but DQUOTE ) DQUOTE
//
// "$.error.code", "error.code", "$.errors[0].extensions.code" and
// "$['error-info'].code" are valid; wildcards, filters and slices are not.
func ParseJSONPath(s string) (JSONPath, error) {
	rest := strings.TrimPrefix(s, "$")
	var p JSONPath
	first := true
	for rest != "" {
		switch {
		case rest[0] == '.':
			rest = rest[1:]
			fallthrough
		case first && rest[0] != '[':
			n := strings.IndexAny(rest, ".[]")
			if n < 0 {
				n = len(rest)
			}
			if n == 0 {
				return nil, fmt.Errorf("JSON path %q: empty name at %q (want $.a.b[0].c)", s, rest)
			}
			p, rest = append(p, rest[:n]), rest[n:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if q := rest[1:min(2, len(rest))]; q == "'" || q == `"` {
				close := strings.Index(rest[2:], q+"]")
				if close < 0 {
					return nil, fmt.Errorf("JSON path %q: unclosed [%s (want ['name'])", s, q)
				}
				if close == 0 {
					return nil, fmt.Errorf("JSON path %q: empty name [%s%s] (want ['name'])", s, q, q)
				}
				p, rest = append(p, rest[2:2+close]), rest[2+close+2:]
				break
			}
			if end < 0 {
				return nil, fmt.Errorf("JSON path %q: unclosed [ (want [0])", s)
			}
			idx := rest[1:end]
			if _, err := strconv.ParseUint(idx, 10, 31); err != nil {
				return nil, fmt.Errorf("JSON path %q: [%s] is not an array index (want [0], or ['name'] for a key)", s, idx)
			}
			p, rest = append(p, strconv.Itoa(atoi(idx))), rest[end+1:]
		default:
			return nil, fmt.Errorf("JSON path %q: unexpected %q (want $.a.b[0].c)", s, rest)
		}
		first = false
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("JSON path %q names no value (want e.g. $.error.code)", s)
	}
	return p, nil
}

// atoi parses a string ParseJSONPath has checked.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// String renders the path in JSONPath form: $.errors[0].code.
func (p JSONPath) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, k := range p {
		if n, err := strconv.ParseUint(k, 10, 31); err == nil && strconv.FormatUint(n, 10) == k {
			b.WriteString("[" + k + "]") // an index as ParseJSONPath writes it; "007" prints as a key
		} else if strings.ContainsAny(k, ".[]") || isDigits(k) {
			q := "'"
			if strings.Contains(k, "']") {
				q = `"`
			}
			b.WriteString("[" + q + k + q + "]")
		} else {
			b.WriteString("." + k)
		}
	}
	return b.String()
}

// isDigits reports whether s is all ASCII digits (and not empty).
func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
