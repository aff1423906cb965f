package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/internal/readfile"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/internal/suggest"
)

// LoadOptions say how a profile is read.
type LoadOptions struct {
	// Env looks up environment variables; nil is os.LookupEnv.
	Env func(string) (string, bool)
	// AllowLiteralSecrets accepts secrets written in the file itself
	// (auth.token, or a literal value of a secret header such as
	// Authorization); by default they are refused.
	AllowLiteralSecrets bool
	// CheckThreshold, if set, checks each threshold's expression. An error
	// with a method Column() int is reported at that column of the
	// expression (0 for its first character).
	CheckThreshold func(expr string, requests []string) error
	// BaseURL, if set, replaces target.base-url (the --base-url flag).
	BaseURL string
}

// LoadFile reads and validates the profile file at path. It returns every
// problem at once, each a *field.Error with the file, line and column.
// (It is not named Load: that is the load section's type, which the
// attack flags fill in.)
func LoadFile(path string, opts LoadOptions) (*Profile, []error) {
	data, err := readfile.Regular(path, MaxProfileSize)
	if err != nil {
		return nil, []error{&field.Error{Field: "profile", Msg: err.Error(), File: path}}
	}
	return Parse(path, data, opts)
}

// MaxThresholds bounds a profile's thresholds.
const MaxThresholds = 200

// MaxWeight bounds a request's weight: weights are proportions.
const MaxWeight = 1_000_000

// Bounds on the files a profile reads.
const (
	MaxProfileSize = 4 << 20  // a profile file
	MaxBodyFile    = 64 << 20 // a body-file (as a request body of stampede attack)
	MaxTLSFile     = 1 << 20  // a certificate or key (PEM)
)

