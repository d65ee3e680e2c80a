package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// errDrift makes `diff --exit-code` fail when the project is not what dsoi-gen renders.
type errDrift struct{ files int }

func (e errDrift) Error() string {
	return fmt.Sprintf("%d file(s) differ from what dsoi-gen renders", e.files)
}

func newDiffCommand() *cobra.Command {
	var app string
	var exitCode bool
	cmd := &cobra.Command{
		Use:   "diff [--app FILE] [--exit-code] DIR",
		Short: "Show, as a unified diff, how DIR differs from what dsoi-gen renders for it",
		Long: `Render the project in DIR again, in memory, from its recorded description (DIR/dsoi.yaml)
or from --app FILE, and print how each rendered file differs from the one on disk
(from the disk to the render). Files of your own that dsoi-gen does not render are not
listed. Nothing is written. With --exit-code, any difference makes the command fail: a
drift check for CI.`,
		Example: `  dsoi-gen diff ./pinot-operator
  dsoi-gen diff --exit-code ./pinot-operator     # in CI`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if app == "" {
				app = filepath.Join(dir, "dsoi.yaml")
			}
			desc, err := model.LoadFile(app)
			if err != nil {
				return err
			}
			tree, err := scaffold.Generate(cmd.Context(), desc)
			if err != nil {
				return err
			}
			diffs, err := scaffold.DiffTree(dir, tree)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), scaffold.FormatDiffs(diffs))
			if len(diffs) > 0 && exitCode {
				return errDrift{files: len(diffs)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "description to render (default: DIR/dsoi.yaml)")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "fail when any rendered file differs from the disk")
	return cmd
}
