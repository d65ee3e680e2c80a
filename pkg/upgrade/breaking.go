package upgrade

import (
	"fmt"
	"slices"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// keepServing keeps CRD versions served across upgrades: the description to render serves
// the versions it lists in spec.operator.previousVersions, the versions the last render served,
// and the old version when the version changes, so resources, manifests and clients that still
// use them keep working. Only the versions in stop are dropped: stopping is a decision (stored
// objects must be migrated first), never a side effect of a description that omits them.
// It returns the description to render (a copy when the served versions differ) and what it did.
func keepServing(old, next *model.Application, stop []string) (*model.Application, []string, error) {
	o, n := old.Spec.Operator, next.Spec.Operator
	if o.Kind != n.Kind || apiGroup(o) != apiGroup(n) {
		return next, nil, nil // a new API: nothing to keep serving
	}
	candidates := append(append(slices.Clone(n.PreviousVersions), o.PreviousVersions...), o.Version)
	for _, v := range stop {
		if v == n.Version || !slices.Contains(candidates, v) {
			return nil, nil, fmt.Errorf("--stop-serving %s: not an earlier version this project serves (earlier versions: %v)", v, served(candidates, n.Version, nil))
		}
	}
	keep := served(candidates, n.Version, stop)
	if slices.Equal(keep, n.PreviousVersions) {
		return next, nil, nil
	}
	app := *next
	app.Spec.Operator.PreviousVersions = keep
	if o.Version == n.Version || slices.Contains(stop, o.Version) {
		return &app, nil, nil
	}
	return &app, []string{fmt.Sprintf("the CRD version changes from %s to %s: %s is now stored, and %s stays served with the same schema "+
		"(recorded in spec.operator.previousVersions of dsoi.yaml). Objects stored as %s are rewritten as %s when next updated; "+
		"once none is left and no client or manifest uses %s, stop serving it with dsoi-gen upgrade --stop-serving %s",
		o.Version, n.Version, n.Version, o.Version, o.Version, n.Version, o.Version, o.Version)}, nil
}

// served lists versions in order, once each, without current and stopped ones.
func served(versions []string, current string, stop []string) []string {
	var out []string
	for _, v := range versions {
		if v != current && !slices.Contains(stop, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// breakingChanges lists what a description change does to clusters that already run the
// operator: resources the API server rejects or prunes, workloads deleted or recreated.
func breakingChanges(old, next *model.Application) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	o, n := old.Spec.Operator, next.Spec.Operator

	if apiGroup(o) != apiGroup(n) || o.Kind != n.Kind {
		add("the custom resource changes from %s (%s) to %s (%s): it is a new API, and the operator no longer reconciles existing %s resources; "+
			"move each cluster to the new kind by hand", o.Kind, apiGroup(o), n.Kind, apiGroup(n), o.Kind)
	} else {
		for _, v := range o.PreviousVersions {
			if v != n.Version && !slices.Contains(n.PreviousVersions, v) {
				add("the CRD version %s is no longer served: manifests and clients that use it fail, and it must not be a stored version of any resource", v)
			}
		}
	}

	oldNodes := map[string]model.NodeType{}
	for _, t := range old.Spec.NodeTypes {
		oldNodes[t.Name] = t
	}
	for _, t := range next.Spec.NodeTypes {
		before, ok := oldNodes[t.Name]
		delete(oldNodes, t.Name)
		if ok && before.Workload != t.Workload {
			add("node type %s changes from a %s to a %s: its workloads are deleted and created again (pods restart; a StatefulSet's per-pod volumes are not reused)",
				t.Name, before.Workload, t.Workload)
		}
		if was, now := floorOf(before), floorOf(t); ok && now > was {
			add("node type %s needs at least %d replicas (minReplicas, was %d): the API server rejects any edit of a node of that type with fewer until its replicas are raised; "+
				"running node sets keep their size", t.Name, now, was)
		}
		if ok && !deletesClaims(before) && deletesClaims(t) && t.Workload == model.StatefulSet {
			add("node type %s now deletes the claims of the pods a scale-down removes (claimRetention whenScaled Delete): "+
				"existing nodes without their own claimRetention lose that data on their next scale-down", t.Name)
		}
	}
	for _, t := range old.Spec.NodeTypes {
		if _, removed := oldNodes[t.Name]; removed {
			add("node type %s is removed: the API server rejects resources whose nodes still use it, so edit them first; "+
				"its workloads are then deleted (volume claims are kept)", t.Name)
		}
	}

	oldDeps := map[string]model.Dependency{}
	for _, d := range old.Spec.Dependencies {
		oldDeps[d.Name] = d
	}
	for _, d := range next.Spec.Dependencies {
		before, ok := oldDeps[d.Name]
		delete(oldDeps, d.Name)
		if !ok {
			if d.Required {
				add("dependency %s is new and required: existing resources lack it and are rejected on their next update until it is set", d.Name)
			}
			continue
		}
		if d.Required && !before.Required {
			add("dependency %s becomes required: existing resources without it are rejected on their next update", d.Name)
		}
		out = append(out, fieldChanges(d.Name, before.Fields, d.Fields)...)
	}
	for _, d := range old.Spec.Dependencies {
		if _, removed := oldDeps[d.Name]; removed {
			add("dependency %s is removed: its settings are dropped from existing resources", d.Name)
		}
	}

	files := map[string]bool{}
	for _, f := range next.Spec.ConfigFiles {
		files[f.Name] = true
	}
	for _, f := range old.Spec.ConfigFiles {
		if !files[f.Name] {
			add("config file %s is removed: its contents are dropped from existing resources and the node sets mounting it roll", f.Name)
		}
	}
	return out
}

// deletesClaims reports whether a node type deletes the claims of the pods a scale-down
// removes.
func deletesClaims(t model.NodeType) bool {
	return t.ClaimRetention != nil && t.ClaimRetention.WhenScaled == model.ClaimDelete
}

// floorOf is a node type's minReplicas, 0 for none.
func floorOf(t model.NodeType) int32 {
	if t.MinReplicas == nil {
		return 0
	}
	return *t.MinReplicas
}

// fieldChanges lists removed, renamed, retyped and newly required fields of one dependency.
func fieldChanges(dep string, old, next []model.Field) []string {
	var out []string
	oldFields := map[string]model.Field{}
	for _, f := range old {
		oldFields[f.Name] = f
	}
	var added []model.Field
	for _, f := range next {
		before, ok := oldFields[f.Name]
		delete(oldFields, f.Name)
		switch {
		case !ok:
			added = append(added, f)
		case before.Type != f.Type:
			out = append(out, fmt.Sprintf("field %s.%s changes type from %s to %s: existing values are rejected on the next update", dep, f.Name, before.Type, f.Type))
		case f.Required && !before.Required:
			out = append(out, fmt.Sprintf("field %s.%s becomes required: existing resources without it are rejected on their next update", dep, f.Name))
		}
	}
	for _, f := range old {
		if _, removed := oldFields[f.Name]; !removed {
			continue
		}
		renamed := ""
		for _, a := range added {
			if a.Type == f.Type {
				renamed = a.Name
				break
			}
		}
		if renamed != "" {
			out = append(out, fmt.Sprintf("field %s.%s is renamed to %s (or removed, and %s added): values set under %s are dropped from existing resources, not moved",
				dep, f.Name, renamed, renamed, f.Name))
		} else {
			out = append(out, fmt.Sprintf("field %s.%s is removed: its values are dropped from existing resources", dep, f.Name))
		}
	}
	for _, f := range added {
		if f.Required {
			out = append(out, fmt.Sprintf("field %s.%s is new and required: existing resources without it are rejected on their next update", dep, f.Name))
		}
	}
	return out
}

func apiGroup(op model.Operator) string {
	if op.Group == "" {
		return op.Domain
	}
	return op.Group + "." + op.Domain
}
