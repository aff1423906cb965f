// Package thresholds judges a run against conditions written as
// expressions over its metrics ("latency.p99 < 300ms",
// `rate(category == "server_error") < 1%`), evaluated with
// github.com/expr-lang/expr. docs/thresholds.md is the language's
// reference.
package thresholds

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/internal/suggest"
)

// Threshold is a compiled threshold.
type Threshold struct {
	Name  string // for people; the expression when not given
	Expr  string // as written
	Abort bool   // may stop a run early once it fails (--abort-on-fail)

	cond compiled // the condition
	// For a comparison at the top (a < b), its operator and two sides, to
	// show what was measured and what it was held to.
	op          string
	left, right *compiled
	leftText    string
	ratio       bool // the left side is a fraction: show it as a percentage
	leftCount   bool // the measured side only grows during a run (a count, requests)
}

// compiled is a program and the predicates its count(), rate() and
// class() calls refer to.
type compiled struct {
	prog     *vm.Program
	preds    []*vm.Program
	baseline bool     // it reads the baseline
	requests []string // the request names it names
}

// Error is a threshold that does not compile: the column (1-based, in
// runes of the expression as written) and what was expected there.
type Error struct {
	Col int
	Msg string
}

// Error renders "column 12: unknown name latncy; did you mean latency?".
func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

// Message is what is wrong, without the column: for a reader that shows
// the position itself (a profile's FILE:LINE:COL).
func (e *Error) Message() string { return e.Msg }

// Column is where the problem is, 1-based: a profile's loader adds it to
// the expression's own position.
func (e *Error) Column() int { return e.Col }

// methods maps the names expressions call to the Go methods of Scope and
// RateLimit. count, rate and class take a predicate, compiled apart.
var methods = map[string]string{"count": "CountOf", "rate": "RateOf", "class": "ClassOf", "request": "Request", "rule": "Rule"}

// predicated are the functions whose argument is a predicate over groups.
var predicated = map[string]bool{"count": true, "rate": true, "class": true}

// Compile compiles a threshold: an expression that must be true of the
// run. Its errors are *Error. name may be empty.
func Compile(name, src string, abort bool) (*Threshold, error) {
	t := &Threshold{Name: name, Expr: src, Abort: abort}
	if t.Name == "" {
		t.Name = src
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Col: 1, Msg: "empty expression; want a condition such as latency.p99 < 300ms"}
	}
	if len(src) > MaxExprLen {
		return nil, &Error{Col: 1, Msg: fmt.Sprintf("an expression of %d bytes: at most %d", len(src), MaxExprLen)}
	}
	rw := rewriteLiterals(src)
	if bad := checkShape(rw); bad != nil {
		return nil, bad
	}
	if rw.badUnit != "" {
		return nil, &Error{Col: rw.badAt + 1, Msg: fmt.Sprintf("%q: not a number with a unit; durations take ns, us, µs, ms, s, m or h (300ms, 1.5s, 1m30s), percentages %% (1%%)", rw.badUnit)}
	}
	cond, err := compileText(rw, expr.AsBool())
	if err != nil {
		return nil, err
	}
	t.cond = *cond
	t.compileSides(rw)
	return t, nil
}

// compileText compiles rewritten text; its errors are *Error at the
// columns of the original.
func compileText(rw rewritten, extra ...expr.Option) (*compiled, error) {
	p := &patcher{src: rw}
	prog, err := expr.Compile(rw.text, options(p, extra...)...)
	if p.err != nil {
		return nil, p.err
	}
	if err != nil {
		return nil, compileError(rw, err)
	}
	return &compiled{prog: prog, preds: p.preds, baseline: p.baseline, requests: p.requests}, nil
}

// Requests are the request names the threshold names (request("x"),
// request == "x"), for checking them against a profile's requests.
func (t *Threshold) Requests() []string { return slices.Clone(t.cond.requests) }

// UsesBaseline reports whether the threshold reads the baseline run.
func (t *Threshold) UsesBaseline() bool { return t.cond.baseline }

