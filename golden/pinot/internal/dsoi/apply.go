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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// AnnotationSpecHash records the hash of what the operator last wrote, so a change in the CR
// (including a removed setting) is noticed even where the live object holds extra defaults.
const AnnotationSpecHash = "dsoi.datainfra.io/spec-hash"

// Action says what Apply did to an object.
type Action string

// Actions of Apply.
const (
	Unchanged Action = "Unchanged"
	Created   Action = "Created"
	Updated   Action = "Updated"
	// Recreating: an immutable field changed, so the object was deleted with orphan
	// propagation (its pods and volumes stay) and is created again on a later reconcile.
	Recreating Action = "Recreating"
	// Waiting: the object is being deleted; it is created again once it is gone.
	Waiting Action = "Waiting"
)

// Applier creates and updates the children of one owner. Reads go through Client, which in
// a manager is the informer cache, so an Apply that changes nothing sends no request at all.
type Applier struct {
	Client client.Client
	Scheme *runtime.Scheme
	Owner  client.Object
	// Recorder, when set, gets one event per write, regarding the owner.
	Recorder events.EventRecorder
	// APIReader reads what the cache must not hold: the events about a pod that has not
	// started, which alone tell that its volume cannot attach or mount. It should be the
	// manager's GetAPIReader(), uncached: reading events through the cache would watch every
	// event in the cluster. Nil leaves such failures to the progress deadline.
	APIReader client.Reader
	// Gates runs health gates and remembers their checks between reconciles; it should live
	// as long as the controller. Nil shares one for the whole process.
	Gates *GateChecker
}

// Apply makes the live object match desired and says what it did. After a create or an
// update desired holds the API server's answer; when nothing changed it holds the live object.
func (a *Applier) Apply(ctx context.Context, desired client.Object) (Action, error) {
	return a.apply(ctx, desired, true)
}

// Plan says what Apply would do, without writing: Created when the object is missing,
// Updated or Recreating when it differs, Unchanged, or Waiting while it is being deleted.
func (a *Applier) Plan(ctx context.Context, desired client.Object) (Action, error) {
	return a.apply(ctx, desired.DeepCopyObject().(client.Object), false)
}

func (a *Applier) apply(ctx context.Context, desired client.Object, write bool) (Action, error) {
	_, isClaim := desired.(*corev1.PersistentVolumeClaim)
	// Claims get no owner: their data must outlive the CR, as StatefulSet claims do.
	if !isClaim {
		if err := controllerutil.SetControllerReference(a.Owner, desired, a.Scheme); err != nil {
			return "", err
		}
	}
	hash, err := specHash(desired)
	if err != nil {
		return "", err
	}
	annotations := desired.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationSpecHash] = hash
	desired.SetAnnotations(annotations)

	existing, ok := desired.DeepCopyObject().(client.Object)
	if !ok {
		return "", fmt.Errorf("%T is not a client.Object", desired)
	}
	err = a.Client.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	switch {
	case apierrors.IsNotFound(err):
		if !write {
			return Created, nil
		}
		if err := a.Client.Create(ctx, desired); err != nil {
			return "", fmt.Errorf("create %s: %w", describe(desired), err)
		}
		a.event(desired, "Created", "Create", "Created %s", describe(desired))
		return Created, nil
	case err != nil:
		return "", fmt.Errorf("get %s: %w", describe(desired), err)
	}
	if existing.GetDeletionTimestamp() != nil {
		return Waiting, nil
	}
	if ref := metav1.GetControllerOf(existing); ref != nil && ref.UID != a.Owner.GetUID() {
		return "", fmt.Errorf("%s already belongs to %s %s: two resources want the same object name; rename one of their node sets",
			describe(desired), ref.Kind, ref.Name)
	}
	if claim, ok := desired.(*corev1.PersistentVolumeClaim); ok {
		if err := claimChangeAllowed(claim, existing.(*corev1.PersistentVolumeClaim)); err != nil {
			return "", err
		}
	}
	if immutableChanged(desired, existing) {
		if !write {
			return Recreating, nil
		}
		if _, ok := desired.(*appsv1.StatefulSet); ok {
			if err := a.holdForOrphanedPods(ctx); err != nil {
				return "", err
			}
		}
		if err := a.Client.Delete(ctx, existing, client.PropagationPolicy("Orphan"), client.Preconditions{UID: ptrUID(existing)}); err != nil && !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("delete %s to change an immutable field: %w", describe(desired), err)
		}
		a.event(desired, "Recreating", "Delete", "Deleted %s with orphan propagation to change an immutable field; pods and volumes are kept", describe(desired))
		return Recreating, nil
	}
	if existing.GetAnnotations()[AnnotationSpecHash] == hash && upToDate(withServerFields(desired, existing), existing) {
		copyInto(desired, existing)
		return Unchanged, nil
	}
	if !write {
		return Updated, nil
	}
	keepServerFields(desired, existing)
	desired.SetResourceVersion(existing.GetResourceVersion())
	desired.SetAnnotations(merged(existing.GetAnnotations(), desired.GetAnnotations()))
	desired.SetLabels(merged(existing.GetLabels(), desired.GetLabels()))
	if err := a.Client.Update(ctx, desired); err != nil {
		return "", fmt.Errorf("update %s: %w", describe(desired), err)
	}
	a.event(desired, "Updated", "Update", "Updated %s", describe(desired))
	return Updated, nil
}

