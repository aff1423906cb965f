package thresholds

import (
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// testRun is 100 requests, 10 ms apart, the i-th taking i+1 ms: ten 500s
// with code INTERNAL_ERROR (i = 0, 10, …, 90), one refused connection
// (i = 5), the rest 200.
func testRun(t testing.TB) analyze.Run {
	t.Helper()
	s := analyze.NewSummary()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		r := records.Record{Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond), Latency: time.Duration(i+1) * time.Millisecond, Status: 200}
		switch {
		case i%10 == 0:
			r.Status, r.ErrorCode = 500, "INTERNAL_ERROR"
		case i == 5:
			r.Status, r.ErrorKind = 0, records.ErrRefused
		}
		s.Add(&r)
	}
	return analyze.Run{Summary: s}
}

func judge(t *testing.T, run analyze.Run, baseline *analyze.Run, src string) analyze.Threshold {
	t.Helper()
	th, err := Compile("", src, false)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	return Judge(run, baseline, []*Threshold{th})[0]
}

// TestMetricsAtTheirBoundaries holds each metric to the value it has,
// with each operator, so that an off-by-one in a metric or an operator
// shows: every pair must split into one pass and one fail.
func TestMetricsAtTheirBoundaries(t *testing.T) {
	run := testRun(t)
	cases := []struct {
		pass, fail string
		measured   string
	}{
		{"requests == 100", "requests != 100", "100"},
		{"successes >= 89", "successes > 89", "89"},
		{"success_ratio >= 89%", "success_ratio > 89%", "89 %"},
		{"latency.p50 <= 50.015ms", "latency.p50 < 50.015ms", "50.015ms"},
		{"latency.p99 <= 99.007ms", "latency.p99 < 99.007ms", "99.007ms"},
		{"latency.max == 100.031ms", "latency.max != 100.031ms", "100.031ms"},
		{"latency.min >= 1ms", "latency.min > 1ms", "1ms"},
		{`rate(category == "server_error") <= 10%`, `rate(category == "server_error") < 10%`, "10 %"},
		{`rate(family == "5xx") <= 0.1`, `rate(family == "5xx") < 0.1`, "10 %"},
		{`count(code == "INTERNAL_ERROR") == 10`, `count(code == "INTERNAL_ERROR") == 0`, "10"},
		{`count(status >= 500) <= 10`, `count(status >= 500) < 10`, "10"},
		{`count(kind == "connection_refused") == 1`, `count(kind == "connection_refused") == 0`, "1"},
		{`rate(kind != "") <= 1%`, `rate(kind != "") < 1%`, "1 %"},
		{`count(status == 200) == 89`, `count(status == 200) == 90`, "89"},
		{`class(code == "INTERNAL_ERROR").latency.max <= 91.007ms`, `class(code == "INTERNAL_ERROR").latency.max < 91.007ms`, "91.007ms"},
		{`class(status == 200).requests == 89`, `class(status == 200).requests == 88`, "89"},
		{"rate_limit.errors == 0", "rate_limit.errors > 0", "0"},
		{`rate_limit.rule("admitted-after-wait") == 0`, `rate_limit.rule("admitted-after-wait") != 0`, "0"},
		{"finished", "!finished", ""},
		{`probe.verdict == "none"`, `probe.verdict == "honest"`, `"none"`},
		{"send_delay.p99 < 1s", "send_delay.p99 > 1s", "1µs"},
		{"duration >= 1.09s", "duration > 1.09s", "1.09s"},
	}
	for _, c := range cases {
		p := judge(t, run, nil, c.pass)
		if !p.Pass || p.Reason != "" {
			t.Errorf("%s: want pass, got %+v", c.pass, p)
		}
		if p.Measured != c.measured {
			t.Errorf("%s: measured %q, want %q", c.pass, p.Measured, c.measured)
		}
		f := judge(t, run, nil, c.fail)
		if f.Pass || f.Reason == "" {
			t.Errorf("%s: want fail with a reason, got %+v", c.fail, f)
		}
	}
}

