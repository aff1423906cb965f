package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The seed documents of the Mirra REST API, beside the repository.
var (
	mirraRESTSeed = filepath.Join("..", "..", "shared", "seeds", "mirra-rest-api-errors.txt")
	mirraSDKSeed  = filepath.Join("..", "..", "shared", "seeds", "mirra-sdk-errors.txt")
)

// mirraOtherKey is a second full-plan key, to own resources that demo-full
// may not touch.
var mirraOtherKey = KeyConfig{Name: "other", Key: "sk-other-0123456789", Plan: "full"}

// mirraReq is a request to Mirra at path (after /mirra) with demo-full's
// X-API-Key.
func mirraReq(method, path, body string) call {
	return mirraAs("demo-full", call{method: method, path: "/mirra" + path, body: body})
}

// mirraAs returns c with the X-API-Key of the key secret.
func mirraAs(secret string, c call) call {
	c.header = maps.Clone(c.header)
	if c.header == nil {
		c.header = map[string]string{}
	}
	c.header["X-API-Key"] = secret
	return c
}

// mirraNoKey is a request without a credential.
func mirraNoKey(method, path, body string) call {
	return call{method: method, path: "/mirra" + path, body: body}
}

// mirraWithHeader returns c with one more header.
func mirraWithHeader(c call, name, value string) call {
	c.header = maps.Clone(c.header)
	if c.header == nil {
		c.header = map[string]string{}
	}
	c.header[name] = value
	return c
}

// mirraBearerOnly returns c authenticated by an Authorization header only.
func mirraBearerOnly(c call, auth string) call {
	c.header = nil
	c.auth = auth
	return c
}

// Bodies used by the cases.
const (
	mirraAgentBody   = `{"subdomain":"my-agent","name":"My Agent","systemPrompt":"Hello!","description":"Says hello","category":"fun"}`
	mirraAgentBody2  = `{"subdomain":"other-agent","name":"Other Agent","description":"Says hi","category":"fun"}`
	mirraBareAgent   = `{"subdomain":"bare-agent","name":"Bare"}`
	mirraScriptBody  = `{"name":"s1","runtime":"nodejs18","code":"function f() {\n  return 1;\n}"}`
	mirraScriptBody2 = `{"name":"s2","runtime":"python3.11","code":"def f():\n    return [1, 2]\n"}`
)

// mirraStep is a request of a case's setup, which must succeed; save names
// the variable ($A, $B, …) that keeps the id of the answer's data.
type mirraStep struct {
	c    call
	save string
}

// mirraErrorCase is one error case: the setup that makes the state, the
// request, and the whole answer expected.
type mirraErrorCase struct {
	name    string
	cfg     *Config // nil: seed 1, fault header allowed, mirraOtherKey
	setup   []mirraStep
	c       call
	status  int
	code    string
	message string
	details string // JSON of the details; "" for none
	// retryAfter is the Retry-After header wanted, "" for none.
	retryAfter string
	// key is the name the stats count the request under; "" for demo-full.
	key string
	// pre marks answers decided before the rate limit: without
	// X-RateLimit headers.
	pre bool
	// limit is the X-RateLimit-Limit wanted otherwise; "" for 10000.
	limit string
}

func mirraSave(c call, name string) mirraStep { return mirraStep{c: c, save: name} }
func mirraDo(c call) mirraStep                { return mirraStep{c: c} }

var (
	mirraCreateA      = mirraSave(mirraReq("POST", "/api/v1/agents", mirraAgentBody), "A")
	mirraCreateOtherA = mirraSave(mirraAs(mirraOtherKey.Key, mirraReq("POST", "/api/v1/agents", mirraAgentBody)), "A")
	mirraCreateS      = mirraSave(mirraReq("POST", "/api/v1/scripts", mirraScriptBody), "S")
	mirraCreateOtherS = mirraSave(mirraAs(mirraOtherKey.Key, mirraReq("POST", "/api/v1/scripts", mirraScriptBody)), "S")
)

// mirraOther returns c sent with the other key.
func mirraOther(c call) call { return mirraAs(mirraOtherKey.Key, c) }

