package sim

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The resources of the Mirra REST API (mirra.go) and the checks of their
// state, per endpoint, in order:
//
//   - POST /agents: the fields (mirra.go, step 6), then the subdomain in use
//     by any agent of any key → 409 SUBDOMAIN_TAKEN "The subdomain 'x' is
//     already taken", then the key's agents at the cap → 409 CONFLICT
//     "Resource limit reached: delete some agents first".
//   - PATCH /agents/{id}: the fields; a published agent's description or
//     category blanked → 400 VALIDATION_ERROR {field}; a new subdomain in
//     use by another agent → 409 SUBDOMAIN_TAKEN.
//   - DELETE /agents/{id}: published → 409 CANNOT_DELETE_PUBLISHED "Cannot
//     delete a published agent. Unpublish it first."
//   - POST /agents/{id}/publish: published → 409 ALREADY_PUBLISHED "This
//     agent is already published"; no description, or no category → 400
//     VALIDATION_ERROR "description is required to publish" {field}.
//   - POST /agents/{id}/unpublish: not published → 409 NOT_PUBLISHED "This
//     agent is not published".
//   - POST /scripts: the fields, then the code → 422 INVALID_CODE "Script
//     contains syntax errors" {line, error} (mirra_code.go), then each
//     dependency (dependencyErr) → 422 INVALID_DEPENDENCY, then a script of
//     the key with the same name → 409 ALREADY_EXISTS "A resource with this
//     name already exists", then the key's scripts at the cap → 409
//     CONFLICT "Resource limit reached: delete some scripts first".
//   - PUT /scripts/{id}: the field types, then "version" (optional) other
//     than the script's → 409 CONFLICT "Resource is in a conflicting
//     state" (each successful PUT adds one to the version, which starts at
//     1); then the values, the dependencies if given (422
//     INVALID_DEPENDENCY), a new name taken (409 ALREADY_EXISTS), and, if
//     the script is published, its new code (422 INVALID_CODE). An
//     unpublished script is a draft: its code is checked when it is created
//     and when it is published, not when a PUT changes it, so that a draft
//     may be saved half-written.
//   - DELETE /scripts/{id}: published → 409 CANNOT_DELETE_PUBLISHED.
//   - POST /scripts/{id}/publish: published → 409 ALREADY_PUBLISHED "This
//     script is already published"; its code → 422 INVALID_CODE; each
//     dependency → 422 INVALID_DEPENDENCY (dependencies may have been
//     unpublished or deleted since they were set).
//   - POST /scripts/{id}/unpublish: not published → 409 NOT_PUBLISHED "This
//     script is not published".
//   - POST /scripts/{id}/install: any key's script; not published → 409
//     NOT_PUBLISHED "This script must be published before it can be
//     installed"; the caller's own → 403 PERMISSION_DENIED "Cannot install
//     your own script" {}; a dependency no longer published → 422
//     INVALID_DEPENDENCY; else 200 and an installation, the same one each
//     time a key installs a script (installations are not stored).
//
// A dependency (dependencyErr) is the id of a script of any key, which
// must exist (else 422 INVALID_DEPENDENCY "Resource 'x' not found"), be
// published ("Resource 'x' is not published") and not depend on the
// script itself, directly or not ("Resource 'x' depends on this script"),
// all with details {dependency: "x", type: "resource"}.

// mirraLimits are the longest values of the text fields, in characters
// (code: bytes): with the cap of mirraMaxPerKey resources per key, they
// bound the memory a key can fill.
var mirraLimits = map[string]int{
	"name":         100,
	"systemPrompt": 4000,
	"description":  1000,
	"category":     50,
	"code":         16 << 10,
}

// mirraMaxDependencies bounds the dependencies of a script.
const mirraMaxDependencies = 20

// mirraRuntimes are the supported runtimes.
var mirraRuntimes = []string{mirraRuntimeNode, mirraRuntimePython}

