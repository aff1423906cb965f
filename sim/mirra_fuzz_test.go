package sim

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// mirraFuzzMethods are the methods FuzzMirraRequest picks from.
var mirraFuzzMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// mirraFuzzAuth are the credentials FuzzMirraRequest picks from: header
// name and value ("" for none).
var mirraFuzzAuth = [][2]string{
	{"X-API-Key", "demo-full"},
	{"Authorization", "Bearer demo-full"},
	{"X-API-Key", "sk-other-0123456789"},
	{"", ""},
	{"Authorization", "Basic ZGVtby1mdWxsOg=="},
	{"X-API-Key", "sk-nope"},
	{"X-API-Key", "demo full"},
	{"X-API-Key", "demo-revoked"},
	{"X-API-Key", "demo-other-service"},
	{"X-API-Key", "demo-free"},
}

// mirraStatuses are the statuses Mirra answers without injected faults.
var mirraStatuses = []int{200, 201, 400, 401, 403, 404, 409, 422, 429}

// FuzzMirraRequest sends arbitrary requests: whatever they are, the answer
// must be a documented status with one of the two documented bodies, and
// the stats must count the body's code. "{agent}" and "{script}" in the
// path stand for the ids of an agent and a script of demo-full's.
func FuzzMirraRequest(f *testing.F) {
	seeds := []struct {
		method uint8
		path   string
		body   string
	}{
		{1, "/api/v1/agents", `{"subdomain":"my-agent","name":"My Agent","systemPrompt":"Hello!"}`},
		{1, "/api/v1/agents", `{"subdomain":"ab","name":"A"}`},
		{1, "/api/v1/agents", `{"subdomain":"My_Agent","name":"A"}`},
		{1, "/api/v1/agents", `{"subdomain":"-agent-","name":1}`},
		{1, "/api/v1/agents", `{"name":"x"}`},
		{0, "/api/v1/agents", ``},
		{0, "/api/v1/agents/{agent}", ``},
		{3, "/api/v1/agents/{agent}", `{"description":"d","category":"c"}`},
		{1, "/api/v1/agents/{agent}/publish", ``},
		{1, "/api/v1/agents/{agent}/unpublish", ``},
		{4, "/api/v1/agents/{agent}", ``},
		{1, "/api/v1/scripts", `{"name":"My Script","code":"..."}`},
		{1, "/api/v1/scripts", `{"name":"s","runtime":"python2.7","code":"print 1"}`},
		{1, "/api/v1/scripts", `{"name":"s","runtime":"nodejs18","code":"function f() {\n}}"}`},
		{1, "/api/v1/scripts", `{"name":"s","runtime":"nodejs18","code":"f()","dependencies":["api_123"]}`},
		{0, "/api/v1/scripts/123abc", ``},
		{2, "/api/v1/scripts/{script}", `{"version":1,"code":"g()"}`},
		{2, "/api/v1/scripts/{script}", `{"version":"1","dependencies":[null]}`},
		{1, "/api/v1/scripts/{script}/publish", ``},
		{1, "/api/v1/scripts/{script}/install", ``},
		{1, "/api/v1/scripts/{script}/unpublish", ``},
		{4, "/api/v1/scripts/{script}", ``},
		{0, "/api/v2/nope", ``},
		{0, "", ``},
		{1, "/api/v1/agents", `[]`},
		{1, "/api/v1/agents", "\xff"},
		{5, "/api/v1/agents", ``},
	}
	for i, sd := range seeds {
		f.Add(sd.method, sd.path, []byte(sd.body), i%2 == 0, uint8(i))
	}
	clock := newFakeClock(epoch)
	s := mustNew(f, Config{Seed: 2, Keys: []KeyConfig{mirraOtherKey}}, clock)
	var ag mirraTestAgent
	mirraMust(f, s, "POST", "/api/v1/agents", "demo-full", `{"subdomain":"fuzz-agent","name":"F"}`, 201, &ag)
	var sc mirraTestScript
	mirraMust(f, s, "POST", "/api/v1/scripts", "demo-full", `{"name":"fuzz","runtime":"nodejs18","code":"f()"}`, 201, &sc)

	f.Fuzz(func(t *testing.T, method uint8, path string, body []byte, flat bool, auth uint8) {
		clock.Advance(time.Second) // keep the buckets from running dry
		path = strings.NewReplacer("{agent}", ag.ID, "{script}", sc.ID).Replace(path)
		if path != "" && path[0] != '/' {
			path = "/" + path // else "/mirra"+path would be another API's prefix
		}
		req := httptest.NewRequest(mirraFuzzMethods[int(method)%len(mirraFuzzMethods)], "/mirra", bytes.NewReader(body))
		req.URL.Path = "/mirra" + path
		if h := mirraFuzzAuth[int(auth)%len(mirraFuzzAuth)]; h[0] != "" {
			req.Header.Set(h[0], h[1])
		}
		if flat {
			req.Header.Set("X-Mirra-Error-Format", "flat")
		}
		before := s.Stats().APIs["mirra"].Codes
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		after := s.Stats().APIs["mirra"].Codes

		if !slices.Contains(mirraStatuses, rec.Code) {
			t.Fatalf("%s %q %q: status %d %s; want one of %v", req.Method, path, body, rec.Code, rec.Body, mirraStatuses)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q; want application/json", ct)
		}
		code := mirraCheckBody(t, rec.Code, rec.Body.Bytes(), flat)
		wantCodes := map[string]int64{}
		if code != "" {
			wantCodes[code] = 1
		}
		if d := mirraDiff(before, after); !maps.Equal(d, wantCodes) {
			t.Fatalf("%s %q: stats counted %v; want %v", req.Method, path, d, wantCodes)
		}
	})
}

