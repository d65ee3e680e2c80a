package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"sigs.k8s.io/kubebuilder/v4/pkg/config"
	cfgv3 "sigs.k8s.io/kubebuilder/v4/pkg/config/v3"
	"sigs.k8s.io/kubebuilder/v4/pkg/machinery"
	"sigs.k8s.io/kubebuilder/v4/pkg/model/resource"
	"sigs.k8s.io/kubebuilder/v4/pkg/plugin"
	"sigs.k8s.io/kubebuilder/v4/pkg/plugin/external"
	"sigs.k8s.io/yaml"

	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// protocolVersion is the only version of the external plugin protocol that Kubebuilder v4 speaks.
const protocolVersion = "v1alpha1"

// ServeExternal answers one request of Kubebuilder's external plugin protocol: it reads a
// PluginRequest from in and writes a PluginResponse to out. Failures go into the response's
// error fields, which kubebuilder prints; only a failure to write the response is returned.
//
// The response's universe holds only the files to write: Kubebuilder sends the whole working
// directory, and echoing it back would corrupt binary files, which JSON strings cannot carry.
func ServeExternal(ctx context.Context, in io.Reader, out io.Writer) error {
	res := external.PluginResponse{APIVersion: protocolVersion}
	var req external.PluginRequest
	err := json.NewDecoder(in).Decode(&req)
	if err == nil {
		res.Command = req.Command
		err = answer(ctx, req, &res)
	} else {
		err = fmt.Errorf("dsoi: cannot read Kubebuilder's request: %w", err)
	}
	if err != nil {
		res.Universe, res.Error, res.ErrorMsgs = nil, true, []string{err.Error()}
	}
	return json.NewEncoder(out).Encode(res)
}

func answer(ctx context.Context, req external.PluginRequest, res *external.PluginResponse) error {
	switch req.Command {
	case "flags", "metadata":
		// Kubebuilder asks for every subcommand it builds, webhook included: dsoi has nothing
		// to declare for those it does not provide.
		if len(req.Args) == 0 {
			return fmt.Errorf("dsoi: the %s request names no subcommand", req.Command)
		}
		s := stepFor(map[string]string{"--init": "init", "--api": "create api", "--edit": "edit"}[req.Args[0]])
		if s == nil {
			return nil
		}
		if req.Command == "flags" {
			res.Flags = flagsOf(s)
		} else {
			s.UpdateMetadata(plugin.CLIMetadata{CommandName: "kubebuilder"}, &res.Metadata)
		}
		return nil
	case "init", "create api", "edit":
		files, err := runStep(ctx, req)
		if err != nil {
			return err
		}
		res.Universe, err = universe(files)
		return err
	}
	return fmt.Errorf("dsoi does not provide %q: its commands are init, create api and edit", req.Command)
}

func stepFor(command string) step {
	switch command {
	case "init":
		return &initSubcommand{}
	case "create api":
		return &createAPISubcommand{}
	case "edit":
		return &editSubcommand{}
	}
	return nil
}

// flagsOf declares a step's flags to Kubebuilder, which then parses the command line itself.
func flagsOf(s step) []external.Flag {
	fs := pflag.NewFlagSet("dsoi", pflag.ContinueOnError)
	s.BindFlags(fs)
	var flags []external.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		flags = append(flags, external.Flag{Name: f.Name, Type: f.Value.Type(), Default: f.DefValue, Usage: f.Usage})
	})
	return flags
}

// runStep runs a step as Kubebuilder's hooks run the Go plugin, from the request: flags,
// config, resource, pre-scaffold checks; the files come back instead of being written.
func runStep(ctx context.Context, req external.PluginRequest) (scaffold.Tree, error) {
	s := stepFor(req.Command)
	if e, ok := s.(*editSubcommand); ok {
		e.out = os.Stderr // stdout carries the protocol; Kubebuilder shows the plugin's stderr
	}
	cfg, err := configFrom(req.Config)
	if err != nil {
		return nil, err
	}
	fs := pflag.NewFlagSet(req.Command, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// Kubebuilder already checked the command line against our flags; what else comes along
	// is its own (--project-version) and not ours to refuse.
	fs.ParseErrorsAllowlist.UnknownFlags = true
	s.BindFlags(fs)
	// Kubebuilder parses the resource flags but does not pass the resource to external plugins.
	var gvk resource.GVK
	_, needsResource := s.(plugin.RequiresResource)
	if needsResource {
		fs.StringVar(&gvk.Group, "group", "", "")
		fs.StringVar(&gvk.Version, "version", "", "")
		fs.StringVar(&gvk.Kind, "kind", "", "")
	}
	if err := fs.Parse(req.Args); err != nil {
		return nil, fmt.Errorf("dsoi: %w", err)
	}
	if err := s.InjectConfig(cfg); err != nil {
		return nil, err
	}
	if needsResource {
		gvk.Domain = cfg.GetDomain()
		if err := s.(plugin.RequiresResource).InjectResource(&resource.Resource{GVK: gvk}); err != nil {
			return nil, err
		}
	}
	if pre, ok := s.(plugin.HasPreScaffold); ok {
		if err := pre.PreScaffold(machinery.Filesystem{}); err != nil {
			return nil, err
		}
	}
	return s.files(ctx)
}

// configFrom reads PROJECT as Kubebuilder sends it; at init it is a new, nearly empty one.
func configFrom(m map[string]any) (config.Config, error) {
	cfg := cfgv3.New()
	if len(m) == 0 {
		return cfg, nil
	}
	data, err := yaml.Marshal(m)
	if err == nil {
		err = cfg.UnmarshalYAML(data)
	}
	if err != nil {
		return nil, fmt.Errorf("dsoi: cannot read PROJECT as Kubebuilder sent it: %w", err)
	}
	return cfg, nil
}

// universe turns files into the response's universe, refusing what a JSON string would corrupt.
func universe(files scaffold.Tree) (map[string]string, error) {
	u := make(map[string]string, len(files))
	for _, p := range files.Paths() {
		if !utf8.Valid(files[p]) {
			return nil, fmt.Errorf("dsoi: %s is not UTF-8 text, which Kubebuilder's external plugin protocol cannot carry; "+
				"generate this project with `dsoi-gen init` instead", p)
		}
		u[p] = string(files[p])
	}
	return u, nil
}
