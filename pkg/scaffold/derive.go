package scaffold

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ControllerToolsVersion is the controller-gen that derives deepcopy code, CRDs and RBAC.
// The generated Makefile pins the same version, so `make manifests generate` in a fresh
// project changes nothing.
const ControllerToolsVersion = "v0.23.0"

// Derive completes a rendered tree with what Go tools derive from it: the full go.mod and
// go.sum (go mod tidy), zz_generated.deepcopy.go (controller-gen object), the CRDs and the
// manager's ClusterRole (controller-gen crd rbac). The tools run in a temporary folder; only
// their results come back into the tree, so a failure leaves the target untouched.
func Derive(ctx context.Context, tree Tree) error {
	tmp, err := os.MkdirTemp("", "dsoi-gen-derive-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := Write(tmp, tree, true); err != nil {
		return err
	}
	controllerGen := "sigs.k8s.io/controller-tools/cmd/controller-gen@" + ControllerToolsVersion
	steps := [][]string{
		{"go", "mod", "tidy"},
		{"go", "run", controllerGen, `object:headerFile=hack/boilerplate.go.txt`, `paths=./...`},
		{"go", "run", controllerGen, "rbac:roleName=manager-role", "crd", `paths=./...`, "output:crd:artifacts:config=config/crd/bases"},
	}
	for _, args := range steps {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir = tmp
		// The project's own go.mod decides; a GOFLAGS=-mod=vendor or a workspace of the caller must not.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	derived, err := ReadTree(tmp, nil)
	if err != nil {
		return err
	}
	for p, data := range derived {
		tree[p] = data
	}
	return nil
}
