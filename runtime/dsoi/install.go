package dsoi

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NodeSetReport is the state of one node set after a reconcile.
type NodeSetReport struct {
	Name, Kind, NodeType string
	Rollout
}

// Report says what a reconcile did and found.
type Report struct {
	NodeSets []NodeSetReport
	// Writes counts objects created, updated or deleted.
	Writes int
	// Deleted lists objects of removed node sets.
	Deleted []ObjectKey
}

// Ready reports whether every node set has fully rolled out.
func (r *Report) Ready() bool {
	for _, ns := range r.NodeSets {
		if !ns.Done {
			return false
		}
	}
	return true
}

// Install applies every object of the cluster, all node sets at once, then deletes the
// objects of node sets that are gone. It returns on the first error, having applied what
// came before it; the next reconcile carries on from there.
func (a *Applier) Install(ctx context.Context, c *Cluster, deletePVCs bool) (*Report, error) {
	report := &Report{}
	keep := map[ObjectKey]bool{}
	apply := func(obj client.Object) error {
		keep[KeyOf(obj)] = true
		action, err := a.Apply(ctx, obj)
		if action != Unchanged && action != Waiting && err == nil {
			report.Writes++
		}
		return err
	}
	for _, cm := range BuildConfigMaps(c) {
		if err := apply(cm); err != nil {
			return report, err
		}
	}
	for i := range c.NodeSets {
		ns := &c.NodeSets[i]
		hash, err := ConfigHash(c, ns)
		if err != nil {
			return report, err
		}
		objs, err := Build(c, ns, hash)
		if err != nil {
			return report, err
		}
		for _, svc := range objs.Services {
			if err := apply(svc); err != nil {
				return report, err
			}
		}
		for _, claim := range objs.Claims {
			if err := apply(claim); err != nil {
				return report, err
			}
		}
		nr := NodeSetReport{Name: ns.Name, Kind: ns.Kind, NodeType: ns.NodeType}
		switch {
		case objs.StatefulSet != nil:
			if err := apply(objs.StatefulSet); err != nil {
				return report, err
			}
			nr.Rollout = StatefulSetRollout(objs.StatefulSet)
		case objs.Deployment != nil:
			if err := apply(objs.Deployment); err != nil {
				return report, err
			}
			nr.Rollout = DeploymentRollout(objs.Deployment)
		default:
			return report, fmt.Errorf("node set %q: no workload built", ns.Name)
		}
		if objs.PDB != nil {
			if err := apply(objs.PDB); err != nil {
				return report, err
			}
		}
		report.NodeSets = append(report.NodeSets, nr)
	}
	deleted, err := a.Prune(ctx, c.App, keep, deletePVCs)
	report.Deleted = deleted
	report.Writes += len(deleted)
	return report, err
}
