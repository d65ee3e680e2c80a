package scaffold

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"

	"golang.org/x/tools/txtar"
)

// The record is what a project keeps of its own render, so that `dsoi-gen upgrade` can rebuild
// the previous render offline after the description or dsoi-gen itself changed: no network, no
// old binary. It is part of the render, so an up-to-date project shows no difference.
const (
	// RecordDir holds the record. Go tools skip folders whose names begin with a dot.
	RecordDir = ".dsoi-gen"
	// ManifestFile names the generator, the description and a hash of every generated file.
	ManifestFile = RecordDir + "/manifest.json"
	// BaseFile holds the rendered files, byte for byte, as one text archive (txtar): git stores
	// it cheaply (its contents equal the project's files until they are edited) and it diffs as text.
	// Derived files are not kept: they are regenerated, never merged.
	BaseFile = RecordDir + "/base.txtar"
)

// Manifest is the record's index.
type Manifest struct {
	// Generator is the dsoi-gen version that rendered the project.
	Generator string `json:"generator"`
	// Description is the project's description file.
	Description string `json:"description"`
	// Files lists every generated file, sorted by path.
	Files []FileRecord `json:"files"`
}

// FileRecord is one generated file.
type FileRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// Derived files come from go mod tidy and controller-gen, not from a template.
	Derived bool `json:"derived,omitempty"`
}

// Record is a project's record, read back.
type Record struct {
	Manifest Manifest
	// Base is the previous render without its derived files.
	Base Tree
}

// Derived reports whether the manifest lists path as a derived file.
func (r *Record) Derived(path string) bool {
	for _, f := range r.Manifest.Files {
		if f.Path == path {
			return f.Derived
		}
	}
	return false
}

// Hash returns the recorded hash of path, or "" if the manifest does not list it.
func (r *Record) Hash(path string) string {
	for _, f := range r.Manifest.Files {
		if f.Path == path {
			return f.SHA256
		}
	}
	return ""
}

// DescriptionFile is the description every project carries, relative to its root.
const DescriptionFile = "dsoi.yaml"

// addRecord adds the record to a generated tree. rendered names the files that came from
// templates; every other file in the tree is derived.
func addRecord(tree Tree, rendered map[string]bool, generator string) error {
	m := Manifest{Generator: generator, Description: DescriptionFile}
	base := &txtar.Archive{Comment: []byte("The files dsoi-gen " + generator + " rendered for this project, before your edits.\n" +
		"dsoi-gen upgrade merges from here; do not edit.\n")}
	for _, p := range tree.Paths() {
		if strings.HasPrefix(p, RecordDir+"/") {
			continue
		}
		m.Files = append(m.Files, FileRecord{Path: p, SHA256: Hash(tree[p]), Derived: !rendered[p]})
		if rendered[p] {
			base.Files = append(base.Files, txtar.File{Name: p, Data: tree[p]})
		}
	}
	archive := txtar.Format(base)
	// txtar cannot hold a file without a final newline or with a line like "-- name --";
	// no template renders one, and this check keeps it so.
	back := txtar.Parse(archive)
	if len(back.Files) != len(base.Files) {
		return fmt.Errorf("record: a rendered file holds a txtar file marker line")
	}
	for i, f := range back.Files {
		if f.Name != base.Files[i].Name || !bytes.Equal(f.Data, base.Files[i].Data) {
			return fmt.Errorf("record: %s cannot be kept in %s (no final newline, or a txtar marker line)", base.Files[i].Name, BaseFile)
		}
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tree[ManifestFile] = append(manifest, '\n')
	tree[BaseFile] = archive
	return nil
}

// ErrNoRecord is returned by ReadRecord for a project without a record (made before dsoi-gen
// 0.2.0, or with the record deleted).
var ErrNoRecord = errors.New("the project has no record of its last render (" + ManifestFile + ")")

// ReadRecord reads a project's record and checks the base against the manifest's hashes, so a
// damaged record is refused rather than merged from.
func ReadRecord(project fs.FS) (*Record, error) {
	data, err := fs.ReadFile(project, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoRecord
	}
	if err != nil {
		return nil, err
	}
	r := &Record{Base: Tree{}}
	if err := json.Unmarshal(data, &r.Manifest); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	archive, err := fs.ReadFile(project, BaseFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", BaseFile, err)
	}
	want := map[string]string{}
	for _, f := range r.Manifest.Files {
		if !f.Derived {
			want[f.Path] = f.SHA256
		}
	}
	for _, f := range txtar.Parse(archive).Files {
		sum, ok := want[f.Name]
		if !ok {
			return nil, fmt.Errorf("%s: %s is not in %s", BaseFile, f.Name, ManifestFile)
		}
		if Hash(f.Data) != sum {
			return nil, fmt.Errorf("%s: %s does not match its hash in %s; the record was edited, restore it from version control", BaseFile, f.Name, ManifestFile)
		}
		r.Base[f.Name] = f.Data
		delete(want, f.Name)
	}
	for p := range want {
		return nil, fmt.Errorf("%s: %s is listed in %s but missing", BaseFile, p, ManifestFile)
	}
	return r, nil
}

// Hash is the hex SHA-256 of a file, as the manifest records it.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// RecordOf reads the record a generated tree carries.
func RecordOf(tree Tree) (*Record, error) {
	fsys := fstest.MapFS{}
	for _, p := range []string{ManifestFile, BaseFile} {
		if data, ok := tree[p]; ok {
			fsys[p] = &fstest.MapFile{Data: data}
		}
	}
	return ReadRecord(fsys)
}
