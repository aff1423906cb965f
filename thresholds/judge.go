package thresholds

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/stampede-dev/stampede/analyze"
)

// matches runs a predicate on a group.
func matches(pred *vm.Program, g Group) (bool, error) {
	out, err := expr.Run(pred, g)
	if err != nil {
		return false, err
	}
	ok, _ := out.(bool)
	return ok, nil
}

// Judge judges the thresholds on a run, with the metrics of baseline (nil
// without one) available as baseline.
func Judge(run analyze.Run, baseline *analyze.Run, ths []*Threshold) []analyze.Threshold {
	scope := newScope(run)
	if baseline != nil {
		scope.Baseline = newScope(*baseline)
	}
	out := make([]analyze.Threshold, 0, len(ths))
	for _, t := range ths {
		out = append(out, t.judge(scope))
	}
	return out
}

// judge evaluates the threshold on a scope.
func (t *Threshold) judge(scope *Scope) analyze.Threshold {
	res, _ := t.judgeSides(scope)
	return res
}

// sides are the values of a comparison's two sides, and whether the
// evaluation failed.
type sides struct {
	left, right any
	failed      bool
}

// judgeSides evaluates the threshold on a scope, with the values of its
// sides. The Baseline shown is the measured side's value in the baseline
// run (the same metric, there).
func (t *Threshold) judgeSides(scope *Scope) (analyze.Threshold, sides) {
	res := analyze.Threshold{Name: t.Name, Expr: t.Expr, Abort: t.Abort}
	if t.cond.baseline && scope.Baseline == nil {
		res.Reason = t.Name + ": needs a baseline run (--baseline FILE)"
		return res, sides{failed: true}
	}
	v, err := t.cond.run(scope)
	if err != nil {
		res.Reason = fmt.Sprintf("%s: %v", t.Name, err)
		return res, sides{failed: true}
	}
	res.Pass, _ = v.(bool)
	var sd sides
	if t.left != nil {
		sd.left, _ = t.left.run(scope)
		sd.right, _ = t.right.run(scope)
		res.Measured = t.format(sd.left)
		if scope.Baseline != nil && !t.left.baseline {
			if before, err := t.left.run(scope.Baseline); err == nil {
				res.Baseline = t.format(before)
			}
		}
	}
	if !res.Pass {
		res.Reason = t.reason(sd.left, sd.right)
	}
	return res, sd
}

// cannotHold reports whether a threshold that failed on a run so far
// cannot pass once the run goes on. A number that only grows (a count,
// requests) over its upper bound (count(…) < 5, == 0) cannot come back; a
// lower bound (count(status == 429) > 0) may still be reached. Rates and
// latencies are judged as they stand. Conditions that are no comparison
// of a metric (a && b), or that cannot be evaluated yet (a request not yet
// sent), do not stop a run.
func (t *Threshold) cannotHold(sd sides) bool {
	if sd.failed || t.left == nil {
		return false
	}
	if !t.leftCount {
		return true
	}
	l, lok := toFloat(sd.left)
	r, rok := toFloat(sd.right)
	if !lok || !rok {
		return false
	}
	switch t.op {
	case "<", "<=":
		return true
	case "==":
		return l > r
	}
	return false // >, >=, !=: a count may still get there
}

// toFloat reads a number.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

// run runs a compiled program on a scope.
func (c *compiled) run(scope *Scope) (any, error) {
	out, err := expr.Run(c.prog, scope.withPredicates(c.preds))
	if err != nil {
		return nil, fmt.Errorf("%s", firstLine(err.Error()))
	}
	return out, nil
}

// negated is the operator that held instead.
var negated = map[string]string{"<": "≥", "<=": ">", ">": "≤", ">=": "<", "==": "≠", "!=": "="}

// reason says why the threshold failed: "latency.p99 412ms ≥ 300ms".
func (t *Threshold) reason(left, right any) string {
	prefix := ""
	if t.Name != t.Expr {
		prefix = t.Name + ": "
	}
	if t.left == nil || left == nil || right == nil {
		return prefix + t.Expr + " is false"
	}
	return fmt.Sprintf("%s%s %s %s %s", prefix, t.leftText, t.format(left), negated[t.op], t.format(right))
}

// format renders a measured value for people, with its unit.
func (t *Threshold) format(v any) string {
	switch x := v.(type) {
	case time.Duration:
		return FormatDuration(x)
	case float64:
		if t.ratio {
			return analyze.Percent(x)
		}
		return formatNumber(x)
	case int:
		if t.ratio {
			return analyze.Percent(float64(x))
		}
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// formatNumber renders a count without decimals, a rate with a few.
func formatNumber(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// FormatDuration renders a duration as reports do (microseconds below
// 1 ms, three decimals of milliseconds below 1 s, of seconds above) in
// the threshold language's syntax: "850µs", "99.007ms", "1.09s"; the
// largest duration, which stands for a time that never came (a recovery),
// as "never".
func FormatDuration(d time.Duration) string {
	switch {
	case d == math.MaxInt64: // a recovery that never came
		return "never"
	case d < time.Millisecond:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "µs"
	case d < time.Second:
		return trimZeros(float64(d)/float64(time.Millisecond)) + "ms"
	default:
		return trimZeros(d.Seconds()) + "s"
	}
}

// trimZeros renders f with at most three decimals, without trailing
// zeros.
func trimZeros(f float64) string {
	s := strconv.FormatFloat(f, 'f', 3, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}
