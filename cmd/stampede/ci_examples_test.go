package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/sim"
)

// The CI examples (examples/ci/github-actions.yml, examples/ci/gitlab-ci.yml)
// and the sh blocks of docs/ci.md are run here, command by command, so that
// what users copy works with this stampede.
//
// What runs: every line of a run: or script: string (docs: of a ```sh
// block) that starts with "stampede " or "mkdir -p ", shell continuations
// (\ at the end of a line) joined. `mkdir -p` is done by the test;
// `stampede serve` is not run: its flags, read by serve's own parser,
// configure the simulation the test starts. Each line is split into words
// as sh would: quotes, backslashes, $VAR, ${VAR} and ${VAR:-default} from
// ciVars (an unknown variable fails the test: add it there), and unquoted
// globs. What the test cannot run is
// handled so:
//
//   - > FILE and >> FILE: stdout goes to FILE, in the work directory;
//   - 2>FILE and 2>&1: dropped (the test keeps stderr for its messages);
//   - | … , && … , || … , ; … , & (the rest of a pipeline or list): dropped,
//     only the stampede command runs;
//   - $(…), `…`, < and ${{ }} (a GitHub expression): the test fails, as it
//     cannot tell what they would give; keep them out of stampede lines.
//
// The variables: the staging URL is the agents API (/mirra) of a simulation
// the test starts on 127.0.0.1 (sim.New behind httptest, one per file or sh
// block; with a latency of ciLatency when no serve line sets it), the API
// key is the simulation's demo-full key, http://127.0.0.1:8080 (the default
// address of `stampede serve`, in docs/ci.md) is that same simulation, and the CI's own variables get fixed values. Paths stay
// relative: each file (and each sh block) runs in its own fresh directory
// laid out like a user's repository: load/nightly.yaml and
// examples/ci/nightly.yaml are copies of examples/ci/nightly.yaml.
//
// Commands run in the order of the file, with the built binary, in that
// directory and with only ciVars (and PATH, HOME) as environment. A
// `--baseline FILE` that does not exist yet is made from the result file of
// the previous command (-o), as the previous night's cache would give it;
// every baseline read has its latencies doubled (slowerCopy) so that the
// comparison cannot fail on a busy machine's noise: so both branches of the workflows' if (first night, later nights) run. Each
// command must exit 0, or N when its line ends with "# expect exit N".
// Afterwards every file the workflow uploads (GitHub: the path: of
// actions/upload-artifact; GitLab: artifacts: paths: and reports: junit:)
// must exist and not be empty, and the JUnit reports must be JUnit without
// failures.

// ciExampleFiles are the CI examples, relative to this package.
var ciExampleFiles = []string{"../../examples/ci/github-actions.yml", "../../examples/ci/gitlab-ci.yml"}

// ciDoc is the documentation whose sh blocks are run.
const ciDoc = "../../docs/ci.md"

// ciProfile is the example profile the workflows run.
const ciProfile = "../../examples/ci/nightly.yaml"

// ciVars are the variables the examples read, with the values the test
// gives them; they are also the whole environment of the commands.
func ciVars(dir, simURL string) map[string]string {
	return map[string]string{
		"STAGING_URL":         simURL + "/mirra", // the simulated agents API
		"STAGING_API_KEY":     "demo-full",       // a key the simulation admits
		"STAMPEDE_VERSION":    "latest",
		"GITHUB_RUN_ID":       "4242",
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_OUTPUT":       filepath.Join(dir, "github-output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "github-step-summary.md"),
		"CI_PIPELINE_ID":      "4343",
	}
}

// ciLine is one stampede command line of a file, continuations joined.
type ciLine struct {
	file string
	line int
	text string
}

func (l ciLine) String() string {
	return fmt.Sprintf("%s:%d: %s", filepath.Base(l.file), l.line, l.text)
}

// ciGroup is what runs in one directory against one simulation: a CI file,
// or one sh block of the docs.
type ciGroup struct {
	name    string
	lines   []ciLine
	uploads []string // files the job keeps, relative to the directory
}

