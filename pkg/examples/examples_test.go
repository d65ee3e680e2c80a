package examples_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

func TestNames(t *testing.T) {
	names := examples.Names()
	for _, want := range []string{"druid", "parseable", "pinot"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, missing %s", names, want)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
	if _, _, err := examples.Get("nope"); err == nil {
		t.Errorf("Get of an unknown example gave no error")
	}
}

// Every built-in example must be a valid description.
func TestExamplesLoad(t *testing.T) {
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			app, err := examples.Load(name)
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			if app.Metadata.Name != name {
				t.Errorf("metadata.name = %q, want %q", app.Metadata.Name, name)
			}
		})
	}
}

func load(t *testing.T, name string) *model.Application {
	t.Helper()
	app, err := examples.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestDruid(t *testing.T) {
	app := load(t, "druid")
	ports := map[string]int32{}
	workloads := map[string]string{}
	for _, nt := range app.Spec.NodeTypes {
		ports[nt.Name] = nt.Ports[0].Port
		workloads[nt.Name] = nt.Workload
		if nt.Image != "apache/druid:33.0.0" {
			t.Errorf("%s image = %s", nt.Name, nt.Image)
		}
		if len(nt.Args) != 1 || nt.Args[0] != nt.Name {
			t.Errorf("%s args = %v, want [%s]", nt.Name, nt.Args, nt.Name)
		}
		if len(nt.ConfigFiles) != 4 || nt.ConfigFiles[0] != "common-runtime" {
			t.Errorf("%s config files = %v", nt.Name, nt.ConfigFiles)
		}
	}
	wantPorts := map[string]int32{"coordinator": 8081, "broker": 8082, "historical": 8083, "overlord": 8090, "middleManager": 8091, "router": 8888}
	for name, port := range wantPorts {
		if ports[name] != port {
			t.Errorf("%s port = %d, want %d", name, ports[name], port)
		}
	}
	if workloads["historical"] != model.StatefulSet || workloads["middleManager"] != model.StatefulSet || workloads["broker"] != model.Deployment {
		t.Errorf("workloads = %v", workloads)
	}
	gates := map[string]string{}
	for _, nt := range app.Spec.NodeTypes {
		for _, g := range nt.HealthGates {
			gates[nt.Name] += g.Path + " " + g.Condition
		}
		if (nt.MinReplicas != nil) != (nt.Name == "historical") {
			t.Errorf("%s minReplicas = %v", nt.Name, nt.MinReplicas)
		}
	}
	for name, gate := range map[string]string{
		"historical":    "/druid/historical/v1/loadstatus body.cacheInitialized == true",
		"broker":        "/druid/broker/v1/loadstatus body.inventoryInitialized == true",
		"coordinator":   "/status/selfDiscovered/status body.selfDiscovered == true",
		"overlord":      "/status/selfDiscovered/status body.selfDiscovered == true",
		"middleManager": "/status/selfDiscovered/status body.selfDiscovered == true",
		"router":        "/status/selfDiscovered/status body.selfDiscovered == true",
	} {
		if gates[name] != gate {
			t.Errorf("%s health gates = %q, want %q", name, gates[name], gate)
		}
	}
	want := []string{"historical", "overlord", "middleManager", "broker", "coordinator", "router"}
	if !slices.Equal(app.Spec.DeploymentOrder, want) {
		t.Errorf("deploymentOrder = %v, want %v", app.Spec.DeploymentOrder, want)
	}
	formats := map[string]string{}
	for _, cf := range app.Spec.ConfigFiles {
		formats[cf.FileName] = cf.Format
		if cf.Name == "common-runtime" && cf.Scope != model.ScopeCluster {
			t.Errorf("common.runtime.properties scope = %s", cf.Scope)
		}
	}
	if formats["jvm.config"] != model.FormatText || formats["log4j2.xml"] != model.FormatXML || formats["runtime.properties"] != model.FormatProperties {
		t.Errorf("formats = %v", formats)
	}
}

func TestParseable(t *testing.T) {
	app := load(t, "parseable")
	if len(app.Spec.NodeTypes) != 1 || len(app.Spec.ConfigFiles) != 0 {
		t.Fatalf("want one node type and no config files: %+v", app.Spec)
	}
	server := app.Spec.NodeTypes[0]
	if server.Name != "server" || server.Workload != model.Deployment || server.Ports[0].Port != 8000 || len(server.Storage) != 2 || len(server.HealthGates) != 0 {
		t.Errorf("server = %+v", server)
	}
	var envs []string
	for _, dep := range app.Spec.Dependencies {
		for _, f := range dep.Fields {
			envs = append(envs, f.Env)
		}
	}
	want := []string{"P_S3_URL", "P_S3_BUCKET", "P_S3_REGION", "P_S3_ACCESS_KEY", "P_S3_SECRET_KEY", "P_USERNAME", "P_PASSWORD"}
	if !slices.Equal(envs, want) {
		t.Errorf("dependency envs = %v, want %v", envs, want)
	}
}

func TestPinot(t *testing.T) {
	app := load(t, "pinot")
	gates := map[string]string{}
	for _, nt := range app.Spec.NodeTypes {
		for _, g := range nt.HealthGates {
			port := map[string]int32{}
			for _, p := range nt.Ports {
				port[p.Name] = p.Port
			}
			gates[nt.Name] += fmt.Sprintf("%s %d%s", g.Target, port[g.Port], g.Path)
		}
	}
	want := map[string]string{"controller": "pod 9000/health", "broker": "pod 8099/health", "server": "pod 8097/health/readiness"}
	if !maps.Equal(gates, want) {
		t.Errorf("health gates = %v, want %v", gates, want)
	}
}
