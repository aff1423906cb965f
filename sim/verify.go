package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Mira Verify API, per ../shared/seeds/mira-verify-api-errors.txt.
//
// One endpoint, POST /verify/v1/stream (served as
// /mira-verify/verify/v1/stream), authenticated with "Authorization: Bearer
// <key>". Errors are {"error": "<Type>", "message": "<message>"} with the
// seed's types and messages where it gives them, and ones in its style
// where it does not (marked "not in the seed" below). The dialect has no
// error codes, so the stats name each error (in brackets below).
//
// A request is checked in this order; the first failing check answers:
//
//  0. faults of the simulation (faults.go), answered by forced: 500
//     "Internal Server Error" (internal_error), 502 "Bad Gateway"
//     (bad_gateway), 503 "Service Unavailable" (unavailable), 504
//     "Gateway Timeout" (gateway_timeout)
//  1. route and method: anything but POST /verify/v1/stream → 404 "Not
//     Found" (not_found)
//  2. authentication → 401 "Unauthorized", one message per cause, as in
//     the seed: no header (missing_key), a header that is not "Bearer
//     <key>" or a key that does not exist (invalid_key), a revoked key
//     (revoked_key), a key for another service (wrong_service)
//  3. body → 400 "Bad Request": too large, over 1 MiB (body_too_large),
//     unreadable (body_unreadable), not JSON (invalid_json), JSON but not
//     an object (invalid_body); the last two with the seed's "Invalid JSON
//     in request body"
//  4. validation → 400 "Bad Request": fact missing, null, not a string or
//     blank (missing_fact); minRequired, if present and not null, not the
//     number 2 or 3 (invalid_min_required). 2.0 and 3e0 are the numbers 2
//     and 3; "2" is a string, not a number. Unknown fields are ignored.
//  5. payment: one credit per request → 402 "Payment Required"
//     (insufficient_balance)
//  6. rate limit → 429 "Rate Limit Exceeded" with Retry-After (as
//     Controls.RetryAfter says) and X-RateLimit-Limit, -Remaining and
//     -Reset (Unix seconds): "Too many requests per minute"
//     (rate_limited), or "Daily request limit exceeded" (daily_limited)
//     when the daily limit is reached; the credit is refunded
//  7. success → 200 with the X-RateLimit-* headers, a verification
//     (verifyResult)
//
// The rate limit comes last so that it counts only requests that would
// otherwise succeed, as Mira's chat API does (mira.go).

// verifyName is the Mira Verify API's name and path prefix.
const verifyName = "mira-verify"

// verifyPath is the API's only endpoint.
const verifyPath = "/verify/v1/stream"

// verifyMaxBody bounds the request body read.
const verifyMaxBody = 1 << 20

// Error types of the dialect: the "error" field.
const (
	verifyTypeBadRequest  = "Bad Request"
	verifyTypeAuth        = "Unauthorized"
	verifyTypePayment     = "Payment Required"
	verifyTypeNotFound    = "Not Found" // not in the seed
	verifyTypeRateLimit   = "Rate Limit Exceeded"
	verifyTypeInternal    = "Internal Server Error"
	verifyTypeBadGateway  = "Bad Gateway"         // not in the seed
	verifyTypeUnavailable = "Service Unavailable" // not in the seed
	verifyTypeTimeout     = "Gateway Timeout"     // not in the seed
)

// Messages of the dialect: the "message" field.
const (
	verifyMsgNotFound       = "Endpoint not found" // not in the seed
	verifyMsgMissingKey     = "Missing Authorization header"
	verifyMsgInvalidKey     = "Invalid API key"
	verifyMsgRevokedKey     = "API key has been revoked"
	verifyMsgWrongService   = "API key not authorized for this service"
	verifyMsgTooLarge       = "Request body too large"      // not in the seed
	verifyMsgUnreadable     = "Could not read request body" // not in the seed
	verifyMsgInvalidJSON    = "Invalid JSON in request body"
	verifyMsgMissingFact    = "fact is required"
	verifyMsgMinRequired    = "minRequired must be 2 or 3"
	verifyMsgNoBalance      = "Insufficient balance"
	verifyMsgRateLimited    = "Too many requests per minute"
	verifyMsgDailyLimited   = "Daily request limit exceeded"
	verifyMsgInternal       = "An unexpected error occurred"
	verifyMsgBadGateway     = "Invalid response from upstream server" // not in the seed
	verifyMsgUnavailable    = "Service temporarily unavailable"       // not in the seed
	verifyMsgGatewayTimeout = "Upstream server timed out"             // not in the seed
)

// The simulated verification: a panel of verifyModels models each votes on
// the fact; see verify.check.
const (
	verifyModels         = 3   // models asked about every fact
	verifyDefaultMin     = 2   // minRequired when the request leaves it out
	verifyPromptTokens   = 8   // input tokens of the instructions each model reads
	verifyVerdictTokens  = 3   // output tokens of each model's verdict
	verifyMaxEcho        = 500 // bytes of the fact echoed in the answer
	verifyModelAccuracy  = 0.8 // probability that a model votes the fact's truth
	verifyConsensusTrue  = "verified"
	verifyConsensusFalse = "refuted"
	verifyConsensusNone  = "inconclusive"
)

