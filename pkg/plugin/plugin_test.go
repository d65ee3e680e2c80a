package plugin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"sigs.k8s.io/kubebuilder/v4/pkg/cli"
	cfgv3 "sigs.k8s.io/kubebuilder/v4/pkg/config/v3"
	kbplugin "sigs.k8s.io/kubebuilder/v4/pkg/plugin"
	golangv4 "sigs.k8s.io/kubebuilder/v4/pkg/plugins/golang/v4"

	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

func TestPluginKeyResolves(t *testing.T) {
	if err := kbplugin.Validate(Plugin{}); err != nil {
		t.Fatal(err)
	}
	if got := kbplugin.KeyFor(Plugin{}); got != Key || Key != "dsoi.datainfra.io/v1-alpha" {
		t.Fatalf("key %q, want dsoi.datainfra.io/v1-alpha", got)
	}
	all := []kbplugin.Plugin{golangv4.Plugin{}, Plugin{}}
	for _, key := range []string{"dsoi", "dsoi/v1-alpha", Key} {
		found, err := kbplugin.FilterPluginsByKey(all, key)
		if err != nil || len(found) != 1 || found[0].Name() != Name {
			t.Errorf("--plugins %s resolves to %v (%v), want only dsoi", key, found, err)
		}
	}
}

func TestInstallIsFoundByKubebuilder(t *testing.T) {
	root := t.TempDir()
	exe := filepath.Join(t.TempDir(), "it's dsoi-gen")
	path, err := Install(root, exe)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, Name, Version, Name); path != want {
		t.Fatalf("installed at %s, want %s", path, want)
	}
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), `exec '`+strings.ReplaceAll(exe, "'", `'\''`)+`' kubebuilder external`) {
		t.Errorf("the script does not run dsoi-gen's external command:\n%s", script)
	}
	// Kubebuilder's own discovery, as the stock binary runs it.
	t.Setenv("EXTERNAL_PLUGINS_PATH", root)
	found, err := cli.DiscoverExternalPlugins(afero.NewOsFs())
	if err != nil || len(found) != 1 || kbplugin.KeyFor(found[0]) != Key {
		t.Fatalf("kubebuilder discovers %v (%v), want only %s", found, err, Key)
	}
	// Installing again replaces the script and keeps it executable.
	if _, err := Install(root, exe); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm()&0o111 == 0 {
		t.Fatalf("the script is not executable: %v %v", info, err)
	}
	if _, err := Install(root, "/tmp/go-build123/b001/exe/dsoi-gen"); err == nil || !strings.Contains(err.Error(), "temporary build") {
		t.Errorf("installing a go run binary: got %v", err)
	}
}

func TestPluginsRootFollowsKubebuilder(t *testing.T) {
	t.Setenv("EXTERNAL_PLUGINS_PATH", "/opt/kb")
	if got, _ := PluginsRoot(); got != "/opt/kb" {
		t.Errorf("with EXTERNAL_PLUGINS_PATH: %s", got)
	}
	t.Setenv("EXTERNAL_PLUGINS_PATH", "")
	t.Setenv("XDG_CONFIG_HOME", "/home/u/.cfg")
	if got, _ := PluginsRoot(); got != "/home/u/.cfg/kubebuilder/plugins" {
		t.Errorf("with XDG_CONFIG_HOME: %s", got)
	}
}

func TestChangesRefusesDifferingFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("same.txt", []byte("same"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("mine.txt", []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree := scaffold.Tree{"same.txt": []byte("same"), "mine.txt": []byte("rendered"), "new.txt": []byte("new"), "PROJECT": []byte("x")}
	all := func(string) bool { return true }

	_, err := changes(tree, false, all)
	var conflict *ConflictError
	if !errors.As(err, &conflict) || strings.Join(conflict.Paths, ",") != "mine.txt" || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("got %v, want a conflict on mine.txt that mentions --force", err)
	}
	files, err := changes(tree, true, all)
	if err != nil || strings.Join(files.Paths(), ",") != "mine.txt,new.txt" {
		t.Fatalf("with force: %v %v, want mine.txt and new.txt (not same.txt, not PROJECT)", files.Paths(), err)
	}
	files, err = changes(tree, false, func(p string) bool { return p == "new.txt" })
	if err != nil || strings.Join(files.Paths(), ",") != "new.txt" {
		t.Fatalf("kept to new.txt: %v %v", files.Paths(), err)
	}
}

func TestAdoptRecordsTheProjectAndRefusesAnother(t *testing.T) {
	project := []byte(`domain: datainfra.io
layout:
- dsoi.datainfra.io/v1-alpha
plugins:
  dsoi.datainfra.io/v1-alpha:
    app: pinot
    description: dsoi.yaml
projectName: pinot-operator
repo: github.com/acme/pinot-operator
resources:
- api:
    crdVersion: v1
    namespaced: true
  controller: true
  domain: datainfra.io
  kind: Pinot
  path: github.com/acme/pinot-operator/api/v1beta1
  version: v1beta1
version: "3"
`)
	cfg := cfgv3.New()
	if err := cfg.SetPluginChain([]string{Key}); err != nil {
		t.Fatal(err)
	}
	if err := adopt(cfg, project); err != nil {
		t.Fatal(err)
	}
	got, err := cfg.MarshalYAML()
	if err != nil || string(got) != string(project) {
		t.Fatalf("Kubebuilder's config after adopt marshals to\n%s\nwant dsoi-gen's PROJECT\n%s", got, project)
	}
	if err := adopt(cfg, project); err != nil {
		t.Fatalf("adopting the same project again: %v", err)
	}
	renamed := strings.ReplaceAll(string(project), "kind: Pinot", "kind: Olap")
	if err := adopt(cfg, []byte(renamed)); err == nil || !strings.Contains(err.Error(), "PROJECT records the API Pinot") {
		t.Errorf("a renamed kind: got %v", err)
	}
	other := strings.ReplaceAll(string(project), "app: pinot", "app: druid")
	if err := adopt(cfg, []byte(other)); err == nil || !strings.Contains(err.Error(), `PROJECT records the application "pinot"`) {
		t.Errorf("another application: got %v", err)
	}
}
