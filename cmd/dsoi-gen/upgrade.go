package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
	"github.com/dsoi-gen/dsoi-gen/pkg/upgrade"
)

// errConflicts ends an upgrade that left conflict markers; the command exits with code 2.
type errConflicts struct{ files []string }

func (e errConflicts) Error() string {
	return fmt.Sprintf("%d file(s) have conflicts; resolve the marked lines, then run dsoi-gen upgrade again to regenerate the derived files:\n  %s",
		len(e.files), strings.Join(e.files, "\n  "))
}

func (e errConflicts) ExitCode() int { return 2 }

func newUpgradeCommand() *cobra.Command {
	var app string
	var dryRun, allowDirty bool
	var stopServing []string
	cmd := &cobra.Command{
		Use:   "upgrade [--app FILE] [--dry-run] [--allow-dirty] [--stop-serving VERSION] DIR",
		Short: "Regenerate the project in DIR from its description, keeping your edits",
		Long: `Render the project in DIR again, from its description (DIR/dsoi.yaml, or --app FILE) with
this dsoi-gen, and bring the new render into the project file by file, three ways, from
the last render (kept in DIR/.dsoi-gen):

  a file you did not change          is replaced by the new render
  a file you and the render changed  is merged; lines both changed get diff3 conflict markers
  a file you deleted                 stays deleted, and is reported
  a file no longer rendered          is deleted if you never changed it, else kept and reported
  a new file where you have one      is a conflict: your lines are kept inside the markers

Then go.mod, go.sum, deepcopy code, CRDs and RBAC are regenerated from the merged sources
(go mod tidy, controller-gen), unless conflicts remain: resolve them and run upgrade again.
Exit code 2 means conflicts. Description changes that break running clusters are listed.
When the CRD version changes, the old version stays served with the same schema
(spec.operator.previousVersions) until --stop-serving names it.
A git work tree with uncommitted changes is refused unless --allow-dirty.`,
		Example: `  dsoi-gen upgrade ./pinot-operator                      # after editing dsoi.yaml or upgrading dsoi-gen
  dsoi-gen upgrade --app new-dsoi.yaml ./pinot-operator
  dsoi-gen upgrade --dry-run ./pinot-operator            # the plan and the diff; nothing written`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			out := cmd.OutOrStdout()
			opts, err := upgradeOptions(dir, app)
			if err != nil {
				return err
			}
			opts.StopServing = stopServing
			if !dryRun {
				if inGit, err := upgrade.CheckClean(dir); err != nil && !allowDirty {
					return err
				} else if !inGit {
					fmt.Fprintf(out, "note: %s is not in a git work tree, so there is no commit to go back to; try --dry-run first\n", dir)
				}
			}
			plan, err := upgrade.Compute(cmd.Context(), dir, opts)
			if err != nil {
				return err
			}
			printPlan(out, dir, plan)
			if dryRun {
				fmt.Fprint(out, plan.Diff())
				fmt.Fprintln(out, "dry run: nothing was written")
				return nil
			}
			if err := upgrade.Apply(dir, plan); err != nil {
				return err
			}
			if len(plan.Conflicts) > 0 {
				return errConflicts{files: plan.Conflicts}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "the description to upgrade to (default: DIR/dsoi.yaml)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and the diff; write nothing")
	cmd.Flags().StringSliceVar(&stopServing, "stop-serving", nil, "earlier CRD versions to serve no more (they stay served otherwise)")
	cmd.Flags().BoolVar(&allowDirty, "allow-dirty", false, "upgrade even with uncommitted changes in the git work tree")
	return cmd
}

// upgradeOptions loads the description to upgrade to: --app, or the project's own dsoi.yaml.
func upgradeOptions(dir, app string) (upgrade.Options, error) {
	own := filepath.Join(dir, scaffold.DescriptionFile)
	fromProject := app == "" || sameFile(app, own)
	if app == "" {
		app = own
	}
	desc, err := model.LoadFile(app)
	if err != nil {
		return upgrade.Options{}, err
	}
	return upgrade.Options{App: desc, FromProject: fromProject, Render: scaffold.Options{GeneratorVersion: scaffold.Version}}, nil
}

func sameFile(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

func printPlan(out io.Writer, dir string, plan *upgrade.Plan) {
	if plan.Empty() {
		fmt.Fprintf(out, "%s is up to date with dsoi-gen %s and its description: nothing to write\n", dir, plan.To)
	} else {
		fmt.Fprintf(out, "upgrade %s: dsoi-gen %s -> %s\n", dir, plan.From, plan.To)
	}
	fmt.Fprint(out, plan.Summary())
}
