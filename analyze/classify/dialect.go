package classify

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
)

// Dialect is a shape of error body: where an API puts its error code and
// its message.
type Dialect uint8

// The dialects, in the order Auto tries them. Each example is the shape it
// reads; the code and the message are what it extracts.
const (
	Auto Dialect = iota // detect the dialect of each response
	// Problem is RFC 9457 problem details, application/problem+json:
	// {"type": "https://…/out-of-credit", "title": "…", "status": 403,
	// "detail": "…"}. Code: type (unless about:blank), else a "code"
	// member. Message: title (constant per type), else detail.
	Problem
	// Envelope is {"success": false, "error": {"code", "message",
	// "details"}} (Mirra's REST API).
	Envelope
	// ErrorObject is {"error": {"code", "message", "type"}} (OpenAI,
	// MiMo, Google). Code: code if a string or number (Google's numeric
	// code is the HTTP status, so its "status" string wins), else type.
	ErrorObject
	// ErrorString is {"error": "Type", "message": "…"} (Mira Verify,
	// OAuth's error and error_description). The error is the code when it
	// looks like one (invalid_grant, UNAUTHORIZED); otherwise (Bad
	// Request, Rate Limit Exceeded) there is no code and the message is
	// "Type: message".
	ErrorString
	// Errors is {"errors": [{…}]} (JSON:API, GraphQL, GitHub): the first
	// error's code (or extensions.code, or type) and title or message.
	Errors
	// Detail is {"detail": "…"} (Mira, FastAPI, Django REST framework),
	// or FastAPI's validation list {"detail": [{"loc": […], "msg": "…",
	// "type": "missing"}]}: code from a sibling "code" or the first
	// item's type; message "loc: msg".
	Detail
	// Flat is {"code": "…", "message": "…"} (Mirra's SDK).
	Flat
	// Generic is any object with one of the usual code keys (error_code,
	// errorCode, code, error_type, errorType) or message keys (message,
	// msg, error_message, errorMessage, error_description, description,
	// reason).
	Generic
	// JSON is any other JSON: no code; the message is the list of the
	// object's keys, so bodies of one shape share a class.
	JSON
	// HTML is an HTML page: no code; the message is its <title> or first
	// <h1>.
	HTML
	// XML is an XML document (S3, SQS): the code and message of its
	// <Code> and <Message> elements; without them, its first line after
	// the prolog.
	XML
	// Text is any other text: no code; the message is its first line.
	Text
	// Empty is a response without a body.
	Empty
	// Binary is a body that is not text.
	Binary
	// Skipped marks a response whose body was not read: successes and
	// redirects without a body rule, and transport failures.
	Skipped
)

// pinnable reports whether a rule may pin d: not the shapes that name an
// absence of content.
func pinnable(d Dialect) bool { return d != Skipped && d != Empty && d != Binary }

var dialectNames = [...]string{
	Auto:        "auto",
	Problem:     "problem",
	Envelope:    "envelope",
	ErrorObject: "error-object",
	ErrorString: "error-string",
	Errors:      "errors",
	Detail:      "detail",
	Flat:        "flat",
	Generic:     "generic",
	JSON:        "json",
	HTML:        "html",
	XML:         "xml",
	Text:        "text",
	Empty:       "empty",
	Binary:      "binary",
	Skipped:     "none",
}

// String returns the dialect's name, as used on the command line and in
// reports.
func (d Dialect) String() string {
	if int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return fmt.Sprintf("Dialect(%d)", d)
}

// ParseDialect returns the dialect named s, one that a rule can pin.
func ParseDialect(s string) (Dialect, error) {
	for d, name := range dialectNames {
		if s == name && pinnable(Dialect(d)) {
			return Dialect(d), nil
		}
	}
	names := make([]string, 0, len(dialectNames))
	for d, name := range dialectNames {
		if pinnable(Dialect(d)) {
			names = append(names, name)
		}
	}
	return Auto, fmt.Errorf("unknown dialect %q (want one of %s)", s, strings.Join(names, ", "))
}

// extraction is what a dialect found in a body. Its slices alias the
// body, the parser's memory or the extractor's scratch: valid until the
// next extraction.
type extraction struct {
	dialect Dialect
	code    []byte // the error code; nil if none
	message []byte // the text the class's pattern is made from; nil if none
}

