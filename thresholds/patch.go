package thresholds

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/internal/suggest"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// patcher turns the calls expressions make in the terms of thresholds
// into calls of the Go methods behind them: count(P) becomes CountOf(i),
// where i is P compiled apart as a predicate over Group; request("x")
// becomes Request("x"). It notes the first error and whether the
// expression reads the baseline.
type patcher struct {
	src      rewritten
	preds    []*vm.Program
	baseline bool
	requests []string // the request names it names
	err      *Error
}

// Visit patches one node; the library walks the tree children first.
func (p *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == "baseline" {
			p.baseline = true
		}
	case *ast.BinaryNode:
		if msg := p.checkVerdict(n); msg != "" {
			p.fail(n.Location().From, msg)
		}
	case *ast.BuiltinNode: // count is a builtin to the parser, even disabled
		if n.Name == "count" {
			p.call(node, "count", nil, n.Arguments)
		}
	case *ast.CallNode:
		switch callee := n.Callee.(type) {
		case *ast.IdentifierNode:
			p.call(node, callee.Value, nil, n.Arguments)
		case *ast.MemberNode:
			if prop, ok := callee.Property.(*ast.StringNode); ok && callee.Method {
				p.call(node, prop.Value, callee.Node, n.Arguments)
			}
		}
	}
}

// call patches a call of name, on receiver (nil: the scope itself).
func (p *patcher) call(node *ast.Node, name string, receiver ast.Node, args []ast.Node) {
	goName, ok := methods[name]
	if !ok || p.err != nil {
		return
	}
	if lit, isLit := firstString(args); isLit {
		switch name {
		case "request":
			p.requests = append(p.requests, lit)
		case "rule":
			if _, known := contract.RuleByName(lit); !known {
				msg := fmt.Sprintf("no rate-limit rule %q", lit)
				if s := suggest.Nearest(lit, ruleIDs()); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				p.fail((*node).Location().From, msg+" (rules: "+ruleNames()+")")
				return
			}
		}
	}
	if predicated[name] {
		if len(args) != 1 {
			p.fail((*node).Location().From, fmt.Sprintf("%s() takes one condition on the responses, e.g. %s(status >= 500); got %d arguments", name, name, len(args)))
			return
		}
		arg := args[0]
		if c, ok := arg.(*ast.PredicateNode); ok {
			arg = c.Node
		}
		i, ok := p.predicate(name, arg)
		if !ok {
			return
		}
		args = []ast.Node{&ast.IntegerNode{Value: i}}
	}
	var callee ast.Node = &ast.IdentifierNode{Value: goName}
	if receiver != nil {
		callee = &ast.MemberNode{Node: receiver, Property: &ast.StringNode{Value: goName}, Method: true}
	}
	ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: args})
}

// predicate compiles the condition of a count(), rate() or class() call
// and returns its index.
func (p *patcher) predicate(name string, arg ast.Node) (int, bool) {
	src := arg.String()
	if bad := refusedIn(arg); bad != "" {
		p.fail(arg.Location().From, bad)
		return 0, false
	}
	prog, err := expr.Compile(src, expr.Env(Group{}), expr.AsBool(), expr.DisableAllBuiltins())
	at := arg.Location().From
	if err != nil {
		msg := firstLine(err.Error())
		if strings.HasPrefix(msg, "unknown name ") {
			field := strings.Fields(strings.TrimPrefix(msg, "unknown name "))[0]
			msg = fmt.Sprintf("%s() looks at the responses: %q is not one of their fields (%s)", name, field, strings.Join(groupFields(), ", "))
			if s := suggest.Nearest(field, groupFields()); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
		}
		p.fail(at, msg)
		return 0, false
	}
	if msg := p.checkValues(arg); msg != "" {
		p.fail(at, msg)
		return 0, false
	}
	p.preds = append(p.preds, prog)
	return len(p.preds) - 1, true
}

// refusedIn says why a predicate has no place in a threshold: what
// refused refuses, and any call.
func refusedIn(n ast.Node) string {
	var msg string
	ast.Walk(&n, visitor(func(node *ast.Node) {
		if msg != "" {
			return
		}
		switch (*node).(type) {
		case *ast.CallNode, *ast.BuiltinNode:
			msg = "a condition on the responses compares their fields, with no function call (fields: " + strings.Join(groupFields(), ", ") + ")"
		default:
			msg = refused(*node)
		}
	}))
	return msg
}

