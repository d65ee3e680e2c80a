package scaffold

import (
	"context"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// Generate renders the project and derives go.sum, deepcopy code, CRDs and RBAC: the whole
// tree that every front door (CLI, Kubebuilder plugin, wizard) writes.
func Generate(ctx context.Context, app *model.Application) (Tree, error) {
	tree, err := Render(app, Options{GeneratorVersion: Version})
	if err != nil {
		return nil, err
	}
	if err := Derive(ctx, tree); err != nil {
		return nil, err
	}
	return tree, nil
}
