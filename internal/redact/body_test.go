package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

// bodyCases are the table of TestBody and the seeds of FuzzBody.
var bodyCases = []struct {
	name    string
	policy  Policy
	in      string
	secrets []string
	want    string
}{
	// Rule 1: literal secrets and their encoded forms.
	{name: "literal secret", in: "Invalid API key sk-live-abc123", secrets: []string{"sk-live-abc123"},
		want: "Invalid API key [REDACTED]"},
	{name: "literal secret twice", in: "sk-live-abc123 != sk-live-abc123!", secrets: []string{"sk-live-abc123"},
		want: "[REDACTED] != [REDACTED]!"},
	{name: "secret containing another", in: "a abcdefgh b abcd", secrets: []string{"abcd", "abcdefgh"},
		want: "a [REDACTED] b [REDACTED]"},
	{name: "overlapping occurrences", in: "xaaaaay", secrets: []string{"aaaa"}, want: "x[REDACTED]y"},
	{name: "secret JSON-escaped", in: `{"msg":"bad pa\"ss/w\\rd"}`, secrets: []string{`pa"ss/w\rd`},
		want: `{"msg":"bad [REDACTED]"}`},
	{name: "secret JSON-escaped with \\/", in: `{"msg":"bad pa\"ss\/w\\rd"}`, secrets: []string{`pa"ss/w\rd`},
		want: `{"msg":"bad [REDACTED]"}`},
	{name: "secret HTML-escaped", in: `{"msg":"bad a\u003cb\u003ec\u0026d"}`, secrets: []string{"a<b>c&d"},
		want: `{"msg":"bad [REDACTED]"}`},
	{name: "secret query-escaped", in: "GET /?k=s3cr%2Ft%2Bx%3D&q=1", secrets: []string{"s3cr/t+x="},
		want: "GET /?k=[REDACTED]&q=1"},
	{name: "secret path-escaped", in: "no such user /u/p%20w%2Fd", secrets: []string{"p w/d"},
		want: "no such user /u/[REDACTED]"},
	{name: "secrets shorter than 4 bytes ignored", in: "abc is not ab", secrets: []string{"abc", "ab", ""},
		want: "abc is not ab"},
	{name: "blank secret ignored", in: "a    b", secrets: []string{"    "}, want: "a    b"},
	{name: "secret in a non-secret field's message", in: `{"error":{"message":"key sk-123456 is revoked","code":"revoked"}}`,
		secrets: []string{"sk-123456"}, want: `{"error":{"message":"key [REDACTED] is revoked","code":"revoked"}}`},

	// Rule 2: JSON-ish members with secret names.
	{name: "JSON string member", in: `{"token": "abc123"}`, want: `{"token": "[REDACTED]"}`},
	{name: "JSON member without spaces", in: `{"api_key":"sk-1","x":2}`, want: `{"api_key":"[REDACTED]","x":2}`},
	{name: "JSON whitespace around the colon", in: "{\"password\" \t:\n \"hunter2\"}", want: "{\"password\" \t:\n \"[REDACTED]\"}"},
	{name: "JSON escaped quotes in the value", in: `{"secret":"a\"b\\","x":1}`, want: `{"secret":"[REDACTED]","x":1}`},
	{name: "JSON number", in: `{"token": 12345, "x": 1}`, want: `{"token": [REDACTED], "x": 1}`},
	{name: "JSON literal before a brace", in: `{"token":abc}`, want: `{"token":[REDACTED]}`},
	{name: "JSON null, true, false and empty kept", in: `{"token": null, "secret": true, "password": ""}`,
		want: `{"token": null, "secret": true, "password": ""}`},
	{name: "JSON object masked whole", in: `{"auth": {"user":"u","pass":"p}"}, "code": "E1"}`,
		want: `{"auth": [REDACTED], "code": "E1"}`},
	{name: "JSON array masked whole", in: `{"Authorization": ["Bearer abc"], "Accept": ["*/*"]}`,
		want: `{"Authorization": [REDACTED], "Accept": ["*/*"]}`},
	{name: "nested JSON", in: `{"error":{"message":"bad key","api_key":"sk-123456"}}`,
		want: `{"error":{"message":"bad key","api_key":"[REDACTED]"}}`},
	{name: "truncated JSON string", in: `{"error":"x","token":"abc12`, want: `{"error":"x","token":"[REDACTED]`},
	{name: "truncated JSON number", in: `{"token": 123`, want: `{"token": [REDACTED]`},
	{name: "truncated JSON object", in: `{"credentials": {"user": "u", "pa`, want: `{"credentials": [REDACTED]`},
	{name: "truncated after the colon", in: `{"token": `, want: `{"token": `},
	{name: "JSON inside a JSON string", in: `{"body":"{\"api_key\":\"sk-1\\\"x\",\"code\":\"E\"}"}`,
		want: `{"body":"{\"api_key\":\"[REDACTED]\",\"code\":\"E\"}"}`},
	{name: "JSON inside a cut JSON string", in: `{"body":"{\"token\":\"sk-1", "code": 1}`,
		want: `{"body":"{\"token\":\"[REDACTED]", "code": 1}`},
	{name: "Python repr", in: `{'token': 'ab\'c', 'code': 429, 'secret': None}`,
		want: `{'token': '[REDACTED]', 'code': 429, 'secret': None}`},
	{name: "JSON in free text", in: `upstream said: it's {"token":"abc"}`, want: `upstream said: it's {"token":"[REDACTED]"}`},
	{name: "JSON key and sig masked", in: `{"key": "sk-abc", "sig": "c2ln"}`, want: `{"key": "[REDACTED]", "sig": "[REDACTED]"}`},
	{name: "JSON escaped name", in: `{"api\u005fkey": "sk-abc"}`, want: `{"api\u005fkey": "[REDACTED]"}`},
	{name: "error vocabulary kept",
		in:   `{"error":{"code":"RATE_LIMIT_EXCEEDED","type":"rate_limit","message":"slow down","detail":"d","title":"t","error_code":"E42","errorCode":"E42","error_key":"errors.limit"}}`,
		want: `{"error":{"code":"RATE_LIMIT_EXCEEDED","type":"rate_limit","message":"slow down","detail":"d","title":"t","error_code":"E42","errorCode":"E42","error_key":"errors.limit"}}`},
	{name: "token counts kept",
		in:   `{"usage":{"prompt_tokens":12,"total_tokens":42},"tokenUsage":{"input":1},"max_tokens":100,"token_type":"Bearer"}`,
		want: `{"usage":{"prompt_tokens":12,"total_tokens":42},"tokenUsage":{"input":1},"max_tokens":100,"token_type":"Bearer"}`},
	{name: "access tokens masked", in: `{"access_tokens":["t1"],"refresh_token":"r1"}`,
		want: `{"access_tokens":[REDACTED],"refresh_token":"[REDACTED]"}`},
	{name: "non-secret names untouched", in: `{"message": "token expired", "model": "m", "monkey": "x"}`,
		want: `{"message": "token expired", "model": "m", "monkey": "x"}`},
	{name: "user-marked JSON name", policy: NewPolicy("X-Tenant"), in: `{"x-tenant":"t-42"}`, want: `{"x-tenant":"[REDACTED]"}`},
	{name: "user-marked code", policy: NewPolicy("code"), in: `{"code":"abc"}`, want: `{"code":"[REDACTED]"}`},

	// Rule 3: auth schemes in free text.
	{name: "Bearer", in: "Authorization failed for Bearer sk-abc123 (expired)", want: "Authorization failed for Bearer [REDACTED] (expired)"},
	{name: "basic in lower case", in: "got basic dXNlcjpwYXNz==, want more", want: "got basic [REDACTED], want more"},
	{name: "Token scheme", in: "header was TOKEN  abc123def", want: "header was TOKEN  [REDACTED]"},
	{name: "mixed-case credential", in: "Basic YTpi", want: "Basic [REDACTED]"},
	{name: "scheme then words kept", in: "Bearer token required; the token is expired. Use Basic Auth",
		want: "Bearer token required; the token is expired. Use Basic Auth"},
	{name: "auth parameters kept", in: `Bearer realm="api", error="invalid_token"`, want: `Bearer realm="api", error="invalid_token"`},
	{name: "auth parameter after a word", in: "Basic Realm=00 Basic c2s=, Basic c2s9=\"x\"", want: "Basic Realm=00 Basic [REDACTED], Basic c2s9=\"x\""},
	{name: "full stop kept", in: "missing Bearer abc123.", want: "missing Bearer [REDACTED]."},
	{name: "Go header map", in: "map[Authorization:[Bearer abc.def.ghi]]", want: "map[Authorization:[Bearer [REDACTED]]]"},
	{name: "scheme inside a word", in: "tokens abc123 mytoken abc123", want: "tokens abc123 mytoken abc123"},

	// Rule 4: name=value pairs.
	{name: "query pair", in: "GET /x?api_key=abc123&q=1 failed", want: "GET /x?api_key=[REDACTED]&q=1 failed"},
	{name: "form body", in: "password=hunter2&user=bob", want: "password=[REDACTED]&user=bob"},
	{name: "pair in a message", in: "invalid api_key=abc; retry", want: "invalid api_key=[REDACTED]; retry"},
	{name: "escaped pair name", in: "?%74oken=abc", want: "?%74oken=[REDACTED]"},
	{name: "OAuth code in a query", in: `<a href="/cb?code=xyz789&state=1">`, want: `<a href="/cb?code=[REDACTED]&state=1">`},
	{name: "logfmt code kept", in: `level=error code=RATE_LIMITED msg="slow" token=abc`,
		want: `level=error code=RATE_LIMITED msg="slow" token=[REDACTED]`},
	{name: "pair in a JSON string", in: `{"url":"/x?token=abc\u0026q=1"}`, want: `{"url":"/x?token=[REDACTED]\u0026q=1"}`},
	{name: "max_tokens kept", in: "max_tokens=100000 exceeds the limit", want: "max_tokens=100000 exceeds the limit"},
	{name: "user-marked pair", policy: NewPolicy("X-Tenant"), in: "x-tenant=t-42", want: "x-tenant=[REDACTED]"},

	// Rule 5: header-like lines.
	{name: "header lines", in: "GET / HTTP/1.1\r\nAuthorization: Basic dXNlcjpwYXNz\r\nAccept: */*\r\n",
		want: "GET / HTTP/1.1\r\nAuthorization: [REDACTED]\r\nAccept: */*\r\n"},
	{name: "indented YAML", in: "auth:\n  api_key: abc 123\nmodel: m", want: "auth:\n  api_key: [REDACTED]\nmodel: m"},
	{name: "rate-limit header kept", in: "x-ratelimit-remaining-tokens: 0\nx-ratelimit-reset-tokens: 6m0s",
		want: "x-ratelimit-remaining-tokens: 0\nx-ratelimit-reset-tokens: 6m0s"},
	{name: "error lines kept", in: "Unauthorized: invalid credentials\nAuthenticationError: Invalid API key\nTokenExpiredError: jwt expired",
		want: "Unauthorized: invalid credentials\nAuthenticationError: Invalid API key\nTokenExpiredError: jwt expired"},
	{name: "quoted name is no header", in: "'token': 'x'\n", want: "'token': '[REDACTED]'\n"},
	{name: "user-marked header", policy: NewPolicy("X-Tenant"), in: "X-Tenant: t-42", want: "X-Tenant: [REDACTED]"},

	// Combinations and odd texts.
	{name: "HTML", secrets: []string{"sk-123456"},
		in:   `<html><p>Invalid token</p><input name="api_key" value="sk-123456"><a href="/cb#access_token=xyz123&s=1">x</a></html>`,
		want: `<html><p>Invalid token</p><input name="api_key" value="[REDACTED]"><a href="/cb#access_token=[REDACTED]&s=1">x</a></html>`},
	{name: "all rules", secrets: []string{"s3cr3t-value"},
		in:   "{\"error\":{\"code\":\"E\",\"message\":\"s3cr3t-value rejected; Bearer abc.def; password=pw1\",\"token\":\"t1\"}}\nCookie: a=b",
		want: "{\"error\":{\"code\":\"E\",\"message\":\"[REDACTED] rejected; Bearer [REDACTED]; password=[REDACTED]\",\"token\":\"[REDACTED]\"}}\nCookie: [REDACTED]"},
	{name: "invalid UTF-8 kept", in: "\xff\xfe token=abc \xff", want: "\xff\xfe token=[REDACTED] \xff"},
	{name: "masked text unchanged", in: `{"token":"[REDACTED]"} token=[REDACTED] Bearer [REDACTED]`,
		want: `{"token":"[REDACTED]"} token=[REDACTED] Bearer [REDACTED]`},
	{name: "nothing to mask", in: "upstream timed out after 30s", want: "upstream timed out after 30s"},
	{name: "empty", in: "", secrets: []string{"abcd"}, want: ""},
}

