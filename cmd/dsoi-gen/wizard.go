package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
	"github.com/dsoi-gen/dsoi-gen/pkg/wizard"
)

const needTerminal = "dsoi-gen wizard needs a terminal; use --accessible for plain prompts, or dsoi-gen init --app FILE"

// wizardFlags are the flags of the wizard command; init shares them for its own wizard.
type wizardFlags struct {
	from, example, out string
	accessible, force  bool
}

func newWizardCommand() *cobra.Command {
	var f wizardFlags
	cmd := &cobra.Command{
		Use:   "wizard [DIR]",
		Short: "Answer questions to write a description and render its operator project into DIR",
		Long: `The wizard asks for the application, its node types, dependencies, config files,
deployment order and rollout, checking every answer as 'dsoi-gen validate' does. At the end
it writes the description (dsoi.yaml, or --out) and renders the project into DIR
(default ./<name>-operator). Nothing is written before the end: Ctrl-C leaves no file behind.`,
		Example: `  dsoi-gen wizard
  dsoi-gen wizard --example pinot ./my-pinot-operator
  dsoi-gen wizard --accessible --out kafka.yaml < answers.txt`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			return runWizard(cmd, f, dir)
		},
	}
	cmd.Flags().StringVar(&f.from, "from", "", "start from this description file")
	cmd.Flags().StringVar(&f.example, "example", "", "start from a built-in example (see `dsoi-gen examples`)")
	cmd.Flags().StringVar(&f.out, "out", "dsoi.yaml", "write the description to this file")
	cmd.Flags().BoolVar(&f.accessible, "accessible", false, "plain line prompts, for screen readers and scripts")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace an existing description and write into a non-empty DIR")
	return cmd
}

// stdinIsTerminal reports whether the command reads a terminal (tests set another input).
func stdinIsTerminal(cmd *cobra.Command) bool {
	f, ok := cmd.InOrStdin().(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runWizard asks, then writes the description and the project, only at the very end.
func runWizard(cmd *cobra.Command, f wizardFlags, dir string) error {
	if !f.accessible && !stdinIsTerminal(cmd) {
		return errors.New(needTerminal)
	}
	start, err := startingPoint(f.from, f.example)
	if err != nil {
		return err
	}
	out, ctx := cmd.OutOrStdout(), cmd.Context()
	w := wizard.New(wizard.Options{In: cmd.InOrStdin(), Out: out, Accessible: f.accessible, Start: start, User: os.Getenv("USER")})
	app, err := w.Application(ctx)
	if err != nil {
		return nothingWritten(err)
	}
	data, err := wizard.Marshal(app)
	if err != nil {
		return err
	}
	desc, err := model.Load(f.out, data) // exactly what later commands will read
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(".", app.Metadata.Name+"-operator")
	}
	fmt.Fprintf(out, "\n%s\nDescription: %s\nProject:     %s\n", wizard.Summary(app), f.out, dir)
	if ok, err := w.Confirm(ctx, "Write the description and render the project?", true); err != nil || !ok {
		return nothingWritten(err)
	}
	if _, err := os.Stat(f.out); err == nil && !f.force {
		if f.accessible {
			return nothingWritten(fmt.Errorf("%s exists: use --force to replace it", f.out))
		}
		if ok, err := w.Confirm(ctx, f.out+" exists. Replace it?", false); err != nil || !ok {
			return nothingWritten(err)
		}
	}
	if err := scaffold.CheckTarget(dir, f.force); err != nil {
		return nothingWritten(err)
	}
	fmt.Fprintln(out, "Rendering the project (go mod tidy, controller-gen): this takes a minute...")
	tree, err := scaffold.Generate(ctx, desc)
	if err != nil {
		return nothingWritten(err)
	}
	if err := os.WriteFile(f.out, data, 0o644); err != nil {
		return err
	}
	if err := scaffold.Write(dir, tree, f.force); err != nil {
		return err
	}
	fmt.Fprintf(out, "Wrote %s and the %s operator (%d files) in %s.\nNext: cd %s && make test\n",
		f.out, app.Metadata.Name, len(tree), dir, dir)
	return nil
}

// nothingWritten explains a stop before any file was written.
func nothingWritten(err error) error {
	if err == nil {
		return errors.New("stopped; nothing written")
	}
	return fmt.Errorf("%w; nothing written", err)
}

// startingPoint loads the description to edit, if any.
func startingPoint(from, example string) (*model.Application, error) {
	switch {
	case from != "" && example != "":
		return nil, errors.New("give --from or --example, not both")
	case from != "":
		return model.LoadFile(from)
	case example != "":
		return examples.Load(example)
	}
	return nil, nil
}
