package sim

import "time"

// DemoRequest is one request of the demo mix: a path under the
// simulation's base URL, with its headers and body.
type DemoRequest struct {
	Method string
	Path   string
	Header map[string]string
	Body   string
	// Expect says what the simulation answers and why, for people
	// reading the mix.
	Expect string
}

// DemoConfig is the simulation the demo attacks for d: a little latency
// everywhere, a tight rate limit on Mira chat so that a burst gets 429s, an
// outage of Mira Verify from 60% to 80% of d, and a trickle of injected
// server errors on MiMo.
func DemoConfig(d time.Duration) Config {
	outage := Window{Start: d * 6 / 10, Duration: max(d*2/10, time.Second)}
	return Config{
		Seed: 1,
		Controls: Controls{
			Latency: Latency{Dist: "lognormal", A: 2 * time.Millisecond, B: 25 * time.Millisecond},
		},
		APIs: map[string]Controls{
			"mira":        {RateLimit: 10, Burst: 5},
			"mira-verify": {Outages: []Window{outage}},
			"mimo":        {Errors: ErrorRates{500: 0.02, 503: 0.02}},
		},
	}
}

// DemoRequests is the demo mix: valid and invalid requests to every API,
// sent in turn. Each documented kind of error appears at least once.
func DemoRequests() []DemoRequest {
	const json = "application/json"
	bearer := func(key string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + key, "Content-Type": json}
	}
	apiKey := func(key string) map[string]string {
		return map[string]string{"X-API-Key": key, "Content-Type": json}
	}
	chat := func(model string) string {
		return `{"model":"` + model + `","messages":[{"role":"user","content":"How do rate limits work?"}]}`
	}
	post := "POST"
	return []DemoRequest{
		// Mira chat: {"detail": "..."}
		{post, "/mira/v1/chat/completions", bearer("demo-full"), chat("mira"), "200; 429 once the burst exceeds 10/s"},
		{post, "/mira/v1/chat/completions", bearer("demo-full"), chat("mira-mini"), "200; 429 in the burst"},
		{post, "/mira/v1/chat/completions", bearer("demo-full"), chat("mira-max"), "200; 429 in the burst"},
		{post, "/mira/v1/chat/completions", bearer("demo-full"), `{"model":"mira","messages":[{"role":"user","content":"Hi"}],"temperature":3}`, "400 temperature"},
		{post, "/mira/v1/chat/completions", bearer("demo-full"), chat("gpt-4"), "400 unknown model"},
		{post, "/mira/v1/chat/completions", bearer("demo-free"), chat("mira-max"), "403 plan"},
		{post, "/mira/v1/chat/completions", bearer("demo-empty"), chat("mira"), "402 balance"},
		{post, "/mira/v1/chat/completions", bearer("demo-revoked"), chat("mira"), "401"},

		// Mira Verify: {"error": "Type", "message": "..."}
		{post, "/mira-verify/verify/v1/stream", bearer("demo-full"), `{"fact":"Water boils at 100 C at sea level."}`, "200; 503 in the outage"},
		{post, "/mira-verify/verify/v1/stream", bearer("demo-full"), `{"fact":"The Moon orbits the Earth.","minRequired":3}`, "200; 503 in the outage"},
		{post, "/mira-verify/verify/v1/stream", bearer("demo-full"), `{"minRequired":2}`, "400 fact is required"},
		{post, "/mira-verify/verify/v1/stream", bearer("demo-full"), `{"fact":"x","minRequired":5}`, "400 minRequired"},
		{post, "/mira-verify/verify/v1/stream", bearer("demo-other-service"), `{"fact":"x"}`, "401 wrong service"},
		{post, "/mira-verify/verify/v1/stream", bearer("demo-free"), `{"fact":"Paris is in France."}`, "200, then 429 past 2/s"},
		{post, "/mira-verify/verify/v1/stream", bearer("demo-empty"), `{"fact":"x"}`, "402 balance"},

		// MiMo: {"error": {"code", "message", "type"}}
		{post, "/mimo/v1/chat/completions", bearer("demo-full"), chat("mimo-v2-flash"), "200; 2% 500, 2% 503"},
		{post, "/mimo/v1/chat/completions", bearer("demo-full"), chat("mimo-v2-pro"), "200; injected errors"},
		{post, "/mimo/v1/chat/completions", bearer("demo-free"), chat("mimo-v2-pro"), "403 permission_denied"},
		{post, "/mimo/v1/chat/completions", bearer("demo-full"), chat("mimo-v1"), "404 not_found"},
		{post, "/mimo/v1/chat/completions", bearer("demo-full"), `{"model":"mimo-v2-flash","messages":[`, "400 invalid_request"},
		{post, "/mimo/v1/chat/completions", map[string]string{"Content-Type": json}, chat("mimo-v2-flash"), "401 authentication_failed"},

		// Mirra REST: {"success": false, "error": {"code", "message", "details"}}
		{"GET", "/mirra/api/v1/agents", apiKey("demo-full"), "", "200"},
		{post, "/mirra/api/v1/agents", apiKey("demo-full"), `{"name":"Support bot","subdomain":"support-bot"}`, "201 once, then 409 SUBDOMAIN_TAKEN"},
		{post, "/mirra/api/v1/agents", apiKey("demo-full"), `{"name":"Tiny","subdomain":"ab"}`, "400 VALIDATION_ERROR"},
		{post, "/mirra/api/v1/agents", apiKey("demo-full"), `{"name":"Shouty","subdomain":"My_Agent"}`, "400 INVALID_SUBDOMAIN"},
		{post, "/mirra/api/v1/scripts", apiKey("demo-full"), `{"name":"legacy","runtime":"python2.7","code":"print 1"}`, "400 INVALID_RUNTIME"},
		{post, "/mirra/api/v1/scripts", apiKey("demo-full"), `{"name":"broken","runtime":"nodejs18","code":"function f() {\n  return 1;\n}}"}`, "422 INVALID_CODE"},
		{"GET", "/mirra/api/v1/scripts/scr_missing", apiKey("demo-full"), "", "404 SCRIPT_NOT_FOUND"},
		{"GET", "/mirra/api/v1/agents", apiKey("sk-not-a-key"), "", "401 INVALID_API_KEY"},
	}
}