// verify is the Mira Verify API.
type verify struct {
	c   *common
	seq atomic.Uint64 // verifications answered, numbering their ids
}

func init() { addAPI(verifyName, func(c *common) api { return &verify{c: c} }) }

// Name implements api.
func (v *verify) Name() string { return verifyName }

func (v *verify) reset() { v.seq.Store(0) }

// verifyError is the dialect's error body.
type verifyError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// forced answers a fault of the simulation (see api): 500 with the seed's
// message, 502, 503 and 504 in its style.
func (v *verify) forced(w http.ResponseWriter, r *http.Request, status int) outcome {
	_, name := v.c.keys.bearer(r.Header.Get("Authorization"))
	code, typ, msg := "internal_error", verifyTypeInternal, verifyMsgInternal
	switch status {
	case http.StatusBadGateway:
		code, typ, msg = "bad_gateway", verifyTypeBadGateway, verifyMsgBadGateway
	case http.StatusServiceUnavailable:
		code, typ, msg = "unavailable", verifyTypeUnavailable, verifyMsgUnavailable
	case http.StatusGatewayTimeout:
		code, typ, msg = "gateway_timeout", verifyTypeTimeout, verifyMsgGatewayTimeout
	}
	writeJSON(w, status, verifyError{Error: typ, Message: msg})
	return outcome{key: name, code: code}
}

func (v *verify) serve(w http.ResponseWriter, r *http.Request, path string) outcome {
	k, name := v.c.keys.bearer(r.Header.Get("Authorization"))
	fail := func(status int, code, typ, msg string) outcome {
		writeJSON(w, status, verifyError{Error: typ, Message: msg})
		return outcome{key: name, code: code}
	}

	if path != verifyPath || r.Method != http.MethodPost {
		return fail(http.StatusNotFound, "not_found", verifyTypeNotFound, verifyMsgNotFound)
	}
	switch {
	case name == KeyMissing:
		return fail(http.StatusUnauthorized, "missing_key", verifyTypeAuth, verifyMsgMissingKey)
	case k == nil:
		return fail(http.StatusUnauthorized, "invalid_key", verifyTypeAuth, verifyMsgInvalidKey)
	case k.revoked:
		return fail(http.StatusUnauthorized, "revoked_key", verifyTypeAuth, verifyMsgRevokedKey)
	case !k.validFor(verifyName):
		return fail(http.StatusUnauthorized, "wrong_service", verifyTypeAuth, verifyMsgWrongService)
	}

	body, err := readBody(w, r, verifyMaxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fail(http.StatusBadRequest, "body_too_large", verifyTypeBadRequest, verifyMsgTooLarge)
		}
		return fail(http.StatusBadRequest, "body_unreadable", verifyTypeBadRequest, verifyMsgUnreadable)
	}
	req, bad := verifyParse(body)
	if bad.code != "" {
		return fail(http.StatusBadRequest, bad.code, verifyTypeBadRequest, bad.message)
	}

	if !k.charge() {
		return fail(http.StatusPaymentRequired, "insufficient_balance", verifyTypePayment, verifyMsgNoBalance)
	}
	d := v.c.allow(verifyName, k)
	quotaHeaders(w.Header(), d)
	if !d.ok {
		k.refund()
		v.c.retryAfter(w.Header(), verifyName, d) // the body states no wait
		if d.daily {
			return fail(http.StatusTooManyRequests, "daily_limited", verifyTypeRateLimit, verifyMsgDailyLimited)
		}
		return fail(http.StatusTooManyRequests, "rate_limited", verifyTypeRateLimit, verifyMsgRateLimited)
	}

	res := v.check(req)
	if k.initial >= 0 {
		b := max(0, k.balance.Load())
		res.Balance = &b
	}
	writeJSON(w, http.StatusOK, res)
	return outcome{key: name}
}

// verifyRequest is what a valid request asks for.
type verifyRequest struct {
	fact        string
	minRequired int // 2 or 3
}

// verifyProblem is why a request is invalid: a stats code and the message.
type verifyProblem struct{ code, message string }

// verifyParse parses and validates a request body. Unknown fields are
// ignored; of a duplicated field, the last counts.
func verifyParse(body []byte) (verifyRequest, verifyProblem) {
	req := verifyRequest{minRequired: verifyDefaultMin}
	if !json.Valid(body) {
		return req, verifyProblem{"invalid_json", verifyMsgInvalidJSON}
	}
	var fields map[string]json.RawMessage
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &fields) != nil {
		return req, verifyProblem{"invalid_body", verifyMsgInvalidJSON}
	}

	// A missing field and null are alike; a non-string fails to decode.
	if json.Unmarshal(fields["fact"], &req.fact) != nil || strings.TrimSpace(req.fact) == "" {
		return req, verifyProblem{"missing_fact", verifyMsgMissingFact}
	}

	if raw, has := fields["minRequired"]; has && string(raw) != "null" {
		var n float64
		// An error is a non-number, or a number beyond float64.
		if json.Unmarshal(raw, &n) != nil || (n != 2 && n != 3) {
			return req, verifyProblem{"invalid_min_required", verifyMsgMinRequired}
		}
		req.minRequired = int(n)
	}
	return req, verifyProblem{}
}

