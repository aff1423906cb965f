package profiles

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/internal/suggest"
)

// bundledFS holds the bundled profiles: one per simulated seed API and the
// demo's.
//
//go:embed bundled/*.yaml
var bundledFS embed.FS

// Bundled returns the names of the bundled profiles, sorted: "demo",
// "mimo", "mira-chat", "mira-verify", "mirra".
func Bundled() []string {
	entries, _ := fs.ReadDir(bundledFS, "bundled")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// BundledSource returns the text of the bundled profile name, for
// `stampede run NAME --print` and for copying one as a start.
func BundledSource(name string) ([]byte, bool) {
	data, err := bundledFS.ReadFile(path.Join("bundled", name+".yaml"))
	return data, err == nil
}

// LoadBundled reads the bundled profile name as Parse does; its File is
// "bundled/NAME.yaml". An unknown name is one error naming the nearest.
func LoadBundled(name string, opts LoadOptions) (*Profile, []error) {
	data, ok := BundledSource(name)
	if !ok {
		names := Bundled()
		msg := "no bundled profile of that name (want one of " + strings.Join(names, ", ") + ")"
		if near := suggest.Nearest(name, names); near != "" {
			msg = "no bundled profile of that name; did you mean \"" + near + "\"?"
		}
		return nil, []error{field.Errorf("profile", `"`+name+`"`, "%s", msg)}
	}
	return Parse(path.Join("bundled", name+".yaml"), data, opts)
}
