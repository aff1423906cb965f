package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/internal/redact"
)

// commandLine rebuilds the command line of cmd from its parsed flags, with
// secrets masked: header values by name, URLs by their credentials, inline
// bodies always. Rebuilding from parsed flags, not from os.Args, means no
// spelling of a flag (-kH, -uURL, --header=…) can slip a secret past.
func commandLine(cmd *cobra.Command, policy redact.Policy) []string {
	line := strings.Fields(cmd.CommandPath())
	cmd.Flags().Visit(func(f *pflag.Flag) {
		values := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			values = sv.GetSlice()
		}
		for _, v := range values {
			line = append(line, "--"+f.Name+"="+redactFlag(policy, f.Name, v))
		}
	})
	return line
}

// redactFlag masks the value of one flag.
func redactFlag(policy redact.Policy, name, value string) string {
	switch name {
	case "header":
		return policy.HeaderValue(value)
	case "body":
		return redact.Mask
	case "url":
		return policy.URL(value)
	}
	return value
}
