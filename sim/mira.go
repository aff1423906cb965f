package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// Mira chat API, per ../shared/seeds/mira-chat-api-errors.txt.
//
// One endpoint, POST /mira/v1/chat/completions, authenticated with
// "Authorization: Bearer <key>". Errors are {"detail": "<message>"} with
// the seed's messages where it gives one, and messages in its style where it
// does not (marked "not in the seed" below).
//
// A request is checked in this order; the first failing check answers:
//
//  0. faults of the simulation (faults.go), answered by forced: 500
//     "Internal server error." (internal_error), 502 (bad_gateway), 503
//     (unavailable), 504 (gateway_timeout)
//  1. route and method: anything but POST /v1/chat/completions → 404
//     "Endpoint not found." (not_found)
//  2. authentication → 401 "Invalid API key.": the seed has one message
//     for every cause, so a missing (missing_key), unknown or malformed
//     (invalid_key), revoked (revoked_key) key and a key for another
//     service (wrong_service) all answer alike; only the stats tell them
//     apart
//  3. JSON parsing → 400 (invalid_json, invalid_body, body_too_large,
//     body_unreadable)
//  4. validation → 400: model (missing_model), messages (missing_messages,
//     invalid_messages), temperature (invalid_temperature), then whether
//     the model exists (unknown_model)
//  5. plan → 403 "Your plan does not include access to the <model> model."
//     (model_not_in_plan)
//  6. payment: one credit per request → 402 (insufficient_balance)
//  7. rate limit → 429 with Retry-After (rate_limited, or daily_limited
//     when the daily limit is reached), the credit refunded
//  8. success → 200, a chat completion
//
// The rate limit comes last so that it counts only requests that would
// otherwise succeed: every token the limiter hands out is a 200, and the
// 429s a client sees depend on its valid traffic only.

// miraName is the Mira chat API's name and path prefix.
const miraName = "mira"

// MiraModels are the models of the simulated Mira chat API; any other is a
// 400.
var MiraModels = []string{"mira", "mira-mini", "mira-max"}

// miraPath is Mira's only endpoint.
const miraPath = "/v1/chat/completions"

// miraMaxBody bounds the request body read.
const miraMaxBody = 1 << 20

// Messages of Mira's errors.
const (
	miraNotFound        = "Endpoint not found."
	miraInvalidKey      = "Invalid API key."
	miraInternal        = "Internal server error."
	miraUnavailable     = "Service temporarily unavailable."        // not in the seed
	miraBadGateway      = "Bad gateway."                            // not in the seed
	miraTimeout         = "Gateway timeout."                        // not in the seed
	miraInvalidJSON     = "The request body is not valid JSON."     // not in the seed
	miraNotObject       = "The request body must be a JSON object." // not in the seed
	miraTooLarge        = "The request body is too large."          // not in the seed
	miraUnreadable      = "The request body could not be read."     // not in the seed
	miraMissingModel    = "The 'model' field is required."
	miraMissingMessages = "The 'messages' field is required."                          // not in the seed
	miraBadMessages     = "The 'messages' field must be a non-empty array of objects." // not in the seed
	miraBadTemperature  = "The 'temperature' parameter must be between 0 and 2."
	miraNoBalance       = "Insufficient balance. Please top up your balance." // not in the seed
)

// miraUnknownModel is the message for a model not in MiraModels (not in
// the seed).
var miraUnknownModel = "The 'model' parameter must be one of " + strings.Join(MiraModels, ", ") + "."

// miraPlanDenied is the 403 message for a model the plan excludes.
func miraPlanDenied(model string) string {
	return "Your plan does not include access to the " + model + " model."
}

// miraRateLimited is the 429 message, in the seed's exact form (so "1
// seconds" too).
func miraRateLimited(seconds int64) string {
	return "Rate limit exceeded. Please retry after " + strconv.FormatInt(seconds, 10) + " seconds."
}

// mira is the Mira chat API.
type mira struct {
	c   *common
	seq atomic.Uint64 // completions answered, numbering their ids
}

func init() { addAPI(miraName, func(c *common) api { return &mira{c: c} }) }

// Name implements api.
func (m *mira) Name() string { return miraName }

func (m *mira) reset() { m.seq.Store(0) }

// miraError is Mira's error body.
type miraError struct {
	Detail string `json:"detail"`
}

// forced answers a fault of the simulation (see api): 500 and 503 with
// the seed's messages, 502 and 504 in its style.
func (m *mira) forced(w http.ResponseWriter, r *http.Request, status int) outcome {
	_, name := m.c.keys.bearer(r.Header.Get("Authorization"))
	code, detail := "internal_error", miraInternal
	switch status {
	case http.StatusBadGateway:
		code, detail = "bad_gateway", miraBadGateway
	case http.StatusServiceUnavailable:
		code, detail = "unavailable", miraUnavailable
	case http.StatusGatewayTimeout:
		code, detail = "gateway_timeout", miraTimeout
	}
	writeJSON(w, status, miraError{Detail: detail})
	return outcome{key: name, code: code}
}

