package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// plainDefaults makes --help show every flag's default one way, as
// (default X) with X as it is typed: pflag quotes the default of a flag of
// type string, (default "text"), and of no other, (default 30s), and
// writes durations in full, (default 24h0m0s). A flag whose default is
// worked out at run time writes it in its usage, the same way.
func plainDefaults(root *cobra.Command) {
	walkFlags(root, func(_ *cobra.Command, f *pflag.Flag) {
		switch f.Value.Type() {
		case "string":
			f.Value = plainText{f.Value}
		case "duration":
			f.DefValue = shortDuration(f.DefValue)
		}
	})
}

// plainText is the value of a string flag, of a type pflag does not quote
// the default of. Its type names the placeholder of a flag whose usage
// gives none, which every string flag does.
type plainText struct{ pflag.Value }

// Type implements pflag.Value.
func (plainText) Type() string { return "text" }

// shortDuration writes a duration as it is typed: 24h0m0s as 24h, 2m0s as
// 2m, 1h30m0s as 1h30m; others unchanged.
func shortDuration(d string) string {
	for _, zero := range []string{"0s", "0m"} {
		if rest, ok := strings.CutSuffix(d, zero); ok && (strings.HasSuffix(rest, "m") || strings.HasSuffix(rest, "h")) && !strings.HasSuffix(rest, "ms") {
			d = rest
		}
	}
	return d
}

// The help of -o/--output and -f/--format, one meaning in every command:
// -o is the file the command writes (the result file of a command that
// sends load, attack and run; the report of one that renders a report,
// report, probe and grade-client), - for stdout; -f is the format of the
// report the command prints (the summary, for attack and run).
const (
	resultOutputUsage = "`file` the command writes: the result file, every response recorded; - for stdout (the summary then goes to stderr); '' for none"
	reportOutputUsage = "`file` the command writes: the report; - for stdout"
	formatUsage       = "report `format`"
)
