package classify

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"

	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/records"
)

// MaxRules bounds the rules of a classifier.
const MaxRules = 64

// DefaultBodyLimit is how many bytes of a response body are read for
// classification by default; the rest is drained and counted, not kept.
const DefaultBodyLimit = 64 << 10

// sampleWindow is how much of a body is redacted before a sample is cut
// to records.MaxSampleLen: a secret straddling the cut is masked first.
const sampleWindow = 2 * records.MaxSampleLen

// Response is what the classifier sees of one attempt.
type Response struct {
	Status          uint16            // HTTP status, 0 without a response
	Kind            records.ErrorKind // transport failure kind
	ContentType     string            // the Content-Type header
	Body            []byte            // the first bytes of the body, at most the body limit; nil if not read
	BodyLen         uint64            // body bytes received in all, read or not
	ContentEncoding string            // the Content-Encoding header: gzip and deflate bodies are inflated
	Method          string            // of the request
	URL             string            // of the request; redacted before it is kept
}

// Classified is the outcome of classifying one response.
type Classified struct {
	Class     *Class
	NewClass  bool // this response created the class
	NewSample bool // this response added the last of Class.Samples
	// Body is the body as the classifier read it, inflated when it was
	// compressed; nil when it was not read. Valid until the next Classify.
	Body []byte
}

