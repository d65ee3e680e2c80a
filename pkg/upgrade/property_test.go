package upgrade

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// lineEdit changes one line of a file: replaces it, deletes it or inserts a line after it.
type lineEdit struct {
	line int
	kind string // "replace", "delete", "insert"
	text string
}

func applyEdits(lines []string, edits []lineEdit) []string {
	byLine := map[int]lineEdit{}
	for _, e := range edits {
		byLine[e.line] = e
	}
	var out []string
	for i, l := range lines {
		e, ok := byLine[i]
		switch {
		case !ok:
			out = append(out, l)
		case e.kind == "replace":
			out = append(out, e.text)
		case e.kind == "insert":
			out = append(out, l, e.text)
		}
	}
	return out
}

func renderedFiles(t testing.TB) scaffold.Tree {
	t.Helper()
	app, err := examples.Load("druid")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := scaffold.Render(app, scaffold.Options{GeneratorVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestMergeKeepsEveryNonOverlappingEdit is a property test of the three-way merge on real
// generated files: for random edits by the user and by the generator that are at least three
// lines apart, the merge never conflicts and its result is exactly both sets of edits applied.
func TestMergeKeepsEveryNonOverlappingEdit(t *testing.T) {
	tree := renderedFiles(t)
	var files []string
	for _, p := range tree.Paths() {
		if strings.Count(string(tree[p]), "\n") >= 20 {
			files = append(files, p)
		}
	}
	iterations := 300
	if testing.Short() {
		iterations = 40
	}
	for seed := range iterations {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		p := files[rng.IntN(len(files))]
		base := string(tree[p])
		lines := strings.Split(strings.TrimSuffix(base, "\n"), "\n")

		var yours, theirs []lineEdit
		var taken []int // positions used, with their owner in owners
		var owners []bool
		for n := 1 + rng.IntN(8); n > 0; n-- {
			line, user := rng.IntN(len(lines)), rng.IntN(2) == 0
			clash := false
			for i, other := range taken {
				if other == line || (owners[i] != user && abs(other-line) < 3) {
					clash = true
				}
			}
			if clash {
				continue
			}
			taken, owners = append(taken, line), append(owners, user)
			kinds := []string{"replace", "delete", "insert"}
			e := lineEdit{line: line, kind: kinds[rng.IntN(3)], text: fmt.Sprintf("edit %d of seed %d by user=%v", line, seed, user)}
			if user {
				yours = append(yours, e)
			} else {
				theirs = append(theirs, e)
			}
		}
		join := func(ls []string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }
		y, th := join(applyEdits(lines, yours)), join(applyEdits(lines, theirs))
		want := join(applyEdits(lines, append(slices.Clone(yours), theirs...)))

		got, conflicts, err := merge3(y, []byte(base), th, Labels{Yours: "yours", Base: "base", New: "new"})
		if err != nil {
			t.Fatal(err)
		}
		if conflicts != 0 || !bytes.Equal(got, want) {
			t.Fatalf("seed %d, %s: yours %+v, theirs %+v: %d conflict(s), merged:\n%s", seed, p, yours, theirs, conflicts, got)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestUpgradeKeepsRandomEdits is the same property through a whole upgrade: random notes added
// across a golden project, away from the lines a description change touches, all survive it,
// with no conflict, and the upgrade brings in the description change.
func TestUpgradeKeepsRandomEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("renders projects (go mod tidy, controller-gen)")
	}
	golden := readDir(t, filepath.Join("..", "..", "golden", "pinot"))
	app, err := model.Load("dsoi.yaml", bytes.ReplaceAll(golden["dsoi.yaml"], []byte("apachepinot/pinot:1.2.0"), []byte("apachepinot/pinot:1.3.0")))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{App: app, Render: scaffold.Options{GeneratorVersion: scaffold.Version}}
	next, err := scaffold.GenerateWith(context.Background(), app, opts.Render)
	if err != nil {
		t.Fatal(err)
	}
	record, err := scaffold.RecordOf(golden)
	if err != nil {
		t.Fatal(err)
	}
	derived := map[string]bool{}
	for _, f := range record.Manifest.Files {
		derived[f.Path] = f.Derived
	}
	for seed := range 2 {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		dir := t.TempDir()
		edited := scaffold.Tree{}
		for p, data := range golden {
			edited[p] = data
		}
		notes := map[string][]string{}
		for n := 0; n < 30; n++ {
			p, note, data, ok := addNote(rng, edited, next, derived, n)
			if ok {
				edited[p] = data
				notes[p] = append(notes[p], note)
			}
		}
		count := 0
		for _, ns := range notes {
			count += len(ns)
		}
		if count < 8 {
			t.Fatalf("seed %d placed only %d notes; the property needs more edits to mean something", seed, count)
		}
		t.Logf("seed %d: %d notes in %d files", seed, count, len(notes))
		if err := scaffold.Write(dir, edited, true); err != nil {
			t.Fatal(err)
		}
		plan, err := Compute(context.Background(), dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Conflicts) > 0 {
			t.Fatalf("seed %d: conflicts in %v", seed, plan.Conflicts)
		}
		if err := Apply(dir, plan); err != nil {
			t.Fatal(err)
		}
		after := readDir(t, dir)
		for p, ns := range notes {
			for _, note := range ns {
				if !strings.Contains("\n"+string(after[p]), "\n"+note+"\n") {
					t.Errorf("seed %d: the note %q in %s was lost", seed, note, p)
				}
			}
		}
		if !bytes.Contains(after["config/samples/v1beta1_pinot.yaml"], []byte("apachepinot/pinot:1.3.0")) {
			t.Errorf("seed %d: the description change did not reach the sample", seed)
		}
	}
}

// addNote adds a comment line to a random file, in its own comment syntax and in a place
// where a comment is always valid, at least three lines from any line the new render changes.
func addNote(rng *rand.Rand, tree, next scaffold.Tree, derived map[string]bool, n int) (string, string, []byte, bool) {
	paths := tree.Paths()
	p := paths[rng.IntN(len(paths))]
	var prefix string
	switch {
	case strings.HasPrefix(p, ".dsoi-gen/") || p == "PROJECT" || derived[p]:
		return "", "", nil, false // derived files are regenerated, not merged
	case strings.HasSuffix(p, ".go"):
		prefix = "// "
	case strings.HasSuffix(p, ".yaml"), p == "Makefile", p == "Dockerfile", p == ".gitignore", p == ".dockerignore":
		prefix = "# "
	case strings.HasSuffix(p, ".md"):
		prefix = ""
	default:
		return "", "", nil, false
	}
	lines := strings.Split(strings.TrimSuffix(string(tree[p]), "\n"), "\n")
	changed := changedLines(string(tree[p]), string(next[p]))
	var candidates []int
candidate:
	for i, l := range lines {
		if strings.HasSuffix(p, ".go") && !strings.HasPrefix(l, "func ") {
			continue // a comment before a top-level func is valid Go
		}
		if strings.HasSuffix(p, ".yaml") && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "-")) {
			continue // before top-level keys only: not inside a block scalar or a list
		}
		for _, c := range changed {
			if abs(c-i) < 3 {
				continue candidate
			}
		}
		candidates = append(candidates, i)
	}
	if len(candidates) == 0 {
		return "", "", nil, false
	}
	i := candidates[rng.IntN(len(candidates))]
	note := fmt.Sprintf("%snote %d by the user", prefix, n)
	out := append(slices.Clone(lines[:i]), append([]string{note}, lines[i:]...)...)
	return p, note, []byte(strings.Join(out, "\n") + "\n"), true
}

// changedLines are the lines of a that differ in b, by a plain line-by-line comparison of
// files whose changes keep their line count (the image tag change), or all lines otherwise.
func changedLines(a, b string) []int {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []int
	if len(la) != len(lb) {
		for i := range la {
			out = append(out, i)
		}
		return out
	}
	for i := range la {
		if la[i] != lb[i] {
			out = append(out, i)
		}
	}
	return out
}

func readDir(t testing.TB, dir string) scaffold.Tree {
	t.Helper()
	tree, err := scaffold.ReadTree(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}
