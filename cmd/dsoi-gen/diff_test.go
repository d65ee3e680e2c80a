package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// copyGolden copies a golden project into a temporary folder.
func copyGolden(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "golden", name)
	tree := scaffold.Tree{}
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		tree[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := scaffold.Write(dir, tree, true); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDiffShowsDriftAndExitCodeFails(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the project (go mod tidy, controller-gen)")
	}
	dir := copyGolden(t, "pinot")
	if out, err := run(t, "diff", "--exit-code", dir); err != nil || out != "" {
		t.Fatalf("an up-to-date project: output %q, err %v; want no output and success", out, err)
	}

	controller := filepath.Join(dir, "internal", "controller", "pinot_controller.go")
	data, err := os.ReadFile(controller)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(controller, append(data, []byte("\n// edited by hand\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "NOTES.md", "my own file\n")

	out, err := run(t, "diff", dir)
	if err != nil {
		t.Fatalf("diff without --exit-code failed: %v", err)
	}
	for _, want := range []string{
		"--- a/internal/controller/pinot_controller.go\n+++ b/internal/controller/pinot_controller.go\n",
		"-// edited by hand\n",
		"--- /dev/null\n+++ b/Dockerfile\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NOTES.md") {
		t.Errorf("diff lists the user's own file NOTES.md")
	}
	_, err = run(t, "diff", "--exit-code", dir)
	var drift errDrift
	if !errors.As(err, &drift) || drift.files != 2 || !strings.Contains(err.Error(), "2 file(s) differ") {
		t.Fatalf("--exit-code: got %v, want a failure naming 2 files", err)
	}
	// diff writes nothing.
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); !os.IsNotExist(err) {
		t.Errorf("diff recreated the Dockerfile")
	}
}