// Parse validates the profile data read from file (a name for messages;
// relative body-file and tls paths are resolved against its directory).
// It returns the profile, or nil and every problem, each a *field.Error
// with the file, line and column, in the order of the file.
func Parse(file string, data []byte, opts LoadOptions) (*Profile, []error) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	p := &parser{decoder: decoder{file: file}, opts: opts, dir: filepath.Dir(file)}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []error{&field.Error{Msg: "empty profile: want at least requests: and phases:", File: file, Line: 1, Col: 1}}
		}
		return nil, []error{yamlError(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, []error{&field.Error{Msg: "a profile is one YAML document: remove the second (---)", File: file, Line: extra.Line, Col: extra.Column}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	prof := p.profile(root)
	if len(p.errs) > 0 {
		return nil, p.sorted()
	}
	return prof, nil
}

// yamlLine reads the line of a yaml.v3 syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError turns a YAML syntax error into a field.Error at its line.
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &field.Error{Msg: "invalid YAML: " + msg, File: file, Line: line, Col: 1}
}

// The raw forms of the file's sections: their yaml tags are the keys the
// loader accepts (and the schema test compares with schema.json).
type (
	rawProfile struct {
		Name        string     `yaml:"name"`
		Description string     `yaml:"description"`
		Target      *yaml.Node `yaml:"target"`
		Requests    *yaml.Node `yaml:"requests"`
		Phases      *yaml.Node `yaml:"phases"`
		Thresholds  *yaml.Node `yaml:"thresholds"`
		Reports     *yaml.Node `yaml:"reports"`
	}
	rawTarget struct {
		BaseURL  *yaml.Node `yaml:"base-url"`
		Auth     *yaml.Node `yaml:"auth"`
		Headers  *yaml.Node `yaml:"headers"`
		TLS      *yaml.Node `yaml:"tls"`
		Classify *yaml.Node `yaml:"classify"`
		Contract *yaml.Node `yaml:"contract"`
	}
	rawAuth struct {
		Type   string     `yaml:"type"`
		Env    string     `yaml:"env"`
		Header string     `yaml:"header"`
		Token  *yaml.Node `yaml:"token"` // a literal secret: AllowLiteralSecrets only
	}
	rawTLS struct {
		Insecure *yaml.Node `yaml:"insecure"`
		CAFile   string     `yaml:"ca-file"`
		CertFile string     `yaml:"cert-file"`
		KeyFile  string     `yaml:"key-file"`
	}
	rawContract struct {
		MaxRetryAfter *yaml.Node `yaml:"max-retry-after"`
		AdmitMargin   *yaml.Node `yaml:"admit-margin"`
		Severity      *yaml.Node `yaml:"severity"`
	}
	rawRequest struct {
		Name     string     `yaml:"name"`
		Weight   *yaml.Node `yaml:"weight"`
		Method   string     `yaml:"method"`
		Path     *yaml.Node `yaml:"path"`
		Headers  *yaml.Node `yaml:"headers"`
		Body     *yaml.Node `yaml:"body"`
		BodyFile string     `yaml:"body-file"`
		Retry    *yaml.Node `yaml:"retry"`
	}
	rawPhase struct {
		Name     string     `yaml:"name"`
		Load     *yaml.Node `yaml:"load"`
		Pause    *yaml.Node `yaml:"pause"`
		Probe    *yaml.Node `yaml:"probe"`
		Requests *yaml.Node `yaml:"requests"`
		Retry    *yaml.Node `yaml:"retry"`
		Compare  *yaml.Node `yaml:"compare"`
	}
	rawCompare struct {
		Policies *yaml.Node `yaml:"policies"`
		CoolDown *yaml.Node `yaml:"cool-down"`
	}
	rawProbe struct {
		Request     string     `yaml:"request"`
		StartRate   string     `yaml:"start-rate"`
		MaxRate     string     `yaml:"max-rate"`
		Step        *yaml.Node `yaml:"step"`
		MaxTime     *yaml.Node `yaml:"max-time"`
		MaxRequests *yaml.Node `yaml:"max-requests"`
		Rounds      *yaml.Node `yaml:"rounds"`
		Margin      *yaml.Node `yaml:"margin"`
		MaxInFlight *yaml.Node `yaml:"max-in-flight"`
		Timeout     *yaml.Node `yaml:"timeout"`
	}
	rawThreshold struct {
		Expr  *yaml.Node `yaml:"expr"`
		Name  string     `yaml:"name"`
		Abort *yaml.Node `yaml:"abort"`
	}
)

// reportFormats are reports.Formats and vegeta-json, the records for
// vegeta's tools, which the command writes as the records stream (a test
// keeps them equal): profiles sits below reports.
var reportFormats = []string{"text", "json", "csv", "csv-series", "csv-requests", "html", "junit", "markdown", "hgrm", "vegeta-json"}

// parser reads one profile.
type parser struct {
	decoder
	opts LoadOptions
	dir  string
	// requests by name, with the node of each name, for phase subsets.
	names map[string]*yaml.Node
	// badBase is set once a bad base URL is reported, so that paths are
	// not reported again for lack of one.
	badBase bool
}

func (p *parser) profile(root *yaml.Node) *Profile {
	var raw rawProfile
	if _, ok := p.fields(root, "", "", &raw); !ok {
		return nil
	}
	prof := &Profile{Name: raw.Name, Description: raw.Description, File: p.file}
	if prof.Name == "" {
		prof.Name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p.file), ".yaml"), ".yml")
	}
	if raw.Target != nil {
		prof.Target = p.target(raw.Target)
	} else if p.opts.BaseURL != "" {
		prof.Target.BaseURL = p.baseURL(nil, p.opts.BaseURL)
	}
	if raw.Requests != nil {
		prof.Requests = p.requests(raw.Requests, prof.Target.BaseURL)
	}
	if raw.Phases == nil {
		p.atPos(max(root.Line, 1), max(root.Column, 1), "", "", "no phases: a profile needs phases:, e.g. - {name: main, load: {rate: 10/s, duration: 30s}}")
	} else {
		prof.Phases = p.phases(raw.Phases, prof.Requests)
		if i := slices.IndexFunc(prof.Phases, func(ph Phase) bool { return ph.Compare != nil }); i >= 0 && len(prof.Phases) > 1 {
			p.atPos(raw.Phases.Line, raw.Phases.Column, "phases", "", "a compare phase is its profile's only phase (phase %s compares; the other phases would run once per policy too)", prof.Phases[i].Name)
		}
		if len(prof.Phases) > 0 && !slices.ContainsFunc(prof.Phases, func(ph Phase) bool { return ph.Kind == PhaseLoad }) {
			p.atPos(raw.Phases.Line, raw.Phases.Column, "phases", "", "no load phase: a profile sends load (to probe a limiter alone, use stampede probe)")
		}
	}
	if raw.Thresholds != nil {
		prof.Thresholds = p.thresholds(raw.Thresholds, prof.Requests)
	}
	if raw.Reports != nil {
		prof.Reports = p.reports(raw.Reports)
	}
	return prof
}

// text compiles a scalar's text as a template (actions allowed when
// actions is set), reporting each problem at its column.
func (p *parser) text(n *yaml.Node, path string, actions bool) *Template {
	s, ok := p.str(n, path)
	if !ok {
		return nil
	}
	t, probs := compileText(s, p.opts.Env, actions)
	for _, pr := range probs {
		line, col := textPos(n, pr.offset)
		p.atPos(line, col, path, "", "%s", pr.msg)
	}
	if len(probs) > 0 {
		return nil
	}
	return t
}

