package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/sim"
)

// The end-to-end test of the classification issue's "done when": an attack
// against the simulation with mixed valid and invalid requests to all four
// APIs shows every documented error case as its own class, with the right
// category and retryable flag, and the counts per class equal the
// simulation's ground truth (/__sim/stats).
//
// Documented cases the simulation cannot produce, left out:
//   - Mirra OPERATION_FAILED, UNKNOWN_ERROR, RESOURCE_NOT_FOUND and
//     TEMPLATE_NOT_FOUND: no request gets them (see sim/mirra.go, "Codes of
//     the seeds that no request can get").
//   - Mirra CONFLICT "Resource limit reached: …": the cap is 1000 resources
//     per key (mirraMaxPerKey, unexported); the CONFLICT code is covered by
//     a stale PUT version.
//   - The "body too large" (over 1 MiB) 400s of every API: not in the seeds,
//     and 1 MiB bodies sent hundreds of times would make the test slow; the
//     "body unreadable" 400s need a client that breaks its own request.
//   - Messages of the simulation not in the seeds that only vary a
//     documented code: MiMo's other invalid_request messages (model or
//     messages of the wrong type, a message without a role, max_tokens,
//     stream), Mira's and Verify's 400s for a body too large or unreadable.
//     Four MiMo invalid_request messages and all of Mira's and Verify's
//     other 400s are covered.
//   - 429s of the per-day limit answer exactly like per-minute ones in Mira
//     (the body states only the wait) and in Mirra (the same message): Mira's
//     daily_limited is covered, and shares the rate_limited class; Mirra's
//     daily limit (the free plan's 100 a day) is not reached.
//
// Classes merged on purpose (the class of a response is its status, error
// code and message pattern, nothing else):
//   - responses whose bodies are byte-identical: Mira's four 401 causes
//     ("Invalid API key."), MiMo's four 401 causes, Verify's invalid_json and
//     invalid_body ("Invalid JSON in request body");
//   - messages of one template: Mira's missing_model and missing_messages
//     ("The '*' field is required."), MiMo's missing model and missing
//     messages ("Missing required parameter: '*'."), Mira's rate_limited and
//     daily_limited ("… retry after # seconds.");
//   - Mirra's REST envelope and its SDK's flat form of one error: one code,
//     one message.

// docClass is a class that the attack must produce.
type docClass struct {
	name      string // unique, for messages
	api       string // sim API name: the first segment of example_request
	status    int
	code      string
	pattern   string
	dialect   string // "" for Mirra, whose classes mix "envelope" and "flat"
	category  string
	retryable bool
}

// docCase is one request of the targets file and the class it must land in.
type docCase struct {
	name    string
	class   string // docClass.name
	simCode string // the stats code the request must produce (Mira, Verify: the simulation's name)
	method  string
	path    string
	header  map[string]string
	body    string
	// valid marks a request that succeeds until a limit rejects it.
	valid bool
	// copies, if > 1, is how many targets send the request, so that one
	// round of the targets file trips the limit it tests.
	copies int
}

// docSummary is the part of the JSON summary the test reads.
type docSummary struct {
	Requests        uint64            `json:"requests"`
	Status          map[string]uint64 `json:"status"`
	TransportErrors map[string]uint64 `json:"transport_errors"`
	Unsent          uint64            `json:"unsent"`
	Classes         []docSummaryClass `json:"classes"`
	Classification  struct {
		Overflowed uint64 `json:"overflowed"`
	} `json:"classification"`
}

type docSummaryClass struct {
	ID             uint32   `json:"id"`
	Status         int      `json:"status"`
	ErrorKind      string   `json:"error_kind"`
	Code           string   `json:"code"`
	Category       string   `json:"category"`
	Retryable      bool     `json:"retryable"`
	Overflow       bool     `json:"overflow"`
	Dialect        string   `json:"dialect"`
	Pattern        string   `json:"pattern"`
	Message        string   `json:"message"`
	Count          uint64   `json:"count"`
	Samples        []string `json:"samples"`
	ExampleRequest string   `json:"example_request"`
}

// api returns the simulated API a class's example request went to.
func (c docSummaryClass) api() string {
	_, path, _ := strings.Cut(c.ExampleRequest, " ")
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	first, _, _ = strings.Cut(first, "?")
	return first
}

// docClassKey identifies a class as the classifier does.
type docClassKey struct {
	status        int
	code, pattern string
}

// Every expected class. Classes of one API and status that differ only in
// message are distinct classes by design (the pattern is part of the key).
var docClasses = []docClass{
	// Mira chat: {"detail": "…"}, no code.
	{"mira 404", "mira", 404, "", "Endpoint not found.", "detail", "not_found", false},
	{"mira 401 (every cause)", "mira", 401, "", "Invalid API key.", "detail", "authentication", false},
	{"mira 400 malformed JSON", "mira", 400, "", "The request body is not valid JSON.", "detail", "validation", false},
	{"mira 400 not an object", "mira", 400, "", "The request body must be a JSON object.", "detail", "validation", false},
	{"mira 400 missing field", "mira", 400, "", "The '*' field is required.", "detail", "validation", false},
	{"mira 400 bad messages", "mira", 400, "", "The '*' field must be a non-empty array of objects.", "detail", "validation", false},
	{"mira 400 bad temperature", "mira", 400, "", "The '*' parameter must be between # and #.", "detail", "validation", false},
	{"mira 400 unknown model", "mira", 400, "", "The '*' parameter must be one of mira, mira-mini, mira-max.", "detail", "validation", false},
	{"mira 402", "mira", 402, "", "Insufficient balance. Please top up your balance.", "detail", "payment", false},
	{"mira 403 plan", "mira", 403, "", "Your plan does not include access to the mira-max model.", "detail", "permission", false},
	// The body of a daily 429 differs from a per-second one only by the
	// wait it states: one class, retryable as a 429 is.
	{"mira 429 (per second and per day)", "mira", 429, "", "Rate limit exceeded. Please retry after # seconds.", "detail", "rate_limit", true},
	{"mira 500", "mira", 500, "", "Internal server error.", "detail", "server_error", true},
	{"mira 502", "mira", 502, "", "Bad gateway.", "detail", "server_error", true},
	{"mira 503", "mira", 503, "", "Service temporarily unavailable.", "detail", "unavailable", true},
	{"mira 504", "mira", 504, "", "Gateway timeout.", "detail", "timeout", true},

	// Mira Verify: {"error": "Type", "message": "…"}, no code.
	{"verify 404", "mira-verify", 404, "", "Not Found: Endpoint not found", "error-string", "not_found", false},
	{"verify 401 missing", "mira-verify", 401, "", "Unauthorized: Missing Authorization header", "error-string", "authentication", false},
	{"verify 401 invalid", "mira-verify", 401, "", "Unauthorized: Invalid API key", "error-string", "authentication", false},
	{"verify 401 revoked", "mira-verify", 401, "", "Unauthorized: API key has been revoked", "error-string", "authentication", false},
	{"verify 401 wrong service", "mira-verify", 401, "", "Unauthorized: API key not authorized for this service", "error-string", "authentication", false},
	{"verify 400 invalid JSON (not JSON, not an object)", "mira-verify", 400, "", "Bad Request: Invalid JSON in request body", "error-string", "validation", false},
	{"verify 400 fact required", "mira-verify", 400, "", "Bad Request: fact is required", "error-string", "validation", false},
	{"verify 400 minRequired", "mira-verify", 400, "", "Bad Request: minRequired must be # or #", "error-string", "validation", false},
	{"verify 402", "mira-verify", 402, "", "Payment Required: Insufficient balance", "error-string", "payment", false},
	{"verify 429 per minute", "mira-verify", 429, "", "Rate Limit Exceeded: Too many requests per minute", "error-string", "rate_limit", true},
	{"verify 429 per day", "mira-verify", 429, "", "Rate Limit Exceeded: Daily request limit exceeded", "error-string", "rate_limit", false},
	{"verify 500", "mira-verify", 500, "", "Internal Server Error: An unexpected error occurred", "error-string", "server_error", true},
	{"verify 502", "mira-verify", 502, "", "Bad Gateway: Invalid response from upstream server", "error-string", "server_error", true},
	{"verify 503", "mira-verify", 503, "", "Service Unavailable: Service temporarily unavailable", "error-string", "unavailable", true},
	{"verify 504", "mira-verify", 504, "", "Gateway Timeout: Upstream server timed out", "error-string", "timeout", true},

	// MiMo: {"error": {"code", "message", "type"}}.
	{"mimo 404 unknown URL", "mimo", 404, "not_found", "Unknown request URL: GET *.", "error-object", "not_found", false},
	{"mimo 404 unknown model", "mimo", 404, "not_found", "The model '*' does not exist.", "error-object", "not_found", false},
	{"mimo 401 (every cause)", "mimo", 401, "authentication_failed", "Invalid API Key provided.", "error-object", "authentication", false},
	{"mimo 400 malformed JSON", "mimo", 400, "invalid_request", "We could not parse the JSON body of your request. The API expects a JSON payload.", "error-object", "validation", false},
	{"mimo 400 missing parameter", "mimo", 400, "invalid_request", "Missing required parameter: '*'.", "error-object", "validation", false},
	{"mimo 400 empty messages", "mimo", 400, "invalid_request", "Invalid '*': empty array. Expected an array with minimum length #.", "error-object", "validation", false},
	{"mimo 400 temperature", "mimo", 400, "invalid_request", "Invalid '*': expected a number between # and #.", "error-object", "validation", false},
	{"mimo 403", "mimo", 403, "permission_denied", "Your account does not have access to the model '*'.", "error-object", "permission", false},
	{"mimo 429 per second", "mimo", 429, "rate_limit_exceeded", "Rate limit reached for requests. Please try again in *.", "error-object", "rate_limit", true},
	{"mimo 429 per day", "mimo", 429, "rate_limit_exceeded", "You have exceeded your daily request quota. Please try again in *.", "error-object", "rate_limit", false},
	{"mimo 500", "mimo", 500, "internal_error", "The server had an error while processing your request. Sorry about that!", "error-object", "server_error", true},
	{"mimo 502", "mimo", 502, "bad_gateway", "Bad gateway.", "error-object", "server_error", true},
	{"mimo 503", "mimo", 503, "service_unavailable", "Service temporarily unavailable due to high load.", "error-object", "unavailable", true},
	{"mimo 504", "mimo", 504, "gateway_timeout", "Gateway timeout.", "error-object", "timeout", true},

	// Mirra: the REST envelope and the SDK's flat form, one class per
	// (status, code, message pattern) for both.
	{"mirra NOT_FOUND", "mirra", 404, "NOT_FOUND", "Resource not found", "", "not_found", false},
	{"mirra AUTHENTICATION_ERROR required", "mirra", 401, "AUTHENTICATION_ERROR", "Authentication required", "", "authentication", false},
	{"mirra AUTHENTICATION_ERROR malformed", "mirra", 401, "AUTHENTICATION_ERROR", "Malformed API key", "", "authentication", false},
	{"mirra AUTHENTICATION_ERROR revoked", "mirra", 401, "AUTHENTICATION_ERROR", "API key has been revoked", "", "authentication", false},
	{"mirra UNAUTHORIZED", "mirra", 401, "UNAUTHORIZED", "Unauthorized", "", "authentication", false},
	{"mirra INVALID_API_KEY", "mirra", 401, "INVALID_API_KEY", "Invalid API key", "", "authentication", false},
	{"mirra PERMISSION_DENIED service", "mirra", 403, "PERMISSION_DENIED", "API key lacks the permissions for this service", "", "permission", false},
	{"mirra PERMISSION_DENIED resource", "mirra", 403, "PERMISSION_DENIED", "You do not have permission to access this resource", "", "permission", false},
	{"mirra PERMISSION_DENIED own script", "mirra", 403, "PERMISSION_DENIED", "Cannot install your own script", "", "permission", false},
	{"mirra RATE_LIMIT_EXCEEDED", "mirra", 429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded. Try again in # seconds.", "", "rate_limit", true},
	{"mirra AGENT_NOT_FOUND", "mirra", 404, "AGENT_NOT_FOUND", "Agent with ID '*' not found", "", "not_found", false},
	{"mirra SCRIPT_NOT_FOUND", "mirra", 404, "SCRIPT_NOT_FOUND", "Script with ID '*' not found", "", "not_found", false},
	{"mirra VALIDATION_ERROR JSON", "mirra", 400, "VALIDATION_ERROR", "Invalid JSON in request body", "", "validation", false},
	{"mirra VALIDATION_ERROR subdomain length", "mirra", 400, "VALIDATION_ERROR", "subdomain must be between # and # characters", "", "validation", false},
	{"mirra VALIDATION_ERROR name length", "mirra", 400, "VALIDATION_ERROR", "name must be at most # characters", "", "validation", false},
	{"mirra VALIDATION_ERROR dependencies", "mirra", 400, "VALIDATION_ERROR", "dependencies must have at most # items", "", "validation", false},
	{"mirra VALIDATION_ERROR publish", "mirra", 400, "VALIDATION_ERROR", "description is required to publish", "", "validation", false},
	{"mirra VALIDATION_ERROR published field", "mirra", 400, "VALIDATION_ERROR", "description cannot be removed from a published agent; unpublish it first", "", "validation", false},
	{"mirra INVALID_INPUT", "mirra", 400, "INVALID_INPUT", "Invalid value for field '*'", "", "validation", false},
	{"mirra MISSING_REQUIRED_FIELD", "mirra", 400, "MISSING_REQUIRED_FIELD", "name is required", "", "validation", false},
	{"mirra INVALID_SUBDOMAIN characters", "mirra", 400, "INVALID_SUBDOMAIN", "Subdomain can only contain lowercase letters, numbers, and hyphens", "", "validation", false},
	{"mirra INVALID_SUBDOMAIN hyphen", "mirra", 400, "INVALID_SUBDOMAIN", "Subdomain cannot start or end with a hyphen", "", "validation", false},
	{"mirra INVALID_SUBDOMAIN letter", "mirra", 400, "INVALID_SUBDOMAIN", "Subdomain must start with a letter", "", "validation", false},
	{"mirra INVALID_RUNTIME", "mirra", 400, "INVALID_RUNTIME", "Runtime '*' is not supported. Use '*' or '*'", "", "validation", false},
	{"mirra SUBDOMAIN_TAKEN", "mirra", 409, "SUBDOMAIN_TAKEN", "The subdomain '*' is already taken", "", "conflict", false},
	{"mirra ALREADY_EXISTS", "mirra", 409, "ALREADY_EXISTS", "A resource with this name already exists", "", "conflict", false},
	{"mirra CONFLICT", "mirra", 409, "CONFLICT", "Resource is in a conflicting state", "", "conflict", false},
	{"mirra ALREADY_PUBLISHED agent", "mirra", 409, "ALREADY_PUBLISHED", "This agent is already published", "", "conflict", false},
	{"mirra ALREADY_PUBLISHED script", "mirra", 409, "ALREADY_PUBLISHED", "This script is already published", "", "conflict", false},
	{"mirra NOT_PUBLISHED agent", "mirra", 409, "NOT_PUBLISHED", "This agent is not published", "", "conflict", false},
	{"mirra NOT_PUBLISHED script", "mirra", 409, "NOT_PUBLISHED", "This script is not published", "", "conflict", false},
	{"mirra NOT_PUBLISHED install", "mirra", 409, "NOT_PUBLISHED", "This script must be published before it can be installed", "", "conflict", false},
	{"mirra CANNOT_DELETE_PUBLISHED agent", "mirra", 409, "CANNOT_DELETE_PUBLISHED", "Cannot delete a published agent. Unpublish it first.", "", "conflict", false},
	{"mirra CANNOT_DELETE_PUBLISHED script", "mirra", 409, "CANNOT_DELETE_PUBLISHED", "Cannot delete a published script. Unpublish it first.", "", "conflict", false},
	{"mirra INVALID_CODE", "mirra", 422, "INVALID_CODE", "Script contains syntax errors", "", "unprocessable", false},
	{"mirra INVALID_DEPENDENCY missing", "mirra", 422, "INVALID_DEPENDENCY", "Resource '*' not found", "", "unprocessable", false},
	{"mirra INVALID_DEPENDENCY unpublished", "mirra", 422, "INVALID_DEPENDENCY", "Resource '*' is not published", "", "unprocessable", false},
	{"mirra INVALID_DEPENDENCY cycle", "mirra", 422, "INVALID_DEPENDENCY", "Resource '*' depends on this script", "", "unprocessable", false},
	{"mirra INTERNAL_ERROR", "mirra", 500, "INTERNAL_ERROR", "An unexpected error occurred. Please try again.", "", "server_error", true},
	{"mirra ADAPTER_ERROR 502", "mirra", 502, "ADAPTER_ERROR", "Failed to execute operation", "", "server_error", true},
	{"mirra SERVICE_UNAVAILABLE", "mirra", 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable. Please try again.", "", "unavailable", true},
	{"mirra ADAPTER_ERROR 504", "mirra", 504, "ADAPTER_ERROR", "Timeout communicating with an external service", "", "timeout", true},
}

// docOtherKey is the secret of a second full-plan key, which owns the
// Mirra scripts that demo-full may not touch.
const docOtherKey = "sk-mirra-other-0123456789"

// docCodeDialects are the APIs whose stats count the API's own codes.
var docCodeDialects = map[string]bool{"mimo": true, "mirra": true}

// Request bodies.
const (
	docMiraChat   = `{"model":"mira","messages":[{"role":"user","content":"hello"}]}`
	docMimoChat   = `{"model":"mimo-v2-flash","messages":[{"role":"user","content":"hello"}]}`
	docVerifyFact = `{"fact":"The Earth orbits the Sun"}`
	docGoodCode   = "function f() {\n  return 1;\n}"
)

func docBearer(key string) map[string]string {
	if key == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + key}
}

func docWith(h map[string]string, kv ...string) map[string]string {
	out := maps.Clone(h)
	if out == nil {
		out = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// docMiraCases are the cases of the Mira chat API.
func docMiraCases() []docCase {
	const p = "/mira/v1/chat/completions"
	full := docBearer("demo-full")
	return []docCase{
		{name: "mira unknown endpoint", class: "mira 404", simCode: "not_found", method: "GET", path: "/mira/v1/models", header: full},
		{name: "mira missing key", class: "mira 401 (every cause)", simCode: "missing_key", method: "POST", path: p, body: docMiraChat},
		{name: "mira invalid key", class: "mira 401 (every cause)", simCode: "invalid_key", method: "POST", path: p, header: docBearer("no-such-key"), body: docMiraChat},
		{name: "mira revoked key", class: "mira 401 (every cause)", simCode: "revoked_key", method: "POST", path: p, header: docBearer("demo-revoked"), body: docMiraChat},
		{name: "mira key of another service", class: "mira 401 (every cause)", simCode: "wrong_service", method: "POST", path: p, header: docBearer("demo-other-service"), body: docMiraChat},
		{name: "mira malformed JSON", class: "mira 400 malformed JSON", simCode: "invalid_json", method: "POST", path: p, header: full, body: `{"model": "mira",`},
		{name: "mira body not an object", class: "mira 400 not an object", simCode: "invalid_body", method: "POST", path: p, header: full, body: `[1, 2]`},
		{name: "mira missing model", class: "mira 400 missing field", simCode: "missing_model", method: "POST", path: p, header: full, body: `{"messages":[{"role":"user","content":"hi"}]}`},
		{name: "mira missing messages", class: "mira 400 missing field", simCode: "missing_messages", method: "POST", path: p, header: full, body: `{"model":"mira"}`},
		{name: "mira empty messages", class: "mira 400 bad messages", simCode: "invalid_messages", method: "POST", path: p, header: full, body: `{"model":"mira","messages":[]}`},
		{name: "mira temperature out of range", class: "mira 400 bad temperature", simCode: "invalid_temperature", method: "POST", path: p, header: full, body: `{"model":"mira","messages":[{"role":"user","content":"hi"}],"temperature":3}`},
		{name: "mira unknown model", class: "mira 400 unknown model", simCode: "unknown_model", method: "POST", path: p, header: full, body: `{"model":"gpt-4","messages":[{"role":"user","content":"hi"}]}`},
		{name: "mira zero balance", class: "mira 402", simCode: "insufficient_balance", method: "POST", path: p, header: docBearer("demo-empty"), body: docMiraChat},
		{name: "mira model not in plan", class: "mira 403 plan", simCode: "model_not_in_plan", method: "POST", path: p, header: docBearer("demo-free"), body: `{"model":"mira-max","messages":[{"role":"user","content":"hi"}]}`},
		{name: "mira per-second limit", class: "mira 429 (per second and per day)", simCode: "rate_limited", method: "POST", path: p, header: docBearer("demo-free"), body: docMiraChat, valid: true, copies: 4},
		{name: "mira daily limit", class: "mira 429 (per second and per day)", simCode: "daily_limited", method: "POST", path: p, header: full, body: docMiraChat, valid: true, copies: 4},
		{name: "mira 500", class: "mira 500", simCode: "internal_error", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "500"), body: docMiraChat},
		{name: "mira 502", class: "mira 502", simCode: "bad_gateway", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "502"), body: docMiraChat},
		{name: "mira 503", class: "mira 503", simCode: "unavailable", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "503"), body: docMiraChat},
		{name: "mira 504", class: "mira 504", simCode: "gateway_timeout", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "504"), body: docMiraChat},
	}
}

