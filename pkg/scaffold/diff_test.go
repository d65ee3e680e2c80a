package scaffold

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffTree(t *testing.T) {
	dir := t.TempDir()
	tree := Tree{"same.txt": []byte("a\n"), "changed.txt": []byte("one\ntwo\n"), "missing/file.txt": []byte("new\n")}
	if err := Write(dir, Tree{"same.txt": []byte("a\n"), "changed.txt": []byte("one\n2\n"), "mine.txt": []byte("user\n")}, false); err != nil {
		t.Fatal(err)
	}
	diffs, err := DiffTree(dir, tree)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 2 || diffs[0].Path != "changed.txt" || diffs[1].Path != "missing/file.txt" || !diffs[1].Missing {
		t.Fatalf("diffs = %+v, want changed.txt and the missing file, not same.txt or the user's mine.txt", diffs)
	}
	patch := FormatDiffs(diffs)
	for _, want := range []string{"--- a/changed.txt\n+++ b/changed.txt\n", "-2\n+two\n", "--- /dev/null\n+++ b/missing/file.txt\n", "+new\n"} {
		if !strings.Contains(patch, want) {
			t.Errorf("patch lacks %q:\n%s", want, patch)
		}
	}
	// The disk is only read.
	if data, _ := os.ReadFile(filepath.Join(dir, "changed.txt")); string(data) != "one\n2\n" {
		t.Errorf("DiffTree changed a file: %q", data)
	}
}