func (p *parser) target(n *yaml.Node) Target {
	var raw rawTarget
	var t Target
	if _, ok := p.fields(n, "target", "target", &raw); !ok {
		return t
	}
	switch {
	case p.opts.BaseURL != "":
		t.BaseURL = p.baseURL(nil, p.opts.BaseURL)
	case raw.BaseURL != nil:
		if tpl := p.text(raw.BaseURL, "target.base-url", false); tpl != nil {
			t.BaseURL = p.baseURL(raw.BaseURL, tpl.lit)
		} else {
			p.badBase = true
		}
	}
	if raw.Auth != nil {
		t.Auth = p.auth(raw.Auth)
	}
	if raw.Headers != nil {
		t.Headers = http.Header{}
		for name, tpl := range p.headers(raw.Headers, "target.headers", false) {
			t.Headers.Set(name, tpl.lit)
		}
	}
	if raw.TLS != nil {
		t.TLS = p.tls(raw.TLS)
	}
	if raw.Classify != nil {
		t.Classify = p.classify(raw.Classify)
	}
	if raw.Contract != nil {
		t.Contract = p.contract(raw.Contract)
	}
	return t
}

// baseURL checks an absolute http(s) URL and drops its trailing slash. n
// is nil for the --base-url option.
func (p *parser) baseURL(n *yaml.Node, s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.badBase = true
		if n == nil {
			p.errs = append(p.errs, &field.Error{Field: "base-url", Value: strconv.Quote(s), Msg: "want an http or https URL, e.g. http://127.0.0.1:8080"})
		} else {
			shown := strconv.Quote(s)
			if n.Value != s { // expanded from the environment: show what the file says, not the value
				shown = strconv.Quote(n.Value) + " (as the environment expands it)"
			}
			p.at(n, "target.base-url", shown, "want an http or https URL, e.g. http://127.0.0.1:8080")
		}
		return ""
	}
	return strings.TrimSuffix(s, "/")
}

func (p *parser) auth(n *yaml.Node) *Auth {
	var raw rawAuth
	nodes, ok := p.fields(n, "target.auth", "target.auth", &raw)
	if !ok {
		return nil
	}
	n = resolve(n)
	a := &Auth{Type: raw.Type, Header: raw.Header}
	bad := false
	switch raw.Type {
	case AuthBearer:
		if a.Header == "" {
			a.Header = "Authorization"
		}
	case AuthHeader:
		if a.Header == "" {
			p.at(n, "target.auth.header", "", "required with type: header, e.g. header: X-API-Key")
			bad = true
		}
	case "":
		p.at(n, "target.auth.type", "", "required: bearer or header")
		bad = true
	default:
		p.at(nodes["type"], "target.auth.type", strconv.Quote(raw.Type), "want bearer or header")
		bad = true
	}
	if a.Header != "" && !validHeaderName(a.Header) {
		p.at(nodes["header"], "target.auth.header", strconv.Quote(a.Header), "not a header name")
		bad = true
	}
	a.Header = http.CanonicalHeaderKey(a.Header)
	switch {
	case raw.Env != "" && raw.Token != nil:
		p.at(nodes["token"], "target.auth.token", "", "give env: or token:, not both")
		bad = true
	case raw.Token != nil:
		if !p.opts.AllowLiteralSecrets {
			// The value is never shown: it is a secret.
			p.at(raw.Token, "target.auth.token", "", "a literal secret is refused: put it in an environment variable and name it with env: (or allow literal secrets)")
			bad = true
		} else if s, ok := p.secretText(raw.Token); ok {
			a.Secret = s
		}
	case raw.Env != "":
		a.Env, a.Secret, ok = p.authEnv(nodes["env"], raw.Env)
		bad = bad || !ok
	default:
		p.at(n, "target.auth.env", "", "required: the environment variable holding the secret, e.g. env: MIRA_TOKEN or env: ${MIRA_TOKEN:-demo-full}")
		bad = true
	}
	if bad {
		return nil
	}
	return a
}

// secretText reads a literal secret without ever showing it.
func (p *parser) secretText(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		p.at(n, "target.auth.token", "", "want a string")
		return "", false
	}
	return n.Value, true
}

// authEnv reads the secret of auth.env: NAME, ${NAME} or ${NAME:-default}.
func (p *parser) authEnv(n *yaml.Node, ref string) (name, secret string, ok bool) {
	r := strings.TrimSpace(ref)
	if strings.HasPrefix(r, "${") && strings.HasSuffix(r, "}") {
		r = r[2 : len(r)-1]
	}
	name, def, hasDef := strings.Cut(r, ":-")
	if !validEnvName(name) {
		p.at(n, "target.auth.env", strconv.Quote(ref), "want a variable name such as MIRA_TOKEN, or ${MIRA_TOKEN:-default}")
		return "", "", false
	}
	v, set := p.opts.Env(name)
	switch {
	case set && v != "":
		return name, v, true
	case hasDef && def != "":
		return name, def, true
	case set:
		p.at(n, "target.auth.env", "", "$%s is empty: the secret must not be", name)
	default:
		p.at(n, "target.auth.env", "", "${%s} is not set and has no default (use ${%s:-value})", name, name)
	}
	return "", "", false
}

