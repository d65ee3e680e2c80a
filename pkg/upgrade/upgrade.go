// Package upgrade regenerates a project after its description or dsoi-gen changed, keeping
// every edit of its owner: each generated file is merged three ways, from the previous render
// (the project's record) to the user's file on one side and to the new render on the other.
package upgrade

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
	"github.com/dsoi-gen/dsoi-gen/pkg/scaffold"
)

// Options say what to upgrade a project to.
type Options struct {
	// App is the description to render.
	App *model.Application
	// FromProject is set when App was read from the project's own dsoi.yaml: that file is then
	// the user's input and is left as written (comments, order), not replaced by its normalized form.
	FromProject bool
	// Render are the engine's options: the generator version, and in tests another template tree.
	Render scaffold.Options
	// StopServing are earlier CRD versions to serve no more. Others stay served (see keepServing).
	StopServing []string
}

// Action is what an upgrade does with one file.
type Action string

const (
	Create     Action = "create"     // new in the render
	Update     Action = "update"     // unchanged by you: replaced by the new render
	Merge      Action = "merge"      // changed by you and by the render: merged cleanly
	Conflict   Action = "conflict"   // changed by you and by the render in the same lines: marked
	Delete     Action = "delete"     // no longer rendered, unchanged by you
	Regenerate Action = "regenerate" // derived by go mod tidy or controller-gen from the merged sources
	Skip       Action = "skip"       // deleted by you: not recreated
	Keep       Action = "keep"       // no longer rendered but changed by you: kept
	Record     Action = "record"     // the record of the render, for the next upgrade
)

// Change is one file of the plan.
type Change struct {
	Path   string
	Action Action
	Note   string
}

// ConflictsFile lists the files an upgrade left with conflict markers. While it exists, derived
// files wait: the next upgrade checks the markers are gone, then regenerates them.
const ConflictsFile = scaffold.RecordDir + "/conflicts"

// Plan is what an upgrade does, computed in memory. Nothing is written until Apply.
type Plan struct {
	// From and To are the generator versions of the previous and the new render.
	From, To string
	// Changes lists every file written, deleted or reported, by path.
	Changes []Change
	// Writes are the new contents of files; Deletes the files to remove.
	Writes  scaffold.Tree
	Deletes []string
	// Conflicts are the files written with conflict markers.
	Conflicts []string
	// Breaking lists description changes that affect clusters already running.
	Breaking []string
	// Notes are other things the user should know.
	Notes []string
	// Next is the record of the new render.
	Next *scaffold.Record
	// before holds the disk contents of the files written or deleted, for the diff.
	before map[string][]byte
}

// Empty reports whether the upgrade changes nothing on disk.
func (p *Plan) Empty() bool { return len(p.Writes) == 0 && len(p.Deletes) == 0 }

// ErrUnresolved is returned while files of an earlier upgrade still hold conflict markers.
var ErrUnresolved = errors.New("unresolved conflicts")

// Compute plans the upgrade of the project in dir to opts.App. It reads the project and runs
// the engine (and go mod tidy and controller-gen in a temporary folder); it writes nothing.
func Compute(ctx context.Context, dir string, opts Options) (*Plan, error) {
	project := os.DirFS(dir)
	plan := &Plan{To: opts.Render.GeneratorVersion, Writes: scaffold.Tree{}, before: map[string][]byte{}}

	pending, err := pendingConflicts(dir)
	if err != nil {
		return nil, err
	}
	old, err := scaffold.ReadRecord(project)
	if errors.Is(err, scaffold.ErrNoRecord) {
		old, err = rebuildRecord(ctx, dir, opts.Render)
		plan.Notes = append(plan.Notes, fmt.Sprintf("the project had no record of its last render (%s): it was rebuilt from %s with dsoi-gen %s, "+
			"so your edits are judged against that render", scaffold.ManifestFile, scaffold.DescriptionFile, opts.Render.GeneratorVersion))
	}
	if err != nil {
		return nil, err
	}
	plan.From = old.Manifest.Generator

	app := opts.App
	if oldApp, err := model.Load(scaffold.DescriptionFile, old.Base[scaffold.DescriptionFile]); err != nil {
		plan.Notes = append(plan.Notes, "the previous description could not be read, so breaking changes are not checked: "+err.Error())
	} else {
		var kept []string
		if app, kept, err = keepServing(oldApp, opts.App, opts.StopServing); err != nil {
			return nil, err
		}
		plan.Breaking = append(breakingChanges(oldApp, app), kept...)
	}
	// A description the upgrade itself changed (an old API version kept served) must be recorded.
	descriptionChanged := app != opts.App

	tree, err := scaffold.GenerateWith(ctx, app, opts.Render)
	if err != nil {
		return nil, err
	}
	next, err := scaffold.RecordOf(tree)
	if err != nil {
		return nil, err
	}
	plan.Next = next

	for _, p := range union(old.Base, next.Base) {
		if p == scaffold.DescriptionFile && opts.FromProject && !descriptionChanged {
			continue // the user's input, kept as written
		}
		if err := plan.file(dir, p, old, next); err != nil {
			return nil, err
		}
	}
	if len(plan.Conflicts) == 0 && (!plan.Empty() || len(pending) > 0) {
		if err := plan.derive(ctx, dir, old, next); err != nil {
			return nil, err
		}
	}
	for _, p := range []string{scaffold.ManifestFile, scaffold.BaseFile} {
		plan.write(dir, p, tree[p], Record, "")
	}
	switch {
	case len(plan.Conflicts) > 0:
		plan.write(dir, ConflictsFile, []byte(strings.Join(plan.Conflicts, "\n")+"\n"), Record, "derived files wait until these conflicts are resolved")
	case len(pending) > 0:
		plan.remove(dir, ConflictsFile, Record, "the conflicts of the last upgrade are resolved")
	}
	sort.Slice(plan.Changes, func(i, j int) bool { return plan.Changes[i].Path < plan.Changes[j].Path })
	sort.Strings(plan.Deletes)
	return plan, nil
}

