package upgrade

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkMerge merges one user edit and one generator edit into the largest generated file
// of the druid example (git merge-file, process start included).
func BenchmarkMerge(b *testing.B) {
	tree := renderedFiles(b)
	largest := ""
	for _, p := range tree.Paths() {
		if len(tree[p]) > len(tree[largest]) {
			largest = p
		}
	}
	base := string(tree[largest])
	lines := strings.Split(base, "\n")
	yours := strings.Join(applyEdits(lines, []lineEdit{{line: 10, kind: "insert", text: "// mine"}}), "\n")
	theirs := strings.Join(applyEdits(lines, []lineEdit{{line: len(lines) - 10, kind: "replace", text: "// new"}}), "\n")
	b.SetBytes(int64(len(base)))
	for b.Loop() {
		if _, n, err := merge3([]byte(yours), []byte(base), []byte(theirs), Labels{"yours", "base", "new"}); err != nil || n != 0 {
			b.Fatal(err, n)
		}
	}
}

// BenchmarkUpgradeUpToDate plans the upgrade of an up-to-date golden project: the new render
// with go mod tidy and controller-gen, and the comparison with the record and the disk.
func BenchmarkUpgradeUpToDate(b *testing.B) {
	dir := goldenCopy(b, "pinot")
	opts := ownDescription(b, dir)
	for b.Loop() {
		plan, err := Compute(context.Background(), dir, opts)
		if err != nil || !plan.Empty() {
			b.Fatal(err, plan.Summary())
		}
	}
}
