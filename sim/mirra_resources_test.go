package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// mirraServe sends one request straight to s.ServeHTTP, authenticated
// with the X-API-Key secret, and returns the status and the body. Safe
// from any goroutine.
func mirraServe(s *Server, method, path, secret, body string) (int, string) {
	req := httptest.NewRequest(method, "/mirra"+path, strings.NewReader(body))
	if secret != "" {
		req.Header.Set("X-API-Key", secret)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// mirraData decodes a success body strictly into data, failing the test
// if it is not {"success": true, "data": …}.
func mirraData(tb testing.TB, body string, data any) {
	tb.Helper()
	var env struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil || !env.Success {
		tb.Fatalf("body %s: want {\"success\": true, \"data\": …} (%v)", body, err)
	}
	dec = json.NewDecoder(strings.NewReader(string(env.Data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(data); err != nil {
		tb.Fatalf("data %s: %v", env.Data, err)
	}
}

// mirraErrCode returns the code of a REST error body.
func mirraErrCode(tb testing.TB, body string) string {
	tb.Helper()
	var env struct {
		Success *bool `json:"success"`
		Error   struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.Success == nil || *env.Success || env.Error.Code == "" {
		tb.Fatalf("body %s: want a REST error (%v)", body, err)
	}
	return env.Error.Code
}

// mirraTestAgent and mirraTestScript are what the API answers, as tests
// decode them.
type (
	mirraTestAgent struct {
		ID           string `json:"id"`
		Subdomain    string `json:"subdomain"`
		Name         string `json:"name"`
		SystemPrompt string `json:"systemPrompt"`
		Description  string `json:"description"`
		Category     string `json:"category"`
		Published    bool   `json:"published"`
		CreatedAt    string `json:"createdAt"`
		UpdatedAt    string `json:"updatedAt"`
	}
	mirraTestScript struct {
		ID           string   `json:"id"`
		Name         string   `json:"name"`
		Runtime      string   `json:"runtime"`
		Code         string   `json:"code"`
		Dependencies []string `json:"dependencies"`
		Version      int64    `json:"version"`
		Published    bool     `json:"published"`
		CreatedAt    string   `json:"createdAt"`
		UpdatedAt    string   `json:"updatedAt"`
	}
)

// mirraMust sends a request that must answer status, and decodes the data
// of a success into data (if not nil).
func mirraMust(tb testing.TB, s *Server, method, path, secret, body string, status int, data any) {
	tb.Helper()
	got, b := mirraServe(s, method, path, secret, body)
	if got != status {
		tb.Fatalf("%s %s = %d %s; want %d", method, path, got, b, status)
	}
	if data != nil {
		mirraData(tb, b, data)
	}
}

func TestMirraAgentLifecycle(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Seed: 5, Keys: []KeyConfig{mirraOtherKey}}, clock)
	ts := mustServe(t, s)
	stamp := epoch.Format("2006-01-02T15:04:05Z")

	// Created with the SDK's Bearer key.
	a := do(t, ts.Client(), ts.URL, call{method: "POST", path: "/mirra/api/v1/agents", auth: bearer("demo-full"),
		body: `{"subdomain":"my-agent","name":"My Agent","systemPrompt":"Hello!"}`})
	if a.status != http.StatusCreated {
		t.Fatalf("create = %d %s; want 201", a.status, a.body)
	}
	var ag mirraTestAgent
	mirraData(t, a.body, &ag)
	want := mirraTestAgent{ID: ag.ID, Subdomain: "my-agent", Name: "My Agent", SystemPrompt: "Hello!", CreatedAt: stamp, UpdatedAt: stamp}
	if !strings.HasPrefix(ag.ID, "agt_") || len(ag.ID) != len("agt_")+16 || ag != want {
		t.Errorf("created %+v; want %+v with an id agt_ and 16 hex digits", ag, want)
	}

	var list []mirraTestAgent
	mirraMust(t, s, "GET", "/api/v1/agents", "demo-full", "", 200, &list)
	if len(list) != 1 || list[0] != ag {
		t.Errorf("list = %+v; want [%+v]", list, ag)
	}
	mirraMust(t, s, "GET", "/api/v1/agents", mirraOtherKey.Key, "", 200, &list)
	if len(list) != 0 {
		t.Errorf("other key's list = %+v; want []", list)
	}
	var got mirraTestAgent
	mirraMust(t, s, "GET", "/api/v1/agents/"+ag.ID, "demo-full", "", 200, &got)
	if got != ag {
		t.Errorf("GET = %+v; want %+v", got, ag)
	}

	// PATCH changes only the fields given; the old subdomain is free again.
	clock.Advance(90 * time.Second)
	mirraMust(t, s, "PATCH", "/api/v1/agents/"+ag.ID, "demo-full",
		`{"subdomain":"new-agent","description":"Says hello","category":"fun","unknown":1}`, 200, &got)
	want = ag
	want.Subdomain, want.Description, want.Category = "new-agent", "Says hello", "fun"
	want.UpdatedAt = epoch.Add(90 * time.Second).Format("2006-01-02T15:04:05Z")
	if got != want {
		t.Errorf("PATCH = %+v; want %+v", got, want)
	}
	mirraMust(t, s, "POST", "/api/v1/agents", mirraOtherKey.Key, `{"subdomain":"my-agent","name":"Theirs"}`, 201, nil)
	// Keeping one's own subdomain is no conflict.
	mirraMust(t, s, "PATCH", "/api/v1/agents/"+ag.ID, "demo-full", `{"subdomain":"new-agent"}`, 200, nil)

	mirraMust(t, s, "POST", "/api/v1/agents/"+ag.ID+"/publish", "demo-full", "", 200, &got)
	if !got.Published {
		t.Errorf("publish = %+v; want published", got)
	}
	mirraMust(t, s, "PATCH", "/api/v1/agents/"+ag.ID, "demo-full", `{"description":"Says hello twice"}`, 200, &got)
	if !got.Published || got.Description != "Says hello twice" {
		t.Errorf("PATCH of a published agent = %+v; want published, the new description", got)
	}
	mirraMust(t, s, "POST", "/api/v1/agents/"+ag.ID+"/unpublish", "demo-full", "", 200, &got)
	if got.Published {
		t.Errorf("unpublish = %+v; want not published", got)
	}
	var del struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}
	mirraMust(t, s, "DELETE", "/api/v1/agents/"+ag.ID, "demo-full", "", 200, &del)
	if del.ID != ag.ID || !del.Deleted {
		t.Errorf("delete = %+v; want {%s true}", del, ag.ID)
	}
	mirraMust(t, s, "GET", "/api/v1/agents/"+ag.ID, "demo-full", "", 404, nil)
	mirraMust(t, s, "GET", "/api/v1/agents", "demo-full", "", 200, &list)
	if len(list) != 0 {
		t.Errorf("list after delete = %+v; want []", list)
	}
	// The deleted agent's subdomain is free.
	mirraMust(t, s, "POST", "/api/v1/agents", "demo-full", `{"subdomain":"new-agent","name":"Again"}`, 201, nil)

	// Successes count no code.
	if st := s.Stats().APIs["mirra"]; st.Codes[mirraCodeAgentNotFound] != 1 || len(st.Codes) != 1 {
		t.Errorf("stats codes = %v; want only AGENT_NOT_FOUND: 1", st.Codes)
	}
}

func TestMirraScriptLifecycle(t *testing.T) {
	s := mustNew(t, Config{Seed: 5, Keys: []KeyConfig{mirraOtherKey}}, newFakeClock(epoch))
	other := mirraOtherKey.Key

	var lib, app mirraTestScript
	mirraMust(t, s, "POST", "/api/v1/scripts", other, `{"name":"lib","runtime":"nodejs18","code":"export const f = (x) => [x];"}`, 201, &lib)
	if !strings.HasPrefix(lib.ID, "scr_") || lib.Version != 1 || lib.Published || lib.Dependencies == nil || len(lib.Dependencies) != 0 {
		t.Errorf("created %+v; want scr_…, version 1, unpublished, dependencies []", lib)
	}
	mirraMust(t, s, "POST", "/api/v1/scripts/"+lib.ID+"/publish", other, "", 200, &lib)
	// Anyone may depend on a published script.
	mirraMust(t, s, "POST", "/api/v1/scripts", "demo-full",
		`{"name":"app","runtime":"python3.11","code":"def main():\n    return {'ok': [1, 2]}\n","dependencies":["`+lib.ID+`"]}`, 201, &app)
	if !slices.Equal(app.Dependencies, []string{lib.ID}) {
		t.Errorf("dependencies = %v; want [%s]", app.Dependencies, lib.ID)
	}

	// Drafts may be saved broken; each PUT adds one to the version.
	mirraMust(t, s, "PUT", "/api/v1/scripts/"+app.ID, "demo-full", `{"version":1,"code":"def main(:\n"}`, 200, &app)
	if app.Version != 2 || app.Code != "def main(:\n" {
		t.Errorf("PUT = %+v; want version 2, the new code", app)
	}
	mirraMust(t, s, "POST", "/api/v1/scripts/"+app.ID+"/publish", "demo-full", "", 422, nil)
	mirraMust(t, s, "PUT", "/api/v1/scripts/"+app.ID, "demo-full", `{"version":2,"code":"def main():\n    pass\n","name":"app2"}`, 200, &app)
	mirraMust(t, s, "PUT", "/api/v1/scripts/"+app.ID, "demo-full", `{"code":"def main():\n    return 1\n"}`, 200, &app)
	if app.Version != 4 || app.Name != "app2" {
		t.Errorf("PUT = %+v; want version 4, name app2", app)
	}
	// The old name is free again.
	mirraMust(t, s, "POST", "/api/v1/scripts", "demo-full", `{"name":"app","runtime":"nodejs18","code":"1"}`, 201, nil)
	mirraMust(t, s, "POST", "/api/v1/scripts/"+app.ID+"/publish", "demo-full", "", 200, &app)
	if !app.Published || app.Version != 4 {
		t.Errorf("publish = %+v; want published, version 4", app)
	}

	var ins, again struct {
		ID            string `json:"id"`
		ScriptID      string `json:"scriptId"`
		ScriptName    string `json:"scriptName"`
		ScriptVersion int64  `json:"scriptVersion"`
		InstalledAt   string `json:"installedAt"`
	}
	mirraMust(t, s, "POST", "/api/v1/scripts/"+app.ID+"/install", other, "", 200, &ins)
	if !strings.HasPrefix(ins.ID, "ins_") || ins.ScriptID != app.ID || ins.ScriptName != "app2" || ins.ScriptVersion != 4 || ins.InstalledAt == "" {
		t.Errorf("install = %+v; want ins_…, %s, app2, version 4", ins, app.ID)
	}
	mirraMust(t, s, "POST", "/api/v1/scripts/"+app.ID+"/install", other, "", 200, &again)
	if again != ins {
		t.Errorf("second install = %+v; want the same %+v", again, ins)
	}
	mirraMust(t, s, "POST", "/api/v1/scripts/"+app.ID+"/install", "demo-free", "", 200, &again)
	if again.ID == ins.ID {
		t.Errorf("another key's install has the same id %s", ins.ID)
	}

	var list []mirraTestScript
	mirraMust(t, s, "GET", "/api/v1/scripts", "demo-full", "", 200, &list)
	if len(list) != 2 || list[0].ID != app.ID || list[1].Name != "app" {
		t.Errorf("list = %+v; want app2 then app", list)
	}
	mirraMust(t, s, "POST", "/api/v1/scripts/"+app.ID+"/unpublish", "demo-full", "", 200, nil)
	mirraMust(t, s, "DELETE", "/api/v1/scripts/"+app.ID, "demo-full", "", 200, nil)
	mirraMust(t, s, "GET", "/api/v1/scripts", "demo-full", "", 200, &list)
	if len(list) != 1 || list[0].Name != "app" {
		t.Errorf("list after delete = %+v; want app", list)
	}
}

// TestMirraIDsAndReset checks that ids follow the seed and the number of
// creations, and that a reset deletes everything and restarts them.
func TestMirraIDsAndReset(t *testing.T) {
	ids := func(s *Server) []string {
		var out []string
		for i := range 3 {
			var ag mirraTestAgent
			mirraMust(t, s, "POST", "/api/v1/agents", "demo-full", fmt.Sprintf(`{"subdomain":"agent-%d","name":"A"}`, i), 201, &ag)
			var sc mirraTestScript
			mirraMust(t, s, "POST", "/api/v1/scripts", "demo-full", fmt.Sprintf(`{"name":"s%d","runtime":"nodejs18","code":"1"}`, i), 201, &sc)
			out = append(out, ag.ID, sc.ID)
		}
		return out
	}
	s1 := mustNew(t, Config{Seed: 9}, newFakeClock(epoch))
	first := ids(s1)
	if got := ids(mustNew(t, Config{Seed: 9}, newFakeClock(epoch))); !slices.Equal(got, first) {
		t.Errorf("same seed: ids %v; want %v", got, first)
	}
	if got := ids(mustNew(t, Config{Seed: 10}, newFakeClock(epoch))); slices.Equal(got, first) {
		t.Errorf("seed 10: ids %v; want others than seed 9's", got)
	}
	if u := slices.Compact(slices.Sorted(slices.Values(first))); len(u) != 6 {
		t.Errorf("ids %v; want 6 distinct", first)
	}

	s1.Reset()
	var agents []mirraTestAgent
	mirraMust(t, s1, "GET", "/api/v1/agents", "demo-full", "", 200, &agents)
	var scripts []mirraTestScript
	mirraMust(t, s1, "GET", "/api/v1/scripts", "demo-full", "", 200, &scripts)
	if len(agents) != 0 || len(scripts) != 0 {
		t.Errorf("after reset: %d agents, %d scripts; want none", len(agents), len(scripts))
	}
	if got := ids(s1); !slices.Equal(got, first) {
		t.Errorf("after reset: ids %v; want %v again", got, first)
	}
}

// mirraStoreSizes returns the number of agents, scripts and subdomains
// kept, checking that the indexes agree.
func mirraStoreSizes(tb testing.TB, s *Server) (agents, scripts int) {
	tb.Helper()
	m := s.apis[mirraName].(*mirra)
	m.mu.Lock()
	defer m.mu.Unlock()
	st := &m.store
	if len(st.subdomains) != len(st.agents) {
		tb.Errorf("%d subdomains indexed for %d agents", len(st.subdomains), len(st.agents))
	}
	for sub, id := range st.subdomains {
		if a := st.agents[id]; a == nil || a.Subdomain != sub {
			tb.Errorf("subdomain %s indexes %s, which is not its agent", sub, id)
		}
	}
	nA, nS := 0, 0
	for owner, o := range st.owners {
		nA += len(o.agents)
		nS += len(o.scripts)
		if len(o.scriptNames) != len(o.scripts) {
			tb.Errorf("%s: %d script names for %d scripts", owner, len(o.scriptNames), len(o.scripts))
		}
		for id, a := range o.agents {
			if st.agents[id] != a || a.owner != owner {
				tb.Errorf("%s: agent %s not indexed alike", owner, id)
			}
		}
		for id, sc := range o.scripts {
			if st.scripts[id] != sc || sc.owner != owner || o.scriptNames[sc.Name] != id {
				tb.Errorf("%s: script %s not indexed alike", owner, id)
			}
		}
	}
	if nA != len(st.agents) || nS != len(st.scripts) {
		tb.Errorf("owners hold %d agents, %d scripts; the store %d, %d", nA, nS, len(st.agents), len(st.scripts))
	}
	return len(st.agents), len(st.scripts)
}

// TestMirraResourceCap lowers the cap and fills it: creations beyond it
// are refused and memory stays bounded.
func TestMirraResourceCap(t *testing.T) {
	saved := mirraMaxPerKey
	mirraMaxPerKey = 3
	t.Cleanup(func() { mirraMaxPerKey = saved })
	s := mustNew(t, Config{Keys: []KeyConfig{mirraOtherKey}}, newFakeClock(epoch))
	mirraMaxPerKey = saved // the simulation keeps the cap it was built with

	var first mirraTestAgent
	for i := range 50 {
		status, body := mirraServe(s, "POST", "/api/v1/agents", "demo-full", fmt.Sprintf(`{"subdomain":"agent-%d","name":"A"}`, i))
		switch {
		case i < 3 && status == 201:
			if i == 0 {
				mirraData(t, body, &first)
			}
		case i >= 3 && status == 409:
			want := `{"success":false,"error":{"code":"CONFLICT","message":"Resource limit reached: delete some agents first"}}`
			if body != want {
				t.Fatalf("agent %d: %s; want %s", i, body, want)
			}
		default:
			t.Fatalf("agent %d: %d %s; want 201 for 3, then 409", i, status, body)
		}
		status, body = mirraServe(s, "POST", "/api/v1/scripts", "demo-full", fmt.Sprintf(`{"name":"s%d","runtime":"nodejs18","code":"1"}`, i))
		if want := map[bool]int{true: 201, false: 409}[i < 3]; status != want {
			t.Fatalf("script %d: %d %s; want %d", i, status, body, want)
		}
		if i >= 3 && !strings.Contains(body, "delete some scripts first") {
			t.Fatalf("script %d: %s; want the cap's message", i, body)
		}
	}
	if a, sc := mirraStoreSizes(t, s); a != 3 || sc != 3 {
		t.Errorf("store: %d agents, %d scripts; want 3 and 3", a, sc)
	}
	// The cap is per key; deleting makes room.
	mirraMust(t, s, "POST", "/api/v1/agents", mirraOtherKey.Key, `{"subdomain":"theirs","name":"T"}`, 201, nil)
	mirraMust(t, s, "DELETE", "/api/v1/agents/"+first.ID, "demo-full", "", 200, nil)
	mirraMust(t, s, "POST", "/api/v1/agents", "demo-full", `{"subdomain":"agent-99","name":"A"}`, 201, nil)
	mirraMust(t, s, "POST", "/api/v1/agents", "demo-full", `{"subdomain":"agent-100","name":"A"}`, 409, nil)
	if a, sc := mirraStoreSizes(t, s); a != 4 || sc != 3 {
		t.Errorf("store: %d agents, %d scripts; want 4 and 3", a, sc)
	}
	if st := s.Stats().APIs["mirra"]; st.Codes[mirraCodeConflict] != 2*47+1 {
		t.Errorf("stats codes = %v; want CONFLICT: %d", st.Codes, 2*47+1)
	}
}

// TestMirraConcurrent races creations of agents with overlapping
// subdomains, then publications, unpublications and deletions of the same
// agents, and checks that the answers tell one consistent story. Run with
// -race.
func TestMirraConcurrent(t *testing.T) {
	keys := []KeyConfig{mirraOtherKey, {Name: "third", Key: "sk-third-0123456789", Plan: "full"}}
	s := mustNew(t, Config{Seed: 3, Keys: keys}, newFakeClock(epoch))
	secrets := []string{"demo-full", keys[0].Key, keys[1].Key}
	const subdomains, workers = 24, 12

	// Phase 1: every worker tries every subdomain, in its own order.
	type created struct {
		id, secret string
	}
	var mu sync.Mutex
	winners := map[string][]created{} // subdomain → the creations answered 201
	taken := map[string]int{}         // subdomain → SUBDOMAIN_TAKEN answers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			secret := secrets[w%len(secrets)]
			for i := range subdomains {
				sub := fmt.Sprintf("agent-%02d", (i*7+w)%subdomains)
				status, body := mirraServe(s, "POST", "/api/v1/agents", secret,
					`{"subdomain":"`+sub+`","name":"A","description":"d","category":"c"}`)
				mu.Lock()
				switch {
				case status == 201:
					var a struct {
						Data mirraTestAgent `json:"data"`
					}
					if err := json.Unmarshal([]byte(body), &a); err != nil || a.Data.Subdomain != sub {
						t.Errorf("create %s: %s", sub, body)
					}
					winners[sub] = append(winners[sub], created{a.Data.ID, secret})
				case status == 409 && strings.Contains(body, `"SUBDOMAIN_TAKEN"`):
					taken[sub]++
				default:
					t.Errorf("create %s: %d %s; want 201 or SUBDOMAIN_TAKEN", sub, status, body)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := range subdomains {
		sub := fmt.Sprintf("agent-%02d", i)
		if len(winners[sub]) != 1 || taken[sub] != workers-1 {
			t.Fatalf("%s: %d created, %d taken; want 1 and %d", sub, len(winners[sub]), taken[sub], workers-1)
		}
	}

	// race sends the same request from n goroutines at once and returns
	// the statuses answered, sorted.
	race := func(n int, method, path, secret string) []int {
		var mu sync.Mutex
		var statuses []int
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				st, _ := mirraServe(s, method, path, secret, "")
				mu.Lock()
				statuses = append(statuses, st)
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(statuses)
		return statuses
	}

	// Phase 2: every agent is published by 4 racers at once (exactly one
	// wins); the even ones are then unpublished and deleted the same way,
	// while the odd ones are deleted by racers who must all be refused.
	want := map[string]map[string]bool{} // secret → id → published
	for _, secret := range secrets {
		want[secret] = map[string]bool{}
	}
	wg = sync.WaitGroup{}
	for i := range subdomains {
		c := winners[fmt.Sprintf("agent-%02d", i)][0]
		even := i%2 == 0
		if !even {
			want[c.secret][c.id] = true
		}
		wg.Go(func() {
			p := "/api/v1/agents/" + c.id
			if got := race(4, "POST", p+"/publish", c.secret); !slices.Equal(got, []int{200, 409, 409, 409}) {
				t.Errorf("publish %s: %v; want one 200, three 409", c.id, got)
			}
			if !even {
				if got := race(3, "DELETE", p, c.secret); !slices.Equal(got, []int{409, 409, 409}) {
					t.Errorf("delete published %s: %v; want three 409", c.id, got)
				}
				return
			}
			if got := race(4, "POST", p+"/unpublish", c.secret); !slices.Equal(got, []int{200, 409, 409, 409}) {
				t.Errorf("unpublish %s: %v; want one 200, three 409", c.id, got)
			}
			if got := race(4, "DELETE", p, c.secret); !slices.Equal(got, []int{200, 404, 404, 404}) {
				t.Errorf("delete %s: %v; want one 200, three 404", c.id, got)
			}
		})
	}
	wg.Wait()

	// Phase 3: the freed subdomains are raced for again, while others list.
	recreated := map[string]int{}
	wg = sync.WaitGroup{}
	for w := range workers {
		wg.Go(func() {
			secret := secrets[w%len(secrets)]
			for i := 0; i < subdomains; i += 2 {
				sub := fmt.Sprintf("agent-%02d", i)
				status, body := mirraServe(s, "POST", "/api/v1/agents", secret, `{"subdomain":"`+sub+`","name":"B"}`)
				mirraServe(s, "GET", "/api/v1/agents", secret, "")
				mu.Lock()
				if status == 201 {
					var a struct {
						Data mirraTestAgent `json:"data"`
					}
					if err := json.Unmarshal([]byte(body), &a); err != nil {
						t.Errorf("recreate %s: %s", sub, body)
					}
					recreated[sub]++
					want[secret][a.Data.ID] = false
				} else if status != 409 {
					t.Errorf("recreate %s: %d %s", sub, status, body)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := 0; i < subdomains; i += 2 {
		if sub := fmt.Sprintf("agent-%02d", i); recreated[sub] != 1 {
			t.Errorf("%s recreated %d times; want once", sub, recreated[sub])
		}
	}

	// The lists are what the answers said.
	total := 0
	for _, secret := range secrets {
		var list []mirraTestAgent
		mirraMust(t, s, "GET", "/api/v1/agents", secret, "", 200, &list)
		got := map[string]bool{}
		for _, a := range list {
			got[a.ID] = a.Published
		}
		if !reflect.DeepEqual(got, want[secret]) {
			t.Errorf("list of %s = %v; want %v", secret, got, want[secret])
		}
		total += len(list)
	}
	if total != subdomains {
		t.Errorf("%d agents in all; want %d", total, subdomains)
	}
	if a, _ := mirraStoreSizes(t, s); a != subdomains {
		t.Errorf("store: %d agents; want %d", a, subdomains)
	}
}

// TestMirraConcurrentScriptNames races creations of scripts of one name by
// one key: exactly one is created.
func TestMirraConcurrentScriptNames(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	var mu sync.Mutex
	count := map[int]int{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range 8 {
				st, _ := mirraServe(s, "POST", "/api/v1/scripts", "demo-full", fmt.Sprintf(`{"name":"s%d","runtime":"nodejs18","code":"f()"}`, i))
				mu.Lock()
				count[st]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if want := map[int]int{201: 8, 409: 15 * 8}; !reflect.DeepEqual(count, want) {
		t.Errorf("statuses = %v; want %v", count, want)
	}
	if _, sc := mirraStoreSizes(t, s); sc != 8 {
		t.Errorf("store: %d scripts; want 8", sc)
	}
}

func TestMirraCodeCheck(t *testing.T) {
	for _, tc := range []struct {
		runtime, code string
		line          int // 0: valid
		msg           string
	}{
		{mirraRuntimeNode, "", 0, ""},
		{mirraRuntimeNode, "f(a, [b], {c: 1});", 0, ""},
		{mirraRuntimeNode, "const s = \"(\" + ')' + `[${ {a: 1}.a }]`;", 0, ""},
		{mirraRuntimeNode, "x(); // )\n/* ( [\n */ y();", 0, ""},
		{mirraRuntimeNode, "if (/[(]\\//.test(s)) { t = a / b / c; }", 0, ""},
		{mirraRuntimeNode, "function f(s) { return /\\(/g.test(s); }", 0, ""},
		{mirraRuntimeNode, "a = `x${`y${z}`}w`;", 0, ""},
		{mirraRuntimeNode, "s = 'it\\'s (';\nt = \"a\\\nb\";", 0, ""},
		{mirraRuntimeNode, "f(]", 1, "Unexpected token ']'"},
		{mirraRuntimeNode, "}", 1, "Unexpected token '}'"},
		{mirraRuntimeNode, "a\nb\n)", 3, "Unexpected token ')'"},
		{mirraRuntimeNode, "f(\n", 2, "Unexpected end of input"},
		{mirraRuntimeNode, "f(\ng()", 2, "Unexpected end of input"},
		{mirraRuntimeNode, "x = 1\ns = 'abc\n'", 2, "Invalid or unexpected token"},
		{mirraRuntimeNode, "x = 1 /* never\n closed", 2, "Unexpected end of input"},
		{mirraRuntimeNode, "`abc\n", 2, "Unexpected end of input"},
		{mirraRuntimeNode, "`${)}`", 1, "Unexpected token ')'"},
		{mirraRuntimeNode, "x = 1 # )", 1, "Unexpected token ')'"},
		{mirraRuntimePython, "d = {'a': [1, (2)]}", 0, ""},
		{mirraRuntimePython, "x = 1 # )", 0, ""},
		{mirraRuntimePython, "s = '''(\n'''\nt = \"}\"", 0, ""},
		{mirraRuntimePython, "f\"{x}\" + r'\\'' + b\"]\"", 0, ""},
		{mirraRuntimePython, "x = 1 // 2", 0, ""},
		{mirraRuntimePython, "print(1))", 1, "Unexpected token ')'"},
		{mirraRuntimePython, "def f(:\n    return [1, 2)\n", 2, "Unexpected token ')'"},
		{mirraRuntimePython, "def f(:\n", 2, "Unexpected end of input"},
		{mirraRuntimePython, "x = 1\n'abc\n", 2, "unterminated string literal"},
		{mirraRuntimePython, "'''abc\n\n", 3, "Unexpected end of input"},
		{mirraRuntimePython, "x = 1 // )", 1, "Unexpected token ')'"},
	} {
		e := mirraCheckCode(tc.runtime, tc.code)
		switch {
		case tc.line == 0 && e != nil:
			t.Errorf("%s %q: line %d %q; want valid", tc.runtime, tc.code, e.line, e.msg)
		case tc.line != 0 && (e == nil || e.line != tc.line || e.msg != tc.msg):
			t.Errorf("%s %q: %+v; want line %d %q", tc.runtime, tc.code, e, tc.line, tc.msg)
		}
	}
}