// event records a Normal event about the owner; obj, when not nil, is the object acted on.
func (a *Applier) event(obj client.Object, reason, action, note string, args ...any) {
	a.record(corev1.EventTypeNormal, obj, reason, action, note, args...)
}

// warning records a Warning event about the owner.
func (a *Applier) warning(obj client.Object, reason, action, note string, args ...any) {
	a.record(corev1.EventTypeWarning, obj, reason, action, note, args...)
}

func (a *Applier) record(eventType string, obj client.Object, reason, action, note string, args ...any) {
	if a.Recorder == nil {
		return
	}
	var related runtime.Object // a nil client.Object must reach the recorder as a nil interface
	if obj != nil {
		related = obj
	}
	a.Recorder.Eventf(a.Owner, related, eventType, reason, action, note, args...)
}

// describe names an object for messages: "StatefulSet pinot-basic-controller".
func describe(obj client.Object) string {
	return fmt.Sprintf("%s %s", kindOf(obj), obj.GetName())
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *corev1.ConfigMap:
		return "ConfigMap"
	case *corev1.Service:
		return "Service"
	case *appsv1.StatefulSet:
		return "StatefulSet"
	case *appsv1.Deployment:
		return "Deployment"
	case *policyv1.PodDisruptionBudget:
		return "PodDisruptionBudget"
	case *corev1.PersistentVolumeClaim:
		return "PersistentVolumeClaim"
	case *corev1.Pod:
		return "Pod"
	}
	return fmt.Sprintf("%T", obj)
}

// specHash hashes what the operator controls of an object: labels and the desired content.
func specHash(obj client.Object) (string, error) {
	var content any
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		content = o.Data
	case *corev1.Service:
		content = o.Spec
	case *appsv1.StatefulSet:
		content = o.Spec
	case *appsv1.Deployment:
		content = o.Spec
	case *policyv1.PodDisruptionBudget:
		content = o.Spec
	case *corev1.PersistentVolumeClaim:
		content = o.Spec
	default:
		return "", fmt.Errorf("dsoi: cannot apply %T", obj)
	}
	b, err := json.Marshal([]any{obj.GetLabels(), content})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16], nil
}