// mirraAgent is an agent, as answered (unexported fields are not).
type mirraAgent struct {
	ID           string `json:"id"`
	Subdomain    string `json:"subdomain"`
	Name         string `json:"name"`
	SystemPrompt string `json:"systemPrompt"`
	Description  string `json:"description"`
	Category     string `json:"category"`
	Published    bool   `json:"published"`
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`

	owner string // key name
	seq   uint64 // creation order
}

// mirraScript is a script, as answered.
type mirraScript struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Runtime      string   `json:"runtime"`
	Code         string   `json:"code"`
	Dependencies []string `json:"dependencies"` // never nil; replaced, never changed in place
	Version      int64    `json:"version"`
	Published    bool     `json:"published"`
	CreatedAt    string   `json:"createdAt"`
	UpdatedAt    string   `json:"updatedAt"`

	owner string
	seq   uint64
}

// mirraInstallation is the answer of a successful install.
type mirraInstallation struct {
	ID            string `json:"id"`
	ScriptID      string `json:"scriptId"`
	ScriptName    string `json:"scriptName"`
	ScriptVersion int64  `json:"scriptVersion"`
	InstalledAt   string `json:"installedAt"`
}

// mirraDeleted is the answer of a successful delete.
type mirraDeleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// mirraOwned are the resources of one key.
type mirraOwned struct {
	agents      map[string]*mirraAgent
	scripts     map[string]*mirraScript
	scriptNames map[string]string // name → id
}

// mirraStore holds every resource. It is guarded by mirra.mu; every map is
// bounded: keys come from the configuration, and each key has at most
// mirraMaxPerKey agents and as many scripts.
type mirraStore struct {
	agents     map[string]*mirraAgent  // by id
	scripts    map[string]*mirraScript // by id
	subdomains map[string]string       // subdomain → agent id
	owners     map[string]*mirraOwned  // by key name
	seq        uint64                  // ids drawn since the start or last reset
}

func (s *mirraStore) init() {
	*s = mirraStore{
		agents:     map[string]*mirraAgent{},
		scripts:    map[string]*mirraScript{},
		subdomains: map[string]string{},
		owners:     map[string]*mirraOwned{},
	}
}

func (s *mirraStore) owned(owner string) *mirraOwned {
	o := s.owners[owner]
	if o == nil {
		o = &mirraOwned{agents: map[string]*mirraAgent{}, scripts: map[string]*mirraScript{}, scriptNames: map[string]string{}}
		s.owners[owner] = o
	}
	return o
}

// newID draws the next id: prefix, '_' and 16 hex digits, a function of
// the seed and the number of ids drawn, so that one seed and one sequence
// of creations give the same ids.
func (s *mirraStore) newID(seed int64, prefix string) (string, uint64) {
	for {
		s.seq++
		id := fmt.Sprintf("%s_%016x", prefix, rand.New(rand.NewPCG(uint64(seed), s.seq)).Uint64())
		if s.agents[id] == nil && s.scripts[id] == nil {
			return id, s.seq
		}
	}
}

// mirraInput is the parsed body of a request, or why it could not be.
type mirraInput struct {
	fields mirraFields
	err    *mirraErr
}

// decodeField returns the field name decoded as a T: nil if absent or null,
// INVALID_INPUT if of another type.
func decodeField[T any](f mirraFields, name string) (*T, *mirraErr) {
	raw, has := f[name]
	if !present(raw, has) {
		return nil, nil
	}
	var v T
	if json.Unmarshal(raw, &v) != nil {
		return nil, mirraInvalidInput(name)
	}
	return &v, nil
}

// str returns the string field name: nil if absent or null.
func (f mirraFields) str(name string) (*string, *mirraErr) { return decodeField[string](f, name) }

// strs returns the fields names, in order, stopping at the first of the
// wrong type.
func (f mirraFields) strs(names ...string) ([]*string, *mirraErr) {
	vals := make([]*string, len(names))
	for i, name := range names {
		v, e := f.str(name)
		if e != nil {
			return nil, e
		}
		vals[i] = v
	}
	return vals, nil
}

// list returns the array-of-strings field name: nil if absent or null.
func (f mirraFields) list(name string) ([]string, bool, *mirraErr) {
	raw, has := f[name]
	if !present(raw, has) {
		return nil, false, nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, false, mirraInvalidInput(name)
	}
	vals := make([]string, len(items))
	for i, item := range items {
		if string(item) == "null" || json.Unmarshal(item, &vals[i]) != nil {
			return nil, false, mirraInvalidInput(name)
		}
	}
	return vals, true, nil
}

// integer returns the integer field name: nil if absent or null.
func (f mirraFields) integer(name string) (*int64, *mirraErr) { return decodeField[int64](f, name) }

func mirraBlank(s string) bool { return strings.TrimSpace(s) == "" }

// mirraTooLong checks the length of a text field against mirraLimits.
func mirraTooLong(field, v string) *mirraErr {
	limit := mirraLimits[field]
	n, unit := utf8.RuneCountInString(v), "characters"
	if field == "code" {
		n, unit = len(v), "bytes"
	}
	if n <= limit {
		return nil
	}
	return mirraFieldFail(http.StatusBadRequest, mirraCodeValidation,
		fmt.Sprintf("%s must be at most %d %s", field, limit, unit), field, nil)
}

// mirraCheckSubdomain checks the form of a subdomain.
func mirraCheckSubdomain(sub string) *mirraErr {
	if n := utf8.RuneCountInString(sub); n < 3 || n > 30 {
		return mirraFieldFail(http.StatusBadRequest, mirraCodeValidation, mirraMsgSubdomainLength, "subdomain", sub)
	}
	for i := 0; i < len(sub); i++ {
		if c := sub[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return mirraFail(http.StatusBadRequest, mirraCodeInvalidSubdomain, mirraMsgSubdomainChars)
		}
	}
	if sub[0] == '-' || sub[len(sub)-1] == '-' {
		return mirraFail(http.StatusBadRequest, mirraCodeInvalidSubdomain, mirraMsgSubdomainHyphen)
	}
	if sub[0] < 'a' || sub[0] > 'z' {
		return mirraFail(http.StatusBadRequest, mirraCodeInvalidSubdomain, mirraMsgSubdomainLetter)
	}
	return nil
}

// mirraCodeFail is the INVALID_CODE answer for code, or nil.
func mirraCodeFail(runtime, code string) *mirraErr {
	ce := mirraCheckCode(runtime, code)
	if ce == nil {
		return nil
	}
	return &mirraErr{status: http.StatusUnprocessableEntity, code: mirraCodeInvalidCode, message: mirraMsgSyntax,
		details: mirraCodeDetails{Line: ce.line, Error: ce.msg}}
}

func mirraDepFail(dep, message string) *mirraErr {
	return &mirraErr{status: http.StatusUnprocessableEntity, code: mirraCodeInvalidDep, message: message,
		details: mirraDepDetails{Dependency: dep, Type: "resource"}}
}

// handle runs an endpoint for the key named owner: the status and data
// of a success, or the error.
func (m *mirra) handle(op mirraOp, id, owner string, in mirraInput) (int, any, *mirraErr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.c.now().UTC().Format(time.RFC3339)
	switch op {
	case mirraAgentList:
		return m.listAgents(owner)
	case mirraAgentCreate:
		return m.createAgent(owner, in, now)
	case mirraScriptList:
		return m.listScripts(owner)
	case mirraScriptCreate:
		return m.createScript(owner, in, now)
	}

	switch op {
	case mirraAgentGet, mirraAgentPatch, mirraAgentDelete, mirraAgentPublish, mirraAgentUnpublish:
		a := m.store.agents[id]
		if a == nil {
			return 0, nil, mirraFail(http.StatusNotFound, mirraCodeAgentNotFound, "Agent with ID '"+id+"' not found")
		}
		if a.owner != owner {
			return 0, nil, mirraDenied(mirraMsgPermission)
		}
		switch op {
		case mirraAgentGet:
			return http.StatusOK, *a, nil
		case mirraAgentPatch:
			return m.patchAgent(a, in, now)
		case mirraAgentDelete:
			if a.Published {
				return 0, nil, mirraFail(http.StatusConflict, mirraCodeCannotDelete, mirraMsgDeleteAgent)
			}
			delete(m.store.agents, a.ID)
			delete(m.store.subdomains, a.Subdomain)
			delete(m.store.owned(owner).agents, a.ID)
			return http.StatusOK, mirraDeleted{ID: a.ID, Deleted: true}, nil
		case mirraAgentPublish:
			switch {
			case a.Published:
				return 0, nil, mirraFail(http.StatusConflict, mirraCodeAlreadyPublished, mirraMsgAgentPublished)
			case mirraBlank(a.Description):
				return 0, nil, mirraFieldFail(http.StatusBadRequest, mirraCodeValidation, "description is required to publish", "description", nil)
			case mirraBlank(a.Category):
				return 0, nil, mirraFieldFail(http.StatusBadRequest, mirraCodeValidation, "category is required to publish", "category", nil)
			}
			a.Published, a.UpdatedAt = true, now
			return http.StatusOK, *a, nil
		default: // mirraAgentUnpublish
			if !a.Published {
				return 0, nil, mirraFail(http.StatusConflict, mirraCodeNotPublished, mirraMsgAgentUnpublished)
			}
			a.Published, a.UpdatedAt = false, now
			return http.StatusOK, *a, nil
		}
	}

	s := m.store.scripts[id]
	if s == nil {
		return 0, nil, mirraFail(http.StatusNotFound, mirraCodeScriptNotFound, "Script with ID '"+id+"' not found")
	}
	if op == mirraScriptInstall {
		return m.install(s, owner, now)
	}
	if s.owner != owner {
		return 0, nil, mirraDenied(mirraMsgPermission)
	}
	switch op {
	case mirraScriptGet:
		return http.StatusOK, s.view(), nil
	case mirraScriptPut:
		return m.putScript(s, in, now)
	case mirraScriptDelete:
		if s.Published {
			return 0, nil, mirraFail(http.StatusConflict, mirraCodeCannotDelete, mirraMsgDeleteScript)
		}
		o := m.store.owned(owner)
		delete(m.store.scripts, s.ID)
		delete(o.scripts, s.ID)
		delete(o.scriptNames, s.Name)
		return http.StatusOK, mirraDeleted{ID: s.ID, Deleted: true}, nil
	case mirraScriptPublish:
		if s.Published {
			return 0, nil, mirraFail(http.StatusConflict, mirraCodeAlreadyPublished, mirraMsgScriptPublished)
		}
		if e := mirraCodeFail(s.Runtime, s.Code); e != nil {
			return 0, nil, e
		}
		if e := m.dependenciesErr(s.ID, s.Dependencies); e != nil {
			return 0, nil, e
		}
		s.Published, s.UpdatedAt = true, now
		return http.StatusOK, s.view(), nil
	default: // mirraScriptUnpublish
		if !s.Published {
			return 0, nil, mirraFail(http.StatusConflict, mirraCodeNotPublished, mirraMsgScriptNotPub)
		}
		s.Published, s.UpdatedAt = false, now
		return http.StatusOK, s.view(), nil
	}
}

// view is a copy of s to answer with, outside the lock.
func (s *mirraScript) view() mirraScript {
	v := *s
	v.Dependencies = slices.Clone(s.Dependencies)
	return v
}

func (m *mirra) listAgents(owner string) (int, any, *mirraErr) {
	list := []mirraAgent{}
	for _, a := range m.store.owned(owner).agents {
		list = append(list, *a)
	}
	slices.SortFunc(list, func(a, b mirraAgent) int { return cmp.Compare(a.seq, b.seq) })
	return http.StatusOK, list, nil
}

func (m *mirra) listScripts(owner string) (int, any, *mirraErr) {
	list := []mirraScript{}
	for _, s := range m.store.owned(owner).scripts {
		list = append(list, s.view())
	}
	slices.SortFunc(list, func(a, b mirraScript) int { return cmp.Compare(a.seq, b.seq) })
	return http.StatusOK, list, nil
}

// mirraAgentFields are the fields of an agent's body, in checking order.
var mirraAgentFields = []string{"subdomain", "name", "systemPrompt", "description", "category"}

func (m *mirra) createAgent(owner string, in mirraInput, now string) (int, any, *mirraErr) {
	if in.err != nil {
		return 0, nil, in.err
	}
	v, e := in.fields.strs(mirraAgentFields...)
	if e != nil {
		return 0, nil, e
	}
	for i, field := range mirraAgentFields[:2] {
		if v[i] == nil || mirraBlank(*v[i]) {
			return 0, nil, mirraMissing(field)
		}
	}
	if e := mirraCheckSubdomain(*v[0]); e != nil {
		return 0, nil, e
	}
	for i, field := range mirraAgentFields[1:] {
		if p := v[i+1]; p != nil {
			if e := mirraTooLong(field, *p); e != nil {
				return 0, nil, e
			}
		}
	}
	sub := *v[0]
	if _, taken := m.store.subdomains[sub]; taken {
		return 0, nil, mirraFail(http.StatusConflict, mirraCodeSubdomainTaken, "The subdomain '"+sub+"' is already taken")
	}
	o := m.store.owned(owner)
	if len(o.agents) >= m.maxPerKey {
		return 0, nil, mirraFail(http.StatusConflict, mirraCodeConflict, mirraMsgAgentsCap)
	}
	id, seq := m.store.newID(m.c.cfg.Seed, "agt")
	a := &mirraAgent{ID: id, Subdomain: sub, Name: *v[1], CreatedAt: now, UpdatedAt: now, owner: owner, seq: seq}
	for i, p := range []*string{&a.SystemPrompt, &a.Description, &a.Category} {
		if v[i+2] != nil {
			*p = *v[i+2]
		}
	}
	m.store.agents[id] = a
	m.store.subdomains[sub] = id
	o.agents[id] = a
	return http.StatusCreated, *a, nil
}

func (m *mirra) patchAgent(a *mirraAgent, in mirraInput, now string) (int, any, *mirraErr) {
	if in.err != nil {
		return 0, nil, in.err
	}
	v, e := in.fields.strs(mirraAgentFields...)
	if e != nil {
		return 0, nil, e
	}
	for i, field := range mirraAgentFields[:2] {
		if v[i] != nil && mirraBlank(*v[i]) {
			return 0, nil, mirraMissing(field)
		}
	}
	if v[0] != nil {
		if e := mirraCheckSubdomain(*v[0]); e != nil {
			return 0, nil, e
		}
	}
	for i, field := range mirraAgentFields[1:] {
		if p := v[i+1]; p != nil {
			if e := mirraTooLong(field, *p); e != nil {
				return 0, nil, e
			}
		}
	}
	if a.Published {
		for i, field := range mirraAgentFields[3:] {
			if p := v[i+3]; p != nil && mirraBlank(*p) {
				return 0, nil, mirraFieldFail(http.StatusBadRequest, mirraCodeValidation, field+mirraMsgPublishedNoField, field, nil)
			}
		}
	}
	if v[0] != nil {
		if other, taken := m.store.subdomains[*v[0]]; taken && other != a.ID {
			return 0, nil, mirraFail(http.StatusConflict, mirraCodeSubdomainTaken, "The subdomain '"+*v[0]+"' is already taken")
		}
		delete(m.store.subdomains, a.Subdomain)
		a.Subdomain = *v[0]
		m.store.subdomains[a.Subdomain] = a.ID
	}
	for i, p := range []*string{&a.Name, &a.SystemPrompt, &a.Description, &a.Category} {
		if v[i+1] != nil {
			*p = *v[i+1]
		}
	}
	a.UpdatedAt = now
	return http.StatusOK, *a, nil
}

// mirraScriptFields are the string fields of a script's body, in checking
// order; "dependencies" and then (PUT only) "version" come after them.
var mirraScriptFields = []string{"name", "runtime", "code"}

// mirraScriptInput is the parsed fields of a script's body.
type mirraScriptInput struct {
	v       []*string // mirraScriptFields
	deps    []string
	hasDeps bool
	version *int64
}

// mirraParseScriptTypes checks the types of a script's fields: name,
// runtime, code, dependencies and, with put, version.
func mirraParseScriptTypes(f mirraFields, put bool) (mirraScriptInput, *mirraErr) {
	var in mirraScriptInput
	var e *mirraErr
	if in.v, e = f.strs(mirraScriptFields...); e != nil {
		return in, e
	}
	if in.deps, in.hasDeps, e = f.list("dependencies"); e != nil {
		return in, e
	}
	if put {
		if in.version, e = f.integer("version"); e != nil {
			return in, e
		}
	}
	return in, nil
}

// valuesErr checks, in order, that the required fields are not blank (and,
// with create, given), the lengths of name and code, the number of
// dependencies and the runtime.
func (in mirraScriptInput) valuesErr(create bool) *mirraErr {
	for i, field := range mirraScriptFields {
		if (create && in.v[i] == nil) || (in.v[i] != nil && mirraBlank(*in.v[i])) {
			return mirraMissing(field)
		}
	}
	for _, i := range []int{0, 2} { // name, code
		if p := in.v[i]; p != nil {
			if e := mirraTooLong(mirraScriptFields[i], *p); e != nil {
				return e
			}
		}
	}
	if len(in.deps) > mirraMaxDependencies {
		return mirraFieldFail(http.StatusBadRequest, mirraCodeValidation,
			fmt.Sprintf("dependencies must have at most %d items", mirraMaxDependencies), "dependencies", nil)
	}
	if rt := in.v[1]; rt != nil && !slices.Contains(mirraRuntimes, *rt) {
		return mirraFail(http.StatusBadRequest, mirraCodeInvalidRuntime,
			"Runtime '"+*rt+"' is not supported. Use 'nodejs18' or 'python3.11'")
	}
	return nil
}

// dependenciesErr checks the dependencies of the script self ("" for a
// script not yet created).
func (m *mirra) dependenciesErr(self string, deps []string) *mirraErr {
	for _, dep := range deps {
		d := m.store.scripts[dep]
		switch {
		case d == nil:
			return mirraDepFail(dep, "Resource '"+dep+"' not found")
		case !d.Published:
			return mirraDepFail(dep, "Resource '"+dep+"' is not published")
		case self != "" && m.reaches(dep, self):
			return mirraDepFail(dep, "Resource '"+dep+"' depends on this script")
		}
	}
	return nil
}

// reaches reports whether the script from is target or depends on it,
// directly or not.
func (m *mirra) reaches(from, target string) bool {
	seen := map[string]bool{}
	stack := []string{from}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == target {
			return true
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if s := m.store.scripts[id]; s != nil {
			stack = append(stack, s.Dependencies...)
		}
	}
	return false
}

func (m *mirra) createScript(owner string, body mirraInput, now string) (int, any, *mirraErr) {
	if body.err != nil {
		return 0, nil, body.err
	}
	in, e := mirraParseScriptTypes(body.fields, false)
	if e != nil {
		return 0, nil, e
	}
	if e := in.valuesErr(true); e != nil {
		return 0, nil, e
	}
	name, runtime, code := *in.v[0], *in.v[1], *in.v[2]
	if e := mirraCodeFail(runtime, code); e != nil {
		return 0, nil, e
	}
	if e := m.dependenciesErr("", in.deps); e != nil {
		return 0, nil, e
	}
	o := m.store.owned(owner)
	if _, dup := o.scriptNames[name]; dup {
		return 0, nil, mirraFail(http.StatusConflict, mirraCodeAlreadyExists, mirraMsgAlreadyExists)
	}
	if len(o.scripts) >= m.maxPerKey {
		return 0, nil, mirraFail(http.StatusConflict, mirraCodeConflict, mirraMsgScriptsCap)
	}
	id, seq := m.store.newID(m.c.cfg.Seed, "scr")
	s := &mirraScript{ID: id, Name: name, Runtime: runtime, Code: code, Dependencies: append([]string{}, in.deps...),
		Version: 1, CreatedAt: now, UpdatedAt: now, owner: owner, seq: seq}
	m.store.scripts[id] = s
	o.scripts[id] = s
	o.scriptNames[name] = id
	return http.StatusCreated, s.view(), nil
}

func (m *mirra) putScript(s *mirraScript, body mirraInput, now string) (int, any, *mirraErr) {
	if body.err != nil {
		return 0, nil, body.err
	}
	in, e := mirraParseScriptTypes(body.fields, true)
	if e != nil {
		return 0, nil, e
	}
	if in.version != nil && *in.version != s.Version {
		return 0, nil, mirraFail(http.StatusConflict, mirraCodeConflict, mirraMsgConflict)
	}
	if e := in.valuesErr(false); e != nil {
		return 0, nil, e
	}
	if in.hasDeps {
		if e := m.dependenciesErr(s.ID, in.deps); e != nil {
			return 0, nil, e
		}
	}
	o := m.store.owned(s.owner)
	if name := in.v[0]; name != nil && *name != s.Name {
		if _, dup := o.scriptNames[*name]; dup {
			return 0, nil, mirraFail(http.StatusConflict, mirraCodeAlreadyExists, mirraMsgAlreadyExists)
		}
	}
	runtime, code := s.Runtime, s.Code
	if in.v[1] != nil {
		runtime = *in.v[1]
	}
	if in.v[2] != nil {
		code = *in.v[2]
	}
	if s.Published {
		if e := mirraCodeFail(runtime, code); e != nil {
			return 0, nil, e
		}
	}
	if name := in.v[0]; name != nil && *name != s.Name {
		delete(o.scriptNames, s.Name)
		s.Name = *name
		o.scriptNames[s.Name] = s.ID
	}
	s.Runtime, s.Code = runtime, code
	if in.hasDeps {
		s.Dependencies = append([]string{}, in.deps...)
	}
	s.Version++
	s.UpdatedAt = now
	return http.StatusOK, s.view(), nil
}

// install installs the script s for the key named owner.
func (m *mirra) install(s *mirraScript, owner, now string) (int, any, *mirraErr) {
	if !s.Published {
		return 0, nil, mirraFail(http.StatusConflict, mirraCodeNotPublished, mirraMsgInstallNotPub)
	}
	if s.owner == owner {
		return 0, nil, mirraDenied(mirraMsgOwnScript)
	}
	if e := m.dependenciesErr(s.ID, s.Dependencies); e != nil {
		return 0, nil, e
	}
	h := fnv.New64a()
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(m.c.cfg.Seed))
	h.Write(seed[:])
	h.Write([]byte(s.ID))
	h.Write([]byte{0})
	h.Write([]byte(owner))
	return http.StatusOK, mirraInstallation{
		ID: fmt.Sprintf("ins_%016x", h.Sum64()), ScriptID: s.ID, ScriptName: s.Name,
		ScriptVersion: s.Version, InstalledAt: now,
	}, nil
}
