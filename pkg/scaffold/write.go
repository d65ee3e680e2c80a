package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotEmpty is returned by Write when the target folder holds files and force is off.
var ErrNotEmpty = errors.New("target folder is not empty")

// Write puts a rendered tree on disk under dir. It refuses a non-empty dir unless force is
// set. Each file is written to a temporary name and renamed, so a file is never half-written;
// everything was rendered before, so a template error can no longer leave the disk touched.
func Write(dir string, tree Tree, force bool) error {
	if err := CheckTarget(dir, force); err != nil {
		return err
	}
	for _, p := range tree.Paths() {
		target := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if filepath.Ext(p) == ".sh" {
			mode = 0o755
		}
		tmp := target + ".dsoi-gen.tmp"
		if err := os.WriteFile(tmp, tree[p], mode); err != nil {
			return err
		}
		if err := os.Rename(tmp, target); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	return nil
}

// CheckTarget refuses a target folder that holds files, unless force is set, so commands can
// fail before the slow part of their work.
func CheckTarget(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) > 0 && !force:
		return fmt.Errorf("%s: %w (use --force to write into it; files of the same name are replaced)", dir, ErrNotEmpty)
	}
	return nil
}
