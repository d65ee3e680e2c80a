package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a description and report every problem; writes nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			app, err := model.LoadFile(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%d node types, %d dependencies, %d config files)\n",
				args[0], len(app.Spec.NodeTypes), len(app.Spec.Dependencies), len(app.Spec.ConfigFiles))
			return nil
		},
	}
}

func newExamplesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "examples",
		Short: "List the built-in example descriptions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, name := range examples.Names() {
				app, err := examples.Load(name)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-12s %s (%d node types)\n", name, app.Spec.DisplayName, len(app.Spec.NodeTypes))
			}
			return nil
		},
	}
}

func newExampleCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "example NAME",
		Short:   "Print a built-in example description, to start from",
		Example: "  dsoi-gen example druid > druid.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, data, err := examples.Get(args[0])
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
}

func newSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "schema",
		Short:   "Print the JSON Schema of descriptions, for editor completion",
		Example: "  dsoi-gen schema > dsoi.schema.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			schema, err := model.Schema()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(schema)
			return err
		},
	}
}
