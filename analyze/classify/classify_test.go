package classify

import (
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/ratelimit"
	"github.com/stampede-dev/stampede/records"
)

// dialectCase is one response body and the class it must land in.
type dialectCase struct {
	name        string
	status      uint16
	contentType string
	body        string
	dialect     string
	code        string
	pattern     string
	category    records.Category
	retryable   bool
}

// seedCases are the error bodies of the seed documents (../shared/seeds,
// copied in sim/testdata/seeds), one per documented case, plus the other
// dialects the classifier reads.
var seedCases = []dialectCase{
	// Mira chat API: {"detail": "..."}.
	{"mira missing field", 400, "application/json", `{"detail": "The 'model' field is required."}`,
		"detail", "", "The '*' field is required.", records.CatValidation, false},
	{"mira bad parameter", 400, "application/json", `{"detail": "The 'temperature' parameter must be between 0 and 2."}`,
		"detail", "", "The '*' parameter must be between # and #.", records.CatValidation, false},
	{"mira invalid key", 401, "application/json", `{"detail": "Invalid API key."}`,
		"detail", "", "Invalid API key.", records.CatAuthentication, false},
	{"mira plan", 403, "application/json", `{"detail": "Your plan does not include access to the mira-max model."}`,
		"detail", "", "Your plan does not include access to the mira-max model.", records.CatPermission, false},
	{"mira not found", 404, "application/json", `{"detail": "Endpoint not found."}`,
		"detail", "", "Endpoint not found.", records.CatNotFound, false},
	{"mira rate limit", 429, "application/json", `{"detail": "Rate limit exceeded. Please retry after 60 seconds."}`,
		"detail", "", "Rate limit exceeded. Please retry after # seconds.", records.CatRateLimit, true},
	{"mira internal", 500, "application/json", `{"detail": "Internal server error."}`,
		"detail", "", "Internal server error.", records.CatServerError, true},

	// Mira Verify: {"error": "Type", "message": "..."}.
	{"verify invalid key", 401, "application/json", `{"error": "Unauthorized", "message": "Invalid API key"}`,
		"error-string", "", "Unauthorized: Invalid API key", records.CatAuthentication, false},
	{"verify missing key", 401, "application/json", `{"error": "Unauthorized", "message": "Missing Authorization header"}`,
		"error-string", "", "Unauthorized: Missing Authorization header", records.CatAuthentication, false},
	{"verify revoked", 401, "application/json", `{"error": "Unauthorized", "message": "API key has been revoked"}`,
		"error-string", "", "Unauthorized: API key has been revoked", records.CatAuthentication, false},
	{"verify wrong service", 401, "application/json", `{"error": "Unauthorized", "message": "API key not authorized for this service"}`,
		"error-string", "", "Unauthorized: API key not authorized for this service", records.CatAuthentication, false},
	{"verify balance", 402, "application/json", `{"error": "Payment Required", "message": "Insufficient balance"}`,
		"error-string", "", "Payment Required: Insufficient balance", records.CatPayment, false},
	{"verify per minute", 429, "application/json", `{"error": "Rate Limit Exceeded", "message": "Too many requests per minute"}`,
		"error-string", "", "Rate Limit Exceeded: Too many requests per minute", records.CatRateLimit, true},
	{"verify per day", 429, "application/json", `{"error": "Rate Limit Exceeded", "message": "Daily request limit exceeded"}`,
		"error-string", "", "Rate Limit Exceeded: Daily request limit exceeded", records.CatRateLimit, false},
	{"verify missing fact", 400, "application/json", `{"error": "Bad Request", "message": "fact is required"}`,
		"error-string", "", "Bad Request: fact is required", records.CatValidation, false},
	{"verify bad value", 400, "application/json", `{"error": "Bad Request", "message": "minRequired must be 2 or 3"}`,
		"error-string", "", "Bad Request: minRequired must be # or #", records.CatValidation, false},
	{"verify bad json", 400, "application/json", `{"error": "Bad Request", "message": "Invalid JSON in request body"}`,
		"error-string", "", "Bad Request: Invalid JSON in request body", records.CatValidation, false},
	{"verify internal", 500, "application/json", `{"error": "Internal Server Error", "message": "An unexpected error occurred"}`,
		"error-string", "", "Internal Server Error: An unexpected error occurred", records.CatServerError, true},

	// MiMo: {"error": {"code", "message", "type"}}.
	{"mimo invalid request", 400, "application/json", `{"error": {"code": "invalid_request", "message": "The request body is malformed.", "type": "error"}}`,
		"error-object", "invalid_request", "The request body is malformed.", records.CatValidation, false},
	{"mimo auth", 401, "application/json", `{"error": {"code": "authentication_failed", "message": "Invalid API Key provided.", "type": "error"}}`,
		"error-object", "authentication_failed", "Invalid API Key provided.", records.CatAuthentication, false},
	{"mimo permission", 403, "application/json", `{"error": {"code": "permission_denied", "message": "Your account does not have access to this resource", "type": "error"}}`,
		"error-object", "permission_denied", "Your account does not have access to this resource", records.CatPermission, false},
	{"mimo not found", 404, "application/json", `{"error": {"code": "not_found", "message": "The requested resource does not exist", "type": "error"}}`,
		"error-object", "not_found", "The requested resource does not exist", records.CatNotFound, false},
	{"mimo rate limit", 429, "application/json", `{"error": {"code": "rate_limit_exceeded", "message": "Too many requests, rate limit exceeded", "type": "error"}}`,
		"error-object", "rate_limit_exceeded", "Too many requests, rate limit exceeded", records.CatRateLimit, true},
	{"mimo internal", 500, "application/json", `{"error": {"code": "internal_error", "message": "Server internal error", "type": "error"}}`,
		"error-object", "internal_error", "Server internal error", records.CatServerError, true},
	{"mimo unavailable", 503, "application/json", `{"error": {"code": "service_unavailable", "message": "Service temporarily unavailable due to high load", "type": "error"}}`,
		"error-object", "service_unavailable", "Service temporarily unavailable due to high load", records.CatUnavailable, true},

	// Mirra REST: {"success": false, "error": {"code", "message", "details"}}.
	{"mirra rest auth", 401, "application/json", `{"success": false, "error": {"code": "AUTHENTICATION_ERROR", "message": "Authentication required"}}`,
		"envelope", "AUTHENTICATION_ERROR", "Authentication required", records.CatAuthentication, false},
	{"mirra rest unauthorized", 401, "application/json", `{"success": false, "error": {"code": "UNAUTHORIZED", "message": "Unauthorized"}}`,
		"envelope", "UNAUTHORIZED", "Unauthorized", records.CatAuthentication, false},
	{"mirra rest permission", 403, "application/json", `{"success": false, "error": {"code": "PERMISSION_DENIED", "message": "You do not have permission to access this resource", "details": {}}}`,
		"envelope", "PERMISSION_DENIED", "You do not have permission to access this resource", records.CatPermission, false},
	{"mirra rest invalid key", 401, "application/json", `{"success": false, "error": {"code": "INVALID_API_KEY", "message": "Invalid API key"}}`,
		"envelope", "INVALID_API_KEY", "Invalid API key", records.CatAuthentication, false},
	{"mirra rest validation", 400, "application/json", `{"success": false, "error": {"code": "VALIDATION_ERROR", "message": "subdomain must be between 3 and 30 characters", "details": {"field": "subdomain", "value": "ab"}}}`,
		"envelope", "VALIDATION_ERROR", "subdomain must be between # and # characters", records.CatValidation, false},
	{"mirra rest invalid input", 400, "application/json", `{"success": false, "error": {"code": "INVALID_INPUT", "message": "Invalid value for field 'runtime'"}}`,
		"envelope", "INVALID_INPUT", "Invalid value for field '*'", records.CatValidation, false},
	{"mirra rest missing field", 400, "application/json", `{"success": false, "error": {"code": "MISSING_REQUIRED_FIELD", "message": "name is required", "details": {"field": "name"}}}`,
		"envelope", "MISSING_REQUIRED_FIELD", "name is required", records.CatValidation, false},
	{"mirra rest not found", 404, "application/json", `{"success": false, "error": {"code": "NOT_FOUND", "message": "Resource not found"}}`,
		"envelope", "NOT_FOUND", "Resource not found", records.CatNotFound, false},
	{"mirra rest exists", 409, "application/json", `{"success": false, "error": {"code": "ALREADY_EXISTS", "message": "A resource with this name already exists"}}`,
		"envelope", "ALREADY_EXISTS", "A resource with this name already exists", records.CatConflict, false},
	{"mirra rest conflict", 409, "application/json", `{"success": false, "error": {"code": "CONFLICT", "message": "Resource is in a conflicting state"}}`,
		"envelope", "CONFLICT", "Resource is in a conflicting state", records.CatConflict, false},
	{"mirra rest rate limit", 429, "application/json", `{"success": false, "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Rate limit exceeded", "details": {}}}`,
		"envelope", "RATE_LIMIT_EXCEEDED", "Rate limit exceeded", records.CatRateLimit, true},
	{"mirra rest unavailable", 503, "application/json", `{"success": false, "error": {"code": "SERVICE_UNAVAILABLE", "message": "Service temporarily unavailable. Please try again."}}`,
		"envelope", "SERVICE_UNAVAILABLE", "Service temporarily unavailable. Please try again.", records.CatUnavailable, true},
	{"mirra rest adapter", 500, "application/json", `{"success": false, "error": {"code": "ADAPTER_ERROR", "message": "Failed to execute operation", "details": {}}}`,
		"envelope", "ADAPTER_ERROR", "Failed to execute operation", records.CatServerError, true},
	{"mirra rest operation", 500, "application/json", `{"success": false, "error": {"code": "OPERATION_FAILED", "message": "Operation failed"}}`,
		"envelope", "OPERATION_FAILED", "Operation failed", records.CatServerError, true},
	{"mirra rest internal", 500, "application/json", `{"success": false, "error": {"code": "INTERNAL_ERROR", "message": "An internal error occurred"}}`,
		"envelope", "INTERNAL_ERROR", "An internal error occurred", records.CatServerError, true},
	{"mirra rest unknown", 500, "application/json", `{"success": false, "error": {"code": "UNKNOWN_ERROR", "message": "An unexpected error occurred"}}`,
		"envelope", "UNKNOWN_ERROR", "An unexpected error occurred", records.CatServerError, true},

	// Mirra SDK: flat {"code", "message"}.
	{"mirra sdk auth", 401, "application/json", `{"code": "AUTHENTICATION_ERROR", "message": "Invalid API key"}`,
		"flat", "AUTHENTICATION_ERROR", "Invalid API key", records.CatAuthentication, false},
	{"mirra sdk subdomain", 400, "application/json", `{"code": "INVALID_SUBDOMAIN", "message": "Subdomain can only contain lowercase letters, numbers, and hyphens"}`,
		"flat", "INVALID_SUBDOMAIN", "Subdomain can only contain lowercase letters, numbers, and hyphens", records.CatValidation, false},
	{"mirra sdk taken", 409, "application/json", `{"code": "SUBDOMAIN_TAKEN", "message": "The subdomain 'my-agent' is already taken"}`,
		"flat", "SUBDOMAIN_TAKEN", "The subdomain '*' is already taken", records.CatConflict, false},
	{"mirra sdk script not found", 404, "application/json", `{"code": "SCRIPT_NOT_FOUND", "message": "Script with ID '123abc' not found"}`,
		"flat", "SCRIPT_NOT_FOUND", "Script with ID '*' not found", records.CatNotFound, false},
	{"mirra sdk published", 409, "application/json", `{"code": "ALREADY_PUBLISHED", "message": "This agent is already published"}`,
		"flat", "ALREADY_PUBLISHED", "This agent is already published", records.CatConflict, false},
	{"mirra sdk dependency", 422, "application/json", `{"code": "INVALID_DEPENDENCY", "message": "Resource 'api_123' not found", "details": {"dependency": "api_123", "type": "resource"}}`,
		"flat", "INVALID_DEPENDENCY", "Resource '*' not found", records.CatUnprocessable, false},
	{"mirra sdk rate limit", 429, "application/json", `{"code": "RATE_LIMIT_EXCEEDED", "message": "Rate limit exceeded. Try again in 42 seconds.", "retryAfter": 42}`,
		"flat", "RATE_LIMIT_EXCEEDED", "Rate limit exceeded. Try again in # seconds.", records.CatRateLimit, true},
	{"mirra sdk invalid code", 400, "application/json", `{"code": "INVALID_CODE", "message": "Script contains syntax errors", "details": {"line": 42, "error": "Unexpected token '}'"}}`,
		"flat", "INVALID_CODE", "Script contains syntax errors", records.CatValidation, false},
	{"mirra sdk runtime", 400, "application/json", `{"code": "INVALID_RUNTIME", "message": "Runtime 'python2.7' is not supported. Use 'nodejs18' or 'python3.11'"}`,
		"flat", "INVALID_RUNTIME", "Runtime '*' is not supported. Use '*' or '*'", records.CatValidation, false},

	// Other dialects.
	{"problem json", 403, "application/problem+json", `{"type": "https://example.com/probs/out-of-credit", "title": "You do not have enough credit.", "detail": "Your current balance is 30, but that costs 50.", "instance": "/account/12345/msgs/abc", "balance": 30}`,
		"problem", "https://example.com/probs/out-of-credit", "You do not have enough credit.", records.CatPayment, false},
	{"problem about blank", 429, "application/problem+json; charset=utf-8", `{"type": "about:blank", "title": "Too Many Requests", "status": 429, "code": "quota_exhausted"}`,
		"problem", "quota_exhausted", "Too Many Requests", records.CatRateLimit, false},
	{"problem sniffed", 404, "application/json", `{"title": "Not Found", "status": 404, "detail": "no order 17"}`,
		"problem", "", "Not Found: no order #", records.CatNotFound, false},
	{"spring about blank", 400, "application/problem+json", `{"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "Required parameter 'id' is not present.", "instance": "/v1/x"}`,
		"problem", "", "Bad Request: Required parameter '*' is not present.", records.CatValidation, false},
	{"problem daily quota", 429, "application/problem+json", `{"title": "Too Many Requests", "status": 429, "detail": "Daily quota of 1000 requests exhausted"}`,
		"problem", "", "Too Many Requests: Daily quota of # requests exhausted", records.CatRateLimit, false},
	{"openai quota", 429, "application/json", `{"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}`,
		"error-object", "insufficient_quota", "You exceeded your current quota, please check your plan and billing details.", records.CatPayment, false},
	{"openai null code", 400, "application/json", `{"error": {"message": "Invalid 'messages': empty array.", "type": "invalid_request_error", "param": "messages", "code": null}}`,
		"error-object", "invalid_request_error", "Invalid '*': empty array.", records.CatValidation, false},
	{"google numeric code", 429, "application/json", `{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}`,
		"error-object", "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", records.CatRateLimit, true},
	{"google per minute quota", 429, "application/json", `{"error": {"code": 429, "message": "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com'", "status": "RESOURCE_EXHAUSTED"}}`,
		"error-object", "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric '*' and limit '*' of service '*'", records.CatRateLimit, true},
	{"numeric code with a status word", 400, "application/json", `{"error": {"code": 1013, "status": "error", "message": "bad"}}`,
		"error-object", "1013", "bad", records.CatValidation, false},
	{"aws json", 400, "application/x-amz-json-1.1", `{"__type": "ThrottlingException", "message": "Rate exceeded"}`,
		"generic", "ThrottlingException", "Rate exceeded", records.CatRateLimit, true},
	{"s3 xml", 503, "application/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>",
		"xml", "SlowDown", "Please reduce your request rate.", records.CatUnavailable, true},
	{"xml sniffed", 500, "", "<?xml version=\"1.0\"?>\n<oops>broken</oops>", "xml", "", "<oops>broken<*>", records.CatServerError, true},
	{"shopify errors string", 429, "application/json", `{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`,
		"errors", "", "Exceeded # calls per second for api client. Reduce request rates to resume uninterrupted service.", records.CatRateLimit, true},
	{"errors object", 422, "application/json", `{"errors": {"title": ["can't be blank"], "price": ["must be positive"]}}`,
		"errors", "", "{title,price}", records.CatUnprocessable, false},
	{"nestjs message list", 400, "application/json", `{"message": ["name must be a string", "age must be a number"], "error": "Bad Request", "statusCode": 400}`,
		"error-string", "", "Bad Request: name must be a string", records.CatValidation, false},
	{"message list alone", 400, "application/json", `{"message": ["name must be a string"], "statusCode": 400}`,
		"generic", "", "name must be a string", records.CatValidation, false},
	{"slack", 429, "application/json", `{"ok": false, "error": "ratelimited"}`,
		"error-string", "ratelimited", "", records.CatRateLimit, true},
	{"kubernetes status", 404, "application/json", `{"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "pods \"web-7\" not found", "reason": "NotFound", "details": {"name": "web-7", "kind": "pods"}, "code": 404}`,
		"flat", "NotFound", `pods "*" not found`, records.CatNotFound, false},
	{"json with a byte order mark", 400, "application/json", "\xef\xbb\xbf{\"detail\": \"bad\"}",
		"detail", "", "bad", records.CatValidation, false},
	{"oauth", 400, "application/json", `{"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"}`,
		"error-string", "invalid_grant", "The provided authorization grant is invalid", records.CatValidation, false},
	{"fastapi validation", 422, "application/json", `{"detail": [{"loc": ["body", "temperature"], "msg": "Input should be less than or equal to 2", "type": "less_than_equal"}]}`,
		"detail", "less_than_equal", "body.temperature: Input should be less than or equal to #", records.CatUnprocessable, false},
	{"drf throttled", 429, "application/json", `{"detail": "Request was throttled. Expected available in 7 seconds.", "code": "throttled"}`,
		"detail", "throttled", "Request was throttled. Expected available in # seconds.", records.CatRateLimit, true},
	{"graphql", 200, "application/json", `{"errors": [{"message": "Cannot query field 'x' on type 'Query'.", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}`,
		"none", "", "", records.CatSuccess, false},
	{"jsonapi", 422, "application/vnd.api+json", `{"errors": [{"status": "422", "code": "invalid-title", "title": "Invalid Attribute", "detail": "First name must contain at least 3 characters."}]}`,
		"errors", "invalid-title", "Invalid Attribute", records.CatUnprocessable, false},
	{"salesforce array", 400, "application/json", `[{"message": "No such column 'Foo' on entity 'Account'", "errorCode": "INVALID_FIELD"}]`,
		"generic", "INVALID_FIELD", "No such column '*' on entity '*'", records.CatValidation, false},
	{"generic error_code", 400, "application/json", `{"error_code": 1001, "error_message": "Parameter x is invalid"}`,
		"generic", "1001", "Parameter x is invalid", records.CatValidation, false},
	{"github 403 rate limit", 403, "application/json", `{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "documentation_url": "https://docs.github.com/rest"}`,
		"generic", "", "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", records.CatRateLimit, true},
	{"other json", 500, "application/json", `{"status": "down", "uptime": 12}`,
		"json", "", "{status,uptime}", records.CatServerError, true},
	{"html page", 502, "text/html", "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
		"html", "", "# Bad Gateway", records.CatServerError, true},
	{"html sniffed", 503, "", "<html><body><h1>Service Unavailable</h1>upstream at 10.0.0.7</body></html>",
		"html", "", "Service Unavailable", records.CatUnavailable, true},
	{"text", 504, "text/plain", "\nupstream request timeout after 30000ms\nretry later",
		"text", "", "upstream request timeout after *", records.CatTimeout, true},
	{"empty", 503, "", "", "empty", "", "", records.CatUnavailable, true},
	{"blank", 500, "text/plain", " \r\n ", "empty", "", "", records.CatServerError, true},
	{"binary", 500, "application/octet-stream", "\x00\x01\x02\xff", "binary", "", "", records.CatServerError, true},
	{"truncated json", 500, "application/json", `{"error": {"code": "internal_er`, "text", "", `{"*": {"*": "internal_er`, records.CatServerError, true},
	{"success", 200, "application/json", `{"id": 1}`, "none", "", "", records.CatSuccess, false},
	{"redirect", 302, "", "", "none", "", "", records.CatRedirect, false},
}

