package plugin

import (
	"context"
	"fmt"

	"sigs.k8s.io/kubebuilder/v4/pkg/plugin"

	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// step is one dsoi subcommand, as both front doors run it: the Go plugin through
// Kubebuilder's hooks, then writes the files; the external plugin through the same hooks in
// the same order (see runStep), then returns the files to kubebuilder. The fast checks
// (flags, description) run in PreScaffold or InjectResource, before the slow rendering.
type step interface {
	plugin.HasFlags
	plugin.RequiresConfig
	plugin.UpdatesMetadata
	// files renders the project and returns what to write into the working directory. It
	// also records the project in the injected config.
	files(ctx context.Context) (scaffold.Tree, error)
}

var (
	_ step = &initSubcommand{}
	_ step = &createAPISubcommand{}
	_ step = &editSubcommand{}
)

// write runs a step's rendering and writes its files into the working directory, where
// Kubebuilder runs and writes PROJECT (its go/v4 plugin runs go commands there too).
func write(s step) (int, error) {
	files, err := s.files(context.Background())
	if err != nil {
		return 0, err
	}
	return len(files), scaffold.Write(".", files, true)
}

// report says what a Go-plugin command did, as Kubebuilder's own plugins do, on stdout.
func report(n int) {
	if n == 0 {
		fmt.Println("dsoi: the project is up to date with its description")
		return
	}
	fmt.Printf("dsoi: wrote %d file(s)\n", n)
}
