package thresholds

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Bounds on a threshold's text: a condition on a run is short, and the
// expression library's parser recurses on nesting.
const (
	MaxExprLen   = 4096 // bytes of one expression
	MaxExprDepth = 64   // nesting of parentheses and brackets
)

// allowedCalls are the functions a threshold may call: the run's own
// (count, rate, class, request, rule) and those the rewriting of literals
// and duration arithmetic bring. Everything else of the library (loops
// over ranges, repeat, now, date, …) is refused: a threshold must cost
// little and mean the same tomorrow.
var allowedCalls = map[string]bool{
	"count": true, "rate": true, "class": true, "request": true, "rule": true,
	"lit_duration": true, "abs": true, "min": true, "max": true,
}

// checkShape refuses what a threshold has no use for and what could make
// it costly: overlong or deeply nested text, variables, closures,
// ranges, maps, and every function but allowedCalls. src is the
// rewritten text; at maps its positions back.
func checkShape(rw rewritten) *Error {
	depth := 0
	for i, c := range []rune(rw.text) {
		switch c {
		case '(', '[', '{':
			if depth++; depth > MaxExprDepth {
				return &Error{Col: rw.column(i), Msg: fmt.Sprintf("nested more than %d deep", MaxExprDepth)}
			}
		case ')', ']', '}':
			depth--
		}
	}
	tree, err := parser.Parse(rw.text)
	if err != nil {
		return nil // the compiler reports it, in its words
	}
	var bad *Error
	ast.Walk(&tree.Node, visitor(func(n *ast.Node) {
		if bad != nil {
			return
		}
		if msg := refused(*n); msg != "" {
			bad = &Error{Col: rw.column((*n).Location().From), Msg: msg}
		}
	}))
	return bad
}

// refused says why a node has no place in a threshold, "" if it has.
func refused(n ast.Node) string {
	const why = "; a threshold compares metrics: see docs/thresholds.md"
	switch n := n.(type) {
	case *ast.VariableDeclaratorNode, *ast.SequenceNode:
		return "variables (let) are not allowed" + why
	case *ast.PointerNode:
		return "# is not allowed" + why
	case *ast.MapNode, *ast.PairNode:
		return "maps are not allowed" + why
	case *ast.SliceNode:
		return "slices are not allowed" + why
	case *ast.BuiltinNode:
		if !allowedCalls[n.Name] {
			return fmt.Sprintf("%s() is not allowed (functions: %s)", n.Name, callNames()) + why
		}
	case *ast.CallNode:
		name := ""
		switch c := n.Callee.(type) {
		case *ast.IdentifierNode:
			name = c.Value
		case *ast.MemberNode:
			if p, ok := c.Property.(*ast.StringNode); ok {
				name = p.Value
			}
		}
		if !allowedCalls[name] {
			return fmt.Sprintf("%s() is not allowed (functions: %s)", name, callNames()) + why
		}
	case *ast.BinaryNode:
		if n.Operator == ".." {
			return "ranges (..) are not allowed" + why
		}
	}
	return ""
}

// callNames lists the functions a threshold may call, for messages.
func callNames() string {
	return strings.Join([]string{"count", "rate", "class", "request", "rule", "abs", "min", "max"}, ", ")
}
