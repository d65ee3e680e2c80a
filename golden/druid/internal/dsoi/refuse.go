/*
Copyright Acme Inc.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package dsoi

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Reasons of a Refusal.
const (
	// ReasonNameCollision: two objects of the CR would get the same name.
	ReasonNameCollision = "NameCollision"
	// ReasonKindChangeRefused: a node set's workload kind changed.
	ReasonKindChangeRefused = "KindChangeRefused"
	// ReasonClaimConflict: a claim the node set would mount was made for another node set or CR.
	ReasonClaimConflict = "ClaimConflict"
	// ReasonSharedVolumeConflict: several pods would write to one single-writer claim.
	ReasonSharedVolumeConflict = "SharedVolumeConflict"
)

// Refusal is a spec the operator does not act on because acting would lose, share or take
// over data. Reconcile returns it before writing anything; a change of the spec clears it.
type Refusal struct {
	Reason  string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// checkSpec refuses a cluster whose objects would share a name: node sets a and a-headless
// (the headless Service of a), or claims <cr>-<server>-<cold-data> and <cr>-<server-cold>-<data>.
// Names are kept as they are (renaming would lose running objects), so the spec must change.
func checkSpec(c *Cluster) error {
	owners := map[ObjectKey]string{}
	var clashes []string
	claim := func(kind, name, what string) {
		key := ObjectKey{Kind: kind, Name: name}
		if first, ok := owners[key]; ok {
			clashes = append(clashes, fmt.Sprintf("%s and %s are both %s %s", first, what, kind, name))
			return
		}
		owners[key] = what
	}
	for _, cm := range c.ConfigMaps {
		claim("ConfigMap", ConfigMapName(cm), fmt.Sprintf("config %q", cm.Name))
	}
	for i := range c.NodeSets {
		ns := &c.NodeSets[i]
		what := fmt.Sprintf("node set %q", ns.Name)
		claim("Service", ObjectName(c.Instance, ns.Name), what)
		if ns.Kind == KindStatefulSet {
			claim("Service", HeadlessName(c.Instance, ns.Name), what+" (headless)")
		}
		for _, s := range ns.Storage {
			storage := fmt.Sprintf("%s storage %q", what, s.Name)
			if ns.Kind == KindDeployment {
				claim("PersistentVolumeClaim", ClaimName(c.Instance, ns.Name, s.Name), storage)
				if ns.Replicas > 1 && SingleWriter(s.Spec) {
					return &Refusal{Reason: ReasonSharedVolumeConflict, Message: fmt.Sprintf(
						"%s runs as a Deployment of %d replicas sharing one claim for storage %q, which only one node can mount for writing (access modes %v): "+
							"set replicas to 1, use ReadWriteMany, or run the node set as a StatefulSet (a claim per pod)",
						what, ns.Replicas, s.Name, accessModes(s.Spec))}
				}
				continue
			}
			for ordinal := range int(ns.Replicas) {
				claim("PersistentVolumeClaim", StatefulSetClaimName(c.Instance, ns.Name, s.Name, ordinal), storage)
			}
		}
	}
	if len(clashes) > 0 {
		return &Refusal{Reason: ReasonNameCollision, Message: "objects would share a name, so one would take over the other (and its data): " +
			strings.Join(clashes, "; ") + ": rename a node set or a storage entry"}
	}
	return nil
}

func accessModes(spec corev1.PersistentVolumeClaimSpec) string {
	if len(spec.AccessModes) == 0 {
		return "none given"
	}
	modes := make([]string, 0, len(spec.AccessModes))
	for _, m := range spec.AccessModes {
		modes = append(modes, string(m))
	}
	return strings.Join(modes, ", ")
}

// checkLive refuses what the live objects say cannot be done safely: a node set whose
// workload kind changed (the new workload would start on new, empty volumes while the old
// one is deleted), and a claim the node set would mount that was made for another node set
// or CR. It only reads.
func (a *Applier) checkLive(ctx context.Context, c *Cluster) error {
	for i := range c.NodeSets {
		ns := &c.NodeSets[i]
		if err := a.checkKind(ctx, c, ns); err != nil {
			return err
		}
		names, err := a.claimNames(ctx, c, ns)
		if err != nil {
			return err
		}
		for _, name := range names {
			var claim corev1.PersistentVolumeClaim
			err := a.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, &claim)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("get PersistentVolumeClaim %s: %w", name, err)
			}
			if other := claimMadeForOther(&claim, c.Instance, ns.Name); other != "" {
				return &Refusal{Reason: ReasonClaimConflict, Message: fmt.Sprintf(
					"node set %q would mount %s: it is not used, so no data is shared; rename the node set, or delete that claim if its data is not needed",
					ns.Name, other)}
			}
		}
	}
	return nil
}

// checkKind refuses a node set whose live workload is of the other kind.
func (a *Applier) checkKind(ctx context.Context, c *Cluster, ns *NodeSet) error {
	key := client.ObjectKey{Namespace: c.Namespace, Name: ObjectName(c.Instance, ns.Name)}
	var other client.Object = &appsv1.StatefulSet{}
	otherKind := KindStatefulSet
	if ns.Kind == KindStatefulSet {
		other, otherKind = &appsv1.Deployment{}, KindDeployment
	}
	err := a.Client.Get(ctx, key, other)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s %s: %w", otherKind, key.Name, err)
	}
	if !metav1.IsControlledBy(other, a.Owner) {
		return nil
	}
	return &Refusal{Reason: ReasonKindChangeRefused, Message: fmt.Sprintf(
		"node set %q runs as a %s and cannot become a %s: the %s would start on new, empty volumes while the %s and its pods were deleted. "+
			"Set kind back to %s; to move, add a node set with another name, and remove this one once its data has moved (its volumes are kept)",
		ns.Name, otherKind, ns.Kind, ns.Kind, otherKind, otherKind)}
}

// claimNames lists the claims a node set mounts: a Deployment's shared claims, or a
// StatefulSet's claims for every ordinal it runs now or will run.
func (a *Applier) claimNames(ctx context.Context, c *Cluster, ns *NodeSet) ([]string, error) {
	var names []string
	if ns.Kind == KindDeployment {
		for _, s := range ns.Storage {
			names = append(names, ClaimName(c.Instance, ns.Name, s.Name))
		}
		return names, nil
	}
	if len(ns.Storage) == 0 {
		return nil, nil
	}
	ordinals := int(ns.Replicas)
	name := ObjectName(c.Instance, ns.Name)
	var sts appsv1.StatefulSet
	err := a.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, &sts)
	switch {
	case err == nil && sts.Spec.Replicas != nil:
		ordinals = max(ordinals, int(*sts.Spec.Replicas))
	case err != nil && !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("get StatefulSet %s: %w", name, err)
	}
	for _, s := range ns.Storage {
		for ordinal := range ordinals {
			names = append(names, StatefulSetClaimName(c.Instance, ns.Name, s.Name, ordinal))
		}
	}
	sort.Strings(names)
	return names, nil
}
