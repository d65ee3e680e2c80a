package wizard

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// session runs the wizard in accessible mode on the given answers, one per line.
func session(t *testing.T, answers string, start *model.Application) (*model.Application, string, error) {
	t.Helper()
	var out strings.Builder
	app, err := Run(context.Background(), Options{In: strings.NewReader(answers), Out: &out, Accessible: true, Start: start, User: "acme"})
	return app, out.String(), err
}

func demoAnswers(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/demo.answers")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// DemoWant is what testdata/demo.answers describes, as Load returns it.
func demoWant(t *testing.T) *model.Application {
	t.Helper()
	app, err := model.Load("want.yaml", []byte(`apiVersion: dsoi-gen/v1alpha1
kind: Application
metadata: {name: demo}
spec:
  displayName: Demo
  operator: {repo: github.com/acme/demo-operator, domain: example.com, version: v1alpha1, kind: Demo}
  configFiles:
    - name: broker-config
      fileName: broker.properties
      mountPath: /opt/demo/conf
      default: "port=8080\nlog.level=info\n"
  nodeTypes:
    - name: broker
      workload: StatefulSet
      image: demo/broker:1.0
      ports: [{name: http, port: 8080}, {name: admin, port: 9090}]
      storage: [{name: data, mountPath: /var/data, size: 1Gi}]
      configFiles: [broker-config]
      replicas: 3
    - name: server
      workload: Deployment
      image: demo/server:1.0
      ports: [{name: http, port: 8081}]
  dependencies:
    - name: postgres
      fields: [{name: password, type: secretRef, env: PG_PASSWORD}]
  deploymentOrder: [server, broker]
`))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// loaded is app as its written description loads.
func loaded(t *testing.T, app *model.Application) *model.Application {
	t.Helper()
	data, err := Marshal(app)
	if err != nil {
		t.Fatal(err)
	}
	got, err := model.Load("dsoi.yaml", data)
	if err != nil {
		t.Fatalf("the description does not load: %v\n%s", err, data)
	}
	return got
}

func TestScriptedSession(t *testing.T) {
	// The last answer confirms writing, which the command asks, not Run.
	app, out, err := session(t, demoAnswers(t), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got, want := loaded(t, app), demoWant(t); !reflect.DeepEqual(got, want) {
		a, _ := Marshal(got)
		b, _ := Marshal(want)
		t.Fatalf("description:\n%s\nwant:\n%s", a, b)
	}
	for _, prompt := range []string{"Kind of the custom resource [Demo]:", "Deployment order (edit to reorder) [broker, server]:", "2. Deployment"} {
		if !strings.Contains(out, prompt) {
			t.Errorf("output lacks %q", prompt)
		}
	}
}

func TestInvalidAnswerIsReasked(t *testing.T) {
	_, out, err := session(t, "Bad_Name\n"+demoAnswers(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `invalid name "Bad_Name": must be a DNS-1123 label`
	if strings.Count(out, "Application name (such as pinot):") != 2 || !strings.Contains(out, want) {
		t.Fatalf("no message and second prompt:\n%s", out)
	}
}

func TestInputEndingAborts(t *testing.T) {
	answers := demoAnswers(t)
	app, _, err := session(t, answers[:len(answers)/2], nil)
	if !errors.Is(err, ErrInputEnded) || app != nil {
		t.Fatalf("got %v, %v; want ErrInputEnded", app, err)
	}
}

// Problems that only the whole description shows are listed, and the user picks the
// step to answer again.
func TestWholeDescriptionProblemsReaskAStep(t *testing.T) {
	// The config file is mounted by no node type: fix the node types (third choice).
	// Without the last answer, which confirms writing.
	answers := strings.TrimSuffix(strings.Replace(demoAnswers(t), "3\nbroker-config\n", "3\n\n", 1), "\n")
	fix := "4\n" + // the step menu: Config files first, then Application name, Operator, Node types
		"\n\n\n\n\n\nbroker-config\n\n" + // broker again, now mounting broker-config
		"\n\n\n\n\n\n\n\n" // server as before
	app, out, err := session(t, answers+fix, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, `spec.configFiles[0].name: config file "broker-config" is not listed by any node type`) {
		t.Errorf("problem not shown:\n%s", out)
	}
	if got, want := loaded(t, app), demoWant(t); !reflect.DeepEqual(got, want) {
		t.Errorf("after the fix the description differs")
	}
	// Abort from the menu.
	_, _, err = session(t, answers+"8\n", nil)
	if !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "not listed by any node type") {
		t.Errorf("abort: %v", err)
	}
}

// Starting from an example and accepting every answer gives the example back.
func TestEditKeepsTheExample(t *testing.T) {
	start, err := examples.Load("pinot")
	if err != nil {
		t.Fatal(err)
	}
	app, out, err := session(t, strings.Repeat("\n", 300), start)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(loaded(t, app), start) {
		t.Error("the description changed although every answer was accepted")
	}
}
