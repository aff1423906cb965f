package thresholds

import (
	"testing"
)

// FuzzCompile: any text either compiles or is refused with an error that
// names a column; a compiled threshold judges a run without panicking,
// and the sandbox keeps it cheap.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"latency.p99 < 300ms", "rate(status >= 500) < 1%", `count(code == "x") == 0`,
		`request("a").latency.p95 < 2 * baseline.latency.p95`, "retries.amplification < 1.5",
		"retries.recovery_time < 5s && retries.recovered", `rate_limit.rule("retry-after-on-429") == 0`,
		"abs(latency.p50 - latency.p90) < 1s", "let x = 1; x", "map([1,2], # * 2)", "((((((((1))))))))",
		"latency.p99 <", "", "🙂", `probe.verdict == "honest"`, "finished && !interrupted",
	} {
		f.Add(s)
	}
	run := testRun(f)
	f.Fuzz(func(t *testing.T, src string) {
		th, err := Compile("", src, false)
		if err != nil {
			if th != nil {
				t.Fatalf("Compile(%q) = %v and an error %v", src, th, err)
			}
			return
		}
		got := Judge(run, nil, []*Threshold{th})
		if len(got) != 1 {
			t.Fatalf("Judge(%q) = %d results; want 1", src, len(got))
		}
	})
}
