package analyze

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/attack/results"
	"github.com/stampede-dev/stampede/internal/redact"
)

// TestClassLimit checks that distinct classes beyond MaxClasses all land
// in one overflow class and that the table stops growing.
func TestClassLimit(t *testing.T) {
	c := mustClassifier(t, ClassifierOptions{MaxClasses: 5})
	var overflow *Class
	for i := range 50 {
		body := fmt.Sprintf(`{"code": "E_%d", "message": "m"}`, i)
		cl := c.Classify(&Response{Status: 400, Body: []byte(body)})
		if i >= 5 {
			if !cl.Class.Overflow || cl.Class.Code != OverflowCode {
				t.Fatalf("response %d: class %+v; want the overflow class", i, cl.Class.Class)
			}
			overflow = cl.Class
		}
	}
	if got := c.Classes().Len(); got != 6 {
		t.Errorf("table holds %d classes; want 5 and the overflow class", got)
	}
	if len(overflow.Samples) > results.MaxSamplesPerClass {
		t.Errorf("overflow class keeps %d samples; want at most %d", len(overflow.Samples), results.MaxSamplesPerClass)
	}
	// A class seen before the table filled keeps its own class.
	if cl := c.Classify(&Response{Status: 400, Body: []byte(`{"code": "E_3", "message": "m"}`)}); cl.Class.Overflow {
		t.Error("a known class went to the overflow class")
	}
}

// TestSamples checks the sample bounds: at most three distinct bodies per
// class, each at most MaxSampleLen bytes, with secrets masked.
func TestSamples(t *testing.T) {
	const secret = "sk-live-0123456789"
	c := mustClassifier(t, ClassifierOptions{Secrets: []string{secret}, Redact: redact.NewPolicy()})
	long := `{"detail": "Rate limit exceeded. Please retry after 9 seconds.", "pad": "` + strings.Repeat("x", 3000) + `"}`
	bodies := []string{
		`{"detail": "Rate limit exceeded. Please retry after 1 seconds.", "key": "` + secret + `"}`,
		`{"detail": "Rate limit exceeded. Please retry after 1 seconds.", "key": "` + secret + `"}`, // a repeat
		`{"detail": "Rate limit exceeded. Please retry after 2 seconds.", "api_key": "abc12345"}`,
		long,
		`{"detail": "Rate limit exceeded. Please retry after 3 seconds."}`,
	}
	var cls *Class
	newSamples := 0
	for _, b := range bodies {
		cl := c.Classify(&Response{Status: 429, Body: []byte(b), BodyLen: uint64(len(b))})
		if cls != nil && cl.Class != cls {
			t.Fatalf("%s: a class of its own; want one class for one message template", b)
		}
		cls = cl.Class
		if cl.NewSample {
			newSamples++
		}
	}
	if len(cls.Samples) != 3 || newSamples != 3 {
		t.Fatalf("class has %d samples (%d reported new); want 3", len(cls.Samples), newSamples)
	}
	for _, s := range cls.Samples {
		if len(s) > results.MaxSampleLen {
			t.Errorf("sample of %d bytes; want at most %d", len(s), results.MaxSampleLen)
		}
		if strings.Contains(s, secret) || strings.Contains(s, "abc12345") {
			t.Errorf("sample %q keeps a secret", s)
		}
	}
	if cls.Samples[0] == cls.Samples[1] {
		t.Error("a repeated body was kept twice")
	}
}

// TestMessageAndExampleRedacted checks that a class's first message and
// example request keep no secret.
func TestMessageAndExampleRedacted(t *testing.T) {
	const secret = "sk-live-0123456789"
	c := mustClassifier(t, ClassifierOptions{Secrets: []string{secret}})
	cl := c.Classify(&Response{
		Status: 401, Body: []byte(`{"detail": "Invalid API key ` + secret + `."}`),
		Method: "GET", URL: "http://user:pw@127.0.0.1:9/v1/x?api_key=" + secret + "&q=1",
	})
	if strings.Contains(cl.Class.Message, secret) || strings.Contains(cl.Class.Example, secret) || strings.Contains(cl.Class.Example, "pw") {
		t.Errorf("class keeps a secret: message %q, example %q", cl.Class.Message, cl.Class.Example)
	}
	if !strings.HasPrefix(cl.Class.Example, "GET /v1/x?") {
		t.Errorf("Example = %q; want GET /v1/x?…", cl.Class.Example)
	}
}

// TestBodyLimitCounted checks that a body longer than the limit counts as
// truncated, and is still classified from its start.
func TestBodyLimitCounted(t *testing.T) {
	c := mustClassifier(t, ClassifierOptions{BodyLimit: 64})
	body := []byte(`{"code": "TOO_BIG", "message": "x"}`)
	cl := c.Classify(&Response{Status: 413, Body: body, BodyLen: 1 << 20})
	if cl.Class.Code != "TOO_BIG" || c.Truncated() != 1 {
		t.Errorf("code %q, truncated %d; want TOO_BIG, 1", cl.Class.Code, c.Truncated())
	}
	if c.BodyLimit() != 64 {
		t.Errorf("BodyLimit = %d; want 64", c.BodyLimit())
	}
	if d := mustClassifier(t, ClassifierOptions{}); d.BodyLimit() != DefaultBodyLimit {
		t.Errorf("default BodyLimit = %d; want %d", d.BodyLimit(), DefaultBodyLimit)
	}
}

