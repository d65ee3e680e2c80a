package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// Keys as a terminal sends them.
const (
	enter     = "\r"
	down      = "\x1b[B"
	newline   = "\n"   // ctrl+j: a new line in a text area
	clearLine = "\x15" // ctrl+u: delete before the cursor
	backspace = "\x7f"
)

// screen collects what the program writes to its terminal.
type screen struct {
	mu   sync.Mutex
	buf  strings.Builder
	seen int // offset in the plain text up to the last prompt found
}

var ansi = regexp.MustCompile(`\x1b(\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])`)

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) plain() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.ReplaceAllString(s.buf.String(), "")
}

// terminal drives a program under a pseudo-terminal.
type terminal struct {
	t      *testing.T
	pty    *os.File
	screen *screen
}

// waitFor polls the screen until text appears after the previous prompt.
func (tm *terminal) waitFor(text string) {
	tm.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // the machine may be slow and busy
	for time.Now().Before(deadline) {
		plain := tm.screen.plain()
		if i := strings.Index(plain[tm.screen.seen:], text); i >= 0 {
			tm.screen.seen += i + len(text)
			time.Sleep(150 * time.Millisecond) // let the form settle before typing
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	plain := tm.screen.plain()
	tm.t.Fatalf("no %q on the screen after 60s; the screen since the last prompt:\n%s", text, plain[tm.screen.seen:])
}

// send types keys one at a time, as a person would.
func (tm *terminal) send(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		var chunks []string
		if strings.HasPrefix(k, "\x1b") || len(k) == 1 {
			chunks = []string{k}
		} else {
			chunks = strings.Split(k, "")
		}
		for _, c := range chunks {
			if _, err := io.WriteString(tm.pty, c); err != nil {
				tm.t.Fatal(err)
			}
			// A key that moves to another field lets the form focus it first, as a person
			// does: typed at once, the next key can land before the field is ready.
			pause := 20 * time.Millisecond
			if c == enter || c == down || strings.HasPrefix(c, "\x1b") {
				pause = 300 * time.Millisecond
			}
			time.Sleep(pause)
		}
	}
}

// answer waits for a prompt, then types the keys.
func (tm *terminal) answer(prompt string, keys ...string) {
	tm.t.Helper()
	tm.waitFor(prompt)
	time.Sleep(100 * time.Millisecond) // the prompt is drawn a moment before its field takes keys
	tm.send(keys...)
}

// startInTerminal builds dsoi-gen into dir and runs it there under a pseudo-terminal.
func startInTerminal(t *testing.T, dir string, args ...string) (*terminal, chan error) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dsoi-gen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build dsoi-gen: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "USER=acme", "TERM=xterm-256color")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = ptmx.Close() })
	sc := &screen{}
	go func() { _, _ = io.Copy(sc, ptmx) }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return &terminal{t: t, pty: ptmx, screen: sc}, done
}

// exited waits for the program to end and returns its error.
func (tm *terminal) exited(done chan error) error {
	tm.t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(60 * time.Second):
		tm.t.Fatalf("dsoi-gen did not exit\n%s", tm.screen.plain())
		return nil
	}
}

// Ctrl-C in the wizard that init starts leaves nothing behind.
func TestInitOffersTheWizardAndCtrlCWritesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dsoi-gen and runs it in a terminal")
	}
	dir := t.TempDir()
	tm, done := startInTerminal(t, dir, "init", "demo-operator")
	tm.answer("Application name", "demo", enter)
	tm.answer("Kind of the custom resource", enter, enter, "\x03")
	if err := tm.exited(done); err == nil {
		t.Fatal("dsoi-gen succeeded after Ctrl-C")
	}
	if !strings.Contains(tm.screen.plain(), "nothing written") {
		t.Errorf("no explanation:\n%s", tm.screen.plain())
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("Ctrl-C left %v", entries)
	}
}

func TestWizardInATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dsoi-gen, runs a terminal session and renders a project")
	}
	dir := t.TempDir()
	tm, done := startInTerminal(t, dir, "wizard", "demo-operator")
	sc := tm.screen

	tm.answer("Application name", "demo", enter)
	// Operator: accept every derived default.
	tm.answer("Kind of the custom resource", enter, enter, enter, enter, enter, enter)
	tm.answer("configuration files to mount", "y")
	tm.answer("Config file 1: name", "broker-config", enter, "broker.properties", enter, "/opt/demo/conf", enter, enter)
	tm.answer("Default content", enter, "port=8080", newline, "log.level=info", enter)
	tm.answer("Another config file?", "n")
	tm.answer("Node type 1: name", "broker", enter, enter, "demo/broker:1.0", enter,
		"http:8080,admin:9090", enter, "data:/var/data:1Gi", enter, backspace, "3", enter, "2", enter, " ", enter)
	tm.answer("Health gates for broker", "y")
	tm.answer("Health gate 1 of broker: name", "ready", enter, down, enter, "/health", enter, "body.loaded == true", enter)
	tm.answer("What it answers when healthy", `{"loaded": true}`, enter)
	tm.answer("Another health gate of broker?", "n")
	tm.answer("Drain each pod of broker", "y")
	tm.answer("Port of the drain calls", enter, enter, "/drain", enter, "/drain/status", enter, "size(body.tasks) == 0", enter)
	tm.answer("What it answers once a pod is drained", `{"tasks": []}`, enter)
	tm.answer("Claims of the pods a scale-down of broker removes", down, enter)
	tm.answer("Another node type?", "y")
	tm.answer("Node type 2: name", "server", enter, down, enter, "demo/server:1.0", enter, "http:8081", enter, enter, enter, enter, enter)
	tm.answer("Health gates for server", "n")
	tm.answer("Another node type?", "n")
	tm.answer("need outside systems", "y")
	tm.answer("Dependency 1: name", "postgres", enter)
	tm.answer("Field 1 of postgres", "password", enter, down, down, down, enter, "PG_PASSWORD", enter)
	tm.answer("Another field of postgres?", "n")
	tm.answer("Another dependency?", "n")
	tm.answer("Deployment order", clearLine, "server, broker", enter)
	tm.answer("Install node types", enter, enter, enter)
	tm.answer("Write the description and render the project?", "y")
	tm.waitFor("Next: cd")

	if err := tm.exited(done); err != nil {
		t.Fatalf("dsoi-gen failed: %v\n%s", err, sc.plain())
	}
	project := filepath.Join(dir, "demo-operator")
	checkDemo(t, filepath.Join(dir, "dsoi.yaml"), project)
	buildProject(t, project)
}
