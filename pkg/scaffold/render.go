// Package scaffold is the render engine shared by every front door of dsoi-gen: it turns a
// validated description into the files of an operator project, in memory, formatted, and
// only then writes, diffs or merges them.
package scaffold

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/runtime"
	"github.com/dsoi-gen/dsoi-gen/templates"
)

// Tree is a rendered project: file contents by slash-separated relative path.
type Tree map[string][]byte

// Paths returns the tree's paths, sorted.
func (t Tree) Paths() []string {
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Options change how a project is rendered.
type Options struct {
	// GeneratorVersion is recorded in the project; it must not come from the clock or environment.
	GeneratorVersion string
	// Templates replaces the built-in template tree (a folder "project" of .tmpl files). Tests
	// use it to stand in for another generator release; nil means the built-in tree.
	Templates fs.FS
}

// RuntimeDir is where generated projects carry the dsoi lifecycle library.
const RuntimeDir = "internal/dsoi"

// engine holds the parsed template set; parsing happens once per process.
type engine struct {
	root  *template.Template
	files []string // template names (paths under templates/project), sorted
}

// builtIn parses the built-in templates once per process, whichever goroutine asks first.
var builtIn = sync.OnceValues(func() (*engine, error) { return parseTemplates(templates.Project) })

// loadEngine parses a template tree: the built-in one once per process, any other each time.
// An engine is only read after parsing, so renders may share it from several goroutines.
func loadEngine(tmpl fs.FS) (*engine, error) {
	if tmpl == nil {
		return builtIn()
	}
	return parseTemplates(tmpl)
}

func parseTemplates(tmpl fs.FS) (*engine, error) {
	root := template.New("").Funcs(funcs()).Option("missingkey=error")
	var files []string
	err := fs.WalkDir(tmpl, "project", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(p, ".tmpl") {
			return fmt.Errorf("template tree: %s does not end in .tmpl", p)
		}
		src, err := fs.ReadFile(tmpl, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "project/")
		// Each file is its own named template, so errors say "path:line" and files can share defines.
		if _, err := root.New(name).Parse(string(src)); err != nil {
			return err
		}
		files = append(files, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return &engine{root: root, files: files}, nil
}

// Render renders the whole project in memory. It writes nothing.
func Render(app *model.Application, opts Options) (Tree, error) {
	e, err := loadEngine(opts.Templates)
	if err != nil {
		return nil, err
	}
	description, err := marshalYAML(app)
	if err != nil {
		return nil, fmt.Errorf("normalize description: %w", err)
	}
	data, err := newData(app, string(description), opts.GeneratorVersion)
	if err != nil {
		return nil, err
	}
	tree := Tree{}
	var buf bytes.Buffer
	for _, name := range e.files {
		if skip(name, data) {
			continue
		}
		for _, d := range versions(name, data) {
			buf.Reset()
			if err := e.root.ExecuteTemplate(&buf, name, d); err != nil {
				return nil, fmt.Errorf("render %s: %w", name, err)
			}
			tree[outputPath(name, d)] = bytes.Clone(buf.Bytes())
		}
	}
	if err := formatTree(tree); err != nil {
		return nil, err
	}
	// The runtime is gofmt-clean Go from this repository (make vet checks it): no need to format it again.
	if err := addRuntime(tree, data); err != nil {
		return nil, err
	}
	return tree, nil
}

// skip reports whether a template does not apply to this description.
func skip(name string, d *Data) bool {
	if base := path.Base(name); strings.HasPrefix(base, "_") && !strings.HasPrefix(base, "__") { // helpers: defines only
		return true
	}
	if strings.Contains(name, "_lifecycle_") && !d.HasAppCalls() && !d.HasFloors() {
		return true
	}
	return strings.Contains(name, "autoscaling") && !d.App.Spec.Autoscaling
}

// versions gives the data to render a template with: once, or for an API package once per
// served version, the stored one first; earlier versions keep being served with the same schema.
func versions(name string, d *Data) []*Data {
	if !strings.HasPrefix(name, "api/__version__/") {
		return []*Data{d}
	}
	all := []*Data{d}
	for _, v := range d.App.Spec.Operator.PreviousVersions {
		old := *d
		old.Version = v
		all = append(all, &old)
	}
	return all
}

func outputPath(name string, d *Data) string {
	p := strings.TrimSuffix(name, ".tmpl")
	p = strings.ReplaceAll(p, "__version__", d.Version)
	p = strings.ReplaceAll(p, "__kind__", d.KindLower)
	return p
}

// addRuntime copies the dsoi lifecycle library into the project, under its license header.
func addRuntime(tree Tree, d *Data) error {
	entries, err := fs.ReadDir(runtime.Files, "dsoi")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "_test.go") {
			continue // its tests run here; generated projects test it through their controllers
		}
		if strings.HasPrefix(e.Name(), "autoscale") && !d.App.Spec.Autoscaling {
			continue // DSOI level 2 only when the description asks for it
		}
		src, err := fs.ReadFile(runtime.Files, path.Join("dsoi", e.Name()))
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if d.Header != "" {
			buf.WriteString(goComment(d.Header))
			buf.WriteString("\n")
		}
		buf.Write(src)
		tree[path.Join(RuntimeDir, e.Name())] = buf.Bytes()
	}
	return nil
}

func goComment(text string) string {
	return "/*\n" + text + "\n*/\n"
}