func docVerifyCases() []docCase {
	const p = "/mira-verify/verify/v1/stream"
	full := docBearer("demo-full")
	return []docCase{
		{name: "verify unknown endpoint", class: "verify 404", simCode: "not_found", method: "GET", path: p, header: full},
		{name: "verify missing key", class: "verify 401 missing", simCode: "missing_key", method: "POST", path: p, body: docVerifyFact},
		{name: "verify invalid key", class: "verify 401 invalid", simCode: "invalid_key", method: "POST", path: p, header: docBearer("no-such-key"), body: docVerifyFact},
		{name: "verify revoked key", class: "verify 401 revoked", simCode: "revoked_key", method: "POST", path: p, header: docBearer("demo-revoked"), body: docVerifyFact},
		{name: "verify key of another service", class: "verify 401 wrong service", simCode: "wrong_service", method: "POST", path: p, header: docBearer("demo-other-service"), body: docVerifyFact},
		{name: "verify malformed JSON", class: "verify 400 invalid JSON (not JSON, not an object)", simCode: "invalid_json", method: "POST", path: p, header: full, body: `{"fact": `},
		{name: "verify body not an object", class: "verify 400 invalid JSON (not JSON, not an object)", simCode: "invalid_body", method: "POST", path: p, header: full, body: `["a fact"]`},
		{name: "verify fact required", class: "verify 400 fact required", simCode: "missing_fact", method: "POST", path: p, header: full, body: `{"minRequired":2}`},
		{name: "verify minRequired", class: "verify 400 minRequired", simCode: "invalid_min_required", method: "POST", path: p, header: full, body: `{"fact":"Water is wet","minRequired":5}`},
		{name: "verify zero balance", class: "verify 402", simCode: "insufficient_balance", method: "POST", path: p, header: docBearer("demo-empty"), body: docVerifyFact},
		{name: "verify per-minute limit", class: "verify 429 per minute", simCode: "rate_limited", method: "POST", path: p, header: docBearer("demo-free"), body: docVerifyFact, valid: true, copies: 4},
		{name: "verify daily limit", class: "verify 429 per day", simCode: "daily_limited", method: "POST", path: p, header: full, body: docVerifyFact, valid: true, copies: 4},
		{name: "verify 500", class: "verify 500", simCode: "internal_error", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "500"), body: docVerifyFact},
		{name: "verify 502", class: "verify 502", simCode: "bad_gateway", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "502"), body: docVerifyFact},
		{name: "verify 503", class: "verify 503", simCode: "unavailable", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "503"), body: docVerifyFact},
		{name: "verify 504", class: "verify 504", simCode: "gateway_timeout", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "504"), body: docVerifyFact},
	}
}