var mirraErrorCases = []mirraErrorCase{
	// 404 NOT_FOUND: routes, before authentication.
	{name: "unknown path without a key", c: mirraNoKey("GET", "/api/v1/nope", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", key: KeyMissing, pre: true},
	{name: "unknown version", c: mirraReq("GET", "/api/v2/agents", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "prefix only", c: mirraReq("GET", "", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "DELETE on the collection", c: mirraReq("DELETE", "/api/v1/agents", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "PATCH on a script", c: mirraReq("PATCH", "/api/v1/scripts/scr_1", `{}`),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "PUT on an agent", c: mirraReq("PUT", "/api/v1/agents/agt_1", `{}`),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "install an agent", c: mirraReq("POST", "/api/v1/agents/agt_1/install", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "GET publish", c: mirraReq("GET", "/api/v1/scripts/scr_1/publish", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "trailing slash", c: mirraReq("GET", "/api/v1/agents/", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},
	{name: "too deep", c: mirraReq("POST", "/api/v1/scripts/scr_1/install/now", ""),
		status: 404, code: "NOT_FOUND", message: "Resource not found", pre: true},

	// 401 and 403: authentication.
	{name: "missing credential", c: mirraNoKey("GET", "/api/v1/agents", ""),
		status: 401, code: "AUTHENTICATION_ERROR", message: "Authentication required", key: KeyMissing, pre: true},
	{name: "bearer without a token", c: mirraBearerOnly(mirraReq("GET", "/api/v1/agents", ""), "Bearer"),
		status: 401, code: "AUTHENTICATION_ERROR", message: "Authentication required", key: KeyMissing, pre: true},
	{name: "another scheme", c: mirraBearerOnly(mirraReq("GET", "/api/v1/agents", ""), "Basic ZGVtby1mdWxsOg=="),
		status: 401, code: "UNAUTHORIZED", message: "Unauthorized", key: KeyUnknown, pre: true},
	{name: "unknown X-API-Key", c: mirraAs("sk-nope", mirraReq("GET", "/api/v1/agents", "")),
		status: 401, code: "INVALID_API_KEY", message: "Invalid API key", key: KeyUnknown, pre: true},
	{name: "unknown bearer key", c: mirraBearerOnly(mirraReq("GET", "/api/v1/agents", ""), "Bearer sk-nope"),
		status: 401, code: "INVALID_API_KEY", message: "Invalid API key", key: KeyUnknown, pre: true},
	{name: "key with a space", c: mirraAs("demo full", mirraReq("GET", "/api/v1/agents", "")),
		status: 401, code: "AUTHENTICATION_ERROR", message: "Malformed API key", key: KeyUnknown, pre: true},
	{name: "key with a tab", c: mirraAs("demo\tfull", mirraReq("GET", "/api/v1/agents", "")),
		status: 401, code: "AUTHENTICATION_ERROR", message: "Malformed API key", key: KeyUnknown, pre: true},
	{name: "key too long", c: mirraAs(strings.Repeat("k", 257), mirraReq("GET", "/api/v1/agents", "")),
		status: 401, code: "AUTHENTICATION_ERROR", message: "Malformed API key", key: KeyUnknown, pre: true},
	{name: "bearer key with a space", c: mirraBearerOnly(mirraReq("GET", "/api/v1/agents", ""), "Bearer demo full"),
		status: 401, code: "AUTHENTICATION_ERROR", message: "Malformed API key", key: KeyUnknown, pre: true},
	{name: "revoked key", c: mirraAs("demo-revoked", mirraReq("GET", "/api/v1/agents", "")),
		status: 401, code: "AUTHENTICATION_ERROR", message: "API key has been revoked", key: "demo-revoked", pre: true},
	{name: "revoked bearer key", c: mirraBearerOnly(mirraReq("GET", "/api/v1/agents", ""), "Bearer demo-revoked"),
		status: 401, code: "AUTHENTICATION_ERROR", message: "API key has been revoked", key: "demo-revoked", pre: true},
	{name: "key for another service", c: mirraAs("demo-other-service", mirraReq("GET", "/api/v1/agents", "")),
		status: 403, code: "PERMISSION_DENIED", message: "API key lacks the permissions for this service", details: `{}`,
		key: "demo-other-service", pre: true},

	// 429 RATE_LIMIT_EXCEEDED.
	{name: "rate limited", cfg: &Config{Controls: Controls{RateLimit: 1.0 / 60}},
		setup:  []mirraStep{mirraDo(mirraReq("GET", "/api/v1/agents", ""))},
		c:      mirraReq("GET", "/api/v1/agents", ""),
		status: 429, code: "RATE_LIMIT_EXCEEDED", message: "Rate limit exceeded. Try again in 60 seconds.",
		details: `{"retryAfter":60}`, retryAfter: "60", limit: "1"},
	{name: "free plan burst",
		setup:  []mirraStep{mirraDo(mirraAs("demo-free", mirraReq("GET", "/api/v1/agents", ""))), mirraDo(mirraAs("demo-free", mirraReq("GET", "/api/v1/scripts", "")))},
		c:      mirraAs("demo-free", mirraReq("POST", "/api/v1/agents", mirraAgentBody)),
		status: 429, code: "RATE_LIMIT_EXCEEDED", message: "Rate limit exceeded. Try again in 1 seconds.",
		details: `{"retryAfter":1}`, retryAfter: "1", key: "demo-free", limit: "2"},

	// 400 VALIDATION_ERROR: bodies.
	{name: "invalid JSON", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":`),
		status: 400, code: "VALIDATION_ERROR", message: "Invalid JSON in request body"},
	{name: "JSON not an object", c: mirraReq("POST", "/api/v1/scripts", `["s1"]`),
		status: 400, code: "VALIDATION_ERROR", message: "Invalid JSON in request body"},
	{name: "empty body", c: mirraReq("POST", "/api/v1/agents", ``),
		status: 400, code: "VALIDATION_ERROR", message: "Invalid JSON in request body"},
	{name: "body too large", c: mirraReq("POST", "/api/v1/scripts", `{"name":"`+strings.Repeat("x", mirraMaxBody)+`"}`),
		status: 400, code: "VALIDATION_ERROR", message: "Request body too large (the limit is 1 MiB)"},

	// Creating an agent.
	{name: "agent without name", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"my-agent"}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "name is required", details: `{"field":"name"}`},
	{name: "agent with null name", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"my-agent","name":null}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "name is required", details: `{"field":"name"}`},
	{name: "agent with blank subdomain", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"  ","name":"A"}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "subdomain is required", details: `{"field":"subdomain"}`},
	{name: "agent name not a string", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"my-agent","name":42}`),
		status: 400, code: "INVALID_INPUT", message: "Invalid value for field 'name'"},
	{name: "agent description not a string", c: mirraReq("POST", "/api/v1/agents", `{"description":["a"]}`),
		status: 400, code: "INVALID_INPUT", message: "Invalid value for field 'description'"},
	{name: "subdomain too short", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"ab","name":"A"}`),
		status: 400, code: "VALIDATION_ERROR", message: "subdomain must be between 3 and 30 characters",
		details: `{"field":"subdomain","value":"ab"}`},
	{name: "subdomain too long", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"`+strings.Repeat("a", 31)+`","name":"A"}`),
		status: 400, code: "VALIDATION_ERROR", message: "subdomain must be between 3 and 30 characters",
		details: `{"field":"subdomain","value":"` + strings.Repeat("a", 31) + `"}`},
	{name: "subdomain with uppercase and underscore", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"My_Agent","name":"A"}`),
		status: 400, code: "INVALID_SUBDOMAIN", message: "Subdomain can only contain lowercase letters, numbers, and hyphens"},
	{name: "subdomain with a non-ASCII letter", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"café","name":"A"}`),
		status: 400, code: "INVALID_SUBDOMAIN", message: "Subdomain can only contain lowercase letters, numbers, and hyphens"},
	{name: "subdomain starting with a hyphen", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"-agent","name":"A"}`),
		status: 400, code: "INVALID_SUBDOMAIN", message: "Subdomain cannot start or end with a hyphen"},
	{name: "subdomain ending with a hyphen", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"agent-","name":"A"}`),
		status: 400, code: "INVALID_SUBDOMAIN", message: "Subdomain cannot start or end with a hyphen"},
	{name: "subdomain starting with a digit", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"1agent","name":"A"}`),
		status: 400, code: "INVALID_SUBDOMAIN", message: "Subdomain must start with a letter"},
	{name: "agent name too long", c: mirraReq("POST", "/api/v1/agents", `{"subdomain":"my-agent","name":"`+strings.Repeat("é", 101)+`"}`),
		status: 400, code: "VALIDATION_ERROR", message: "name must be at most 100 characters", details: `{"field":"name"}`},
	{name: "subdomain taken by another key", setup: []mirraStep{mirraCreateOtherA},
		c:      mirraReq("POST", "/api/v1/agents", mirraAgentBody),
		status: 409, code: "SUBDOMAIN_TAKEN", message: "The subdomain 'my-agent' is already taken"},
	{name: "subdomain taken by oneself", setup: []mirraStep{mirraCreateA},
		c:      mirraReq("POST", "/api/v1/agents", `{"subdomain":"my-agent","name":"Another"}`),
		status: 409, code: "SUBDOMAIN_TAKEN", message: "The subdomain 'my-agent' is already taken"},

	// One agent.
	{name: "unknown agent", c: mirraReq("GET", "/api/v1/agents/x", ""),
		status: 404, code: "AGENT_NOT_FOUND", message: "Agent with ID 'x' not found"},
	{name: "deleted agent", setup: []mirraStep{mirraCreateA, mirraDo(mirraReq("DELETE", "/api/v1/agents/$A", ""))},
		c:      mirraReq("DELETE", "/api/v1/agents/$A", ""),
		status: 404, code: "AGENT_NOT_FOUND", message: "Agent with ID '$A' not found"},
	{name: "unknown agent before the body", c: mirraReq("PATCH", "/api/v1/agents/x", `{`),
		status: 404, code: "AGENT_NOT_FOUND", message: "Agent with ID 'x' not found"},
	{name: "another key's agent", setup: []mirraStep{mirraCreateOtherA},
		c:      mirraReq("GET", "/api/v1/agents/$A", ""),
		status: 403, code: "PERMISSION_DENIED", message: "You do not have permission to access this resource", details: `{}`},
	{name: "patch another key's agent", setup: []mirraStep{mirraCreateOtherA},
		c:      mirraReq("PATCH", "/api/v1/agents/$A", `{"name":"Mine"}`),
		status: 403, code: "PERMISSION_DENIED", message: "You do not have permission to access this resource", details: `{}`},
	{name: "delete another key's agent", setup: []mirraStep{mirraCreateOtherA},
		c:      mirraReq("DELETE", "/api/v1/agents/$A", ""),
		status: 403, code: "PERMISSION_DENIED", message: "You do not have permission to access this resource", details: `{}`},
	{name: "publish another key's agent", setup: []mirraStep{mirraCreateOtherA},
		c:      mirraReq("POST", "/api/v1/agents/$A/publish", ""),
		status: 403, code: "PERMISSION_DENIED", message: "You do not have permission to access this resource", details: `{}`},
	{name: "patch with invalid JSON", setup: []mirraStep{mirraCreateA},
		c:      mirraReq("PATCH", "/api/v1/agents/$A", `nope`),
		status: 400, code: "VALIDATION_ERROR", message: "Invalid JSON in request body"},
	{name: "patch blanking the name", setup: []mirraStep{mirraCreateA},
		c:      mirraReq("PATCH", "/api/v1/agents/$A", `{"name":""}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "name is required", details: `{"field":"name"}`},
	{name: "patch with a bad type", setup: []mirraStep{mirraCreateA},
		c:      mirraReq("PATCH", "/api/v1/agents/$A", `{"category":true}`),
		status: 400, code: "INVALID_INPUT", message: "Invalid value for field 'category'"},
	{name: "patch to a short subdomain", setup: []mirraStep{mirraCreateA},
		c:      mirraReq("PATCH", "/api/v1/agents/$A", `{"subdomain":"x"}`),
		status: 400, code: "VALIDATION_ERROR", message: "subdomain must be between 3 and 30 characters",
		details: `{"field":"subdomain","value":"x"}`},
	{name: "patch to a taken subdomain", setup: []mirraStep{mirraCreateOtherA, mirraSave(mirraReq("POST", "/api/v1/agents", mirraAgentBody2), "B")},
		c:      mirraReq("PATCH", "/api/v1/agents/$B", `{"subdomain":"my-agent"}`),
		status: 409, code: "SUBDOMAIN_TAKEN", message: "The subdomain 'my-agent' is already taken"},
	{name: "patch clearing a published agent's description", setup: []mirraStep{mirraCreateA, mirraDo(mirraReq("POST", "/api/v1/agents/$A/publish", ""))},
		c:      mirraReq("PATCH", "/api/v1/agents/$A", `{"description":" "}`),
		status: 400, code: "VALIDATION_ERROR", message: "description cannot be removed from a published agent; unpublish it first",
		details: `{"field":"description"}`},

	// Publishing an agent.
	{name: "publish without description", setup: []mirraStep{mirraSave(mirraReq("POST", "/api/v1/agents", mirraBareAgent), "A")},
		c:      mirraReq("POST", "/api/v1/agents/$A/publish", ""),
		status: 400, code: "VALIDATION_ERROR", message: "description is required to publish", details: `{"field":"description"}`},
	{name: "publish without category", setup: []mirraStep{
		mirraSave(mirraReq("POST", "/api/v1/agents", mirraBareAgent), "A"),
		mirraDo(mirraReq("PATCH", "/api/v1/agents/$A", `{"description":"Does things"}`))},
		c:      mirraReq("POST", "/api/v1/agents/$A/publish", ""),
		status: 400, code: "VALIDATION_ERROR", message: "category is required to publish", details: `{"field":"category"}`},
	{name: "agent already published", setup: []mirraStep{mirraCreateA, mirraDo(mirraReq("POST", "/api/v1/agents/$A/publish", ""))},
		c:      mirraReq("POST", "/api/v1/agents/$A/publish", ""),
		status: 409, code: "ALREADY_PUBLISHED", message: "This agent is already published"},
	{name: "unpublish an unpublished agent", setup: []mirraStep{mirraCreateA},
		c:      mirraReq("POST", "/api/v1/agents/$A/unpublish", ""),
		status: 409, code: "NOT_PUBLISHED", message: "This agent is not published"},
	{name: "delete a published agent", setup: []mirraStep{mirraCreateA, mirraDo(mirraReq("POST", "/api/v1/agents/$A/publish", ""))},
		c:      mirraReq("DELETE", "/api/v1/agents/$A", ""),
		status: 409, code: "CANNOT_DELETE_PUBLISHED", message: "Cannot delete a published agent. Unpublish it first."},

	// Creating a script.
	{name: "script without name", c: mirraReq("POST", "/api/v1/scripts", `{"runtime":"nodejs18","code":"x()"}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "name is required", details: `{"field":"name"}`},
	{name: "script without runtime", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","code":"x()"}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "runtime is required", details: `{"field":"runtime"}`},
	{name: "script without code", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"\n"}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "code is required", details: `{"field":"code"}`},
	{name: "runtime not a string", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":18,"code":"x()"}`),
		status: 400, code: "INVALID_INPUT", message: "Invalid value for field 'runtime'"},
	{name: "dependencies not an array", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"x()","dependencies":"api_123"}`),
		status: 400, code: "INVALID_INPUT", message: "Invalid value for field 'dependencies'"},
	{name: "dependency null", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"x()","dependencies":[null]}`),
		status: 400, code: "INVALID_INPUT", message: "Invalid value for field 'dependencies'"},
	{name: "unsupported runtime", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"python2.7","code":"print 1"}`),
		status: 400, code: "INVALID_RUNTIME", message: "Runtime 'python2.7' is not supported. Use 'nodejs18' or 'python3.11'"},
	{name: "code too long", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"`+strings.Repeat("x", 16<<10+1)+`"}`),
		status: 400, code: "VALIDATION_ERROR", message: "code must be at most 16384 bytes", details: `{"field":"code"}`},
	{name: "too many dependencies", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"x()","dependencies":[`+strings.Repeat(`"d",`, 20)+`"d"]}`),
		status: 400, code: "VALIDATION_ERROR", message: "dependencies must have at most 20 items", details: `{"field":"dependencies"}`},
	{name: "code with an extra brace", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"function f() {\n  return 1;\n}}\n"}`),
		status: 422, code: "INVALID_CODE", message: "Script contains syntax errors", details: `{"line":3,"error":"Unexpected token '}'"}`},
	{name: "code never closed", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"function f() {\n  return 1;\n"}`),
		status: 422, code: "INVALID_CODE", message: "Script contains syntax errors", details: `{"line":3,"error":"Unexpected end of input"}`},
	{name: "python code with a mismatched bracket", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"python3.11","code":"def f(:\n    return [1, 2)\n"}`),
		status: 422, code: "INVALID_CODE", message: "Script contains syntax errors", details: `{"line":2,"error":"Unexpected token ')'"}`},
	{name: "dependency not found", c: mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"nodejs18","code":"x()","dependencies":["api_123"]}`),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource 'api_123' not found", details: `{"dependency":"api_123","type":"resource"}`},
	{name: "dependency not published", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("POST", "/api/v1/scripts", `{"name":"s2","runtime":"nodejs18","code":"x()","dependencies":["$S"]}`),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource '$S' is not published", details: `{"dependency":"$S","type":"resource"}`},
	{name: "script name taken", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("POST", "/api/v1/scripts", `{"name":"s1","runtime":"python3.11","code":"pass"}`),
		status: 409, code: "ALREADY_EXISTS", message: "A resource with this name already exists"},

	// One script.
	{name: "unknown script", c: mirraReq("GET", "/api/v1/scripts/123abc", ""),
		status: 404, code: "SCRIPT_NOT_FOUND", message: "Script with ID '123abc' not found"},
	{name: "install an unknown script", c: mirraReq("POST", "/api/v1/scripts/123abc/install", ""),
		status: 404, code: "SCRIPT_NOT_FOUND", message: "Script with ID '123abc' not found"},
	{name: "another key's script", setup: []mirraStep{mirraCreateOtherS},
		c:      mirraReq("GET", "/api/v1/scripts/$S", ""),
		status: 403, code: "PERMISSION_DENIED", message: "You do not have permission to access this resource", details: `{}`},
	{name: "put another key's script", setup: []mirraStep{mirraCreateOtherS},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"code":"y()"}`),
		status: 403, code: "PERMISSION_DENIED", message: "You do not have permission to access this resource", details: `{}`},
	{name: "unpublish another key's script", setup: []mirraStep{mirraCreateOtherS, mirraDo(mirraOther(mirraReq("POST", "/api/v1/scripts/$S/publish", "")))},
		c:      mirraReq("POST", "/api/v1/scripts/$S/unpublish", ""),
		status: 403, code: "PERMISSION_DENIED", message: "You do not have permission to access this resource", details: `{}`},
	{name: "stale version", setup: []mirraStep{mirraCreateS, mirraDo(mirraReq("PUT", "/api/v1/scripts/$S", `{"version":1,"code":"y()"}`))},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"version":1,"code":"z()"}`),
		status: 409, code: "CONFLICT", message: "Resource is in a conflicting state"},
	{name: "version from the future", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"version":2,"code":"z()"}`),
		status: 409, code: "CONFLICT", message: "Resource is in a conflicting state"},
	{name: "version not an integer", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"version":"1"}`),
		status: 400, code: "INVALID_INPUT", message: "Invalid value for field 'version'"},
	{name: "put blanking the code", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"code":""}`),
		status: 400, code: "MISSING_REQUIRED_FIELD", message: "code is required", details: `{"field":"code"}`},
	{name: "put an unsupported runtime", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"runtime":"ruby3"}`),
		status: 400, code: "INVALID_RUNTIME", message: "Runtime 'ruby3' is not supported. Use 'nodejs18' or 'python3.11'"},
	{name: "rename to a taken name", setup: []mirraStep{mirraCreateS, mirraSave(mirraReq("POST", "/api/v1/scripts", mirraScriptBody2), "T")},
		c:      mirraReq("PUT", "/api/v1/scripts/$T", `{"name":"s1"}`),
		status: 409, code: "ALREADY_EXISTS", message: "A resource with this name already exists"},
	{name: "put bad code into a published script", setup: []mirraStep{mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", ""))},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"code":"f(\n[)\n"}`),
		status: 422, code: "INVALID_CODE", message: "Script contains syntax errors", details: `{"line":2,"error":"Unexpected token ')'"}`},
	{name: "put a dependency not found", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"dependencies":["scr_gone"]}`),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource 'scr_gone' not found", details: `{"dependency":"scr_gone","type":"resource"}`},
	{name: "circular dependency", setup: []mirraStep{
		mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", "")),
		mirraSave(mirraReq("POST", "/api/v1/scripts", `{"name":"s2","runtime":"nodejs18","code":"x()","dependencies":["$S"]}`), "T"),
		mirraDo(mirraReq("POST", "/api/v1/scripts/$T/publish", ""))},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"dependencies":["$T"]}`),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource '$T' depends on this script", details: `{"dependency":"$T","type":"resource"}`},
	{name: "dependency on itself", setup: []mirraStep{mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", ""))},
		c:      mirraReq("PUT", "/api/v1/scripts/$S", `{"dependencies":["$S"]}`),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource '$S' depends on this script", details: `{"dependency":"$S","type":"resource"}`},

	// Publishing, unpublishing, installing and deleting a script.
	{name: "publish a draft with bad code", setup: []mirraStep{mirraCreateS, mirraDo(mirraReq("PUT", "/api/v1/scripts/$S", `{"code":"if (x) {\n  y()\n"}`))},
		c:      mirraReq("POST", "/api/v1/scripts/$S/publish", ""),
		status: 422, code: "INVALID_CODE", message: "Script contains syntax errors", details: `{"line":3,"error":"Unexpected end of input"}`},
	{name: "publish with an unpublished dependency", setup: []mirraStep{
		mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", "")),
		mirraSave(mirraReq("POST", "/api/v1/scripts", `{"name":"s2","runtime":"nodejs18","code":"x()","dependencies":["$S"]}`), "T"),
		mirraDo(mirraReq("POST", "/api/v1/scripts/$S/unpublish", ""))},
		c:      mirraReq("POST", "/api/v1/scripts/$T/publish", ""),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource '$S' is not published", details: `{"dependency":"$S","type":"resource"}`},
	{name: "publish with a deleted dependency", setup: []mirraStep{
		mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", "")),
		mirraSave(mirraReq("POST", "/api/v1/scripts", `{"name":"s2","runtime":"nodejs18","code":"x()","dependencies":["$S"]}`), "T"),
		mirraDo(mirraReq("POST", "/api/v1/scripts/$S/unpublish", "")),
		mirraDo(mirraReq("DELETE", "/api/v1/scripts/$S", ""))},
		c:      mirraReq("POST", "/api/v1/scripts/$T/publish", ""),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource '$S' not found", details: `{"dependency":"$S","type":"resource"}`},
	{name: "script already published", setup: []mirraStep{mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", ""))},
		c:      mirraReq("POST", "/api/v1/scripts/$S/publish", ""),
		status: 409, code: "ALREADY_PUBLISHED", message: "This script is already published"},
	{name: "unpublish an unpublished script", setup: []mirraStep{mirraCreateS},
		c:      mirraReq("POST", "/api/v1/scripts/$S/unpublish", ""),
		status: 409, code: "NOT_PUBLISHED", message: "This script is not published"},
	{name: "install an unpublished script", setup: []mirraStep{mirraCreateOtherS},
		c:      mirraReq("POST", "/api/v1/scripts/$S/install", ""),
		status: 409, code: "NOT_PUBLISHED", message: "This script must be published before it can be installed"},
	{name: "install one's own script", setup: []mirraStep{mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", ""))},
		c:      mirraReq("POST", "/api/v1/scripts/$S/install", ""),
		status: 403, code: "PERMISSION_DENIED", message: "Cannot install your own script", details: `{}`},
	{name: "install with an unpublished dependency", setup: []mirraStep{
		mirraCreateOtherS, mirraDo(mirraOther(mirraReq("POST", "/api/v1/scripts/$S/publish", ""))),
		mirraSave(mirraOther(mirraReq("POST", "/api/v1/scripts", `{"name":"s2","runtime":"nodejs18","code":"x()","dependencies":["$S"]}`)), "T"),
		mirraDo(mirraOther(mirraReq("POST", "/api/v1/scripts/$T/publish", ""))),
		mirraDo(mirraOther(mirraReq("POST", "/api/v1/scripts/$S/unpublish", "")))},
		c:      mirraReq("POST", "/api/v1/scripts/$T/install", ""),
		status: 422, code: "INVALID_DEPENDENCY", message: "Resource '$S' is not published", details: `{"dependency":"$S","type":"resource"}`},
	{name: "delete a published script", setup: []mirraStep{mirraCreateS, mirraDo(mirraReq("POST", "/api/v1/scripts/$S/publish", ""))},
		c:      mirraReq("DELETE", "/api/v1/scripts/$S", ""),
		status: 409, code: "CANNOT_DELETE_PUBLISHED", message: "Cannot delete a published script. Unpublish it first."},

	// Faults of the simulation.
	{name: "internal error", c: mirraWithHeader(mirraReq("GET", "/api/v1/agents", ""), FaultHeader, "500"),
		status: 500, code: "INTERNAL_ERROR", message: "An unexpected error occurred. Please try again.", pre: true},
	{name: "bad gateway", c: mirraWithHeader(mirraReq("POST", "/api/v1/scripts", mirraScriptBody), FaultHeader, "502"),
		status: 502, code: "ADAPTER_ERROR", message: "Failed to execute operation", details: `{}`, pre: true},
	{name: "service unavailable", c: mirraWithHeader(mirraReq("GET", "/api/v1/agents", ""), FaultHeader, "503"),
		status: 503, code: "SERVICE_UNAVAILABLE", message: "Service temporarily unavailable. Please try again.", pre: true},
	{name: "gateway timeout", c: mirraWithHeader(mirraReq("GET", "/api/v1/agents", ""), FaultHeader, "504"),
		status: 504, code: "ADAPTER_ERROR", message: "Timeout communicating with an external service", details: `{}`, pre: true},
	{name: "outage", cfg: &Config{Controls: Controls{Outages: []Window{{Start: 0, Duration: 10 * time.Second}}}},
		c:      mirraReq("GET", "/api/v1/agents", ""),
		status: 503, code: "SERVICE_UNAVAILABLE", message: "Service temporarily unavailable. Please try again.", retryAfter: "10", pre: true},
	{name: "fault before route and authentication", c: mirraWithHeader(mirraNoKey("GET", "/nope", ""), FaultHeader, "500"),
		status: 500, code: "INTERNAL_ERROR", message: "An unexpected error occurred. Please try again.", key: KeyMissing, pre: true},
	{name: "fault counted under the bearer key", c: mirraWithHeader(mirraBearerOnly(mirraReq("GET", "/api/v1/agents", ""), "Bearer demo-revoked"), FaultHeader, "503"),
		status: 503, code: "SERVICE_UNAVAILABLE", message: "Service temporarily unavailable. Please try again.", key: "demo-revoked", pre: true},
}

// mirraDecode decodes a JSON body, failing the test if it is not JSON.
func mirraDecode(tb testing.TB, body string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		tb.Fatalf("body %q is not JSON: %v", body, err)
	}
	return v
}

// mirraWantError is the decoded error body wanted: the REST envelope, or
// the flat form.
func mirraWantError(tb testing.TB, flat bool, code, message, details string, retry *int64) any {
	tb.Helper()
	e := map[string]any{"code": code, "message": message}
	if details != "" {
		e["details"] = mirraDecode(tb, details)
	}
	if flat {
		if retry != nil {
			delete(e, "details")
			e["retryAfter"] = float64(*retry)
		}
		return e
	}
	return map[string]any{"success": false, "error": e}
}

// mirraDiff is after minus before, without the zeros.
func mirraDiff(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// mirraRun sends the setup of a case, each step of which must succeed,
// and returns the replacer of its variables ($A → the id saved as A).
func mirraRun(t *testing.T, base string, client *http.Client, setup []mirraStep) *strings.Replacer {
	t.Helper()
	var pairs []string
	for i, st := range setup {
		c := st.c
		r := strings.NewReplacer(pairs...)
		c.path, c.body = r.Replace(c.path), r.Replace(c.body)
		a := do(t, client, base, c)
		if a.status/100 != 2 {
			t.Fatalf("setup %d: %s %s = %d %s; want a success", i+1, c.method, c.path, a.status, a.body)
		}
		if st.save != "" {
			var ok struct {
				Success bool `json:"success"`
				Data    struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(a.body), &ok); err != nil || !ok.Success || ok.Data.ID == "" {
				t.Fatalf("setup %d: %s; want a success with data.id", i+1, a.body)
			}
			pairs = append(pairs, "$"+st.save, ok.Data.ID)
		}
	}
	return strings.NewReplacer(pairs...)
}

// TestMirraErrors sends every error case in the REST and the flat form,
// checking the whole answer, its headers and the stats.
func TestMirraErrors(t *testing.T) {
	for _, tc := range mirraErrorCases {
		for _, flat := range []bool{false, true} {
			name := tc.name + "/rest"
			if flat {
				name = tc.name + "/flat"
			}
			t.Run(name, func(t *testing.T) {
				cfg := Config{Seed: 1, Keys: []KeyConfig{mirraOtherKey}}
				if tc.cfg != nil {
					cfg = *tc.cfg
					cfg.Keys = append(cfg.Keys, mirraOtherKey)
				}
				cfg.AllowFaultHeader = true
				s := mustNew(t, cfg, newFakeClock(epoch))
				ts := mustServe(t, s)
				vars := mirraRun(t, ts.URL, ts.Client(), tc.setup)

				c := tc.c
				c.path, c.body = vars.Replace(c.path), vars.Replace(c.body)
				if flat {
					c = mirraWithHeader(c, "X-Mirra-Error-Format", "flat")
				}
				before := getStats(t, ts.Client(), ts.URL).APIs["mirra"]
				a := do(t, ts.Client(), ts.URL, c)
				after := getStats(t, ts.Client(), ts.URL).APIs["mirra"]

				var retry *int64
				if tc.code == "RATE_LIMIT_EXCEEDED" {
					n, _ := strconv.ParseInt(tc.retryAfter, 10, 64)
					retry = &n
				}
				want := mirraWantError(t, flat, tc.code, vars.Replace(tc.message), vars.Replace(tc.details), retry)
				if got := mirraDecode(t, a.body); a.status != tc.status || !reflect.DeepEqual(got, want) {
					t.Errorf("answer = %d %s; want %d %s", a.status, a.body, tc.status, mustJSON(t, want))
				}
				if got := a.header.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q; want application/json", got)
				}
				if got := a.header.Get("Retry-After"); got != tc.retryAfter {
					t.Errorf("Retry-After = %q; want %q", got, tc.retryAfter)
				}
				limit := tc.limit
				if limit == "" && !tc.pre {
					limit = "10000"
				}
				if got := a.header.Get("X-RateLimit-Limit"); got != limit {
					t.Errorf("X-RateLimit-Limit = %q; want %q", got, limit)
				}
				if (a.header.Get("X-RateLimit-Remaining") == "") != tc.pre || (a.header.Get("X-RateLimit-Reset") == "") != tc.pre {
					t.Errorf("X-RateLimit-Remaining, -Reset = %q, %q; want both %s", a.header.Get("X-RateLimit-Remaining"),
						a.header.Get("X-RateLimit-Reset"), map[bool]string{true: "absent", false: "present"}[tc.pre])
				}
				if retry != nil {
					reset := strconv.FormatInt(epoch.Unix()+*retry, 10)
					if r, rs := a.header.Get("X-RateLimit-Remaining"), a.header.Get("X-RateLimit-Reset"); r != "0" || rs != reset {
						t.Errorf("X-RateLimit-Remaining, -Reset = %q, %q; want 0, %s", r, rs, reset)
					}
				}
				key := tc.key
				if key == "" {
					key = "demo-full"
				}
				wantStatus := map[string]int64{strconv.Itoa(tc.status): 1}
				if d := mirraDiff(before.Codes, after.Codes); !reflect.DeepEqual(d, map[string]int64{tc.code: 1}) {
					t.Errorf("stats codes counted %v; want %s: 1", d, tc.code)
				}
				if d := mirraDiff(before.Keys, after.Keys); !reflect.DeepEqual(d, map[string]int64{key: 1}) {
					t.Errorf("stats keys counted %v; want %s: 1", d, key)
				}
				if d := mirraDiff(before.Status, after.Status); !reflect.DeepEqual(d, wantStatus) {
					t.Errorf("stats statuses counted %v; want %v", d, wantStatus)
				}
			})
		}
	}
}

// TestMirraErrorFormatHeader checks that only "flat" selects the flat form.
func TestMirraErrorFormatHeader(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	ts := mustServe(t, s)
	for _, v := range []string{"", "rest", "FLAT", "flat2", "sdk"} {
		c := mirraNoKey("GET", "/api/v1/agents", "")
		if v != "" {
			c = mirraWithHeader(c, "X-Mirra-Error-Format", v)
		}
		a := do(t, ts.Client(), ts.URL, c)
		want := `{"success":false,"error":{"code":"AUTHENTICATION_ERROR","message":"Authentication required"}}`
		if a.status != 401 || a.body != want {
			t.Errorf("format %q: answer = %d %s; want 401 %s", v, a.status, a.body, want)
		}
	}
	a := do(t, ts.Client(), ts.URL, mirraWithHeader(mirraNoKey("GET", "/api/v1/agents", ""), "X-Mirra-Error-Format", "flat"))
	if want := `{"code":"AUTHENTICATION_ERROR","message":"Authentication required"}`; a.status != 401 || a.body != want {
		t.Errorf("format flat: answer = %d %s; want 401 %s", a.status, a.body, want)
	}
}

// TestMirraControlCharacterKey sends keys that an HTTP client would not,
// straight to ServeHTTP.
func TestMirraControlCharacterKey(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	for _, secret := range []string{"demo\x00full", "demo\x7ffull", "demo\u2028full", "demo\u00a0full"} {
		req, err := http.NewRequest("GET", "/mirra/api/v1/agents", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", secret)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		want := `{"success":false,"error":{"code":"AUTHENTICATION_ERROR","message":"Malformed API key"}}`
		if rec.Code != 401 || rec.Body.String() != want {
			t.Errorf("key %q: answer = %d %s; want 401 %s", secret, rec.Code, rec.Body, want)
		}
	}
	if got := s.Stats().APIs["mirra"].Keys; !reflect.DeepEqual(got, map[string]int64{KeyUnknown: 4}) {
		t.Errorf("stats keys = %v; want unknown: 4", got)
	}
}

// TestMirraMessagesFromSeed checks that the messages and examples the
// simulation takes from the seed documents really are in them.
func TestMirraMessagesFromSeed(t *testing.T) {
	both := readSeed(t, "mirra-rest-api-errors.txt") + "\n" + readSeed(t, "mirra-sdk-errors.txt")
	for _, s := range []string{
		mirraMsgAuthRequired, mirraMsgUnauthorized, mirraMsgInvalidKey, mirraMsgPermission, mirraMsgNotFound,
		mirraMsgSubdomainLength, mirraMsgSubdomainChars, mirraMsgAlreadyExists, mirraMsgConflict,
		mirraMsgAgentPublished, mirraMsgInstallNotPub, mirraMsgSyntax, mirraMsgInternal, mirraMsgUnavailable,
		mirraMsgAdapter, mirraMsgAdapterTimeout,
		"Cannot delete a published template. Unpublish it first.",
		"The subdomain 'my-agent' is already taken",
		"Script with ID '123abc' not found",
		"Resource 'api_123' not found",
		"Runtime 'python2.7' is not supported. Use 'nodejs18' or 'python3.11'",
		"Rate limit exceeded. Try again in 42 seconds.",
		"Invalid value for field 'runtime'",
		"Unexpected token '}'",
		`"retryAfter": 42`,
		"X-API-Key: YOUR_KEY",
		"Authorization: Bearer YOUR_KEY",
	} {
		if !strings.Contains(both, s) {
			t.Errorf("seed documents do not contain %q", s)
		}
	}
	// Every code of the seeds is either answered by some case of the table
	// or named in mirra.go's doc comment as one no request can get.
	covered := map[string]bool{}
	for _, tc := range mirraErrorCases {
		covered[tc.code] = true
	}
	unreachable := []string{"OPERATION_FAILED", "UNKNOWN_ERROR", "RESOURCE_NOT_FOUND", "TEMPLATE_NOT_FOUND"}
	for _, c := range unreachable {
		covered[c] = true
	}
	doc, err := os.ReadFile("mirra.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range unreachable {
		if !strings.Contains(string(doc), "//   - "+c+": ") {
			t.Errorf("mirra.go does not say why %s cannot be answered", c)
		}
	}
	// The codes are the headings of the seeds' sections: lines of codes
	// alone, such as "AGENT_NOT_FOUND / SCRIPT_NOT_FOUND".
	codes := map[string]bool{}
	heading := regexp.MustCompile(`^[A-Z]+(_[A-Z]+)*( / [A-Z]+(_[A-Z]+)*)*$`)
	for _, line := range strings.Split(both, "\n") {
		if line = strings.TrimSpace(line); heading.MatchString(line) {
			for _, c := range strings.Split(line, " / ") {
				codes[c] = true
			}
		}
	}
	for c := range codes {
		if !covered[c] {
			t.Errorf("code %s of the seeds has no case and is not listed as unreachable", c)
		}
	}
	if len(codes) != 28 {
		t.Errorf("found %d codes in the seeds: %v; want 28", len(codes), codes)
	}
}