// TestClassifyAllocs guards the promises: a success without a body rule,
// a transport failure and an error body of a known class cost no
// allocation.
func TestClassifyAllocs(t *testing.T) {
	c := mustClassifier(t, ClassifierOptions{})
	cases := map[string]*Response{
		"200":     {Status: 200, Body: nil, BodyLen: 512, Method: "GET", URL: "http://127.0.0.1/x"},
		"timeout": {Kind: results.ErrTimeout, Method: "GET", URL: "http://127.0.0.1/x"},
		"429":     {Status: 429, ContentType: "application/json", Body: []byte(`{"error": {"code": "rate_limit_exceeded", "message": "Too many requests, retry after 42 seconds", "type": "error"}}`)},
		"401":     {Status: 401, Body: []byte(`{"error": "Unauthorized", "message": "Invalid API key"}`)},
		"html":    {Status: 502, Body: []byte(`<html><title>502 Bad Gateway</title></html>`)},
	}
	for name, r := range cases {
		c.Classify(r) // creates the class
		c.Classify(r) // warms the parser
		if n := testing.AllocsPerRun(200, func() { c.Classify(r) }); n != 0 {
			t.Errorf("%s: Classify allocates %v times per response; want 0", name, n)
		}
	}
}

func TestStatusCategory(t *testing.T) {
	tests := []struct {
		status    uint16
		kind      results.ErrorKind
		cat       results.Category
		retryable bool
	}{
		{200, 0, results.CatSuccess, false}, {204, 0, results.CatSuccess, false}, {301, 0, results.CatRedirect, false},
		{400, 0, results.CatValidation, false}, {401, 0, results.CatAuthentication, false}, {402, 0, results.CatPayment, false},
		{403, 0, results.CatPermission, false}, {404, 0, results.CatNotFound, false}, {408, 0, results.CatTimeout, true},
		{409, 0, results.CatConflict, false}, {422, 0, results.CatUnprocessable, false}, {429, 0, results.CatRateLimit, true},
		{418, 0, results.CatValidation, false}, {500, 0, results.CatServerError, true}, {501, 0, results.CatServerError, false},
		{502, 0, results.CatServerError, true}, {503, 0, results.CatUnavailable, true}, {504, 0, results.CatTimeout, true},
		{520, 0, results.CatServerError, true}, {0, results.ErrTimeout, results.CatTimeout, true},
		{0, results.ErrRefused, results.CatTransport, true}, {0, results.ErrReset, results.CatTransport, true},
		{200, results.ErrReset, results.CatTransport, true}, {0, results.ErrTLS, results.CatTransport, false},
		{0, results.ErrDNS, results.CatTransport, false}, {0, results.ErrOther, results.CatTransport, false},
		{99, 0, results.CatUnknown, false},
	}
	for _, tc := range tests {
		cat, retry := StatusCategory(tc.status, tc.kind)
		if cat != tc.cat || retry != tc.retryable {
			t.Errorf("StatusCategory(%d, %s) = %s, %t; want %s, %t", tc.status, tc.kind, cat, retry, tc.cat, tc.retryable)
		}
	}
}

// TestTransportClasses checks that transport failures are classes by kind.
func TestTransportClasses(t *testing.T) {
	c := mustClassifier(t, ClassifierOptions{})
	a := c.Classify(&Response{Kind: results.ErrTimeout}).Class
	b := c.Classify(&Response{Kind: results.ErrRefused}).Class
	if a == b || a.Category != results.CatTimeout || b.Category != results.CatTransport || a.Dialect != "none" {
		t.Errorf("timeout class %+v, refused class %+v", a.Class, b.Class)
	}
}

// TestSummaryUnclassifiedRecords checks that records without a class (files
// of older versions) get classes from their own fields.
func TestSummaryUnclassifiedRecords(t *testing.T) {
	s := NewSummary()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []results.Record{
		{Status: 429, ErrorCode: "insufficient_quota", Scheduled: at},
		{Status: 429, ErrorCode: "insufficient_quota", Scheduled: at},
		{Status: 429, Scheduled: at},
		{Status: 200, Scheduled: at, Category: results.CatSuccess},
	} {
		s.Add(&r)
	}
	got := map[string]uint64{}
	for _, st := range s.ClassStats() {
		got[fmt.Sprintf("%d/%s/%s/%t", st.Class.Status, st.Class.Code, st.Class.Category, st.Class.Retryable)] = st.Count
	}
	want := map[string]uint64{"429/insufficient_quota/payment/false": 2, "429//rate_limit/true": 1, "200//success/false": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("classes = %v; want %v", got, want)
	}
}