func TestCIExamples(t *testing.T) {
	bin := buildBinary(t)
	var groups []ciGroup
	for _, file := range ciExampleFiles {
		root := readYAML(t, file)
		g := ciGroup{name: filepath.Base(file), lines: yamlStampedeLines(file, root), uploads: yamlUploads(t, file, root)}
		if len(g.lines) < 4 || len(g.uploads) == 0 {
			t.Fatalf("%s: %d stampede commands and %d uploaded files; want the validate and both runs, and the uploads", file, len(g.lines), len(g.uploads))
		}
		var withBaseline, without int
		for _, l := range g.lines {
			if strings.HasPrefix(l.text, "stampede run ") {
				if strings.Contains(l.text, "--baseline") {
					withBaseline++
				} else {
					without++
				}
			}
		}
		if withBaseline == 0 || without == 0 {
			t.Errorf("%s: %d runs with --baseline, %d without; want both nights (first, and later)", file, withBaseline, without)
		}
		groups = append(groups, g)
	}
	groups = append(groups, docGroups(t, ciDoc)...)
	profile, err := os.ReadFile(ciProfile)
	if err != nil {
		t.Fatal(err)
	}

	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, p := range []string{"load/nightly.yaml", "examples/ci/nightly.yaml"} {
				writeFile(t, filepath.Join(dir, p), profile)
			}
			vars := ciVars(dir, "http://127.0.0.1:8080")
			s, err := sim.New(simConfig(t, g, vars))
			if err != nil {
				t.Fatalf("sim.New: %v", err)
			}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			vars = ciVars(dir, srv.URL)
			lastResult := ""
			for _, l := range g.lines {
				switch {
				case strings.HasPrefix(l.text, "stampede serve"): // the simulation above
				case strings.HasPrefix(l.text, "mkdir -p "):
					mkdirLine(t, dir, vars, l)
				default:
					lastResult = runCILine(t, bin, dir, srv.URL, vars, l, lastResult)
				}
			}
			for _, up := range g.uploads {
				checkUpload(t, dir, g.name, up)
			}
			if st := s.Stats(); st.Requests == 0 {
				t.Errorf("%s: the simulation got no request", g.name)
			}
		})
	}
}

// ciLatency is the latency of the simulation standing for staging when a
// group has no `stampede serve` line: the simulation answers in about a
// millisecond, where the noise of a busy machine is more than the 20 % the
// baseline thresholds allow.
const ciLatency = "50ms"

