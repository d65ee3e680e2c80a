package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dsoi-gen/dsoi-gen/pkg/plugin"
)

func newKubebuilderCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubebuilder",
		Short: "Use dsoi as a plugin of the stock kubebuilder binary",
		Long: `dsoi is also a Kubebuilder v4 plugin, dsoi.datainfra.io/v1-alpha. The kubebuilder binary
loads plugins from disk: 'install' puts dsoi where it looks, and kubebuilder then runs
'dsoi-gen kubebuilder external' for init, create api and edit.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newKubebuilderInstallCommand(), newKubebuilderExternalCommand())
	return cmd
}

func newKubebuilderInstallCommand() *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install dsoi where the kubebuilder binary finds external plugins",
		Long: `Install writes a small script, <plugins root>/dsoi.datainfra.io/v1-alpha/dsoi.datainfra.io,
that runs this dsoi-gen binary. The plugins root is kubebuilder's: $EXTERNAL_PLUGINS_PATH,
else $XDG_CONFIG_HOME/kubebuilder/plugins, else ~/.config/kubebuilder/plugins
(~/Library/Application Support/kubebuilder/plugins on macOS).`,
		Example: `  go install ./cmd/dsoi-gen && dsoi-gen kubebuilder install
  dsoi-gen kubebuilder install --plugins-root ./kb-plugins   # then: export EXTERNAL_PLUGINS_PATH=./kb-plugins`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			standard, err := plugin.PluginsRoot()
			if err != nil {
				return err
			}
			if root == "" {
				root = standard
			}
			if root, err = filepath.Abs(root); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err == nil {
				exe, err = filepath.EvalSymlinks(exe)
			}
			if err != nil {
				return fmt.Errorf("find the dsoi-gen binary: %w", err)
			}
			path, err := plugin.Install(root, exe)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Installed the Kubebuilder plugin %s:\n  %s\nIt runs %s kubebuilder external.\n", plugin.Key, path, exe)
			if standard, _ = filepath.Abs(standard); root != standard {
				fmt.Fprintf(out, "kubebuilder looks in %s; point it here with:\n  export EXTERNAL_PLUGINS_PATH=%s\n", standard, root)
			}
			fmt.Fprintf(out, `Use it from an empty folder:
  kubebuilder init --plugins dsoi/v1-alpha --app ../pinot.yaml   # or --example pinot
  kubebuilder edit                                               # re-render from dsoi.yaml
`)
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "plugins-root", "", "install under this folder instead of kubebuilder's plugins root")
	return cmd
}

func newKubebuilderExternalCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "external",
		Short: "Serve Kubebuilder's external plugin protocol: one JSON request on stdin, the response on stdout",
		Long: `external is what kubebuilder runs (through the script that 'install' writes): it reads one
PluginRequest (JSON) from stdin and writes one PluginResponse to stdout. Errors go into the
response, where kubebuilder shows them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return plugin.ServeExternal(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}
