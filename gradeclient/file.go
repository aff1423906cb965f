package gradeclient

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/internal/readfile"
	"github.com/stampede-dev/stampede/internal/suggest"
)

// MaxFileSize bounds a scenario file.
const MaxFileSize = 1 << 20

// MaxSteps bounds the steps of a scenario.
const MaxSteps = 100

// MaxDelay bounds a step's delay.
const MaxDelay = time.Minute

// A scenario file (YAML), every key but steps optional:
//
//	name: flaky-gateway          # default: the file's name without .yaml
//	description: two 502s, then a 429 with a date
//	rules: [backoff-grows, succeeds-once-recovered]  # default: Applicable
//	steps:                       # attempt 1, 2, … gets step 1, 2, …
//	  - status: 502              # 100–599
//	    delay: 200ms             # before the answer (at most 1m)
//	    headers: {X-Upstream: down}
//	    body: '{"error": {"message": "bad gateway"}}'
//	  - status: 429
//	    retry-after: date+2s     # "N" seconds, "date+D" an HTTP-date D ahead, other text as is
//	then: recover                # recover (200 forever) or repeat (the last step forever)

// fileKeys and stepKeys are the keys a scenario file and a step accept.
var (
	fileKeys = []string{"name", "description", "rules", "steps", "then"}
	stepKeys = []string{"status", "retry-after", "headers", "body", "delay"}
)

// LoadFile reads a scenario file. Its errors are *field.Error with the
// file, line and column of each problem, every problem at once, joined.
func LoadFile(path string) (Scenario, error) {
	data, err := readfile.Regular(path, MaxFileSize)
	if err != nil {
		return Scenario{}, &field.Error{File: path, Msg: err.Error()}
	}
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".yaml"), ".yml")
	return ParseFile(path, name, data)
}

// ParseFile reads a scenario file's bytes; file names it in errors, name
// is the scenario's name unless the file gives one.
func ParseFile(file, name string, data []byte) (Scenario, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Scenario{}, &field.Error{File: file, Msg: "not YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	d := &fileDecoder{file: file}
	if len(doc.Content) == 0 {
		return Scenario{}, &field.Error{File: file, Msg: "empty: want a mapping with steps"}
	}
	s := Scenario{Name: name}
	d.scenario(doc.Content[0], &s)
	if len(d.errs) > 0 {
		return Scenario{}, errors.Join(d.errs...)
	}
	return s, nil
}

// fileDecoder collects the problems of a file with their positions.
type fileDecoder struct {
	file string
	errs []error
}

func (d *fileDecoder) at(n *yaml.Node, path, value, format string, args ...any) {
	d.errs = append(d.errs, &field.Error{Field: path, Value: value, Msg: fmt.Sprintf(format, args...), File: d.file, Line: n.Line, Col: n.Column})
}

// mapping calls fn for each key of mapping n, rejecting unknown and
// duplicate keys.
func (d *fileDecoder) mapping(n *yaml.Node, path string, keys []string, fn func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.at(n, path, "", "want a mapping, got %s", kindOf(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case seen[k.Value]:
			d.at(k, join(path, k.Value), "", "duplicate key")
		case !slices.Contains(keys, k.Value):
			msg := "unknown key; want one of " + strings.Join(keys, ", ")
			if near := suggest.Nearest(k.Value, keys); near != "" {
				msg = fmt.Sprintf("unknown key; did you mean %q?", near)
			}
			d.at(k, join(path, k.Value), "", "%s", msg)
		default:
			seen[k.Value] = true
			fn(k.Value, v)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a scalar"
}

// scalar returns a scalar's text, or records that n is not one.
func (d *fileDecoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.at(n, path, "", "want a single value, got %s", kindOf(n))
		return "", false
	}
	return n.Value, true
}

func (d *fileDecoder) scenario(n *yaml.Node, s *Scenario) {
	hasSteps := false
	d.mapping(n, "", fileKeys, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			if t, ok := d.scalar(v, key); ok && t != "" {
				s.Name = t
			}
		case "description":
			s.Description, _ = d.scalar(v, key)
		case "rules":
			s.Rules = d.rules(v)
		case "then":
			if t, ok := d.scalar(v, key); ok {
				switch t {
				case "recover":
					s.Then = Recover
				case "repeat":
					s.Then = Repeat
				default:
					d.at(v, key, strconv.Quote(t), "want recover (200 forever) or repeat (the last step forever)")
				}
			}
		case "steps":
			hasSteps = true
			s.Steps = d.steps(v)
		}
	})
	if !hasSteps && n.Kind == yaml.MappingNode {
		d.at(n, "steps", "", "missing: want a list of steps, e.g. steps: [{status: 429, retry-after: \"2\"}]")
	}
}

