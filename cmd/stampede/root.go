package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/internal/suggest"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// env is what commands receive from main instead of reaching for globals,
// so that tests can run them in-process.
type env struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	stderrTTY bool            // stderr is a terminal: live progress bar, colour
	abort     context.Context // cancelled by a second interrupt
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := codeOf(err)
	msg := redact.Args(oneLine(err.Error()), args)
	if code == exitUsage && !strings.Contains(msg, "--help") {
		msg += " (see 'stampede " + commandPath(root, args) + "--help')"
	}
	fmt.Fprintf(e.stderr, "stampede: %s\n", msg)
	return code
}

// commandPath returns "attack " for "stampede attack …", "" for the root.
func commandPath(root *cobra.Command, args []string) string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == root {
		return ""
	}
	return strings.TrimPrefix(cmd.CommandPath(), root.Name()+" ") + " "
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "stampede",
		Short: "Resilience testing and load generation for HTTP APIs",
		Long: `stampede hammers an HTTP API at a controlled rate, records every response
in a streaming result file and summarises latency (measured from the time
each request was scheduled to leave), status codes and transport errors.

Every run is judged by thresholds (a profile's, --threshold, or the
defaults: the rate-limit contract holds, transport failures and 5xx at
most 1 % each, the run finished) and gets a verdict.

In every command, -o/--output is the file the command writes: the result
file for attack and run (their summary goes to stdout), the report for
report, probe and grade-client; - is stdout. -f/--format is the format of
the report the command prints.

Exit codes: 0 the verdict passed, 1 a threshold failed, 2 usage, profile or
configuration error, 3 the run failed (e.g. the result file could not be
written), 130/143 interrupted by SIGINT/SIGTERM.`,
		Example: `  # 500 requests per second for 10 seconds
  stampede attack --url http://127.0.0.1:8080/ --rate 500/s --duration 10s

  # a load test kept as a profile, with its phases and thresholds
  stampede run mira-chat --base-url http://127.0.0.1:8080

  # machine-readable summary, failing on a slow p99
  stampede attack --url http://127.0.0.1:8080/ --format json -o run.bin --threshold 'latency.p99 < 300ms'`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetIn(e.stdin)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%v%s", err, flagSuggestion(cmd, err))
	})
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	// Arguments to stampede itself name no command; without any, the help.
	root.Args, root.SuggestionsMinimumDistance = unknownCommand, 2
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	root.SetHelpCommand(newHelpCmd())
	root.AddCommand(newAttackCmd(e), newDemoCmd(e), newServeCmd(e), newVersionCmd(e), newCompletionCmd(e))
	root.AddCommand(newProbeCmd(e), newReportCmd(e), newRunCmd(e), newValidateCmd(e))
	root.AddCommand(newGradeClientCmd(e))
	completeFlagValues(root)
	plainDescriptions(root)
	plainDefaults(root)
	return root
}

// unknownCommand refuses arguments to stampede itself, which name no
// command: `unknown command "attak" for "stampede"; did you mean attack?`.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if names := cmd.SuggestionsFor(args[0]); len(names) > 0 {
		msg += "; did you mean " + strings.Join(names, " or ") + "?"
	}
	return usageErrorf("%s", msg)
}

// newHelpCmd is cobra's help command, but a topic that names no command
// is a usage error, as an unknown command is.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long: `Help provides help for any command in the application.
Simply type stampede help [path to command] for full details.`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			for _, sub := range c.Root().Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == c.Root() && len(rest) > 0 {
				topic := strings.Join(args, " ")
				msg := fmt.Sprintf("unknown help topic %q", topic)
				if names := c.Root().SuggestionsFor(args[len(args)-1]); len(names) > 0 {
					msg += "; did you mean " + strings.Join(names, " or ") + "?"
				}
				return usageErrorf("%s", msg)
			}
			return cmd.Help()
		},
	}
}

// noArgs refuses arguments to a command that takes none, with a hint of
// what to give instead.
func noArgs(hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 && (args[0] == "true" || args[0] == "false") {
			return usageErrorf("%s takes no arguments, got %q: a flag that is on or off takes its value after =, e.g. --keepalive=false", cmd.Name(), args[0])
		}
		if len(args) > 0 {
			return usageErrorf("%s takes no arguments, got %d: %s", cmd.Name(), len(args), hint)
		}
		return nil
	}
}

// oneLine folds an error message into one line: control and format
// characters (line breaks, terminal escapes from a file or a target)
// become spaces.
func oneLine(msg string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(msg, "\uFFFD"))
	return strings.Join(strings.Fields(msg), " ")
}

// flagSuggestion is "; did you mean --rate?" for an unknown flag that is a
// typo of one of the command's flags, "" otherwise.
func flagSuggestion(cmd *cobra.Command, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	name, _, _ = strings.Cut(name, "=")
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if near := suggest.Nearest(name, names); near != "" {
		return "; did you mean --" + near + "?"
	}
	return ""
}
