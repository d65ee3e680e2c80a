package main

import (
	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "dsoi-gen",
		Short:         "Generate a DSOI Kubernetes operator from a description of a distributed data system",
		Version:       scaffold.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newInitCommand(), newValidateCommand(), newExamplesCommand(), newExampleCommand(), newSchemaCommand())
	root.AddCommand(newKubebuilderCommand(), newDiffCommand(), newUpgradeCommand())
	root.AddCommand(newWizardCommand())
	return root
}
