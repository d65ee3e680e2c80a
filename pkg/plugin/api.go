package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/kubebuilder/v4/pkg/config"
	"sigs.k8s.io/kubebuilder/v4/pkg/machinery"
	"sigs.k8s.io/kubebuilder/v4/pkg/model/resource"
	"sigs.k8s.io/kubebuilder/v4/pkg/plugin"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// createAPISubcommand re-generates the project's own API and controller from its
// description. A DSOI operator serves one application, so the only API it can create is the
// one its description defines; a second application is a project of its own.
type createAPISubcommand struct {
	config   config.Config
	resource *resource.Resource
	appFile  string
	force    bool
	app      *model.Application
	written  int
}

// apiPaths are the files of the API and its controller: types, deepcopy, CRD, RBAC, samples.
var apiPaths = []string{"api/", "internal/controller/", "config/crd/", "config/rbac/", "config/samples/"}

func isAPIFile(p string) bool {
	for _, prefix := range apiPaths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

func (s *createAPISubcommand) UpdateMetadata(cli plugin.CLIMetadata, meta *plugin.SubcommandMetadata) {
	meta.Description = `Re-generate the project's API and controller from its description (dsoi.yaml).

A DSOI operator serves one application: the only API it creates is the one its description
defines, so --group, --version and --kind must name it. Run this after editing dsoi.yaml.
It rewrites ` + strings.Join(apiPaths, ", ") + `; files there that differ from what dsoi
renders are listed and left alone unless --force. Another application is generated as a
project of its own: run 'init' in another folder.
`
	meta.Examples = fmt.Sprintf(`  # After editing dsoi.yaml of a project whose API is druid.apache.org/v1alpha1 Druid
  %[1]s create api --group druid --version v1alpha1 --kind Druid --force
`, cli.CommandName)
}

func (s *createAPISubcommand) BindFlags(fs *pflag.FlagSet) {
	// --app is declared so that using it gets an explanation instead of "unknown flag".
	fs.StringVar(&s.appFile, "app", "", "not supported: another application is a project of its own (init in another folder)")
	fs.BoolVar(&s.force, "force", false, "overwrite files of the API and controller that differ from what dsoi renders")
}

func (s *createAPISubcommand) InjectConfig(c config.Config) error {
	s.config = c
	return nil
}

// InjectResource checks the resource against the description. Kubebuilder calls it before
// validating the resource itself, so dsoi's explanation comes first.
func (s *createAPISubcommand) InjectResource(r *resource.Resource) error {
	s.resource = r
	return s.check()
}

func (s *createAPISubcommand) check() error {
	settings, app, err := loadRecorded(s.config)
	if err != nil {
		return err
	}
	if s.appFile != "" {
		return fmt.Errorf("create api does not take --app: a DSOI operator serves one application, and this one's "+
			"description is %s (%s). To change its API, edit %s and run create api with %s. "+
			"To generate the application of %s, run 'init --plugins dsoi --app %s' in another, empty folder",
			settings.Description, app.Metadata.Name, settings.Description, apiFlags(app, s.config), s.appFile, s.appFile)
	}
	if !servesAPI(app, s.resource.GVK) {
		return fmt.Errorf("this project's description (%s) defines one API, %s; create api re-generates it and "+
			"its controller: run it with %s. A second kind in the same operator is not supported: generate "+
			"another application as a project of its own", settings.Description, apiOf(app), apiFlags(app, s.config))
	}
	s.app = app
	return nil
}

func (s *createAPISubcommand) files(ctx context.Context) (scaffold.Tree, error) {
	return render(ctx, s.app, s.config, s.force, isAPIFile)
}

func (s *createAPISubcommand) Scaffold(machinery.Filesystem) (err error) {
	s.written, err = write(s)
	return err
}

func (s *createAPISubcommand) PostScaffold() error {
	report(s.written)
	return nil
}

// servesAPI reports whether gvk names the API of app. A PROJECT written by the stock
// kubebuilder binary records no domain, so there the group flag carries the whole API group,
// or the description's group alone.
func servesAPI(app *model.Application, gvk resource.GVK) bool {
	op := app.Spec.Operator
	if gvk.Version != op.Version || gvk.Kind != op.Kind {
		return false
	}
	if gvk.QualifiedGroup() == apiGroup(op) {
		return true
	}
	return gvk.Domain == "" && op.Group != "" && gvk.Group == op.Group
}

func apiGroup(op model.Operator) string {
	if op.Group == "" {
		return op.Domain
	}
	return op.Group + "." + op.Domain
}

func apiOf(app *model.Application) string {
	op := app.Spec.Operator
	return describe(apiGroup(op), op.Version, op.Kind)
}

// apiFlags are the create api flags that name the project's API, given what PROJECT records.
func apiFlags(app *model.Application, cfg config.Config) string {
	op := app.Spec.Operator
	flags := fmt.Sprintf("--version %s --kind %s", op.Version, op.Kind)
	switch {
	case cfg.GetDomain() == "" && op.Group == "":
		return "--group " + op.Domain + " " + flags
	case op.Group != "":
		return "--group " + op.Group + " " + flags
	}
	return flags
}
