package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of stampede and of its attack engine",
		Example: "  stampede version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(e.stdout, versionLine())
			return nil
		},
	}
}

// versionLine says which stampede this is, as `stampede version` and
// `stampede --version` print it.
func versionLine() string {
	return fmt.Sprintf("stampede %s (%s, %s/%s, vegeta %s)", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, moduleVersion("github.com/tsenart/vegeta/v12"))
}

// moduleVersion returns the version of a dependency built into the binary.
func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "unknown"
}