func TestBody(t *testing.T) {
	for _, tt := range bodyCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Body(tt.in, tt.secrets); got != tt.want {
				t.Errorf("Body(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestBodyNames pins the names Body treats otherwise than IsSecret.
func TestBodyNames(t *testing.T) {
	p := NewPolicy("X-Tenant")
	tests := []struct {
		name    string
		inQuery bool
		want    bool
	}{
		// Error vocabulary: not secret in bodies, but "code" in a query is OAuth's.
		{"code", false, false}, {"Code", false, false}, {"code", true, true},
		{"error_code", false, false}, {"errorCode", false, false}, {"error-code", false, false},
		{"error_key", false, false}, {"message_key", false, false},
		{"type", false, false}, {"message", false, false}, {"detail", false, false}, {"title", false, false},
		{"Unauthorized", false, false}, {"Unauthenticated", false, false}, {"WWW-Authenticate", false, false},
		{"AuthenticationError", false, false}, {"InvalidTokenException", false, false}, {"auth_failed", false, false},
		{"auth_failure", false, false}, {"token_expired", false, false},
		// Token counts and token metadata.
		{"max_tokens", false, false}, {"prompt_tokens", false, false}, {"total_tokens", false, false},
		{"x-ratelimit-remaining-tokens", false, false}, {"anthropic-ratelimit-input-tokens-limit", false, false},
		{"tokenUsage", false, false}, {"token_count", false, false}, {"token_type", false, false}, {"tokens", false, false},
		// Still secret.
		{"access_tokens", false, true}, {"refresh_tokens", false, true}, {"id_tokens", false, true},
		{"secret_tokens", false, true}, {"token", false, true}, {"access_token", false, true},
		{"key", false, true}, {"sig", false, true}, {"api_key", false, true}, {"Authorization", false, true},
		{"X-Tenant", false, true}, {"x-tenant", true, true},
		{"model", false, false}, {"", false, false},
	}
	for _, tt := range tests {
		if got := p.bodyName(tt.name, tt.inQuery); got != tt.want {
			t.Errorf("bodyName(%q, inQuery %v) = %v; want %v", tt.name, tt.inQuery, got, tt.want)
		}
	}
	if !NewPolicy("code").bodyName("code", false) {
		t.Error(`bodyName("code") = false with "code" marked secret by the user; want true`)
	}
}

func TestBodyFastPathAllocates(t *testing.T) {
	p := NewPolicy("X-Tenant")
	text := "upstream connection reset by peer after 30s (attempt 3 of 3)"
	secrets := []string{"sk-live-abc123", "hunter2!"}
	if n := testing.AllocsPerRun(100, func() { _ = p.Body(text, secrets) }); n != 0 {
		t.Errorf("Body(%q) allocates %v times; want 0", text, n)
	}
}

// FuzzBody puts a secret between arbitrary texts: it must never survive,
// and masking must not grow the text by more than len(Mask) per mask.
//
// The secret must not be a substring of Mask and must hold no '[' or ']':
// an occurrence of such a secret in the output cannot overlap a Mask (it
// would have to hold the Mask's first or last byte), so it lies in bytes
// kept from the input, where every occurrence is masked.
func FuzzBody(f *testing.F) {
	for _, tt := range bodyCases {
		secret := ""
		if len(tt.secrets) > 0 {
			secret = tt.secrets[len(tt.secrets)-1]
		}
		if i := strings.Index(tt.in, secret); secret != "" && i >= 0 {
			f.Add(tt.in[:i], secret, tt.in[i+len(secret):])
		} else {
			f.Add(tt.in, secret, "")
		}
	}
	p := NewPolicy("X-Tenant")
	f.Fuzz(func(t *testing.T, prefix, secret, suffix string) {
		in := prefix + secret + suffix
		secrets := []string{secret}
		out := p.Body(in, secrets)
		if masks := strings.Count(out, Mask); len(out) > len(in)+masks*len(Mask) {
			t.Errorf("Body(%q) = %q: %d bytes from %d with %d masks", in, out, len(out), len(in), masks)
		}
		sound := !strings.ContainsAny(secret, "[]") && !strings.Contains(Mask, secret)
		if usableSecret(secret) && sound && strings.Contains(out, secret) {
			t.Errorf("Body(%q, %q) = %q: the secret survived", in, secret, out)
		}
	})
}

// TestBodyMasksBase64OfSecrets: a secret echoed in base64, at any of the
// three alignments and in either alphabet, is masked with the whole
// encoded run; base64 without it and short secrets are left alone.
func TestBodyMasksBase64OfSecrets(t *testing.T) {
	const secret = "s3cr3t-t0ken+/=x"
	p := NewPolicy()
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
		for _, plain := range []string{"Bearer " + secret, "a" + secret + "zz", "ab" + secret, secret,
			"GET / HTTP/1.1\r\nAuthorization: Bearer " + secret + "\r\nAccept: */*\r\n"} {
			b64 := enc.EncodeToString([]byte(plain))
			in := `{"echo":"` + b64 + `","n":1}`
			if got, want := p.Body(in, []string{secret}), `{"echo":"[REDACTED]","n":1}`; got != want {
				t.Errorf("Body(base64 of %q) = %q; want %q", plain, got, want)
			}
		}
	}
	innocent := `{"echo":"` + base64.StdEncoding.EncodeToString([]byte("nothing secret in here at all")) + `"}`
	if got := p.Body(innocent, []string{secret}); got != innocent {
		t.Errorf("Body(%q) = %q; want it unchanged", innocent, got)
	}
	short := base64.StdEncoding.EncodeToString([]byte("Bearer abc1234"))
	if got := p.Body(short, []string{"abc1234"}); got != short {
		t.Errorf("Body(%q) with a 7-byte secret = %q; want it unchanged", short, got)
	}
}
