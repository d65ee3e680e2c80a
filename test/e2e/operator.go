package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// copyTree copies the regular files of src into dst. The tests build and read a copy of a
// golden project, so edits made to golden/ while they run do not mix two versions.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}

// buildOperator builds the manager of a project copy into dir/manager. The binary's name
// matters: it starts the user agent of every request the operator sends.
func buildOperator(t *testing.T, project, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "manager")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", out, "./cmd")
	cmd.Dir = project
	// The project is a module of its own: no workspace, and go.sum may be completed.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the operator: %v\n%s", err, b)
	}
	t.Logf("operator built in %s", time.Since(start).Round(time.Millisecond))
	return out
}

// Operator is a running manager process.
type Operator struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
	// binary, kubeconfig and args start it again (Kill).
	binary, kubeconfig string
	args               []string
}

// startOperator runs the manager against a cluster, with args added to its flags. It logs
// at level 5, where controller-runtime writes one "Reconciling" line per reconcile: the
// tests count them.
func startOperator(t *testing.T, binary, kubeconfig, logPath string, args ...string) *Operator {
	t.Helper()
	o := &Operator{logPath: logPath, binary: binary, kubeconfig: kubeconfig, args: args}
	if err := o.start(os.O_CREATE | os.O_TRUNC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		o.Stop()
		if t.Failed() {
			t.Logf("operator log (last 300 lines of %s):\n%s", logPath, o.Tail(300))
		}
	})
	return o
}

func (o *Operator) start(flags int) error {
	logFile, err := os.OpenFile(o.logPath, os.O_WRONLY|os.O_APPEND|flags, 0o644)
	if err != nil {
		return err
	}
	args := append([]string{"--health-probe-bind-address=0", "--metrics-bind-address=0",
		"--zap-log-level=5", "--zap-time-encoding=rfc3339nano"}, o.args...)
	cmd := exec.Command(o.binary, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+o.kubeconfig)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start the operator: %w", err)
	}
	o.cmd, o.exited, o.waitErr = cmd, make(chan struct{}), nil
	exited := o.exited
	go func() {
		o.waitErr = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	return nil
}

// Kill ends the manager at once (SIGKILL, no shutdown) and starts a new process, which
// carries on from what the cluster and the CR's status say. The log goes on in the same file.
func (o *Operator) Kill() error {
	o.KillOnly()
	return o.start(0)
}

// KillOnly ends the manager at once (SIGKILL, no shutdown) and does not start it again.
func (o *Operator) KillOnly() {
	if o.Running() == nil {
		_ = o.cmd.Process.Kill()
		<-o.exited
	}
}

// Restart starts a manager that was stopped, logging on in the same file.
func (o *Operator) Restart() error {
	if o.Running() == nil {
		return fmt.Errorf("the operator is still running")
	}
	return o.start(0)
}

// Running reports an error when the manager has exited.
func (o *Operator) Running() error {
	select {
	case <-o.exited:
		return fmt.Errorf("the operator exited: %v", o.waitErr)
	default:
		return nil
	}
}

// Stop ends the manager (SIGTERM, then SIGKILL after 10 s); it may be called twice.
func (o *Operator) Stop() {
	if o.Running() != nil {
		return
	}
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-o.exited:
	case <-time.After(10 * time.Second):
		_ = o.cmd.Process.Kill()
		<-o.exited
	}
}

// PeakRSS is the manager's peak resident memory (VmHWM), in bytes; read it before Stop.
func (o *Operator) PeakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", o.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", o.cmd.Process.Pid)
}

// logLine is what the tests read of a zap JSON log line.
type logLine struct {
	TS  string `json:"ts"`
	Msg string `json:"msg"`
}

// Reconciles counts the reconciles the manager started in [from, to).
func (o *Operator) Reconciles(from, to time.Time) (int, error) {
	n := 0
	err := o.eachLine(func(l logLine) bool {
		if l.Msg == "Reconciling" {
			at, err := time.Parse(time.RFC3339Nano, l.TS)
			if err == nil && !at.Before(from) && at.Before(to) {
				n++
			}
		}
		return true
	})
	return n, err
}

// Logged reports whether the manager's log has a line whose message is msg.
func (o *Operator) Logged(msg string) (bool, error) {
	found := false
	err := o.eachLine(func(l logLine) bool {
		found = l.Msg == msg
		return !found
	})
	return found, err
}

// eachLine calls each with the manager's JSON log lines, in order, while it returns true.
func (o *Operator) eachLine(each func(logLine) bool) error {
	f, err := os.Open(o.logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && !each(l) {
			return nil
		}
	}
	return sc.Err()
}

// Tail returns the last n lines of the manager's log.
func (o *Operator) Tail(n int) string {
	b, err := os.ReadFile(o.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
