package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// MiMo API, per ../shared/seeds/mimo-api-errors.txt.
//
// One endpoint, OpenAI-compatible: POST /mimo/v1/chat/completions,
// authenticated with "Authorization: Bearer <key>" or, as MiMo's
// OpenAI-compatible API also accepts, "api-key: <key>" (Authorization wins
// when both are sent). Errors are
//
//	{"error": {"code": "<code>", "message": "<message>", "type": "error"}}
//
// with the seed's codes, which are also the codes in the stats: the seed
// has one code per status, so the stats' codes count statuses, and the
// keys (KeyMissing, KeyUnknown or a key's name) tell the causes of a 401
// apart. The seed gives a single message, "Invalid API Key provided.";
// the others are in OpenAI's style (marked "not in the seed" below).
//
// A request is checked in this order; the first failing check answers:
//
//  0. faults of the simulation (faults.go), answered by forced: 500
//     internal_error, 502 bad_gateway, 503 service_unavailable (also for
//     more requests in flight than Controls.Capacity, by default 64), 504
//     gateway_timeout (502 and 504 are not in the seed)
//  1. route and method: anything but POST /v1/chat/completions → 404
//     not_found, "Unknown request URL: GET /v1/foo."
//  2. authentication → 401 authentication_failed, "Invalid API Key
//     provided." for every cause: a missing, malformed or unknown key, a
//     revoked key, a key for another service
//  3. body → 400 invalid_request: larger than 1 MiB, unreadable, not JSON,
//     not a JSON object
//  4. validation → 400 invalid_request: model (missing, null, blank, not a
//     string), messages (missing, not an array, empty, an element not an
//     object, a role missing or not one of system, user, assistant,
//     tool), temperature (not a number, outside [0, 2]), max_tokens and
//     max_completion_tokens (not an integer, below 1), stream (not a
//     boolean); null stands for an absent optional parameter. Then the
//     model must be one of MimoModels → 404 not_found, "The model 'gpt-4'
//     does not exist."
//  5. plan → 403 permission_denied, "Your account does not have access to
//     the model 'mimo-v2-pro'."
//  6. rate limit → 429 rate_limit_exceeded with Retry-After, "Rate limit
//     reached for requests. Please try again in 2s." (or, when the daily
//     limit is reached, a message about the daily quota)
//  7. success → 200, an OpenAI chat completion, or with "stream": true an
//     OpenAI server-sent event stream of chunks ending in "data: [DONE]"
//
// MiMo has no payments: balances are never charged. The rate limit comes
// last, as in mira.go, so that it counts only requests that would
// otherwise succeed.

// mimoName is the MiMo API's name and path prefix.
const mimoName = "mimo"

// MimoModels are the models of the simulated MiMo API, those the seed
// lists; any other is a 404.
var MimoModels = []string{"mimo-v2-pro", "mimo-v2-omni", "mimo-v2-tts", "mimo-v2-flash"}

// mimoPath is MiMo's only endpoint.
const mimoPath = "/v1/chat/completions"

// mimoMaxBody bounds the request body read.
const mimoMaxBody = 1 << 20

// mimoRoles are the roles a message may have.
var mimoRoles = []string{"system", "user", "assistant", "tool"}

// Error codes of MiMo, the seed's, and the two it lacks. They are also the
// codes in the stats.
const (
	mimoCodeInvalid     = "invalid_request"
	mimoCodeAuth        = "authentication_failed"
	mimoCodePermission  = "permission_denied"
	mimoCodeNotFound    = "not_found"
	mimoCodeRateLimit   = "rate_limit_exceeded"
	mimoCodeInternal    = "internal_error"
	mimoCodeUnavailable = "service_unavailable"
	mimoCodeBadGateway  = "bad_gateway"     // not in the seed
	mimoCodeTimeout     = "gateway_timeout" // not in the seed
)

// mimoErrorType is the "type" of every MiMo error.
const mimoErrorType = "error"

