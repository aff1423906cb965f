package attack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target formats accepted by LoadTargets.
const (
	FormatHTTP = vegeta.HTTPTargetFormat // "GET http://host/path" blocks, vegeta's http format
	FormatJSON = vegeta.JSONTargetFormat // one JSON object per line, vegeta's json format
)

// MaxTargets bounds the number of targets read from a targets file.
const MaxTargets = 100_000

// MaxBodySize bounds a request body, and MaxTargetsSize a targets file.
const (
	MaxBodySize    = 64 << 20
	MaxTargetsSize = 64 << 20
)

// ValidateURL checks that raw is an absolute http or https URL with a host.
// Its errors do not quote the URL, which may carry credentials.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		if strings.Contains(raw, "@") {
			// The parser's complaint may quote part of a password.
			return errors.New("not a valid URL; it has user info: %-escape special characters of the user and password (e.g. http://user:p%40ss@127.0.0.1:8080/)")
		}
		return fmt.Errorf("not a valid URL: %v (e.g. http://127.0.0.1:8080/)", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q: must be http or https (e.g. http://127.0.0.1:8080/)", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("missing host (e.g. http://127.0.0.1:8080/)")
	}
	return nil
}

// ValidateMethod checks that m is an HTTP method token such as GET or POST.
func ValidateMethod(m string) error {
	if m == "" {
		return errors.New("method is empty (e.g. GET, POST)")
	}
	for i := 0; i < len(m); i++ {
		if !isTokenChar(m[i]) {
			return fmt.Errorf("method %q: invalid character %q (e.g. GET, POST)", m, m[i])
		}
	}
	return nil
}

// Static returns the target of a single request, with header cloned.
func Static(method, rawURL string, header http.Header, body []byte) (vegeta.Target, error) {
	if err := ValidateMethod(method); err != nil {
		return vegeta.Target{}, err
	}
	if err := ValidateURL(rawURL); err != nil {
		return vegeta.Target{}, err
	}
	return vegeta.Target{Method: strings.ToUpper(method), URL: rawURL, Header: header.Clone(), Body: body}, nil
}

// LoadTargets reads every target of a targets file in vegeta's http or json
// format ("" detects it: a first non-blank, non-comment line starting with
// '{' is json). header is merged into each target (a target's own values
// win) and body is the default body of targets that have none.
func LoadTargets(src io.Reader, format string, header http.Header, body []byte) ([]vegeta.Target, error) {
	data, err := io.ReadAll(io.LimitReader(src, MaxTargetsSize+1))
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	if len(data) > MaxTargetsSize {
		return nil, fmt.Errorf("targets file is larger than the limit of %d bytes", MaxTargetsSize)
	}
	if format == "" {
		format = detectFormat(data)
	}
	var tr vegeta.Targeter
	switch format {
	case FormatHTTP:
		if err := checkBodyFiles(data); err != nil {
			return nil, fmt.Errorf("targets (http format), %w", err)
		}
		tr = vegeta.NewHTTPTargeter(bytes.NewReader(data), body, nil)
	case FormatJSON:
		tr = vegeta.NewJSONTargeter(bytes.NewReader(data), body, nil)
	default:
		return nil, fmt.Errorf("targets format %q: want http or json", format)
	}
	var tgts []vegeta.Target
	for {
		var t vegeta.Target
		err := tr(&t)
		if errors.Is(err, vegeta.ErrNoTargets) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("targets (%s format), target %d: %s", format, len(tgts)+1, problemOnly(err))
		}
		if len(tgts) == MaxTargets {
			return nil, fmt.Errorf("targets: more than %d targets", MaxTargets)
		}
		if err := ValidateURL(t.URL); err != nil {
			return nil, fmt.Errorf("targets, target %d: url: %w", len(tgts)+1, err)
		}
		if err := ValidateMethod(t.Method); err != nil {
			return nil, fmt.Errorf("targets, target %d: %w", len(tgts)+1, err)
		}
		merged := header.Clone()
		if merged == nil {
			merged = http.Header{}
		}
		for k, vs := range t.Header {
			merged[k] = append([]string(nil), vs...)
		}
		t.Header = merged
		tgts = append(tgts, t)
	}
	if len(tgts) == 0 {
		return nil, fmt.Errorf("targets (%s format): the file has no targets", format)
	}
	return tgts, nil
}

// detectFormat looks at the first line that is neither blank nor a #
// comment: json if it starts with '{', http otherwise.
func detectFormat(data []byte) string {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if line[0] == '{' {
			return FormatJSON
		}
		return FormatHTTP
	}
	return FormatHTTP
}

// checkBodyFiles checks every "@path" body reference of an http targets
// file before vegeta reads it: each must be a regular file of at most
// MaxBodySize bytes, so that a reference to /dev/zero or a huge file is an
// error, not an exhausted memory.
func checkBodyFiles(data []byte) error {
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) < 2 || line[0] != '@' {
			continue
		}
		path := string(line[1:])
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			return fmt.Errorf("line %d: body file: %w", n+1, err)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("line %d: body file %s is not a regular file", n+1, path)
		case fi.Size() > MaxBodySize:
			return fmt.Errorf("line %d: body file %s is %d bytes, more than the limit of %d", n+1, path, fi.Size(), MaxBodySize)
		}
	}
	return nil
}

// ReadBody reads a request body of at most MaxBodySize bytes.
func ReadBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBodySize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBodySize {
		return nil, fmt.Errorf("body is larger than the limit of %d bytes", MaxBodySize)
	}
	return b, nil
}

// problemOnly keeps the kind of problem from a vegeta targeter error ("bad
// header", "bad URL", a JSON parse error) and drops what follows its first
// colon: vegeta appends the offending line, which may hold a credential.
func problemOnly(err error) string {
	msg, _, _ := strings.Cut(err.Error(), ":")
	return strings.TrimSpace(msg) + " (the line is not shown: it may hold secrets)"
}
