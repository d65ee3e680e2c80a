/*
Copyright Acme Inc..

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

// Prune deletes every child of the owner, of every kind the operator creates, that is not in
// keep. It lists by the CR's instance labels and then checks the controller reference, so it
// never touches objects of another CR or objects a person created. PersistentVolumeClaims
// are deleted only when deletePVCs is set, and only those of node sets whose StatefulSet is
// not in keep: data outlives node sets unless asked otherwise.
func (a *Applier) Prune(ctx context.Context, app string, keep map[ObjectKey]bool, deletePVCs bool) ([]ObjectKey, error) {
	lists := []client.ObjectList{
		&corev1.ConfigMapList{}, &corev1.ServiceList{}, &appsv1.StatefulSetList{},
		&appsv1.DeploymentList{}, &policyv1.PodDisruptionBudgetList{},
	}
	if deletePVCs {
		lists = append(lists, &corev1.PersistentVolumeClaimList{})
	}
	var deleted []ObjectKey
	for _, list := range lists {
		if err := a.Client.List(ctx, list, client.InNamespace(a.Owner.GetNamespace()),
			client.MatchingLabels(InstanceLabels(app, a.Owner.GetName()))); err != nil {
			return deleted, fmt.Errorf("list %T: %w", list, err)
		}
		for _, obj := range items(list) {
			key := KeyOf(obj)
			if keep[key] || a.volumeOfKept(obj, keep) || !a.owns(obj) || obj.GetDeletionTimestamp() != nil {
				continue
			}
			if err := a.Client.Delete(ctx, obj, client.Preconditions{UID: ptrUID(obj)}); err != nil && !apierrors.IsNotFound(err) {
				return deleted, fmt.Errorf("delete %s: %w", describe(obj), err)
			}
			a.event(obj, "Deleted", "Delete", "Deleted %s: its node set is no longer in the spec", describe(obj))
			deleted = append(deleted, key)
		}
	}
	return deleted, nil
}

// owns reports whether obj is controlled by the owner. PVCs made from volumeClaimTemplates
// are owned by no one (or by their StatefulSet), so for them the instance labels decide.
func (a *Applier) owns(obj client.Object) bool {
	if _, ok := obj.(*corev1.PersistentVolumeClaim); ok {
		return true
	}
	return metav1.IsControlledBy(obj, a.Owner)
}

// volumeOfKept reports whether obj is a PersistentVolumeClaim of a node set whose
// StatefulSet is kept: deletePVCs is for the volumes of removed node sets only.
func (a *Applier) volumeOfKept(obj client.Object, keep map[ObjectKey]bool) bool {
	if _, ok := obj.(*corev1.PersistentVolumeClaim); !ok {
		return false
	}
	nodeSet, ok := obj.GetLabels()[LabelNodeSet]
	return ok && keep[ObjectKey{Kind: KindStatefulSet, Name: ObjectName(a.Owner.GetName(), nodeSet)}]
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
	}
	return out
}