// Messages of MiMo's errors.
const (
	mimoInvalidKey      = "Invalid API Key provided."
	mimoInternal        = "The server had an error while processing your request. Sorry about that!"          // not in the seed
	mimoUnavailable     = "Service temporarily unavailable due to high load."                                 // the seed's description
	mimoBadGateway      = "Bad gateway."                                                                      // not in the seed
	mimoTimeout         = "Gateway timeout."                                                                  // not in the seed
	mimoInvalidJSON     = "We could not parse the JSON body of your request. The API expects a JSON payload." // not in the seed
	mimoNotObject       = "Invalid type for the request body: expected a JSON object."                        // not in the seed
	mimoTooLarge        = "The request body is too large: the limit is 1 MiB."                                // not in the seed
	mimoUnreadable      = "The request body could not be read."                                               // not in the seed
	mimoMissingModel    = "Missing required parameter: 'model'."                                              // not in the seed
	mimoBadModel        = "Invalid type for 'model': expected a string."                                      // not in the seed
	mimoMissingMessages = "Missing required parameter: 'messages'."                                           // not in the seed
	mimoBadMessages     = "Invalid type for 'messages': expected an array of objects."                        // not in the seed
	mimoEmptyMessages   = "Invalid 'messages': empty array. Expected an array with minimum length 1."         // not in the seed
	mimoBadTemperature  = "Invalid type for 'temperature': expected a number."                                // not in the seed
	mimoTemperatureOut  = "Invalid 'temperature': expected a number between 0 and 2."                         // not in the seed
	mimoBadStream       = "Invalid type for 'stream': expected a boolean."                                    // not in the seed
)

// mimoNotAnObject is the message for a message that is not an object (not
// in the seed).
func mimoNotAnObject(i int) string {
	return fmt.Sprintf("Invalid type for 'messages[%d]': expected an object.", i)
}

// mimoMissingRole is the message for a message without a role (not in the
// seed).
func mimoMissingRole(i int) string {
	return fmt.Sprintf("Missing required parameter: 'messages[%d].role'.", i)
}

// mimoBadRole is the message for a role not in mimoRoles (not in the seed).
func mimoBadRole(i int) string {
	return fmt.Sprintf("Invalid value for 'messages[%d].role': expected one of 'system', 'user', 'assistant', 'tool'.", i)
}

// mimoNotInteger is the message for a token limit that is not an integer
// (not in the seed).
func mimoNotInteger(param string) string {
	return "Invalid type for '" + param + "': expected an integer."
}

// mimoBelowOne is the message for a token limit below 1 (not in the seed).
func mimoBelowOne(param string) string {
	return "Invalid '" + param + "': integer below minimum value. Expected a value >= 1."
}

// mimoUnknownURL is the 404 message for any request but POST
// /v1/chat/completions (not in the seed).
func mimoUnknownURL(method, path string) string {
	if path == "" {
		path = "/"
	}
	return "Unknown request URL: " + method + " " + path + "."
}

// mimoUnknownModel is the 404 message for a model not in MimoModels (not
// in the seed, whose solution reads "Verify the endpoint URL and model
// name").
func mimoUnknownModel(model string) string {
	return "The model '" + model + "' does not exist."
}

// mimoPlanDenied is the 403 message for a model the plan excludes (not in
// the seed).
func mimoPlanDenied(model string) string {
	return "Your account does not have access to the model '" + model + "'."
}

// mimoRateLimited is the 429 message (not in the seed), stating the wait
// that Retry-After advertises.
func mimoRateLimited(seconds int64) string {
	return "Rate limit reached for requests. Please try again in " + strconv.FormatInt(seconds, 10) + "s."
}

// mimoDailyLimited is the 429 message once the daily limit is reached (not
// in the seed).
func mimoDailyLimited(seconds int64) string {
	return "You have exceeded your daily request quota. Please try again in " + strconv.FormatInt(seconds, 10) + "s."
}

// mimo is the MiMo API.
type mimo struct {
	c   *common
	seq atomic.Uint64 // completions answered, numbering their ids
}

func init() { addAPI(mimoName, func(c *common) api { return &mimo{c: c} }) }

// Name implements api.
func (m *mimo) Name() string { return mimoName }

func (m *mimo) reset() { m.seq.Store(0) }

// mimoError is MiMo's error body.
type mimoError struct {
	Error mimoErrorBody `json:"error"`
}

type mimoErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

// key finds the request's key: Authorization if sent, else api-key.
func (m *mimo) key(r *http.Request) (*key, string) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return m.c.keys.bearer(auth)
	}
	return m.c.keys.apiKey(r.Header.Get("api-key"))
}

// mimoFail writes an error in MiMo's dialect.
func mimoFail(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, mimoError{Error: mimoErrorBody{Code: code, Message: message, Type: mimoErrorType}})
}

