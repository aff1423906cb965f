// Package gradetest holds small HTTP clients of known retry behaviour,
// for the tests of stampede grade-client: a test binary runs itself as one
// of them (the client named by the environment variable Env), so that no
// other toolchain is needed. Tests only.
package gradetest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Env names the environment variable that selects the client to be.
const Env = "STAMPEDE_GRADE_TEST_CLIENT"

// Behaviour is what a client does with an answer.
type Behaviour struct {
	// Seconds and Date: honour Retry-After in that form.
	Seconds, Date bool
	// AtOnce: retry without any wait of its own (a Retry-After honoured
	// aside).
	AtOnce bool
	// CrashOnInvalid: a Retry-After in neither form makes it exit 2.
	CrashOnInvalid bool
	// Retry4xx: retry 400, 401, 403 and 404 too.
	Retry4xx bool
	// MaxAttempts bounds its attempts; 0 for none.
	MaxAttempts int
}

// Base is the first wait of the clients' own backoff: four times longer
// at every retry, and jittered up to as much again (50–100 ms, 200–400 ms,
// 800–1600 ms): each wait longer than any the one before could be, and
// jitter that stands out across a few runs.
const Base = 50 * time.Millisecond

// Clients are the clients by name.
var Clients = map[string]Behaviour{
	// compliant honours both forms, backs off with jitter, gives up.
	"compliant": {Seconds: true, Date: true, MaxAttempts: 4},
	// ignores-retry-after retries at once, whatever the header says.
	"ignores-retry-after": {AtOnce: true, MaxAttempts: 5},
	// seconds-only reads Retry-After as whole seconds: a date or
	// anything else reads as 0, a retry at once.
	"seconds-only": {Seconds: true, MaxAttempts: 4},
	// retries-4xx retries a 400 as it would a 503.
	"retries-4xx": {Seconds: true, Date: true, Retry4xx: true, MaxAttempts: 4},
	// never-gives-up is compliant but retries forever.
	"never-gives-up": {Seconds: true, Date: true},
	// hammers retries at once, forever.
	"hammers": {AtOnce: true},
	// crashes-on-invalid exits 2 on a Retry-After it cannot read.
	"crashes-on-invalid": {Seconds: true, Date: true, CrashOnInvalid: true, MaxAttempts: 4},
}

// MainIfClient runs as the client Env names, with the URL of its last
// argument, and exits; without Env it returns at once.
func MainIfClient() {
	name := os.Getenv(Env)
	if name == "" {
		return
	}
	b, ok := Clients[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "gradetest: no client %q\n", name)
		os.Exit(3)
	}
	os.Exit(b.Run(os.Args[len(os.Args)-1], os.Stderr))
}

// Run sends GET url until a 2xx (exit code 0), a status it does not retry
// or its last attempt (exit code 1), as its behaviour says.
func (b Behaviour) Run(url string, log io.Writer) int {
	client := &http.Client{Timeout: 10 * time.Second}
	for attempt := 1; b.MaxAttempts == 0 || attempt <= b.MaxAttempts; attempt++ {
		if attempt > 1000 { // every loop bounded
			break
		}
		resp, err := client.Get(url)
		if err != nil {
			fmt.Fprintf(log, "attempt %d: %v\n", attempt, err)
			return 1
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(log, "attempt %d: %d\n", attempt, resp.StatusCode)
		switch {
		case resp.StatusCode < 300:
			return 0
		case !b.retries(resp.StatusCode):
			return 1
		}
		wait, ok := b.wait(resp.Header.Get("Retry-After"), attempt)
		if !ok {
			fmt.Fprintf(log, "panic: invalid Retry-After %q\n", resp.Header.Get("Retry-After"))
			return 2
		}
		time.Sleep(wait)
	}
	return 1
}

func (b Behaviour) retries(status int) bool {
	if slices.Contains([]int{400, 401, 403, 404}, status) {
		return b.Retry4xx
	}
	return status == 429 || status >= 500
}

// wait is the wait before the next attempt after attempt n's answer with
// Retry-After ra; false when the client crashes on it.
func (b Behaviour) wait(ra string, n int) (time.Duration, bool) {
	ra = strings.TrimSpace(ra)
	backoff := time.Duration(0)
	if !b.AtOnce {
		d := Base << (2 * (n - 1))
		backoff = d + time.Duration(rand.Int64N(int64(d)))
	}
	if ra == "" {
		return backoff, true
	}
	if b.Seconds && !b.Date { // reads every value as whole seconds
		s, _ := strconv.Atoi(ra)
		return time.Duration(s) * time.Second, true
	}
	if s, err := strconv.Atoi(ra); err == nil {
		if b.Seconds {
			return time.Duration(s) * time.Second, true
		}
		return backoff, true
	}
	if t, err := http.ParseTime(ra); err == nil {
		if b.Date {
			return time.Until(t), true
		}
		return backoff, true
	}
	return backoff, !b.CrashOnInvalid
}