// options are the expression library's options for a threshold.
func options(p *patcher, extra ...expr.Option) []expr.Option {
	opts := []expr.Option{
		expr.Env(&Scope{}),
		expr.Patch(p),
		expr.DisableBuiltin("count"),
		expr.Function("lit_duration", func(a ...any) (any, error) {
			return time.ParseDuration(a[0].(string))
		}, new(func(string) time.Duration)),
		expr.Function("mulDurationFloat", func(a ...any) (any, error) {
			return time.Duration(float64(a[0].(time.Duration)) * a[1].(float64)), nil
		}, new(func(time.Duration, float64) time.Duration)),
		expr.Function("mulFloatDuration", func(a ...any) (any, error) {
			return time.Duration(a[0].(float64) * float64(a[1].(time.Duration))), nil
		}, new(func(float64, time.Duration) time.Duration)),
		expr.Function("mulDurationInt", func(a ...any) (any, error) {
			return a[0].(time.Duration) * time.Duration(a[1].(int)), nil
		}, new(func(time.Duration, int) time.Duration)),
		expr.Function("mulIntDuration", func(a ...any) (any, error) {
			return time.Duration(a[0].(int)) * a[1].(time.Duration), nil
		}, new(func(int, time.Duration) time.Duration)),
		expr.Function("divDurationFloat", func(a ...any) (any, error) {
			return time.Duration(float64(a[0].(time.Duration)) / a[1].(float64)), nil
		}, new(func(time.Duration, float64) time.Duration)),
		expr.Function("divDurationInt", func(a ...any) (any, error) {
			if a[1].(int) == 0 {
				return nil, errors.New("division by zero")
			}
			return a[0].(time.Duration) / time.Duration(a[1].(int)), nil
		}, new(func(time.Duration, int) time.Duration)),
		expr.Function("addDurations", func(a ...any) (any, error) {
			return a[0].(time.Duration) + a[1].(time.Duration), nil
		}, new(func(time.Duration, time.Duration) time.Duration)),
		expr.Function("subDurations", func(a ...any) (any, error) {
			return a[0].(time.Duration) - a[1].(time.Duration), nil
		}, new(func(time.Duration, time.Duration) time.Duration)),
		expr.Operator("*", "mulDurationFloat", "mulFloatDuration", "mulDurationInt", "mulIntDuration"),
		expr.Operator("/", "divDurationFloat", "divDurationInt"),
		expr.Operator("+", "addDurations"),
		expr.Operator("-", "subDurations"),
	}
	return append(opts, extra...)
}

// compileSides compiles the two sides of a comparison at the top of the
// expression, to show their values.
func (t *Threshold) compileSides(rw rewritten) {
	tree, err := parser.Parse(rw.text)
	if err != nil {
		return
	}
	top, ok := tree.Node.(*ast.BinaryNode)
	if !ok || !slices.Contains([]string{"<", "<=", ">", ">=", "==", "!="}, top.Operator) {
		return
	}
	lnode, rnode, op := top.Left, top.Right, top.Operator
	if isConstant(lnode) && !isConstant(rnode) { // 300ms > latency.p99: measure the metric
		lnode, rnode, op = rnode, lnode, mirrored[op]
	}
	leftText, rightText := lnode.String(), rnode.String()
	left, err := compileText(rewritten{text: leftText})
	if err != nil {
		return
	}
	right, err := compileText(rewritten{text: rightText})
	if err != nil {
		return
	}
	t.op, t.left, t.right = op, left, right
	t.leftText = durationCalls.ReplaceAllString(leftText, "$1")
	t.ratio = isRatio(t.leftText)
	t.leftCount = isGrowing(lnode)
}

// mirrored is the operator with its sides swapped: a < b is b > a.
var mirrored = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}

// isConstant reports whether a side is a literal: a number, a string, a
// duration or a percentage.
func isConstant(n ast.Node) bool {
	switch c := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode:
		return true
	case *ast.CallNode:
		id, ok := c.Callee.(*ast.IdentifierNode)
		return ok && id.Value == "lit_duration"
	case *ast.UnaryNode:
		return isConstant(c.Node)
	}
	return false
}

// isGrowing reports whether a side only grows as a run goes on: a count
// of responses (count(…), request("x").count(…)), requests, successes.
func isGrowing(n ast.Node) bool {
	switch c := n.(type) {
	case *ast.IdentifierNode:
		return c.Value == "requests" || c.Value == "successes"
	case *ast.MemberNode:
		p, ok := c.Property.(*ast.StringNode)
		return ok && (p.Value == "requests" || p.Value == "successes")
	}
	return isCount(n)
}