// simConfig is the simulation of a group: that of its `stampede serve` line,
// its flags read by serve's own parser (so a misspelt flag fails), or a
// plain simulation with ciLatency.
func simConfig(t *testing.T, g ciGroup, vars map[string]string) sim.Config {
	t.Helper()
	for _, l := range g.lines {
		if !strings.HasPrefix(l.text, "stampede serve") {
			continue
		}
		cmd, err := parseShell(l.text, func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
		if err != nil {
			t.Fatalf("%s\n  the test cannot run it: %v", l, err)
		}
		var args []string
		for _, w := range cmd.words[2:] {
			args = append(args, w.text)
		}
		f := &serveFlags{}
		c := newServeCmdFor(&env{}, f)
		if err := c.ParseFlags(args); err != nil {
			t.Fatalf("%s\n  %v", l, err)
		}
		cfg, err := serveConfig(c.Flags(), f)
		if err != nil {
			t.Fatalf("%s\n  %v", l, err)
		}
		return cfg
	}
	lat, err := sim.ParseLatency(ciLatency)
	if err != nil {
		t.Fatal(err)
	}
	return sim.Config{Controls: sim.Controls{Latency: lat}}
}

// mkdirLine makes the directories of a `mkdir -p` line.
func mkdirLine(t *testing.T, dir string, vars map[string]string, l ciLine) {
	t.Helper()
	cmd, err := parseShell(l.text, func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	if err != nil {
		t.Fatalf("%s\n  the test cannot run it: %v", l, err)
	}
	for _, w := range cmd.words[2:] {
		if err := os.MkdirAll(filepath.Join(dir, w.text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// runCILine runs one command line in dir and checks its exit code; it
// returns the result file written so far.
func runCILine(t *testing.T, bin, dir, simURL string, vars map[string]string, l ciLine, lastResult string) string {
	t.Helper()
	cmd, err := parseShell(l.text, func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	if err != nil {
		t.Fatalf("%s\n  the test cannot run it: %v", l, err)
	}
	args, err := cmd.expand(dir)
	if err != nil {
		t.Fatalf("%s\n  %v", l, err)
	}
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "http://127.0.0.1:8080", simURL)
	}
	// The previous night's result file, as the cache would restore it, or
	// as an earlier command of the block wrote it: in both cases twice as
	// slow, so that comparing two runs of a busy machine cannot fail on
	// noise.
	for _, b := range flagValues(args, "--baseline") {
		path := filepath.Join(dir, b)
		switch _, err := os.Stat(path); {
		case errors.Is(err, os.ErrNotExist) && lastResult != "":
			slowerCopy(t, filepath.Join(dir, lastResult), path)
		case err == nil:
			slowerCopy(t, path, path)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args[1:]...)
	c.Dir = dir
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range vars {
		c.Env = append(c.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err = c.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s\n  %v", l, err)
	}
	t.Logf("%s → exit %d%s", l, code, cmd.droppedNote())
	if code != cmd.expect {
		t.Fatalf("%s\n  exit %d; want %d\n  stderr: %s\n  stdout (end): %s", l, code, cmd.expect, stderr.String(), tailBytes(stdout.String(), 2000))
	}
	if cmd.stdout != "" {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if cmd.append {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(filepath.Join(dir, cmd.stdout), flags, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(stdout.Bytes())
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if args[1] == "run" {
		out := "stampede-results.bin"
		if o := flagValues(args, "-o", "--output"); len(o) > 0 {
			out = o[len(o)-1]
		}
		if _, err := os.Stat(filepath.Join(dir, out)); err == nil {
			lastResult = out
		}
	}
	return lastResult
}

// checkUpload checks that a file the job keeps exists, is not empty, and,
// for a JUnit report, is JUnit without failures.
func checkUpload(t *testing.T, dir, group, path string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, path))
	if len(matches) == 0 {
		t.Errorf("%s uploads %s: no such file after the run", group, path)
		return
	}
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil || len(data) == 0 {
			t.Errorf("%s uploads %s: empty or unreadable (%v)", group, path, err)
			continue
		}
		if strings.Contains(filepath.Base(m), "junit") {
			var doc struct {
				XMLName  xml.Name
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			}
			if err := xml.Unmarshal(data, &doc); err != nil || doc.XMLName.Local != "testsuites" || doc.Tests == 0 || doc.Failures != 0 {
				t.Errorf("%s uploads %s: <%s> with %d tests, %d failures (%v); want <testsuites>, tests, no failure", group, path, doc.XMLName.Local, doc.Tests, doc.Failures, err)
			}
		}
	}
}

// readYAML parses a CI file.
func readYAML(t *testing.T, path string) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &root
}

// yamlStampedeLines walks every string value of a YAML document (comments
// are not values) and returns the stampede command lines in them.
func yamlStampedeLines(file string, n *yaml.Node) []ciLine {
	var out []ciLine
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, yamlStampedeLines(file, c)...)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			out = append(out, yamlStampedeLines(file, n.Content[i])...)
		}
	case yaml.ScalarNode:
		first := n.Line
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			first++ // the text starts below the | or >
		}
		out = append(out, stampedeLines(file, n.Value, first)...)
	}
	return out
}

// stampedeLines joins continuation lines and returns those that start with
// "stampede " or "mkdir -p ".
func stampedeLines(file, text string, first int) []ciLine {
	var out []ciLine
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(lines[i])
		}
		line = strings.TrimPrefix(line, "$ ")
		if strings.HasPrefix(line, "stampede ") || strings.HasPrefix(line, "mkdir -p ") {
			out = append(out, ciLine{file: file, line: first + start, text: line})
		}
	}
	return out
}

