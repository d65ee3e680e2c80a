package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes dsoi-gen in-process with args and returns its output and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExamplesAndExample(t *testing.T) {
	out, err := run(t, "examples")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"druid", "parseable", "pinot"} {
		if !strings.Contains(out, name) {
			t.Errorf("examples output lacks %s:\n%s", name, out)
		}
	}
	out, err = run(t, "example", "druid")
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, t.TempDir(), "druid.yaml", out)
	if out, err := run(t, "validate", file); err != nil || !strings.Contains(out, "valid") {
		t.Fatalf("the printed example does not validate: %v\n%s", err, out)
	}
	if _, err := run(t, "example", "kafka"); err == nil || !strings.Contains(err.Error(), "known: druid, parseable, pinot") {
		t.Fatalf("unknown example: got %v, want the list of known ones", err)
	}
}

func TestSchemaIsJSON(t *testing.T) {
	out, err := run(t, "schema")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(out), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if !strings.Contains(out, "StatefulSet") || !strings.Contains(out, "deploymentOrder") {
		t.Errorf("schema lacks the workload enum or deploymentOrder")
	}
}

func TestValidateReportsFileLineAndField(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "bad.yaml", `apiVersion: dsoi-gen/v1alpha1
kind: Application
metadata: {name: demo}
spec:
  operator: {repo: github.com/acme/demo, domain: example.com, version: v1, kind: Demo}
  nodeTypes:
    - {name: a, workload: statefulset, image: x}
  deploymentOrder: [a, b]
`)
	_, err := run(t, "validate", file)
	if err == nil {
		t.Fatal("a bad description validated")
	}
	msg := err.Error()
	for _, want := range []string{file + ":7: spec.nodeTypes[0].workload", `did you mean "StatefulSet"`, file + `:8: spec.deploymentOrder[1]: unknown node type "b"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestInitWritesNothingOnBadInput(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "bad.yaml", "apiVersion: dsoi-gen/v1alpha1\nkind: Application\nmetadata: {name: demo}\nspec: {bogus: 1}\n")
	target := filepath.Join(dir, "out")
	if _, err := run(t, "init", "--app", file, target); err == nil {
		t.Fatal("init accepted a bad description")
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("init created %s although the description was bad (stat: %v)", target, err)
	}
	if _, err := run(t, "init", "--app", file, "--example", "pinot", target); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("--app with --example: got %v", err)
	}
	if _, err := run(t, "init", target); err == nil || !strings.Contains(err.Error(), "--app FILE or --example NAME") {
		t.Fatalf("no description: got %v", err)
	}
}

func TestInitRefusesANonEmptyFolder(t *testing.T) {
	target := t.TempDir()
	mine := writeFile(t, target, "main.go", "package main // mine\n")
	_, err := run(t, "init", "--example", "pinot", target)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("got %v, want a refusal that mentions --force", err)
	}
	if data, _ := os.ReadFile(mine); string(data) != "package main // mine\n" {
		t.Fatalf("the user's file changed: %q", data)
	}
}

func TestInitRendersTheExample(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy and controller-gen")
	}
	target := filepath.Join(t.TempDir(), "pinot-operator")
	out, err := run(t, "init", "--example", "pinot", target)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, p := range []string{"go.sum", "api/v1beta1/zz_generated.deepcopy.go", "config/crd/bases/datainfra.io_pinots.yaml", "config/rbac/role.yaml", "PROJECT"} {
		if _, err := os.Stat(filepath.Join(target, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	if !strings.Contains(out, "make test") {
		t.Errorf("init does not say what to do next:\n%s", out)
	}
}
