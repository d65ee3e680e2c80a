package model

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestLoadBaseIsValid(t *testing.T) {
	app, err := Load("demo.yaml", []byte(base))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if app.Metadata.Name != "demo" || len(app.Spec.NodeTypes) != 2 || app.Spec.NodeTypes[0].Ports[0].Port != 8080 {
		t.Errorf("unexpected Application: %+v", app)
	}
}

// TestLoadSyntax covers section 1: YAML that cannot become an Application.
func TestLoadSyntax(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{
			name: "empty file",
			doc:  "",
			want: []string{"demo.yaml: the file is empty"},
		},
		{
			name: "blank file",
			doc:  "  \n\n\t\n",
			want: []string{"demo.yaml: the file is empty"},
		},
		{
			name: "only comments",
			doc:  "# nothing here\n# yet\n",
			want: []string{"demo.yaml: the file has no content, only comments"},
		},
		{
			name: "malformed YAML",
			doc:  "apiVersion: dsoi-gen/v1alpha1\nkind: Application\nmetadata:\n  name: demo\n   bad: value\n",
			want: []string{"demo.yaml:5: invalid YAML: mapping values are not allowed in this context"},
		},
		{
			name: "unclosed flow list",
			doc:  "apiVersion: dsoi-gen/v1alpha1\nspec:\n  deploymentOrder: [a, b\n",
			want: []string{"demo.yaml:3: invalid YAML: did not find expected ',' or ']'"},
		},
		{
			name: "tab indentation",
			doc:  "apiVersion: dsoi-gen/v1alpha1\nmetadata:\n\tname: demo\n",
			want: []string{"demo.yaml:3: invalid YAML: tabs are not allowed for indentation; use spaces"},
		},
		{
			name: "unknown anchor",
			doc:  "apiVersion: dsoi-gen/v1alpha1\nkind: *missing\n",
			want: []string{"demo.yaml:2: invalid YAML: alias *missing refers to no anchor &missing defined before it"},
		},
		{
			name: "two documents",
			doc:  base + "---\napiVersion: dsoi-gen/v1alpha1\n",
			want: []string{"demo.yaml:45: a second YAML document starts here; a file holds exactly one description"},
		},
		{
			name: "root is a list",
			doc:  "- apiVersion: dsoi-gen/v1alpha1\n",
			want: []string{"demo.yaml:1: expected a mapping with apiVersion, kind, metadata and spec, got a list"},
		},
		{
			name: "root is a string",
			doc:  "hello\n",
			want: []string{`demo.yaml:1: expected a mapping with apiVersion, kind, metadata and spec, got the string "hello"`},
		},
		{
			name: "too large",
			doc:  "# " + strings.Repeat("x", MaxFileSize) + "\n",
			want: []string{"demo.yaml: file is too large (1048579 bytes); a description may be at most 1 MiB"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, err := Load("demo.yaml", []byte(tc.doc))
			checkProblems(t, app, err, tc.want)
		})
	}
}

