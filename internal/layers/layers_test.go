package layers

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is the module's import path.
const module = "github.com/stampede-dev/stampede/"

// allowed lists, for each package, the packages of the module its code
// (tests aside) may import: the layers of docs/architecture.md, lowest
// first. A package missing here is an error: a new package takes its
// place in the layers before it lands.
var allowed = map[string][]string{
	// Leaves: formats, parsers and helpers every layer may use.
	"records":            nil,
	"records/vegetafile": {"records"},
	"records/probefile":  nil,
	"ratelimit":          nil,
	"internal/field":     nil,
	"internal/suggest":   nil,
	"internal/readfile":  nil,
	"internal/redact":    nil,
	"internal/golden":    nil,
	"internal/junit":     nil,
	"attack/pace":        {"internal/field"},
	"attack/retry":       {"internal/field"},
	// Sending load: the attack engine and the probe.
	"attack": {"records", "attack/pace", "attack/retry", "ratelimit", "internal/redact", "internal/field", "internal/readfile"},
	"probe":  {"records/probefile", "ratelimit", "attack/pace", "internal/field"},
	// Grading a client's retries: its own server, runner and reports.
	"gradeclient": {"internal/field", "internal/readfile", "internal/suggest", "internal/junit"},
	// Analysis: classification and the contract below the one consume loop.
	"analyze/classify": {"records", "internal/redact", "internal/field"},
	"analyze/contract": {"records", "ratelimit"},
	"analyze": {"records", "records/vegetafile", "records/probefile", "ratelimit", "analyze/classify", "analyze/contract",
		"internal/redact", "internal/field"},
	// Configuration and the simulation.
	"profiles": {"attack/pace", "attack/retry", "internal/field", "internal/suggest", "internal/readfile", "internal/redact", "analyze/classify", "analyze/contract"},
	"sim":      {"attack/pace", "internal/field"},
	// Output: renderers, then the terminal.
	"reports":    {"analyze", "analyze/classify", "analyze/contract", "records", "records/probefile", "probe", "attack/pace", "internal/junit"},
	"thresholds": {"analyze", "analyze/contract", "records", "records/probefile", "internal/suggest"},
	"scenario":   {"profiles", "attack", "attack/pace", "attack/retry", "records"},
	"progress":   {"analyze", "reports"},
	"metrics":    {"analyze", "analyze/contract", "records"},
	// Wiring: the command imports anything.
	"cmd/stampede": nil,
	// Test helpers and scripts.
	"internal/browsertest": {"internal/golden"},
	"internal/layers":      nil,
	"internal/gradetest":   nil,
	"internal/testserver":  nil,
	"scripts/benchtarget":  nil,
	"scripts/benchcompare": {"records", "reports"},
}

// forbidden are libraries a package must not import: renderers and the
// analysis never drive a terminal.
var forbidden = map[string][]string{
	"reports": {"github.com/vbauerster/mpb", "golang.org/x/term", "github.com/tsenart/vegeta"},
	"analyze": {"github.com/vbauerster/mpb", "golang.org/x/term", "github.com/tsenart/vegeta"},
}

// TestLayers reads the imports of every package's code and checks them
// against allowed and forbidden.
func TestLayers(t *testing.T) {
	root := filepath.Join("..", "..")
	imports := packageImports(t, root)
	if len(imports) < 15 {
		t.Fatalf("found %d packages under %s; the walk is broken", len(imports), root)
	}
	for pkg, imps := range imports {
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s has no place in the layers: add it to allowed (and to docs/architecture.md)", pkg)
			continue
		}
		for _, imp := range imps {
			if rel, mine := strings.CutPrefix(imp, module); mine && pkg != "cmd/stampede" && !slices.Contains(ok, rel) {
				t.Errorf("%s imports %s, which is not below it (allowed: %v)", pkg, rel, ok)
			}
			for _, f := range forbidden[pkg] {
				if strings.HasPrefix(imp, f) {
					t.Errorf("%s imports %s: %s must not", pkg, imp, pkg)
				}
			}
		}
	}
}

// packageImports returns the imports of the non-test Go files of each
// package under root, by the package's path relative to root.
func packageImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			if !slices.Contains(out[pkg], imp) {
				out[pkg] = append(out[pkg], imp)
			}
		}
		if _, seen := out[pkg]; !seen {
			out[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
