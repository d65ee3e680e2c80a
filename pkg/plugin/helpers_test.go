package plugin

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// shared holds what the slow tests build once per run: the dsoi-gen binary.
var shared string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dsoi-plugin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("renders projects with go mod tidy and controller-gen; skipped in -short mode")
	}
}

// repoRoot is the top of this repository, two levels above the package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the repository root: %v", err)
	}
	return root
}

// dsoiGen builds the dsoi-gen binary once per run.
func dsoiGen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(shared, "dsoi-gen")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	mustRun(t, repoRoot(t), nil, "go", "build", "-o", bin, "./cmd/dsoi-gen")
	return bin
}

// mustRun runs a command in dir with extra environment and fails the test if it fails.
func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := command(dir, env, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func command(dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// exampleFile writes a built-in example description into dir and returns its path.
func exampleFile(t *testing.T, dir, name string) string {
	t.Helper()
	_, data, err := examples.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// badDescription writes a description with a misspelled workload on line 7.
func badDescription(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "bad.yaml")
	err := os.WriteFile(p, []byte(`apiVersion: dsoi-gen/v1alpha1
kind: Application
metadata: {name: demo}
spec:
  operator: {repo: github.com/acme/demo, domain: example.com, version: v1, kind: Demo}
  nodeTypes:
    - {name: a, workload: statefulset, image: x}
  deploymentOrder: [a]
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// badProblem is what every front door must say about badDescription.
const badProblem = "bad.yaml:7: spec.nodeTypes[0].workload"

// readTree reads every file under dir.
func readTree(t *testing.T, dir string) scaffold.Tree {
	t.Helper()
	tree := scaffold.Tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		tree[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// assertSameTree fails the test with every missing, extra and changed file.
func assertSameTree(t *testing.T, what string, got, want scaffold.Tree) {
	t.Helper()
	var diffs []string
	for _, p := range want.Paths() {
		if _, ok := got[p]; !ok {
			diffs = append(diffs, "missing: "+p)
		}
	}
	for _, p := range got.Paths() {
		w, ok := want[p]
		switch {
		case !ok:
			diffs = append(diffs, "extra:   "+p)
		case !bytes.Equal(got[p], w):
			diffs = append(diffs, "changed: "+p+firstDifference(got[p], w))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s differs from what `dsoi-gen init` renders:\n%s", what, strings.Join(diffs, "\n"))
	}
}

func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("\n    line %d\n    got:  %q\n    want: %q", i+1, gl, wl)
		}
	}
	return ""
}

// without returns a copy of tree without the given paths.
func without(tree scaffold.Tree, paths ...string) scaffold.Tree {
	out := scaffold.Tree{}
	for p, data := range tree {
		out[p] = data
	}
	for _, p := range paths {
		delete(out, p)
	}
	return out
}

// assertEmpty fails the test if a failed command left anything in dir.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if left := readTree(t, dir).Paths(); len(left) > 0 {
		t.Errorf("a failed command wrote into %s: %v", dir, left)
	}
}

// renderInto renders a description with the dsoi-gen CLI into a new folder and returns it.
func renderInto(t *testing.T, desc string) string {
	t.Helper()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "rendered")
	mustRun(t, tmp, nil, dsoiGen(t), "init", "--app", desc, dir)
	return dir
}
