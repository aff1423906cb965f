package profiles

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/stampede-dev/stampede/internal/suggest"
)

// Template is a text of a profile compiled at load time: a path, a header
// value or a body, with its environment variables already substituted and
// its template actions parsed. Expanding it per request walks a short list
// of pieces; a template without actions returns its text unchanged, with no
// allocation.
//
// The grammar of the text (env references are expanded at load time,
// actions per request):
//
//	text    = *( literal | env | action )
//	env     = "${" NAME [ ":-" default ] "}"   ; NAME = [A-Za-z_][A-Za-z0-9_]*
//	          ; the default is used when NAME is unset or empty
//	        | "$${"                            ; a literal "${"
//	action  = "{{" space* call space* "}}"
//	call    = "counter"                        ; this request's counter value
//	        | "uuid"                           ; a random version 4 UUID
//	        | "randint" space+ INT space+ INT  ; a random integer in [a, b]
//	        | "phase"                          ; the name of the phase
//	        | '"' chars '"'                    ; the chars themselves (not "}}"), e.g. {{"{{"}}
//
// An environment variable's value is taken as it is: braces in it are not
// actions.
type Template struct {
	src    string // the text as written, env references unexpanded: safe to show
	pieces []piece
	lit    string // the whole text when it has no action
	static bool   // no action: Expand returns lit
	env    bool   // the text referred to an environment variable
}

// TemplateContext is what a template's actions read for one request.
type TemplateContext struct {
	// Counter is this request's value of {{counter}}: the caller draws it
	// once per request from its own atomic counter (n.Add(1)), so that a
	// path and a body of one request show the same number.
	Counter uint64
	// Phase is the name of the phase sending the request, for {{phase}}.
	Phase string
	// Rand draws {{uuid}} and {{randint}}; nil uses math/rand/v2's
	// global source, which is safe for concurrent use. A *rand.Rand is not:
	// give each goroutine its own.
	Rand *rand.Rand
}

// pieceKind is what one piece of a template writes.
type pieceKind uint8

const (
	pieceLiteral pieceKind = iota
	pieceCounter
	pieceUUID
	pieceRandInt
	piecePhase
)

// piece is one part of a template: literal text or an action.
type piece struct {
	kind pieceKind
	text string
	a, b int64 // randint's bounds
}

// templateFuncs names the actions, for error messages and suggestions.
var templateFuncs = []string{"counter", "uuid", "randint", "phase"}

// LiteralTemplate returns a template that expands to s as it is.
func LiteralTemplate(s string) *Template {
	return &Template{src: s, lit: s, static: true, pieces: []piece{{kind: pieceLiteral, text: s}}}
}

// String returns the text as written in the profile, environment
// references unexpanded: it never shows a secret taken from the
// environment.
func (t *Template) String() string {
	if t == nil {
		return ""
	}
	return t.src
}

// Static reports whether the template has no action, so that Expand
// always returns the same text.
func (t *Template) Static() bool { return t == nil || t.static }

// Expand returns the text for one request.
func (t *Template) Expand(ctx TemplateContext) string {
	if t == nil {
		return ""
	}
	if t.static {
		return t.lit
	}
	var b strings.Builder
	b.Grow(len(t.lit) + 40)
	for _, p := range t.pieces {
		switch p.kind {
		case pieceLiteral:
			b.WriteString(p.text)
		case pieceCounter:
			var buf [20]byte
			b.Write(strconv.AppendUint(buf[:0], ctx.Counter, 10))
		case pieceUUID:
			writeUUID(&b, ctx.Rand)
		case pieceRandInt:
			var buf [20]byte
			b.Write(strconv.AppendInt(buf[:0], p.a+randN(ctx.Rand, p.b-p.a+1), 10))
		case piecePhase:
			b.WriteString(ctx.Phase)
		}
	}
	return b.String()
}

// randN returns a random integer in [0, n) (n > 0), from r or the global
// source.
func randN(r *rand.Rand, n int64) int64 {
	if r == nil {
		return rand.Int64N(n)
	}
	return r.Int64N(n)
}

// writeUUID writes a random (version 4, RFC 9562) UUID.
func writeUUID(b *strings.Builder, r *rand.Rand) {
	var hi, lo uint64
	if r == nil {
		hi, lo = rand.Uint64(), rand.Uint64()
	} else {
		hi, lo = r.Uint64(), r.Uint64()
	}
	hi = hi&^(0xf<<12) | 0x4<<12 // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // variant 10
	const hex = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			out[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		out[j] = hex[nib]
		j++
	}
	b.Write(out[:])
}