// TestLoadStrict covers the walk of the node tree: unknown fields, type mismatches and
// YAML features that have no place in a description. Each case edits base.
func TestLoadStrict(t *testing.T) {
	tests := []struct {
		name  string
		edits []edit
		want  []string
	}{
		{
			name:  "unknown field with suggestion",
			edits: []edit{{"    - name: server\n      workload: Deployment\n      image: demo/demo:1.0\n      ports:", "    - name: server\n      workload: Deployment\n      image: demo/demo:1.0\n      prots:"}},
			want:  []string{`demo.yaml:29: spec.nodeTypes[1].prots: unknown field "prots" (did you mean "ports"?)`},
		},
		{
			name:  "unknown field without suggestion lists the known fields",
			edits: []edit{{"  name: demo\n", "  name: demo\n  labels: {a: b}\n"}},
			want:  []string{`demo.yaml:5: metadata.labels: unknown field "labels" (known fields: name)`},
		},
		{
			name: "two unknown fields are two problems",
			edits: []edit{
				{"    domain: example.com", "    domian: example.com"},
				{"          size: 1Gi", "          sise: 1Gi"},
			},
			want: []string{
				`demo.yaml:8: spec.operator.domian: unknown field "domian" (did you mean "domain"?)`,
				`demo.yaml:21: spec.nodeTypes[0].storage[0].sise: unknown field "sise" (did you mean "size"?)`,
			},
		},
		{
			name:  "unknown field of a health gate",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      healthGates:\n        - name: ready\n          port: http\n          path: /health\n          intervalSecond: 5\n"}},
			want:  []string{`demo.yaml:36: spec.nodeTypes[1].healthGates[0].intervalSecond: unknown field "intervalSecond" (did you mean "intervalSeconds"?)`},
		},
		{
			name:  "field in the wrong case",
			edits: []edit{{"          mountPath: /var/demo/data", "          mountpath: /var/demo/data"}},
			want:  []string{`demo.yaml:20: spec.nodeTypes[0].storage[0].mountpath: unknown field "mountpath" (did you mean "mountPath"?)`},
		},
		{
			name:  "unknown field inside a Kubernetes type",
			edits: []edit{{"          value: -Xmx1g", "          valeu: -Xmx1g"}},
			want:  []string{`demo.yaml:25: spec.nodeTypes[0].env[0].valeu: unknown field "valeu" (did you mean "value"?)`},
		},
		{
			name:  "mapping where a list is expected",
			edits: []edit{{"configFiles: [broker-conf]", "configFiles: {name: broker-conf}"}},
			want:  []string{"demo.yaml:22: spec.nodeTypes[0].configFiles: expected a list, got a mapping"},
		},
		{
			name:  "list where a mapping is expected",
			edits: []edit{{"metadata:\n  name: demo", "metadata:\n  - name: demo"}},
			want:  []string{"demo.yaml:4: metadata: expected a mapping, got a list"},
		},
		{
			name:  "string where an integer is expected",
			edits: []edit{{"port: 8080", `port: "8080"`}},
			want:  []string{`demo.yaml:17: spec.nodeTypes[0].ports[0].port: expected an integer, got the string "8080"`},
		},
		{
			name:  "float where an integer is expected",
			edits: []edit{{"port: 8080", "port: 80.5"}},
			want:  []string{"demo.yaml:17: spec.nodeTypes[0].ports[0].port: expected an integer, got 80.5"},
		},
		{
			name:  "integer out of range",
			edits: []edit{{"port: 8080", "port: 99999999999"}},
			want:  []string{"demo.yaml:17: spec.nodeTypes[0].ports[0].port: integer 99999999999 is out of range"},
		},
		{
			name:  "list where a string is expected",
			edits: []edit{{"      image: demo/demo:1.0\n      ports:\n        - name: http\n          port: 9090", "      image: [demo]\n      ports:\n        - name: http\n          port: 9090"}},
			want:  []string{"demo.yaml:28: spec.nodeTypes[1].image: expected a string, got a list"},
		},
		{
			name:  "string where a boolean is expected",
			edits: []edit{{"      fields:", "      required: yes\n      fields:"}},
			want:  []string{`demo.yaml:34: spec.dependencies[0].required: expected true or false, got the string "yes"`},
		},
		{
			name:  "mapping where a string is expected",
			edits: []edit{{"  deploymentOrder: [broker, server]", "  deploymentOrder: [broker, {name: server}]"}},
			want:  []string{"demo.yaml:44: spec.deploymentOrder[1]: expected a string, got a mapping"},
		},
		{
			name:  "bad quantity",
			edits: []edit{{"          value: -Xmx1g\n", "          value: -Xmx1g\n      resources: {requests: {cpu: lots}}\n"}},
			want: []string{
				`demo.yaml:26: spec.nodeTypes[0].resources.requests.cpu: invalid quantity "lots": use a Kubernetes quantity such as 500m, 1Gi or 2`,
			},
		},
		{
			name:  "bad probe port",
			edits: []edit{{"          value: -Xmx1g\n", "          value: -Xmx1g\n      probes: {readiness: {httpGet: {port: [1]}}}\n"}},
			want:  []string{"demo.yaml:26: spec.nodeTypes[0].probes.readiness.httpGet.port: expected a single value, got a list"},
		},
		{
			name:  "field set twice",
			edits: []edit{{"      image: demo/demo:1.0\n      ports:\n        - name: http\n          port: 8080", "      image: demo/demo:1.0\n      image: demo/demo:2.0\n      ports:\n        - name: http\n          port: 8080"}},
			want:  []string{"demo.yaml:15: spec.nodeTypes[0].image: field is set twice (first at line 14)"},
		},
		{
			name:  "empty list entry",
			edits: []edit{{"      workload: Deployment\n", "      workload: Deployment\n      args:\n        -\n"}},
			want:  []string{"demo.yaml:29: spec.nodeTypes[1].args[0]: empty list entry"},
		},
		{
			name:  "merge key",
			edits: []edit{{"    - name: server\n      workload: Deployment\n", "    - <<: {name: server}\n      workload: Deployment\n"}},
			want: []string{
				"demo.yaml:26: spec.nodeTypes[1]: merge keys (<<) are not supported; write the fields out",
			},
		},
		{
			name:  "unsupported tag",
			edits: []edit{{"  name: demo", "  name: !!binary ZGVtbw=="}},
			want:  []string{"demo.yaml:4: metadata.name: unsupported YAML tag !!binary"},
		},
		{
			name:  "custom tag",
			edits: []edit{{"  name: demo", "  name: !secret demo"}},
			want:  []string{"demo.yaml:4: metadata.name: unsupported YAML tag !secret"},
		},
		{
			// No type of a description nests itself, so a loop ends in a mismatch.
			name:  "alias that contains itself",
			edits: []edit{{"      configFiles: [broker-conf]", "      args: &loop [a, *loop]\n      configFiles: [broker-conf]"}},
			want:  []string{"demo.yaml:22: spec.nodeTypes[0].args[1]: expected a string, got a list"},
		},
		{
			name:  "wrong apiVersion reports only the header",
			edits: []edit{{"apiVersion: dsoi-gen/v1alpha1", "apiVersion: apps/v1"}, {"    domain: example.com", "    domian: example.com"}},
			want:  []string{`demo.yaml:1: apiVersion: apiVersion "apps/v1" is not a dsoi-gen description (want "dsoi-gen/v1alpha1")`},
		},
		{
			name:  "wrong kind",
			edits: []edit{{"kind: Application", "kind: Deployment"}},
			want:  []string{`demo.yaml:2: kind: kind "Deployment" is not a dsoi-gen description (want "Application")`},
		},
		{
			name:  "missing apiVersion and kind",
			edits: []edit{{"apiVersion: dsoi-gen/v1alpha1\nkind: Application\n", ""}},
			want: []string{
				"demo.yaml:1: apiVersion: is required: dsoi-gen/v1alpha1",
				"demo.yaml:1: kind: is required: Application",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, err := Load("demo.yaml", []byte(apply(t, base, tc.edits)))
			checkProblems(t, app, err, tc.want)
		})
	}
}

