package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// everyFlag calls visit with every flag of every command, as the help
// and completion see them.
func everyFlag(t *testing.T, visit func(c *cobra.Command, f *pflag.Flag)) {
	t.Helper()
	root := newRootCmd(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, abort: context.Background()})
	walkFlags(root, visit)
}

// helpLine is the line --help shows for a flag.
func helpLine(f *pflag.Flag) string {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.AddFlag(f)
	return strings.TrimSpace(fs.FlagUsages())
}

// placeholder is a backquoted placeholder of a flag's usage.
var placeholder = regexp.MustCompile("`[^`]*`")

// TestHelpDefaultsOneWay: every flag's help shows its default once, as
// (default X) at the end of its line, X unquoted: pflag's for a default it
// knows, else written so in its usage; never (default "x"), (default: x)
// or (default ""). A flag that takes a value shows a placeholder of one
// word (its usage backquotes at most one); a switch shows none.
func TestHelpDefaultsOneWay(t *testing.T) {
	n := 0
	everyFlag(t, func(c *cobra.Command, f *pflag.Flag) {
		n++
		name := c.CommandPath() + " --" + f.Name
		line := helpLine(f)
		places := placeholder.FindAllString(f.Usage, -1)
		shown, _ := pflag.UnquoteUsage(f)
		switch {
		case len(places) > 1:
			t.Errorf("%s: placeholders %q in %q; want one at most", name, places, f.Usage)
		case f.Value.Type() == "bool" && len(places) > 0:
			t.Errorf("%s: a switch with a placeholder %q", name, places)
		case f.Value.Type() != "bool" && (shown == "" || strings.Contains(shown, " ") || strings.HasPrefix(shown, "string")):
			t.Errorf("%s: placeholder %q in %q; want one word, not a Go type", name, shown, f.Usage)
		}
		if strings.Count(line, "(default") > 1 {
			t.Errorf("%s: %q shows its default twice", name, line)
		}
		for _, bad := range []string{`(default "`, "(default:", "(default )", "`"} {
			if strings.Contains(line[strings.Index(line, " "):], bad) {
				t.Errorf("%s: %q has %q", name, line, bad)
			}
		}
		if i := strings.LastIndex(line, "(default"); i >= 0 && !strings.HasSuffix(line, ")") {
			t.Errorf("%s: %q: the default is not at the end of the line", name, line)
		}
	})
	if n < 100 {
		t.Errorf("%d flags walked; want every command's", n)
	}
}

// TestCompletionDescriptionsPlain: shell completion describes every flag of
// every command in plain words, without the backquotes that name the
// placeholder of --help; --help still shows the placeholder.
func TestCompletionDescriptionsPlain(t *testing.T) {
	root := newRootCmd(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, abort: context.Background()})
	n := 0
	for _, c := range root.Commands() {
		if c.Hidden {
			continue
		}
		code, stdout, _ := runInProcess(t, "__complete", c.Name(), "--")
		if code != exitOK || strings.Contains(stdout, "`") {
			t.Errorf("__complete %s --: exit %d, %q; want descriptions without backquotes", c.Name(), code, stdout)
		}
		n += strings.Count(stdout, "\n--")
	}
	if n < 100 {
		t.Errorf("%d flags completed; want every command's", n)
	}
	for _, tc := range []struct{ args, want []string }{
		{[]string{"__complete", "attack", "--ra"}, []string{"--rate\trequest rate of --pace constant (default 50/s)", "--ramp-from\tramp: starting rate"}},
		{[]string{"__complete", "report", "-"}, []string{"--format\treport format: "}},
		{[]string{"__complete", "serve", "--add"}, []string{"--addr\taddress to listen on"}},
		{[]string{"attack", "--help"}, []string{"-r, --rate rate ", " request rate of --pace constant (default 50/s)"}},
	} {
		_, stdout, _ := runInProcess(t, tc.args...)
		for _, want := range tc.want {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q: no %q in\n%s", tc.args, want, stdout)
			}
		}
	}
}
