package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	"sigs.k8s.io/kubebuilder/v4/pkg/config"
	"sigs.k8s.io/kubebuilder/v4/pkg/machinery"
	"sigs.k8s.io/kubebuilder/v4/pkg/plugin"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// editSubcommand re-renders the whole project from the description PROJECT records. It
// writes missing files, and refuses to overwrite files that differ unless --force: keeping
// the user's changes while taking the new rendering is a later feature.
type editSubcommand struct {
	config   config.Config
	force    bool
	settings Settings
	app      *model.Application
	written  int
}

func (s *editSubcommand) UpdateMetadata(cli plugin.CLIMetadata, meta *plugin.SubcommandMetadata) {
	meta.Description = `Re-render the project from the description that PROJECT records (dsoi.yaml).

Missing files are written; files that differ from what dsoi renders are listed and nothing is
written, unless --force, which overwrites them. The description itself is never rewritten.
`
	meta.Examples = fmt.Sprintf(`  # After editing dsoi.yaml: see which files would change
  %[1]s edit

  # Then overwrite them
  %[1]s edit --force
`, cli.CommandName)
}

func (s *editSubcommand) BindFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&s.force, "force", false, "overwrite files that differ from what dsoi renders")
}

func (s *editSubcommand) InjectConfig(c config.Config) error {
	s.config = c
	return nil
}

// PreScaffold loads the recorded description, so that a bad one fails before the slow rendering.
func (s *editSubcommand) PreScaffold(machinery.Filesystem) (err error) {
	s.settings, s.app, err = loadRecorded(s.config)
	return err
}

func (s *editSubcommand) files(ctx context.Context) (scaffold.Tree, error) {
	return render(ctx, s.app, s.config, s.force, func(p string) bool { return p != s.settings.Description })
}

func (s *editSubcommand) Scaffold(machinery.Filesystem) (err error) {
	s.written, err = write(s)
	return err
}

func (s *editSubcommand) PostScaffold() error {
	report(s.written)
	return nil
}
