package model

import (
	"errors"
	"strings"
	"testing"
)

// base is a small valid description; test cases edit it. Line numbers matter: the
// expected messages below refer to them.
const base = `apiVersion: dsoi-gen/v1alpha1
kind: Application
metadata:
  name: demo
spec:
  operator:
    repo: github.com/acme/demo-operator
    domain: example.com
    version: v1alpha1
    kind: Demo
  nodeTypes:
    - name: broker
      workload: StatefulSet
      image: demo/demo:1.0
      ports:
        - name: http
          port: 8080
      storage:
        - name: data
          mountPath: /var/demo/data
          size: 1Gi
      configFiles: [broker-conf]
      env:
        - name: JAVA_OPTS
          value: -Xmx1g
    - name: server
      workload: Deployment
      image: demo/demo:1.0
      ports:
        - name: http
          port: 9090
  dependencies:
    - name: zookeeper
      fields:
        - name: zkAddress
          type: string
          env: ZK_ADDRESS
  configFiles:
    - name: broker-conf
      fileName: broker.conf
      mountPath: /var/demo/conf
      default: |
        port=8080
  deploymentOrder: [broker, server]
`

// edit is a replacement of text in base; old must occur exactly once.
type edit struct{ old, new string }

func apply(t *testing.T, doc string, edits []edit) string {
	t.Helper()
	for _, e := range edits {
		if n := strings.Count(doc, e.old); n != 1 {
			t.Fatalf("edit %q: found %d times in the description, want exactly once", e.old, n)
		}
		doc = strings.Replace(doc, e.old, e.new, 1)
	}
	return doc
}

// problemsOf returns the problems of a Load error as strings, failing on any other error.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, want Problems: %v", err, err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}

// checkProblems compares the problems of a Load with the expected ones, in order.
func checkProblems(t *testing.T, app *Application, err error, want []string) {
	t.Helper()
	got := problemsOf(t, err)
	if len(want) > 0 && app != nil {
		t.Errorf("Load returned an Application along with problems")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}
