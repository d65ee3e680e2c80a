package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/plugin"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

func newInitCommand() *cobra.Command {
	var app, example string
	var force bool
	cmd := &cobra.Command{
		Use:   "init [--app FILE | --example NAME] DIR",
		Short: "Generate an operator project into DIR",
		Long: `Generate a complete operator project into DIR from a description.
Everything is rendered in memory first: on any error nothing is written.
DIR must be empty or missing unless --force is given.`,
		Example: `  dsoi-gen init --example pinot ./pinot-operator
  dsoi-gen init --app kafka.yaml ./kafka-operator`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if app == "" && example == "" {
				// No description: ask for one on a terminal, explain otherwise.
				if !stdinIsTerminal(cmd) {
					return errors.New("no description: give --app FILE or --example NAME, or answer plain prompts with dsoi-gen wizard --accessible")
				}
				return runWizard(cmd, wizardFlags{out: "dsoi.yaml", force: force}, args[0])
			}
			desc, err := plugin.LoadDescription(app, example)
			if err != nil {
				return err
			}
			if err := scaffold.CheckTarget(args[0], force); err != nil {
				return err
			}
			tree, err := scaffold.Generate(cmd.Context(), desc)
			if err != nil {
				return err
			}
			if err := scaffold.Write(args[0], tree, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Generated the %s operator (%d files) in %s.\nNext: cd %s && make test\n",
				desc.Metadata.Name, len(tree), args[0], args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "description file (YAML)")
	cmd.Flags().StringVar(&example, "example", "", "built-in example description (see `dsoi-gen examples`)")
	cmd.Flags().BoolVar(&force, "force", false, "write into a non-empty folder, replacing files of the same name")
	return cmd
}
