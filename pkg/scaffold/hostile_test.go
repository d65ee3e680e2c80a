package scaffold

import (
	"bytes"
	"context"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/net/html"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// hostileLines each break some target a description's text lands in, unless it is escaped
// for that target: Go comments and string literals, YAML, JSON, Markdown, Makefiles,
// template syntax and controller-gen markers.
var hostileLines = []string{
	`--format={{.Name}} {{ template "x" . }} }}{{- end -}} {{/* c */}}`,
	"*/ package main /* //go:generate rm -rf / // +kubebuilder:object:root=true",
	"`backtick` ``two`` ```three``` \"double\" 'single' \\backslash\\ \\n \\\" \\u0041",
	`$(shell id) $$HOME ${VAR} $VAR % %s %d %!v %%`,
	`key: value # comment & *alias !tag @at {a: b} [x] - y ? z > f | l`,
	"| pipe | <b>html</b> <!-- c --> [link](x) *em* _u_ ~s~ # h \\| &amp; &#42;",
	"tab\there, Ünïcødé 数据 🚀, no\u00a0break space, zero\u200bwidth",
}

// hostileBlock is multi-line text: indentation, blank lines, YAML document markers, the
// Unicode line and paragraph separators, a txtar file marker and a trailing newline.
var hostileBlock = strings.Join(hostileLines, "\n") +
	"\n  indented: yes # not a comment\n\n...\n  ---\n\tafter a tab\nls\u2028ps\u2029end\n-- main.go --\n" +
	strings.Repeat("long/{{.}}/", 500) + "\n"

// hostileValue is hostileBlock with what values may hold and descriptions, which become Go
// doc comments and CRD descriptions, may not: carriage returns and other control
// characters (NEL, which YAML 1.1 reads as a line break, among them), a byte order mark,
// and lines starting with "---", "TODO" or "+".
var hostileValue = "crlf\r\n---\nTODO: x\n+kubebuilder:validation:Optional\nnel\u0085 \x01\x1b[31m\x7f\ufeff\n" + hostileBlock + "cr\r"

// hostileApp is the druid example with hostile text in every free-text field of the description.
func hostileApp(t testing.TB) *model.Application {
	t.Helper()
	app, err := examples.Load("druid")
	if err != nil {
		t.Fatal(err)
	}
	oneLine := strings.Join(hostileLines, " ")
	s := &app.Spec
	s.DisplayName = oneLine
	s.Operator.Owner = strings.ReplaceAll(oneLine, "*/", "* /") // "*/" can never be in a /* */ header
	for i := range s.NodeTypes {
		nt := &s.NodeTypes[i]
		nt.Image = "registry.example.com/{{.Org}}/druid:`v`$(x)\"'#&*!%s|数据"
		nt.Command = append([]string{hostileValue}, hostileLines...)
		nt.Args = append(append([]string{}, hostileLines...), hostileValue, "")
		nt.Env = append(nt.Env, corev1.EnvVar{Name: "HOSTILE", Value: hostileValue}, corev1.EnvVar{Name: "HOSTILE_LINE", Value: hostileLines[0]})
		for j := range nt.HealthGates {
			g := &nt.HealthGates[j]
			g.Description = hostileBlock
			g.Path = "/status/`x`|{{y}}?a=$(b)&c='d'"
			g.Condition = `text == "{{ .x }} */ \"q\" $(id) 数据 ` + "`bt`" + `" || status == 599`
			g.HealthyAnswer = `{{ .x }} */ "q" $(id) 数据 ` + "`bt`"
		}
		if d := nt.Decommission; d != nil {
			d.Description = hostileBlock
			d.Start.Body = `{"reason": "{{ .Reason }} */ ` + "`bt`" + ` $(x) \"q\" 数据", "n": 1}`
			d.Start.Path = "/drain/``x``|{{y}}"
			d.Check.Condition = `body.msg == "{{x}} */ $$" || body.msg == "|"`
			d.Check.DrainedAnswer = `{"msg": "{{x}} */ $$"}`
		}
	}
	for i := range s.Dependencies {
		d := &s.Dependencies[i]
		d.Description = hostileBlock
		for j := range d.Fields {
			f := &d.Fields[j]
			f.Description = hostileBlock
			if f.Type == model.FieldString {
				f.Example = hostileValue
			}
		}
	}
	for i := range s.ConfigFiles {
		cf := &s.ConfigFiles[i]
		switch cf.Format {
		case model.FormatText:
			cf.Default = hostileValue
		case model.FormatProperties:
			cf.Default += "\nhostile.template={{ .Values.x }} `bt` $(x) */\nhostile.unicode=数据 🚀\n"
		case model.FormatYAML:
			cf.Default += "\nhostile:\n  template: '{{ .Labels.instance }} */ `bt` $(x)'\n  alert: \"{{ $value | humanize }}\"\n"
		case model.FormatJSON:
			cf.Default = `{"template": "{{ .Labels.instance }} */ ` + "`bt`" + ` $(x)", "list": [1, 2]}`
		}
	}
	// A plain text file, so that hostileBlock itself is a config default.
	s.ConfigFiles = append(s.ConfigFiles, model.ConfigFile{Name: "hostile", FileName: "hostile.txt", MountPath: "/opt/hostile `x` {{y}}", Format: model.FormatText, Default: hostileBlock})
	s.NodeTypes[0].ConfigFiles = append(s.NodeTypes[0].ConfigFiles, "hostile")
	model.Default(app)
	if ps := model.Validate(app); len(ps) > 0 {
		t.Fatalf("the hostile description is refused: %v", ps)
	}
	return app
}

// TestHostileTextComesOutEqual renders the hostile description and checks that each text
// comes out equal wherever it lands: the sample CR (YAML), the operator's Go string literals,
// its doc comments, the README (as rendered Markdown) and the recorded description.
func TestHostileTextComesOutEqual(t *testing.T) {
	app := hostileApp(t)
	tree, err := Render(app, Options{GeneratorVersion: "hostile"})
	if err != nil {
		t.Fatal(err)
	}
	checkRenderedTree(t, tree)
	rendered := map[string]bool{}
	for p := range tree {
		rendered[p] = true
	}
	if err := addRecord(maps.Clone(tree), rendered, "hostile"); err != nil {
		t.Errorf("the render cannot be recorded: %v", err)
	}

	recorded, err := model.Load(DescriptionFile, tree[DescriptionFile])
	if err != nil {
		t.Fatalf("the recorded description does not load: %v", err)
	}
	if !reflect.DeepEqual(recorded, app) {
		t.Error("the recorded description loads back different")
	}

	s := app.Spec
	var sampleText, goLiterals, goComments, readmeText []string
	for _, nt := range s.NodeTypes {
		sampleText = append(sampleText, nt.Image)
		sampleText = append(sampleText, nt.Command...)
		sampleText = append(sampleText, nt.Args...)
		for _, e := range nt.Env {
			sampleText = append(sampleText, e.Value)
		}
		for _, g := range nt.HealthGates {
			goLiterals = append(goLiterals, g.Path, g.Condition, g.HealthyAnswer)
			goComments = append(goComments, g.Description)
			readmeText = append(readmeText, g.Path, g.Condition)
		}
		if d := nt.Decommission; d != nil {
			goLiterals = append(goLiterals, d.Start.Body, d.Start.Path, d.Check.Path, d.Check.Condition, d.Check.DrainedAnswer)
			goComments = append(goComments, d.Description)
			readmeText = append(readmeText, d.Start.Path, d.Check.Path, d.Check.Condition)
		}
	}
	for _, d := range s.Dependencies {
		goComments = append(goComments, d.Description)
		readmeText = append(readmeText, d.Description)
		for _, f := range d.Fields {
			goComments = append(goComments, f.Description)
			readmeText = append(readmeText, f.Description)
			if f.Type == model.FieldString {
				sampleText = append(sampleText, f.Example)
			}
		}
	}
	for _, cf := range s.ConfigFiles {
		sampleText = append(sampleText, cf.Default)
		goLiterals = append(goLiterals, cf.Default, cf.MountPath)
		goComments = append(goComments, cf.MountPath)
		readmeText = append(readmeText, cf.MountPath)
	}
	goComments = append(goComments, s.DisplayName)
	readmeText = append(readmeText, s.DisplayName)

	sample := yamlStrings(t, tree["config/samples/v1alpha1_druid.yaml"])
	for _, want := range sampleText {
		if !sample[want] {
			t.Errorf("the sample CR does not hold %.80q", want)
		}
	}
	literals, comments := goText(t, tree)
	for _, want := range goLiterals {
		if !literals[want] {
			t.Errorf("no Go string literal holds %.80q", want)
		}
	}
	for _, want := range goComments {
		if !strings.Contains(comments, goDoc(want)) {
			t.Errorf("no Go comment holds %.80q", goDoc(want))
		}
	}
	readme := markdownText(t, tree["README.md"])
	for _, want := range readmeText {
		if !strings.Contains(readme, collapseSpace(want)) {
			t.Errorf("the README, rendered, does not show %.80q", collapseSpace(want))
		}
	}
	for _, p := range []string{"Makefile", "Dockerfile"} {
		for _, line := range hostileLines {
			if bytes.Contains(tree[p], []byte(line)) {
				t.Errorf("%s holds description text %q: nothing of a description should land there", p, line)
			}
		}
	}
}

// checkRenderedTree checks what every rendered tree must be: Go files gofmt-stable, YAML
// files parseable.
func checkRenderedTree(t *testing.T, tree Tree) {
	t.Helper()
	for _, p := range tree.Paths() {
		data := tree[p]
		switch {
		case strings.HasSuffix(p, ".go"):
			if formatted, err := format.Source(data); err != nil || !bytes.Equal(formatted, data) {
				t.Errorf("%s is not gofmt-stable (%v)", p, err)
			}
		case strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml"):
			if err := parseYAMLStream(data); err != nil {
				t.Errorf("%s does not parse: %v", p, err)
			}
		}
	}
}

// yamlStrings returns every string scalar of a YAML file, as parsed.
func yamlStrings(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			out[n.Value] = true
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return out
}

// goText returns the values of every string literal of the Go files and the text of all
// their comments, as go/ast reads them.
func goText(t *testing.T, tree Tree) (map[string]bool, string) {
	t.Helper()
	literals := map[string]bool{}
	var comments strings.Builder
	for _, p := range tree.Paths() {
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, tree[p], parser.ParseComments)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				literals[v] = true
			}
			return true
		})
		for _, c := range f.Comments {
			comments.WriteString(c.Text())
		}
	}
	return literals, comments.String()
}