// verifyResult is a verification, the API's success body (the seed shows
// none; it mentions only tokenUsage). For example:
//
//	{
//	  "id": "ver_1f0c9a7d3b2e4c5a6d7e8f90",
//	  "fact": "The Earth orbits the Sun",
//	  "verified": true,
//	  "consensus": "verified",
//	  "modelsAgreed": 3,
//	  "modelsAsked": 3,
//	  "minRequired": 2,
//	  "tokenUsage": {"input": 39, "output": 9, "total": 48},
//	  "balance": 41
//	}
type verifyResult struct {
	// ID is "ver_" and 24 hex digits, a function of the seed and the
	// verification's number since the start or last reset.
	ID string `json:"id"`
	// Fact is the request's fact, cut to its first 500 bytes (at a
	// character boundary).
	Fact string `json:"fact"`
	// Verified is whether at least minRequired models agreed that the
	// fact is true: Consensus is "verified".
	Verified bool `json:"verified"`
	// Consensus is "verified" or "refuted" when at least minRequired
	// models agreed the fact is true or false, else "inconclusive".
	Consensus string `json:"consensus"`
	// ModelsAgreed is how many models voted with the majority: 2 or 3.
	ModelsAgreed int `json:"modelsAgreed"`
	// ModelsAsked is the size of the panel: always 3.
	ModelsAsked int `json:"modelsAsked"`
	// MinRequired is the request's minRequired, 2 if it left it out.
	MinRequired int `json:"minRequired"`
	// TokenUsage counts words as tokens; see verify.check.
	TokenUsage verifyTokenUsage `json:"tokenUsage"`
	// Balance is the key's credits left after this request; absent for a
	// key with an unlimited balance.
	Balance *int64 `json:"balance,omitempty"`
}

// verifyTokenUsage is the tokenUsage of a verification.
type verifyTokenUsage struct {
	Input  int `json:"input"`
	Output int `json:"output"`
	Total  int `json:"total"`
}

// verifyIDStream separates the random stream of ids from the other streams
// drawn from the seed.
var verifyIDStream = verifyHash("mira-verify/id")

// verifyHash is the 64-bit FNV-1a hash of s.
func verifyHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// check answers a valid request. The id is a function of the seed and the
// verification's number; the votes are a function of the seed and the
// fact only, so that one fact always gets the same votes, and minRequired
// decides whether they reach a consensus.
//
// The fact is true or false with even odds; each of the verifyModels
// models votes its truth with probability verifyModelAccuracy. The
// majority's verdict is the consensus if at least minRequired models voted
// for it, so minRequired 2 always reaches one and 3 needs unanimity.
//
// Tokens are words (strings.Fields) of the whole fact: each model reads
// the fact and verifyPromptTokens of instructions, and answers
// verifyVerdictTokens, so input = 3 × (words + 8), output = 3 × 3 = 9,
// total = input + output.
func (v *verify) check(req verifyRequest) verifyResult {
	seed := uint64(v.c.cfg.Seed)
	n := v.seq.Add(1)
	idRNG := rand.New(rand.NewPCG(seed, verifyIDStream^n))
	id := fmt.Sprintf("ver_%016x%08x", idRNG.Uint64(), idRNG.Uint32())

	rng := rand.New(rand.NewPCG(seed, verifyHash(req.fact)))
	truth := rng.IntN(2) == 0
	yes := 0
	for range verifyModels {
		if (rng.Float64() < verifyModelAccuracy) == truth {
			yes++
		}
	}
	majority, agreed := yes*2 > verifyModels, max(yes, verifyModels-yes)
	consensus := verifyConsensusNone
	switch {
	case agreed >= req.minRequired && majority:
		consensus = verifyConsensusTrue
	case agreed >= req.minRequired:
		consensus = verifyConsensusFalse
	}

	words := len(strings.Fields(req.fact))
	in := verifyModels * (words + verifyPromptTokens)
	out := verifyModels * verifyVerdictTokens
	return verifyResult{
		ID:           id,
		Fact:         verifyTruncate(req.fact, verifyMaxEcho),
		Verified:     consensus == verifyConsensusTrue,
		Consensus:    consensus,
		ModelsAgreed: agreed,
		ModelsAsked:  verifyModels,
		MinRequired:  req.minRequired,
		TokenUsage:   verifyTokenUsage{Input: in, Output: out, Total: in + out},
	}
}

// verifyTruncate cuts s to at most n bytes, at the start of a character.
func verifyTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
