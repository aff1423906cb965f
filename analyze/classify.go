package analyze

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/stampede-dev/stampede/attack/results"
	"github.com/stampede-dev/stampede/internal/redact"
)

// DefaultBodyLimit is how many bytes of a response body are read for
// classification by default; the rest is drained and counted, not kept.
const DefaultBodyLimit = 64 << 10

// sampleWindow is how much of a body is redacted before a sample is cut
// to results.MaxSampleLen: a secret straddling the cut is masked first.
const sampleWindow = 2 * results.MaxSampleLen

// Response is what the classifier sees of one attempt.
type Response struct {
	Status      uint16            // HTTP status, 0 without a response
	Kind        results.ErrorKind // transport failure kind
	ContentType string            // the Content-Type header
	Body        []byte            // the first bytes of the body, at most the body limit; nil if not read
	BodyLen     uint64            // body bytes received in all, read or not
	Method      string            // of the request
	URL         string            // of the request; redacted before it is kept
}

// Classified is the outcome of classifying one response.
type Classified struct {
	Class     *Class
	NewClass  bool // this response created the class
	NewSample bool // this response added the last of Class.Samples
}

// ClassifierOptions configure a Classifier. The zero value classifies with
// the defaults.
type ClassifierOptions struct {
	Rules      []Rule
	MaxClasses int           // bound on distinct classes; DefaultMaxClasses if < 1
	BodyLimit  int           // body bytes read; DefaultBodyLimit if < 1
	Redact     redact.Policy // which names are secret
	Secrets    []string      // literal secrets to mask in messages and samples (the user's keys)
}

// Classifier sorts responses into classes (status, error code and message
// pattern) with a category and a retryable flag, reading the error code
// and message from the body in whatever dialect the API speaks. It is
// meant for the single consume loop of a run and is not safe for
// concurrent use.
//
// Classifying a response that needs no body (a success or redirect without
// a body rule, a transport failure) does not allocate once its class
// exists; neither does an error body of a known class.
type Classifier struct {
	opts    ClassifierOptions
	table   *ClassTable
	x       extractor
	pattern []byte // scratch for the pattern
	code    []byte // scratch for a code found by a rule

	bodyStatuses []StatusMatch // statuses below 400 whose bodies a rule reads
	paths        bool          // some rule selects on the path

	truncated uint64 // bodies longer than the limit
}

