package attack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/internal/readfile"
)

// maxBodiesTotal is MaxBodiesSize; tests lower it.
var maxBodiesTotal int64 = MaxBodiesSize

// readBodyFile reads an "@file" body; tests wrap it to count the reads.
var readBodyFile = func(path string) ([]byte, error) { return readfile.Regular(path, MaxBodySize) }

// lines walks the lines of a targets file, counting them from 1.
type lines struct {
	data []byte
	pos  int // offset of the next line
	n    int // number of the line last returned
}

// next returns the next line with surrounding space trimmed; ok is false
// at the end. A line over max bytes is an error naming it.
func (l *lines) next(max int) (line string, ok bool, err error) {
	if l.pos >= len(l.data) {
		return "", false, nil
	}
	rest := l.data[l.pos:]
	end := bytes.IndexByte(rest, '\n')
	if end < 0 {
		end = len(rest)
	}
	l.pos += end + 1
	l.n++
	if end > max {
		return "", false, fmt.Errorf("line %d: longer than %d bytes: shorten it (a long body goes in an @file)", l.n, max)
	}
	return string(bytes.TrimSpace(rest[:end])), true, nil
}

// httpMethodLine is a line starting a target: an upper-case word, a space.
var httpMethodLine = regexp.MustCompile(`^[A-Z]+\s`)

// httpParser reads vegeta's http format: targets of a "METHOD URL" line,
// header lines and an optional "@file" body line, between blank lines.
type httpParser struct {
	lines
	body  []byte            // the default body
	files map[string][]byte // the @file bodies read, by path
	total int64             // their bytes, together
}

// httpTargets parses the targets of an http-format file.
func httpTargets(data, body []byte) ([]vegeta.Target, error) {
	p := httpParser{lines: lines{data: data}, body: body, files: map[string][]byte{}}
	var tgts []vegeta.Target
	for {
		line, ok, err := p.nextContent()
		if err != nil || !ok {
			return tgts, err
		}
		if len(tgts) == MaxTargets {
			return nil, fmt.Errorf("line %d: more than %d targets", p.n, MaxTargets)
		}
		t, err := p.target(line)
		if err != nil {
			return nil, err
		}
		tgts = append(tgts, t)
	}
}

// nextContent returns the next line that is neither blank nor a comment.
func (p *httpParser) nextContent() (string, bool, error) {
	for {
		line, ok, err := p.next(MaxLineSize)
		if err != nil || !ok || (line != "" && line[0] != '#') {
			return line, ok, err
		}
	}
}

// target parses one target from its request line on.
func (p *httpParser) target(line string) (vegeta.Target, error) {
	t := vegeta.Target{Body: p.body, Header: map[string][]string{}}
	method, url, ok := strings.Cut(line, " ")
	if !ok || !httpMethodLine.MatchString(line) {
		return t, fmt.Errorf("line %d: bad target: want \"METHOD URL\" (e.g. GET http://127.0.0.1:8080/)", p.n)
	}
	t.Method, t.URL = method, strings.TrimSpace(url)
	if err := ValidateURL(t.URL); err != nil {
		return t, fmt.Errorf("line %d: url: %w", p.n, err)
	}
	for {
		at, n := p.pos, p.n
		line, ok, err := p.next(MaxLineSize)
		switch {
		case err != nil:
			return t, err
		case !ok || line == "":
			return t, nil
		case line[0] == '#':
			continue
		case httpMethodLine.MatchString(line):
			p.pos, p.n = at, n // the next target's line
			return t, nil
		case line[0] == '@':
			t.Body, err = p.bodyFile(line[1:])
			return t, err
		}
		if err := addHeader(t.Header, line); err != nil {
			return t, fmt.Errorf("line %d: bad header: %w", p.n, err)
		}
	}
}

// addHeader adds a "Name: value" line to h, keeping the name's case:
// vegeta is used to test servers that require case-sensitive headers.
func addHeader(h map[string][]string, line string) error {
	name, value, err := ParseHeader(line)
	if err != nil {
		return err
	}
	h[name] = append(h[name], value)
	return nil
}

// bodyFile returns the bytes of an "@file" body, read once per path.
func (p *httpParser) bodyFile(path string) ([]byte, error) {
	if b, ok := p.files[path]; ok {
		return b, nil
	}
	b, err := readBodyFile(path)
	if err != nil {
		return nil, fmt.Errorf("line %d: body file %s: %w", p.n, path, err)
	}
	p.total += int64(len(b))
	if p.total > maxBodiesTotal {
		return nil, fmt.Errorf("line %d: body file %s brings the body files to %d bytes, more than the limit of %d bytes for all of them: use fewer or smaller body files", p.n, path, p.total, maxBodiesTotal)
	}
	p.files[path] = b
	return b, nil
}

// jsonTargets parses the targets of a json-format file, one per line.
func jsonTargets(data, body []byte) ([]vegeta.Target, error) {
	l := lines{data: data}
	var tgts []vegeta.Target
	for {
		line, ok, _ := l.next(MaxTargetsSize)
		if !ok {
			return tgts, nil
		}
		if line == "" {
			continue
		}
		if len(tgts) == MaxTargets {
			return nil, fmt.Errorf("line %d: more than %d targets", l.n, MaxTargets)
		}
		t, err := jsonTarget([]byte(line), body)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", l.n, err)
		}
		tgts = append(tgts, t)
	}
}

// jsonTarget decodes one line of the json format. Its errors do not quote
// the line, which may hold secrets.
func jsonTarget(line, body []byte) (vegeta.Target, error) {
	var t vegeta.Target
	if err := json.Unmarshal(line, new(json.RawMessage)); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return t, fmt.Errorf("invalid JSON at byte %d: %v (want one whole object per line)", se.Offset, se)
		}
		return t, fmt.Errorf("invalid JSON: %v", err)
	}
	tr := vegeta.NewJSONTargeter(bytes.NewReader(append(line, '\n')), body, nil)
	if err := tr(&t); errors.Is(err, vegeta.ErrNoMethod) || errors.Is(err, vegeta.ErrNoURL) {
		return t, err
	} else if err != nil {
		return t, errors.New(problemOnly(err))
	}
	if err := ValidateURL(t.URL); err != nil {
		return t, fmt.Errorf("url: %w", err)
	}
	if err := ValidateMethod(t.Method); err != nil {
		return t, err
	}
	return t, checkHeaderValues(t.Header)
}

// checkHeaderValues refuses a header that cannot be sent: a name that is
// not a token, a value with a control character such as CR or LF.
func checkHeaderValues(h map[string][]string) error {
	for name, vs := range h {
		if _, _, err := ParseHeader(name + ":"); err != nil {
			return fmt.Errorf("header: %w", err)
		}
		for _, v := range vs {
			if i := strings.IndexFunc(v, isControl); i >= 0 {
				return fmt.Errorf("header %s: control character %q in the value: remove it (CR or LF would end the header)", name, v[i])
			}
		}
	}
	return nil
}

// isControl says whether r is a control character other than a tab.
func isControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }
