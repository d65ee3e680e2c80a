// Package plugin makes dsoi a Kubebuilder v4 plugin: a Go plugin that any Kubebuilder-based
// CLI registers with cli.WithPlugins, and, through ServeExternal, an external plugin that the
// stock kubebuilder binary runs. Both run the same subcommands, which call the engine in
// pkg/scaffold: this package renders nothing of its own.
package plugin

import (
	"sigs.k8s.io/kubebuilder/v4/pkg/config"
	cfgv3 "sigs.k8s.io/kubebuilder/v4/pkg/config/v3"
	"sigs.k8s.io/kubebuilder/v4/pkg/model/stage"
	"sigs.k8s.io/kubebuilder/v4/pkg/plugin"
)

// Name and Version make the plugin key dsoi.datainfra.io/v1-alpha, the layout that dsoi-gen
// writes into PROJECT. Kubebuilder matches --plugins by name prefix, so `dsoi` finds it too.
const (
	Name    = "dsoi.datainfra.io"
	Version = "v1-alpha"
)

// Key is the plugin key: the layout in PROJECT and the key of its settings there.
const Key = Name + "/" + Version

// Plugin is the dsoi Kubebuilder plugin: init, create api and edit.
type Plugin struct{}

var (
	_ plugin.Init        = Plugin{}
	_ plugin.CreateAPI   = Plugin{}
	_ plugin.Edit        = Plugin{}
	_ plugin.Describable = Plugin{}
)

// Name implements plugin.Plugin.
func (Plugin) Name() string { return Name }

// Version implements plugin.Plugin.
func (Plugin) Version() plugin.Version { return plugin.Version{Number: 1, Stage: stage.Alpha} }

// SupportedProjectVersions implements plugin.Plugin: PROJECT format 3, as dsoi-gen writes it.
func (Plugin) SupportedProjectVersions() []config.Version { return []config.Version{cfgv3.Version} }

// Description implements plugin.Describable.
func (Plugin) Description() string {
	return "DSOI operator generated from a description of a distributed data system (dsoi-gen)"
}

// GetInitSubcommand implements plugin.Init.
func (Plugin) GetInitSubcommand() plugin.InitSubcommand { return &initSubcommand{} }

// GetCreateAPISubcommand implements plugin.CreateAPI.
func (Plugin) GetCreateAPISubcommand() plugin.CreateAPISubcommand { return &createAPISubcommand{} }

// GetEditSubcommand implements plugin.Edit.
func (Plugin) GetEditSubcommand() plugin.EditSubcommand { return &editSubcommand{} }