// extractor finds the code and message of bodies. It keeps a parser and
// scratch space between calls, so it is not safe for concurrent use.
type extractor struct {
	parser      fastjson.Parser
	parsedLarge bool   // the last document parsed was larger than largeDocument
	scratch     []byte // composed messages and codes
	repaired    []byte // a cut document, closed by repairJSON
}

// maxRepairDepth bounds the nesting repairJSON closes.
const maxRepairDepth = 32

// repairJSON appends to dst the longest prefix of a cut JSON document b
// that ends after a complete value (with atComma, after a complete member
// or element followed by a comma), followed by the brackets that close it,
// and returns it; it returns dst unchanged when there is no such prefix
// (nothing complete, nesting deeper than maxRepairDepth, or a document
// that is complete but malformed). The prefix may still not parse (a
// string that was a key): the caller parses it and, failing, tries again
// atComma. {"error": {"code": "x", "message": "m", "pad": "zzz… becomes
// {"error": {"code": "x", "message": "m"}}.
func repairJSON(dst, b []byte, atComma bool) []byte {
	var (
		stack    [maxRepairDepth]byte // the closers of the open brackets
		depth    int
		inString bool
		escaped  bool
		cut      = -1 // where the last complete member ends
		cutStack [maxRepairDepth]byte
		cutDepth int
	)
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				if !atComma && depth > 0 {
					cut, cutDepth = i+1, depth
					copy(cutStack[:], stack[:depth])
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth == maxRepairDepth {
				return dst
			}
			stack[depth] = '}'
			if c == '[' {
				stack[depth] = ']'
			}
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return dst
			}
			depth--
			if depth == 0 {
				return dst // the document is complete: malformed, not cut
			}
			if !atComma {
				cut, cutDepth = i+1, depth
				copy(cutStack[:], stack[:depth])
			}
		case c == ',' && depth > 0:
			cut, cutDepth = i, depth
			copy(cutStack[:], stack[:depth])
		}
	}
	if cut < 0 {
		return dst
	}
	dst = append(dst, b[:cut]...)
	for d := cutDepth - 1; d >= 0; d-- {
		dst = append(dst, cutStack[d])
	}
	return dst
}

// largeDocument is the size of JSON body after which the parser's memory
// (some 50 times the document) is dropped rather than kept for the next.
const largeDocument = 64 << 10

// extract reads body in dialect d (Auto: detect it). contentType is the
// response's Content-Type header.
func (x *extractor) extract(d Dialect, status uint16, contentType string, body []byte) (extraction, *fastjson.Value) {
	x.scratch = x.scratch[:0]
	trimmed := bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf")) // and a byte order mark
	if len(trimmed) == 0 {
		return extraction{dialect: Empty}, nil
	}
	switch d {
	case Text:
		return x.text(body), nil
	case HTML:
		return extraction{dialect: HTML, message: htmlText(body)}, nil
	case XML:
		return xmlExtraction(trimmed), nil
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if x.parsedLarge {
			// fastjson keeps memory in proportion to the largest document
			// it parsed; after a large one, start afresh.
			x.parser, x.parsedLarge = fastjson.Parser{}, false
		}
		x.parsedLarge = len(trimmed) > largeDocument
		v, err := x.parser.ParseBytes(trimmed)
		if err != nil {
			// A document cut by the body limit (or by the server) keeps
			// its code and message near the start: close it and try again.
			for _, atComma := range [...]bool{false, true} {
				if x.repaired = repairJSON(x.repaired[:0], trimmed, atComma); len(x.repaired) > 0 {
					if v, err = x.parser.ParseBytes(x.repaired); err == nil {
						break
					}
				}
			}
		}
		if err == nil {
			obj := v
			if v.Type() == fastjson.TypeArray { // [{"errorCode": …, "message": …}] (Salesforce)
				if items := v.GetArray(); len(items) > 0 && items[0].Type() == fastjson.TypeObject {
					obj = items[0]
				}
			}
			if obj.Type() == fastjson.TypeObject {
				return x.object(d, status, contentType, obj), v
			}
			return extraction{dialect: JSON, message: x.keys(obj)}, v
		}
	}
	switch {
	case d != Auto:
		// A pinned JSON dialect on a body that is not JSON: read it as text.
		return x.text(body), nil
	case isBinary(body):
		return extraction{dialect: Binary}, nil
	case looksHTML(contentType, trimmed):
		return extraction{dialect: HTML, message: htmlText(body)}, nil
	case looksXML(contentType, trimmed):
		return xmlExtraction(trimmed), nil
	}
	return x.text(body), nil
}

