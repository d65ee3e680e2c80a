package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
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
	return root
}

// loadDescription reads the description named by --app, or a built-in example by --example.
func loadDescription(app, example string) (*model.Application, error) {
	switch {
	case app != "" && example != "":
		return nil, fmt.Errorf("give --app or --example, not both")
	case app != "":
		return model.LoadFile(app)
	case example != "":
		file, data, err := examples.Get(example)
		if err != nil {
			return nil, err
		}
		return model.Load(file, data)
	}
	return nil, fmt.Errorf("no description: give --app FILE or --example NAME (see `dsoi-gen examples`)")
}