// headerToken matches a header name (RFC 9110 token).
var headerToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func validHeaderName(s string) bool { return headerToken.MatchString(s) }

// headers reads a mapping of header names to templated values. A secret
// header's value must come from the environment unless literal secrets
// are allowed.
func (p *parser) headers(n *yaml.Node, path string, actions bool) map[string]*Template {
	out := map[string]*Template{}
	p.pairs(n, path, true, func(k, v *yaml.Node) {
		hp := path + "." + k.Value
		if !validHeaderName(k.Value) {
			p.at(k, hp, "", "%q is not a header name", k.Value)
			return
		}
		if (redact.Policy{}).IsSecret(k.Value) { // the names masked at run time
			if s, ok := p.str(v, hp); ok && !strings.Contains(s, "${") && !p.opts.AllowLiteralSecrets {
				p.at(v, hp, "", "a literal secret is refused: take it from the environment (%s: ${VAR}, or target.auth), or allow literal secrets", k.Value)
				return
			}
		}
		if t := p.text(v, hp, actions); t != nil {
			out[http.CanonicalHeaderKey(k.Value)] = t
		}
	})
	return out
}

func (p *parser) tls(n *yaml.Node) TLS {
	var raw rawTLS
	var t TLS
	nodes, ok := p.fields(n, "target.tls", "target.tls", &raw)
	if !ok {
		return t
	}
	if raw.Insecure != nil {
		t.Insecure, _ = p.boolean(raw.Insecure, "target.tls.insecure")
	}
	file := func(key, v string) string {
		if v == "" {
			return ""
		}
		path := v
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.dir, path)
		}
		if _, err := readfile.Regular(path, MaxTLSFile); err != nil {
			p.at(nodes[key], "target.tls."+key, strconv.Quote(v), "%v (relative paths are read from the profile's directory)", err)
		}
		return path
	}
	t.CAFile, t.CertFile, t.KeyFile = file("ca-file", raw.CAFile), file("cert-file", raw.CertFile), file("key-file", raw.KeyFile)
	if (raw.CertFile == "") != (raw.KeyFile == "") {
		p.at(resolve(n), "target.tls", "", "cert-file and key-file go together: give both or neither")
	}
	return t
}

