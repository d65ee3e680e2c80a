package upgrade

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Labels name the three sides of a merge in conflict markers.
type Labels struct {
	Yours, Base, New string
}

// merge3 merges the changes from base to yours and from base to theirs, line by line, with
// git's own three-way merge (git merge-file). Conflicts are written with standard diff3
// markers (<<<<<<< yours, ||||||| base, =======, >>>>>>> new), which git, editors and
// merge tools understand. It returns the merged text and the number of conflicts.
func merge3(yours, base, theirs []byte, labels Labels) ([]byte, int, error) {
	git, err := exec.LookPath("git")
	if err != nil {
		return nil, 0, errors.New("dsoi-gen upgrade merges with `git merge-file`: install git")
	}
	dir, err := os.MkdirTemp("", "dsoi-gen-merge-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	names := []string{"yours", "base", "new"}
	for i, data := range [][]byte{yours, base, theirs} {
		if err := os.WriteFile(filepath.Join(dir, names[i]), data, 0o600); err != nil {
			return nil, 0, err
		}
	}
	cmd := exec.Command(git, "merge-file", "-p", "--diff3",
		"-L", labels.Yours, "-L", labels.Base, "-L", labels.New, "yours", "base", "new")
	cmd.Dir = dir
	// No user or system git configuration may change the markers (merge.conflictStyle and the like).
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.Bytes(), 0, nil
	case errors.As(err, &exit) && exit.ExitCode() > 0 && exit.ExitCode() < 128:
		// git merge-file exits with the number of conflicts.
		return out.Bytes(), exit.ExitCode(), nil
	default:
		return nil, 0, fmt.Errorf("git merge-file: %v: %s", err, errOut.String())
	}
}

// conflictMarkers reports whether text still holds a conflict written by merge3.
func conflictMarkers(text []byte) bool {
	for _, line := range bytes.Split(text, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("<<<<<<< ")) || bytes.HasPrefix(line, []byte(">>>>>>> ")) {
			return true
		}
	}
	return false
}
