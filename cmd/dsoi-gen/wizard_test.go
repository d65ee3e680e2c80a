package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// demoAnswers is a whole accessible session for the demo app (see pkg/wizard/testdata).
func demoAnswers(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "pkg", "wizard", "testdata", "demo.answers"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// runWithInput executes dsoi-gen in-process with answers on stdin.
func runWithInput(t *testing.T, input string, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetIn(strings.NewReader(input))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// checkDemo asserts the description the demo session writes and, unless short, builds the project.
func checkDemo(t *testing.T, file, project string) {
	t.Helper()
	app, err := model.LoadFile(file)
	if err != nil {
		t.Fatalf("the written description does not load: %v", err)
	}
	op, nodes := app.Spec.Operator, app.Spec.NodeTypes
	if app.Metadata.Name != "demo" || op.Kind != "Demo" || op.Repo != "github.com/acme/demo-operator" || op.Version != "v1alpha1" ||
		len(nodes) != 2 || nodes[0].Name != "broker" || nodes[0].Workload != model.StatefulSet || *nodes[0].Replicas != 3 ||
		nodes[0].MinReplicas == nil || *nodes[0].MinReplicas != 2 || nodes[1].MinReplicas != nil ||
		len(nodes[0].HealthGates) != 1 || nodes[0].HealthGates[0].Port != "admin" || nodes[0].HealthGates[0].Condition != "body.loaded == true" || len(nodes[1].HealthGates) != 0 ||
		nodes[0].Decommission == nil || nodes[0].Decommission.Start.Path != "/drain" || nodes[0].Decommission.Check.DrainedAnswer != `{"tasks": []}` || nodes[1].Decommission != nil ||
		nodes[0].ClaimRetention == nil || nodes[0].ClaimRetention.WhenScaled != model.ClaimDelete ||
		len(nodes[0].Ports) != 2 || nodes[0].Ports[1].Port != 9090 || nodes[0].Storage[0].MountPath != "/var/data" ||
		nodes[0].ConfigFiles[0] != "broker-config" || nodes[1].Workload != model.Deployment || nodes[1].Image != "demo/server:1.0" ||
		app.Spec.Dependencies[0].Fields[0].Type != model.FieldSecretRef || app.Spec.Dependencies[0].Fields[0].Env != "PG_PASSWORD" ||
		app.Spec.ConfigFiles[0].Default != "port=8080\nlog.level=info\n" || strings.Join(app.Spec.DeploymentOrder, ",") != "server,broker" {
		data, _ := os.ReadFile(file)
		t.Fatalf("unexpected description:\n%s", data)
	}
	for _, p := range []string{"go.sum", "PROJECT", "dsoi.yaml", "api/v1alpha1/zz_generated.deepcopy.go", "config/crd/bases/example.com_demos.yaml"} {
		if _, err := os.Stat(filepath.Join(project, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
}

// buildProject runs go build ./... in a rendered project.
func buildProject(t *testing.T, project string) {
	t.Helper()
	build := exec.Command("go", "build", "./...")
	build.Dir = project
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the project does not build: %v\n%s", err, out)
	}
}

func TestWizardAccessibleSession(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a project and builds it")
	}
	t.Setenv("USER", "acme")
	dir := t.TempDir()
	file, project := filepath.Join(dir, "demo.yaml"), filepath.Join(dir, "demo-operator")
	out, err := runWithInput(t, demoAnswers(t), "wizard", "--accessible", "--out", file, project)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	checkDemo(t, file, project)
	buildProject(t, project)

	// A second run does not replace the description without --force.
	out, err = runWithInput(t, demoAnswers(t), "wizard", "--accessible", "--out", file, filepath.Join(dir, "other"))
	if err == nil || !strings.Contains(err.Error(), "use --force") || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("got %v, want a refusal to replace %s\n%s", err, file, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "other")); !os.IsNotExist(err) {
		t.Errorf("the refused run rendered a project (stat: %v)", err)
	}
}

func TestWizardInvalidAnswerIsReasked(t *testing.T) {
	dir := t.TempDir()
	// Decline writing at the end: the session itself is what matters.
	answers := strings.TrimSuffix("Bad_Name\n"+demoAnswers(t), "\n") + "n\n"
	out, err := runWithInput(t, answers, "wizard", "--accessible", "--out", filepath.Join(dir, "d.yaml"), filepath.Join(dir, "p"))
	if err == nil || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("declining: got %v", err)
	}
	if !strings.Contains(out, `invalid name "Bad_Name": must be a DNS-1123 label`) || strings.Count(out, "Application name") != 2 {
		t.Fatalf("no message and second prompt:\n%s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("declined session wrote %v", entries)
	}
}

func TestWizardEndOfInputWritesNothing(t *testing.T) {
	dir := t.TempDir()
	answers := demoAnswers(t)
	_, err := runWithInput(t, answers[:len(answers)/2], "wizard", "--accessible", "--out", filepath.Join(dir, "d.yaml"), filepath.Join(dir, "p"))
	if err == nil || !strings.Contains(err.Error(), "input ended") || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("got %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("aborted session wrote %v", entries)
	}
}

func TestWizardNeedsATerminal(t *testing.T) {
	_, err := runWithInput(t, "", "wizard")
	if err == nil || err.Error() != needTerminal {
		t.Fatalf("got %v", err)
	}
	_, err = runWithInput(t, "", "init", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--app FILE") || !strings.Contains(err.Error(), "dsoi-gen wizard --accessible") {
		t.Fatalf("init without description: got %v", err)
	}
}