func TestReasonNamesTheMeasuredValue(t *testing.T) {
	run := testRun(t)
	for src, want := range map[string]string{
		"latency.p99 < 50ms":                       "latency.p99 99.007ms ≥ 50ms",
		`rate(category == "server_error") < 1%`:    `rate(category == "server_error") 10 % ≥ 1 %`,
		`count(code == "INTERNAL_ERROR") == 0`:     `count(code == "INTERNAL_ERROR") 10 ≠ 0`,
		`request("create-agent").latency.p95 < 1s`: `request("create-agent").latency.p95 < 1s: the run has no request named "create-agent"`,
		"latency.p99 < 1.2 * baseline.latency.p99": "needs a baseline run (--baseline FILE)",
	} {
		got := judge(t, run, nil, src)
		if got.Pass || !strings.Contains(got.Reason, want) {
			t.Errorf("%s: reason %q, want it to contain %q", src, got.Reason, want)
		}
	}
	named, err := Compile("no internal errors", `count(code == "INTERNAL_ERROR") == 0`, true)
	if err != nil {
		t.Fatal(err)
	}
	got := Judge(run, nil, []*Threshold{named})[0]
	if got.Reason != `no internal errors: count(code == "INTERNAL_ERROR") 10 ≠ 0` || !got.Abort || got.Name != "no internal errors" {
		t.Errorf("named threshold: %+v", got)
	}
}

func TestBaseline(t *testing.T) {
	run := testRun(t)
	fast := testRun(t)
	slow := analyze.NewSummary()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 { // the same run, twice as slow
		r := records.Record{Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond), Latency: time.Duration(2*(i+1)) * time.Millisecond, Status: 200}
		slow.Add(&r)
	}
	regressed := analyze.Run{Summary: slow}
	const rule = "latency.p99 < 1.2 * baseline.latency.p99"
	if got := judge(t, fast, &run, rule); !got.Pass || got.Measured != "99.007ms" || got.Baseline != "99.007ms" {
		t.Errorf("same latency as the baseline: %+v", got)
	}
	if got := judge(t, regressed, &run, rule); got.Pass || got.Reason != "latency.p99 198.015ms ≥ 118.808ms" {
		t.Errorf("twice as slow as the baseline: %+v", got)
	}
	const errRule = `rate(category == "server_error") <= baseline.rate(category == "server_error") + 0.5%`
	if got := judge(t, fast, &run, errRule); !got.Pass {
		t.Errorf("as many errors as the baseline: %+v", got)
	}
	if got := judge(t, fast, &regressed, errRule); got.Pass || got.Measured != "10 %" {
		t.Errorf("10 %% errors against a baseline of none: %+v", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for src, want := range map[string]string{
		"":                                           "column 1: empty expression",
		"latncy.p99 < 3ms":                           `column 1: unknown metric "latncy"; did you mean "latency"?`,
		"latency.p99 < 300":                          "give the number a unit, e.g. 300ms",
		`rate(categry == "x") < 1%`:                  `"categry" is not one of their fields`,
		`rate(category == "server_eror") < 1%`:       `unknown category "server_eror"`,
		`count(kind == "refused") == 0`:              `unknown error kind "refused"`,
		`count(family == "5XX") == 0`:                `unknown family "5XX"`,
		"latency.p99 <":                              "column 13: the expression ends too early",
		"requests":                                   "not a condition",
		"count(status == 1, status == 2) == 0":       "count() takes one condition",
		"latency.p99 < 300ms &&":                     "ends too early",
		`rate_limit.rule("admited-after-wait") == 0`: `no rate-limit rule "admited-after-wait"; did you mean "admitted-after-wait"?`,
		`count(category in ["server_eror"]) == 0`:    `unknown category "server_eror"`,
		`count(family not in ["5XX"]) == 0`:          `unknown family "5XX"`,
		`probe.verdict != "dishonest"`:               `no probe verdict "dishonest"`,
	} {
		_, err := Compile("", src, false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%q) = %v, want an error containing %q", src, err, want)
		}
		if e, ok := err.(*Error); !ok || e.Column() < 1 {
			t.Errorf("Compile(%q): error %T without a column", src, err)
		}
	}
}

