package scaffold

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// recorded renders an example and adds a record, with one pretend derived file.
func recorded(t *testing.T) Tree {
	t.Helper()
	tree, err := Render(loadExample(t, "pinot"), Options{GeneratorVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]bool{}
	for p := range tree {
		rendered[p] = true
	}
	tree["go.sum"] = []byte("example.com/m v1.0.0 h1:x\n")
	if err := addRecord(tree, rendered, "test"); err != nil {
		t.Fatal(err)
	}
	return tree
}

func mapFS(tree Tree) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, data := range tree {
		fsys[p] = &fstest.MapFile{Data: data}
	}
	return fsys
}

func TestRecordGivesBackTheRenderedFilesByteForByte(t *testing.T) {
	tree := recorded(t)
	r, err := ReadRecord(mapFS(tree))
	if err != nil {
		t.Fatal(err)
	}
	if r.Manifest.Generator != "test" || r.Manifest.Description != "dsoi.yaml" {
		t.Errorf("manifest = %+v", r.Manifest)
	}
	for p, data := range tree {
		switch {
		case strings.HasPrefix(p, RecordDir+"/"):
			if _, ok := r.Base[p]; ok {
				t.Errorf("the base holds the record's own file %s", p)
			}
		case p == "go.sum":
			if _, ok := r.Base[p]; ok || !r.Derived(p) {
				t.Errorf("go.sum: in base %v, derived %v; want a derived file kept out of the base", ok, r.Derived(p))
			}
		case !bytes.Equal(r.Base[p], data):
			t.Errorf("base %s differs from the render", p)
		}
	}
	if len(r.Base) != len(tree)-3 {
		t.Errorf("base has %d files, want %d", len(r.Base), len(tree)-3)
	}
}

func TestRecordIsRefusedWhenDamaged(t *testing.T) {
	tree := recorded(t)
	fsys := mapFS(tree)
	fsys[BaseFile] = &fstest.MapFile{Data: bytes.Replace(tree[BaseFile], []byte("package main"), []byte("package mine"), 1)}
	if _, err := ReadRecord(fsys); err == nil || !strings.Contains(err.Error(), "cmd/main.go does not match its hash") {
		t.Errorf("edited base: err = %v", err)
	}
	delete(fsys, ManifestFile)
	if _, err := ReadRecord(fsys); !errors.Is(err, ErrNoRecord) {
		t.Errorf("no manifest: err = %v, want ErrNoRecord", err)
	}
}

func TestRecordRefusesAFileTxtarCannotHold(t *testing.T) {
	tree := Tree{"a.txt": []byte("no final newline")}
	if err := addRecord(tree, map[string]bool{"a.txt": true}, "test"); err == nil {
		t.Error("a file without a final newline was recorded")
	}
}
