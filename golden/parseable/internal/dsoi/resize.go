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
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Volume growth. A StatefulSet never resizes the claims its volumeClaimTemplates already made,
// and a Deployment's shared claim grows only if its StorageClass allows it, so Reconcile grows
// existing claims itself, refuses what cannot work before writing anything, and reports
// progress from each claim's status until the volume really has the requested size.

// AnnotationResizingTo on a claim records the size the operator grew it to. It is removed once
// every claim of the node set has its size: that write is the one moment the resize completes,
// so ResizeCompleted is recorded exactly once, whatever the reconciles in between.
const AnnotationResizingTo = "dsoi.datainfra.io/resizing-to"

// Resize is the state of a node set's volumes after a reconcile.
type Resize struct {
	// Refused says why a size change in the spec is not applied ("" when none is refused):
	// shrinking, or a StorageClass that does not allow expansion. The volumes keep their size.
	Refused string
	// Volumes are the node set's bound claims (and those waiting for a volume to grow), by name.
	Volumes []VolumeProgress
}

// VolumeProgress is how far one claim has grown.
type VolumeProgress struct {
	Name string
	// Requested is the size the claim must reach, Capacity the size its volume has now.
	Requested, Capacity resource.Quantity
	// Bound is false while the claim waits for a volume: it can grow only once it has one.
	Bound bool
	// States are the claim's resize conditions (Resizing, FileSystemResizePending,
	// ControllerResizeError, NodeResizeError) and an infeasible allocatedResourceStatus.
	States []string
}

// Done reports whether the volume has the requested size.
func (v VolumeProgress) Done() bool { return v.Bound && v.Capacity.Cmp(v.Requested) >= 0 }

// volumePlan is what planResize found about one node set's claims.
type volumePlan struct {
	refused []string
	claims  []trackedClaim
	// started lists the shared claims growClaims had Apply grow, for ResizeStarted once it has.
	started []string
}

// trackedClaim is an existing claim of a node set and the size it must reach.
type trackedClaim struct {
	claim *corev1.PersistentVolumeClaim
	want  resource.Quantity
	// pod is the StatefulSet pod that mounts the claim; "" for a Deployment's shared claim,
	// which every pod of the node set mounts.
	pod string
	// template is the volumeClaimTemplate a StatefulSet claim was made from.
	template string
	// desired is the claim as Build wants it, for a Deployment's shared claim: Apply grows
	// those (a patch here would leave Apply a stale copy to update), growClaims only marks them.
	desired *corev1.PersistentVolumeClaim
}

// grow reports whether the claim must be patched to its size.
func (t trackedClaim) grow() bool { return less(storageRequest(t.claim), t.want) }

// planResize looks at a node set's claims before anything is written. A refused size change is
// taken out of objs (the live size is kept), so Plan and Apply go on with every other change.
func (a *Applier) planResize(ctx context.Context, c *Cluster, ns *NodeSet, objs *Objects) (*volumePlan, error) {
	if objs.StatefulSet != nil {
		return a.planStatefulSetResize(ctx, c, ns, objs.StatefulSet)
	}
	return a.planSharedClaimResize(ctx, ns, objs.Claims)
}

// planStatefulSetResize refuses shrinking, and growth where a claim's class does not allow
// expansion; otherwise it tracks every existing claim made from the templates.
func (a *Applier) planStatefulSetResize(ctx context.Context, c *Cluster, ns *NodeSet, sts *appsv1.StatefulSet) (*volumePlan, error) {
	plan := &volumePlan{}
	var old []corev1.PersistentVolumeClaim // the live templates, when only their sizes differ
	live, err := a.live(ctx, sts)
	if err != nil {
		return nil, err
	}
	list, err := a.claimsOfNodeSet(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	claims := matchStatefulSetClaims(list, sts)
	if l, ok := live.(*appsv1.StatefulSet); ok && l.DeletionTimestamp == nil && sizesOnlyChanged(sts.Spec.VolumeClaimTemplates, l.Spec.VolumeClaimTemplates) {
		old = l.Spec.VolumeClaimTemplates
		plan.refused = shrinkRefusals(ns.Name, sts.Spec.VolumeClaimTemplates, old, claims)
	}
	if len(plan.refused) == 0 {
		if plan.refused, err = a.growthRefusals(ctx, ns.Name, claims); err != nil {
			return nil, err
		}
	}
	if len(plan.refused) > 0 {
		// Nothing grows: the StatefulSet keeps its templates' sizes, the claims theirs.
		if old != nil {
			keepSizes(sts.Spec.VolumeClaimTemplates, old)
			claims = matchStatefulSetClaims(list, sts)
		}
		claims = withoutGrowth(claims)
	}
	plan.claims = withoutNewClaims(claims)
	return plan, nil
}

// planSharedClaimResize does the same for a Deployment's shared claims. Apply grows them: a
// refused size, or one a claim still waiting for its volume cannot take yet, is set back to
// the live size in the desired claim, so Apply neither fails nor loops.
func (a *Applier) planSharedClaimResize(ctx context.Context, ns *NodeSet, claims []*corev1.PersistentVolumeClaim) (*volumePlan, error) {
	plan := &volumePlan{}
	for _, desired := range claims {
		obj, err := a.live(ctx, desired)
		if err != nil {
			return nil, err
		}
		live, _ := obj.(*corev1.PersistentVolumeClaim)
		if live == nil || live.DeletionTimestamp != nil || !hasLabels(live, desired.Labels[LabelInstance], desired.Labels[LabelNodeSet]) {
			continue // Apply creates it, waits, or refuses to take over a claim that is not ours
		}
		want, have := storageRequest(desired), storageRequest(live)
		t := trackedClaim{claim: live, want: want, desired: desired}
		if want.Cmp(have) < 0 {
			plan.refused = append(plan.refused, shrinkRefusal(ns.Name, live.Name, have, want))
			t.want = have
		}
		if t.grow() {
			refusal, err := a.expansionRefusal(ctx, live)
			if err != nil {
				return nil, err
			}
			if refusal != "" {
				plan.refused = append(plan.refused, growthRefusal(ns.Name, []string{live.Name}, want.String()+": "+refusal))
				t.want = have
			}
		}
		if t.grow() && live.Status.Phase != corev1.ClaimBound {
			// The API server refuses to resize a claim without a volume: wait for one.
			plan.claims = append(plan.claims, t)
			setStorageRequest(desired, have)
			continue
		}
		setStorageRequest(desired, t.want)
		plan.claims = append(plan.claims, t)
	}
	plan.claims = withoutNewClaims(plan.claims)
	return plan, nil
}

// sizesOnlyChanged reports whether desired differs from live in nothing but storage requests.
func sizesOnlyChanged(desired, live []corev1.PersistentVolumeClaim) bool {
	if len(desired) != len(live) {
		return false
	}
	changed := false
	for i := range desired {
		d, l := desired[i], live[i]
		if d.Name != l.Name || !equality.Semantic.DeepEqual(d.Labels, l.Labels) {
			return false
		}
		ds, ls := d.Spec.DeepCopy(), l.Spec.DeepCopy()
		delete(ds.Resources.Requests, corev1.ResourceStorage)
		delete(ls.Resources.Requests, corev1.ResourceStorage)
		if len(ds.Resources.Requests) == 0 {
			ds.Resources.Requests = nil
		}
		if !equality.Semantic.DeepDerivative(*ds, *ls) {
			return false
		}
		if have, want := storageRequest(&l), storageRequest(&d); have.Cmp(want) != 0 {
			changed = true
		}
	}
	return changed
}

// shrinkRefusals lists the templates whose size went down below that of an existing claim: a
// volume cannot shrink. A template that only goes back to the size its claims have (they never
// grew, say under an operator without volume growth) takes nothing from a volume.
func shrinkRefusals(nodeSet string, desired, live []corev1.PersistentVolumeClaim, claims []trackedClaim) []string {
	var out []string
	for i := range desired {
		want, have := storageRequest(&desired[i]), storageRequest(&live[i])
		if want.Cmp(have) >= 0 {
			continue
		}
		for _, t := range claims {
			if t.template == desired[i].Name && less(want, storageRequest(t.claim)) {
				out = append(out, shrinkRefusal(nodeSet, desired[i].Name, have, want))
				break
			}
		}
	}
	return out
}

func shrinkRefusal(nodeSet, volume string, have, want resource.Quantity) string {
	return fmt.Sprintf("node set %s: volume %s cannot shrink from %s to %s (volumes only grow); it stays at %s",
		nodeSet, volume, have.String(), want.String(), have.String())
}

// growthRefusals checks the StorageClass of every claim that must grow, and names the claims
// refused for one reason together.
func (a *Applier) growthRefusals(ctx context.Context, nodeSet string, claims []trackedClaim) ([]string, error) {
	var reasons []string
	refused := map[string][]string{}
	for _, t := range claims {
		if !t.grow() {
			continue
		}
		why, err := a.expansionRefusal(ctx, t.claim)
		if err != nil {
			return nil, err
		}
		if why == "" {
			continue
		}
		key := t.want.String() + ": " + why
		if refused[key] == nil {
			reasons = append(reasons, key)
		}
		refused[key] = append(refused[key], t.claim.Name)
	}
	out := make([]string, 0, len(reasons))
	for _, key := range reasons {
		out = append(out, growthRefusal(nodeSet, refused[key], key))
	}
	return out, nil
}

// growthRefusal is "node set broker: claims a, b cannot grow to 20Gi: <why>".
func growthRefusal(nodeSet string, claims []string, sizeAndWhy string) string {
	noun := "claim"
	if len(claims) > 1 {
		noun = "claims"
	}
	return fmt.Sprintf("node set %s: %s %s cannot grow to %s; the volumes keep their size", nodeSet, noun, listed(claims, ", "), sizeAndWhy)
}

// expansionRefusal says why a claim cannot grow ("" when it can). The API server lets a claim
// grow only when its own StorageClass allows expansion: not the template's, not today's
// default (a claim made with no class, when the cluster had no default, never grows).
func (a *Applier) expansionRefusal(ctx context.Context, claim *corev1.PersistentVolumeClaim) (string, error) {
	name := claim.Spec.StorageClassName
	if name == nil || *name == "" {
		return "the claim has no StorageClass (it was bound by hand, or made when the cluster had no default class); only claims of a StorageClass that allows expansion can grow", nil
	}
	var class storagev1.StorageClass
	err := a.Client.Get(ctx, client.ObjectKey{Name: *name}, &class)
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("StorageClass %s does not exist", *name), nil
	case err != nil:
		return "", fmt.Errorf("get StorageClass %s: %w", *name, err)
	case class.AllowVolumeExpansion == nil || !*class.AllowVolumeExpansion:
		return fmt.Sprintf("StorageClass %s does not allow volume expansion (allowVolumeExpansion is not true)", *name), nil
	}
	return "", nil
}

// claimsOfNodeSet lists the claims that carry the node set's selector labels, sorted by name.
func (a *Applier) claimsOfNodeSet(ctx context.Context, c *Cluster, ns *NodeSet) ([]corev1.PersistentVolumeClaim, error) {
	var list corev1.PersistentVolumeClaimList
	if err := a.Client.List(ctx, &list, client.InNamespace(c.Namespace), client.MatchingLabels(Selector(c.Instance, ns.Name))); err != nil {
		return nil, fmt.Errorf("list claims of node set %q: %w", ns.Name, err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items, nil
}

// matchStatefulSetClaims picks the claims made from sts's templates: named exactly
// <template>-<statefulset>-<ordinal> and controlled by nothing but that StatefulSet. A name
// prefix alone would also match the claims of node set broker-x for node set broker.
func matchStatefulSetClaims(claims []corev1.PersistentVolumeClaim, sts *appsv1.StatefulSet) []trackedClaim {
	var out []trackedClaim
	for i := range claims {
		claim := &claims[i]
		if ref := metav1.GetControllerOf(claim); ref != nil && (ref.Kind != KindStatefulSet || ref.Name != sts.Name) {
			continue
		}
		if claim.DeletionTimestamp != nil {
			continue
		}
		for _, tmpl := range sts.Spec.VolumeClaimTemplates {
			ordinal, ok := strings.CutPrefix(claim.Name, tmpl.Name+"-"+sts.Name+"-")
			if !ok || !isOrdinal(ordinal) {
				continue
			}
			t := trackedClaim{claim: claim, want: storageRequest(&tmpl), pod: sts.Name + "-" + ordinal, template: tmpl.Name}
			if have := storageRequest(claim); have.Cmp(t.want) > 0 {
				t.want = have // grown by hand beyond the template: it only has to reach its own size
			}
			out = append(out, t)
		}
	}
	return out
}

func isOrdinal(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// keepSizes sets the storage requests of desired to those of live, template by template.
func keepSizes(desired, live []corev1.PersistentVolumeClaim) {
	for i := range desired {
		setStorageRequest(&desired[i], storageRequest(&live[i]))
	}
}

// withoutGrowth drops claims that would have to grow: after a refusal none does.
func withoutGrowth(claims []trackedClaim) []trackedClaim {
	var out []trackedClaim
	for _, t := range claims {
		if !t.grow() {
			out = append(out, t)
		}
	}
	return out
}

func less(a, b resource.Quantity) bool { return a.Cmp(b) < 0 }

// withoutNewClaims drops claims waiting for their first volume that need not grow: they get
// their size when provisioned, and their pods are not ready before, which the rollout tells.
func withoutNewClaims(claims []trackedClaim) []trackedClaim {
	var out []trackedClaim
	for _, t := range claims {
		if t.grow() || t.claim.Status.Phase == corev1.ClaimBound {
			out = append(out, t)
		}
	}
	return out
}

func storageRequest(claim *corev1.PersistentVolumeClaim) resource.Quantity {
	return claim.Spec.Resources.Requests[corev1.ResourceStorage]
}

func setStorageRequest(claim *corev1.PersistentVolumeClaim, size resource.Quantity) {
	if claim.Spec.Resources.Requests == nil {
		claim.Spec.Resources.Requests = corev1.ResourceList{}
	}
	claim.Spec.Resources.Requests[corev1.ResourceStorage] = size
}

func hasLabels(obj client.Object, instance, nodeSet string) bool {
	return obj.GetLabels()[LabelInstance] == instance && obj.GetLabels()[LabelNodeSet] == nodeSet
}

// growClaims patches every tracked StatefulSet claim that is bound and smaller than it must
// be, marking it with AnnotationResizingTo; a shared claim only gets the mark in its desired
// object, for Apply to write with the size. The StatefulSet is recreated with the new
// templates only after this, so a failed patch leaves the difference for the next reconcile.
func (a *Applier) growClaims(ctx context.Context, ns *NodeSet, plan *volumePlan) (int, error) {
	var grown []string
	defer func() { a.resizeStarted(ns, grown) }() // also for the claims grown before an error
	for i := range plan.claims {
		t := &plan.claims[i]
		if !t.grow() || t.claim.Status.Phase != corev1.ClaimBound {
			continue
		}
		what := fmt.Sprintf("%s to %s", t.claim.Name, t.want.String())
		if t.desired != nil {
			t.desired.SetAnnotations(merged(t.desired.Annotations, map[string]string{AnnotationResizingTo: t.want.String()}))
			plan.started = append(plan.started, what)
			continue
		}
		patch := client.MergeFromWithOptions(t.claim.DeepCopy(), client.MergeFromWithOptimisticLock{})
		setStorageRequest(t.claim, t.want)
		annotations := merged(t.claim.Annotations, map[string]string{AnnotationResizingTo: t.want.String()})
		t.claim.SetAnnotations(annotations)
		if err := a.Client.Patch(ctx, t.claim, patch); err != nil {
			return len(grown), fmt.Errorf("grow claim %s to %s: %w", t.claim.Name, t.want.String(), err)
		}
		grown = append(grown, what)
	}
	return len(grown), nil
}

// resizeStarted records ResizeStarted for the claims grown ("data-x-0 to 20Gi"), if any.
func (a *Applier) resizeStarted(ns *NodeSet, grown []string) {
	if len(grown) > 0 {
		a.event(nil, "ResizeStarted", "Resize", "Growing the volumes of node set %s: %s", ns.Name, listed(grown, ", "))
	}
}

// volumeProgress reads how far every tracked claim has grown, sorted by name.
func volumeProgress(claims []trackedClaim) []VolumeProgress {
	out := make([]VolumeProgress, 0, len(claims))
	for _, t := range claims {
		claim := t.claim
		p := VolumeProgress{Name: claim.Name, Requested: t.want, Bound: claim.Status.Phase == corev1.ClaimBound,
			Capacity: claim.Status.Capacity[corev1.ResourceStorage]}
		if have := storageRequest(claim); have.Cmp(p.Requested) > 0 {
			p.Requested = have
		}
		for _, cond := range claim.Status.Conditions {
			if cond.Status == corev1.ConditionTrue && resizeConditions[cond.Type] {
				p.States = append(p.States, string(cond.Type))
			}
		}
		if s := claim.Status.AllocatedResourceStatuses[corev1.ResourceStorage]; strings.HasSuffix(string(s), "Infeasible") {
			p.States = append(p.States, string(s))
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var resizeConditions = map[corev1.PersistentVolumeClaimConditionType]bool{
	corev1.PersistentVolumeClaimResizing:                true,
	corev1.PersistentVolumeClaimFileSystemResizePending: true,
	corev1.PersistentVolumeClaimControllerResizeError:   true,
	corev1.PersistentVolumeClaimNodeResizeError:         true,
}

// resizeFailure names the first claim whose resize failed, "" when none did: the resizer has
// given up or keeps failing, which waiting does not mend.
func resizeFailure(volumes []VolumeProgress, claims []trackedClaim) string {
	messages := map[string]string{}
	for _, t := range claims {
		for _, cond := range t.claim.Status.Conditions {
			if cond.Status == corev1.ConditionTrue && (cond.Type == corev1.PersistentVolumeClaimControllerResizeError || cond.Type == corev1.PersistentVolumeClaimNodeResizeError) {
				messages[t.claim.Name] = orDash(cond.Message, "")
			}
		}
	}
	for _, v := range volumes {
		if v.Done() {
			continue
		}
		for _, s := range v.States {
			if s == string(corev1.PersistentVolumeClaimControllerResizeError) || s == string(corev1.PersistentVolumeClaimNodeResizeError) || strings.HasSuffix(s, "Infeasible") {
				return fmt.Sprintf("claim %s cannot grow to %s (%s): %s", v.Name, v.Requested.String(), s, messages[v.Name])
			}
		}
	}
	return ""
}

// resizeMessage describes volumes still growing: "resizing volumes: 1 of 3 claims at 20Gi
// (data-basic-broker-0: 10Gi, Resizing)"; "" when every one has its size.
func resizeMessage(volumes []VolumeProgress) string {
	var lagging []string
	sizes := map[string]bool{}
	for _, v := range volumes {
		sizes[v.Requested.String()] = true
		if v.Done() {
			continue
		}
		state := v.Capacity.String()
		switch {
		case !v.Bound:
			state = "waiting for its volume to be bound"
		case v.Capacity.IsZero():
			state = "capacity unknown"
		}
		lagging = append(lagging, strings.Join(append([]string{v.Name + ": " + state}, v.States...), ", "))
	}
	if len(lagging) == 0 {
		return ""
	}
	at := "their requested size"
	if len(sizes) == 1 {
		at = volumes[0].Requested.String()
	}
	return fmt.Sprintf("resizing volumes: %d of %d claims at %s (%s)", len(volumes)-len(lagging), len(volumes), at, listed(lagging, "; "))
}

// finishResize reports the node set's volumes after its objects are applied: a node set whose
// volumes are still growing is not done. Where a volume waits for a file system resize that
// needs its pod restarted, one such pod is restarted, when it is the node set's turn and its
// workload has otherwise rolled out. Once every volume has its size, ResizeCompleted.
func (a *Applier) finishResize(ctx context.Context, c *Cluster, ns *NodeSet, plan *volumePlan, nr *NodeSetReport, turn bool, state *rolloutState) (int, error) {
	a.resizeStarted(ns, plan.started) // only now: a shared claim has grown once Apply succeeded
	volumes := volumeProgress(plan.claims)
	nr.Volumes = volumes
	msg := resizeMessage(volumes)
	if msg == "" {
		return a.completeResize(ctx, ns, plan)
	}
	if c.Stopped {
		return 0, nil // no pod mounts the volumes: their file systems grow when the pods start again
	}
	if f := resizeFailure(volumes, plan.claims); f != "" && state.failure == "" {
		state.failure = fmt.Sprintf("node set %s (node type %s): %s", ns.Name, ns.NodeType, f)
	}
	rolledOut := nr.Done
	if nr.Done {
		nr.Done, nr.Phase, nr.Message = false, PhaseProgressing, msg
	} else {
		nr.Message = strings.TrimPrefix(nr.Message+"; "+msg, "; ")
	}
	if !turn || !rolledOut {
		return 0, nil
	}
	return a.restartForResize(ctx, c, ns, plan)
}

// completeResize clears the resize mark from the claims that carry it, and records
// ResizeCompleted when it cleared one.
func (a *Applier) completeResize(ctx context.Context, ns *NodeSet, plan *volumePlan) (int, error) {
	var cleared []string
	for _, t := range plan.claims {
		if _, ok := t.claim.Annotations[AnnotationResizingTo]; !ok {
			continue
		}
		patch := client.MergeFromWithOptions(t.claim.DeepCopy(), client.MergeFromWithOptimisticLock{})
		delete(t.claim.Annotations, AnnotationResizingTo)
		if err := a.Client.Patch(ctx, t.claim, patch); err != nil {
			return len(cleared), fmt.Errorf("mark claim %s resized: %w", t.claim.Name, err)
		}
		cleared = append(cleared, t.claim.Name)
	}
	if len(cleared) > 0 {
		a.event(nil, "ResizeCompleted", "Resize", "The volumes of node set %s have their requested size: %s",
			ns.Name, volumeSizes(plan.claims))
	}
	return len(cleared), nil
}

// volumeSizes lists claims with their size: "data-basic-broker-0 20Gi, data-basic-broker-1 20Gi".
func volumeSizes(claims []trackedClaim) string {
	var out []string
	for _, v := range volumeProgress(claims) {
		out = append(out, v.Name+" "+v.Requested.String())
	}
	return listed(out, ", ")
}

// maxListed is how many claims a message names: an event's note may hold 1 kB at most.
const maxListed = 5

// listed joins items with sep, naming the first maxListed and counting the rest.
func listed(items []string, sep string) string {
	if len(items) <= maxListed {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:maxListed], sep), sep, len(items)-maxListed)
}

// restartForResize deletes one pod whose volume waits for a file system resize that the
// volume driver performs only when the volume is mounted again. One at a time: only when no
// pod of the node set is terminating, and only a pod that is ready and started before the
// resize got that far (a pod started later has mounted the volume since, and restarting it
// again would not help).
func (a *Applier) restartForResize(ctx context.Context, c *Cluster, ns *NodeSet, plan *volumePlan) (int, error) {
	pods, err := a.podsOf(ctx, c, ns)
	if err != nil {
		return 0, err
	}
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			return 0, nil
		}
	}
	for _, t := range plan.claims {
		pending := fileSystemResizePending(t.claim)
		if pending == nil {
			continue
		}
		for i := range pods {
			pod := &pods[i]
			if (t.pod != "" && pod.Name != t.pod) || !podReady(pod) || !pod.CreationTimestamp.Before(&pending.LastTransitionTime) {
				continue
			}
			if err := a.Client.Delete(ctx, pod, client.Preconditions{UID: ptrUID(pod)}); err != nil && !apierrors.IsNotFound(err) {
				return 0, fmt.Errorf("restart pod %s for the file system resize of claim %s: %w", pod.Name, t.claim.Name, err)
			}
			a.event(pod, "RestartedForResize", "Delete", "Deleted pod %s so that the file system of claim %s grows to %s when the volume is mounted again",
				pod.Name, t.claim.Name, t.want.String())
			return 1, nil
		}
	}
	return 0, nil
}

func fileSystemResizePending(claim *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaimCondition {
	for i, cond := range claim.Status.Conditions {
		if cond.Type == corev1.PersistentVolumeClaimFileSystemResizePending && cond.Status == corev1.ConditionTrue {
			return &claim.Status.Conditions[i]
		}
	}
	return nil
}

// refusal is a change of the spec that is not applied: it stays in the Degraded condition
// until the spec changes.
type refusal struct {
	reason, action, message string
}

// refusals lists the refusals of every node set: sizes of volumes, then scale-downs below a
// node type's minimum.
func refusals(nodeSets []NodeSetReport) []refusal {
	var out []refusal
	for _, ns := range nodeSets {
		if ns.Refused != "" {
			out = append(out, refusal{"ResizeRefused", "Resize", ns.Refused})
		}
	}
	for _, ns := range nodeSets {
		if ns.ScaleDownRefused != "" {
			out = append(out, refusal{"ScaleDownRefused", "Scale", ns.ScaleDownRefused})
		}
	}
	return out
}

// refusalEvents returns a warning for each refusal that the Degraded condition of last (the
// conditions as the status last stored them) does not already report, so a refusal is told
// once, not on every reconcile.
func refusalEvents(nodeSets []NodeSetReport, last []metav1.Condition) []Event {
	reported := ""
	for _, cond := range last {
		if cond.Type == ConditionDegraded && cond.Status == metav1.ConditionTrue {
			reported = cond.Message
		}
	}
	var out []Event
	for _, r := range refusals(nodeSets) {
		if !strings.Contains(reported, r.message) {
			out = append(out, Event{Warning: true, Reason: r.reason, Action: r.action, Note: r.message})
		}
	}
	return out
}