// looksXML reports whether a body is an XML document, by its content type
// or its prolog.
func looksXML(contentType string, trimmed []byte) bool {
	mt := strings.ToLower(mediaType(contentType))
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml") ||
		bytes.HasPrefix(trimmed, []byte("<?xml"))
}

// xmlExtraction reads the <Code> and <Message> of an XML error (any case,
// as S3, SQS and SOAP faults spell them), or else its first line after the
// prolog.
func xmlExtraction(trimmed []byte) extraction {
	code := bytes.TrimSpace(elementText(trimmed, "code"))
	if len(code) == 0 {
		code = bytes.TrimSpace(elementText(trimmed, "faultcode"))
	}
	msg := bytes.TrimSpace(elementText(trimmed, "message"))
	if len(msg) == 0 {
		msg = bytes.TrimSpace(elementText(trimmed, "faultstring"))
	}
	if len(code) == 0 && len(msg) == 0 {
		rest := trimmed
		if bytes.HasPrefix(rest, []byte("<?xml")) {
			if end := bytes.Index(rest, []byte("?>")); end >= 0 {
				rest = rest[end+2:]
			}
		}
		msg = firstLine(rest)
	}
	return extraction{dialect: XML, code: cutUTF8(code, 256), message: msg}
}

func (x *extractor) text(body []byte) extraction {
	if isBinary(body) {
		return extraction{dialect: Binary}
	}
	return extraction{dialect: Text, message: firstLine(body)}
}

// looksHTML reports whether a body is an HTML page, by its content type or
// its first bytes.
func looksHTML(contentType string, trimmed []byte) bool {
	if mt := mediaType(contentType); strings.EqualFold(mt, "text/html") || strings.EqualFold(mt, "application/xhtml+xml") {
		return true
	}
	return len(trimmed) > 0 && trimmed[0] == '<' && (indexFold(trimmed[:min(len(trimmed), 512)], "<html") >= 0 || indexFold(trimmed[:min(len(trimmed), 16)], "<!doctype") >= 0)
}

// isProblemType reports whether contentType is application/problem+json.
func isProblemType(contentType string) bool {
	return strings.EqualFold(mediaType(contentType), "application/problem+json")
}

// mediaType returns the media type of a Content-Type header without its
// parameters and surrounding space, without allocating.
func mediaType(contentType string) string {
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	return strings.TrimSpace(contentType)
}

