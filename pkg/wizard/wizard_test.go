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
      minReplicas: 2
      healthGates: [{name: ready, port: admin, path: /health, condition: body.loaded == true, healthyAnswer: '{"loaded": true}'}]
      decommission: {port: http, start: {path: /drain}, check: {path: /drain/status, condition: size(body.tasks) == 0, drainedAnswer: '{"tasks": []}'}}
      claimRetention: {whenScaled: Delete}
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
	answers := strings.TrimSuffix(strings.Replace(demoAnswers(t), "3\n2\nbroker-config\n", "3\n2\n\n", 1), "\n")
	fix := "4\n" + // the step menu: Config files first, then Application name, Operator, Node types
		strings.Repeat("\n", 7) + "broker-config\n" + // broker again, now mounting broker-config
		strings.Repeat("\n", 7) + // its health gate as before
		strings.Repeat("\n", 8) + // its decommission and claim retention as before
		"\n" + // another node type: yes, as before
		strings.Repeat("\n", 10) // server as before
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

// A floor above the replicas, a path that is not absolute, a condition that does not
// compile, a healthy or drained answer the condition is false on and a gate name already
// taken are refused with the rules of validate, and asked again.
func TestInvalidGateAnswersAreReasked(t *testing.T) {
	answers := demoAnswers(t)
	for _, r := range []struct{ old, new string }{
		{"3\n2\nbroker-config\n", "3\n4\n2\nbroker-config\n"},
		{"/health\nbody.loaded == true\n{\"loaded\": true}\n\n", "health\n/health\nbody..loaded\nbody.loaded == true\n{\"loaded\": false}\n{\"loaded\": true}\n" +
			"y\nready\nlive\n1\n/live\n\n\n"},
		{"/drain/status\nsize(body.tasks) == 0\n{\"tasks\": []}\n", "/drain/status\nsize(body.tasks) == 0\n{\"tasks\": [\"t1\"]}\n{\"tasks\": []}\n"},
	} {
		if strings.Count(answers, r.old) != 1 {
			t.Fatalf("%q is not once in the answers", r.old)
		}
		answers = strings.Replace(answers, r.old, r.new, 1)
	}
	app, out, err := session(t, answers, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, msg := range []string{
		"minReplicas 4 is above replicas 3",
		`invalid path "health": must start with /`,
		`invalid condition "body..loaded": ERROR: <input>:1:6: Syntax error: no viable alternative at input '..'`,
		`duplicate health gate "ready"`,
		"the gate fails on its own healthy answer: condition body.loaded == true is false",
		"the check fails on its own drained answer: condition size(body.tasks) == 0 is false",
	} {
		if !strings.Contains(out, msg) {
			t.Errorf("output lacks %q", msg)
		}
	}
	broker := loaded(t, app).Spec.NodeTypes[0]
	if *broker.MinReplicas != 2 || len(broker.HealthGates) != 2 {
		t.Fatalf("broker: minReplicas %v, gates %+v", broker.MinReplicas, broker.HealthGates)
	}
	live := broker.HealthGates[1]
	if live.Name != "live" || live.Port != "http" || live.Path != "/live" || live.Condition != "" || live.Target != model.GateTargetPod || live.Status != 200 {
		t.Errorf("second gate: %+v", live)
	}
	if !strings.Contains(Summary(app), "3 replica(s) (at least 2)") || !strings.Contains(Summary(app), "health gates ready (GET /health on admin), live (GET /live on http)") {
		t.Errorf("summary:\n%s", Summary(app))
	}
}
