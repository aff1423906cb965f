package sim

import "strings"

// The syntax check of Mirra scripts (INVALID_CODE): a small but real check
// of the brackets of a script's code, in the lexical rules of its runtime.
//
// Outside string literals and comments, every (, [ and { must be closed by
// the matching ), ] or }, in order. The first closer without its opener, or
// with another opener, is "Unexpected token 'X'" on the closer's line; an
// opener still open at the end is "Unexpected end of input" on the last
// line. A string literal that a line break ends (nodejs18: '…' and "…";
// python3.11: '…' and "…" without triple quotes) is reported on the line it
// starts: "Invalid or unexpected token" (nodejs18) or "unterminated string
// literal" (python3.11). A literal or comment still open at the end
// (nodejs18: `…` and /* … */; python3.11: '''…''' and """…""") is
// "Unexpected end of input" on the last line.
//
// Lexical rules: nodejs18 has // and /* */ comments, '…', "…" and `…`
// strings (with ${…} expressions, checked as code, inside template
// literals) and regular expression literals, told from divisions by the
// token before the slash as JavaScript parsers do; python3.11 has #
// comments and '…', "…", '''…''' and """…""" strings (prefixes such as r,
// b and f are identifiers to the check, and need not be). In both, a
// backslash escapes the next character in a literal. Lines are counted by
// "\n" only; the last line is the one after the last "\n", empty or not.
//
// Nothing else of either language is checked: code that passes may still
// not run, but code that fails has a real syntax error.

// Runtimes of Mirra scripts.
const (
	mirraRuntimeNode   = "nodejs18"
	mirraRuntimePython = "python3.11"
)

// Messages of the syntax check.
const (
	mirraEndOfInput        = "Unexpected end of input"
	mirraNodeBadString     = "Invalid or unexpected token"
	mirraPythonBadString   = "unterminated string literal"
	mirraUnexpectedPrefix  = "Unexpected token '" // + the token + "'"
	mirraRegexBeforeTokens = "(,=:[!&|?{};+-*%<>~^"
)

// mirraKeywordsBeforeRegex are the JavaScript keywords after which a slash
// starts a regular expression rather than a division.
var mirraKeywordsBeforeRegex = map[string]bool{
	"return": true, "typeof": true, "case": true, "do": true, "else": true, "in": true,
	"of": true, "new": true, "delete": true, "void": true, "throw": true, "yield": true,
	"await": true, "instanceof": true,
}

// mirraCodeError is a syntax error found in a script: the 1-based line and
// the message, as INVALID_CODE's details show them.
type mirraCodeError struct {
	line int
	msg  string
}

// mirraOpener is an open bracket: its character, its line, and whether it
// opened a ${…} expression of a template literal.
type mirraOpener struct {
	ch       byte
	line     int
	template bool
}

// mirraCheckCode checks code for runtime (mirraRuntimeNode or
// mirraRuntimePython; any other is checked as nodejs18), returning the
// first error, or nil.
func mirraCheckCode(runtime, code string) *mirraCodeError {
	if runtime == mirraRuntimePython {
		return mirraCheckPython(code)
	}
	return mirraCheckNode(code)
}

// mirraLastLine is the number of the last line of code.
func mirraLastLine(code string) int { return strings.Count(code, "\n") + 1 }

// mirraCloserOf maps each closing bracket to its opener.
func mirraCloserOf(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	case '}':
		return '{'
	}
	return 0
}

func mirraUnexpected(line int, c byte) *mirraCodeError {
	return &mirraCodeError{line: line, msg: mirraUnexpectedPrefix + string(rune(c)) + "'"}
}

func mirraIsIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// mirraQuoted scans a one-line string literal of code opened by the quote
// at i: it returns the index after the closing quote and the number of
// escaped line breaks it spans, or ok false if a line break or the end
// comes first.
func mirraQuoted(code string, i int) (end, lines int, ok bool) {
	q := code[i]
	for j := i + 1; j < len(code); j++ {
		switch code[j] {
		case '\\':
			j++
			if j < len(code) && code[j] == '\n' {
				lines++
			}
		case '\n':
			return j, lines, false
		case q:
			return j + 1, lines, true
		}
	}
	return len(code), lines, false
}

