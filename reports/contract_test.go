package reports

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/internal/golden"
)

// fixedContract checks a fixed series of responses of a limiter that
// breaks its promises in several ways.
func fixedContract() *contract.Checker {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := contract.New(contract.Options{})
	add := func(status uint16, at time.Duration, headers map[string]string) {
		h := http.Header{}
		for k, v := range headers {
			h.Set(k, v)
		}
		c.Add(&contract.Response{Status: status, Header: h, Sent: t0.Add(at - 20*time.Millisecond), Received: t0.Add(at), Scope: 1, Class: 7})
	}
	epoch := func(secs int) string { return strconv.FormatInt(t0.Add(time.Duration(secs)*time.Second).Unix(), 10) }
	for i := range 10 {
		at := time.Duration(i) * 100 * time.Millisecond
		add(200, at, map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": strconv.Itoa(4 - i%5), "X-RateLimit-Reset": epoch(1)})
	}
	add(429, time.Second, map[string]string{"Retry-After": "1", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(2)})
	add(429, 2500*time.Millisecond, map[string]string{"Retry-After": "1", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(4)})
	add(429, 3*time.Second, map[string]string{})
	add(503, 4*time.Second, map[string]string{"Retry-After": "soon"})
	return c
}

func TestTextSummaryContract(t *testing.T) {
	run := fixedRun(t)
	run.Contract = fixedContract().Report()
	var b bytes.Buffer
	if err := Text(&b, run, fixtureView); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "txt", b.Bytes())
}

func TestJSONSummaryContract(t *testing.T) {
	run := fixedRun(t)
	run.Contract = fixedContract().Report()
	var b bytes.Buffer
	if err := JSON(&b, run); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "json", b.Bytes())
	var doc JSONSummary
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	rl := doc.RateLimit
	if rl == nil || len(rl.Rules) != len(contract.Rules) || rl.ResetKind != "epoch-seconds" || rl.Errors != 3 || rl.Warnings != 1 {
		t.Fatalf("rate_limit = %+v; want every rule, epoch-seconds, 3 errors and 1 warning", rl)
	}
	for _, r := range rl.Rules {
		if uint64(len(r.Examples)) != min(r.Violations, contract.MaxExamples) {
			t.Errorf("%s: %d examples of %d violations", r.ID, len(r.Examples), r.Violations)
		}
	}
}

// TestNoContractNoSection: a run without contract checks shows no
// section and no rate_limit key.
func TestNoContractNoSection(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, fixedRun(t)); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte(`"rate_limit": {`)) {
		t.Error("rate_limit key without a contract")
	}
	b.Reset()
	run := fixedRun(t)
	run.Contract = contract.New(contract.Options{}).Report()
	if err := Text(&b, run, fixtureView); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte("no 429, no 503 and no rate-limit header seen")) {
		t.Errorf("an empty contract does not say so:\n%s", b.String())
	}
}
