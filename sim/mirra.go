package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Mirra REST API, per ../shared/seeds/mirra-rest-api-errors.txt (the REST
// reference) and ../shared/seeds/mirra-sdk-errors.txt (the SDK's, which
// adds codes and the "Common error scenarios" tables).
//
// A small resource API under /mirra/api/v1/: agents and scripts, kept in
// memory, owned by the key that created them. Endpoints (ids are path
// segments):
//
//	POST   /api/v1/agents                  create {subdomain, name, systemPrompt?, description?, category?} → 201
//	GET    /api/v1/agents                  the caller's agents, oldest first
//	GET    /api/v1/agents/{id}             one agent
//	PATCH  /api/v1/agents/{id}             change the fields given (the same fields)
//	DELETE /api/v1/agents/{id}             delete → {id, deleted: true}
//	POST   /api/v1/agents/{id}/publish     publish (needs description and category)
//	POST   /api/v1/agents/{id}/unpublish   unpublish
//	POST   /api/v1/scripts                 create {name, runtime, code, dependencies?: [script ids]} → 201
//	GET    /api/v1/scripts                 the caller's scripts, oldest first
//	GET    /api/v1/scripts/{id}            one script
//	PUT    /api/v1/scripts/{id}            change the fields given, plus "version" to match (optional)
//	DELETE /api/v1/scripts/{id}            delete → {id, deleted: true}
//	POST   /api/v1/scripts/{id}/publish    publish (checks the code and the dependencies)
//	POST   /api/v1/scripts/{id}/unpublish  unpublish
//	POST   /api/v1/scripts/{id}/install    install another key's published script → 200, an installation
//
// Successes are {"success": true, "data": …}. Errors are the REST
// reference's envelope,
//
//	{"success": false, "error": {"code": "…", "message": "…", "details": {…}}}
//
// or, when the request carries the header "X-Mirra-Error-Format: flat"
// (exactly "flat"; any other value keeps the envelope), the SDK
// reference's flat form {"code": "…", "message": "…", "details": {…}},
// where a RATE_LIMIT_EXCEEDED has no details but a top-level "retryAfter":
// N, as the SDK reference shows. details appear only where a seed shows
// them: VALIDATION_ERROR and MISSING_REQUIRED_FIELD {field, value?},
// INVALID_CODE {line, error}, INVALID_DEPENDENCY {dependency, type},
// PERMISSION_DENIED {}, ADAPTER_ERROR {}, RATE_LIMIT_EXCEEDED {retryAfter}
// (REST only). The stats count every error under its code.
//
// Keys are sent as "X-API-Key: <key>" (the REST reference) or
// "Authorization: Bearer <key>" (the SDK's); X-API-Key wins when both
// are given.
//
// A request is checked in this order; the first failing check answers:
//
//  0. faults of the simulation (faults.go), answered by forced: 500
//     INTERNAL_ERROR, 502 ADAPTER_ERROR "Failed to execute operation", 503
//     SERVICE_UNAVAILABLE, 504 ADAPTER_ERROR "Timeout communicating with an
//     external service"
//  1. route and method: anything but the endpoints above → 404 NOT_FOUND
//     "Resource not found", before authentication
//  2. authentication: no credential (or an empty one) → 401
//     AUTHENTICATION_ERROR "Authentication required"; an Authorization
//     header of another scheme than Bearer → 401 UNAUTHORIZED
//     "Unauthorized"; a value that is no key and has spaces or control
//     characters or is longer than 256 bytes → 401 AUTHENTICATION_ERROR
//     "Malformed API key"; any other value that is no key → 401
//     INVALID_API_KEY "Invalid API key"; a revoked key → 401
//     AUTHENTICATION_ERROR "API key has been revoked"; a key for other
//     services only → 403 PERMISSION_DENIED "API key lacks the permissions
//     for this service"
//  3. rate limit → 429 RATE_LIMIT_EXCEEDED "Rate limit exceeded. Try again
//     in N seconds." with Retry-After. From here on every answer carries
//     X-RateLimit-Limit, -Remaining and -Reset (epoch seconds).
//  4. the resource of the path, for an endpoint with an {id}: none → 404
//     AGENT_NOT_FOUND "Agent with ID 'x' not found" or SCRIPT_NOT_FOUND
//     "Script with ID 'x' not found"; another key's → 403
//     PERMISSION_DENIED "You do not have permission to access this
//     resource" (except install, which is for other keys' scripts)
//  5. the body of POST create, PATCH and PUT: more than 1 MiB, unreadable,
//     not JSON or not an object → 400 VALIDATION_ERROR
//  6. the fields, in three passes. (a) Types, in the order of the body
//     above (agents: subdomain, name, systemPrompt, description, category;
//     scripts: name, runtime, code, dependencies, and version for PUT):
//     not a string, dependencies not an array of strings, version not an
//     integer → 400 INVALID_INPUT "Invalid value for field 'name'". (b) A
//     required field (subdomain, name; name, runtime, code) absent or null
//     at creation, or blank whenever given → 400 MISSING_REQUIRED_FIELD
//     "name is required" {field}. (c) Values: subdomain not 3 to 30
//     characters → 400 VALIDATION_ERROR "subdomain must be between 3 and 30
//     characters" {field, value}; not of lowercase letters, digits and
//     hyphens → 400 INVALID_SUBDOMAIN "Subdomain can only contain lowercase
//     letters, numbers, and hyphens", a hyphen at either end → "Subdomain
//     cannot start or end with a hyphen", a digit first → "Subdomain must
//     start with a letter"; a text longer than its limit (mirraLimits) →
//     400 VALIDATION_ERROR "name must be at most 100 characters" {field};
//     more than 20 dependencies → 400 VALIDATION_ERROR {field}; runtime not
//     nodejs18 or python3.11 → 400 INVALID_RUNTIME "Runtime 'python2.7' is
//     not supported. Use 'nodejs18' or 'python3.11'". A PUT's stale version
//     (409 CONFLICT) is checked between (a) and (b). Unknown fields are
//     ignored.
//  7. the state, per endpoint (mirra_store.go): 409 SUBDOMAIN_TAKEN,
//     ALREADY_EXISTS, CONFLICT (a stale version, or the resource cap),
//     ALREADY_PUBLISHED, NOT_PUBLISHED, CANNOT_DELETE_PUBLISHED; 422
//     INVALID_CODE, INVALID_DEPENDENCY; 400 VALIDATION_ERROR (publishing an
//     agent without description or category); 403 PERMISSION_DENIED
//     (installing one's own script)
//  8. success → 200, or 201 for a create
//
// Codes of the seeds that no request can get, and why:
//   - OPERATION_FAILED: every operation is one step on memory under one
//     lock, so none can fail part way.
//   - UNKNOWN_ERROR: every error the simulation answers is classified.
//   - RESOURCE_NOT_FOUND: the only resources are agents and scripts, which
//     have their own codes; a missing dependency is INVALID_DEPENDENCY, as
//     the SDK reference shows.
//   - TEMPLATE_NOT_FOUND: there are no templates (the SDK reference's
//     "Installing templates" scenarios apply to scripts here).
//
// The REST reference's RATE_LIMIT_EXCEEDED message "Rate limit exceeded"
// and INTERNAL_ERROR message "An internal error occurred" are not used:
// the SDK reference's, which state more, are.

// mirraName is the Mirra REST API's name and path prefix.
const mirraName = "mirra"

// mirraMaxBody bounds the request body read.
const mirraMaxBody = 1 << 20

// mirraFormatHeader, set to mirraFlat, asks for the SDK's flat errors.
const (
	mirraFormatHeader = "X-Mirra-Error-Format"
	mirraFlat         = "flat"
)

// mirraMaxPerKey is the most agents, and the most scripts, one key may
// have at once; a variable so that tests can lower it before New.
var mirraMaxPerKey = 1000

// Error codes of Mirra.
const (
	mirraCodeAuthentication   = "AUTHENTICATION_ERROR"
	mirraCodeUnauthorized     = "UNAUTHORIZED"
	mirraCodePermission       = "PERMISSION_DENIED"
	mirraCodeInvalidKey       = "INVALID_API_KEY"
	mirraCodeValidation       = "VALIDATION_ERROR"
	mirraCodeInvalidInput     = "INVALID_INPUT"
	mirraCodeMissingField     = "MISSING_REQUIRED_FIELD"
	mirraCodeInvalidSubdomain = "INVALID_SUBDOMAIN"
	mirraCodeSubdomainTaken   = "SUBDOMAIN_TAKEN"
	mirraCodeNotFound         = "NOT_FOUND"
	mirraCodeAgentNotFound    = "AGENT_NOT_FOUND"
	mirraCodeScriptNotFound   = "SCRIPT_NOT_FOUND"
	mirraCodeAlreadyExists    = "ALREADY_EXISTS"
	mirraCodeConflict         = "CONFLICT"
	mirraCodeAlreadyPublished = "ALREADY_PUBLISHED"
	mirraCodeNotPublished     = "NOT_PUBLISHED"
	mirraCodeCannotDelete     = "CANNOT_DELETE_PUBLISHED"
	mirraCodeInvalidDep       = "INVALID_DEPENDENCY"
	mirraCodeRateLimit        = "RATE_LIMIT_EXCEEDED"
	mirraCodeInvalidCode      = "INVALID_CODE"
	mirraCodeInvalidRuntime   = "INVALID_RUNTIME"
	mirraCodeInternal         = "INTERNAL_ERROR"
	mirraCodeUnavailable      = "SERVICE_UNAVAILABLE"
	mirraCodeAdapter          = "ADAPTER_ERROR"
)

// Messages of Mirra's errors.
const (
	mirraMsgAuthRequired     = "Authentication required"
	mirraMsgMalformedKey     = "Malformed API key"        // not in the seed
	mirraMsgRevokedKey       = "API key has been revoked" // not in the seed
	mirraMsgUnauthorized     = "Unauthorized"
	mirraMsgInvalidKey       = "Invalid API key"
	mirraMsgWrongService     = "API key lacks the permissions for this service" // not in the seed
	mirraMsgPermission       = "You do not have permission to access this resource"
	mirraMsgNotFound         = "Resource not found"
	mirraMsgInvalidJSON      = "Invalid JSON in request body"                // not in the seed
	mirraMsgTooLarge         = "Request body too large (the limit is 1 MiB)" // not in the seed
	mirraMsgUnreadable       = "Request body could not be read"              // not in the seed
	mirraMsgSubdomainLength  = "subdomain must be between 3 and 30 characters"
	mirraMsgSubdomainChars   = "Subdomain can only contain lowercase letters, numbers, and hyphens"
	mirraMsgSubdomainHyphen  = "Subdomain cannot start or end with a hyphen" // not in the seed
	mirraMsgSubdomainLetter  = "Subdomain must start with a letter"          // not in the seed
	mirraMsgAlreadyExists    = "A resource with this name already exists"
	mirraMsgConflict         = "Resource is in a conflicting state"
	mirraMsgAgentsCap        = "Resource limit reached: delete some agents first"  // not in the seed
	mirraMsgScriptsCap       = "Resource limit reached: delete some scripts first" // not in the seed
	mirraMsgAgentPublished   = "This agent is already published"
	mirraMsgScriptPublished  = "This script is already published"                              // not in the seed
	mirraMsgAgentUnpublished = "This agent is not published"                                   // not in the seed
	mirraMsgScriptNotPub     = "This script is not published"                                  // not in the seed
	mirraMsgInstallNotPub    = "This script must be published before it can be installed"      // the seed's
	mirraMsgOwnScript        = "Cannot install your own script"                                // not in the seed
	mirraMsgDeleteAgent      = "Cannot delete a published agent. Unpublish it first."          // the seed's, for agents
	mirraMsgDeleteScript     = "Cannot delete a published script. Unpublish it first."         // the seed's, for scripts
	mirraMsgSyntax           = "Script contains syntax errors"                                 // the seed's
	mirraMsgInternal         = "An unexpected error occurred. Please try again."               // the SDK seed's
	mirraMsgUnavailable      = "Service temporarily unavailable. Please try again."            // the seed's
	mirraMsgAdapter          = "Failed to execute operation"                                   // the seed's
	mirraMsgAdapterTimeout   = "Timeout communicating with an external service"                // a cause the seed lists
	mirraMsgPublishedNoField = " cannot be removed from a published agent; unpublish it first" // not in the seed
)

// mirraErr is one error answer.
type mirraErr struct {
	status  int
	code    string
	message string
	details any    // nil for none; struct{}{} for {}
	retry   *int64 // RATE_LIMIT_EXCEEDED only: the wait in seconds
}

// Error details, in the seeds' field order.
type (
	mirraFieldDetails struct {
		Field string `json:"field"`
		Value any    `json:"value,omitempty"` // nil: none; "" is shown
	}
	mirraCodeDetails struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	}
	mirraDepDetails struct {
		Dependency string `json:"dependency"`
		Type       string `json:"type"`
	}
	mirraRetryDetails struct {
		RetryAfter int64 `json:"retryAfter"`
	}
)

