package upgrade

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// goldenCopy writes golden/<name> into a temporary folder and returns it.
func goldenCopy(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	if err := scaffold.Write(dir, readDir(t, filepath.Join("..", "..", "golden", name)), true); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ownDescription(t testing.TB, dir string) Options {
	t.Helper()
	app, err := model.LoadFile(filepath.Join(dir, "dsoi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return Options{App: app, FromProject: true, Render: scaffold.Options{GeneratorVersion: scaffold.Version}}
}

// A project made before records existed is upgraded against the render of its dsoi.yaml,
// keeps its edits, and gets a record.
func TestProjectWithoutRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("renders projects (go mod tidy, controller-gen)")
	}
	dir := goldenCopy(t, "parseable")
	if err := os.RemoveAll(filepath.Join(dir, scaffold.RecordDir)); err != nil {
		t.Fatal(err)
	}
	makefile := filepath.Join(dir, "Makefile")
	data, err := os.ReadFile(makefile)
	if err != nil {
		t.Fatal(err)
	}
	mine := string(data) + "\nmine: ## mine\n\t@true\n"
	if err := os.WriteFile(makefile, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := Compute(context.Background(), dir, ownDescription(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "had no record of its last render") {
		t.Errorf("notes = %q, want one saying the record was rebuilt", plan.Notes)
	}
	if _, ok := plan.Writes["Makefile"]; ok {
		t.Error("the user's Makefile would be rewritten")
	}
	if err := Apply(dir, plan); err != nil {
		t.Fatal(err)
	}
	if _, err := scaffold.ReadRecord(os.DirFS(dir)); err != nil {
		t.Errorf("no record after the upgrade: %v", err)
	}
	if got, _ := os.ReadFile(makefile); string(got) != mine {
		t.Error("the user's Makefile changed")
	}
}

// A record edited by hand is refused, not merged from.
func TestDamagedRecordIsRefused(t *testing.T) {
	dir := goldenCopy(t, "parseable")
	base := filepath.Join(dir, filepath.FromSlash(scaffold.BaseFile))
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, []byte(strings.Replace(string(data), "IMG ?= controller:latest", "IMG ?= mine", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Compute(context.Background(), dir, ownDescription(t, dir))
	if err == nil || !strings.Contains(err.Error(), "Makefile does not match its hash") {
		t.Fatalf("err = %v, want the damaged record refused", err)
	}
}

// A file the user's editor saved with CR LF line ends is not an edit, and keeps them.
func TestWindowsLineEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("renders projects (go mod tidy, controller-gen)")
	}
	dir := goldenCopy(t, "pinot")
	sample := filepath.Join(dir, "config", "samples", "v1beta1_pinot.yaml")
	readme := filepath.Join(dir, "README.md")
	for _, p := range []string{sample, readme} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if p == readme {
			data = append(data, "A line of mine.\n"...)
		}
		if err := os.WriteFile(p, toCRLF(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := ownDescription(t, dir)
	opts.App.Spec.NodeTypes[0].Image = "apachepinot/pinot:1.3.0"
	opts.FromProject = false
	plan, err := Compute(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Conflicts) > 0 {
		t.Fatalf("conflicts: %v", plan.Conflicts)
	}
	if err := Apply(dir, plan); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(sample)
	if !strings.Contains(string(got), "apachepinot/pinot:1.3.0\"\r\n") || strings.Contains(strings.ReplaceAll(string(got), "\r\n", ""), "\n") {
		t.Errorf("the sample lost its CR LF line ends or the new image:\n%q", got)
	}
	if got, _ := os.ReadFile(readme); !strings.HasSuffix(string(got), "A line of mine.\r\n") {
		t.Errorf("the README lost the user's line")
	}
}