// fail notes the first error, at rune index at of the rewritten text.
func (p *patcher) fail(at int, msg string) {
	if p.err == nil {
		p.err = &Error{Col: p.src.column(at), Msg: msg}
	}
}

// checkValues finds a comparison of a field that has a fixed set of
// values with a value not in the set (category == "server_eror",
// family in ["5XX"]), and notes the request names compared with.
func (p *patcher) checkValues(n ast.Node) string {
	var msg string
	ast.Walk(&n, visitor(func(node *ast.Node) {
		b, ok := (*node).(*ast.BinaryNode)
		if !ok || msg != "" {
			return
		}
		id, lits := comparedLiterals(b)
		for _, lit := range lits {
			if m := p.checkValue(id, lit); m != "" && msg == "" {
				msg = m
			}
		}
	}))
	return msg
}

// comparedLiterals returns the field and the string literals of a
// comparison field == "x", "x" == field, field != "x", or field in [...].
func comparedLiterals(b *ast.BinaryNode) (string, []string) {
	switch b.Operator {
	case "==", "!=":
		id, ok1 := b.Left.(*ast.IdentifierNode)
		lit, ok2 := b.Right.(*ast.StringNode)
		if !ok1 || !ok2 {
			id, ok1 = b.Right.(*ast.IdentifierNode)
			lit, ok2 = b.Left.(*ast.StringNode)
		}
		if ok1 && ok2 {
			return id.Value, []string{lit.Value}
		}
	case "in", "not in":
		id, ok1 := b.Left.(*ast.IdentifierNode)
		arr, ok2 := b.Right.(*ast.ArrayNode)
		if ok1 && ok2 {
			var lits []string
			for _, e := range arr.Nodes {
				if s, ok := e.(*ast.StringNode); ok {
					lits = append(lits, s.Value)
				}
			}
			return id.Value, lits
		}
	}
	return "", nil
}

// checkValue checks one value a field is compared with.
func (p *patcher) checkValue(field, lit string) string {
	switch field {
	case "category":
		if _, err := records.ParseCategory(lit); err != nil {
			return err.Error()
		}
	case "kind":
		if _, err := records.ParseErrorKind(lit); err != nil {
			return err.Error() + ` ("" when a response arrived)`
		}
	case "family":
		if !slices.Contains([]string{"", "1xx", "2xx", "3xx", "4xx", "5xx"}, lit) {
			return fmt.Sprintf("unknown family %q (want 1xx, 2xx, 3xx, 4xx or 5xx)", lit)
		}
	case "request":
		p.requests = append(p.requests, lit)
	}
	return ""
}

// checkVerdict checks a comparison of probe.verdict with a string.
func (p *patcher) checkVerdict(b *ast.BinaryNode) string {
	if b.Operator != "==" && b.Operator != "!=" {
		return ""
	}
	m, ok1 := b.Left.(*ast.MemberNode)
	lit, ok2 := b.Right.(*ast.StringNode)
	if !ok1 || !ok2 {
		m, ok1 = b.Right.(*ast.MemberNode)
		lit, ok2 = b.Left.(*ast.StringNode)
	}
	if !ok1 || !ok2 {
		return ""
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok || prop.Value != "verdict" {
		return ""
	}
	if lit.Value == "none" || slices.Contains(probefile.Verdicts, lit.Value) {
		return ""
	}
	return fmt.Sprintf("no probe verdict %q (verdicts: %s, or none without a probe)", lit.Value, strings.Join(probefile.Verdicts, ", "))
}

// firstString is the first argument of a call when it is a string literal.
func firstString(args []ast.Node) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	s, ok := args[0].(*ast.StringNode)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// ruleIDs are the ids of the contract's rules.
func ruleIDs() []string {
	out := make([]string, len(contract.Rules))
	for i, r := range contract.Rules {
		out[i] = r.Name
	}
	return out
}

// visitor adapts a function to ast.Visitor.
type visitor func(*ast.Node)

// Visit calls the function.
func (v visitor) Visit(n *ast.Node) { v(n) }

// groupFields lists the fields a predicate may use.
func groupFields() []string {
	return []string{"status", "family", "category", "code", "kind", "request", "pattern", "retryable"}
}

// firstLine is the first line of a message (the library appends the
// source and a caret).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, " ("); i >= 0 && strings.HasSuffix(s, ")") {
		s = s[:i] // the library's "(1:7)"
	}
	return s
}
