package scaffold

import (
	"context"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// Generate renders the project, derives go.sum, deepcopy code, CRDs and RBAC, and adds the
// record of the render: the whole tree that every front door (CLI, Kubebuilder plugin,
// wizard) writes.
func Generate(ctx context.Context, app *model.Application) (Tree, error) {
	return GenerateWith(ctx, app, Options{GeneratorVersion: Version})
}

// GenerateWith is Generate with other options (another template tree in tests).
func GenerateWith(ctx context.Context, app *model.Application, opts Options) (Tree, error) {
	tree, err := Render(app, opts)
	if err != nil {
		return nil, err
	}
	rendered := map[string]bool{}
	for p := range tree {
		rendered[p] = true
	}
	if err := Derive(ctx, tree); err != nil {
		return nil, err
	}
	if err := addRecord(tree, rendered, opts.GeneratorVersion); err != nil {
		return nil, err
	}
	return tree, nil
}
