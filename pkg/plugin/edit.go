package plugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/kubebuilder/v4/pkg/config"
	"sigs.k8s.io/kubebuilder/v4/pkg/machinery"
	"sigs.k8s.io/kubebuilder/v4/pkg/plugin"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
	"github.com/dsoi-gen/dsoi-gen/pkg/upgrade"
)

// editSubcommand is `dsoi-gen upgrade` inside Kubebuilder: it regenerates the project from
// the description PROJECT records and merges the new render into the user's files.
type editSubcommand struct {
	config             config.Config
	dryRun, allowDirty bool
	stopServing        []string
	settings           Settings
	app                *model.Application
	// out gets the report: stdout for the Go plugin, stderr for the external one, whose
	// stdout is the protocol.
	out io.Writer
}

func (s *editSubcommand) UpdateMetadata(cli plugin.CLIMetadata, meta *plugin.SubcommandMetadata) {
	meta.Description = `Upgrade the project: regenerate it from the description PROJECT records (dsoi.yaml)
with this dsoi, keeping your edits, as dsoi-gen upgrade does.

Files you did not change take the new render; files you and the render changed are merged
three ways, with diff3 conflict markers where both changed the same lines; files you deleted
stay deleted. Then go.mod, go.sum, deepcopy code, CRDs and RBAC are regenerated, unless
conflicts remain. A git work tree with uncommitted changes is refused unless --allow-dirty.
`
	meta.Examples = fmt.Sprintf(`  # After editing dsoi.yaml, or installing a newer dsoi: see the plan and the diff
  %[1]s edit --plugins dsoi --dry-run

  # Then upgrade
  %[1]s edit --plugins dsoi
`, cli.CommandName)
}

func (s *editSubcommand) BindFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&s.dryRun, "dry-run", false, "print the plan and the diff; write nothing")
	fs.BoolVar(&s.allowDirty, "allow-dirty", false, "upgrade even with uncommitted changes in the git work tree")
	fs.StringSliceVar(&s.stopServing, "stop-serving", nil, "earlier CRD versions to serve no more (they stay served otherwise)")
}

func (s *editSubcommand) InjectConfig(c config.Config) error {
	s.config = c
	return nil
}

// PreScaffold loads the recorded description and checks the work tree, before the slow part.
func (s *editSubcommand) PreScaffold(machinery.Filesystem) (err error) {
	if s.settings, s.app, err = loadRecorded(s.config); err != nil {
		return err
	}
	if !s.dryRun && !s.allowDirty {
		_, err = upgrade.CheckClean(".")
	}
	return err
}

// files plans and applies the upgrade itself, and returns no files: an upgrade also deletes
// files and keeps their permissions, which a list of files to write cannot say.
func (s *editSubcommand) files(ctx context.Context) (scaffold.Tree, error) {
	out := s.out
	if out == nil {
		out = os.Stdout
	}
	plan, err := upgrade.Compute(ctx, ".", upgrade.Options{
		App:         s.app,
		FromProject: s.settings.Description == scaffold.DescriptionFile,
		Render:      scaffold.Options{GeneratorVersion: scaffold.Version},
		StopServing: s.stopServing,
	})
	if err != nil {
		return nil, err
	}
	if plan.Empty() {
		fmt.Fprintf(out, "dsoi: the project is up to date with dsoi %s and its description\n", plan.To)
	} else {
		fmt.Fprintf(out, "dsoi: upgrade from dsoi %s to %s\n", plan.From, plan.To)
	}
	fmt.Fprint(out, plan.Summary())
	if s.dryRun {
		fmt.Fprint(out, plan.Diff())
		fmt.Fprintln(out, "dsoi: dry run, nothing was written")
		return scaffold.Tree{}, nil
	}
	// Kubebuilder writes PROJECT from its config after the command: record the new render there.
	if err := adopt(s.config, plan.Next.Base[projectFile]); err != nil {
		return nil, err
	}
	delete(plan.Writes, projectFile)
	if err := upgrade.Apply(".", plan); err != nil {
		return nil, err
	}
	if len(plan.Conflicts) > 0 {
		return nil, fmt.Errorf("%d file(s) have conflicts; resolve the marked lines, then run edit again to regenerate the derived files:\n  %s",
			len(plan.Conflicts), strings.Join(plan.Conflicts, "\n  "))
	}
	return scaffold.Tree{}, nil
}

func (s *editSubcommand) Scaffold(machinery.Filesystem) error {
	_, err := write(s)
	return err
}