func TestLoadAliases(t *testing.T) {
	t.Run("aliases are followed", func(t *testing.T) {
		doc := apply(t, base, []edit{
			{"          value: -Xmx1g\n", "          value: -Xmx1g\n      resources: &res {requests: {cpu: 500m}}\n"},
			{"          port: 9090\n", "          port: 9090\n      resources: *res\n"},
		})
		app, err := Load("demo.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := app.Spec.NodeTypes[1].Resources.Requests.Cpu().String(); got != "500m" {
			t.Errorf("cpu through the alias = %s, want 500m", got)
		}
	})
	t.Run("an alias bomb is refused", func(t *testing.T) {
		// 1000 node types of 1000 args each from about 10 KB of text.
		args := "&a x" + strings.Repeat(", *a", 999)
		nodes := "    - &n {name: bomb, workload: Deployment, image: x, args: [" + args + "]}\n" + strings.Repeat("    - *n\n", 999)
		doc := apply(t, base, []edit{{"  nodeTypes:\n", "  nodeTypes:\n" + nodes}})
		_, err := Load("demo.yaml", []byte(doc))
		checkProblems(t, nil, err, []string{
			"demo.yaml:12: spec.nodeTypes[49].args[869]: the description expands to too much data (more than 100000 YAML nodes or 16 MiB of text); are aliases repeating large parts?",
		})
	})
}

// loop is a type that contains itself, to reach the walker's guard against aliases
// that contain themselves.
type loop struct {
	Children []loop `json:"children"`
}

