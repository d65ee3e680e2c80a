package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kubebuilder/v4/pkg/config"
	cfgv3 "sigs.k8s.io/kubebuilder/v4/pkg/config/v3"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// Settings are what dsoi records in PROJECT under plugins: dsoi.datainfra.io/v1-alpha.
type Settings struct {
	// App is the application's metadata.name.
	App string `json:"app"`
	// Description is the description file, relative to the project root.
	Description string `json:"description"`
}

// DefaultDescription is the description file of a project when PROJECT records none: the
// stock kubebuilder binary writes PROJECT without plugin settings (see the README, "Using dsoi with Kubebuilder").
const DefaultDescription = "dsoi.yaml"

// projectFile is left to Kubebuilder, which writes it from its config after every command.
const projectFile = "PROJECT"

// LoadDescription reads the description named by --app, or a built-in example by --example,
// as `dsoi-gen init` does.
func LoadDescription(appFile, example string) (*model.Application, error) {
	switch {
	case appFile != "" && example != "":
		return nil, fmt.Errorf("give --app or --example, not both")
	case appFile != "":
		return explain(model.LoadFile(appFile))
	case example != "":
		return explain(examples.Load(example))
	}
	return nil, fmt.Errorf("no description: give --app FILE or --example NAME (built-in: %s)", strings.Join(examples.Names(), ", "))
}

// explain puts a count above description problems, as the dsoi-gen CLI does; each problem
// already names its file, line and field.
func explain(app *model.Application, err error) (*model.Application, error) {
	var problems model.Problems
	if errors.As(err, &problems) {
		return nil, fmt.Errorf("the description has %d problem(s):\n%w", len(problems), err)
	}
	return app, err
}

// recorded returns dsoi's settings from PROJECT, with the default description file when
// PROJECT has none.
func recorded(cfg config.Config) (Settings, error) {
	var s Settings
	err := cfg.DecodePluginConfig(Key, &s)
	var notFound config.PluginKeyNotFoundError
	if err != nil && !errors.As(err, &notFound) {
		return s, fmt.Errorf("PROJECT: plugins.%s: %w", Key, err)
	}
	if s.Description == "" {
		s.Description = DefaultDescription
	}
	s.Description = path.Clean(filepath.ToSlash(s.Description))
	return s, nil
}

// loadRecorded loads the project's own description, the one PROJECT records.
func loadRecorded(cfg config.Config) (Settings, *model.Application, error) {
	s, err := recorded(cfg)
	if err != nil {
		return s, nil, err
	}
	app, err := explain(model.LoadFile(s.Description))
	if err != nil {
		return s, nil, fmt.Errorf("the project's description (PROJECT records %s): %w", s.Description, err)
	}
	return s, app, nil
}

// changes returns the files of tree to write into the working directory: those keep selects,
// except PROJECT and files already there with the same content. Files there with other
// content are refused, all together and before anything is written, unless force.
// render runs the engine for app, records the project in Kubebuilder's config, and returns
// the files to write: those keep selects, refusing ones that differ on disk unless force.
func render(ctx context.Context, app *model.Application, cfg config.Config, force bool, keep func(path string) bool) (scaffold.Tree, error) {
	tree, err := scaffold.Generate(ctx, app)
	if err != nil {
		return nil, err
	}
	files, err := changes(tree, force, keep)
	if err != nil {
		return nil, err
	}
	return files, adopt(cfg, tree[projectFile])
}

func changes(tree scaffold.Tree, force bool, keep func(path string) bool) (scaffold.Tree, error) {
	files := scaffold.Tree{}
	var conflicts []string
	for _, p := range tree.Paths() {
		if p == projectFile || !keep(p) {
			continue
		}
		old, err := os.ReadFile(filepath.FromSlash(p))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, err
		case bytes.Equal(old, tree[p]):
			continue
		default:
			conflicts = append(conflicts, p)
		}
		files[p] = tree[p]
	}
	if len(conflicts) > 0 && !force {
		return nil, &ConflictError{Paths: conflicts}
	}
	return files, nil
}

// ConflictError lists files that exist with other content than dsoi renders.
type ConflictError struct {
	Paths []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%d file(s) differ from what dsoi renders; nothing was written:\n  %s\n"+
		"Keep your changes (commit them), then rerun with --force to overwrite these files.",
		len(e.Paths), strings.Join(e.Paths, "\n  "))
}

// adopt records in Kubebuilder's config what the engine's PROJECT says (domain, repo, project
// name, resources and dsoi's settings), so that the PROJECT Kubebuilder writes says the same.
// It refuses a description that no longer describes the application PROJECT records.
func adopt(cfg config.Config, project []byte) error {
	want := cfgv3.New()
	if err := want.UnmarshalYAML(project); err != nil {
		return fmt.Errorf("the rendered PROJECT: %w", err)
	}
	var settings Settings
	if err := want.DecodePluginConfig(Key, &settings); err != nil {
		return fmt.Errorf("the rendered PROJECT: %w", err)
	}
	if old, err := recorded(cfg); err != nil {
		return err
	} else if old.App != "" && old.App != settings.App {
		return fmt.Errorf("PROJECT records the application %q but the description names %q: "+
			"dsoi cannot rename an application in place; generate it as a new project", old.App, settings.App)
	}
	have, err := cfg.GetResources()
	if err != nil {
		return err
	}
	for _, r := range have {
		if !want.HasResource(r.GVK) {
			return fmt.Errorf("PROJECT records the API %s, which the description no longer has: "+
				"dsoi cannot rename or remove an API in place; generate a new project", describe(r.GVK.QualifiedGroup(), r.Version, r.Kind))
		}
	}
	resources, err := want.GetResources()
	if err != nil {
		return err
	}
	for _, r := range resources {
		if err := cfg.AddResource(r); err != nil {
			return err
		}
	}
	return errors.Join(
		cfg.SetDomain(want.GetDomain()),
		cfg.SetRepository(want.GetRepository()),
		cfg.SetProjectName(want.GetProjectName()),
		cfg.EncodePluginConfig(Key, settings),
	)
}

// describe names an API for messages.
func describe(group, version, kind string) string {
	return fmt.Sprintf("%s (group %s, version %s)", kind, group, version)
}
