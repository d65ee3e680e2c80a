package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
	"github.com/dsoi-gen/dsoi-gen/pkg/upgrade"
)

// copyGolden copies a golden project into a temporary folder.
func copyGolden(t *testing.T, name string) string {
	t.Helper()
	tree, err := scaffold.ReadTree(filepath.Join("..", "..", "golden", name), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := scaffold.Write(dir, tree, true); err != nil {
		t.Fatal(err)
	}
	return dir
}

// replaceIn edits a file of a project in place; the old text must be there.
func replaceIn(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestDiffShowsWhatUpgradeWouldChange(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the project (go mod tidy, controller-gen)")
	}
	dir := copyGolden(t, "pinot")
	if out, err := run(t, "diff", "--exit-code", dir); err != nil || out != "" {
		t.Fatalf("an up-to-date project: output %q, err %v; want no output and success", out, err)
	}

	// The user's own edits are kept by an upgrade, so they are no drift.
	replaceIn(t, dir, "internal/controller/pinot_controller.go", "\tcluster, err := desiredCluster(&cr)\n", "\t// edited by hand\n\tcluster, err := desiredCluster(&cr)\n")
	if err := os.Remove(filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "NOTES.md", "my own file\n")
	if out, err := run(t, "diff", "--exit-code", dir); err != nil || out != "" {
		t.Fatalf("a project with only the user's edits: output %q, err %v; want no output and success", out, err)
	}

	// A description change is drift until upgraded.
	replaceIn(t, dir, "dsoi.yaml", "image: apachepinot/pinot:1.2.0", "image: apachepinot/pinot:1.3.0")
	out, err := run(t, "diff", dir)
	if err != nil {
		t.Fatalf("diff without --exit-code failed: %v", err)
	}
	for _, want := range []string{
		"--- a/config/samples/v1beta1_pinot.yaml\n+++ b/config/samples/v1beta1_pinot.yaml\n",
		"-      image: \"apachepinot/pinot:1.2.0\"\n+      image: \"apachepinot/pinot:1.3.0\"\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	for _, never := range []string{"NOTES.md", "Dockerfile", "edited by hand", ".dsoi-gen/"} {
		if strings.Contains(out, never) {
			t.Errorf("diff mentions %q:\n%s", never, out)
		}
	}
	_, err = run(t, "diff", "--exit-code", dir)
	var drift errDrift
	if !errors.As(err, &drift) || !strings.Contains(err.Error(), "not up to date: dsoi-gen upgrade would change") {
		t.Fatalf("--exit-code: got %v, want a drift failure", err)
	}
	if got := readFile(t, dir, "config/samples/v1beta1_pinot.yaml"); strings.Contains(got, "1.3.0") {
		t.Errorf("diff wrote the sample")
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestUpgradeWorkflow walks a user through an upgrade with a conflict: refused while the work
// tree is dirty, a dry run that writes nothing, exit code 2 with markers, refused again until
// the markers are gone, then derived files regenerated and the project up to date.
func TestUpgradeWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the project (go mod tidy, controller-gen)")
	}
	dir := copyGolden(t, "pinot")
	git(t, dir, "init", "-q")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "generated")
	if out, err := run(t, "upgrade", dir); err != nil || !strings.Contains(out, "is up to date") {
		t.Fatalf("upgrade of a fresh project: %v\n%s", err, out)
	}

	// The user rewords the README's first line; the description renames the application.
	replaceIn(t, dir, "README.md", "A Kubernetes operator for Apache Pinot, generated", "Our Pinot operator, generated")
	replaceIn(t, dir, "dsoi.yaml", "displayName: Apache Pinot", "displayName: Pinot OLAP")

	_, err := run(t, "upgrade", dir)
	if !errors.Is(err, upgrade.ErrDirty) || !strings.Contains(err.Error(), "README.md") {
		t.Fatalf("upgrade of a dirty work tree: err = %v, want ErrDirty naming README.md", err)
	}
	before := readFile(t, dir, "README.md")
	out, err := run(t, "upgrade", "--dry-run", dir)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	for _, want := range []string{"  conflict   README.md (1 conflict(s) marked in the file)", "+<<<<<<< yours\n", "dry run: nothing was written"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if readFile(t, dir, "README.md") != before {
		t.Fatal("the dry run wrote README.md")
	}

	out, err = run(t, "upgrade", "--allow-dirty", dir)
	var conflicts errConflicts
	if !errors.As(err, &conflicts) || conflicts.ExitCode() != 2 || len(conflicts.files) != 1 {
		t.Fatalf("upgrade with a conflict: err = %v, want exit code 2 naming README.md\n%s", err, out)
	}
	readme := readFile(t, dir, "README.md")
	for _, want := range []string{
		"<<<<<<< yours\nOur Pinot operator, generated",
		"||||||| base: dsoi-gen " + scaffold.Version + "\nA Kubernetes operator for Apache Pinot, generated",
		"=======\nA Kubernetes operator for Pinot OLAP, generated",
		">>>>>>> new: dsoi-gen " + scaffold.Version + "\n",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}
	// Clean merges went in; derived files wait for the conflict.
	if got := readFile(t, dir, "api/v1beta1/pinot_types.go"); !strings.Contains(got, "Pinot OLAP") {
		t.Error("the API types were not updated to the new display name")
	}
	if got := readFile(t, dir, "config/crd/bases/datainfra.io_pinots.yaml"); strings.Contains(got, "Pinot OLAP") {
		t.Error("the CRD was regenerated while a conflict remained")
	}

	if _, err := run(t, "upgrade", "--allow-dirty", dir); !errors.Is(err, upgrade.ErrUnresolved) {
		t.Fatalf("upgrade over conflict markers: err = %v, want ErrUnresolved", err)
	}

	// The user keeps their line and removes the markers.
	lines := strings.Split(readme, "\n")
	var resolved []string
	for i := 0; i < len(lines); i++ {
		switch {
		case strings.HasPrefix(lines[i], "<<<<<<< "), strings.HasPrefix(lines[i], ">>>>>>> "):
		case strings.HasPrefix(lines[i], "||||||| "):
			for !strings.HasPrefix(lines[i+1], ">>>>>>> ") {
				i++
			}
		default:
			resolved = append(resolved, lines[i])
		}
	}
	writeFile(t, dir, "README.md", strings.Join(resolved, "\n"))
	out, err = run(t, "upgrade", "--allow-dirty", dir)
	if err != nil {
		t.Fatalf("upgrade after resolving: %v\n%s", err, out)
	}
	if !strings.Contains(out, "regenerate config/crd/bases/datainfra.io_pinots.yaml") {
		t.Errorf("the CRD was not regenerated after the conflict was resolved:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(upgrade.ConflictsFile))); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the conflicts were resolved", upgrade.ConflictsFile)
	}
	if got := readFile(t, dir, "README.md"); !strings.Contains(got, "Our Pinot operator, generated") {
		t.Errorf("the user's resolution was lost:\n%s", got)
	}
	if out, err := run(t, "diff", "--exit-code", dir); err != nil {
		t.Fatalf("after the upgrade the project is not up to date: %v\n%s", err, out)
	}
}