// NewClassifier returns a classifier, or the problems of its options.
func NewClassifier(opts ClassifierOptions) (*Classifier, error) {
	var errs []error
	for i := range opts.Rules {
		for _, err := range opts.Rules[i].Validate() {
			errs = append(errs, fmt.Errorf("rule %d: %w", i+1, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if opts.BodyLimit < 1 {
		opts.BodyLimit = DefaultBodyLimit
	}
	c := &Classifier{opts: opts, table: NewClassTable(opts.MaxClasses)}
	for i := range opts.Rules {
		r := &opts.Rules[i]
		if r.extracts() && r.Status.Code != 0 && r.Status.Code < 400 {
			c.bodyStatuses = append(c.bodyStatuses, r.Status)
		}
		c.paths = c.paths || r.Path != ""
	}
	return c, nil
}

// Classes returns the classifier's table of classes.
func (c *Classifier) Classes() *ClassTable { return c.table }

// BodyLimit returns how many body bytes a response needs to carry for
// classification.
func (c *Classifier) BodyLimit() int { return c.opts.BodyLimit }

// Truncated returns the number of bodies classified from their first
// BodyLimit bytes because they were longer.
func (c *Classifier) Truncated() uint64 { return c.truncated }

// NeedsBody reports whether a response with this status is classified by
// its body: every status from 400 on, and those a body rule names.
func (c *Classifier) NeedsBody(status uint16) bool {
	if status >= 400 {
		return true
	}
	for _, m := range c.bodyStatuses {
		if m.Matches(status) {
			return true
		}
	}
	return false
}

// Classify returns the class of r, creating it on first sight. A new class
// takes r's message (redacted) and request as its example, and up to
// results.MaxSamplesPerClass distinct bodies become its samples.
func (c *Classifier) Classify(r *Response) Classified {
	var path string
	if c.paths {
		path = urlPath(r.URL)
	}
	var rule *Rule
	if r.Kind == results.ErrNone && r.Status != 0 && c.NeedsBody(r.Status) {
		rule = c.extractionRule(r.Status, path)
	}
	// Below 400, only a body rule for this path reads the body.
	if rule == nil && (r.Kind != results.ErrNone || r.Status < 400) {
		cls, k := c.table.find(r.Status, r.Kind, nil, nil)
		if cls != nil {
			return Classified{Class: cls}
		}
		return c.create(k, r, path, extraction{dialect: Skipped}, nil, nil)
	}
	if r.BodyLen > uint64(len(r.Body)) {
		c.truncated++
	}

	dialect := Auto
	if rule != nil {
		dialect = rule.Dialect
	}
	ex, doc := c.x.extract(dialect, r.ContentType, r.Body)
	code := ex.code
	if rule != nil {
		switch {
		case len(rule.CodePath) > 0 && doc != nil:
			if found := c.x.scalar(doc, rule.CodePath...); len(found) > 0 {
				code = found
			}
		case rule.CodeRegexp != nil:
			if m := rule.CodeRegexp.FindSubmatchIndex(r.Body); m != nil {
				lo, hi := m[0], m[1]
				if len(m) >= 4 && m[2] >= 0 {
					lo, hi = m[2], m[3]
				}
				c.code = append(c.code[:0], r.Body[lo:hi]...)
				code = c.code
			}
		}
	}
	code = cutUTF8(code, results.MaxCodeLen)
	c.pattern = AppendPattern(c.pattern[:0], ex.message)
	pattern := cutUTF8(c.pattern, results.MaxPatternLen)

	cls, k := c.table.find(r.Status, r.Kind, code, pattern)
	if cls == nil {
		return c.create(k, r, path, ex, code, pattern)
	}
	return Classified{Class: cls, NewSample: c.sample(cls, r.Body)}
}

// create makes the class of a response no class has yet.
func (c *Classifier) create(k classKey, r *Response, path string, ex extraction, code, pattern []byte) Classified {
	if c.table.full() {
		// Checked first: describing a class that will not be kept would
		// cost every overflowing response a redaction.
		cls, created := c.table.overflowClass()
		return Classified{Class: cls, NewClass: created, NewSample: ex.dialect != Skipped && c.sample(cls, r.Body)}
	}
	desc := results.Class{
		Status:    r.Status,
		ErrorKind: r.Kind,
		Code:      string(code),
		Pattern:   string(pattern),
		Dialect:   ex.dialect.String(),
		Message:   c.redact(string(cutUTF8(ex.message, results.MaxMessageLen))),
		Example:   c.example(r),
	}
	desc.Category, desc.Retryable = StatusCategory(r.Status, r.Kind)
	desc.Category, desc.Retryable = Refine(r.Status, desc.Category, desc.Retryable, desc.Code, desc.Message)
	for i := range c.opts.Rules {
		rule := &c.opts.Rules[i]
		if !rule.overrides() || !rule.matchesRequest(r.Status, path) ||
			(rule.Code != "" && rule.Code != desc.Code) ||
			(rule.Message != nil && !rule.Message.MatchString(string(ex.message))) {
			continue
		}
		if rule.Category != nil {
			desc.Category = *rule.Category
		}
		if rule.Retryable != nil {
			desc.Retryable = *rule.Retryable
		}
	}
	cls, created := c.table.insert(k, desc)
	out := Classified{Class: cls, NewClass: created}
	if ex.dialect != Skipped {
		out.NewSample = c.sample(cls, r.Body)
	}
	return out
}

// sample adds body to cls's samples when there is room and it is new.
func (c *Classifier) sample(cls *Class, body []byte) bool {
	if len(cls.Samples) >= results.MaxSamplesPerClass || cls.sampleTries >= maxSampleTries || len(body) == 0 {
		return false
	}
	window := cutUTF8(body, sampleWindow)
	h := maphash.Bytes(keySeed, window)
	for _, seen := range cls.sampleHashes[:len(cls.Samples)] {
		if seen == h {
			cls.sampleTries++
			return false
		}
	}
	text := c.redact(string(window))
	return cls.addSample(string(cutUTF8([]byte(text), results.MaxSampleLen)), h)
}

// extractionRule returns the first rule that says how to read the code of
// a response with this status and path, or nil.
func (c *Classifier) extractionRule(status uint16, path string) *Rule {
	for i := range c.opts.Rules {
		r := &c.opts.Rules[i]
		if r.extracts() && r.matchesRequest(status, path) {
			return r
		}
	}
	return nil
}

// redact masks secrets in text kept from a body.
func (c *Classifier) redact(text string) string {
	return c.opts.Redact.Body(text, c.opts.Secrets)
}

// example returns "METHOD /path?query" of the request, redacted.
func (c *Classifier) example(r *Response) string {
	if r.Method == "" && r.URL == "" {
		return ""
	}
	u := c.opts.Redact.URL(r.URL)
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			u = "/"
		}
	}
	for _, s := range c.opts.Secrets {
		if len(s) >= 4 {
			u = strings.ReplaceAll(u, s, redact.Mask)
		}
	}
	return string(cutUTF8([]byte(strings.TrimSpace(r.Method+" "+u)), results.MaxExampleLen))
}

// urlPath returns the path of a URL without parsing it (and without
// allocating): what follows the authority, up to a query or fragment.
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		j := strings.IndexByte(u, '/')
		if j < 0 {
			return "/"
		}
		u = u[j:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}
