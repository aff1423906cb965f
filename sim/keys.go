package sim

import (
	"math"
	"strings"
	"sync/atomic"
)

// Plan is what a key is allowed to do: its rate limits and the models it
// may not use. Limits apply per (API, key).
type Plan struct {
	Name         string   // "full", "free"
	Rate         float64  // requests per second refilled into the bucket; 0 for no per-second limit
	Burst        int      // bucket size: requests admitted at once after a pause
	PerDay       int      // requests admitted per UTC day; 0 for no daily limit
	DeniedModels []string // models the plan does not include (403 where the API has plans)
}

// Plans are the built-in plans, by name. Config keys name one of them.
var Plans = map[string]Plan{
	"full": {Name: "full", Rate: 10000, Burst: 10000},
	"free": {Name: "free", Rate: 2, Burst: 2, PerDay: 100, DeniedModels: []string{"mira-max", "mimo-v2-pro"}},
}

// denies reports whether the plan excludes model.
func (p Plan) denies(model string) bool {
	for _, m := range p.DeniedModels {
		if m == model {
			return true
		}
	}
	return false
}

// limit is the plan's rate limit, or, when rate > 0, one limit of rate
// requests per second for every key, with a bucket of burst requests (if 0:
// ceil(rate), at least 1: one second's worth). The daily limit is always
// the plan's.
func (p Plan) limit(rate float64, burst int) limit {
	if rate <= 0 {
		return limit{rate: p.Rate, burst: p.Burst, perDay: p.PerDay}
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(rate)))
	}
	return limit{rate: rate, burst: burst, perDay: p.PerDay}
}

// KeyInfo describes a built-in demo key. The demo keys are public: the
// value to send is the name itself (Authorization: Bearer demo-full).
type KeyInfo struct {
	Name        string
	Description string
	config      KeyConfig
}

// Stats names for requests without a known key. Config keys may not take
// these names.
const (
	KeyMissing = "missing" // no credential at all
	KeyUnknown = "unknown" // a credential that is no key of the simulation, or is malformed
)

// OtherService is the service that demo-other-service is valid for: one the
// simulation does not serve, like the seed's future "translate" key.
const OtherService = "translate"

// DemoKeys are the built-in keys, always present, in the order to list them.
var DemoKeys = []KeyInfo{
	{Name: "demo-full", Description: "everything allowed, limits of 10000 req/s, unlimited balance",
		config: KeyConfig{Name: "demo-full", Key: "demo-full", Plan: "full"}},
	{Name: "demo-free", Description: "free plan: no mira-max or mimo-v2-pro model (403), 2 req/s with a burst of 2, 100 requests per UTC day",
		config: KeyConfig{Name: "demo-free", Key: "demo-free", Plan: "free"}},
	{Name: "demo-empty", Description: "full plan with a zero balance: 402 where the API has payments",
		config: KeyConfig{Name: "demo-empty", Key: "demo-empty", Plan: "full", Balance: ptr(int64(0))}},
	{Name: "demo-revoked", Description: "a revoked key: 401",
		config: KeyConfig{Name: "demo-revoked", Key: "demo-revoked", Plan: "full", Revoked: true}},
	{Name: "demo-other-service", Description: "a valid key for another service (" + OtherService + "): 401 (Mirra: 403)",
		config: KeyConfig{Name: "demo-other-service", Key: "demo-other-service", Plan: "full", Services: []string{OtherService}}},
}

func ptr[T any](v T) *T { return &v }

// key is one key of the simulation with its mutable balance.
type key struct {
	name     string
	plan     Plan
	revoked  bool
	services []string // APIs the key is valid for; nil for all
	initial  int64    // balance at start and after a reset; unlimited if < 0
	balance  atomic.Int64
}

// validFor reports whether the key may call the API named api.
func (k *key) validFor(api string) bool {
	if k.services == nil {
		return true
	}
	for _, s := range k.services {
		if s == api {
			return true
		}
	}
	return false
}

// charge takes one credit from the balance, reporting false if there is
// none. Unlimited balances are never charged.
func (k *key) charge() bool {
	// A compare-and-swap loop rather than Add(-1): the balance must never
	// go below zero, even when concurrent requests race for the last credit.
	for {
		b := k.balance.Load()
		if b < 0 {
			return true
		}
		if b == 0 {
			return false
		}
		if k.balance.CompareAndSwap(b, b-1) {
			return true
		}
	}
}

// refund gives back a credit taken by charge, for a request that was
// rejected after being charged (rate-limited).
func (k *key) refund() {
	// Never above the initial balance: a reset between the charge and the
	// refund has already given the credit back.
	for k.initial >= 0 {
		b := k.balance.Load()
		if b >= k.initial || k.balance.CompareAndSwap(b, b+1) {
			return
		}
	}
}

// keyring maps the secret values of keys to keys. It is read-only after
// New, except for balances.
type keyring struct {
	bySecret map[string]*key
	all      []*key
}

func newKeyring(cfgs []KeyConfig) *keyring {
	kr := &keyring{bySecret: make(map[string]*key, len(cfgs))}
	for _, c := range cfgs {
		k := &key{name: c.Name, plan: Plans[c.Plan], revoked: c.Revoked, services: c.Services, initial: -1}
		if c.Balance != nil {
			k.initial = *c.Balance
		}
		k.balance.Store(k.initial)
		kr.bySecret[c.Key] = k
		kr.all = append(kr.all, k)
	}
	return kr
}

// reset restores every balance.
func (kr *keyring) reset() {
	for _, k := range kr.all {
		k.balance.Store(k.initial)
	}
}

// bearer finds the key of an "Authorization: Bearer <key>" header value. It
// returns the key (nil if none) and the name to count the request under,
// which is never the secret itself.
func (kr *keyring) bearer(header string) (*key, string) {
	if header == "" {
		return nil, KeyMissing
	}
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, KeyUnknown
	}
	k := kr.bySecret[strings.TrimSpace(secret)]
	if k == nil {
		return nil, KeyUnknown
	}
	return k, k.name
}

// apiKey finds the key of an "X-API-Key: <key>" header value, as bearer
// does for Authorization headers.
func (kr *keyring) apiKey(value string) (*key, string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, KeyMissing
	}
	k := kr.bySecret[value]
	if k == nil {
		return nil, KeyUnknown
	}
	return k, k.name
}
