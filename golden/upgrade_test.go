package golden

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
	"github.com/dsoi-gen/dsoi-gen/pkg/upgrade"
)

// An upgrade case is a folder under upgrade/:
//
//	from             the golden project it starts from: a current one (pinot), or one that a
//	                 previous release rendered (releases/0.2.0/pinot), kept as that release wrote it
//	edits.patch      the user's edits to it (git diff format), which may include dsoi.yaml
//	app.yaml         optional: a new description, given as --app
//	templates.patch  optional: changes to templates/ standing for the next dsoi-gen release
//	want.out         the upgrade's report
//	want.diff        what the upgrade changed in the edited project (the record aside)
//
// `go test ./golden -run TestUpgradeCases -update` rewrites want.out and want.diff. The patches
// are plain `git diff` output against golden/<from> and templates/: when a template they touch
// changes, `git apply` fails and names the patch to make again.

// nextRelease is the generator version of a case with templates.patch.
const nextRelease = "0.5.0"

type upgradeCase struct {
	name, dir string
	// edited is the project before the upgrade, upgraded the one after it.
	edited, upgraded scaffold.Tree
	plan             *upgrade.Plan
	opts             upgrade.Options
}

func upgradeCases(t *testing.T) []string {
	entries, err := os.ReadDir("upgrade")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// runUpgradeCase copies the case's golden project, applies the user's edits and upgrades it.
func runUpgradeCase(t *testing.T, name string) *upgradeCase {
	t.Helper()
	caseDir := filepath.Join("upgrade", name)
	from, err := os.ReadFile(filepath.Join(caseDir, "from"))
	if err != nil {
		t.Fatal(err)
	}
	c := &upgradeCase{name: name, dir: t.TempDir()}
	if err := scaffold.Write(c.dir, readTree(t, strings.TrimSpace(string(from))), true); err != nil {
		t.Fatal(err)
	}
	gitApply(t, c.dir, filepath.Join(caseDir, "edits.patch"))
	c.edited = readTree(t, c.dir)

	c.opts.Render = scaffold.Options{GeneratorVersion: scaffold.Version}
	if _, err := os.Stat(filepath.Join(caseDir, "templates.patch")); err == nil {
		c.opts.Render = scaffold.Options{GeneratorVersion: nextRelease, Templates: patchedTemplates(t, filepath.Join(caseDir, "templates.patch"))}
	}
	appFile := filepath.Join(caseDir, "app.yaml")
	if _, err := os.Stat(appFile); err != nil {
		appFile, c.opts.FromProject = filepath.Join(c.dir, "dsoi.yaml"), true
	}
	if c.opts.App, err = model.LoadFile(appFile); err != nil {
		t.Fatal(err)
	}
	if c.plan, err = upgrade.Compute(context.Background(), c.dir, c.opts); err != nil {
		t.Fatal(err)
	}
	if err := upgrade.Apply(c.dir, c.plan); err != nil {
		t.Fatal(err)
	}
	c.upgraded = readTree(t, c.dir)
	return c
}

func TestUpgradeCases(t *testing.T) {
	if testing.Short() {
		t.Skip("renders projects (go mod tidy, controller-gen)")
	}
	for _, name := range upgradeCases(t) {
		t.Run(name, func(t *testing.T) {
			c := runUpgradeCase(t, name)
			out := c.plan.Summary()
			diff := treeDiff(c.edited, c.upgraded)
			caseDir := filepath.Join("upgrade", name)
			if *update {
				for file, data := range map[string]string{"want.out": out, "want.diff": diff} {
					if err := os.WriteFile(filepath.Join(caseDir, file), []byte(data), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			for file, got := range map[string]string{"want.out": out, "want.diff": diff} {
				want, err := os.ReadFile(filepath.Join(caseDir, file))
				if err != nil {
					t.Fatal(err)
				}
				if got != string(want) {
					t.Errorf("%s/%s differs (run `go test ./golden -run TestUpgradeCases -update` if intended):\n%s",
						caseDir, file, udiff.Unified("want", "got", string(want), got))
				}
			}
			c.checkEditsKept(t, filepath.Join(caseDir, "edits.patch"))
			c.checkRecord(t)
			c.checkAgain(t)
		})
	}
}

// checkEditsKept proves no edit was lost: every line the user added is still in its file
// (inside conflict markers at worst), and every file the user deleted is still gone.
func (c *upgradeCase) checkEditsKept(t *testing.T, patch string) {
	t.Helper()
	added, deleted := patchEdits(t, patch)
	for p, lines := range added {
		if p == scaffold.DescriptionFile && !c.opts.FromProject {
			continue // replaced by --app, on purpose
		}
		have := "\n" + string(c.upgraded[p])
		for _, line := range lines {
			if !strings.Contains(have, "\n"+line+"\n") {
				t.Errorf("the user's line %q in %s was lost", line, p)
			}
		}
	}
	for _, p := range deleted {
		if _, ok := c.upgraded[p]; ok {
			t.Errorf("%s, deleted by the user, came back", p)
		}
	}
}

// checkRecord proves the record now holds the render of the project's description, so the
// next upgrade starts from it.
func (c *upgradeCase) checkRecord(t *testing.T) {
	t.Helper()
	got, err := scaffold.RecordOf(c.upgraded)
	if err != nil {
		t.Fatal(err)
	}
	if got.Manifest.Generator != c.opts.Render.GeneratorVersion {
		t.Errorf("the record names dsoi-gen %s, want %s", got.Manifest.Generator, c.opts.Render.GeneratorVersion)
	}
	app, err := model.Load("dsoi.yaml", c.upgraded[scaffold.DescriptionFile])
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := scaffold.GenerateWith(context.Background(), app, c.opts.Render)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh[scaffold.BaseFile], c.upgraded[scaffold.BaseFile]) {
		t.Errorf("the record is not the render of the project's dsoi.yaml")
	}
}

// checkAgain upgrades once more: a no-op after a clean upgrade, refused while conflicts remain.
func (c *upgradeCase) checkAgain(t *testing.T) {
	t.Helper()
	opts := c.opts
	if opts.FromProject {
		app, err := model.LoadFile(filepath.Join(c.dir, "dsoi.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		opts.App = app
	}
	again, err := upgrade.Compute(context.Background(), c.dir, opts)
	if len(c.plan.Conflicts) > 0 {
		if !errors.Is(err, upgrade.ErrUnresolved) {
			t.Errorf("upgrading again over conflict markers: err = %v, want ErrUnresolved", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		t.Errorf("upgrading twice is not a no-op:\n%s%s", again.Summary(), again.Diff())
	}
}

// treeDiff is the unified diff from one tree to another, the record's bulky files aside.
func treeDiff(from, to scaffold.Tree) string {
	var b strings.Builder
	all := scaffold.Tree{}
	for p := range from {
		all[p] = nil
	}
	for p := range to {
		all[p] = nil
	}
	for _, p := range all.Paths() {
		if p == scaffold.ManifestFile || p == scaffold.BaseFile {
			continue
		}
		a, inA := from[p]
		z, inZ := to[p]
		if inA && inZ && bytes.Equal(a, z) {
			continue
		}
		na, nz := "a/"+p, "b/"+p
		if !inA {
			na = "/dev/null"
		}
		if !inZ {
			nz = "/dev/null"
		}
		b.WriteString(udiff.Unified(na, nz, string(a), string(z)))
	}
	return b.String()
}

// patchEdits reads a git diff: the lines it adds per file, and the files it deletes.
func patchEdits(t *testing.T, patch string) (map[string][]string, []string) {
	t.Helper()
	data, err := os.ReadFile(patch)
	if err != nil {
		t.Fatal(err)
	}
	added := map[string][]string{}
	var deleted []string
	var file string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "diff --git "):
			file = strings.TrimPrefix(strings.Fields(line)[3], "b/")
		case strings.HasPrefix(line, "deleted file mode"):
			deleted = append(deleted, file)
		case strings.HasPrefix(line, "+++ "), strings.HasPrefix(line, "--- "):
		case strings.HasPrefix(line, "+") && strings.TrimSpace(line[1:]) != "":
			added[file] = append(added[file], line[1:])
		}
	}
	return added, deleted
}

// patchedTemplates copies the template tree and applies a patch to it.
func patchedTemplates(t *testing.T, patch string) fs.FS {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "templates"))); err != nil {
		t.Fatal(err)
	}
	gitApply(t, dir, patch)
	return os.DirFS(dir)
}

func gitApply(t *testing.T, dir, patch string) {
	t.Helper()
	abs, err := filepath.Abs(patch)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "apply", abs)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply %s: %v\n%s", patch, err, out)
	}
}

// TestUpgradedProjectsPassTheirOwnTests runs `make test` and `make build` in projects upgraded
// with the user's edits: the merged code builds, vets and passes the generated envtest suites,
// and the derived files the upgrade wrote are exactly what the project's own Makefile derives.
func TestUpgradedProjectsPassTheirOwnTests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests upgraded projects; skipped in -short mode")
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test` at the top of the repository, which builds kube-apiserver and etcd")
	}
	t.Parallel()
	for _, name := range []string{"pinot-add-node-type", "druid-add-node-type", "parseable-add-node-type", "parseable-new-version",
		"pinot-from-0.2.0", "parseable-from-0.2.0", "pinot-from-0.3.0", "druid-from-0.3.0"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := runUpgradeCase(t, name)
			if len(c.plan.Conflicts) > 0 {
				t.Fatalf("unexpected conflicts: %v", c.plan.Conflicts)
			}
			if diffs := runOwnTests(t, c.dir, c.upgraded); len(diffs) > 0 {
				t.Errorf("make test/build changed the upgraded project:\n%s", strings.Join(diffs, "\n"))
			}
		})
	}
}