func (d *fileDecoder) rules(n *yaml.Node) []RuleID {
	if n.Kind != yaml.SequenceNode {
		d.at(n, "rules", "", "want a list of rules, got %s", kindOf(n))
		return nil
	}
	var out []RuleID
	for i, c := range n.Content {
		path := fmt.Sprintf("rules[%d]", i)
		t, ok := d.scalar(c, path)
		if !ok {
			continue
		}
		if _, known := RuleOf(RuleID(t)); !known {
			msg := "unknown rule; want one of " + strings.Join(RuleIDs(), ", ")
			if near := suggest.Nearest(t, RuleIDs()); near != "" {
				msg = fmt.Sprintf("unknown rule; did you mean %q?", near)
			}
			d.at(c, path, strconv.Quote(t), "%s", msg)
			continue
		}
		out = append(out, RuleID(t))
	}
	return out
}

func (d *fileDecoder) steps(n *yaml.Node) []Step {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.at(n, "steps", "", "want a list of one or more steps")
		return nil
	}
	if len(n.Content) > MaxSteps {
		d.at(n, "steps", "", "%d steps: at most %d", len(n.Content), MaxSteps)
		return nil
	}
	out := make([]Step, 0, len(n.Content))
	for i, c := range n.Content {
		out = append(out, d.step(c, fmt.Sprintf("steps[%d]", i)))
	}
	return out
}

func (d *fileDecoder) step(n *yaml.Node, path string) Step {
	st := Step{}
	hasStatus := false
	d.mapping(n, path, stepKeys, func(key string, v *yaml.Node) {
		p := path + "." + key
		switch key {
		case "status":
			hasStatus = true
			t, ok := d.scalar(v, p)
			if !ok {
				return
			}
			code, err := strconv.Atoi(t)
			if err != nil || code < 100 || code > 599 {
				d.at(v, p, strconv.Quote(t), "want an HTTP status from 100 to 599")
				return
			}
			st.Status = code
		case "retry-after":
			if t, ok := d.scalar(v, p); ok {
				st.RetryAfter = ParseRetryAfterSpec(t)
				if strings.HasPrefix(t, "date+") && st.RetryAfter.Form != RetryAfterDate {
					d.at(v, p, strconv.Quote(t), "want date+ and a Go duration, e.g. date+2s")
				}
			}
		case "body":
			st.Body, _ = d.scalar(v, p)
		case "delay":
			if t, ok := d.scalar(v, p); ok {
				dl, err := time.ParseDuration(t)
				if err != nil || dl < 0 || dl > MaxDelay {
					d.at(v, p, strconv.Quote(t), "want a duration from 0 to %s, e.g. 200ms", MaxDelay)
					return
				}
				st.Delay = dl
			}
		case "headers":
			st.Header = d.headers(v, p)
		}
	})
	if !hasStatus && n.Kind == yaml.MappingNode {
		d.at(n, path+".status", "", "missing: every step needs a status, e.g. status: 503")
	}
	return st
}

func (d *fileDecoder) headers(n *yaml.Node, path string) http.Header {
	if n.Kind != yaml.MappingNode {
		d.at(n, path, "", "want a mapping of header names to values, got %s", kindOf(n))
		return nil
	}
	h := http.Header{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := path + "." + k.Value
		t, ok := d.scalar(v, p)
		if !ok {
			continue
		}
		name := http.CanonicalHeaderKey(k.Value)
		switch {
		case strings.ContainsAny(k.Value, " :\r\n") || k.Value == "":
			d.at(k, p, "", "not a header name")
		case name == "Retry-After":
			d.at(k, p, "", "give Retry-After with the step's retry-after key")
		case strings.ContainsAny(t, "\r\n"):
			d.at(v, p, "", "a header value has no line breaks")
		default:
			h.Add(name, t)
		}
	}
	return h
}
