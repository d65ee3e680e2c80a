package scaffold

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/templates"
)

func loadExample(t testing.TB, name string) *model.Application {
	t.Helper()
	app, err := examples.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestRenderIsDeterministic(t *testing.T) {
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			first, err := Render(loadExample(t, name), Options{GeneratorVersion: "test"})
			if err != nil {
				t.Fatal(err)
			}
			// Nothing from the environment may leak into the output.
			t.Setenv("HOME", "/elsewhere")
			t.Setenv("USER", "someone-else")
			t.Setenv("TZ", "Asia/Tokyo")
			for i := 0; i < 3; i++ {
				again, err := Render(loadExample(t, name), Options{GeneratorVersion: "test"})
				if err != nil {
					t.Fatal(err)
				}
				if len(again) != len(first) {
					t.Fatalf("render %d gave %d files, first gave %d", i, len(again), len(first))
				}
				for p, data := range first {
					if !bytes.Equal(again[p], data) {
						t.Fatalf("render %d: %s differs", i, p)
					}
				}
			}
		})
	}
}

// Renders may run from several goroutines at once (a server, a test suite in parallel): they
// share the parsed templates and nothing else. `make test` runs this under the race detector.
func TestRenderConcurrently(t *testing.T) {
	// Start from an unparsed template set, so the goroutines race to parse it too.
	builtIn = sync.OnceValues(func() (*engine, error) { return parseTemplates(templates.Project) })
	names := examples.Names()
	got := make([][]Tree, 4)
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(names))
	for i := range got {
		got[i] = make([]Tree, len(names))
		for j, name := range names {
			app := loadExample(t, name)
			wg.Go(func() {
				tree, err := Render(app, Options{GeneratorVersion: "test"})
				if err != nil {
					errs <- err
				}
				got[i][j] = tree
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for j, name := range names {
		want, err := Render(loadExample(t, name), Options{GeneratorVersion: "test"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if diffs := treeDiffs(got[i][j], want); len(diffs) > 0 {
				t.Errorf("%s: %v differ from the render made alone", name, diffs)
			}
		}
	}
}

// User strings are data: even text that looks like a template must come out literally.
// (Validation rejects "{{" in descriptions; this checks the engine would not execute it anyway.)
func TestUserTextIsNeverExecuted(t *testing.T) {
	app := loadExample(t, "pinot")
	app.Spec.ConfigFiles[0].Default = "controller.port={{ .Kind }}{{ env \"HOME\" }}\n"
	app.Spec.NodeTypes[0].Image = "apachepinot/pinot:{{ .Version }}"
	tree, err := Render(app, Options{GeneratorVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sample := string(tree["config/samples/v1beta1_pinot.yaml"])
	for _, want := range []string{`controller.port={{ .Kind }}{{ env "HOME" }}`, `apachepinot/pinot:{{ .Version }}`} {
		if !strings.Contains(sample, want) {
			t.Errorf("sample CR does not hold %q literally", want)
		}
	}
	if !strings.Contains(string(tree["internal/controller/pinot_controller.go"]), `controller.port={{ .Kind }}`) {
		t.Errorf("controller does not hold the default config literally")
	}
}

func TestTemplatesCannotReadTheEnvironment(t *testing.T) {
	f := funcs()
	for _, name := range []string{"env", "expandenv", "now", "randAlphaNum", "uuidv4"} {
		if _, ok := f[name]; ok {
			t.Errorf("template function %q is available; output would depend on the machine or the clock", name)
		}
	}
}

func TestRenderedProjectLayout(t *testing.T) {
	tree, err := Render(loadExample(t, "druid"), Options{GeneratorVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"PROJECT", "Makefile", "Dockerfile", "README.md", "go.mod", "dsoi.yaml", "hack/boilerplate.go.txt",
		"cmd/main.go", "api/v1alpha1/groupversion_info.go", "api/v1alpha1/druid_types.go",
		"internal/controller/druid_controller.go", "internal/controller/druid_controller_test.go",
		"internal/controller/suite_test.go", "internal/dsoi/apply.go",
		"config/crd/kustomization.yaml", "config/rbac/kustomization.yaml", "config/manager/manager.yaml",
		"config/default/kustomization.yaml", "config/samples/v1alpha1_druid.yaml",
	} {
		if _, ok := tree[p]; !ok {
			t.Errorf("missing %s", p)
		}
	}
	for p := range tree {
		if strings.HasSuffix(p, "_test.go") && strings.HasPrefix(p, RuntimeDir) {
			t.Errorf("%s: the runtime's own tests stay in dsoi-gen", p)
		}
	}
	types := string(tree["api/v1alpha1/druid_types.go"])
	for _, want := range []string{
		"MiddleManager", "DruidConfig []DruidConfig `json:\"druidConfig,omitempty\"`",
		"ClusterConfig DruidClusterConfig", "corev1.SecretKeySelector", "+kubebuilder:validation:XValidation",
	} {
		if !strings.Contains(types, want) {
			t.Errorf("druid_types.go lacks %q", want)
		}
	}
	if strings.Contains(types, "2026") || strings.Contains(types, "Copyright 20") {
		t.Errorf("license header carries a year; output would change every January")
	}
}

func TestFormatReportsTheFileAndSource(t *testing.T) {
	err := formatTree(Tree{"internal/broken.go": []byte("package x\nfunc {\n")})
	if err == nil || !strings.Contains(err.Error(), "internal/broken.go") || !strings.Contains(err.Error(), "   2  func {") {
		t.Fatalf("got %v, want an error naming the file and showing numbered source", err)
	}
	err = formatTree(Tree{"config/x.yaml": []byte("a: [\n")})
	if err == nil || !strings.Contains(err.Error(), "config/x.yaml") {
		t.Fatalf("got %v, want an error naming the YAML file", err)
	}
}

func TestPlural(t *testing.T) {
	for in, want := range map[string]string{"pinot": "pinots", "druid": "druids", "kafkaproxy": "kafkaproxies", "gateway": "gateways", "bus": "buses", "match": "matches"} {
		if got := plural(in); got != want {
			t.Errorf("plural(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestYAMLBlockRoundTrips(t *testing.T) {
	for _, s := range []string{"a=1\nb=2\n", "no newline", " leading space\n", "trailing space \n", "tab\there\n", "two\n\n", "", "x\n\ny\n"} {
		got := yamlBlock(2, s)
		doc := "k: " + got + "\n"
		var v struct{ K string }
		if err := yamlUnmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, doc)
		}
		if v.K != s {
			t.Errorf("yamlBlock(%q) reads back as %q:\n%s", s, v.K, doc)
		}
	}
}

// syntheticApp is a description with n StatefulSet node types, each with a port, a volume
// and a config file, for benchmarks of how cost grows with size.
func syntheticApp(t testing.TB, n int) *model.Application {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: dsoi-gen/v1alpha1\nkind: Application\nmetadata: {name: synth}\nspec:\n")
	b.WriteString("  operator: {repo: github.com/acme/synth-operator, domain: example.com, version: v1, kind: Synth}\n  nodeTypes:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    - {name: node%d, workload: StatefulSet, image: \"acme/synth:1\", ports: [{name: http, port: 8080}], storage: [{name: data, mountPath: /data, size: 1Gi}], configFiles: [conf%d]}\n", i, i)
	}
	b.WriteString("  dependencies: [{name: zookeeper, fields: [{name: address, type: string, env: ZK}]}]\n  configFiles:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    - {name: conf%d, fileName: node.properties, mountPath: /conf, default: \"port=8080\\n\"}\n", i)
	}
	b.WriteString("  deploymentOrder: [")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "node%d", i)
	}
	b.WriteString("]\n")
	app, err := model.Load("synthetic.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestSyntheticDescriptionsRender(t *testing.T) {
	tree, err := Render(syntheticApp(t, 10), Options{GeneratorVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tree["api/v1/synth_types.go"]), "SynthNodeTypeNode9") {
		t.Errorf("node type 9 missing from the API")
	}
}

// BenchmarkRender measures a whole in-memory render (templates, formatting, runtime copy),
// everything but the derived files (go mod tidy, controller-gen). Target: pinot well under
// 50 ms, growing linearly with node types.
func BenchmarkRender(b *testing.B) {
	cases := map[string]*model.Application{}
	var names []string
	for _, name := range examples.Names() {
		cases[name] = loadExample(b, name)
		names = append(names, name)
	}
	for _, n := range []int{10, 50, 200} {
		name := fmt.Sprintf("synthetic-%03d-node-types", n)
		cases[name] = syntheticApp(b, n)
		names = append(names, name)
	}
	if _, err := loadEngine(nil); err != nil {
		b.Fatal(err)
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(cases[name], Options{GeneratorVersion: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func yamlUnmarshal(data []byte, v any) error { return sigsyaml.UnmarshalStrict(data, v) }

// TestAutoscalingOnlyWhenAsked: the pinot example asks for the DSOI level 2 API and gets its
// types, controller, tests, sample, runtime code and registration; the others render no
// autoscaling code at all.
func TestAutoscalingOnlyWhenAsked(t *testing.T) {
	for _, name := range []string{"pinot", "druid", "parseable"} {
		app := loadExample(t, name)
		tree, err := Render(app, Options{GeneratorVersion: "test"})
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, p := range tree.Paths() {
			if strings.Contains(strings.ToLower(p), "autoscal") || (strings.HasSuffix(p, ".go") && bytes.Contains(tree[p], []byte("Autoscaling"))) {
				found = append(found, p)
			}
		}
		if !app.Spec.Autoscaling {
			if len(found) > 0 {
				t.Errorf("%s has no autoscaling, but renders autoscaling code in %v", name, found)
			}
			continue
		}
		want := []string{"api/v1beta1/pinot_autoscaling_types.go", "cmd/main.go", "config/samples/v1beta1_pinotautoscaling.yaml",
			"internal/controller/pinot_autoscaling_controller.go", "internal/controller/pinot_autoscaling_controller_test.go", "internal/dsoi/autoscale.go"}
		for _, p := range want {
			if !slices.Contains(found, p) {
				t.Errorf("%s asks for autoscaling but %s is missing or says nothing of it (found %v)", name, p, found)
			}
		}
	}
}