// mirraEnvelope is the REST error body; mirraFlatError the SDK's.
type (
	mirraEnvelope struct {
		Success bool           `json:"success"`
		Error   mirraErrorBody `json:"error"`
	}
	mirraErrorBody struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details any    `json:"details,omitempty"`
	}
	mirraFlatError struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		Details    any    `json:"details,omitempty"`
		RetryAfter *int64 `json:"retryAfter,omitempty"`
	}
	mirraSuccess struct {
		Success bool `json:"success"`
		Data    any  `json:"data"`
	}
)

func mirraFail(status int, code, message string) *mirraErr {
	return &mirraErr{status: status, code: code, message: message}
}

// mirraFieldFail is an error naming a field: {field} or {field, value}.
func mirraFieldFail(status int, code, message, field string, value any) *mirraErr {
	return &mirraErr{status: status, code: code, message: message, details: mirraFieldDetails{Field: field, Value: value}}
}

func mirraDenied(message string) *mirraErr {
	return &mirraErr{status: http.StatusForbidden, code: mirraCodePermission, message: message, details: struct{}{}}
}

func mirraMissing(field string) *mirraErr {
	return mirraFieldFail(http.StatusBadRequest, mirraCodeMissingField, field+" is required", field, nil)
}

func mirraInvalidInput(field string) *mirraErr {
	return mirraFail(http.StatusBadRequest, mirraCodeInvalidInput, "Invalid value for field '"+field+"'")
}

