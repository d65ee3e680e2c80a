package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/upgrade"
)

// errDrift makes `diff --exit-code` fail when an upgrade would change the project.
type errDrift struct{ files int }

func (e errDrift) Error() string {
	return fmt.Sprintf("not up to date: dsoi-gen upgrade would change %d file(s)", e.files)
}

func newDiffCommand() *cobra.Command {
	var app string
	var exitCode bool
	cmd := &cobra.Command{
		Use:   "diff [--app FILE] [--exit-code] DIR",
		Short: "Show, as a unified diff, what dsoi-gen upgrade would change in DIR",
		Long: `Plan the upgrade of the project in DIR to its description (DIR/dsoi.yaml, or --app FILE)
and print the change it would make, as a unified diff from the disk. Your own edits are
kept by an upgrade, so they do not show; a file you deleted stays deleted. Nothing is
written. With --exit-code, any change makes the command fail: a check for CI that the
project is up to date with its description and this dsoi-gen.`,
		Example: `  dsoi-gen diff ./pinot-operator
  dsoi-gen diff --exit-code ./pinot-operator     # in CI`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := upgradeOptions(args[0], app)
			if err != nil {
				return err
			}
			plan, err := upgrade.Compute(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), plan.Diff())
			if n := len(plan.Writes) + len(plan.Deletes); n > 0 && exitCode {
				return errDrift{files: n}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "the description to compare with (default: DIR/dsoi.yaml)")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "fail when an upgrade would change any file")
	return cmd
}