// object reads a JSON object in dialect d, or detects its dialect.
func (x *extractor) object(d Dialect, status uint16, contentType string, v *fastjson.Value) extraction {
	if d == Auto {
		d = detect(contentType, v)
	}
	switch d {
	case Problem:
		code := str(v, "type")
		title, detail := str(v, "title"), str(v, "detail")
		if len(code) > 0 && string(code) != "about:blank" {
			// A real type names the problem; its title is constant.
			if len(title) == 0 {
				title = detail
			}
			return extraction{dialect: d, code: code, message: title}
		}
		// about:blank: the title is only the status's phrase, so the
		// detail tells problems apart (Spring Boot's default).
		return extraction{dialect: d, code: x.scalar(v, "code"), message: x.join(title, detail)}
	case Envelope, ErrorObject:
		e := v.Get("error")
		code := x.scalar(e, "code")
		// Google: {"code": 429, "status": "RESOURCE_EXHAUSTED"}: a numeric
		// code that only repeats the HTTP status yields to the status.
		if c := e.Get("code"); c != nil && c.Type() == fastjson.TypeNumber && c.GetInt() == int(status) {
			if st := str(e, "status"); len(st) > 0 {
				code = st
			}
		}
		if len(code) == 0 {
			code = str(e, "type")
		}
		return extraction{dialect: d, code: code, message: firstStr(e, "message", "msg", "detail", "description")}
	case ErrorString:
		typ := str(v, "error")
		msg := firstStr(v, "message", "error_description", "msg", "detail", "description")
		if len(msg) == 0 { // NestJS: {"message": ["name must be a string"], "error": "Bad Request"}
			msg = stringOf(v.Get("message", "0"))
		}
		if isCodeLike(typ) {
			return extraction{dialect: d, code: typ, message: msg}
		}
		return extraction{dialect: d, message: x.join(typ, msg)}
	case Errors:
		errs := v.Get("errors")
		if errs != nil && errs.Type() == fastjson.TypeString { // Shopify: {"errors": "Exceeded 2 calls per second"}
			return extraction{dialect: d, message: stringOf(errs)}
		}
		if errs != nil && errs.Type() == fastjson.TypeObject { // {"errors": {"title": ["can't be blank"]}}
			return extraction{dialect: d, message: x.keys(errs)}
		}
		first := v.Get("errors", "0")
		if first != nil && first.Type() == fastjson.TypeString {
			return extraction{dialect: d, message: stringOf(first)}
		}
		code := x.scalar(first, "code")
		if len(code) == 0 {
			code = x.scalar(first, "extensions", "code")
		}
		if len(code) == 0 {
			code = firstStr(first, "type", "errorCode", "error_code")
		}
		return extraction{dialect: d, code: code, message: firstStr(first, "title", "message", "detail", "msg")}
	case Detail:
		detail := v.Get("detail")
		switch {
		case detail == nil:
		case detail.Type() == fastjson.TypeString:
			return extraction{dialect: d, code: x.scalar(v, "code"), message: stringOf(detail)}
		case detail.Type() == fastjson.TypeArray:
			item := detail.Get("0")
			return extraction{dialect: d, code: firstStr(item, "type", "code"), message: x.validation(item)}
		case detail.Type() == fastjson.TypeObject:
			return extraction{dialect: d, code: x.scalar(detail, "code"), message: firstStr(detail, "message", "msg", "detail")}
		}
		return extraction{dialect: d}
	case Flat, Generic:
		code := x.scalar(v, "code")
		if c := v.Get("code"); c != nil && c.Type() == fastjson.TypeNumber && c.GetInt() == int(status) {
			// A code that only repeats the HTTP status (Kubernetes'
			// Status) yields to a reason word.
			if reason := str(v, "reason"); isCodeLike(reason) || isPascalWord(reason) {
				code = reason
			}
		}
		for _, k := range [...]string{"error_code", "errorCode", "error_type", "errorType", "__type"} {
			if len(code) > 0 {
				break
			}
			code = x.scalar(v, k)
		}
		msg := firstStr(v, "message", "msg", "error_message", "errorMessage", "error_description", "description", "reason", "detail", "title")
		if len(msg) == 0 { // {"message": ["name must be a string", …]}
			msg = stringOf(v.Get("message", "0"))
		}
		if len(code) == 0 && len(msg) == 0 && d == Generic {
			if e := str(v, "error"); isCodeLike(e) {
				code = e
			}
		}
		return extraction{dialect: d, code: code, message: msg}
	case JSON:
		return extraction{dialect: JSON, message: x.keys(v)}
	}
	// A pinned non-JSON dialect cannot reach here; read the keys.
	return extraction{dialect: JSON, message: x.keys(v)}
}

// isPascalWord reports whether s is one PascalCase identifier such as
// NotFound or TooManyRequests: letters and digits only, an upper-case
// first letter, no space.
func isPascalWord(s []byte) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// detect returns the dialect of an object.
func detect(contentType string, v *fastjson.Value) Dialect {
	if isProblemType(contentType) {
		return Problem
	}
	if t := v.Get("title"); t != nil && t.Type() == fastjson.TypeString {
		if typ, st := v.Get("type"), v.Get("status"); (typ != nil && typ.Type() == fastjson.TypeString) || (st != nil && st.Type() == fastjson.TypeNumber) {
			return Problem
		}
	}
	if e := v.Get("error"); e != nil {
		switch e.Type() {
		case fastjson.TypeObject:
			if s := v.Get("success"); s != nil && s.Type() == fastjson.TypeFalse {
				return Envelope
			}
			return ErrorObject
		case fastjson.TypeString:
			return ErrorString
		}
	}
	if errs := v.Get("errors"); errs != nil {
		switch errs.Type() {
		case fastjson.TypeArray:
			if first := errs.Get("0"); first != nil && (first.Type() == fastjson.TypeObject || first.Type() == fastjson.TypeString) {
				return Errors
			}
		case fastjson.TypeString, fastjson.TypeObject:
			return Errors
		}
	}
	if d := v.Get("detail"); d != nil && d.Type() != fastjson.TypeNull {
		return Detail
	}
	if hasString(v, "message") && v.Exists("code") {
		return Flat
	}
	for _, k := range [...]string{"code", "error_code", "errorCode", "error_type", "errorType", "__type", "message", "msg", "error_message", "errorMessage", "error_description", "description", "reason"} {
		if v.Exists(k) {
			return Generic
		}
	}
	return JSON
}

