package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxConfigSize bounds a configuration file.
const MaxConfigSize = 1 << 20

// LoadConfig reads a YAML configuration file (see docs/sim.md) and
// validates it. Unknown fields are errors, so that a misspelt control is
// never silently ignored; every problem of validation is reported at once.
func LoadConfig(path string) (Config, error) {
	cfg, err := ReadConfig(path)
	if err != nil {
		return Config{}, err
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// ReadConfig is LoadConfig without the validation, for callers that change
// the configuration (with flags) before validating it.
func ReadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxConfigSize {
		return Config{}, fmt.Errorf("%s: larger than %d bytes", path, MaxConfigSize)
	}
	return decodeConfig(data)
}

// ParseConfig decodes and validates a YAML configuration. An empty document
// is the zero Config.
func ParseConfig(data []byte) (Config, error) {
	cfg, err := decodeConfig(data)
	if err != nil {
		return Config{}, err
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// decodeConfig decodes a YAML configuration strictly, without validating it.
func decodeConfig(data []byte) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s", cleanYAMLError(err))
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("more than one YAML document; want one")
	}
	return cfg, nil
}

// cleanYAMLError turns the YAML library's multi-line report into one line:
// "line 3: field ratelimit not found in type sim.Config; line 5: …".
func cleanYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		l = strings.ReplaceAll(l, " in type sim.Config", "")
		l = strings.ReplaceAll(l, " in type sim.Controls", "")
		l = strings.ReplaceAll(l, " in type sim.KeyConfig", "")
		lines[i] = l
	}
	return strings.Join(lines, "; ")
}

// yamlScalar decodes a scalar node with parse, naming the node's line in
// errors. The control types use it as their UnmarshalYAML.
func yamlScalar(node *yaml.Node, what string, parse func(string) error) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: %s: want a single value, not a list or mapping", node.Line, what)
	}
	if err := parse(node.Value); err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	return nil
}

// UnmarshalYAML reads a rate such as 20/s or 20.
func (r *Rate) UnmarshalYAML(node *yaml.Node) error {
	return yamlScalar(node, "rate_limit", func(s string) error {
		if err := r.UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("rate_limit: %w", err)
		}
		return nil
	})
}

// UnmarshalYAML reads the form of ParseLatency.
func (l *Latency) UnmarshalYAML(node *yaml.Node) error {
	return yamlScalar(node, "latency", func(s string) error { return l.UnmarshalText([]byte(s)) })
}

// UnmarshalYAML reads the form of ParseWindow.
func (w *Window) UnmarshalYAML(node *yaml.Node) error {
	return yamlScalar(node, "outage", func(s string) error { return w.UnmarshalText([]byte(s)) })
}

// UnmarshalYAML reads the form of ParseStall.
func (st *Stall) UnmarshalYAML(node *yaml.Node) error {
	return yamlScalar(node, "stall", func(s string) error { return st.UnmarshalText([]byte(s)) })
}
