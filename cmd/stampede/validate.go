package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// validateExample are the examples of stampede validate's help.
const validateExample = `  # check a profile before committing it
  stampede validate load/checkout.yaml

  # the bundled profiles
  stampede validate mira-chat`

func newValidateCmd(e *env) *cobra.Command {
	var allowLiteral bool
	var baseURL string
	cmd := &cobra.Command{
		Use:   "validate FILE|NAME",
		Short: "Check a profile: every problem at once, as FILE:LINE:COL: message",
		Long: `Check a profile without running it: unknown keys (with the nearest valid
one), wrong types, bad durations and rates, environment variables that are
not set and have no default, literal secrets in auth fields, unknown
requests, bad classification rules and bad threshold expressions. Every
problem is printed on its own line as FILE:LINE:COL: message, and the exit
code is 2 when there is one, 0 when the profile is valid.`,
		Example: validateExample,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give one profile, a file or a bundled name")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return validateProfile(e, args[0], &runFlags{allowLiteralSecrets: allowLiteral, baseURL: baseURL})
		},
	}
	cmd.Flags().BoolVar(&allowLiteral, "allow-literal-secrets", false, "accept secrets written in the profile itself")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "check the profile as stampede run --base-url `URL` would run it (its target.base-url is then not read)")
	return cmd
}

// validateProfile prints every problem of a profile, one per line.
func validateProfile(e *env, arg string, f *runFlags) error {
	p, problems, err := readProfile(arg, f)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		for _, problem := range problems {
			fmt.Fprintln(e.stdout, oneLine(problem.Error())) // a file's text may hold terminal escapes
		}
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %d %s", arg, len(problems), pluralWord(len(problems), "problem", "problems"))}
	}
	plan, err := runnable(p, f)
	if err != nil {
		fmt.Fprintln(e.stdout, oneLine(err.Error()))
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: 1 problem", arg)}
	}
	requests, d := plan.Planned()
	fmt.Fprintf(e.stdout, "%s: valid: %d %s, %d %s (about %d requests over %s), %d %s\n",
		oneLine(p.File), len(p.Requests), pluralWord(len(p.Requests), "request", "requests"), len(p.Phases), pluralWord(len(p.Phases), "phase", "phases"),
		requests, d, len(p.Thresholds), pluralWord(len(p.Thresholds), "threshold", "thresholds"))
	return nil
}

// pluralWord picks the word for a count.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
