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
		if err := WriteFile(target, tree[p], ModeOf(p)); err != nil {
			return err
		}
	}
	return nil
}

// ModeOf is the permission dsoi-gen gives a new file: scripts are executable.
func ModeOf(path string) fs.FileMode {
	if filepath.Ext(path) == ".sh" {
		return 0o755
	}
	return 0o644
}

// WriteFile writes data to a temporary name beside target and renames it, so target is never
// half-written.
func WriteFile(target string, data []byte, mode fs.FileMode) error {
	tmp := target + ".dsoi-gen.tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
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
