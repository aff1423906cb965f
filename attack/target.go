package attack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// Target formats accepted by LoadTargets.
const (
	FormatHTTP = vegeta.HTTPTargetFormat // "GET http://host/path" blocks, vegeta's http format
	FormatJSON = vegeta.JSONTargetFormat // one JSON object per line, vegeta's json format
)

// MaxTargets bounds the number of targets read from a targets file.
const MaxTargets = 100_000

// MaxBodySize bounds a request body (and an "@file" body), and
// MaxTargetsSize a targets file.
const (
	MaxBodySize    = 64 << 20
	MaxTargetsSize = 64 << 20
)

// MaxBodiesSize bounds the "@file" bodies of an http targets file, all
// together: each distinct file counts once, however many targets name it.
const MaxBodiesSize = 256 << 20

// MaxLineSize bounds a line of an http targets file (a json targets line
// holds its body, and is bounded by MaxTargetsSize only).
const MaxLineSize = 1 << 20

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
// win) and body is the default body of targets that have none. Its errors
// name the line; a line of the http format is at most MaxLineSize bytes,
// and a header value with a control character (CR, LF) is refused. Each
// "@file" body is read once and shared by the targets naming it.
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
	var tgts []vegeta.Target
	switch format {
	case FormatHTTP:
		tgts, err = httpTargets(data, body)
	case FormatJSON:
		tgts, err = jsonTargets(data, body)
	default:
		return nil, fmt.Errorf("targets format %q: want http or json", format)
	}
	if err != nil {
		return nil, fmt.Errorf("targets (%s format), %w", format, err)
	}
	if len(tgts) == 0 {
		return nil, fmt.Errorf("targets (%s format): the file has no targets", format)
	}
	for i := range tgts {
		tgts[i].Header = mergeHeader(header, tgts[i].Header)
	}
	return tgts, nil
}

// mergeHeader returns common with own's values in place of its own.
func mergeHeader(common, own http.Header) http.Header {
	merged := common.Clone()
	if merged == nil {
		merged = http.Header{}
	}
	for k, vs := range own {
		merged[k] = append([]string(nil), vs...)
	}
	return merged
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

// ShareTargets returns shard sh's list of targets, to be sent round-robin
// as one process sends the whole list: the whole run's hit n goes to
// target n mod T, and shard i sends hits i, i+N, i+2N… (pace.Share), so
// its k-th hit goes to target (k·N + i) mod T. The list holds those
// targets in that order, one period of T/gcd(N, T) of them; the shards
// together then send each target exactly the hits one process would, and
// no target gets more than its share when N does not divide T. No shard
// (the zero Shard) keeps the list as it is. The targets are not copied.
func ShareTargets(targets []vegeta.Target, sh records.Shard) []vegeta.Target {
	t := len(targets)
	if sh.Count <= 1 || t <= 1 {
		return targets
	}
	period := t / gcd(sh.Count, t)
	out := make([]vegeta.Target, period)
	for k := range out {
		out[k] = targets[(k*sh.Count+sh.Index)%t]
	}
	return out
}

// gcd is the greatest common divisor of two positive numbers.
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
