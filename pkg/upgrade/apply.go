package upgrade

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// Apply carries out a plan: every file is written to a temporary name and renamed, so none is
// ever half-written, and existing files keep their permissions.
func Apply(dir string, plan *Plan) error {
	for _, p := range plan.Writes.Paths() {
		target := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		mode := scaffold.ModeOf(p)
		if info, err := os.Stat(target); err == nil {
			mode = info.Mode().Perm()
		}
		if err := scaffold.WriteFile(target, plan.Writes[p], mode); err != nil {
			return err
		}
	}
	for _, p := range plan.Deletes {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Diff is the plan as one unified diff, from the disk to the upgraded project, in path order.
// The record's own files are left out: they are bookkeeping, not project content.
func (plan *Plan) Diff() string {
	var b strings.Builder
	for _, c := range plan.Changes {
		if strings.HasPrefix(c.Path, recordPrefix) {
			continue
		}
		before := plan.before[c.Path]
		after, will := plan.Writes[c.Path]
		deleted := contains(plan.Deletes, c.Path)
		if !will && !deleted {
			continue
		}
		from, to := "a/"+c.Path, "b/"+c.Path
		if before == nil { // not on disk yet
			from = "/dev/null"
		}
		if deleted {
			to, after = "/dev/null", nil
		}
		b.WriteString(udiff.Unified(from, to, string(before), string(after)))
	}
	return b.String()
}

// Summary lists the plan's changes, one per line, then the breaking changes and notes.
func (plan *Plan) Summary() string {
	var b strings.Builder
	for _, c := range plan.Changes {
		if strings.HasPrefix(c.Path, recordPrefix) {
			continue
		}
		fmt.Fprintf(&b, "  %-10s %s", c.Action, c.Path)
		if c.Note != "" {
			fmt.Fprintf(&b, " (%s)", c.Note)
		}
		b.WriteString("\n")
	}
	for _, s := range plan.Breaking {
		fmt.Fprintf(&b, "BREAKING: %s\n", s)
	}
	for _, s := range plan.Notes {
		fmt.Fprintf(&b, "note: %s\n", s)
	}
	return b.String()
}

const recordPrefix = ".dsoi-gen/"

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ErrDirty is returned by CheckClean for a git work tree with uncommitted changes.
var ErrDirty = errors.New("uncommitted changes")

// CheckClean refuses a project inside a git work tree with uncommitted or untracked files
// under dir: an upgrade should be one reviewable, revertible change. A folder outside git
// passes, with ok false so the caller can say there is no safety net.
func CheckClean(dir string) (inGit bool, err error) {
	git, err := exec.LookPath("git")
	if err != nil {
		return false, nil
	}
	if out, err := exec.Command(git, "-C", dir, "rev-parse", "--is-inside-work-tree").Output(); err != nil || strings.TrimSpace(string(out)) != "true" {
		return false, nil
	}
	out, err := exec.Command(git, "-C", dir, "status", "--porcelain", "--untracked-files=all", "--", ".").Output()
	if err != nil {
		return true, fmt.Errorf("git status in %s: %w", dir, err)
	}
	if lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n"); len(out) > 0 {
		if len(lines) > 10 {
			lines = append(lines[:10], fmt.Sprintf("... and %d more", len(lines)-10))
		}
		return true, fmt.Errorf("%w in %s: commit or stash them first, so the upgrade is one change you can review and revert, or pass --allow-dirty:\n  %s",
			ErrDirty, dir, strings.Join(lines, "\n  "))
	}
	return true, nil
}