// file plans one rendered file, by what the user and the new render did with it.
func (plan *Plan) file(dir, p string, old, next *scaffold.Record) error {
	disk, exists, err := read(dir, p)
	if err != nil {
		return err
	}
	base, inBase := old.Base[p]
	theirs, inNext := next.Base[p]
	if exists && usesCRLF(disk) {
		// The user's editor writes Windows line ends: compare and merge in them, so the
		// line ends alone are not an edit and the file keeps them.
		base, theirs = toCRLF(base), toCRLF(theirs)
	}
	labels := Labels{Yours: "yours", Base: "base: dsoi-gen " + old.Manifest.Generator, New: "new: dsoi-gen " + next.Manifest.Generator}
	switch {
	case inBase && inNext:
		switch {
		case !exists && bytes.Equal(base, theirs):
			plan.report(p, Skip, "you deleted it; not recreated")
		case !exists:
			plan.report(p, Skip, "you deleted it; not recreated, though the new render changes it")
		case bytes.Equal(disk, theirs):
		case bytes.Equal(disk, base):
			plan.write(dir, p, theirs, Update, "")
		case bytes.Equal(base, theirs):
			// Only you changed it: it stays as it is.
		default:
			return plan.merge(dir, p, disk, base, theirs, labels, "")
		}
	case inBase:
		switch {
		case !exists:
		case bytes.Equal(disk, base):
			plan.remove(dir, p, Delete, "no longer generated")
		default:
			plan.report(p, Keep, "no longer generated, but you changed it, so it is kept")
		}
	default:
		switch {
		case !exists:
			plan.write(dir, p, theirs, Create, "")
		case bytes.Equal(disk, theirs):
		default:
			labels.Base = "base: none (the file is new in dsoi-gen " + next.Manifest.Generator + ")"
			return plan.merge(dir, p, disk, nil, theirs, labels, "new in the render, but a file of yours was already there")
		}
	}
	return nil
}

func (plan *Plan) merge(dir, p string, disk, base, theirs []byte, labels Labels, note string) error {
	merged, conflicts, err := merge3(disk, base, theirs, labels)
	if err != nil {
		return fmt.Errorf("merge %s: %w", p, err)
	}
	if conflicts == 0 {
		plan.write(dir, p, merged, Merge, note)
		return nil
	}
	if note != "" {
		note += "; "
	}
	plan.write(dir, p, merged, Conflict, fmt.Sprintf("%s%d conflict(s) marked in the file", note, conflicts))
	plan.Conflicts = append(plan.Conflicts, p)
	return nil
}

