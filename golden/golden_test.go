// Package golden holds whole generated projects, one folder per built-in example, and the
// tests that keep them true: the renderer must produce them byte for byte, and each must
// build, vet clean, pass its own tests and regenerate to itself with `make test`.
package golden

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

var update = flag.Bool("update", false, "rewrite the golden trees from the current templates")

// generate renders a built-in example the way `dsoi-gen init` does.
func generate(t *testing.T, name string) scaffold.Tree {
	t.Helper()
	app, err := examples.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := scaffold.Generate(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestGoldenTrees(t *testing.T) {
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			tree := generate(t, name)
			if *update {
				if err := os.RemoveAll(name); err != nil {
					t.Fatal(err)
				}
				if err := scaffold.Write(name, tree, false); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diffs := compare(tree, readTree(t, name)); len(diffs) > 0 {
				t.Errorf("golden/%s differs from what dsoi-gen renders (run `go test ./golden -update` if the change is intended):\n%s",
					name, strings.Join(diffs, "\n"))
			}
		})
	}
}

// TestGoldenHeaders checks the license header of every Go file of every golden project:
// one owner line ending with exactly one period, the same in every file.
func TestGoldenHeaders(t *testing.T) {
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			app, err := examples.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			want := "/*\nCopyright " + strings.TrimSuffix(app.Spec.Operator.Owner, ".") + ".\n"
			for path, data := range readTree(t, name) {
				if bytes.HasPrefix(data, []byte("//go:build ")) { // controller-gen puts the header after the constraint
					_, data, _ = bytes.Cut(data, []byte("\n\n"))
				}
				if strings.HasSuffix(path, ".go") && !bytes.HasPrefix(data, []byte(want)) {
					first, _, _ := strings.Cut(string(data), "\n\n")
					t.Errorf("golden/%s/%s starts with %q, want %q", name, path, first, want)
				}
			}
		})
	}
}

// TestRecordedDescriptionRendersTheSameTree proves a project's dsoi.yaml is enough to rebuild
// it offline: rendering the recorded description gives the same bytes as the original.
func TestRecordedDescriptionRendersTheSameTree(t *testing.T) {
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(name, "dsoi.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			app, err := model.Load("dsoi.yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			again, err := scaffold.Generate(context.Background(), app)
			if err != nil {
				t.Fatal(err)
			}
			if diffs := compare(again, readTree(t, name)); len(diffs) > 0 {
				t.Errorf("rendering golden/%s/dsoi.yaml gives another tree:\n%s", name, strings.Join(diffs, "\n"))
			}
		})
	}
}

// TestGoldenProjectsPassTheirOwnTests runs `make test` and `make build` in a copy of each
// golden project, against a real kube-apiserver and etcd, then checks that nothing in the
// tree changed: the committed CRDs, RBAC and deepcopy code are exactly what controller-gen
// makes, and the Go code is gofmt-clean.
func TestGoldenProjectsPassTheirOwnTests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests every golden project; skipped in -short mode")
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test` at the top of the repository, which builds kube-apiserver and etcd")
	}
	t.Parallel() // shares the -parallel slots with the upgraded projects' runs
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			golden := readTree(t, name)
			dir := t.TempDir()
			if err := scaffold.Write(dir, golden, true); err != nil {
				t.Fatal(err)
			}
			if diffs := runOwnTests(t, dir, golden); len(diffs) > 0 {
				t.Errorf("make test/build changed golden/%s:\n%s", name, strings.Join(diffs, "\n"))
			}
		})
	}
}

// runOwnTests runs the project's own `make test build` in dir and returns how its tree then
// differs from want, leaving out what those targets build (bin/, cover.out). The two targets
// go in one make run, so controller-gen and vet run once. The projects' envtest suites are
// mostly waiting on their API servers, so these runs go two at a time (go test's -parallel).
func runOwnTests(t *testing.T, dir string, want scaffold.Tree) []string {
	t.Helper()
	cmd := exec.Command("make", "test", "build")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make test build: %v\n%s", err, out)
	}
	after := readTree(t, dir)
	for p := range after {
		if strings.HasPrefix(p, "bin/") || p == "cover.out" {
			delete(after, p)
		}
	}
	return compare(after, want)
}

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

// compare lists the differences between two trees: missing, extra and changed files, with
// the first changed line of each.
func compare(got, want scaffold.Tree) []string {
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
	return diffs
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