// mirraCheckBody checks that body is the success envelope (2xx), the REST
// error envelope or, with flat, the flat error, with nothing else in it,
// and returns the error code ("" for a success).
func mirraCheckBody(t *testing.T, status int, body []byte, flat bool) string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("body %s: not a JSON object: %v", body, err)
	}
	if status < 300 {
		if len(top) != 2 || string(top["success"]) != "true" || top["data"] == nil {
			t.Fatalf("%d body %s: want {\"success\": true, \"data\": …}", status, body)
		}
		return ""
	}
	e := top
	if !flat {
		if len(top) != 2 || string(top["success"]) != "false" || top["error"] == nil {
			t.Fatalf("%d body %s: want {\"success\": false, \"error\": …}", status, body)
		}
		e = nil
		if err := json.Unmarshal(top["error"], &e); err != nil {
			t.Fatalf("%d body %s: error not an object", status, body)
		}
	}
	var code, message string
	if json.Unmarshal(e["code"], &code) != nil || code == "" || json.Unmarshal(e["message"], &message) != nil || message == "" {
		t.Fatalf("%d body %s: want a non-empty code and message", status, body)
	}
	allowed := map[string]bool{"code": true, "message": true, "details": true}
	if flat && code == mirraCodeRateLimit {
		allowed = map[string]bool{"code": true, "message": true, "retryAfter": true}
		var n int64
		if json.Unmarshal(e["retryAfter"], &n) != nil {
			t.Fatalf("%d body %s: want a retryAfter number", status, body)
		}
	}
	for k := range e {
		if !allowed[k] {
			t.Fatalf("%d body %s: unexpected field %q", status, body, k)
		}
	}
	if d, has := e["details"]; has {
		var obj map[string]any
		if json.Unmarshal(d, &obj) != nil || obj == nil {
			t.Fatalf("%d body %s: details not an object", status, body)
		}
	}
	return code
}

// FuzzMirraCodeCheck checks the syntax check on arbitrary code: no panic,
// an error line within the code, a known message, and no error for code
// without brackets, quotes or comments.
func FuzzMirraCodeCheck(f *testing.F) {
	for _, c := range []string{
		"function f() {\n  return 1;\n}}", "def f(:\n    return [1, 2)\n", "`${`${(`}`}`", "/* ( */ x = /[(]/; y = a / b",
		"'''\n(\n'''", "s = 'abc\n'", "f(\n", "", "\n\n", "x = `\\`` + '\\\\' + \"\\\"\"", "# (\n) #",
		"return /\\//.x(", "a = {b: [c(d)]}", "\xff(\xfe",
	} {
		f.Add(c, false)
		f.Add(c, true)
	}
	messages := []string{mirraEndOfInput, mirraNodeBadString, mirraPythonBadString}
	f.Fuzz(func(t *testing.T, code string, python bool) {
		runtime := mirraRuntimeNode
		if python {
			runtime = mirraRuntimePython
		}
		e := mirraCheckCode(runtime, code)
		if e != nil {
			if e.line < 1 || e.line > mirraLastLine(code) {
				t.Fatalf("%s %q: line %d; want 1 to %d", runtime, code, e.line, mirraLastLine(code))
			}
			if !slices.Contains(messages, e.msg) && !(len(e.msg) == len("Unexpected token 'x'") && strings.HasPrefix(e.msg, mirraUnexpectedPrefix) && strings.ContainsAny(e.msg[len(mirraUnexpectedPrefix):], ")]}")) {
				t.Fatalf("%s %q: message %q", runtime, code, e.msg)
			}
		}
		if !strings.ContainsAny(code, "()[]{}'\"`/#") && e != nil {
			t.Fatalf("%s %q: %+v; want no error without brackets, quotes or comments", runtime, code, e)
		}
		// Brackets balanced in any order of kinds, once wrapped, stay as
		// valid as the code was.
		if e == nil {
			if w := mirraCheckCode(runtime, "f(\n"+code+"\n)"); w != nil && !strings.ContainsAny(code, "'\"`/#\\") {
				t.Fatalf("%s %q: valid, but wrapped in f( ) gives %+v", runtime, code, w)
			}
		}
	})
}