// mirraCheckNode checks code in the lexical rules of JavaScript.
func mirraCheckNode(code string) *mirraCodeError {
	line := 1
	var stack []mirraOpener
	inTemplate := false
	// prev is the last character of the last token of code ('a' for an
	// identifier, a number or a literal), 0 at the start; word is the last
	// identifier, if the last token is one. They tell a regular expression
	// from a division.
	var prev byte
	word := ""
	for i := 0; i < len(code); {
		c := code[i]
		if inTemplate {
			switch {
			case c == '\\':
				i++
				if i < len(code) && code[i] == '\n' {
					line++
				}
				i++
			case c == '`':
				inTemplate = false
				prev, word = 'a', ""
				i++
			case c == '$' && i+1 < len(code) && code[i+1] == '{':
				stack = append(stack, mirraOpener{ch: '{', line: line, template: true})
				inTemplate = false
				prev, word = '{', ""
				i += 2
			case c == '\n':
				line++
				i++
			default:
				i++
			}
			continue
		}
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '/' && i+1 < len(code) && code[i+1] == '/':
			if j := strings.IndexByte(code[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(code)
			}
		case c == '/' && i+1 < len(code) && code[i+1] == '*':
			j := strings.Index(code[i+2:], "*/")
			if j < 0 {
				return &mirraCodeError{line: mirraLastLine(code), msg: mirraEndOfInput}
			}
			line += strings.Count(code[i+2:i+2+j], "\n")
			i += 2 + j + 2
		case c == '/':
			if end, ok := mirraRegex(code, i); ok && (prev == 0 || strings.IndexByte(mirraRegexBeforeTokens, prev) >= 0 || mirraKeywordsBeforeRegex[word]) {
				i = end
				prev, word = 'a', ""
			} else {
				i++
				prev, word = '/', ""
			}
		case c == '\'' || c == '"':
			end, lines, ok := mirraQuoted(code, i)
			if !ok {
				return &mirraCodeError{line: line, msg: mirraNodeBadString}
			}
			line += lines
			i = end
			prev, word = 'a', ""
		case c == '`':
			inTemplate = true
			i++
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, mirraOpener{ch: c, line: line})
			prev, word = c, ""
			i++
		case c == ')' || c == ']' || c == '}':
			if len(stack) == 0 || stack[len(stack)-1].ch != mirraCloserOf(c) {
				return mirraUnexpected(line, c)
			}
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if top.template {
				inTemplate = true
			}
			prev, word = c, ""
			i++
		case mirraIsIdent(c):
			j := i
			for j < len(code) && mirraIsIdent(code[j]) {
				j++
			}
			prev, word = 'a', code[i:j]
			i = j
		default:
			prev, word = c, ""
			i++
		}
	}
	if inTemplate || len(stack) > 0 {
		return &mirraCodeError{line: mirraLastLine(code), msg: mirraEndOfInput}
	}
	return nil
}

// mirraRegex scans a regular expression literal whose slash is at i: it
// returns the index after its flags, or ok false if a line break or the
// end comes before its closing slash (then the slash is a division).
func mirraRegex(code string, i int) (end int, ok bool) {
	inClass := false
	for j := i + 1; j < len(code); j++ {
		switch code[j] {
		case '\\':
			j++
			if j < len(code) && code[j] == '\n' {
				return 0, false
			}
		case '\n':
			return 0, false
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '/':
			if !inClass {
				j++
				for j < len(code) && mirraIsIdent(code[j]) {
					j++
				}
				return j, true
			}
		}
	}
	return 0, false
}

// mirraCheckPython checks code in the lexical rules of Python.
func mirraCheckPython(code string) *mirraCodeError {
	line := 1
	var stack []mirraOpener
	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == '#':
			if j := strings.IndexByte(code[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(code)
			}
		case (c == '\'' || c == '"') && i+2 < len(code) && code[i+1] == c && code[i+2] == c:
			end, lines, ok := mirraTripleQuoted(code, i)
			if !ok {
				return &mirraCodeError{line: mirraLastLine(code), msg: mirraEndOfInput}
			}
			line += lines
			i = end
		case c == '\'' || c == '"':
			end, lines, ok := mirraQuoted(code, i)
			if !ok {
				return &mirraCodeError{line: line, msg: mirraPythonBadString}
			}
			line += lines
			i = end
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, mirraOpener{ch: c, line: line})
			i++
		case c == ')' || c == ']' || c == '}':
			if len(stack) == 0 || stack[len(stack)-1].ch != mirraCloserOf(c) {
				return mirraUnexpected(line, c)
			}
			stack = stack[:len(stack)-1]
			i++
		default:
			i++
		}
	}
	if len(stack) > 0 {
		return &mirraCodeError{line: mirraLastLine(code), msg: mirraEndOfInput}
	}
	return nil
}

// mirraTripleQuoted scans a triple-quoted Python string opened at i: it
// returns the index after its closing quotes and the line breaks it spans,
// or ok false if the end comes first.
func mirraTripleQuoted(code string, i int) (end, lines int, ok bool) {
	q := code[i]
	for j := i + 3; j < len(code); j++ {
		switch code[j] {
		case '\\':
			j++
			if j < len(code) && code[j] == '\n' {
				lines++
			}
		case '\n':
			lines++
		case q:
			if j+2 < len(code) && code[j+1] == q && code[j+2] == q {
				return j + 3, lines, true
			}
		}
	}
	return len(code), lines, false
}
