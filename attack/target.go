package attack

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// ValidateURL checks that raw is an absolute http or https URL with a host.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url %q: scheme must be http or https (e.g. http://127.0.0.1:8080/)", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("url %q: missing host (e.g. http://127.0.0.1:8080/)", raw)
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
	data, err := io.ReadAll(io.LimitReader(src, 64<<20+1))
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	if len(data) > 64<<20 {
		return nil, errors.New("targets file is larger than 64 MiB")
	}
	if format == "" {
		format = detectFormat(data)
	}
	var tr vegeta.Targeter
	switch format {
	case FormatHTTP:
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
			return nil, fmt.Errorf("targets (%s format), target %d: %w", format, len(tgts)+1, err)
		}
		if len(tgts) == MaxTargets {
			return nil, fmt.Errorf("targets: more than %d targets", MaxTargets)
		}
		if err := ValidateURL(t.URL); err != nil {
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

func detectFormat(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "{") {
			return FormatJSON
		}
		return FormatHTTP
	}
	return FormatHTTP
}
