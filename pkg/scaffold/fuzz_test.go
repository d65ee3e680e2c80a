package scaffold

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// FuzzRender mutates the built-in examples and the hostile description. Whatever description the loader accepts must
// render: every Go file gofmt-stable, every YAML file parseable, two renders byte for byte
// the same, and the description the project records rendering the same tree again.
func FuzzRender(f *testing.F) {
	for _, name := range examples.Names() {
		_, data, err := examples.Get(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	hostile, err := marshalYAML(hostileApp(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hostile)
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := model.Load("fuzz.yaml", data)
		if err != nil {
			return // the loader's own fuzzing checks its refusals
		}
		tree, err := Render(app, Options{GeneratorVersion: "fuzz"})
		if err != nil {
			t.Fatalf("accepted a description that does not render: %v", err)
		}
		checkRenderedTree(t, tree)
		recorded, err := model.Load(DescriptionFile, tree[DescriptionFile])
		if err != nil {
			t.Fatalf("the recorded description does not load: %v", err)
		}
		for i, a := range []*model.Application{app, recorded} {
			again, err := Render(a, Options{GeneratorVersion: "fuzz"})
			if err != nil {
				t.Fatal(err)
			}
			if diffs := treeDiffs(tree, again); len(diffs) > 0 {
				t.Fatalf("render %d differs from the first: %v", i+2, diffs)
			}
		}
	})
}

func parseYAMLStream(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// treeDiffs lists the paths where two trees differ.
func treeDiffs(a, b Tree) []string {
	var out []string
	for p, data := range a {
		if !bytes.Equal(data, b[p]) {
			out = append(out, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}
