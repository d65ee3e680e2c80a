package scaffold

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// FileDiff is one file whose rendered content differs from the disk.
type FileDiff struct {
	Path string
	// Missing: the file is rendered but not on disk.
	Missing bool
	// Unified is the change from the disk to the render, as a unified diff.
	Unified string
}

// DiffTree compares a rendered tree with the project in dir: every rendered file that is
// missing on disk or has other content. Files on disk that the render does not produce are
// the user's own and are not listed.
func DiffTree(dir string, tree Tree) ([]FileDiff, error) {
	var diffs []FileDiff
	for _, p := range tree.Paths() {
		disk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			diffs = append(diffs, FileDiff{Path: p, Missing: true, Unified: udiff.Unified("/dev/null", "b/"+p, "", string(tree[p]))})
			continue
		case err != nil:
			return nil, err
		}
		if bytes.Equal(disk, tree[p]) {
			continue
		}
		diffs = append(diffs, FileDiff{Path: p, Unified: udiff.Unified("a/"+p, "b/"+p, string(disk), string(tree[p]))})
	}
	return diffs, nil
}

// FormatDiffs joins the diffs into one patch, in path order.
func FormatDiffs(diffs []FileDiff) string {
	var b strings.Builder
	for _, d := range diffs {
		b.WriteString(d.Unified)
	}
	return b.String()
}