// upToDate reports whether every field the operator sets still has its value on the live
// object (fields the API server defaulted are ignored), so hand edits are reverted.
func upToDate(desired, existing client.Object) bool {
	for k, v := range desired.GetLabels() {
		if existing.GetLabels()[k] != v {
			return false
		}
	}
	if !metav1OwnedBy(existing, desired) {
		return false
	}
	switch d := desired.(type) {
	case *corev1.ConfigMap:
		return equality.Semantic.DeepEqual(d.Data, existing.(*corev1.ConfigMap).Data)
	case *corev1.Service:
		e := existing.(*corev1.Service)
		return len(d.Spec.Ports) == len(e.Spec.Ports) && equality.Semantic.DeepDerivative(d.Spec, e.Spec)
	case *appsv1.StatefulSet:
		e := existing.(*appsv1.StatefulSet)
		return *d.Spec.Replicas == *e.Spec.Replicas && equality.Semantic.DeepDerivative(d.Spec.Template, e.Spec.Template) &&
			equality.Semantic.DeepDerivative(d.Spec.UpdateStrategy, e.Spec.UpdateStrategy) &&
			equality.Semantic.DeepDerivative(d.Spec.PersistentVolumeClaimRetentionPolicy, e.Spec.PersistentVolumeClaimRetentionPolicy)
	case *appsv1.Deployment:
		e := existing.(*appsv1.Deployment)
		return *d.Spec.Replicas == *e.Spec.Replicas && equality.Semantic.DeepDerivative(d.Spec.Template, e.Spec.Template) &&
			equality.Semantic.DeepDerivative(d.Spec.Strategy, e.Spec.Strategy)
	case *policyv1.PodDisruptionBudget:
		return equality.Semantic.DeepDerivative(d.Spec, existing.(*policyv1.PodDisruptionBudget).Spec)
	case *corev1.PersistentVolumeClaim:
		return equality.Semantic.DeepEqual(d.Spec.Resources.Requests, existing.(*corev1.PersistentVolumeClaim).Spec.Resources.Requests)
	}
	return false
}

// claimChangeAllowed refuses changes to an existing claim other than its size: the API
// server would refuse them, and recreating a claim would lose its data.
func claimChangeAllowed(desired, existing *corev1.PersistentVolumeClaim) error {
	d, e := desired.Spec.DeepCopy(), existing.Spec.DeepCopy()
	d.Resources, e.Resources = corev1.VolumeResourceRequirements{}, corev1.VolumeResourceRequirements{}
	if !equality.Semantic.DeepDerivative(*d, *e) {
		return fmt.Errorf("%s: only the size of an existing claim can change; to change anything else, delete the claim (losing its data) and it is created again", describe(desired))
	}
	resized := !equality.Semantic.DeepEqual(desired.Spec.Resources.Requests, existing.Spec.Resources.Requests)
	if resized && existing.Status.Phase != corev1.ClaimBound {
		return fmt.Errorf("%s is %s, not Bound: its size can change only once it is bound to a volume", describe(desired), existing.Status.Phase)
	}
	return nil
}