// textProblem is a problem of a text at a byte offset into it.
type textProblem struct {
	offset int
	msg    string
}

// compileText parses a profile's text: env references are expanded with
// lookup, and actions parsed when actions is set (otherwise "{{" is plain
// text). It returns every problem found.
func compileText(src string, lookup func(string) (string, bool), actions bool) (*Template, []textProblem) {
	t := &Template{src: src}
	var probs []textProblem
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.pieces = append(t.pieces, piece{kind: pieceLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(src[i:], "${"):
			t.env = true
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				probs = append(probs, textProblem{i, "unterminated ${: want ${NAME} or ${NAME:-default}"})
				i = len(src)
				continue
			}
			val, msg := expandEnv(src[i+2:i+end], lookup)
			if msg != "" {
				probs = append(probs, textProblem{i, msg})
			}
			lit.WriteString(val)
			i += end + 1
		case !actions && strings.HasPrefix(src[i:], "{{"):
			probs = append(probs, textProblem{i, "template actions are not expanded here: put them in a request's path, headers or body"})
			i = len(src)
		case actions && strings.HasPrefix(src[i:], "{{"):
			end := strings.Index(src[i+2:], "}}")
			if end < 0 {
				probs = append(probs, textProblem{i, `unterminated {{: want {{counter}}, {{uuid}}, {{randint A B}} or {{phase}} (a literal "{{" is {{"{{"}})`})
				i = len(src)
				continue
			}
			p, msg := parseAction(src[i+2 : i+2+end])
			if msg != "" {
				probs = append(probs, textProblem{i, msg})
			} else if p.kind == pieceLiteral {
				lit.WriteString(p.text)
			} else {
				flush()
				t.pieces = append(t.pieces, p)
			}
			i += end + 4
		default:
			lit.WriteByte(src[i])
			i++
		}
	}
	flush()
	t.static = true
	var all strings.Builder
	for _, p := range t.pieces {
		if p.kind != pieceLiteral {
			t.static = false
			continue
		}
		all.WriteString(p.text)
	}
	t.lit = all.String()
	return t, probs
}

// expandEnv expands the inside of one ${...}.
func expandEnv(ref string, lookup func(string) (string, bool)) (string, string) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !validEnvName(name) {
		return "", fmt.Sprintf("${%s}: %q is not a variable name (want letters, digits and _, not starting with a digit)", ref, name)
	}
	v, ok := lookup(name)
	switch {
	case ok && v != "":
		return v, ""
	case hasDef:
		return def, ""
	case ok:
		return "", ""
	}
	return "", fmt.Sprintf("${%s} is not set and has no default (use ${%s:-value})", name, name)
}

// validEnvName reports whether s is a shell variable name.
func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// parseAction parses the inside of one {{...}}.
func parseAction(s string) (piece, string) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return piece{kind: pieceLiteral, text: s[1 : len(s)-1]}, ""
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return piece{}, "empty {{}}: want {{counter}}, {{uuid}}, {{randint A B}} or {{phase}}"
	}
	noArgs := func(k pieceKind) (piece, string) {
		if len(words) > 1 {
			return piece{}, fmt.Sprintf("{{%s}} takes no arguments", words[0])
		}
		return piece{kind: k}, ""
	}
	switch words[0] {
	case "counter":
		return noArgs(pieceCounter)
	case "uuid":
		return noArgs(pieceUUID)
	case "phase":
		return noArgs(piecePhase)
	case "randint":
		if len(words) != 3 {
			return piece{}, "{{randint A B}} takes two integers, e.g. {{randint 1 100}}"
		}
		a, errA := strconv.ParseInt(words[1], 10, 64)
		b, errB := strconv.ParseInt(words[2], 10, 64)
		if errA != nil || errB != nil {
			return piece{}, fmt.Sprintf("{{%s}}: want two integers, e.g. {{randint 1 100}}", s)
		}
		if a > b || b-a < 0 || b-a == 1<<63-1 {
			return piece{}, fmt.Sprintf("{{%s}}: want A <= B, and B-A below 2^63-1", s)
		}
		return piece{kind: pieceRandInt, a: a, b: b}, ""
	}
	msg := fmt.Sprintf("unknown template function %q (want counter, uuid, randint or phase)", words[0])
	if near := suggest.Nearest(words[0], templateFuncs); near != "" {
		msg = fmt.Sprintf("unknown template function %q; did you mean %q?", words[0], near)
	}
	return piece{}, msg
}