// forced answers a fault of the simulation (see api): 500 and 503 with the
// seed's codes, 502 and 504 in its style.
func (m *mimo) forced(w http.ResponseWriter, r *http.Request, status int) outcome {
	_, name := m.key(r)
	code, message := mimoCodeInternal, mimoInternal
	switch status {
	case http.StatusBadGateway:
		code, message = mimoCodeBadGateway, mimoBadGateway
	case http.StatusServiceUnavailable:
		code, message = mimoCodeUnavailable, mimoUnavailable
	case http.StatusGatewayTimeout:
		code, message = mimoCodeTimeout, mimoTimeout
	}
	mimoFail(w, status, code, message)
	return outcome{key: name, code: code}
}

func (m *mimo) serve(w http.ResponseWriter, r *http.Request, path string) outcome {
	k, name := m.key(r)
	fail := func(status int, code, message string) outcome {
		mimoFail(w, status, code, message)
		return outcome{key: name, code: code}
	}

	if path != mimoPath || r.Method != http.MethodPost {
		return fail(http.StatusNotFound, mimoCodeNotFound, mimoUnknownURL(r.Method, path))
	}
	if k == nil || k.revoked || !k.validFor(mimoName) {
		return fail(http.StatusUnauthorized, mimoCodeAuth, mimoInvalidKey)
	}

	body, err := readBody(w, r, mimoMaxBody)
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return fail(http.StatusBadRequest, mimoCodeInvalid, mimoTooLarge)
		}
		return fail(http.StatusBadRequest, mimoCodeInvalid, mimoUnreadable)
	}
	req, bad := mimoParse(body)
	if bad.message != "" {
		return fail(bad.status, bad.code, bad.message)
	}

	if k.plan.denies(req.model) {
		return fail(http.StatusForbidden, mimoCodePermission, mimoPlanDenied(req.model))
	}
	if d := m.c.allow(mimoName, k); !d.ok {
		secs := m.c.retryAfter(w.Header(), mimoName, d)
		msg := mimoRateLimited(secs)
		if d.daily {
			msg = mimoDailyLimited(secs)
		}
		return fail(http.StatusTooManyRequests, mimoCodeRateLimit, msg)
	}

	c := m.complete(req)
	if req.stream {
		mimoStream(w, c)
	} else {
		writeJSON(w, http.StatusOK, c)
	}
	return outcome{key: name}
}

// mimoRequest is what a valid request asks for.
type mimoRequest struct {
	chatRequest // texts: string contents and text parts
	stream      bool
}

// mimoProblem is why a request is invalid: status, code and message.
type mimoProblem struct {
	status  int
	code    string
	message string
}

// mimoInvalid is a 400 invalid_request with message.
func mimoInvalid(message string) mimoProblem {
	return mimoProblem{http.StatusBadRequest, mimoCodeInvalid, message}
}

// mimoParse parses and validates a chat completion request body. Unknown
// fields are ignored, as OpenAI-compatible APIs do with most.
func mimoParse(body []byte) (mimoRequest, mimoProblem) {
	var req mimoRequest
	if !json.Valid(body) {
		return req, mimoInvalid(mimoInvalidJSON)
	}
	var fields map[string]json.RawMessage
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &fields) != nil {
		return req, mimoInvalid(mimoNotObject)
	}

	model, has := fields["model"]
	if !present(model, has) {
		return req, mimoInvalid(mimoMissingModel)
	}
	if json.Unmarshal(model, &req.model) != nil {
		return req, mimoInvalid(mimoBadModel)
	}
	if strings.TrimSpace(req.model) == "" {
		return req, mimoInvalid(mimoMissingModel)
	}

	msgs, has := fields["messages"]
	if !present(msgs, has) {
		return req, mimoInvalid(mimoMissingMessages)
	}
	var list []json.RawMessage
	if json.Unmarshal(msgs, &list) != nil {
		return req, mimoInvalid(mimoBadMessages)
	}
	if len(list) == 0 {
		return req, mimoInvalid(mimoEmptyMessages)
	}
	for i, raw := range list {
		var msg map[string]json.RawMessage
		if !mimoIsObject(raw) || json.Unmarshal(raw, &msg) != nil {
			return req, mimoInvalid(mimoNotAnObject(i))
		}
		role, has := msg["role"]
		if !present(role, has) {
			return req, mimoInvalid(mimoMissingRole(i))
		}
		var r string
		if json.Unmarshal(role, &r) != nil || !slices.Contains(mimoRoles, r) {
			return req, mimoInvalid(mimoBadRole(i))
		}
		req.texts = append(req.texts, mimoTexts(msg["content"])...)
	}
	req.messages = len(list)

	if t, has := fields["temperature"]; present(t, has) {
		var temp float64
		if !mimoIsNumber(t) {
			return req, mimoInvalid(mimoBadTemperature)
		}
		// An error is a number beyond float64: out of range.
		if json.Unmarshal(t, &temp) != nil || temp < 0 || temp > 2 {
			return req, mimoInvalid(mimoTemperatureOut)
		}
	}
	for _, param := range []string{"max_tokens", "max_completion_tokens"} {
		v, has := fields[param]
		if !present(v, has) {
			continue
		}
		s := string(bytes.TrimSpace(v))
		if !mimoIsNumber(v) || strings.ContainsAny(s, ".eE") {
			return req, mimoInvalid(mimoNotInteger(param))
		}
		// A JSON integer has no leading zeros: below 1 is 0, -0 or negative.
		if s == "0" || s[0] == '-' {
			return req, mimoInvalid(mimoBelowOne(param))
		}
	}
	if s, has := fields["stream"]; present(s, has) {
		if json.Unmarshal(s, &req.stream) != nil {
			return req, mimoInvalid(mimoBadStream)
		}
	}

	if !slices.Contains(MimoModels, req.model) {
		return req, mimoProblem{http.StatusNotFound, mimoCodeNotFound, mimoUnknownModel(req.model)}
	}
	return req, mimoProblem{}
}

