package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/kubebuilder/v4/pkg/config"
	"sigs.k8s.io/kubebuilder/v4/pkg/machinery"
	"sigs.k8s.io/kubebuilder/v4/pkg/plugin"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// initSubcommand generates the whole project, as `dsoi-gen init` does.
type initSubcommand struct {
	config           config.Config
	appFile, example string
	force            bool
	app              *model.Application
	written          int
}

func (s *initSubcommand) UpdateMetadata(cli plugin.CLIMetadata, meta *plugin.SubcommandMetadata) {
	meta.Description = `Initialize a DSOI operator project from a description of a distributed data system.

Everything is rendered in memory first (go mod tidy and controller-gen run in a temporary
folder): on any error nothing is written. Files that already exist with other content are
listed and left alone unless --force. The description is copied into the project as dsoi.yaml
and recorded in PROJECT, so that 'edit' and 'create api' re-render from it.
`
	meta.Examples = fmt.Sprintf(`  # Generate the operator described in pinot.yaml into the current, empty folder
  %[1]s init --plugins dsoi/v1-alpha --app ../pinot.yaml

  # Start from a built-in example (%[2]s)
  %[1]s init --plugins dsoi --example druid
`, cli.CommandName, strings.Join(examples.Names(), ", "))
}

func (s *initSubcommand) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.appFile, "app", "", "description file (YAML) of the application")
	fs.StringVar(&s.example, "example", "", "built-in example description ("+strings.Join(examples.Names(), ", ")+")")
	fs.BoolVar(&s.force, "force", false, "overwrite files that exist with other content")
}

func (s *initSubcommand) InjectConfig(c config.Config) error {
	s.config = c
	return nil
}

// PreScaffold loads the description, so that a bad one fails before the slow rendering.
func (s *initSubcommand) PreScaffold(machinery.Filesystem) (err error) {
	s.app, err = LoadDescription(s.appFile, s.example)
	return err
}

func (s *initSubcommand) files(ctx context.Context) (scaffold.Tree, error) {
	return render(ctx, s.app, s.config, s.force, func(string) bool { return true })
}

func (s *initSubcommand) Scaffold(machinery.Filesystem) (err error) {
	s.written, err = write(s)
	return err
}

func (s *initSubcommand) PostScaffold() error {
	fmt.Printf("dsoi: generated the %s operator (%d files). Next: make test\n", s.app.Metadata.Name, s.written)
	return nil
}
