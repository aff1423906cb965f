package classify

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/records"
)

// TestClassLimit checks that distinct classes beyond MaxClasses all land
// in one overflow class and that the table stops growing.
func TestClassLimit(t *testing.T) {
	c := mustClassifier(t, Options{MaxClasses: 5})
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
	if len(overflow.Samples) > records.MaxSamplesPerClass {
		t.Errorf("overflow class keeps %d samples; want at most %d", len(overflow.Samples), records.MaxSamplesPerClass)
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
	c := mustClassifier(t, Options{Secrets: []string{secret}, Redact: redact.NewPolicy()})
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
		if len(s) > records.MaxSampleLen {
			t.Errorf("sample of %d bytes; want at most %d", len(s), records.MaxSampleLen)
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
	c := mustClassifier(t, Options{Secrets: []string{secret}})
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
	c := mustClassifier(t, Options{BodyLimit: 64})
	body := []byte(`{"code": "TOO_BIG", "message": "x"}`)
	cl := c.Classify(&Response{Status: 413, Body: body, BodyLen: 1 << 20})
	if cl.Class.Code != "TOO_BIG" || c.Truncated() != 1 {
		t.Errorf("code %q, truncated %d; want TOO_BIG, 1", cl.Class.Code, c.Truncated())
	}
	if c.BodyLimit() != 64 {
		t.Errorf("BodyLimit = %d; want 64", c.BodyLimit())
	}
	if d := mustClassifier(t, Options{}); d.BodyLimit() != DefaultBodyLimit {
		t.Errorf("default BodyLimit = %d; want %d", d.BodyLimit(), DefaultBodyLimit)
	}
}

// TestClassifyAllocs guards the promises: a success without a body rule,
// a transport failure and an error body of a known class cost no
// allocation.
func TestClassifyAllocs(t *testing.T) {
	c := mustClassifier(t, Options{})
	cases := map[string]*Response{
		"200":     {Status: 200, Body: nil, BodyLen: 512, Method: "GET", URL: "http://127.0.0.1/x"},
		"timeout": {Kind: records.ErrTimeout, Method: "GET", URL: "http://127.0.0.1/x"},
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
		kind      records.ErrorKind
		cat       records.Category
		retryable bool
	}{
		{200, 0, records.CatSuccess, false}, {204, 0, records.CatSuccess, false}, {301, 0, records.CatRedirect, false},
		{400, 0, records.CatValidation, false}, {401, 0, records.CatAuthentication, false}, {402, 0, records.CatPayment, false},
		{403, 0, records.CatPermission, false}, {404, 0, records.CatNotFound, false}, {408, 0, records.CatTimeout, true},
		{409, 0, records.CatConflict, false}, {422, 0, records.CatUnprocessable, false}, {429, 0, records.CatRateLimit, true},
		{418, 0, records.CatValidation, false}, {500, 0, records.CatServerError, true}, {501, 0, records.CatServerError, false},
		{502, 0, records.CatServerError, true}, {503, 0, records.CatUnavailable, true}, {504, 0, records.CatTimeout, true},
		{520, 0, records.CatServerError, true}, {0, records.ErrTimeout, records.CatTimeout, true},
		{0, records.ErrRefused, records.CatTransport, true}, {0, records.ErrReset, records.CatTransport, true},
		{200, records.ErrReset, records.CatTransport, true}, {0, records.ErrTLS, records.CatTransport, false},
		{0, records.ErrDNS, records.CatTransport, false}, {0, records.ErrOther, records.CatTransport, false},
		{99, 0, records.CatUnknown, false},
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
	c := mustClassifier(t, Options{})
	a := c.Classify(&Response{Kind: records.ErrTimeout}).Class
	b := c.Classify(&Response{Kind: records.ErrRefused}).Class
	if a == b || a.Category != records.CatTimeout || b.Category != records.CatTransport || a.Dialect != "none" {
		t.Errorf("timeout class %+v, refused class %+v", a.Class, b.Class)
	}
}

// TestSecretsNeverInClassIdentity: an API that echoes a key in its error
// code or message must not put the key in the class's code or pattern,
// which identify the class and are copied into every record, nor in a
// message cut across the key.
func TestSecretsNeverInClassIdentity(t *testing.T) {
	const secret = "mira_live_KzQpWvXyTrLmNbHj" // no digit: the pattern alone would keep it
	c := mustClassifier(t, Options{Secrets: []string{secret, "abc"}})
	cases := []string{
		`{"error": "` + secret + `", "message": "Invalid API key ` + secret + `"}`,
		`{"detail": "` + strings.Repeat("x", 490) + ` key ` + secret + ` is invalid"}`,
		`{"code": "BAD_KEY_` + secret + `", "message": "Invalid token: Bearer abcdefghijklmnopqrstuvwxyzABCDEF"}`,
	}
	for _, body := range cases {
		cl := c.Classify(&Response{Status: 401, Body: []byte(body)}).Class
		for what, v := range map[string]string{"code": cl.Code, "pattern": cl.Pattern, "message": cl.Message, "samples": strings.Join(cl.Samples, " ")} {
			for _, leak := range []string{secret, secret[:12], "abcdefghijklmnopqrstuvwxyz"} {
				if strings.Contains(v, leak) {
					t.Errorf("%s keeps %q: %q", what, leak, v)
				}
			}
		}
		if again := c.Classify(&Response{Status: 401, Body: []byte(body)}).Class; again != cl {
			t.Errorf("a masked class is not found again: %d then %d", cl.ID, again.ID)
		}
	}
}

// TestOverflowKeepsStatus checks that once the table is full, new classes
// overflow into a class of their own status, with its category, and that
// classes without a body are never pushed out.
func TestOverflowKeepsStatus(t *testing.T) {
	c := mustClassifier(t, Options{MaxClasses: 2})
	for _, m := range []string{"alpha", "beta", "gamma"} {
		c.Classify(&Response{Status: 403, Body: []byte(`{"detail": "model mira-` + m + `"}`)})
	}
	daily := c.Classify(&Response{Status: 429, Body: []byte(`{"detail": "Daily request limit exceeded"}`)}).Class
	ok := c.Classify(&Response{Status: 200}).Class
	timeout := c.Classify(&Response{Kind: records.ErrTimeout}).Class
	if !daily.Overflow || daily.Status != 429 || daily.Category != records.CatRateLimit {
		t.Errorf("a 429 beyond the limit = %+v; want the overflow class of 429, rate_limit", daily.Class)
	}
	if ok.Overflow || ok.Category != records.CatSuccess || timeout.Overflow || timeout.Category != records.CatTimeout {
		t.Errorf("200 → %+v, timeout → %+v; want classes of their own", ok.Class, timeout.Class)
	}
	if got := len(c.Classes().Overflowed()); got != 2 {
		t.Errorf("%d overflow classes; want 2 (403 and 429)", got)
	}
}

// TestPathOverrideAppliesPerPath: an override rule with a path decides the
// responses of its path only, whichever path a class meets first.
func TestPathOverrideAppliesPerPath(t *testing.T) {
	for _, first := range []string{"/v1/billing", "/v1/chat"} {
		c := mustClassifier(t, Options{Rules: []Rule{mustRule(t, "path=/v1/billing,status=429,category=payment,retryable=false")}})
		body := []byte(`{"detail": "slow down"}`)
		paths := []string{first, "/v1/billing", "/v1/chat"}
		got := map[string]*Class{}
		for _, p := range paths {
			got[p] = c.Classify(&Response{Status: 429, Body: body, URL: "http://127.0.0.1" + p}).Class
		}
		if b, ch := got["/v1/billing"], got["/v1/chat"]; b.Category != records.CatPayment || b.Retryable || ch.Category != records.CatRateLimit || !ch.Retryable {
			t.Errorf("%s first: billing %s/%t, chat %s/%t; want payment/false, rate_limit/true", first, b.Category, b.Retryable, ch.Category, ch.Retryable)
		}
	}
}

// TestCompressedBodies: a gzip or deflate body (the user asked for one with
// Accept-Encoding) is inflated before it is read, even when the capture
// cut it.
func TestCompressedBodies(t *testing.T) {
	body := `{"error": "Rate Limit Exceeded", "message": "Daily request limit exceeded", "pad": "` + strings.Repeat("z", 5000) + `"}`
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(body))
	w.Close()
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write([]byte(body))
	zw.Close()
	c := mustClassifier(t, Options{BodyLimit: 4096})
	for name, r := range map[string]*Response{
		"gzip":     {Status: 429, ContentEncoding: "gzip", Body: gz.Bytes()},
		"gzip cut": {Status: 429, ContentEncoding: "gzip", Body: gz.Bytes()[:len(gz.Bytes())-12]},
		"deflate":  {Status: 429, ContentEncoding: "deflate", Body: zl.Bytes()},
	} {
		got := c.Classify(r)
		cl := got.Class
		if cl.Pattern != "Rate Limit Exceeded: Daily request limit exceeded" || cl.Retryable {
			t.Errorf("%s: class %q retryable %t; want the daily limit, not retryable", name, cl.Pattern, cl.Retryable)
		}
		// The body as read, for the contract's checks, and the samples
		// are the inflated text, not the compressed bytes.
		if !bytes.HasPrefix(got.Body, []byte(`{"error": "Rate Limit Exceeded"`)) {
			t.Errorf("%s: Classified.Body = %.40q; want the inflated body", name, got.Body)
		}
		for _, sample := range cl.Samples {
			if !strings.HasPrefix(sample, `{"error"`) {
				t.Errorf("%s: sample %.40q is not the inflated body", name, sample)
			}
		}
	}
	bin := c.Classify(&Response{Status: 500, ContentEncoding: "br", Body: []byte{0x0b, 0x02, 0x80, 0xff, 0x00}}).Class
	if bin.Dialect != "binary" || len(bin.Samples) != 0 {
		t.Errorf("an undecodable body: dialect %s, %d samples; want binary, none kept", bin.Dialect, len(bin.Samples))
	}
}

// TestRegexEmptyMatchKeepsCode: a code-regex whose group matches nothing
// leaves the dialect's code.
func TestRegexEmptyMatchKeepsCode(t *testing.T) {
	c := mustClassifier(t, Options{Rules: []Rule{mustRule(t, `code-regex="reason":\s*"([A-Z_]*)"`)}})
	cl := c.Classify(&Response{Status: 400, Body: []byte(`{"code": "BAD_INPUT", "message": "m", "reason": ""}`)}).Class
	if cl.Code != "BAD_INPUT" {
		t.Errorf("code = %q; want BAD_INPUT", cl.Code)
	}
}

// TestMaskSecrets: a stored header value loses the known secrets, longest
// first, and is returned as is when it holds none.
func TestMaskSecrets(t *testing.T) {
	c := mustClassifier(t, Options{Secrets: []string{"Bearer sk-mask-1", "sk-mask-1"}})
	for in, want := range map[string]string{
		"":                             "",
		"3":                            "3",
		"sk-mask-1":                    "[REDACTED]",
		"x Bearer sk-mask-1 sk-mask-1": "x [REDACTED] [REDACTED]",
	} {
		if got := c.MaskSecrets(in); got != want {
			t.Errorf("MaskSecrets(%q) = %q; want %q", in, got, want)
		}
	}
}
