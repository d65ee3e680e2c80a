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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// FinalizerOrphanedPods is on a CR only while one of its StatefulSets is being recreated:
// then its pods have no owner, and if the CR were deleted the garbage collector would leave
// them running for good. It holds the CR's deletion until Finalize has deleted them.
const FinalizerOrphanedPods = "dsoi.datainfra.io/orphaned-pods"

// holdForOrphanedPods puts FinalizerOrphanedPods on the owner, before a StatefulSet is
// deleted with its pods orphaned.
func (a *Applier) holdForOrphanedPods(ctx context.Context) error {
	if controllerutil.ContainsFinalizer(a.Owner, FinalizerOrphanedPods) {
		return nil
	}
	return a.patchFinalizers(ctx, func(o client.Object) { controllerutil.AddFinalizer(o, FinalizerOrphanedPods) })
}

// releaseOrphanedPodsHold takes FinalizerOrphanedPods off once no StatefulSet is being
// recreated and every pod of the CR has an owner again. It reports whether it wrote.
func (a *Applier) releaseOrphanedPodsHold(ctx context.Context, c *Cluster, r *Report) (bool, error) {
	if !controllerutil.ContainsFinalizer(a.Owner, FinalizerOrphanedPods) {
		return false, nil
	}
	for _, ns := range r.NodeSets {
		if ns.Recreating {
			return false, nil
		}
	}
	orphans, err := a.orphanedPods(ctx, c.App)
	if err != nil || len(orphans) > 0 {
		return false, err
	}
	err = a.patchFinalizers(ctx, func(o client.Object) { controllerutil.RemoveFinalizer(o, FinalizerOrphanedPods) })
	return err == nil, err
}

// Finalize runs when the owner is being deleted: it deletes the pods that a StatefulSet
// recreation left without an owner, then lets the deletion go on. done is false while it
// must look again (a StatefulSet is still releasing its pods).
func (a *Applier) Finalize(ctx context.Context, app string) (done bool, err error) {
	if !controllerutil.ContainsFinalizer(a.Owner, FinalizerOrphanedPods) {
		return true, nil
	}
	var sets appsv1.StatefulSetList
	if err := a.Client.List(ctx, &sets, client.InNamespace(a.Owner.GetNamespace()), client.MatchingLabels(InstanceLabels(app, a.Owner.GetName()))); err != nil {
		return false, fmt.Errorf("list StatefulSets: %w", err)
	}
	for _, sts := range sets.Items {
		if sts.DeletionTimestamp != nil {
			return false, nil // its pods lose their owner once it is gone
		}
	}
	orphans, err := a.orphanedPods(ctx, app)
	if err != nil {
		return false, err
	}
	for _, pod := range orphans {
		if err := a.delete(ctx, pod, "DeletedOrphanedPod", "Deleted pod %s: %s is being deleted and no workload owns the pod", pod.Name, a.Owner.GetName()); err != nil {
			return false, err
		}
	}
	if err := a.patchFinalizers(ctx, func(o client.Object) { controllerutil.RemoveFinalizer(o, FinalizerOrphanedPods) }); err != nil {
		return false, err
	}
	return true, nil
}

// orphanedPods lists the CR's pods that no workload owns and that are not being deleted.
func (a *Applier) orphanedPods(ctx context.Context, app string) ([]*corev1.Pod, error) {
	var pods corev1.PodList
	if err := a.Client.List(ctx, &pods, client.InNamespace(a.Owner.GetNamespace()), client.MatchingLabels(InstanceLabels(app, a.Owner.GetName()))); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	var out []*corev1.Pod
	for i := range pods.Items {
		pod := &pods.Items[i]
		if metav1.GetControllerOf(pod) == nil && pod.DeletionTimestamp == nil {
			out = append(out, pod)
		}
	}
	return out, nil
}

// patchFinalizers changes the owner's finalizers with a merge patch (optimistic lock), on a
// copy, so the caller's view of the owner's status is left as it is.
func (a *Applier) patchFinalizers(ctx context.Context, change func(client.Object)) error {
	base := a.Owner.DeepCopyObject().(client.Object)
	owner := a.Owner.DeepCopyObject().(client.Object)
	change(owner)
	if err := a.Client.Patch(ctx, owner, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("update the finalizers of %s: %w", a.Owner.GetName(), err)
	}
	a.Owner.SetFinalizers(owner.GetFinalizers())
	a.Owner.SetResourceVersion(owner.GetResourceVersion())
	return nil
}