// yamlUploads lists the files a CI file keeps: the path: of GitHub's
// actions/upload-artifact steps, or GitLab's artifacts: paths: and
// reports: junit:.
func yamlUploads(t *testing.T, file string, root *yaml.Node) []string {
	t.Helper()
	var doc map[string]any
	if err := root.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []string
	if jobs, ok := doc["jobs"].(map[string]any); ok { // GitHub Actions
		for _, job := range jobs {
			steps, _ := job.(map[string]any)["steps"].([]any)
			for _, s := range steps {
				step, _ := s.(map[string]any)
				uses, _ := step["uses"].(string)
				with, _ := step["with"].(map[string]any)
				paths, _ := with["path"].(string)
				if !strings.HasPrefix(uses, "actions/upload-artifact@") {
					continue
				}
				for _, p := range strings.Split(paths, "\n") {
					if p = strings.TrimSpace(p); p != "" && !strings.HasPrefix(p, "!") {
						out = append(out, p)
					}
				}
			}
		}
		return out
	}
	for _, v := range doc { // GitLab CI: every job's artifacts
		job, _ := v.(map[string]any)
		arts, _ := job["artifacts"].(map[string]any)
		paths, _ := arts["paths"].([]any)
		reports, _ := arts["reports"].(map[string]any)
		switch junit := reports["junit"].(type) {
		case string:
			paths = append(paths, junit)
		case []any:
			paths = append(paths, junit...)
		}
		for _, p := range paths {
			if s, ok := p.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// docGroups are the sh blocks of a Markdown file that hold stampede
// commands, one group each: every block runs on its own.
func docGroups(t *testing.T, path string) []ciGroup {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var groups []ciGroup
	var block []string
	inBlock, start, n := false, 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case !inBlock && (line == "```sh" || line == "```bash" || line == "```shell"):
			inBlock, start, block = true, n+1, nil
		case inBlock && line == "```":
			inBlock = false
			if lines := stampedeLines(path, strings.Join(block, "\n"), start); len(lines) > 0 {
				groups = append(groups, ciGroup{name: fmt.Sprintf("ci.md:%d", start-1), lines: lines})
			}
		case inBlock:
			block = append(block, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(groups) == 0 {
		t.Fatalf("%s: no sh block with a stampede command", path)
	}
	return groups
}

// shellCommand is a command line as the test runs it.
type shellCommand struct {
	words   []shellWord
	stdout  string // the file of > or >>, "" for none
	append  bool   // >>
	expect  int    // the exit code expected: 0, or N of "# expect exit N"
	dropped string // what follows the command and does not run (| …, && …)
}

// shellWord is a word of a command line; glob when it has an unquoted * ?
// or [.
type shellWord struct {
	text string
	glob bool
}

var (
	expectExit = regexp.MustCompile(`^#\s*expect exit (\d+)\b`)
	shellName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)
)

// parseShell splits a command line into words as sh would, for the subset
// the CI examples may use (see the comment at the top of the file).
func parseShell(line string, lookup func(string) (string, bool)) (shellCommand, error) {
	var cmd shellCommand
	var word strings.Builder
	inWord, glob := false, false
	redirect := "" // ">", ">>" or "fd" (2>…) until its target word
	flush := func() {
		if !inWord {
			return
		}
		w := shellWord{word.String(), glob}
		word.Reset()
		inWord, glob = false, false
		switch redirect {
		case ">", ">>":
			cmd.stdout, cmd.append = w.text, redirect == ">>"
		case "fd":
		default:
			cmd.words = append(cmd.words, w)
		}
		redirect = ""
	}
	expand := func(i int) (string, int, error) { // line[i] == '$'
		rest := line[i+1:]
		switch {
		case strings.HasPrefix(rest, "{{"):
			return "", 0, fmt.Errorf("a CI expression ${{ … }}: pass it through env: instead")
		case strings.HasPrefix(rest, "{"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return "", 0, fmt.Errorf("unterminated ${")
			}
			inner := rest[1:end]
			name, def, hasDef := strings.Cut(inner, ":-")
			if shellName.FindString(name) != name || name == "" {
				return "", 0, fmt.Errorf("${%s}: only ${NAME} and ${NAME:-default}", inner)
			}
			v, ok := lookup(name)
			if !ok && !hasDef {
				return "", 0, fmt.Errorf("unknown variable %s: give it a value in ciVars", name)
			}
			if v == "" && hasDef {
				v = def
			}
			return v, end + 2, nil
		case strings.HasPrefix(rest, "("):
			return "", 0, fmt.Errorf("command substitution $(…)")
		}
		m := shellName.FindString(rest)
		if m == "" {
			if rest != "" && strings.ContainsRune("?#@*!$0123456789-", rune(rest[0])) {
				return "", 0, fmt.Errorf("special parameter $%c", rest[0])
			}
			return "$", 1, nil
		}
		v, ok := lookup(m)
		if !ok {
			return "", 0, fmt.Errorf("unknown variable %s: give it a value in ciVars", m)
		}
		return v, len(m) + 1, nil
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
			i++
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return cmd, fmt.Errorf("unterminated '")
			}
			word.WriteString(line[i+1 : i+1+end])
			inWord = true
			i += end + 2
		case c == '"':
			inWord = true
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				switch {
				case line[i] == '\\' && i+1 < len(line) && strings.ContainsRune("$\"\\`", rune(line[i+1])):
					word.WriteByte(line[i+1])
					i++
				case line[i] == '$':
					v, n, err := expand(i)
					if err != nil {
						return cmd, err
					}
					word.WriteString(v)
					i += n - 1
				case line[i] == '`':
					return cmd, fmt.Errorf("command substitution `…`")
				default:
					word.WriteByte(line[i])
				}
			}
			if i == len(line) {
				return cmd, fmt.Errorf(`unterminated "`)
			}
			i++
		case c == '\\':
			if i+1 < len(line) {
				word.WriteByte(line[i+1])
			}
			inWord = true
			i += 2
		case c == '$':
			v, n, err := expand(i)
			if err != nil {
				return cmd, err
			}
			if strings.ContainsAny(v, " \t") {
				return cmd, fmt.Errorf("the unquoted value of %s has spaces: quote it", line[i:i+n])
			}
			word.WriteString(v)
			inWord = true
			i += n
		case c == '`':
			return cmd, fmt.Errorf("command substitution `…`")
		case c == '#' && !inWord:
			comment := strings.TrimSpace(line[i:])
			if m := expectExit.FindStringSubmatch(comment); m != nil {
				cmd.expect, _ = strconv.Atoi(m[1])
			}
			i = len(line)
		case c == '|' || c == ';' || c == '&':
			flush()
			cmd.dropped = strings.TrimSpace(line[i:])
			i = len(line)
		case c == '<':
			return cmd, fmt.Errorf("input redirection <")
		case c == '>':
			fd := ""
			if inWord && (word.String() == "1" || word.String() == "2") {
				fd = word.String()
				word.Reset()
				inWord = false
			}
			flush()
			i++
			op := ">"
			if i < len(line) && line[i] == '>' {
				op = ">>"
				i++
			}
			switch {
			case fd == "2" && i < len(line) && line[i] == '&': // 2>&1
				for i++; i < len(line) && line[i] >= '0' && line[i] <= '9'; i++ {
				}
			case fd == "2":
				redirect = "fd"
			default:
				redirect = op
			}
		default:
			if c == '*' || c == '?' || c == '[' {
				glob = true
			}
			word.WriteByte(c)
			inWord = true
			i++
		}
	}
	flush()
	if redirect != "" {
		return cmd, fmt.Errorf("a redirection without its file")
	}
	if len(cmd.words) == 0 || (cmd.words[0].text != "stampede" && cmd.words[0].text != "mkdir") {
		return cmd, fmt.Errorf("not a stampede or mkdir command")
	}
	return cmd, nil
}