func mirraRateLimited(secs int64) *mirraErr {
	return &mirraErr{status: http.StatusTooManyRequests, code: mirraCodeRateLimit,
		message: "Rate limit exceeded. Try again in " + strconv.FormatInt(secs, 10) + " seconds.", retry: &secs}
}

// write answers with e in the REST or the flat form.
func (e *mirraErr) write(w http.ResponseWriter, flat bool) {
	if flat {
		b := mirraFlatError{Code: e.code, Message: e.message, Details: e.details, RetryAfter: e.retry}
		if e.retry != nil {
			b.Details = nil
		}
		writeJSON(w, e.status, b)
		return
	}
	details := e.details
	if e.retry != nil {
		details = mirraRetryDetails{RetryAfter: *e.retry}
	}
	writeJSON(w, e.status, mirraEnvelope{Error: mirraErrorBody{Code: e.code, Message: e.message, Details: details}})
}

// mirra is the Mirra REST API.
type mirra struct {
	c         *common
	maxPerKey int // mirraMaxPerKey when built

	mu    sync.Mutex // guards the store
	store mirraStore
}

func init() { addAPI(mirraName, func(c *common) api { return newMirra(c) }) }

func newMirra(c *common) *mirra {
	m := &mirra{c: c, maxPerKey: mirraMaxPerKey}
	m.store.init()
	return m
}

