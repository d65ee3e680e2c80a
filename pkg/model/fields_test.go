package model

import (
	"errors"
	"testing"
)

// TestFieldValidatorsAgreeWithLoad puts each bad value into the base description and
// checks that the per-field validator gives the very message Load reports at that field.
func TestFieldValidatorsAgreeWithLoad(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  edit
		check func() error
	}{
		{"metadata.name", edit{"name: demo\n", "name: Bad_Name\n"}, func() error { return ValidateName(AppName, "Bad_Name") }},
		{"metadata.name", edit{"name: demo\n", "name: 1demo\n"}, func() error { return ValidateName(AppName, "1demo") }},
		{"spec.nodeTypes[0].name", edit{"name: broker\n", "name: Broker\n"}, func() error { return ValidateName(NodeTypeName, "Broker") }},
		{"spec.nodeTypes[0].name", edit{"name: broker\n", "name: func\n"}, func() error { return ValidateName(NodeTypeName, "func") }},
		{"spec.dependencies[0].fields[0].name", edit{"name: zkAddress", "name: zk-address"}, func() error { return ValidateName(FieldName, "zk-address") }},
		{"spec.operator.repo", edit{"repo: github.com/acme/demo-operator", "repo: github.com/acme/demo operator"}, func() error { return ValidateRepo("github.com/acme/demo operator") }},
		{"spec.operator.domain", edit{"domain: example.com", "domain: localhost"}, func() error { return ValidateDomain("localhost") }},
		{"spec.operator.version", edit{"version: v1alpha1", "version: 1.0"}, func() error { return ValidateVersion("1.0") }},
		{"spec.operator.kind", edit{"kind: Demo", "kind: demo"}, func() error { return ValidateKind("demo") }},
		{"spec.operator.kind", edit{"kind: Demo", "kind: DemoList"}, func() error { return ValidateKind("DemoList") }},
		{"spec.operator.group", edit{"domain: example.com", "domain: example.com\n    group: Data"}, func() error { return ValidateGroup("Data", "example.com") }},
		{"spec.nodeTypes[0].image", edit{"image: demo/demo:1.0\n      ports:\n        - name: http\n          port: 8080", "image: demo demo\n      ports:\n        - name: http\n          port: 8080"}, func() error { return ValidateImage("demo demo") }},
		{"spec.nodeTypes[0].ports[0].name", edit{"name: http\n          port: 8080", "name: Http_Port\n          port: 8080"}, func() error { return ValidatePortName("Http_Port") }},
		{"spec.nodeTypes[0].ports[0].port", edit{"port: 8080", "port: 70000"}, func() error { return ValidatePort(70000) }},
		{"spec.nodeTypes[0].storage[0].size", edit{"size: 1Gi", "size: lots"}, func() error { return ValidateStorageSize("lots") }},
		{"spec.nodeTypes[0].storage[0].mountPath", edit{"mountPath: /var/demo/data", "mountPath: var/demo"}, func() error { return ValidateMountPath("var/demo") }},
		{"spec.nodeTypes[0].storage[0].name", edit{"name: data", "name: Data"}, func() error { return ValidateName(StorageName, "Data") }},
		{"spec.configFiles[0].mountPath", edit{"mountPath: /var/demo/conf", "mountPath: /var/demo/../conf"}, func() error { return ValidateMountPath("/var/demo/../conf") }},
		{"spec.configFiles[0].fileName", edit{"fileName: broker.conf", "fileName: conf/broker.conf"}, func() error { return ValidateFileName("conf/broker.conf") }},
		{"spec.dependencies[0].fields[0].env", edit{"env: ZK_ADDRESS", "env: 1ZK"}, func() error { return ValidateEnvName("1ZK") }},
		{"spec.displayName", edit{"spec:\n  operator:", "spec:\n  displayName: \"A\\nB\"\n  operator:"}, func() error { return ValidateDisplayName("A\nB") }},
		{"spec.nodeTypes[1].minReplicas", edit{"port: 9090\n", "port: 9090\n      minReplicas: 3\n"}, func() error { return ValidateMinReplicas(3, 1) }},
		{"spec.nodeTypes[1].minReplicas", edit{"port: 9090\n", "port: 9090\n      minReplicas: -2\n"}, func() error { return ValidateMinReplicas(-2, 1) }},
		{"spec.nodeTypes[1].healthGates[0].name", edit{"port: 9090\n", "port: 9090\n      healthGates: [{name: Ready, port: http, path: /}]\n"}, func() error { return ValidateGateName("Ready", nil) }},
		{"spec.nodeTypes[1].healthGates[1].name", edit{"port: 9090\n", "port: 9090\n      healthGates: [{name: a, port: http, path: /}, {name: a, port: http, path: /}]\n"}, func() error { return ValidateGateName("a", []string{"a"}) }},
		{"spec.nodeTypes[1].healthGates[0].path", edit{"port: 9090\n", "port: 9090\n      healthGates: [{name: ready, port: http, path: health}]\n"}, func() error { return ValidateGatePath("health") }},
		{"spec.nodeTypes[1].healthGates[0].path", edit{"port: 9090\n", "port: 9090\n      healthGates: [{name: ready, port: http, path: '/a b'}]\n"}, func() error { return ValidateGatePath("/a b") }},
		{"spec.nodeTypes[1].healthGates[0].condition", edit{"port: 9090\n", "port: 9090\n      healthGates: [{name: ready, port: http, path: /, condition: 'body..x'}]\n"}, func() error { return ValidateGateCondition("body..x") }},
		{"spec.nodeTypes[1].healthGates[0].condition", edit{"port: 9090\n", "port: 9090\n      healthGates: [{name: ready, port: http, path: /, condition: 'status'}]\n"}, func() error { return ValidateGateCondition("status") }},
	} {
		_, err := Load("demo.yaml", []byte(apply(t, base, []edit{c.edit})))
		var ps Problems
		if !errors.As(err, &ps) {
			t.Fatalf("%s: Load gave %v, want problems", c.field, err)
		}
		want := problemsError(ps, c.field)
		got := c.check()
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Errorf("%s:\n validator: %v\n      Load: %v (all: %v)", c.field, got, want, ps)
		}
	}
}