func (p *parser) classify(n *yaml.Node) []string {
	items, ok := p.items(n, "target.classify")
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		path := index("target.classify", i)
		s, ok := p.str(it, path)
		if !ok {
			continue
		}
		if _, err := classify.ParseRule(s); err != nil {
			p.at(it, path, strconv.Quote(s), "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) contract(n *yaml.Node) Contract {
	var raw rawContract
	var c Contract
	if _, ok := p.fields(n, "target.contract", "target.contract", &raw); !ok {
		return c
	}
	if raw.MaxRetryAfter != nil {
		c.MaxRetryAfter, _ = p.duration(raw.MaxRetryAfter, "target.contract.max-retry-after", false)
	}
	if raw.AdmitMargin != nil {
		c.AdmitMargin, _ = p.duration(raw.AdmitMargin, "target.contract.admit-margin", true)
	}
	if raw.Severity != nil {
		var ids []string
		for _, r := range contract.Rules {
			ids = append(ids, r.Name)
		}
		c.Severity = map[string]string{}
		p.pairs(raw.Severity, "target.contract.severity", false, func(k, v *yaml.Node) {
			path := "target.contract.severity." + k.Value
			if _, ok := contract.RuleByName(k.Value); !ok {
				if near := suggest.Nearest(k.Value, ids); near != "" {
					p.at(k, "", "", "unknown contract rule %q; did you mean %q?", k.Value, near)
				} else {
					p.at(k, "", "", "unknown contract rule %q (see docs/rate-limit-contract.md for the rule ids)", k.Value)
				}
				return
			}
			s, ok := p.str(v, path)
			if !ok {
				return
			}
			if s != "error" && s != "warning" {
				p.at(v, path, strconv.Quote(s), "want error or warning")
				return
			}
			c.Severity[k.Value] = s
		})
	}
	return c
}

// requestName matches a request's or a phase's name.
var requestName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// methodName matches an HTTP method as sent.
var methodName = regexp.MustCompile(`^[A-Z]+$`)

func (p *parser) requests(n *yaml.Node, base string) []Request {
	items, ok := p.items(n, "requests")
	if !ok {
		return nil
	}
	p.names = map[string]*yaml.Node{}
	var out []Request
	for i, it := range items {
		if r, ok := p.request(it, index("requests", i), base); ok {
			out = append(out, r)
		}
	}
	return out
}

func (p *parser) request(n *yaml.Node, path, base string) (Request, bool) {
	var raw rawRequest
	r := Request{Weight: 1, Method: http.MethodGet}
	nodes, ok := p.fields(n, path, path, &raw)
	if !ok {
		return r, false
	}
	n = resolve(n)
	before := p.problems()
	r.Name = raw.Name
	switch {
	case raw.Name == "":
		p.at(n, path+".name", "", "required: every request has a name, e.g. name: create-agent")
	case !requestName.MatchString(raw.Name):
		p.at(nodes["name"], path+".name", strconv.Quote(raw.Name), "want letters, digits, ., - and _, starting with a letter or digit")
	default:
		if first, dup := p.names[raw.Name]; dup {
			p.at(nodes["name"], path+".name", strconv.Quote(raw.Name), "duplicate request name (first at line %d)", first.Line)
		} else {
			p.names[raw.Name] = nodes["name"]
		}
	}
	if raw.Weight != nil {
		if w, ok := p.integer(raw.Weight, path+".weight"); ok {
			if w < 1 || w > MaxWeight {
				p.at(raw.Weight, path+".weight", strconv.Itoa(w), "must be from 1 to %d", MaxWeight)
			}
			r.Weight = w
		}
	}
	if raw.Method != "" {
		if !methodName.MatchString(raw.Method) {
			p.at(nodes["method"], path+".method", strconv.Quote(raw.Method), "want an HTTP method in upper case, e.g. GET or POST")
		}
		r.Method = raw.Method
	}
	if raw.Path == nil {
		p.at(n, path+".path", "", "required: the path to join to target.base-url (or a URL), e.g. path: /v1/agents")
	} else if t := p.text(raw.Path, path+".path", true); t != nil {
		r.URL = p.joinURL(raw.Path, path+".path", base, t)
	}
	if raw.Headers != nil {
		r.Header = p.headers(raw.Headers, path+".headers", true)
	}
	switch {
	case raw.Body != nil && raw.BodyFile != "":
		p.at(nodes["body-file"], path+".body-file", "", "give body: or body-file:, not both")
	case raw.Body != nil:
		r.Body = p.text(raw.Body, path+".body", true)
	case raw.BodyFile != "":
		r.BodyFile = raw.BodyFile
		if !filepath.IsAbs(r.BodyFile) {
			r.BodyFile = filepath.Join(p.dir, r.BodyFile)
		}
		data, err := readfile.Regular(r.BodyFile, MaxBodyFile)
		if err != nil {
			p.at(nodes["body-file"], path+".body-file", strconv.Quote(raw.BodyFile), "%v (relative paths are read from the profile's directory)", err)
		}
		r.Body = LiteralTemplate(string(data))
	}
	if raw.Retry != nil {
		r.Retry = p.retry(raw.Retry, path+".retry", false)
	}
	return r, p.problems() == before
}

// retry reads a retry section, reporting its problems at their keys. The
// section of a compare phase gives the parameters of the policies the
// comparison names, and no policy of its own.
func (p *parser) retry(n *yaml.Node, path string, compared bool) *RetrySpec {
	var r Retry
	nodes, ok := p.fields(n, path, path, &r)
	if !ok {
		return nil
	}
	check := r
	if compared {
		if r.Policy != "" {
			p.at(nodes["policy"], path+".policy", strconv.Quote(r.Policy), "a compare phase runs the policies of compare.policies: drop policy:")
		}
		check.Policy = "exponential" // the policy that takes every parameter checks them
	}
	o, on, errs := check.Options()
	p.atKeys(resolve(n), nodes, path, errs, func(msg string) string {
		return retryFlagForm.ReplaceAllStringFunc(msg, func(flag string) string {
			if key, ok := retryKeys[strings.TrimSpace(strings.TrimPrefix(flag, "--"))]; ok {
				return key + ": "
			}
			return flag
		})
	})
	return &RetrySpec{Options: o, On: on, Section: r}
}

// compare reads a compare section: the policies, at least two, and the
// pause between their runs.
func (p *parser) compare(n *yaml.Node, path string) *CompareOptions {
	var raw rawCompare
	if _, ok := p.fields(n, path, path, &raw); !ok {
		return nil
	}
	c := &CompareOptions{CoolDown: DefaultCoolDown}
	if raw.Policies == nil {
		p.at(resolve(n), path+".policies", "", "required: the retry policies to compare, e.g. policies: [none, immediate, exponential]")
	} else if items, ok := p.items(raw.Policies, path+".policies"); ok {
		for i, it := range items {
			s, ok := p.str(it, index(path+".policies", i))
			if !ok {
				continue
			}
			pol, err := retry.ParsePolicy(s)
			switch {
			case err != nil:
				p.at(it, index(path+".policies", i), strconv.Quote(s), "want one of %s", strings.Join(retry.Policies(), ", "))
			case slices.Contains(c.Policies, pol):
				p.at(it, index(path+".policies", i), strconv.Quote(s), "listed twice")
			default:
				c.Policies = append(c.Policies, pol)
			}
		}
		if len(items) < 2 {
			p.at(raw.Policies, path+".policies", "", "compare at least two policies, e.g. [none, immediate, exponential]")
		}
	}
	if raw.CoolDown != nil {
		if d, ok := p.duration(raw.CoolDown, path+".cool-down", true); ok {
			c.CoolDown = d
		}
	}
	return c
}

// retryFlagForm finds a flag's name in a message, to name its key instead.
var retryFlagForm = regexp.MustCompile(`--[a-z-]+ `)

// joinURL joins the base URL and a request's path, unless the path is a
// URL itself.
func (p *parser) joinURL(n *yaml.Node, path, base string, t *Template) *Template {
	first := ""
	if len(t.pieces) > 0 && t.pieces[0].kind == pieceLiteral {
		first = t.pieces[0].text
	}
	switch {
	case strings.HasPrefix(first, "http://"), strings.HasPrefix(first, "https://"):
		return t
	case !strings.HasPrefix(first, "/"):
		p.at(n, path, strconv.Quote(t.src), "want a path starting with / (or an http or https URL)")
		return nil
	case base == "" && p.badBase:
		return nil // reported once, at the base URL
	case base == "":
		p.at(n, path, strconv.Quote(t.src), "a path needs target.base-url to join it to (or write a URL)")
		return nil
	}
	j := &Template{src: base + t.src, static: t.static, lit: base + t.lit, env: t.env}
	j.pieces = append([]piece{{kind: pieceLiteral, text: base + first}}, t.pieces[1:]...)
	return j
}

func (p *parser) phases(n *yaml.Node, reqs []Request) []Phase {
	items, ok := p.items(n, "phases")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.at(n, "phases", "", "no phases: give at least one")
		return nil
	}
	seen := map[string]int{}
	var out []Phase
	for i, it := range items {
		path := index("phases", i)
		ph, ok := p.phase(it, path, i, reqs)
		if !ok {
			continue
		}
		if line, dup := seen[ph.Name]; dup {
			p.at(it, path+".name", strconv.Quote(ph.Name), "duplicate phase name (first at line %d)", line)
			continue
		}
		seen[ph.Name] = resolve(it).Line
		out = append(out, ph)
	}
	return out
}

func (p *parser) phase(n *yaml.Node, path string, i int, reqs []Request) (Phase, bool) {
	var raw rawPhase
	var ph Phase
	nodes, ok := p.fields(n, path, path, &raw)
	if !ok {
		return ph, false
	}
	n = resolve(n)
	before := p.problems()
	ph.Name = raw.Name
	if ph.Name == "" {
		ph.Name = "phase-" + strconv.Itoa(i+1)
	} else if !requestName.MatchString(ph.Name) {
		p.at(nodes["name"], path+".name", strconv.Quote(ph.Name), "want letters, digits, ., - and _, starting with a letter or digit")
	}
	var kinds []string
	for _, k := range []string{"load", "pause", "probe"} {
		if nodes[k] != nil {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		if raw.Compare != nil {
			p.at(nodes["compare"], path+".compare", "", "a compare phase runs a load once per policy: give load: beside compare:")
		} else {
			p.at(n, path, "", "a phase needs one of load:, pause: or probe:")
		}
		return ph, false
	case 1:
	default:
		p.at(nodes[kinds[1]], path+"."+kinds[1], "", "a phase does one thing: give one of load:, pause: or probe:, not %s", strings.Join(kinds, " and "))
		return ph, false
	}
	if raw.Compare != nil && kinds[0] != "load" {
		p.at(nodes["compare"], path+".compare", "", "compare: goes with load: (the load run once per policy), not %s:", kinds[0])
	}
	if raw.Retry != nil && kinds[0] != "load" {
		p.at(nodes["retry"], path+".retry", "", "only a load phase's clients retry")
	}
	if raw.Requests != nil && kinds[0] != "load" {
		p.at(nodes["requests"], path+".requests", "", "only a load phase draws from requests: (a probe names its request with probe.request)")
	}
	needRequests := func() {
		if len(reqs) == 0 && p.names == nil {
			p.at(nodes[kinds[0]], path+"."+kinds[0], "", "a %s phase needs requests: at the top of the profile", kinds[0])
		}
	}
	switch kinds[0] {
	case "load":
		ph.Kind = PhaseLoad
		ph.Load, ph.Plan = p.load(raw.Load, path+".load")
		if raw.Compare != nil {
			ph.Compare = p.compare(raw.Compare, path+".compare")
		}
		if raw.Retry != nil {
			ph.Retry = p.retry(raw.Retry, path+".retry", ph.Compare != nil)
		}
		needRequests()
		if raw.Requests != nil {
			ph.Requests = p.subset(raw.Requests, path+".requests")
		}
	case "pause":
		ph.Kind = PhasePause
		ph.Pause, _ = p.duration(raw.Pause, path+".pause", false)
	case "probe":
		ph.Kind = PhaseProbe
		needRequests()
		ph.Probe = p.probe(raw.Probe, path+".probe", reqs)
	}
	return ph, p.problems() == before
}

// subset reads a phase's list of request names.
func (p *parser) subset(n *yaml.Node, path string) []string {
	items, ok := p.items(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.at(n, path, "", "an empty list draws nothing: name requests, or leave requests: out for all")
	}
	var out []string
	for i, it := range items {
		s, ok := p.str(it, index(path, i))
		if !ok {
			continue
		}
		if !p.knownRequest(it, index(path, i), s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// knownRequest reports whether name is a request of the profile, and
// reports it with the nearest name when it is not.
func (p *parser) knownRequest(n *yaml.Node, path, name string) bool {
	if p.names == nil {
		return false // no requests: reported once already
	}
	if _, ok := p.names[name]; ok {
		return true
	}
	var names []string
	for k := range p.names {
		names = append(names, k)
	}
	if near := suggest.Nearest(name, names); near != "" {
		p.at(n, path, strconv.Quote(name), "no such request; did you mean %q?", near)
	} else {
		p.at(n, path, strconv.Quote(name), "no such request in requests:")
	}
	return false
}

// flagForm rewrites a load plan's "--flag value" advice for a file:
// "e.g. --ramp-to 200/s" reads "e.g. ramp-to: 200/s".
var flagForm = regexp.MustCompile(`--([a-z-]+) `)

// load reads a load section and plans it, reporting Plan's problems at
// the keys they are about.
func (p *parser) load(n *yaml.Node, path string) (Load, Plan) {
	var l Load
	nodes, ok := p.fields(n, path, path, &l)
	if !ok {
		return l, Plan{}
	}
	n = resolve(n)
	plan, errs := l.Plan()
	if nodes["duration"] != nil && len(errs) == 0 && plan.Duration == 0 {
		p.at(nodes["duration"], path+".duration", strconv.Quote(l.Duration), "a phase must end: give a duration above 0")
		return l, Plan{}
	}
	p.atKeys(n, nodes, path, errs, func(msg string) string { return flagForm.ReplaceAllString(msg, "$1: ") })
	return l, plan
}

// atKeys reports a section's problems, each *field.Error at the key it
// names (the section itself when the key is not written), its message
// rewritten for a file by form.
func (p *parser) atKeys(n *yaml.Node, nodes map[string]*yaml.Node, path string, errs []error, form func(string) string) {
	for _, err := range errs {
		fe := field.As(err)
		if fe == nil {
			p.at(n, path, "", "%v", err)
			continue
		}
		at := nodes[fe.Field]
		if at == nil {
			at = n
		}
		p.at(at, join(path, fe.Field), fe.Value, "%s", form(fe.Msg))
	}
}

func (p *parser) probe(n *yaml.Node, path string, reqs []Request) ProbeOptions {
	var raw rawProbe
	o := DefaultProbe
	nodes, ok := p.fields(n, path, path, &raw)
	if !ok {
		return o
	}
	if raw.Request != "" {
		if p.knownRequest(nodes["request"], path+".request", raw.Request) {
			o.Request = raw.Request
		}
	} else if len(reqs) > 0 {
		o.Request = reqs[0].Name
	}
	rate := func(key, v string, into *float64) {
		if v == "" {
			return
		}
		r, err := pace.ParseRate(v)
		if err != nil {
			p.at(nodes[key], path+"."+key, "", "%v", err)
			return
		}
		*into = r
	}
	rate("start-rate", raw.StartRate, &o.StartRate)
	rate("max-rate", raw.MaxRate, &o.MaxRate)
	if raw.StartRate != "" && raw.MaxRate != "" && o.StartRate > o.MaxRate {
		p.at(nodes["start-rate"], path+".start-rate", strconv.Quote(raw.StartRate), "above max-rate %s", raw.MaxRate)
	}
	dur := func(key string, v *yaml.Node, zeroOK bool, into *time.Duration) {
		if v != nil {
			if d, ok := p.duration(v, path+"."+key, zeroOK); ok {
				*into = d
			}
		}
	}
	dur("step", raw.Step, false, &o.Step)
	dur("max-time", raw.MaxTime, false, &o.MaxTime)
	dur("margin", raw.Margin, true, &o.Margin)
	dur("timeout", raw.Timeout, true, &o.Timeout)
	count := func(key string, v *yaml.Node, into *int) {
		if v == nil {
			return
		}
		if c, ok := p.integer(v, path+"."+key); ok {
			if c < 1 {
				p.at(v, path+"."+key, strconv.Itoa(c), "must be at least 1")
				return
			}
			*into = c
		}
	}
	count("max-requests", raw.MaxRequests, &o.MaxRequests)
	count("rounds", raw.Rounds, &o.Rounds)
	count("max-in-flight", raw.MaxInFlight, &o.MaxInFlight)
	return o
}

// columner is an error that knows the column of its expression it is
// about (thresholds.Error), and its message without it.
type columner interface {
	Column() int
	Message() string
}

func (p *parser) thresholds(n *yaml.Node, reqs []Request) []Threshold {
	names := make([]string, len(reqs))
	for i, r := range reqs {
		names[i] = r.Name
	}
	items, ok := p.items(n, "thresholds")
	if !ok {
		return nil
	}
	if len(items) > MaxThresholds {
		p.at(n, "thresholds", "", "%d thresholds: at most %d (a result file keeps them in its header)", len(items), MaxThresholds)
		return nil
	}
	var out []Threshold
	for i, it := range items {
		path := index("thresholds", i)
		var th Threshold
		exprNode := it
		if it.Kind == yaml.MappingNode {
			var raw rawThreshold
			if _, ok := p.fields(it, path, path, &raw); !ok {
				continue
			}
			if raw.Expr == nil {
				p.at(it, path+".expr", "", `required: the expression, e.g. expr: "latency.p99 < 300ms"`)
				continue
			}
			exprNode = raw.Expr
			path += ".expr"
			th.Name = raw.Name
			if raw.Abort != nil {
				th.Abort, _ = p.boolean(raw.Abort, index("thresholds", i)+".abort")
			}
		} else if it.Kind != yaml.ScalarNode {
			p.at(it, path, "", "want an expression or {expr, name, abort}, got %s", kindName(it))
			continue
		}
		expr, ok := p.str(exprNode, path)
		if !ok {
			continue
		}
		if strings.TrimSpace(expr) == "" {
			p.at(exprNode, path, "", "empty expression")
			continue
		}
		th.Expr, th.Line, th.Col = expr, exprNode.Line, exprNode.Column
		if exprNode.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			th.Col++
		}
		if th.Name == "" {
			th.Name = expr
		}
		if p.opts.CheckThreshold != nil {
			if err := p.opts.CheckThreshold(expr, names); err != nil {
				line, col := exprNode.Line, exprNode.Column
				msg := err.Error()
				var c columner
				if errors.As(err, &c) {
					line, col = textPos(exprNode, byteOffset(expr, c.Column()))
					msg = c.Message() // the position says the column
				}
				p.atPos(line, col, path, "", "%s", strings.ReplaceAll(msg, "\n", "; "))
				continue
			}
		}
		out = append(out, th)
	}
	return out
}

// byteOffset returns the byte offset of the rune at index col of s.
func byteOffset(s string, col int) int {
	if col <= 0 {
		return 0
	}
	for i := range s {
		if col == 0 {
			return i
		}
		col--
	}
	return len(s)
}

func (p *parser) reports(n *yaml.Node) []Report {
	var out []Report
	p.pairs(n, "reports", false, func(k, v *yaml.Node) {
		if !slices.Contains(reportFormats, k.Value) {
			msg := fmt.Sprintf("unknown report format %q (want one of %s)", k.Value, strings.Join(reportFormats, ", "))
			if near := suggest.Nearest(k.Value, reportFormats); near != "" {
				msg = fmt.Sprintf("unknown report format %q; did you mean %q?", k.Value, near)
			}
			p.at(k, "", "", "%s", msg)
			return
		}
		s, ok := p.str(v, "reports."+k.Value)
		if !ok {
			return
		}
		if strings.TrimSpace(s) == "" {
			p.at(v, "reports."+k.Value, "", "want a file path")
			return
		}
		out = append(out, Report{Format: k.Value, Path: s})
	})
	return out
}

// hasKey reports whether mapping m has key.
func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}