// isCount reports whether a side is a call of count() on the run or a
// request (request("x").count(…)): a number that only grows as a run goes
// on.
func isCount(n ast.Node) bool {
	switch c := n.(type) {
	case *ast.BuiltinNode:
		return c.Name == "count"
	case *ast.CallNode:
		if id, ok := c.Callee.(*ast.IdentifierNode); ok {
			return id.Value == "count"
		}
		if m, ok := c.Callee.(*ast.MemberNode); ok {
			p, ok := m.Property.(*ast.StringNode)
			return ok && p.Value == "count"
		}
	}
	return false
}

// durationCalls are the duration literals as rewritten, to show them as
// written.
var durationCalls = regexp.MustCompile(`lit_duration\("([^"]*)"\)`)

// isRatio reports whether a side's text reads a fraction.
func isRatio(text string) bool {
	return strings.HasPrefix(text, "rate(") || strings.HasSuffix(text, "success_ratio") || strings.Contains(text, ".rate(")
}

// compileError turns the library's error into an *Error at the column of
// the text the user wrote, with what was expected.
func compileError(rw rewritten, err error) *Error {
	var fe *file.Error
	col := 1
	msg := err.Error()
	if errors.As(err, &fe) {
		col = rw.column(fe.Column)
		msg = fe.Message
	}
	return &Error{Col: col, Msg: explain(msg)}
}

// explain rewords the library's messages in the terms of thresholds.
func explain(msg string) string {
	msg = goNames.Replace(msg)
	switch {
	case strings.Contains(msg, "mismatched types time.Duration and"), strings.Contains(msg, "and time.Duration)"):
		return "a latency or duration is compared with a plain number: give the number a unit, e.g. 300ms or 1.5s (" + msg + ")"
	case strings.HasPrefix(msg, "unknown name "):
		name := strings.TrimPrefix(msg, "unknown name ")
		if s := suggest.Nearest(name, metricNames()); s != "" {
			return fmt.Sprintf("unknown metric %q; did you mean %q?", name, s)
		}
		return fmt.Sprintf("unknown metric %q; metrics are %s", name, strings.Join(metricNames(), ", "))
	case strings.HasPrefix(msg, "expected bool, but got "):
		return "not a condition: it gives a value (" + strings.TrimPrefix(msg, "expected bool, but got ") + "); compare it, e.g. latency.p99 < 300ms"
	case msg == "unexpected token EOF":
		return "the expression ends too early; want a value after the operator, e.g. latency.p99 < 300ms"
	case strings.HasPrefix(msg, `unexpected token Operator("=")`):
		return "= is not a comparison: write == (or !=, <, <=, >, >=)"
	}
	if m := noField.FindStringSubmatch(msg); m != nil {
		if fields := fieldsOf[m[1]]; fields != "" {
			return fmt.Sprintf("%s has no %q: want one of %s", displayNames[m[1]], m[2], fields)
		}
	}
	return msg
}

// goNames turns the Go names of Scope's methods, which the library's
// messages show, back into the names expressions use.
var goNames = strings.NewReplacer("CountOf", "count", "RateOf", "rate", "ClassOf", "class", "Request", "request", "Rule", "rule", "thresholds.", "", "analyze.", "")

// noField is the library's message for a field that a struct has not.
var noField = regexp.MustCompile(`^type (\w+) has no field (\w+)`)

// displayNames name the types expressions reach into as expressions do.
var displayNames = map[string]string{"Quantiles": "a latency", "RateLimit": "rate_limit", "Probe": "probe", "Scope": "the run"}

// fieldsOf lists the fields of the types expressions reach into.
var fieldsOf = map[string]string{
	"Quantiles": tagsOf(reflect.TypeFor[analyze.Quantiles]()),
	"RateLimit": tagsOf(reflect.TypeFor[RateLimit]()) + ", rule(id)",
	"Probe":     tagsOf(reflect.TypeFor[Probe]()),
	"Scope":     strings.Join(metricNames(), ", "),
}

// tagsOf lists the expr tags of a struct's fields.
func tagsOf(t reflect.Type) string {
	var out []string
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("expr"); tag != "" {
			out = append(out, tag)
		}
	}
	return strings.Join(out, ", ")
}

// metricNames lists the names a threshold may start with.
func metricNames() []string {
	var out []string
	t := reflect.TypeFor[Scope]()
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("expr"); tag != "" {
			out = append(out, tag)
		}
	}
	out = append(out, "count", "rate", "class", "request")
	slices.Sort(out)
	return out
}
