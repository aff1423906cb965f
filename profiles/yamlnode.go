package profiles

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/internal/suggest"
)

// decoder walks a profile's YAML nodes, collecting every problem with its
// position.
type decoder struct {
	file    string
	errs    []error
	dropped int // problems beyond MaxProblems, counted, not kept
}

// problems counts the problems found so far, those dropped included.
func (d *decoder) problems() int { return len(d.errs) + d.dropped }

// at records a problem of the value at n, named by path (the key path
// "phases[1].load.rate"), showing value ("" for none).
func (d *decoder) at(n *yaml.Node, path, value, format string, args ...any) {
	d.atPos(n.Line, n.Column, path, value, format, args...)
}

func (d *decoder) atPos(line, col int, path, value, format string, args ...any) {
	if len(d.errs) >= MaxProblems {
		d.dropped++
		return
	}
	d.errs = append(d.errs, &field.Error{Field: clip(path), Value: clip(value), Msg: clip(fmt.Sprintf(format, args...)), File: d.file, Line: line, Col: col})
}

// MaxProblems bounds the problems reported of one profile: a file of
// aliases to one mistake would otherwise repeat it without end.
const MaxProblems = 100

// maxShown bounds a value, path or message shown in a problem.
const maxShown = 300

// clip shortens a text shown in a problem, at a UTF-8 boundary.
func clip(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sorted returns the errors in the order of their positions in the file.
func (d *decoder) sorted() []error {
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := field.As(d.errs[i]), field.As(d.errs[j])
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if d.dropped > 0 {
		last := field.As(d.errs[len(d.errs)-1])
		d.errs = append(d.errs, &field.Error{Msg: fmt.Sprintf("and %d more problems", d.dropped), File: d.file, Line: last.Line, Col: last.Col})
	}
	return d.errs
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or a YAML null.
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// kindName names what a node is, for "want X, got Y" messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "true/false"
		case "!!null":
			return "nothing"
		}
		return "a string"
	}
	return "something else"
}

// shown quotes a scalar's text for a message, and names the kind of any
// other node.
func shown(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return strconv.Quote(n.Value)
	}
	return ""
}

// keysOf lists the keys a raw struct accepts, from its yaml tags, and the
// reserved ones (",reserved").
func keysOf(t reflect.Type) (keys, reserved []string) {
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("yaml")
		name, opt, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		if opt == "reserved" {
			reserved = append(reserved, name)
		} else {
			keys = append(keys, name)
		}
	}
	return keys, reserved
}

// fields reads mapping m into the struct into points to: each field tagged
// yaml:"key" receives the value node of key (a *yaml.Node field) or its
// text (a string field). Unknown keys (with the nearest known one),
// reserved keys, duplicates and values of the wrong kind are problems.
// where names the mapping in messages ("" at the top). It returns the
// value nodes by key, and false if m is no mapping.
func (d *decoder) fields(m *yaml.Node, path, where string, into any) (map[string]*yaml.Node, bool) {
	m = resolve(m)
	if m.Kind != yaml.MappingNode {
		d.at(m, path, shown(m), "want a mapping, got %s", kindName(m))
		return nil, false
	}
	v := reflect.ValueOf(into).Elem()
	keys, reserved := keysOf(v.Type())
	byKey := map[string]int{}
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		byKey[name] = i
	}
	in := " in " + where
	if where == "" {
		in = ""
	}
	seen := map[string]*yaml.Node{}
	nodes := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := resolve(m.Content[i]), resolve(m.Content[i+1])
		key := k.Value
		if first, dup := seen[key]; dup {
			d.at(k, "", "", "duplicate key %q%s (first at line %d)", key, in, first.Line)
			continue
		}
		seen[key] = k
		if slices.Contains(reserved, key) {
			d.at(k, "", "", "%q%s is reserved for a later version", key, in)
			continue
		}
		idx, ok := byKey[key]
		if !ok {
			if near := suggest.Nearest(key, keys); near != "" {
				d.at(k, "", "", "unknown field %q%s; did you mean %q?", key, in, near)
			} else {
				d.at(k, "", "", "unknown field %q%s (want one of %s)", key, in, strings.Join(keys, ", "))
			}
			continue
		}
		if isNull(val) {
			continue // key: with no value is as if absent
		}
		nodes[key] = val
		f := v.Field(idx)
		switch f.Interface().(type) {
		case *yaml.Node:
			f.Set(reflect.ValueOf(val))
		case string:
			if s, ok := d.str(val, join(path, key)); ok {
				f.SetString(s)
			}
		}
	}
	return nodes, true
}

// pairs calls fn for each key and value of mapping m, reporting duplicate
// keys (compared by fold when fold is set).
func (d *decoder) pairs(m *yaml.Node, path string, fold bool, fn func(k, v *yaml.Node)) {
	m = resolve(m)
	if m.Kind != yaml.MappingNode {
		d.at(m, path, shown(m), "want a mapping, got %s", kindName(m))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		id := k.Value
		if fold {
			id = strings.ToLower(id)
		}
		if first, dup := seen[id]; dup {
			d.at(k, "", "", "duplicate key %q in %s (first at line %d)", k.Value, path, first.Line)
			continue
		}
		seen[id] = k
		fn(k, v)
	}
}

// items returns the elements of list n.
func (d *decoder) items(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		d.at(n, path, shown(n), "want a list, got %s", kindName(n))
		return nil, false
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out, true
}

// str returns a scalar's text: strings and numbers are text.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!bool" || n.Tag == "!!null" {
		d.at(n, path, shown(n), "want a string, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

// integer returns an integer scalar's value.
func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.Atoi(strings.ReplaceAll(n.Value, "_", "")); err == nil {
			return v, true
		}
	}
	d.at(n, path, shown(n), "want an integer, got %s", kindName(n))
	return 0, false
}

// boolean returns a true/false scalar's value.
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return strings.EqualFold(n.Value, "true"), true
	}
	d.at(n, path, shown(n), "want true or false, got %s", kindName(n))
	return false, false
}

// duration returns a Go duration scalar's value: above 0, or at least 0
// when zeroOK.
func (d *decoder) duration(n *yaml.Node, path string, zeroOK bool) (time.Duration, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		d.at(n, path, strconv.Quote(s), "want a duration such as 30s, 1m30s or 500ms")
	case v < 0 || v == 0 && !zeroOK:
		want := "above 0"
		if zeroOK {
			want = "0 or more"
		}
		d.at(n, path, strconv.Quote(s), "want a duration %s", want)
	default:
		return v, true
	}
	return 0, false
}

// textPos returns the line and column of the byte at offset off of a
// scalar's value: exact for plain and quoted scalars on one line (a quote
// adds a column; escapes before the offset are not counted), the scalar's
// own position otherwise.
func textPos(n *yaml.Node, off int) (int, int) {
	if off < 0 || off > len(n.Value) || strings.Contains(n.Value[:off], "\n") || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line, n.Column
	}
	col := n.Column + utf8.RuneCountInString(n.Value[:off])
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	return n.Line, col
}

// join makes a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index makes the path of a list element.
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