func docMimoCases() []docCase {
	const p = "/mimo/v1/chat/completions"
	full := docBearer("demo-full")
	return []docCase{
		{name: "mimo unknown URL", class: "mimo 404 unknown URL", simCode: "not_found", method: "GET", path: "/mimo/v1/models", header: full},
		{name: "mimo unknown model", class: "mimo 404 unknown model", simCode: "not_found", method: "POST", path: p, header: full, body: `{"model":"gpt-4","messages":[{"role":"user","content":"hi"}]}`},
		{name: "mimo missing key", class: "mimo 401 (every cause)", simCode: "authentication_failed", method: "POST", path: p, body: docMimoChat},
		{name: "mimo invalid key", class: "mimo 401 (every cause)", simCode: "authentication_failed", method: "POST", path: p, header: docBearer("no-such-key"), body: docMimoChat},
		{name: "mimo revoked key", class: "mimo 401 (every cause)", simCode: "authentication_failed", method: "POST", path: p, header: map[string]string{"api-key": "demo-revoked"}, body: docMimoChat},
		{name: "mimo key of another service", class: "mimo 401 (every cause)", simCode: "authentication_failed", method: "POST", path: p, header: docBearer("demo-other-service"), body: docMimoChat},
		{name: "mimo malformed JSON", class: "mimo 400 malformed JSON", simCode: "invalid_request", method: "POST", path: p, header: full, body: `{"model":`},
		{name: "mimo missing model", class: "mimo 400 missing parameter", simCode: "invalid_request", method: "POST", path: p, header: full, body: `{"messages":[{"role":"user","content":"hi"}]}`},
		{name: "mimo missing messages", class: "mimo 400 missing parameter", simCode: "invalid_request", method: "POST", path: p, header: full, body: `{"model":"mimo-v2-flash"}`},
		{name: "mimo empty messages", class: "mimo 400 empty messages", simCode: "invalid_request", method: "POST", path: p, header: full, body: `{"model":"mimo-v2-flash","messages":[]}`},
		{name: "mimo temperature out of range", class: "mimo 400 temperature", simCode: "invalid_request", method: "POST", path: p, header: full, body: `{"model":"mimo-v2-flash","messages":[{"role":"user","content":"hi"}],"temperature":5}`},
		{name: "mimo model not in plan", class: "mimo 403", simCode: "permission_denied", method: "POST", path: p, header: docBearer("demo-free"), body: `{"model":"mimo-v2-pro","messages":[{"role":"user","content":"hi"}]}`},
		{name: "mimo per-second limit", class: "mimo 429 per second", simCode: "rate_limit_exceeded", method: "POST", path: p, header: docBearer("demo-free"), body: docMimoChat, valid: true, copies: 4},
		{name: "mimo daily limit", class: "mimo 429 per day", simCode: "rate_limit_exceeded", method: "POST", path: p, header: full, body: docMimoChat, valid: true, copies: 4},
		{name: "mimo 500", class: "mimo 500", simCode: "internal_error", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "500"), body: docMimoChat},
		{name: "mimo 502", class: "mimo 502", simCode: "bad_gateway", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "502"), body: docMimoChat},
		{name: "mimo 503", class: "mimo 503", simCode: "service_unavailable", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "503"), body: docMimoChat},
		{name: "mimo 504", class: "mimo 504", simCode: "gateway_timeout", method: "POST", path: p, header: docWith(full, sim.FaultHeader, "504"), body: docMimoChat},
	}
}

// docMirraIDs are the ids of the resources the setup creates.
type docMirraIDs struct {
	agentPublished, agentDraft   string // demo-full's
	scriptPublished, scriptDraft string // demo-full's
	scriptDependent              string // demo-full's, published, depends on scriptPublished
	otherPublished, otherDraft   string // mirra-other's scripts
}