// Name implements api.
func (m *mirra) Name() string { return mirraName }

// reset deletes every agent and script, and restarts the ids.
func (m *mirra) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store.init()
}

// mirraWantsFlat reports whether r asks for the SDK's flat errors.
func mirraWantsFlat(r *http.Request) bool { return r.Header.Get(mirraFormatHeader) == mirraFlat }

// forced answers a fault of the simulation (see api).
func (m *mirra) forced(w http.ResponseWriter, r *http.Request, status int) outcome {
	_, name, _ := m.credential(r)
	e := mirraFail(status, mirraCodeInternal, mirraMsgInternal)
	switch status {
	case http.StatusBadGateway:
		e = &mirraErr{status: status, code: mirraCodeAdapter, message: mirraMsgAdapter, details: struct{}{}}
	case http.StatusServiceUnavailable:
		e = mirraFail(status, mirraCodeUnavailable, mirraMsgUnavailable)
	case http.StatusGatewayTimeout:
		e = &mirraErr{status: status, code: mirraCodeAdapter, message: mirraMsgAdapterTimeout, details: struct{}{}}
	}
	e.write(w, mirraWantsFlat(r))
	return outcome{key: name, code: e.code}
}

// credential finds the key of a request: the key accepted for Mirra (nil
// if none), the name to count the request under (never a secret), and
// the error to answer if the key is not accepted.
func (m *mirra) credential(r *http.Request) (*key, string, *mirraErr) {
	secret := strings.TrimSpace(r.Header.Get("X-API-Key"))
	if secret == "" {
		if auth := strings.TrimSpace(r.Header.Get("Authorization")); auth != "" {
			scheme, token, _ := strings.Cut(auth, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				return nil, KeyUnknown, mirraFail(http.StatusUnauthorized, mirraCodeUnauthorized, mirraMsgUnauthorized)
			}
			secret = strings.TrimSpace(token)
		}
	}
	if secret == "" {
		return nil, KeyMissing, mirraFail(http.StatusUnauthorized, mirraCodeAuthentication, mirraMsgAuthRequired)
	}
	k, name := m.c.keys.apiKey(secret)
	switch {
	case k == nil && mirraMalformedKey(secret):
		return nil, name, mirraFail(http.StatusUnauthorized, mirraCodeAuthentication, mirraMsgMalformedKey)
	case k == nil:
		return nil, name, mirraFail(http.StatusUnauthorized, mirraCodeInvalidKey, mirraMsgInvalidKey)
	case k.revoked:
		return nil, name, mirraFail(http.StatusUnauthorized, mirraCodeAuthentication, mirraMsgRevokedKey)
	case !k.validFor(mirraName):
		return nil, name, mirraDenied(mirraMsgWrongService)
	}
	return k, name, nil
}

