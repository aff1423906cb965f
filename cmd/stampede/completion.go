package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/gradeclient"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/sim"
)

func newCompletionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long:  "Print a script that teaches your shell to complete stampede's commands and flags.",
		Example: `  # bash, this session
  source <(stampede completion bash)

  # zsh, permanently
  stampede completion zsh > "${fpath[1]}/_stampede"

  # fish
  stampede completion fish > ~/.config/fish/completions/stampede.fish`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("completion: name one shell: bash, zsh, fish or powershell")
			}
			if err := cobra.OnlyValidArgs(cmd, args); err != nil {
				return usageErrorf("completion: unknown shell %q: want bash, zsh, fish or powershell", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(e.stdout, true)
			case "zsh":
				return root.GenZshCompletion(e.stdout)
			case "fish":
				return root.GenFishCompletion(e.stdout, true)
			default:
				return root.GenPowerShellCompletionWithDesc(e.stdout)
			}
		},
	}
}

// completionValues are the values shell completion offers for a flag of a
// command, by their names; nil for a flag of free values.
func completionValues(command, flag string) []string {
	switch {
	case flag == "pace":
		return profiles.Paces
	case flag == "retry" || flag == "compare-retry":
		return retry.Policies()
	case flag == "jitter":
		return []string{"none", "full", "equal"}
	case command == "serve" && flag == "retry-after":
		return sim.RetryAfterModes
	case (command == "report" || command == "attack" || command == "run") && flag == "format":
		return reportFormats
	case command == "grade-client" && flag == "format":
		return gradeclient.Formats
	case flag == "format":
		return []string{"text", "json"}
	}
	return nil
}

// plainDescriptions makes the usage of every flag below root plain text
// when root runs cobra's hidden completion command (__complete), whose
// descriptions are the flags' usage as written: pflag's backquotes, which
// name the placeholder of --help ("request `rate`" shows as --rate rate),
// would reach the shell. Help is not printed by that command, so --help
// keeps them.
func plainDescriptions(root *cobra.Command) {
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if cmd.Name() != cobra.ShellCompRequestCmd {
			return
		}
		walkFlags(root, func(_ *cobra.Command, f *pflag.Flag) {
			_, f.Usage = pflag.UnquoteUsage(f)
		})
	}
}

// walkFlags calls visit with every flag of root and of the commands below
// it, the persistent ones where they are declared.
func walkFlags(root *cobra.Command, visit func(c *cobra.Command, f *pflag.Flag)) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { visit(c, f) })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { visit(c, f) })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeFlagValues registers, on every command below root, the values
// completionValues knows for its flags.
func completeFlagValues(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			values := completionValues(c.Name(), f.Name)
			if values == nil {
				return
			}
			_ = c.RegisterFlagCompletionFunc(f.Name, func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return values, cobra.ShellCompDirectiveNoFileComp
			})
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