// docMirraCases are Mirra's cases in the REST form; each is also sent in
// the SDK's flat form.
func docMirraCases(ids docMirraIDs) []docCase {
	const p = "/mirra/api/v1"
	full := map[string]string{"X-API-Key": "demo-full"}
	key := func(k string) map[string]string { return map[string]string{"X-API-Key": k} }
	manyDeps, _ := json.Marshal(map[string]any{"name": "many-deps", "runtime": "nodejs18", "code": docGoodCode,
		"dependencies": slices.Repeat([]string{ids.scriptPublished}, 21)})
	script := func(name, runtime, code string, deps ...string) string {
		b, _ := json.Marshal(map[string]any{"name": name, "runtime": runtime, "code": code, "dependencies": deps})
		return string(b)
	}
	return []docCase{
		{name: "mirra unknown route", class: "mirra NOT_FOUND", simCode: "NOT_FOUND", method: "GET", path: p + "/nothing", header: full},
		{name: "mirra no credential", class: "mirra AUTHENTICATION_ERROR required", simCode: "AUTHENTICATION_ERROR", method: "GET", path: p + "/agents"},
		{name: "mirra malformed key", class: "mirra AUTHENTICATION_ERROR malformed", simCode: "AUTHENTICATION_ERROR", method: "GET", path: p + "/agents", header: key("has spaces inside")},
		{name: "mirra revoked key", class: "mirra AUTHENTICATION_ERROR revoked", simCode: "AUTHENTICATION_ERROR", method: "GET", path: p + "/agents", header: key("demo-revoked")},
		{name: "mirra other scheme", class: "mirra UNAUTHORIZED", simCode: "UNAUTHORIZED", method: "GET", path: p + "/agents", header: map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}},
		{name: "mirra unknown key", class: "mirra INVALID_API_KEY", simCode: "INVALID_API_KEY", method: "GET", path: p + "/agents", header: key("no-such-key")},
		{name: "mirra key of another service", class: "mirra PERMISSION_DENIED service", simCode: "PERMISSION_DENIED", method: "GET", path: p + "/agents", header: key("demo-other-service")},
		{name: "mirra another key's script", class: "mirra PERMISSION_DENIED resource", simCode: "PERMISSION_DENIED", method: "GET", path: p + "/scripts/" + ids.otherPublished, header: full},
		{name: "mirra install own script", class: "mirra PERMISSION_DENIED own script", simCode: "PERMISSION_DENIED", method: "POST", path: p + "/scripts/" + ids.scriptPublished + "/install", header: full},
		{name: "mirra rate limit", class: "mirra RATE_LIMIT_EXCEEDED", simCode: "RATE_LIMIT_EXCEEDED", method: "GET", path: p + "/agents", header: docBearer("demo-free"), valid: true},
		// With the flat form, 4 targets for a burst of 2.
		{name: "mirra rate limit, again", class: "mirra RATE_LIMIT_EXCEEDED", simCode: "RATE_LIMIT_EXCEEDED", method: "GET", path: p + "/scripts", header: key("demo-free"), valid: true},
		{name: "mirra no such agent", class: "mirra AGENT_NOT_FOUND", simCode: "AGENT_NOT_FOUND", method: "GET", path: p + "/agents/agt_0000000000000000", header: full},
		{name: "mirra no such script", class: "mirra SCRIPT_NOT_FOUND", simCode: "SCRIPT_NOT_FOUND", method: "DELETE", path: p + "/scripts/scr_0000000000000000", header: full},
		{name: "mirra malformed JSON", class: "mirra VALIDATION_ERROR JSON", simCode: "VALIDATION_ERROR", method: "POST", path: p + "/agents", header: full, body: `{"subdomain": "x"`},
		{name: "mirra subdomain length", class: "mirra VALIDATION_ERROR subdomain length", simCode: "VALIDATION_ERROR", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":"ab","name":"Short"}`},
		{name: "mirra name length", class: "mirra VALIDATION_ERROR name length", simCode: "VALIDATION_ERROR", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":"long-name","name":"` + strings.Repeat("n", 101) + `"}`},
		{name: "mirra too many dependencies", class: "mirra VALIDATION_ERROR dependencies", simCode: "VALIDATION_ERROR", method: "POST", path: p + "/scripts", header: full, body: string(manyDeps)},
		{name: "mirra publish without description", class: "mirra VALIDATION_ERROR publish", simCode: "VALIDATION_ERROR", method: "POST", path: p + "/agents/" + ids.agentDraft + "/publish", header: full},
		{name: "mirra blank a published agent's description", class: "mirra VALIDATION_ERROR published field", simCode: "VALIDATION_ERROR", method: "PATCH", path: p + "/agents/" + ids.agentPublished, header: full, body: `{"description":""}`},
		{name: "mirra field of the wrong type", class: "mirra INVALID_INPUT", simCode: "INVALID_INPUT", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":5,"name":"Five"}`},
		{name: "mirra missing name", class: "mirra MISSING_REQUIRED_FIELD", simCode: "MISSING_REQUIRED_FIELD", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":"no-name"}`},
		{name: "mirra subdomain characters", class: "mirra INVALID_SUBDOMAIN characters", simCode: "INVALID_SUBDOMAIN", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":"Bad_Sub","name":"Bad"}`},
		{name: "mirra subdomain hyphen", class: "mirra INVALID_SUBDOMAIN hyphen", simCode: "INVALID_SUBDOMAIN", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":"-abc","name":"Hyphen"}`},
		{name: "mirra subdomain first letter", class: "mirra INVALID_SUBDOMAIN letter", simCode: "INVALID_SUBDOMAIN", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":"1abc","name":"Digit"}`},
		{name: "mirra runtime", class: "mirra INVALID_RUNTIME", simCode: "INVALID_RUNTIME", method: "POST", path: p + "/scripts", header: full, body: script("old", "python2.7", "print 1")},
		{name: "mirra subdomain taken", class: "mirra SUBDOMAIN_TAKEN", simCode: "SUBDOMAIN_TAKEN", method: "POST", path: p + "/agents", header: full, body: `{"subdomain":"taken-agent","name":"Again"}`},
		{name: "mirra script name taken", class: "mirra ALREADY_EXISTS", simCode: "ALREADY_EXISTS", method: "POST", path: p + "/scripts", header: full, body: script("pub-script", "nodejs18", docGoodCode)},
		{name: "mirra stale version", class: "mirra CONFLICT", simCode: "CONFLICT", method: "PUT", path: p + "/scripts/" + ids.scriptPublished, header: full, body: `{"version":99}`},
		{name: "mirra agent published twice", class: "mirra ALREADY_PUBLISHED agent", simCode: "ALREADY_PUBLISHED", method: "POST", path: p + "/agents/" + ids.agentPublished + "/publish", header: full},
		{name: "mirra script published twice", class: "mirra ALREADY_PUBLISHED script", simCode: "ALREADY_PUBLISHED", method: "POST", path: p + "/scripts/" + ids.scriptPublished + "/publish", header: full},
		{name: "mirra unpublish a draft agent", class: "mirra NOT_PUBLISHED agent", simCode: "NOT_PUBLISHED", method: "POST", path: p + "/agents/" + ids.agentDraft + "/unpublish", header: full},
		{name: "mirra unpublish a draft script", class: "mirra NOT_PUBLISHED script", simCode: "NOT_PUBLISHED", method: "POST", path: p + "/scripts/" + ids.scriptDraft + "/unpublish", header: full},
		{name: "mirra install a draft", class: "mirra NOT_PUBLISHED install", simCode: "NOT_PUBLISHED", method: "POST", path: p + "/scripts/" + ids.otherDraft + "/install", header: full},
		{name: "mirra delete a published agent", class: "mirra CANNOT_DELETE_PUBLISHED agent", simCode: "CANNOT_DELETE_PUBLISHED", method: "DELETE", path: p + "/agents/" + ids.agentPublished, header: full},
		{name: "mirra delete a published script", class: "mirra CANNOT_DELETE_PUBLISHED script", simCode: "CANNOT_DELETE_PUBLISHED", method: "DELETE", path: p + "/scripts/" + ids.scriptPublished, header: full},
		{name: "mirra syntax error", class: "mirra INVALID_CODE", simCode: "INVALID_CODE", method: "POST", path: p + "/scripts", header: full, body: script("broken", "nodejs18", "function h( {\n")},
		{name: "mirra missing dependency", class: "mirra INVALID_DEPENDENCY missing", simCode: "INVALID_DEPENDENCY", method: "POST", path: p + "/scripts", header: full, body: script("dep-missing", "nodejs18", docGoodCode, "scr_0000000000000000")},
		{name: "mirra unpublished dependency", class: "mirra INVALID_DEPENDENCY unpublished", simCode: "INVALID_DEPENDENCY", method: "POST", path: p + "/scripts", header: full, body: script("dep-draft", "python3.11", "x = 1\n", ids.otherDraft)},
		{name: "mirra dependency cycle", class: "mirra INVALID_DEPENDENCY cycle", simCode: "INVALID_DEPENDENCY", method: "PUT", path: p + "/scripts/" + ids.scriptPublished, header: full, body: `{"dependencies":["` + ids.scriptDependent + `"]}`},
		{name: "mirra 500", class: "mirra INTERNAL_ERROR", simCode: "INTERNAL_ERROR", method: "GET", path: p + "/agents", header: docWith(full, sim.FaultHeader, "500")},
		{name: "mirra 502", class: "mirra ADAPTER_ERROR 502", simCode: "ADAPTER_ERROR", method: "GET", path: p + "/agents", header: docWith(full, sim.FaultHeader, "502")},
		{name: "mirra 503", class: "mirra SERVICE_UNAVAILABLE", simCode: "SERVICE_UNAVAILABLE", method: "GET", path: p + "/agents", header: docWith(full, sim.FaultHeader, "503")},
		{name: "mirra 504", class: "mirra ADAPTER_ERROR 504", simCode: "ADAPTER_ERROR", method: "GET", path: p + "/agents", header: docWith(full, sim.FaultHeader, "504")},
	}
}

// docValidCases are requests that succeed every time.
func docValidCases(ids docMirraIDs) []docCase {
	return []docCase{
		{name: "mirra list agents", method: "GET", path: "/mirra/api/v1/agents", header: map[string]string{"X-API-Key": "demo-full"}, valid: true},
		{name: "mirra get agent", method: "GET", path: "/mirra/api/v1/agents/" + ids.agentPublished, header: docBearer("demo-full"), valid: true},
		{name: "mirra install another key's script", method: "POST", path: "/mirra/api/v1/scripts/" + ids.otherPublished + "/install", header: map[string]string{"X-API-Key": "demo-full"}, valid: true},
	}
}

// docMirraSetup creates the resources the Mirra cases need, through the
// API, and returns their ids.
func docMirraSetup(t *testing.T, base string) docMirraIDs {
	t.Helper()
	call := func(key, method, path, body string) string {
		t.Helper()
		req, err := http.NewRequest(method, base+"/mirra/api/v1"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("setup %s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("setup %s %s %s: %d %s", method, path, body, resp.StatusCode, data)
		}
		var out struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("setup %s %s: %v: %s", method, path, err, data)
		}
		return out.Data.ID
	}
	script := func(name string, deps ...string) string {
		b, _ := json.Marshal(map[string]any{"name": name, "runtime": "nodejs18", "code": docGoodCode, "dependencies": deps})
		return string(b)
	}
	var ids docMirraIDs
	ids.agentPublished = call("demo-full", "POST", "/agents", `{"subdomain":"taken-agent","name":"Published","description":"Says hello","category":"fun"}`)
	call("demo-full", "POST", "/agents/"+ids.agentPublished+"/publish", "")
	ids.agentDraft = call("demo-full", "POST", "/agents", `{"subdomain":"draft-agent","name":"Draft"}`)
	ids.scriptPublished = call("demo-full", "POST", "/scripts", script("pub-script"))
	call("demo-full", "POST", "/scripts/"+ids.scriptPublished+"/publish", "")
	ids.scriptDraft = call("demo-full", "POST", "/scripts", script("draft-script"))
	ids.scriptDependent = call("demo-full", "POST", "/scripts", script("dependent-script", ids.scriptPublished))
	call("demo-full", "POST", "/scripts/"+ids.scriptDependent+"/publish", "")
	ids.otherPublished = call(docOtherKey, "POST", "/scripts", script("other-pub"))
	call(docOtherKey, "POST", "/scripts/"+ids.otherPublished+"/publish", "")
	ids.otherDraft = call(docOtherKey, "POST", "/scripts", script("other-draft"))
	return ids
}

// docStats reads GET /__sim/stats.
func docStats(t *testing.T, base string) sim.Stats {
	t.Helper()
	resp, err := http.Get(base + "/__sim/stats")
	if err != nil {
		t.Fatalf("GET /__sim/stats: %v", err)
	}
	defer resp.Body.Close()
	var st sim.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /__sim/stats: %d, %v", resp.StatusCode, err)
	}
	return st
}

// docStatsDelta returns after minus before: what the attack alone caused.
func docStatsDelta(before, after sim.Stats) sim.Stats {
	sub := func(a, b map[string]int64) map[string]int64 {
		out := map[string]int64{}
		for k, v := range a {
			if d := v - b[k]; d != 0 {
				out[k] = d
			}
		}
		return out
	}
	d := sim.Stats{Requests: after.Requests - before.Requests, Unrouted: after.Unrouted - before.Unrouted, APIs: map[string]*sim.APIStats{}}
	for name, a := range after.APIs {
		b := before.APIs[name]
		if b == nil {
			b = &sim.APIStats{}
		}
		d.APIs[name] = &sim.APIStats{
			Requests: a.Requests - b.Requests,
			Status:   sub(a.Status, b.Status),
			Codes:    sub(a.Codes, b.Codes),
			Keys:     sub(a.Keys, b.Keys),
		}
	}
	return d
}

// docTargets writes the cases as a targets file in vegeta's json format.
func docTargets(t *testing.T, base string, cases []docCase) string {
	t.Helper()
	var buf bytes.Buffer
	for _, c := range cases {
		h := map[string][]string{}
		for k, v := range c.header {
			h[k] = []string{v}
		}
		if c.body != "" {
			h["Content-Type"] = []string{"application/json"}
		}
		line, err := json.Marshal(struct {
			Method string              `json:"method"`
			URL    string              `json:"url"`
			Header map[string][]string `json:"header"`
			Body   []byte              `json:"body,omitempty"`
		}{c.method, base + c.path, h, []byte(c.body)})
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	file := filepath.Join(t.TempDir(), "targets.json")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestClassifyEveryDocumentedErrorCase(t *testing.T) {
	began := time.Now()
	// The clock of the simulation stands still, so that its rate limits
	// are exact whatever the machine's speed: the free plan's bucket
	// admits its burst of 2 and never refills (every later valid request
	// of demo-free is a per-second 429), and a daily limit of 3 on Mira,
	// Verify and MiMo makes demo-full's fourth valid request there a
	// per-day 429. Mirra keeps the plans' limits: its rate limit comes
	// before every other check, so demo-full must not reach one.
	frozen := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	srv, err := sim.New(sim.Config{
		Seed:             42,
		AllowFaultHeader: true,
		APIs: map[string]sim.Controls{
			"mira":        {DailyLimit: 3},
			"mira-verify": {DailyLimit: 3},
			"mimo":        {DailyLimit: 3},
		},
		Keys: []sim.KeyConfig{{Name: "mirra-other", Key: docOtherKey, Plan: "full"}},
	}, sim.WithClock(func() time.Time { return frozen }))
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	ids := docMirraSetup(t, ts.URL)

	// The table's own consistency: unique class names and keys, and every
	// case names a class.
	classes := map[string]docClass{}
	byKey := map[docClassKey]docClass{}
	for _, c := range docClasses {
		k := docClassKey{c.status, c.code, c.pattern}
		if prev, dup := byKey[k]; dup {
			t.Fatalf("table: %q and %q have one key %+v: the classifier cannot tell them apart", prev.name, c.name, k)
		}
		if _, dup := classes[c.name]; dup {
			t.Fatalf("table: class %q twice", c.name)
		}
		classes[c.name], byKey[k] = c, c
	}
	var cases []docCase
	for _, c := range slices.Concat(docMiraCases(), docVerifyCases(), docMimoCases()) {
		if c.copies <= 1 {
			cases = append(cases, c)
			continue
		}
		for i := range c.copies {
			cp := c
			cp.name += fmt.Sprintf(" #%d", i+1)
			cases = append(cases, cp)
		}
	}
	for _, c := range docMirraCases(ids) {
		flat := c
		flat.name += " (flat)"
		flat.header = docWith(c.header, "X-Mirra-Error-Format", "flat")
		cases = append(cases, c, flat)
	}
	cases = append(cases, docValidCases(ids)...)
	used := map[string]bool{}
	for _, c := range cases {
		if c.class == "" {
			continue
		}
		cl, ok := classes[c.class]
		if !ok {
			t.Fatalf("table: case %q names no class %q", c.name, c.class)
		}
		if !strings.HasPrefix(c.path, "/"+cl.api+"/") {
			t.Fatalf("table: case %q goes to %s, its class %q is of %s", c.name, c.path, c.class, cl.api)
		}
		used[c.class] = true
	}
	for _, c := range docClasses {
		if !used[c.name] {
			t.Fatalf("table: no case for class %q", c.name)
		}
	}

	// Targets are sent round robin, and those sent are a prefix of the
	// rounds (an attempt too late to send takes no target): one whole
	// round produces every case, since each limit's test sends more
	// requests in a round than the limit admits (Mira, Verify, MiMo: 4
	// demo-free requests for a burst of 2 and 4 demo-full ones for a
	// daily limit of 3; Mirra: 4 demo-free ones). A modest rate leaves a
	// slow machine time to send about two rounds. Counts need not be
	// predicted: they are compared with the simulation's.
	const rate, duration = 100, 3
	targets := docTargets(t, ts.URL, cases)
	before := docStats(t, ts.URL)
	out := filepath.Join(t.TempDir(), "r.bin")
	// The documented error cases include 5xx and limiters that break the
	// contract: only classification is judged here.
	code, stdout, stderr := runInProcess(t, "attack", "--targets", targets, "--rate", strconv.Itoa(rate)+"/s",
		"--duration", strconv.Itoa(duration)+"s", "-o", out, "--format", "json", "--quiet", "--threshold-defaults=false")
	if code != 0 {
		t.Fatalf("attack exit %d\nstderr: %s", code, stderr)
	}
	var sum docSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, stdout)
	}
	if sum.Requests < uint64(len(cases)) {
		t.Fatalf("the attack sent %d requests (%d unsent); want at least %d, one per target: the machine is too slow", sum.Requests, sum.Unsent, len(cases))
	}

	// The simulation counts a request once it has answered it, which may
	// be just after the client has read the answer: wait for the counts
	// to settle.
	var delta sim.Stats
	for deadline := time.Now().Add(5 * time.Second); ; {
		delta = docStatsDelta(before, docStats(t, ts.URL))
		if uint64(delta.Requests) >= sum.Requests || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	docLogClasses(t, sum.Classes)

	if delta.Requests != int64(sum.Requests) || delta.Unrouted != 0 {
		t.Errorf("requests: summary %d, simulation %d (unrouted %d); want equal, none unrouted", sum.Requests, delta.Requests, delta.Unrouted)
	}
	for kind, n := range sum.TransportErrors {
		if n != 0 {
			t.Errorf("transport errors: %d %s; want none", n, kind)
		}
	}
	if sum.Classification.Overflowed != 0 {
		t.Errorf("%d responses overflowed the class limit", sum.Classification.Overflowed)
	}

	// Match every class of the summary to an expected class.
	got := map[string]docSummaryClass{} // by expected class name
	classCount := map[string]uint64{}   // summed by class name (a class appears once)
	var successCount uint64
	seenIDs := map[uint32]bool{}
	for _, c := range sum.Classes {
		if seenIDs[c.ID] {
			t.Errorf("class id %d appears twice", c.ID)
		}
		seenIDs[c.ID] = true
		if c.ErrorKind != "" || c.Overflow {
			t.Errorf("class %d: error_kind %q, overflow %t; want a response, no overflow: %+v", c.ID, c.ErrorKind, c.Overflow, c)
			continue
		}
		if c.Status < 400 {
			if c.Category != "success" || c.Retryable || c.Code != "" || c.Pattern != "" {
				t.Errorf("class %d (%d): category %q retryable %t code %q pattern %q; want success, not retryable, no code or pattern",
					c.ID, c.Status, c.Category, c.Retryable, c.Code, c.Pattern)
			}
			successCount += c.Count
			continue
		}
		want, ok := byKey[docClassKey{c.Status, c.Code, c.Pattern}]
		if !ok {
			t.Errorf("unexpected class %d from %s: status %d code %q pattern %q (dialect %s, message %q, %d responses): a documented case split, or an unknown one",
				c.ID, c.ExampleRequest, c.Status, c.Code, c.Pattern, c.Dialect, c.Message, c.Count)
			continue
		}
		got[want.name] = c
		classCount[want.name] += c.Count
		if c.api() != want.api {
			t.Errorf("class %q: example request %q is not of %s", want.name, c.ExampleRequest, want.api)
		}
		dialectOK := c.Dialect == want.dialect || (want.dialect == "" && (c.Dialect == "envelope" || c.Dialect == "flat"))
		if c.Category != want.category || c.Retryable != want.retryable || !dialectOK {
			wantDialect := want.dialect
			if wantDialect == "" {
				wantDialect = "envelope or flat"
			}
			t.Errorf("class %q (%d %s %q): category %s, retryable %t, dialect %s; want %s, %t, %s",
				want.name, c.Status, c.Code, c.Pattern, c.Category, c.Retryable, c.Dialect, want.category, want.retryable, wantDialect)
		}
	}
	// Mirra's classes hold both forms of their error: the samples show
	// that the flat form was sent, and read alike.
	for _, want := range docClasses {
		c, ok := got[want.name]
		if !ok || want.api != "mirra" {
			continue
		}
		var envelope, flat bool
		for _, s := range c.Samples {
			envelope = envelope || strings.HasPrefix(s, `{"success":false,"error":{`)
			flat = flat || strings.HasPrefix(s, `{"code":"`+want.code+`"`)
		}
		if !envelope || !flat {
			t.Errorf("class %q: samples show the envelope %t, the flat form %t; want both:\n%s", want.name, envelope, flat, strings.Join(c.Samples, "\n"))
		}
	}
	for _, want := range docClasses {
		if _, ok := got[want.name]; !ok {
			var names []string
			for _, c := range cases {
				if c.class == want.name {
					names = append(names, c.name)
				}
			}
			t.Errorf("class %q missing: no response with status %d, code %q, pattern %q (cases: %s)",
				want.name, want.status, want.code, want.pattern, strings.Join(names, "; "))
		}
	}

	// Every case produced what the simulation says it produced.
	for _, c := range cases {
		if c.simCode != "" && delta.APIs[docAPIOf(c.path)].Codes[c.simCode] == 0 {
			t.Errorf("case %q: the simulation answered no %s", c.name, c.simCode)
		}
	}

	// Counts against the ground truth.
	var simSuccess int64
	for _, api := range sim.APINames() {
		st := delta.APIs[api]
		if st == nil {
			t.Errorf("stats lack API %s", api)
			continue
		}
		// Per status.
		byStatus := map[int]uint64{}
		for name, n := range classCount {
			if classes[name].api == api {
				byStatus[classes[name].status] += n
			}
		}
		for s, n := range st.Status {
			code, _ := strconv.Atoi(s)
			if code < 400 {
				simSuccess += n
				continue
			}
			if byStatus[code] != uint64(n) {
				t.Errorf("%s status %d: classes count %d, simulation %d", api, code, byStatus[code], n)
			}
			delete(byStatus, code)
		}
		for code, n := range byStatus {
			if n != 0 {
				t.Errorf("%s status %d: classes count %d, simulation none", api, code, n)
			}
		}
		// Per code.
		if docCodeDialects[api] {
			byCode := map[string]uint64{}
			for name, n := range classCount {
				if classes[name].api == api {
					byCode[classes[name].code] += n
				}
			}
			for _, code := range docUnion(slices.Collect(maps.Keys(byCode)), slices.Collect(maps.Keys(st.Codes))) {
				if byCode[code] != uint64(st.Codes[code]) {
					t.Errorf("%s code %s: classes count %d, simulation %d", api, code, byCode[code], st.Codes[code])
				}
			}
			continue
		}
		// Mira and Verify: each class counts the stats codes of its cases.
		simCodes := map[string][]string{} // class name → stats codes
		owner := map[string]string{}      // stats code → class name
		for _, c := range cases {
			if c.class == "" || classes[c.class].api != api {
				continue
			}
			if prev, ok := owner[c.simCode]; ok && prev != c.class {
				t.Fatalf("table: %s stats code %s in classes %q and %q", api, c.simCode, prev, c.class)
			}
			if _, ok := owner[c.simCode]; !ok {
				owner[c.simCode] = c.class
				simCodes[c.class] = append(simCodes[c.class], c.simCode)
			}
		}
		for code, n := range st.Codes {
			if _, ok := owner[code]; !ok {
				t.Errorf("%s: the simulation answered %d %s, which no expected class covers", api, n, code)
			}
		}
		for _, want := range docClasses {
			if want.api != api {
				continue
			}
			var n int64
			for _, code := range simCodes[want.name] {
				n += st.Codes[code]
			}
			if classCount[want.name] != uint64(n) {
				t.Errorf("class %q: count %d, simulation %d (%s)", want.name, classCount[want.name], n, strings.Join(simCodes[want.name], " + "))
			}
		}
	}
	// The traffic was mixed: every API answered some valid request.
	for _, c := range cases {
		if !c.valid {
			continue
		}
		var ok int64
		for s, n := range delta.APIs[docAPIOf(c.path)].Status {
			if s[0] == '2' {
				ok += n
			}
		}
		if ok == 0 {
			t.Errorf("case %q: %s answered no request with a success", c.name, docAPIOf(c.path))
		}
	}
	if successCount != uint64(simSuccess) || successCount == 0 {
		t.Errorf("successes: classes count %d, simulation %d; want equal and some", successCount, simSuccess)
	}
	t.Logf("%d targets, %d requests, %d classes, %s", len(cases), sum.Requests, len(sum.Classes), time.Since(began).Round(time.Millisecond))
}

// docAPIOf returns the API name of a path.
func docAPIOf(path string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return first
}

// docUnion returns the sorted union of two lists.
func docUnion(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// docLogClasses logs the class table, ordered by API, status and code.
func docLogClasses(t *testing.T, classes []docSummaryClass) {
	t.Helper()
	sorted := slices.Clone(classes)
	slices.SortFunc(sorted, func(a, b docSummaryClass) int {
		if c := strings.Compare(a.api(), b.api()); c != 0 {
			return c
		}
		if a.Status != b.Status {
			return a.Status - b.Status
		}
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Pattern, b.Pattern)
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %-12s %-3s %-24s %-14s %-5s %-12s %5s  %s\n", "id", "api", "st", "code", "category", "retry", "dialect", "count", "pattern")
	for _, c := range sorted {
		fmt.Fprintf(&b, "%-4d %-12s %-3d %-24s %-14s %-5t %-12s %5d  %s\n", c.ID, c.api(), c.Status, c.Code, c.Category, c.Retryable, c.Dialect, c.Count, c.Pattern)
	}
	t.Logf("classes:\n%s", b.String())
}