func (m *mira) serve(w http.ResponseWriter, r *http.Request, path string) outcome {
	k, name := m.c.keys.bearer(r.Header.Get("Authorization"))
	fail := func(status int, code, detail string) outcome {
		writeJSON(w, status, miraError{Detail: detail})
		return outcome{key: name, code: code}
	}

	if path != miraPath || r.Method != http.MethodPost {
		return fail(http.StatusNotFound, "not_found", miraNotFound)
	}
	switch {
	case name == KeyMissing:
		return fail(http.StatusUnauthorized, "missing_key", miraInvalidKey)
	case k == nil:
		return fail(http.StatusUnauthorized, "invalid_key", miraInvalidKey)
	case k.revoked:
		return fail(http.StatusUnauthorized, "revoked_key", miraInvalidKey)
	case !k.validFor(miraName):
		return fail(http.StatusUnauthorized, "wrong_service", miraInvalidKey)
	}

	body, err := readBody(w, r, miraMaxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fail(http.StatusBadRequest, "body_too_large", miraTooLarge)
		}
		return fail(http.StatusBadRequest, "body_unreadable", miraUnreadable)
	}
	req, bad := parseMiraRequest(body)
	if bad.code != "" {
		return fail(http.StatusBadRequest, bad.code, bad.detail)
	}

	if k.plan.denies(req.model) {
		return fail(http.StatusForbidden, "model_not_in_plan", miraPlanDenied(req.model))
	}
	if !k.charge() {
		return fail(http.StatusPaymentRequired, "insufficient_balance", miraNoBalance)
	}
	if d := m.c.allow(miraName, k); !d.ok {
		k.refund()
		secs := m.c.retryAfter(w.Header(), miraName, d)
		code := "rate_limited"
		if d.daily {
			code = "daily_limited"
		}
		return fail(http.StatusTooManyRequests, code, miraRateLimited(secs))
	}

	writeJSON(w, http.StatusOK, m.complete(req))
	return outcome{key: name}
}

// miraRequest is what a valid request asks for.
type miraRequest struct{ chatRequest }

// miraProblem is why a request is invalid: a stats code and the detail.
type miraProblem struct{ code, detail string }

// parseMiraRequest parses and validates a chat completion request body.
// Unknown fields are ignored, as the real API does with most.
func parseMiraRequest(body []byte) (miraRequest, miraProblem) {
	var req miraRequest
	if !json.Valid(body) {
		return req, miraProblem{"invalid_json", miraInvalidJSON}
	}
	var fields map[string]json.RawMessage
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &fields) != nil {
		return req, miraProblem{"invalid_body", miraNotObject}
	}

	model, hasModel := fields["model"]
	if !present(model, hasModel) {
		return req, miraProblem{"missing_model", miraMissingModel}
	}
	modelOK := json.Unmarshal(model, &req.model) == nil
	if modelOK && req.model == "" {
		return req, miraProblem{"missing_model", miraMissingModel}
	}

	msgs, hasMsgs := fields["messages"]
	if !present(msgs, hasMsgs) {
		return req, miraProblem{"missing_messages", miraMissingMessages}
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(msgs, &list) != nil || len(list) == 0 {
		return req, miraProblem{"invalid_messages", miraBadMessages}
	}
	for _, msg := range list {
		if msg == nil { // a null element
			return req, miraProblem{"invalid_messages", miraBadMessages}
		}
		var text string
		if json.Unmarshal(msg["content"], &text) == nil {
			req.texts = append(req.texts, text)
		}
	}
	req.messages = len(list)

	if t, has := fields["temperature"]; present(t, has) {
		var temp float64
		// An error is a non-number or a number beyond float64: out of range.
		if json.Unmarshal(t, &temp) != nil || temp < 0 || temp > 2 {
			return req, miraProblem{"invalid_temperature", miraBadTemperature}
		}
	}

	if !modelOK || !isMiraModel(req.model) {
		return req, miraProblem{"unknown_model", miraUnknownModel}
	}
	return req, miraProblem{}
}

// present reports whether a field was given a value other than null.
func present(raw json.RawMessage, has bool) bool {
	return has && string(raw) != "null"
}

func isMiraModel(model string) bool {
	for _, m := range MiraModels {
		if m == model {
			return true
		}
	}
	return false
}

// miraWords are the words of simulated answers.
var miraWords = strings.Fields(`the a simulated answer load test rate limit request
	response latency retry backoff token bucket server client stampede mira model
	is was will can should of to and with under over quickly slowly gracefully`)

// complete answers a valid request (answerChat).
func (m *mira) complete(req miraRequest) chatCompletion {
	return answerChat(m.c.cfg.Seed, m.seq.Add(1), "", req.chatRequest, miraWords, m.c.now())
}
