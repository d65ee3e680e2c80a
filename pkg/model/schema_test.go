package model

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSchema(t *testing.T) {
	out, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, []byte("}\n")) {
		t.Errorf("schema does not end in a newline")
	}
	again, _ := Schema()
	if !bytes.Equal(out, again) {
		t.Errorf("schema differs between calls")
	}
	var s struct {
		Schema string                    `json:"$schema"`
		Ref    string                    `json:"$ref"`
		Defs   map[string]map[string]any `json:"$defs"`
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.Ref != "#/$defs/Application" {
		t.Errorf("$schema = %q, $ref = %q", s.Schema, s.Ref)
	}

	enum := func(def, prop string) []string {
		t.Helper()
		props, _ := s.Defs[def]["properties"].(map[string]any)
		p, _ := props[prop].(map[string]any)
		var values []string
		for _, v := range p["enum"].([]any) {
			values = append(values, v.(string))
		}
		return values
	}
	enums := []struct {
		def, prop, want string
	}{
		{"Application", "apiVersion", "dsoi-gen/v1alpha1"},
		{"Application", "kind", "Application"},
		{"NodeType", "workload", "StatefulSet Deployment"},
		{"ConfigFile", "format", "properties yaml json xml text"},
		{"ConfigFile", "scope", "node cluster"},
		{"Field", "type", "string int bool secretRef"},
		{"Rollout", "install", "parallel ordered"},
		{"Rollout", "upgrade", "parallel ordered"},
		{"Operator", "license", "apache2 none"},
		{"Port", "protocol", "TCP UDP SCTP"},
		{"Service", "type", "ClusterIP NodePort LoadBalancer"},
		{"HealthGate", "target", "pod service"},
	}
	for _, e := range enums {
		if got := strings.Join(enum(e.def, e.prop), " "); got != e.want {
			t.Errorf("%s.%s enum = %q, want %q", e.def, e.prop, got, e.want)
		}
	}

	// Every object is closed and knows its required fields.
	for name, def := range s.Defs {
		if def["type"] == "object" && def["properties"] != nil && def["additionalProperties"] != false {
			t.Errorf("%s allows additional properties", name)
		}
	}
	required := func(def string) string {
		var r []string
		for _, v := range s.Defs[def]["required"].([]any) {
			r = append(r, v.(string))
		}
		return strings.Join(r, " ")
	}
	for def, want := range map[string]string{
		"Application": "apiVersion kind metadata spec",
		"Spec":        "operator nodeTypes deploymentOrder",
		"Operator":    "repo domain version kind",
		"NodeType":    "name workload image",
		"Field":       "name type",
		"ConfigFile":  "name fileName mountPath",
		"HealthGate":  "name port path",
	} {
		if got := required(def); got != want {
			t.Errorf("%s required = %q, want %q", def, got, want)
		}
	}

	// Descriptions come from the doc comments of types.go.
	if d := s.Defs["NodeType"]["description"]; d != "NodeType is one kind of process of the system (controller, broker, historical ...)." {
		t.Errorf("NodeType description = %q", d)
	}
	// Numbers carry their bounds and defaults.
	gate, _ := s.Defs["HealthGate"]["properties"].(map[string]any)
	for prop, want := range map[string][3]float64{
		"status": {100, 599, 200}, "intervalSeconds": {1, 3600, 10}, "timeoutSeconds": {1, 3600, 5}, "successThreshold": {1, 100, 1},
	} {
		p, _ := gate[prop].(map[string]any)
		if p["minimum"] != want[0] || p["maximum"] != want[1] || p["default"] != want[2] {
			t.Errorf("HealthGate.%s: minimum %v, maximum %v, default %v; want %v", prop, p["minimum"], p["maximum"], p["default"], want)
		}
	}
	nodeProps, _ := s.Defs["NodeType"]["properties"].(map[string]any)
	if p, _ := nodeProps["minReplicas"].(map[string]any); p["minimum"] != 1.0 || p["default"] != nil {
		t.Errorf("NodeType.minReplicas: %v", p)
	}
	// Quantities and int-or-string ports are values, not objects.
	if !strings.Contains(string(out), `"oneOf": [`) || strings.Contains(string(out), `"Quantity"`) || strings.Contains(string(out), `"IntOrString"`) {
		t.Errorf("quantities or int-or-string are not mapped to plain values")
	}
}
