package model

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDefault(t *testing.T) {
	app := &Application{Spec: Spec{
		NodeTypes: []NodeType{
			{Name: "a", Ports: []Port{{Name: "http", Port: 80}, {Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}}},
			{Name: "b"},
			{Name: "c", Service: &Service{}, Replicas: new(int32(3)), MinReplicas: new(int32(2)), HealthGates: []HealthGate{
				{Name: "g", Port: "http", Path: "/"},
				{Name: "h", Target: GateTargetService, Port: "http", Path: "/", Status: 204, IntervalSeconds: 30, TimeoutSeconds: 7, SuccessThreshold: 2},
			}},
		},
		ConfigFiles: []ConfigFile{
			{Name: "a", FileName: "a.properties"},
			{Name: "b", FileName: "b.conf", Scope: ScopeCluster},
			{Name: "c", FileName: "c.YML"},
			{Name: "d", FileName: "d.json"},
			{Name: "e", FileName: "log4j2.xml"},
			{Name: "f", FileName: "jvm.config"},
			{Name: "g", FileName: "README", Format: FormatYAML},
		},
	}}
	Default(app)
	once := deepCopy(t, app)
	Default(app)
	if !reflect.DeepEqual(app, once) {
		t.Errorf("Default is not idempotent")
	}
	spec := app.Spec
	if spec.Operator.License != LicenseApache2 || spec.Rollout.Install != Parallel || spec.Rollout.Upgrade != Ordered {
		t.Errorf("license and rollout: %+v %+v", spec.Operator, spec.Rollout)
	}
	var formats, scopes []string
	for _, cf := range spec.ConfigFiles {
		formats = append(formats, cf.Format)
		scopes = append(scopes, cf.Scope)
	}
	if want := []string{"properties", "properties", "yaml", "json", "xml", "text", "yaml"}; !reflect.DeepEqual(formats, want) {
		t.Errorf("formats = %v, want %v", formats, want)
	}
	if want := []string{"node", "cluster", "node", "node", "node", "node", "node"}; !reflect.DeepEqual(scopes, want) {
		t.Errorf("scopes = %v, want %v", scopes, want)
	}
	a, b, c := spec.NodeTypes[0], spec.NodeTypes[1], spec.NodeTypes[2]
	if a.Ports[0].Protocol != corev1.ProtocolTCP || a.Ports[1].Protocol != corev1.ProtocolUDP {
		t.Errorf("protocols: %+v", a.Ports)
	}
	if *a.Replicas != 1 || *b.Replicas != 1 || *c.Replicas != 3 {
		t.Errorf("replicas: %d %d %d", *a.Replicas, *b.Replicas, *c.Replicas)
	}
	if a.Service == nil || a.Service.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("a node type with ports gets a ClusterIP service, got %+v", a.Service)
	}
	if b.Service != nil {
		t.Errorf("a node type without ports gets no service, got %+v", b.Service)
	}
	if c.Service.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("a service without type gets ClusterIP, got %q", c.Service.Type)
	}
	if *c.MinReplicas != 2 || a.MinReplicas != nil {
		t.Errorf("minReplicas: %v %v, want 2 and no default", *c.MinReplicas, a.MinReplicas)
	}
	want := []HealthGate{
		{Name: "g", Target: GateTargetPod, Port: "http", Path: "/", Status: 200, IntervalSeconds: 10, TimeoutSeconds: 5, SuccessThreshold: 1},
		{Name: "h", Target: GateTargetService, Port: "http", Path: "/", Status: 204, IntervalSeconds: 30, TimeoutSeconds: 7, SuccessThreshold: 2},
	}
	if !reflect.DeepEqual(c.HealthGates, want) {
		t.Errorf("health gates:\n got %+v\nwant %+v", c.HealthGates, want)
	}
	Default(nil) // must not panic
}

func TestNormalize(t *testing.T) {
	app := &Application{Spec: Spec{
		NodeTypes: []NodeType{{
			Name:        "a",
			Command:     []string{},
			Ports:       []Port{},
			Probes:      &Probes{},
			Resources:   &corev1.ResourceRequirements{Limits: corev1.ResourceList{}},
			Env:         []corev1.EnvVar{{Name: "X"}},
			HealthGates: []HealthGate{},
		}},
		ConfigFiles:  []ConfigFile{},
		Dependencies: []Dependency{{Name: "d", Fields: []Field{}}},
	}}
	Normalize(app)
	nt := app.Spec.NodeTypes[0]
	if nt.Command != nil || nt.Ports != nil || nt.HealthGates != nil || nt.Probes != nil || nt.Resources != nil || app.Spec.ConfigFiles != nil || app.Spec.Dependencies[0].Fields != nil {
		t.Errorf("empty values left: %+v %+v", nt, app.Spec)
	}
	if len(nt.Env) != 1 {
		t.Errorf("non-empty list dropped")
	}
	Normalize(nil) // must not panic
}

func TestFormatFromFileName(t *testing.T) {
	tests := map[string]string{
		"runtime.properties": FormatProperties, "pinot.conf": FormatProperties,
		"a.yaml": FormatYAML, "a.yml": FormatYAML, "A.JSON": FormatJSON, "log4j2.xml": FormatXML,
		"jvm.config": FormatText, "Dockerfile": FormatText, "a.txt": FormatText, "": FormatText,
	}
	for in, want := range tests {
		if got := FormatFromFileName(in); got != want {
			t.Errorf("FormatFromFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func deepCopy(t *testing.T, app *Application) *Application {
	t.Helper()
	c := *app
	c.Spec.NodeTypes = append([]NodeType(nil), app.Spec.NodeTypes...)
	for i, nt := range c.Spec.NodeTypes {
		if nt.Service != nil {
			s := *nt.Service
			c.Spec.NodeTypes[i].Service = &s
		}
		r := *nt.Replicas
		c.Spec.NodeTypes[i].Replicas = &r
		c.Spec.NodeTypes[i].Ports = append([]Port(nil), nt.Ports...)
		c.Spec.NodeTypes[i].HealthGates = append([]HealthGate(nil), nt.HealthGates...)
		if nt.MinReplicas != nil {
			m := *nt.MinReplicas
			c.Spec.NodeTypes[i].MinReplicas = &m
		}
	}
	c.Spec.ConfigFiles = append([]ConfigFile(nil), app.Spec.ConfigFiles...)
	return &c
}