// Options configure a Classifier. The zero value classifies with
// the defaults.
type Options struct {
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
// exists; neither does a well-formed error body of a known class (a body
// that is not valid JSON though it starts like JSON may: the parser's
// error allocates).
type Classifier struct {
	opts    Options
	table   *ClassTable
	x       extractor
	pattern []byte   // scratch for the pattern
	code    []byte   // scratch for a code found by a rule
	message []byte   // scratch for a message with secrets masked
	masked  []byte   // scratch for a code with secrets masked
	secrets [][]byte // the literal secrets of the options, longest first

	compressed bytes.Reader // the captured body, for decode
	gzip       *gzip.Reader // reused by decode
	inflated   []byte       // decode's output

	pathRules []*Rule // override rules with a path, at most 64: bits of the class key

	bodyStatuses []StatusMatch // statuses below 400 whose bodies a rule reads
	paths        bool          // some rule selects on the path

	truncated uint64 // bodies longer than the limit
}

// New returns a classifier, or the problems of its options.
func New(opts Options) (*Classifier, error) {
	var errs []error
	for i := range opts.Rules {
		for _, err := range opts.Rules[i].Validate() {
			errs = append(errs, fmt.Errorf("rule %d: %w", i+1, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(opts.Rules) > MaxRules {
		return nil, fmt.Errorf("%d rules: at most %d", len(opts.Rules), MaxRules)
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
		if r.overrides() && r.Path != "" {
			c.pathRules = append(c.pathRules, r)
		}
		c.paths = c.paths || r.Path != ""
	}
	for _, s := range opts.Secrets {
		if len(strings.TrimSpace(s)) >= redact.MinSecretLen {
			c.secrets = append(c.secrets, []byte(s))
		}
	}
	slices.SortFunc(c.secrets, func(a, b []byte) int { return len(b) - len(a) })
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
// its body: every status from 400 on, and those a body rule names. It
// reads only what New set, so the attack's transport may call
// it from any goroutine while Classify runs.
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
// records.MaxSamplesPerClass distinct bodies become its samples.
func (c *Classifier) Classify(r *Response) Classified {
	var path string
	if c.paths {
		path = records.URLPath(r.URL)
	}
	rules := c.pathMask(path)
	var rule *Rule
	if r.Kind == records.ErrNone && r.Status != 0 && c.NeedsBody(r.Status) {
		rule = c.extractionRule(r.Status, path)
	}
	// Below 400, only a body rule for this path reads the body.
	if rule == nil && (r.Kind != records.ErrNone || r.Status < 400) {
		cls, k := c.table.find(r.Status, r.Kind, nil, nil, rules)
		if cls != nil {
			return Classified{Class: cls}
		}
		return c.create(k, r, path, extraction{dialect: Skipped}, nil, nil, nil, nil)
	}
	if r.BodyLen > uint64(len(r.Body)) {
		c.truncated++
	}
	body := c.decode(r.ContentEncoding, r.Body)

	dialect := Auto
	if rule != nil {
		dialect = rule.Dialect
	}
	ex, doc := c.x.extract(dialect, r.Status, r.ContentType, body)
	code := ex.code
	if rule != nil {
		switch {
		case len(rule.CodePath) > 0 && doc != nil:
			if found := c.x.scalar(doc, rule.CodePath...); len(found) > 0 {
				code = found
			}
		case rule.CodeRegexp != nil:
			if m := rule.CodeRegexp.FindSubmatchIndex(body); m != nil {
				lo, hi := m[0], m[1]
				if len(m) >= 4 && m[2] >= 0 {
					lo, hi = m[2], m[3]
				}
				if hi > lo { // an empty match finds nothing: keep the dialect's code
					c.code = append(c.code[:0], body[lo:hi]...)
					code = c.code
				}
			}
		}
	}
	// The code and the pattern identify the class, so they are kept as
	// they are: an API that echoes a key in them must not put it in the
	// class. Known secrets are masked here, on every response; the full
	// redaction of messages and samples runs once per class.
	code = c.maskSecrets(cutUTF8(code, records.MaxCodeLen), &c.masked)
	message := c.maskSecrets(ex.message, &c.message)
	c.pattern = AppendPattern(c.pattern[:0], message)
	pattern := cutUTF8(c.pattern, records.MaxPatternLen)

	cls, k := c.table.find(r.Status, r.Kind, code, pattern, rules)
	if cls == nil {
		return c.create(k, r, path, ex, code, pattern, message, body)
	}
	return Classified{Class: cls, NewSample: c.sample(cls, ex.dialect, body), Body: body}
}

// create makes the class of a response no class has yet; body is the body
// as read (inflated), nil when it was not read.
func (c *Classifier) create(k classKey, r *Response, path string, ex extraction, code, pattern, message, body []byte) Classified {
	if ex.dialect != Skipped && c.table.full() {
		// Checked first: describing a class that will not be kept would
		// cost every overflowing response a redaction. Classes without a
		// body (statuses, transport failures) are few and always kept.
		cls, created := c.table.overflowClass(r.Status, r.Kind)
		return Classified{Class: cls, NewClass: created, NewSample: c.sample(cls, ex.dialect, body), Body: body}
	}
	desc := records.Class{
		Status:    r.Status,
		ErrorKind: r.Kind,
		Code:      string(code),
		Pattern:   string(pattern),
		Dialect:   ex.dialect.String(),
		// Redacted before the cut, so that a secret across it is masked.
		Message: string(cutUTF8([]byte(c.redact(string(cutUTF8(message, 2*records.MaxMessageLen)))), records.MaxMessageLen)),
		Example: c.example(r),
	}
	desc.Category, desc.Retryable = StatusCategory(r.Status, r.Kind)
	desc.Category, desc.Retryable = Refine(r.Status, desc.Category, desc.Retryable, desc.Code, desc.Message)
	for i := range c.opts.Rules {
		rule := &c.opts.Rules[i]
		if !rule.overrides() || !rule.matchesRequest(r.Status, path) ||
			(rule.Code != "" && rule.Code != desc.Code) ||
			(rule.Message != nil && !rule.Message.Match(message)) {
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
	return Classified{Class: cls, NewClass: created, NewSample: c.sample(cls, ex.dialect, body), Body: body}
}

// pathMask returns the set of override rules with a path whose path
// matches: part of the class key, so that such a rule decides the
// category of the responses of its path only, not of whichever path a
// class met first.
func (c *Classifier) pathMask(path string) uint64 {
	var mask uint64
	for i, r := range c.pathRules {
		if strings.HasPrefix(path, r.Path) {
			mask |= 1 << i
		}
	}
	return mask
}

// MaskSecrets returns s with every known secret of the options (the
// user's keys) replaced by redact.Mask, longest first; s itself when it
// holds none. Texts a response sets that are stored as they came (its
// Retry-After) go through it.
func (c *Classifier) MaskSecrets(s string) string {
	if s == "" || len(c.secrets) == 0 {
		return s
	}
	var scratch []byte
	if b := c.maskSecrets([]byte(s), &scratch); len(scratch) > 0 {
		return string(b)
	}
	return s
}

// maskSecrets returns b with every known secret replaced by redact.Mask,
// built in *scratch when there is one; b itself when there is none. It
// does not allocate once scratch has grown.
func (c *Classifier) maskSecrets(b []byte, scratch *[]byte) []byte {
	found := false
	for _, s := range c.secrets {
		if bytes.Contains(b, s) {
			found = true
			break
		}
	}
	if !found {
		return b
	}
	out := (*scratch)[:0]
	for i := 0; i < len(b); {
		hit := 0
		for _, s := range c.secrets { // longest first
			if bytes.HasPrefix(b[i:], s) {
				hit = len(s)
				break
			}
		}
		if hit > 0 {
			out = append(out, redact.Mask...)
			i += hit
			continue
		}
		out = append(out, b[i])
		i++
	}
	*scratch = out
	return out
}

// decode returns the body inflated when its Content-Encoding is gzip or
// deflate (a user's Accept-Encoding asked for it), at most BodyLimit bytes
// of it; a body cut by the limit inflates as far as it goes. Any other
// encoding, or a body that does not inflate at all, is returned as it is.
func (c *Classifier) decode(encoding string, body []byte) []byte {
	enc := strings.ToLower(strings.TrimSpace(encoding))
	if enc == "" || enc == "identity" || len(body) == 0 {
		return body
	}
	var rd io.Reader
	c.compressed.Reset(body)
	switch enc {
	case "gzip", "x-gzip":
		if c.gzip == nil {
			z, err := gzip.NewReader(&c.compressed)
			if err != nil {
				return body
			}
			c.gzip = z
		} else if c.gzip.Reset(&c.compressed) != nil {
			return body
		}
		rd = c.gzip
	case "deflate":
		// HTTP's deflate is zlib; some servers send raw deflate.
		if z, err := zlib.NewReader(&c.compressed); err == nil {
			rd = z
		} else {
			c.compressed.Reset(body)
			rd = flate.NewReader(&c.compressed)
		}
	default:
		return body
	}
	c.inflated = c.inflated[:0]
	buf := c.inflated[:cap(c.inflated)]
	if len(buf) < c.opts.BodyLimit {
		buf = make([]byte, c.opts.BodyLimit)
	}
	n, _ := io.ReadFull(rd, buf[:c.opts.BodyLimit]) // a cut stream inflates up to the cut
	c.inflated = buf[:n]
	if n == 0 {
		return body
	}
	return c.inflated
}

// sample adds body to cls's samples when there is room and it is new.
// Bodies that were not read, and bytes that are not text (which redaction
// could not inspect), are not kept.
func (c *Classifier) sample(cls *Class, d Dialect, body []byte) bool {
	if d == Skipped || d == Binary || len(cls.Samples) >= records.MaxSamplesPerClass || cls.sampleTries >= maxSampleTries || len(body) == 0 {
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
	return cls.addSample(string(cutUTF8([]byte(text), records.MaxSampleLen)), h)
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
	var masked []byte
	u = string(c.maskSecrets([]byte(u), &masked)) // longest secret first, as in codes
	return string(cutUTF8([]byte(strings.TrimSpace(r.Method+" "+u)), records.MaxExampleLen))
}