func TestWalkAliasLoop(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("children: &x [{children: *x}]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	w := newWalker()
	w.value(doc.Content[0], reflect.TypeFor[loop](), "")
	got := w.problems.Error()
	want := "line 1: children[0].children[0].children: alias *x refers to a value that contains it"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

func TestLoadReportsAllProblems(t *testing.T) {
	doc := apply(t, base, []edit{
		{"  name: demo", "  name: Demo"},
		{"    kind: Demo", "    kind: demo"},
		{"      workload: StatefulSet", "      workload: statefulset"},
		{"          port: 9090", "          port: 70000"},
		{"      mountPath: /var/demo/conf", "      mountPath: conf"},
		{"  deploymentOrder: [broker, server]", "  deploymentOrder: [broker]"},
	})
	app, err := Load("demo.yaml", []byte(doc))
	checkProblems(t, app, err, []string{
		`demo.yaml:4: metadata.name: invalid name "Demo": must be ` + dnsLabelRule,
		`demo.yaml:10: spec.operator.kind: invalid kind "demo": must be UpperCamelCase (a capital letter, then letters and digits), at most 63 characters`,
		`demo.yaml:13: spec.nodeTypes[0].workload: invalid workload "statefulset": must be StatefulSet or Deployment (did you mean "StatefulSet"?)`,
		"demo.yaml:31: spec.nodeTypes[1].ports[0].port: port 70000 is out of range 1-65535",
		`demo.yaml:41: spec.configFiles[0].mountPath: mount path "conf" must be absolute (start with /)`,
		"demo.yaml:44: spec.deploymentOrder: missing node types: server (list every node type once)",
	})
}

func TestLoadIsDeterministic(t *testing.T) {
	first, err := Load("demo.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	firstJSON, _ := json.Marshal(first)
	for range 5 {
		again, err := Load("demo.yaml", []byte(base))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("two loads of the same description differ")
		}
		if againJSON, _ := json.Marshal(again); string(againJSON) != string(firstJSON) {
			t.Fatalf("two loads marshal differently")
		}
	}
	// Problems come out in the same order every time too.
	bad := apply(t, base, []edit{{"  name: demo", "  name: Demo"}, {"    kind: Demo", "    kind: demoList"}, {"port: 8080", "port: 0"}})
	_, err1 := Load("demo.yaml", []byte(bad))
	_, err2 := Load("demo.yaml", []byte(bad))
	if err1 == nil || err1.Error() != err2.Error() {
		t.Errorf("problems differ between loads:\n%v\n--\n%v", err1, err2)
	}
}

func TestLoadEquivalentSpellings(t *testing.T) {
	// Empty lists, flow or block style, and explicit defaults give the same Application.
	a, err := Load("a.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	doc := apply(t, base, []edit{
		{"          port: 9090\n", "          port: 9090\n          protocol: TCP\n      command: []\n      service: {type: ClusterIP}\n      replicas: 1\n      probes: {}\n      healthGates: []\n"},
		{"      configFiles: [broker-conf]", "      configFiles:\n        - broker-conf"},
		{"  deploymentOrder: [broker, server]\n", "  deploymentOrder: [broker, server]\n  rollout: {install: parallel}\n"},
	})
	b, err := Load("b.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		aj, _ := json.Marshal(a)
		bj, _ := json.Marshal(b)
		t.Errorf("equivalent descriptions differ:\n%s\n%s", aj, bj)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("valid", func(t *testing.T) {
		app, err := LoadFile(write("demo.yaml", []byte(base)))
		if err != nil || app.Metadata.Name != "demo" {
			t.Fatalf("LoadFile = %v, %v", app, err)
		}
	})
	t.Run("problems name the file", func(t *testing.T) {
		p := write("bad.yaml", []byte(strings.Replace(base, "  name: demo", "  name: Demo", 1)))
		_, err := LoadFile(p)
		got := problemsOf(t, err)
		want := p + `:4: metadata.name: invalid name "Demo": must be ` + dnsLabelRule
		if len(got) != 1 || got[0] != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("10 MB file is refused before reading", func(t *testing.T) {
		p := write("big.yaml", nil)
		if err := os.Truncate(p, 10<<20); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(p)
		got := problemsOf(t, err)
		want := p + ": file is too large (10485760 bytes); a description may be at most 1 MiB"
		if len(got) != 1 || got[0] != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		p := write("empty.yaml", nil)
		_, err := LoadFile(p)
		got := problemsOf(t, err)
		if len(got) != 1 || got[0] != p+": the file is empty" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadFile(filepath.Join(dir, "missing.yaml"))
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
			t.Errorf("got %v, want a not-exist error naming the file", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := LoadFile(dir)
		got := problemsOf(t, err)
		if len(got) != 1 || got[0] != dir+": not a regular file" {
			t.Errorf("got %q", got)
		}
	})
}

// A health gate that leaves out its defaults is the gate that spells them out.
func TestLoadHealthGateDefaults(t *testing.T) {
	short, err := Load("a.yaml", []byte(apply(t, base, []edit{gates("        - {name: ready, port: http, path: /health}")})))
	if err != nil {
		t.Fatal(err)
	}
	long, err := Load("b.yaml", []byte(apply(t, base, []edit{gates(
		"        - {name: ready, port: http, path: /health, target: pod, status: 200, intervalSeconds: 10, timeoutSeconds: 5, successThreshold: 1}")})))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(short, long) {
		t.Errorf("defaults differ:\n%+v\n%+v", short.Spec.NodeTypes[1].HealthGates, long.Spec.NodeTypes[1].HealthGates)
	}
}