func TestFieldValidatorsAcceptGoodValues(t *testing.T) {
	for name, err := range map[string]error{
		"name":     ValidateName(NodeTypeName, "middleManager"),
		"repo":     ValidateRepo("github.com/acme/demo-operator"),
		"domain":   ValidateDomain("example.com"),
		"group":    ValidateGroup("", "example.com"),
		"version":  ValidateVersion("v1beta2"),
		"kind":     ValidateKind("Demo"),
		"image":    ValidateImage("apache/druid:33.0.0"),
		"port":     ValidatePort(8080),
		"portName": ValidatePortName("http"),
		"size":     ValidateStorageSize("1Gi"),
		"mount":    ValidateMountPath("/var/data"),
		"file":     ValidateFileName("app.properties"),
		"env":      ValidateEnvName(""),
		"example":  ValidateExample(FieldSecretRef, "demo-secret/password"),
		"default":  ValidateDefault(FormatYAML, "a: 1\n"),
		"order":    ValidateDeploymentOrder([]string{"b", "a"}, []string{"a", "b"}),
		"replicas": ValidateReplicas(3),
		"display":  ValidateDisplayName("Apache Demo"),
		"min":      ValidateMinReplicas(3, 3),
		"gate":     ValidateGateName("segments-loaded", []string{"ready"}),
		"gatePath": ValidateGatePath("/druid/coordinator/v1/loadqueue?simple"),
		"noCond":   ValidateGateCondition(""),
		"cond":     ValidateGateCondition("body.all(s, body[s].segmentsToLoad == 0)"),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := ValidateDeploymentOrder([]string{"a", "a"}, []string{"a", "b"}); err == nil ||
		err.Error() != `node type "a" is listed twice; missing node types: b (list every node type once)` {
		t.Errorf("order: %v", err)
	}
	if err := ValidateDefault(FormatJSON, "{"); err == nil {
		t.Error("bad JSON default accepted")
	}
	if err := ValidateExample(FieldInt, "x"); err == nil || err.Error() != `invalid example "x": must be an integer` {
		t.Errorf("example: %v", err)
	}
}
