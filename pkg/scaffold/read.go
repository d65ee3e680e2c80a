package scaffold

import (
	"io/fs"
	"os"
	"path/filepath"
)

// ReadTree reads every regular file under dir into a tree. skipDir, when set, names folders
// (by slash-separated path relative to dir) not to descend into.
func ReadTree(dir string, skipDir func(rel string) bool) (Tree, error) {
	tree := Tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && rel != "." && skipDir != nil && skipDir(rel):
			return filepath.SkipDir
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(p)
		tree[rel] = data
		return err
	})
	return tree, err
}