// derive regenerates the derived files (go.sum, go.mod's requirements, deepcopy code, CRDs,
// RBAC) from the merged project, so they include the user's own API fields, and plans the
// files the tools changed. Derived files of the old render that the new one no longer has are
// removed if the user never touched them.
func (plan *Plan) derive(ctx context.Context, dir string, old, next *scaffold.Record) error {
	merged, err := readProject(dir)
	if err != nil {
		return err
	}
	for p, data := range plan.Writes {
		merged[p] = data
	}
	for _, p := range plan.Deletes {
		delete(merged, p)
	}
	for _, f := range old.Manifest.Files {
		if f.Derived && !next.Derived(f.Path) {
			if data, ok := merged[f.Path]; ok && scaffold.Hash(data) == f.SHA256 {
				delete(merged, f.Path)
				plan.remove(dir, f.Path, Delete, "no longer derived")
			}
		}
	}
	before := scaffold.Tree{}
	for p, data := range merged {
		before[p] = data
	}
	if err := scaffold.Derive(ctx, merged); err != nil {
		return fmt.Errorf("regenerate derived files (nothing was written): %w", err)
	}
	for _, p := range merged.Paths() {
		if prior, ok := before[p]; ok && bytes.Equal(prior, merged[p]) {
			continue
		}
		if c := plan.change(p); c != nil {
			plan.Writes[p] = merged[p]
			c.Note = strings.TrimPrefix(c.Note+"; then go mod tidy", "; ")
			continue
		}
		note := ""
		if disk, ok := before[p]; ok && old.Derived(p) && scaffold.Hash(disk) != old.Hash(p) {
			note = "it differed from the last render: an edit by hand is replaced here, so make it in its source (API types, +kubebuilder markers, go.mod)"
		}
		plan.write(dir, p, merged[p], Regenerate, note)
	}
	return nil
}

// write plans new contents for p, unless the disk already has them.
func (plan *Plan) write(dir, p string, data []byte, action Action, note string) {
	disk, exists, err := read(dir, p)
	if err == nil && exists && bytes.Equal(disk, data) {
		return
	}
	plan.before[p] = disk
	plan.Writes[p] = data
	plan.report(p, action, note)
}

func (plan *Plan) remove(dir, p string, action Action, note string) {
	disk, exists, err := read(dir, p)
	if err != nil || !exists {
		return
	}
	plan.before[p] = disk
	plan.Deletes = append(plan.Deletes, p)
	plan.report(p, action, note)
}

func (plan *Plan) report(p string, action Action, note string) {
	plan.Changes = append(plan.Changes, Change{Path: p, Action: action, Note: note})
}

func (plan *Plan) change(p string) *Change {
	for i := range plan.Changes {
		if plan.Changes[i].Path == p {
			return &plan.Changes[i]
		}
	}
	return nil
}

// pendingConflicts returns the files the last upgrade left with conflicts, and refuses to go
// on while any of them still holds markers: nothing may be derived from, or merged into, them.
func pendingConflicts(dir string) ([]string, error) {
	data, exists, err := read(dir, ConflictsFile)
	if err != nil || !exists {
		return nil, err
	}
	var files, unresolved []string
	for _, p := range strings.Fields(string(data)) {
		files = append(files, p)
		text, exists, err := read(dir, p)
		if err != nil {
			return nil, err
		}
		if exists && conflictMarkers(text) {
			unresolved = append(unresolved, p)
		}
	}
	if len(unresolved) > 0 {
		return nil, fmt.Errorf("%w: the last upgrade left conflict markers in\n  %s\nresolve them (keep the lines you want, remove the <<<<<<<, |||||||, ======= and >>>>>>> lines), then run dsoi-gen upgrade again",
			ErrUnresolved, strings.Join(unresolved, "\n  "))
	}
	return files, nil
}

// rebuildRecord stands in for the record of a project made before records existed: the
// render of its dsoi.yaml by this dsoi-gen.
func rebuildRecord(ctx context.Context, dir string, opts scaffold.Options) (*scaffold.Record, error) {
	app, err := model.LoadFile(filepath.Join(dir, scaffold.DescriptionFile))
	if err != nil {
		return nil, fmt.Errorf("the project has no record of its last render, and its description cannot rebuild one: %w", err)
	}
	tree, err := scaffold.GenerateWith(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	return scaffold.RecordOf(tree)
}

func read(dir, p string) ([]byte, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return data, true, nil
}

// skipped are top-level folders that are not part of the project's sources: version control, tool
// binaries, the record.
var skipped = map[string]bool{".git": true, "bin": true, "testbin": true, "vendor": true, scaffold.RecordDir: true}

// readProject reads the project's sources, for the tools that derive files from them.
func readProject(dir string) (scaffold.Tree, error) {
	return scaffold.ReadTree(dir, func(rel string) bool { return skipped[rel] })
}

func union(a, b scaffold.Tree) []string {
	all := scaffold.Tree{}
	for p := range a {
		all[p] = nil
	}
	for p := range b {
		all[p] = nil
	}
	return all.Paths()
}

// usesCRLF reports whether text ends its lines with CR LF.
func usesCRLF(text []byte) bool {
	return bytes.Contains(text, []byte("\r\n"))
}

// toCRLF turns LF line ends into CR LF (nil stays nil).
func toCRLF(text []byte) []byte {
	if text == nil || usesCRLF(text) {
		return text
	}
	return bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n"))
}