func TestRequestsNamed(t *testing.T) {
	th, err := Compile("", `request("a").latency.p99 < 1s && count(request == "b" || request in ["c", "d"]) == 0`, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := th.Requests(); strings.Join(got, ",") != "a,b,c,d" {
		t.Errorf("Requests() = %v, want [a b c d]", got)
	}
}

func TestLiteralsKeepColumns(t *testing.T) {
	// The error is on "bogus", after two rewritten literals.
	_, err := Compile("", "latency.p99 < 300ms && success_ratio > 99% && bogus", false)
	e, ok := err.(*Error)
	if !ok || e.Col != 47 {
		t.Fatalf("got %v, want column 47", err)
	}
	rw := rewriteLiterals(`code == "50%" && x % 3 == 1 && y < 1m30s && p999 > 2`)
	if rw.text != `code == "50%" && x % 3 == 1 && y < lit_duration("1m30s") && p999 > 2` {
		t.Errorf("rewritten: %s", rw.text)
	}
}

// TestDefaultsAgree judges the default thresholds' expressions with the
// expression engine and natively (analyze.DefaultThresholds), on runs
// where each fails, and on one where all pass: the two must agree.
func TestDefaultsAgree(t *testing.T) {
	passing := func() analyze.Run {
		s := analyze.NewSummary()
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 200 {
			r := records.Record{Scheduled: t0.Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond, Status: 200}
			if i == 0 {
				r.Status = 503 // 0.5 %: within the 1 % allowed
			}
			if i == 1 {
				r.Status, r.ErrorKind = 0, records.ErrTimeout
			}
			s.Add(&r)
		}
		return analyze.Run{Summary: s, Contract: &contract.Report{}}
	}
	runs := map[string]analyze.Run{"passing": passing()}
	r := testRun(t) // 10 % 5xx, 1 % refused
	runs["server errors"] = r
	r = passing()
	r.Interrupted = "interrupt"
	runs["interrupted"] = r
	r = passing()
	r.Unfinished = 1
	runs["crashed file"] = r
	r = passing()
	res := contract.Rules[contract.RuleAdmittedAfterWait]
	r.Contract = &contract.Report{Rules: []contract.RuleResult{{Rule: res, Checked: 3, Violations: 2}}}
	runs["contract"] = r
	r = passing()
	r.Probes = []probefile.Report{{Target: "t", Verdict: "understated"}}
	runs["probe"] = r
	r = passing()
	r.Probes = []probefile.Report{{Target: "t", Verdict: probefile.Honest}}
	runs["honest probe"] = r

	for name, run := range runs {
		native := analyze.DefaultThresholds(run)
		var ths []*Threshold
		for _, d := range native {
			th, err := Compile(d.Name, d.Expr, false)
			if err != nil {
				t.Fatalf("%s: default %q does not compile: %v", name, d.Expr, err)
			}
			ths = append(ths, th)
		}
		judged := Judge(run, nil, ths)
		for i := range native {
			if native[i].Pass != judged[i].Pass {
				t.Errorf("%s: %s: native pass=%v, expression pass=%v (%s)", name, native[i].Expr, native[i].Pass, judged[i].Pass, judged[i].Reason)
			}
		}
		v := run.Verdict()
		if v.Pass != (name == "passing" || name == "honest probe") {
			t.Errorf("%s: verdict pass=%v, reasons %q", name, v.Pass, v.Reasons)
		}
	}
}

func TestPerRequestMetrics(t *testing.T) {
	s := analyze.NewSummary()
	create, list := s.ImportRequest("create-agent"), s.ImportRequest("list-agents")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		r := records.Record{Scheduled: t0.Add(time.Duration(i) * time.Millisecond), Latency: 10 * time.Millisecond, Status: 200, Request: list}
		if i%4 == 0 { // 10 creates: 600 ms, and 2 of them 409
			r.Request, r.Latency, r.Status = create, 600*time.Millisecond, 201
			if i%8 == 0 && i < 16 {
				r.Status, r.ErrorCode = 409, "CONFLICT"
			}
		}
		if i == 39 {
			r.Request = 0 // a record without a name
			r.Status = 500
		}
		s.Add(&r)
	}
	run := analyze.Run{Summary: s}
	for _, c := range []struct {
		pass, fail, measured string
	}{
		{`request("create-agent").latency.p95 > 500ms`, `request("create-agent").latency.p95 < 500ms`, "600.063ms"},
		{`request("list-agents").latency.p99 < 11ms`, `request("list-agents").latency.p99 < 10ms`, "10.007ms"},
		{`request("create-agent").requests == 10`, `request("create-agent").requests != 10`, "10"},
		{`request("create-agent").count(status == 409) == 2`, `request("create-agent").count(status == 409) == 0`, "2"},
		{`request("create-agent").rate(status == 409) == 20%`, `request("create-agent").rate(status == 409) < 20%`, "20 %"},
		{`count(request == "create-agent" && code == "CONFLICT") == 2`, `count(request == "list-agents" && code == "CONFLICT") == 2`, "2"},
		{`count(request == "" && status == 500) == 1`, `count(request == "list-agents" && status == 500) == 1`, "1"},
		{`count(request == "list-agents") == 29`, `count(request == "list-agents") != 29`, "29"},
	} {
		if got := judge(t, run, nil, c.pass); !got.Pass || got.Measured != c.measured {
			t.Errorf("%s: want pass measuring %s, got %+v", c.pass, c.measured, got)
		}
		if got := judge(t, run, nil, c.fail); got.Pass {
			t.Errorf("%s: want fail, got %+v", c.fail, got)
		}
	}
	if got := judge(t, run, nil, `request("create-agent").class(status == 409).latency.p99 < 1s`); got.Pass || !strings.Contains(got.Reason, "not of request") {
		t.Errorf("class() within request(): %+v", got)
	}
}