// mirraMalformedKey reports whether a credential cannot be a key at all:
// too long, or with spaces or control characters.
func mirraMalformedKey(s string) bool {
	return len(s) > maxKeyLen || strings.IndexFunc(s, func(r rune) bool {
		return r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0
}

// mirraOp is one endpoint.
type mirraOp int

const (
	mirraNoRoute mirraOp = iota
	mirraAgentList
	mirraAgentCreate
	mirraAgentGet
	mirraAgentPatch
	mirraAgentDelete
	mirraAgentPublish
	mirraAgentUnpublish
	mirraScriptList
	mirraScriptCreate
	mirraScriptGet
	mirraScriptPut
	mirraScriptDelete
	mirraScriptPublish
	mirraScriptUnpublish
	mirraScriptInstall
)

// mirraRoute finds the endpoint of a method and a path (without /mirra),
// and the id in the path; mirraNoRoute if none.
func mirraRoute(method, path string) (mirraOp, string) {
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return mirraNoRoute, ""
	}
	parts := strings.Split(rest, "/")
	kind := parts[0]
	if kind != "agents" && kind != "scripts" {
		return mirraNoRoute, ""
	}
	agents := kind == "agents"
	pick := func(agentOp, scriptOp mirraOp) mirraOp {
		if agents {
			return agentOp
		}
		return scriptOp
	}
	switch len(parts) {
	case 1:
		switch method {
		case http.MethodGet:
			return pick(mirraAgentList, mirraScriptList), ""
		case http.MethodPost:
			return pick(mirraAgentCreate, mirraScriptCreate), ""
		}
	case 2, 3:
		id := parts[1]
		if id == "" {
			return mirraNoRoute, ""
		}
		if len(parts) == 3 {
			if method != http.MethodPost {
				return mirraNoRoute, ""
			}
			switch parts[2] {
			case "publish":
				return pick(mirraAgentPublish, mirraScriptPublish), id
			case "unpublish":
				return pick(mirraAgentUnpublish, mirraScriptUnpublish), id
			case "install":
				if !agents {
					return mirraScriptInstall, id
				}
			}
			return mirraNoRoute, ""
		}
		switch {
		case method == http.MethodGet:
			return pick(mirraAgentGet, mirraScriptGet), id
		case method == http.MethodDelete:
			return pick(mirraAgentDelete, mirraScriptDelete), id
		case method == http.MethodPatch && agents:
			return mirraAgentPatch, id
		case method == http.MethodPut && !agents:
			return mirraScriptPut, id
		}
	}
	return mirraNoRoute, ""
}

// mirraHasBody reports whether an endpoint reads a JSON body.
func mirraHasBody(op mirraOp) bool {
	switch op {
	case mirraAgentCreate, mirraAgentPatch, mirraScriptCreate, mirraScriptPut:
		return true
	}
	return false
}

// mirraFields are the fields of a JSON object body.
type mirraFields map[string]json.RawMessage

// mirraReadFields reads and parses a JSON object body.
func mirraReadFields(w http.ResponseWriter, r *http.Request) (mirraFields, *mirraErr) {
	body, err := readBody(w, r, mirraMaxBody)
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return nil, mirraFail(http.StatusBadRequest, mirraCodeValidation, mirraMsgTooLarge)
		}
		return nil, mirraFail(http.StatusBadRequest, mirraCodeValidation, mirraMsgUnreadable)
	}
	var fields mirraFields
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &fields) != nil {
		return nil, mirraFail(http.StatusBadRequest, mirraCodeValidation, mirraMsgInvalidJSON)
	}
	return fields, nil
}

func (m *mirra) serve(w http.ResponseWriter, r *http.Request, path string) outcome {
	flat := mirraWantsFlat(r)
	k, name, authErr := m.credential(r)
	fail := func(e *mirraErr) outcome {
		e.write(w, flat)
		return outcome{key: name, code: e.code}
	}

	op, id := mirraRoute(r.Method, path)
	if op == mirraNoRoute {
		return fail(mirraFail(http.StatusNotFound, mirraCodeNotFound, mirraMsgNotFound))
	}
	if authErr != nil {
		return fail(authErr)
	}
	d := m.c.allow(mirraName, k)
	quotaHeaders(w.Header(), d)
	if !d.ok {
		return fail(mirraRateLimited(m.c.retryAfter(w.Header(), mirraName, d)))
	}

	// The body is read before taking the lock, but its errors answer only
	// after the resource of the path is found.
	var in mirraInput
	if mirraHasBody(op) {
		in.fields, in.err = mirraReadFields(w, r)
	}
	status, data, e := m.handle(op, id, k.name, in)
	if e != nil {
		return fail(e)
	}
	writeJSON(w, status, mirraSuccess{Success: true, Data: data})
	return outcome{key: name}
}