func metav1OwnedBy(existing, desired client.Object) bool {
	for _, want := range desired.GetOwnerReferences() {
		found := false
		for _, have := range existing.GetOwnerReferences() {
			if have.UID == want.UID && have.Controller != nil && *have.Controller {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// immutableChanged reports a change the API server would refuse on update.
func immutableChanged(desired, existing client.Object) bool {
	switch d := desired.(type) {
	case *appsv1.StatefulSet:
		e := existing.(*appsv1.StatefulSet)
		if !equality.Semantic.DeepEqual(d.Spec.Selector, e.Spec.Selector) || d.Spec.ServiceName != e.Spec.ServiceName ||
			d.Spec.PodManagementPolicy != e.Spec.PodManagementPolicy || len(d.Spec.VolumeClaimTemplates) != len(e.Spec.VolumeClaimTemplates) {
			return true
		}
		for i := range d.Spec.VolumeClaimTemplates {
			dv, ev := d.Spec.VolumeClaimTemplates[i], e.Spec.VolumeClaimTemplates[i]
			// The labels count too: they hold the node type, and the API server refuses
			// any change to a volumeClaimTemplate.
			if dv.Name != ev.Name || !maps.Equal(dv.Labels, ev.Labels) || !equality.Semantic.DeepDerivative(dv.Spec, ev.Spec) {
				return true
			}
		}
	case *appsv1.Deployment:
		return !equality.Semantic.DeepEqual(d.Spec.Selector, existing.(*appsv1.Deployment).Spec.Selector)
	case *corev1.Service:
		e := existing.(*corev1.Service)
		return (d.Spec.ClusterIP == corev1.ClusterIPNone) != (e.Spec.ClusterIP == corev1.ClusterIPNone)
	}
	return false
}

// withServerFields returns a copy of desired with the fields the API server assigned to the
// live object, as an update would send it: only that copy can be compared with the live
// object, or an allocated node port looks like drift and every reconcile writes.
func withServerFields(desired, existing client.Object) client.Object {
	out := desired.DeepCopyObject().(client.Object)
	keepServerFields(out, existing)
	return out
}

// keepServerFields copies into desired the fields the API server assigned to the live object.
func keepServerFields(desired, existing client.Object) {
	if d, ok := desired.(*corev1.PersistentVolumeClaim); ok {
		// Only the size may change; the rest stays as the API server has it (volumeName, class ...).
		requests := d.Spec.Resources.Requests
		d.Spec = *existing.(*corev1.PersistentVolumeClaim).Spec.DeepCopy()
		d.Spec.Resources.Requests = requests
		return
	}
	d, ok := desired.(*corev1.Service)
	if !ok {
		return
	}
	e := existing.(*corev1.Service)
	// Addresses and families the CR leaves out are the API server's to pick. Those it sets
	// are sent as they are, so a change the API server refuses (clusterIP is immutable)
	// fails the reconcile instead of vanishing from the update.
	if d.Spec.ClusterIP == "" || d.Spec.ClusterIP == e.Spec.ClusterIP {
		d.Spec.ClusterIP = e.Spec.ClusterIP
		if len(d.Spec.ClusterIPs) == 0 {
			d.Spec.ClusterIPs = e.Spec.ClusterIPs
		}
	}
	if slices.Equal(d.Spec.IPFamilies, e.Spec.IPFamilies[:min(len(d.Spec.IPFamilies), len(e.Spec.IPFamilies))]) {
		d.Spec.IPFamilies = e.Spec.IPFamilies // none set, or the first ones: the rest were added
	}
	if d.Spec.IPFamilyPolicy == nil {
		d.Spec.IPFamilyPolicy = e.Spec.IPFamilyPolicy
	}
	if d.Spec.HealthCheckNodePort == 0 {
		d.Spec.HealthCheckNodePort = e.Spec.HealthCheckNodePort
	}
	nodePorts := map[string]int32{}
	for _, p := range e.Spec.Ports {
		nodePorts[p.Name] = p.NodePort
	}
	for i, p := range d.Spec.Ports {
		if p.NodePort == 0 && d.Spec.Type != corev1.ServiceTypeClusterIP {
			d.Spec.Ports[i].NodePort = nodePorts[p.Name]
		}
		if p.TargetPort == (intstr.IntOrString{}) {
			d.Spec.Ports[i].TargetPort = intstr.FromInt32(p.Port) // the API server's default
		}
	}
}

// copyInto overwrites dst with src; both have the same concrete type.
func copyInto(dst, src client.Object) {
	switch d := dst.(type) {
	case *corev1.ConfigMap:
		*d = *src.(*corev1.ConfigMap)
	case *corev1.Service:
		*d = *src.(*corev1.Service)
	case *appsv1.StatefulSet:
		*d = *src.(*appsv1.StatefulSet)
	case *appsv1.Deployment:
		*d = *src.(*appsv1.Deployment)
	case *policyv1.PodDisruptionBudget:
		*d = *src.(*policyv1.PodDisruptionBudget)
	case *corev1.PersistentVolumeClaim:
		*d = *src.(*corev1.PersistentVolumeClaim)
	}
}