// str returns the string at keys in v, nil if v is nil or it is not a
// string.
func str(v *fastjson.Value, keys ...string) []byte {
	if v == nil {
		return nil
	}
	return stringOf(v.Get(keys...))
}

func stringOf(v *fastjson.Value) []byte {
	if v == nil || v.Type() != fastjson.TypeString {
		return nil
	}
	b, _ := v.StringBytes()
	return b
}

func hasString(v *fastjson.Value, key string) bool {
	s := v.Get(key)
	return s != nil && s.Type() == fastjson.TypeString
}

// firstStr returns the first non-empty string among v's keys.
func firstStr(v *fastjson.Value, keys ...string) []byte {
	for _, k := range keys {
		if s := str(v, k); len(s) > 0 {
			return s
		}
	}
	return nil
}

// scalar returns the value at keys as code text: a string as it is, a
// number or boolean as written in the body; nil for anything else.
func (x *extractor) scalar(v *fastjson.Value, keys ...string) []byte {
	if v == nil {
		return nil
	}
	return x.scalarOf(v.Get(keys...))
}

func (x *extractor) scalarOf(s *fastjson.Value) []byte {
	if s == nil {
		return nil
	}
	switch s.Type() {
	case fastjson.TypeString:
		return stringOf(s)
	case fastjson.TypeNumber, fastjson.TypeTrue, fastjson.TypeFalse:
		start := len(x.scratch)
		x.scratch = s.MarshalTo(x.scratch)
		return x.scratch[start:len(x.scratch):len(x.scratch)]
	}
	return nil
}

// join returns "a: b" in scratch, or whichever of them is not empty.
func (x *extractor) join(a, b []byte) []byte {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	start := len(x.scratch)
	x.scratch = append(x.scratch, a...)
	x.scratch = append(x.scratch, ": "...)
	x.scratch = append(x.scratch, b...)
	return x.scratch[start:len(x.scratch):len(x.scratch)]
}

// validation renders a FastAPI validation error item as "loc: msg", the
// location's parts joined with '.': "body.temperature: Input should be
// less than or equal to 2".
func (x *extractor) validation(item *fastjson.Value) []byte {
	if item == nil {
		return nil
	}
	start := len(x.scratch)
	for i, part := range item.GetArray("loc") {
		if i > 0 {
			x.scratch = append(x.scratch, '.')
		}
		if p := stringOf(part); p != nil {
			x.scratch = append(x.scratch, p...)
		} else {
			x.scratch = part.MarshalTo(x.scratch)
		}
	}
	msg := firstStr(item, "msg", "message")
	if len(x.scratch) > start && len(msg) > 0 {
		x.scratch = append(x.scratch, ": "...)
	}
	x.scratch = append(x.scratch, msg...)
	return x.scratch[start:len(x.scratch):len(x.scratch)]
}

// maxKeys bounds the keys that make the message of a JSON body.
const maxKeys = 32

// keys returns "{a,b,c}", the first maxKeys keys of an object in document
// order, or "[]" for an array and the type's name for a scalar.
func (x *extractor) keys(v *fastjson.Value) []byte {
	start := len(x.scratch)
	switch v.Type() {
	case fastjson.TypeObject:
		x.scratch = append(x.scratch, '{')
		n := 0
		o, _ := v.Object()
		o.Visit(func(k []byte, _ *fastjson.Value) {
			if n < maxKeys {
				if n > 0 {
					x.scratch = append(x.scratch, ',')
				}
				x.scratch = append(x.scratch, k...)
			}
			n++
		})
		x.scratch = append(x.scratch, '}')
	case fastjson.TypeArray:
		x.scratch = append(x.scratch, "[]"...)
	default:
		x.scratch = append(x.scratch, v.Type().String()...)
	}
	return x.scratch[start:len(x.scratch):len(x.scratch)]
}