func TestClassifySeedDialects(t *testing.T) {
	for _, tc := range seedCases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustClassifier(t, Options{})
			got := c.Classify(&Response{Status: tc.status, ContentType: tc.contentType, Body: []byte(tc.body), BodyLen: uint64(len(tc.body)), Method: "POST", URL: "http://127.0.0.1:1/v1/x"}).Class
			if got.Dialect != tc.dialect || got.Code != tc.code || got.Pattern != tc.pattern || got.Category != tc.category || got.Retryable != tc.retryable {
				t.Errorf("Classify(%d %s) = dialect %q code %q pattern %q %s retryable %t; want %q %q %q %s %t",
					tc.status, tc.body, got.Dialect, got.Code, got.Pattern, got.Category, got.Retryable,
					tc.dialect, tc.code, tc.pattern, tc.category, tc.retryable)
			}
			if got.Example != "POST /v1/x" {
				t.Errorf("Example = %q; want %q", got.Example, "POST /v1/x")
			}
		})
	}
}

// TestSeedCasesAreDistinct checks that the seed documents' error cases of
// one status are classes of their own when classified by one classifier.
func TestSeedCasesAreDistinct(t *testing.T) {
	c := mustClassifier(t, Options{})
	ids := map[uint32]string{}
	for _, tc := range seedCases {
		if tc.status < 400 || strings.HasPrefix(tc.name, "blank") {
			continue
		}
		cl := c.Classify(&Response{Status: tc.status, ContentType: tc.contentType, Body: []byte(tc.body)})
		if prev, dup := ids[cl.Class.ID]; dup {
			t.Errorf("%q and %q share class %d", tc.name, prev, cl.Class.ID)
		}
		ids[cl.Class.ID] = tc.name
		if !cl.NewClass {
			t.Errorf("%q: NewClass = false on first sight", tc.name)
		}
	}
}

func mustClassifier(t testing.TB, o Options) *Classifier {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// TestBodyWaitSeedBodies runs ratelimit.BodyWait over every seed body of the
// classifier's table: only those that state a wait find one.
func TestBodyWaitSeedBodies(t *testing.T) {
	want := map[string]time.Duration{
		"mira rate limit":      time.Minute,
		"mirra sdk rate limit": 42 * time.Second,
		"drf throttled":        7 * time.Second,
	}
	for _, tc := range seedCases {
		wait, ok := ratelimit.BodyWait([]byte(tc.body))
		if w, states := want[tc.name]; ok != states || wait != w {
			t.Errorf("%s: ratelimit.BodyWait(%q) = %s, %v; want %s, %v", tc.name, tc.body, wait, ok, w, states)
		}
	}
}
