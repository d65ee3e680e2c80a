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
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ObjectKey names one child: its kind and name.
type ObjectKey struct{ Kind, Name string }

// KeyOf returns the ObjectKey of a child object.
func KeyOf(obj client.Object) ObjectKey { return ObjectKey{Kind: kindOf(obj), Name: obj.GetName()} }

func ptrUID(obj client.Object) *types.UID {
	uid := obj.GetUID()
	return &uid
}

// Pruned says what Prune did.
type Pruned struct {
	// Deleted lists the objects deleted.
	Deleted []ObjectKey
	// ClaimsWaiting: claims of removed node sets are to be deleted once their workload and
	// pods are gone; look again later.
	ClaimsWaiting bool
}

// Prune deletes every child of the owner, of every kind the operator creates, that is not in
// keep. It lists by the CR's instance labels and then checks the controller reference, so it
// never touches objects of another CR or objects a person created. It also deletes pods left
// without an owner by a node set that is gone (a StatefulSet being recreated keeps its pods
// with no owner for a moment). PersistentVolumeClaims are deleted only when deletePVCs is
// set, only claims the operator made for a node set that is no longer in c, and only once
// that node set's workload and pods are gone: data outlives node sets unless asked otherwise.
func (a *Applier) Prune(ctx context.Context, c *Cluster, keep map[ObjectKey]bool, deletePVCs bool) (Pruned, error) {
	var out Pruned
	inSpec := map[string]bool{}
	for _, ns := range c.NodeSets {
		inSpec[ns.Name] = true
	}
	// Node sets with a workload still there, and those whose workload goes now.
	running, removed := map[string]bool{}, map[string]bool{}
	lists := []client.ObjectList{
		&corev1.ConfigMapList{}, &corev1.ServiceList{}, &appsv1.StatefulSetList{},
		&appsv1.DeploymentList{}, &policyv1.PodDisruptionBudgetList{},
	}
	for _, list := range lists {
		objs, err := a.listInstance(ctx, c, list)
		if err != nil {
			return out, err
		}
		for _, obj := range objs {
			nodeSet := obj.GetLabels()[LabelNodeSet]
			if isWorkload(obj) && nodeSet != "" {
				running[nodeSet] = true
			}
			if keep[KeyOf(obj)] || !metav1.IsControlledBy(obj, a.Owner) || obj.GetDeletionTimestamp() != nil {
				continue
			}
			if err := a.delete(ctx, obj, "Deleted", "Deleted %s: its node set is no longer in the spec", describe(obj)); err != nil {
				return out, err
			}
			out.Deleted = append(out.Deleted, KeyOf(obj))
			if isWorkload(obj) && nodeSet != "" && !inSpec[nodeSet] {
				removed[nodeSet] = true
			}
		}
	}
	withPods, err := a.pruneOrphanedPods(ctx, c, inSpec, &out)
	if err != nil {
		return out, err
	}
	claims, err := a.listInstance(ctx, c, &corev1.PersistentVolumeClaimList{})
	if err != nil {
		return out, err
	}
	kept := map[string][]string{}
	for _, obj := range claims {
		nodeSet := claimNodeSet(obj.(*corev1.PersistentVolumeClaim), c.App, c.Instance)
		if nodeSet == "" || inSpec[nodeSet] || obj.GetDeletionTimestamp() != nil {
			continue
		}
		switch {
		case !deletePVCs:
			kept[nodeSet] = append(kept[nodeSet], obj.GetName())
		case running[nodeSet] || withPods[nodeSet]:
			out.ClaimsWaiting = true // pods may still be writing to it
		default:
			if err := a.delete(ctx, obj, "Deleted", "Deleted %s: node set %s is no longer in the spec and spec.deletePersistentVolumeClaims is set", describe(obj), nodeSet); err != nil {
				return out, err
			}
			out.Deleted = append(out.Deleted, KeyOf(obj))
		}
	}
	// Tell, once, when a removed node set's data stays: a rename is a removal and an addition,
	// and the new node set starts with new volumes.
	for nodeSet := range removed {
		if names := kept[nodeSet]; len(names) > 0 {
			sort.Strings(names)
			a.event(nil, "VolumesKept", "Delete", "Node set %s is no longer in the spec; its PersistentVolumeClaims %s are kept with their data "+
				"(a node set added under another name does not use them; spec.deletePersistentVolumeClaims deletes the claims of removed node sets)",
				nodeSet, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// pruneOrphanedPods deletes pods of node sets that are gone and that no workload owns, and
// returns the removed node sets that still have pods. Pods of node sets in the spec are
// left alone: without an owner they wait for their recreated StatefulSet to adopt them.
func (a *Applier) pruneOrphanedPods(ctx context.Context, c *Cluster, inSpec map[string]bool, out *Pruned) (map[string]bool, error) {
	pods, err := a.listInstance(ctx, c, &corev1.PodList{})
	if err != nil {
		return nil, err
	}
	withPods := map[string]bool{}
	for _, pod := range pods {
		nodeSet := pod.GetLabels()[LabelNodeSet]
		if nodeSet == "" || inSpec[nodeSet] {
			continue
		}
		withPods[nodeSet] = true
		if metav1.GetControllerOf(pod) != nil || pod.GetDeletionTimestamp() != nil {
			continue // its workload's deletion takes it
		}
		if err := a.delete(ctx, pod, "DeletedOrphanedPod", "Deleted pod %s: node set %s is no longer in the spec and no workload owns the pod", pod.GetName(), nodeSet); err != nil {
			return nil, err
		}
		out.Deleted = append(out.Deleted, KeyOf(pod))
	}
	return withPods, nil
}

// listInstance lists the objects of one kind that carry the CR's instance labels.
func (a *Applier) listInstance(ctx context.Context, c *Cluster, list client.ObjectList) ([]client.Object, error) {
	if err := a.Client.List(ctx, list, client.InNamespace(c.Namespace), client.MatchingLabels(InstanceLabels(c.App, c.Instance))); err != nil {
		return nil, fmt.Errorf("list %T: %w", list, err)
	}
	return items(list), nil
}

// delete deletes obj as it was read (a UID precondition: never a newer object of that name)
// and records why.
func (a *Applier) delete(ctx context.Context, obj client.Object, reason, why string, args ...any) error {
	if err := a.Client.Delete(ctx, obj, client.Preconditions{UID: ptrUID(obj)}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", describe(obj), err)
	}
	a.event(obj, reason, "Delete", why, args...)
	return nil
}

func isWorkload(obj client.Object) bool {
	switch obj.(type) {
	case *appsv1.StatefulSet, *appsv1.Deployment:
		return true
	}
	return false
}

func items(list client.ObjectList) []client.Object {
	var out []client.Object
	switch l := list.(type) {
	case *corev1.ConfigMapList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *corev1.ServiceList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *appsv1.StatefulSetList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *appsv1.DeploymentList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *policyv1.PodDisruptionBudgetList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *corev1.PersistentVolumeClaimList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *corev1.PodList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	}
	return out
}