// goDoc is what a Go comment (and so a CRD description) keeps of s: Go drops the spaces at
// the end of each line and repeated blank lines.
func goDoc(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	var out []string
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" && len(out) > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// markdownText renders Markdown (GitHub flavoured) to HTML and returns its text, with
// whitespace collapsed as a browser shows it.
func markdownText(t *testing.T, md []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(&out)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return collapseSpace(text.String())
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestHostileProjectBuilds generates the hostile description's project (controller-gen
// included), builds and vets it, checks that the CRD carries the descriptions, and runs the
// generated tests that install the sample CR and call the gates and drains with the
// hostile conditions and bodies against a real API server.
func TestHostileProjectBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy, controller-gen, go build and envtest")
	}
	app := hostileApp(t)
	tree, err := Generate(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(dir, tree, false); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("build", "./...")
	run("vet", "./...")

	crd := map[string]bool{}
	for _, p := range tree.Paths() {
		if strings.HasPrefix(p, "config/crd/bases/") {
			maps.Copy(crd, yamlStrings(t, tree[p]))
		}
	}
	for _, d := range app.Spec.Dependencies {
		for _, desc := range append([]string{d.Description}, fieldDescriptions(d)...) {
			if !containsString(crd, goDoc(desc)) {
				t.Errorf("no description in the CRD holds %.80q", goDoc(desc))
			}
		}
	}
	if os.Getenv("KUBEBUILDER_ASSETS") != "" {
		run("test", "./internal/controller", "-run", "TestSampleInstallsEveryNodeSet|TestHealthGatesHoldTheUpgrade|TestScaleDownDrainsEachPod", "-count=1")
	}
}

func fieldDescriptions(d model.Dependency) []string {
	var out []string
	for _, f := range d.Fields {
		out = append(out, f.Description)
	}
	return out
}

func containsString(set map[string]bool, s string) bool {
	for v := range set {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}