// expand gives the command's arguments, globs expanded in dir (a pattern
// that matches nothing stays as it is, as in sh).
func (c shellCommand) expand(dir string) ([]string, error) {
	var args []string
	for _, w := range c.words {
		if !w.glob {
			args = append(args, w.text)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(dir, w.text))
		if err != nil {
			return nil, fmt.Errorf("glob %q: %v", w.text, err)
		}
		if len(matches) == 0 {
			args = append(args, w.text)
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(dir, m)
			args = append(args, rel)
		}
	}
	return args, nil
}

// droppedNote says what of the line did not run.
func (c shellCommand) droppedNote() string {
	if c.dropped == "" {
		return ""
	}
	return fmt.Sprintf(" (not run: %q)", c.dropped)
}

// flagValues are the values of a flag in args, as --flag V or --flag=V.
func flagValues(args []string, names ...string) []string {
	var out []string
	for i, a := range args {
		for _, n := range names {
			switch {
			case a == n && i+1 < len(args):
				out = append(out, args[i+1])
			case strings.HasPrefix(a, n+"="):
				out = append(out, strings.TrimPrefix(a, n+"="))
			}
		}
	}
	return out
}

// writeFile writes a file, making its directory.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// slowerCopy writes the result file src to dst with every latency
// doubled: last night as the cache would restore it, but slower, so that
// tonight's comparison with it (latency.p99 < 1.2 * baseline.latency.p99)
// does not hang on the noise of a busy machine between two runs.
func slowerCopy(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := records.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	var recs []records.Record
	for {
		var rec records.Record
		if err := r.Next(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		rec.Latency *= 2
		recs = append(recs, rec)
	}
	var out bytes.Buffer
	w, err := records.NewWriter(&out, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Classes() {
		cl := c.Class
		if err := w.WriteClass(&cl); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range r.Requests() {
		if err := w.WriteRequest(n.ID, n.Name); err != nil {
			t.Fatal(err)
		}
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if tr := r.Trailer(); tr != nil {
		if err := w.WriteTrailer(tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, out.Bytes())
}

// tailBytes is the end of s, at most n bytes.
func tailBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestCIParseShell checks the shell subset the CI test understands.
func TestCIParseShell(t *testing.T) {
	vars := map[string]string{"URL": "http://127.0.0.1:1/x", "ID": "42", "EMPTY": ""}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	tests := []struct {
		line    string
		want    []string
		stdout  string
		append  bool
		expect  int
		dropped string
	}{
		{`stampede run a.yaml --base-url "$URL" -o out/r.bin`, []string{"stampede", "run", "a.yaml", "--base-url", "http://127.0.0.1:1/x", "-o", "out/r.bin"}, "", false, 0, ""},
		{`stampede run a.yaml --threshold 'rate(category == "server_error") <= 1%'`, []string{"stampede", "run", "a.yaml", "--threshold", `rate(category == "server_error") <= 1%`}, "", false, 0, ""},
		{`stampede run a.yaml --run-id "nightly-$ID" --run-id n-${ID} --x "${EMPTY:-d}"`, []string{"stampede", "run", "a.yaml", "--run-id", "nightly-42", "--run-id", "n-42", "--x", "d"}, "", false, 0, ""},
		{`stampede report --format markdown r.bin >> "$URL"`, []string{"stampede", "report", "--format", "markdown", "r.bin"}, "http://127.0.0.1:1/x", true, 0, ""},
		{`stampede report r.bin > out.txt 2>&1`, []string{"stampede", "report", "r.bin"}, "out.txt", false, 0, ""},
		{`stampede report r.bin 2>/dev/null | tee x && echo ok`, []string{"stampede", "report", "r.bin"}, "", false, 0, "| tee x && echo ok"},
		{`stampede run a.yaml # expect exit 1`, []string{"stampede", "run", "a.yaml"}, "", false, 1, ""},
		{`stampede report shard-*.bin \"x\" a\ b`, []string{"stampede", "report", "shard-*.bin", `"x"`, "a b"}, "", false, 0, ""},
	}
	for _, tt := range tests {
		cmd, err := parseShell(tt.line, lookup)
		var words []string
		for _, w := range cmd.words {
			words = append(words, w.text)
		}
		if err != nil || strings.Join(words, "\x00") != strings.Join(tt.want, "\x00") || cmd.stdout != tt.stdout || cmd.append != tt.append || cmd.expect != tt.expect || cmd.dropped != tt.dropped {
			t.Errorf("parseShell(%q) = %q, stdout %q (append %v), expect %d, dropped %q, %v; want %q, %q (%v), %d, %q",
				tt.line, words, cmd.stdout, cmd.append, cmd.expect, cmd.dropped, err, tt.want, tt.stdout, tt.append, tt.expect, tt.dropped)
		}
	}
	for _, bad := range []string{
		`stampede run "$UNKNOWN"`, `stampede run $(cat f)`, "stampede run `cat f`", `stampede run ${{ secrets.URL }}`,
		`stampede run "${args[@]}"`, `stampede run < in`, `stampede run 'open`, `stampede run >`, `echo stampede`,
	} {
		if _, err := parseShell(bad, lookup); err == nil {
			t.Errorf("parseShell(%q): no error; want one", bad)
		}
	}
}