func TestMessagesSpeakThresholds(t *testing.T) {
	for src, want := range map[string]string{
		"latency.p100 < 1s":              `a latency has no "p100": want one of min, mean, p50, p75, p90, p95, p99, p999, max`,
		"rate_limit.nope > 1":            `rate_limit has no "nope": want one of errors, warnings, violations, checked, rule(id)`,
		"latency.p99 < 1sec":             `"1sec": not a number with a unit`,
		"latency.p99 < 2d":               `"2d": not a number with a unit`,
		"count(status = 500) == 0":       "= is not a comparison: write ==",
		"requests":                       "not a condition: it gives a value (float64)",
		`request(1).latency.p99 < 1s`:    "request",
		"requests > 1e3 && requests < 2": "",
	} {
		_, err := Compile("", src, false)
		switch {
		case want == "" && err != nil:
			t.Errorf("Compile(%q): %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("Compile(%q) = %v, want %q", src, err, want)
		case err != nil && (strings.Contains(err.Error(), "thresholds.") || strings.Contains(err.Error(), "Request")):
			t.Errorf("Compile(%q) = %v: a Go name", src, err)
		}
	}
}

// TestSwappedSides: a condition written with the literal first measures
// the metric, not the literal.
func TestSwappedSides(t *testing.T) {
	run := testRun(t)
	got := judge(t, run, nil, "50ms > latency.p99")
	if got.Pass || got.Measured != "99.007ms" || got.Reason != "latency.p99 99.007ms ≥ 50ms" {
		t.Errorf("50ms > latency.p99: %+v", got)
	}
	got = judge(t, run, nil, `5 >= count(status == 500)`)
	if got.Pass || got.Measured != "10" || got.Reason != `count(status == 500) 10 > 5` {
		t.Errorf("5 >= count(...): %+v", got)
	}
}