// mimoIsObject reports whether a JSON value is an object.
func mimoIsObject(raw json.RawMessage) bool {
	b := bytes.TrimSpace(raw)
	return len(b) > 0 && b[0] == '{'
}

// mimoIsNumber reports whether a valid JSON value is a number.
func mimoIsNumber(raw json.RawMessage) bool {
	b := bytes.TrimSpace(raw)
	return len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9')
}

// mimoTexts returns the texts of a message's content: the content itself
// if it is a string, the text of each {"type": "text", "text": …} part if
// it is an array of parts. Other contents (images, audio) have no text.
func mimoTexts(content json.RawMessage) []string {
	var s string
	if json.Unmarshal(content, &s) == nil {
		return []string{s}
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(content, &parts) != nil {
		return nil
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" {
			texts = append(texts, p.Text)
		}
	}
	return texts
}

// mimoChunk is one event of a streamed chat completion.
type mimoChunk struct {
	ID      string            `json:"id"`
	Object  string            `json:"object"`
	Created int64             `json:"created"`
	Model   string            `json:"model"`
	Choices []mimoChunkChoice `json:"choices"`
}

type mimoChunkChoice struct {
	Index        int       `json:"index"`
	Delta        mimoDelta `json:"delta"`
	FinishReason *string   `json:"finish_reason"` // null until the last chunk
}

type mimoDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

// mimoWords are the words of simulated answers.
var mimoWords = strings.Fields(`the a simulated answer load test rate limit request
	response latency retry backoff token bucket server client stampede mimo model
	is was will can should of to and with under over quickly slowly gracefully`)

// mimoChunkWords is the number of words per content chunk of a stream.
const mimoChunkWords = 4

// complete answers a valid request (answerChat).
func (m *mimo) complete(req mimoRequest) chatCompletion {
	return answerChat(m.c.cfg.Seed, m.seq.Add(1), mimoName, req.chatRequest, mimoWords, m.c.now())
}

// mimoStream answers c as OpenAI streams a chat completion: server-sent
// events, each "data: <chunk>" and a blank line, flushed one by one: the
// role first, then the content a few words at a time, then an empty delta
// with finish_reason "stop", then "data: [DONE]". The deltas' contents add
// up to c's content.
func mimoStream(w http.ResponseWriter, c chatCompletion) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(delta mimoDelta, finish *string) {
		b, err := json.Marshal(mimoChunk{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model,
			Choices: []mimoChunkChoice{{Index: 0, Delta: delta, FinishReason: finish}}})
		if err != nil { // a bug: chunks are plain structs and strings
			panic(fmt.Sprintf("sim: encode chunk: %v", err))
		}
		w.Write([]byte("data: "))
		w.Write(b)
		w.Write([]byte("\n\n"))
		rc.Flush() // an error is a writer that cannot flush: the events arrive together
	}
	msg := c.Choices[0].Message
	send(mimoDelta{Role: msg.Role}, nil)
	words := strings.SplitAfter(msg.Content, " ")
	for len(words) > 0 {
		n := min(mimoChunkWords, len(words))
		send(mimoDelta{Content: strings.Join(words[:n], "")}, nil)
		words = words[n:]
	}
	stop := c.Choices[0].FinishReason
	send(mimoDelta{}, &stop)
	w.Write([]byte("data: [DONE]\n\n"))
	rc.Flush()
}
