package dsoi

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Refusals against a real API server: each comes before any write.

// wantRefusal runs Reconcile and checks that it refuses with reason and writes nothing.
func wantRefusal(t *testing.T, a *Applier, c *Cluster, reason, says string) {
	t.Helper()
	before := namespaceVersions(t, a.Client, c.Namespace)
	report, err := a.Reconcile(t.Context(), c, basicOptions(), nil)
	var refusal *Refusal
	if !errors.As(err, &refusal) || refusal.Reason != reason || !strings.Contains(err.Error(), says) {
		t.Fatalf("Reconcile: %v, want a %s refusal saying %q", err, reason, says)
	}
	if report.Writes != 0 {
		t.Errorf("refused Reconcile reports %d writes", report.Writes)
	}
	if after := namespaceVersions(t, a.Client, c.Namespace); !maps.Equal(before, after) {
		t.Errorf("refused Reconcile changed objects:\nbefore %v\nafter  %v", before, after)
	}
}

// namespaceVersions maps every object the operator could touch in a namespace to its
// resourceVersion: equal maps, nothing written.
func namespaceVersions(t *testing.T, c client.Client, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, list := range []client.ObjectList{
		&corev1.ConfigMapList{}, &corev1.ServiceList{}, &appsv1.StatefulSetList{}, &appsv1.DeploymentList{},
		&corev1.PersistentVolumeClaimList{}, &corev1.PodList{},
	} {
		if err := c.List(t.Context(), list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, obj := range items(list) {
			out[describe(obj)] = obj.GetResourceVersion()
		}
	}
	return out
}

// A node set that changes kind would start on new, empty volumes while its old workload and
// pods were deleted: refused, and the old workload keeps running.
func TestReconcileRefusesKindChange(t *testing.T) {
	_, c, a, cluster := setup(t)
	rolledOut(t, a, cluster, basicOptions())
	for _, kind := range []string{KindStatefulSet, KindDeployment} {
		changed := testCluster(cluster.Namespace)
		i := slices.IndexFunc(changed.NodeSets, func(ns NodeSet) bool { return ns.Kind != kind })
		was := changed.NodeSets[i].Kind
		changed.NodeSets[i].Kind = kind
		changed.NodeSets[i].Storage = nil // a Deployment of 3 on one ReadWriteOnce claim is refused for another reason
		wantRefusal(t, a, changed, ReasonKindChangeRefused,
			`node set "`+changed.NodeSets[i].Name+`" runs as a `+was+` and cannot become a `+kind)
		assertAlive(t, c, objectOf(ObjectKey{was, ObjectName("basic", changed.NodeSets[i].Name)}, cluster.Namespace))
	}
}

// Colliding names are refused before anything is created.
func TestReconcileRefusesCollidingNames(t *testing.T) {
	_, c, a, cluster := setup(t)
	cluster.NodeSets = append(cluster.NodeSets, cluster.NodeSets[1])
	cluster.NodeSets[2].Name = "controller-headless"
	wantRefusal(t, a, cluster, ReasonNameCollision, "Service basic-controller-headless")
	got := namespaceVersions(t, c, cluster.Namespace)
	delete(got, describe(a.Owner))
	if len(got) != 0 {
		t.Errorf("objects created: %v", slices.Sorted(maps.Keys(got)))
	}
}

// A claim the node set would mount that was made for another CR or node set is never
// adopted; a claim a person made (no operator labels) is, as a StatefulSet would.
func TestReconcileRefusesClaimOfAnother(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	// CR "basic-controller"'s node set "x"... would not collide; CR "basic" with node set
	// "controller" of another instance's labels stands for any such clash.
	other := pvc("data-basic-controller-1")
	other.Namespace = cluster.Namespace
	other.Labels = Labels("pinot", "basic-controller", "x", "controller")
	if err := c.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, a, cluster, ReasonClaimConflict, `PersistentVolumeClaim data-basic-controller-1 was made for node set "x" of "basic-controller"`)

	// Another node set of the same CR (removed since) made it: refused too.
	other.Labels = Labels("pinot", "basic", "old", "controller")
	if err := c.Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, a, cluster, ReasonClaimConflict, `was made for node set "old" of "basic"`)

	// A person's claim, restored from a snapshot, say: used.
	other.Labels = map[string]string{"team": "data"}
	if err := c.Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	reconcile(t, a, cluster, basicOptions(), nil)
	assertAlive(t, c, workload(cluster, "controller"))
}

// deletePersistentVolumeClaims deletes only claims the operator made for a node set that is
// gone, once its workload and pods are gone; a claim that merely carries the CR's labels
// (kustomize commonLabels, a deep-storage claim mounted through volumes) is never deleted.
func TestPruneDeletesOnlyClaimsOfRemovedNodeSets(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	ns := cluster.Namespace
	opts := basicOptions()
	opts.DeletePVCs = true
	rolledOut(t, a, cluster, opts)
	a.Recorder = rec

	// Node set "old" was removed from the spec; its StatefulSet and one pod still run.
	oldLabels := Labels("pinot", "basic", "old", "old")
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "basic-old", Namespace: ns, Labels: oldLabels},
		Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: Selector("basic", "old")},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: oldLabels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "old", Image: "old"}}}},
		},
	}
	if _, err := a.Apply(ctx, sts); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "basic-old-0", Namespace: ns, Labels: oldLabels, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "StatefulSet", Name: sts.Name, UID: sts.UID, Controller: ptr.To(true),
		}}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "old", Image: "old"}}},
	}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	claim := func(name string, labels, annotations map[string]string) *corev1.PersistentVolumeClaim {
		t.Helper()
		p := pvc(name)
		p.Namespace, p.Labels, p.Annotations = ns, labels, annotations
		if err := c.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hashed := map[string]string{AnnotationSpecHash: "0123"}
	gone := []*corev1.PersistentVolumeClaim{
		claim("data-basic-old-0", oldLabels, nil),
		claim("data-basic-old-1", oldLabels, nil),
		claim("basic-old-cache", oldLabels, hashed), // a Deployment's shared claim
	}
	kept := []*corev1.PersistentVolumeClaim{
		claim("data-basic-controller-0", Labels("pinot", "basic", "controller", "controller"), nil), // node set still there
		claim("deep-storage", InstanceLabels("pinot", "basic"), nil),                                // labelled by kustomize
		claim("deep-storage-old", oldLabels, nil),                                                   // all our labels, a person's name
		claim("basic-old-scratch", oldLabels, nil),                                                  // our name form, never written by us
		claim("data-basic-old-extra-0", oldLabels, nil),                                             // node set old-extra's name
		claim("data-basic-old-2", Labels("pinot", "other", "old", "old"), nil),                      // another CR
	}

	// The workload goes first; its claims wait while it and its pods are there.
	report := reconcile(t, a, cluster, opts, nil)
	assertKeys(t, "deleted while the pods run", report.Deleted, []ObjectKey{{KindStatefulSet, "basic-old"}})
	if report.RequeueAfter == 0 {
		t.Error("claims wait for the pods, but no requeue is asked for")
	}
	for _, p := range append(gone, kept...) {
		assertAlive(t, c, p)
	}
	// envtest has no garbage collector: play it.
	if err := c.Delete(ctx, pod); err != nil {
		t.Fatal(err)
	}
	drain(rec)
	report = reconcile(t, a, cluster, opts, nil)
	var want []ObjectKey
	for _, p := range gone {
		want = append(want, KeyOf(p))
		assertGone(t, c, ns, KeyOf(p))
	}
	assertKeys(t, "deleted once the pods are gone", report.Deleted, want)
	for _, p := range kept {
		assertAlive(t, c, p)
	}
	for _, e := range drain(rec) {
		if !strings.Contains(e, "node set old is no longer in the spec and spec.deletePersistentVolumeClaims is set") {
			t.Errorf("event %q does not say why the claim went", e)
		}
	}
}

// Without deletePersistentVolumeClaims, removing (or renaming) a node set keeps its volumes,
// and one event says so and names them.
func TestPruneKeepsVolumesOfRemovedNodeSetsAndSaysSo(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	rolledOut(t, a, cluster, basicOptions())
	volumes := []*corev1.PersistentVolumeClaim{pvc("data-basic-controller-0"), pvc("data-basic-controller-1")}
	for _, v := range volumes {
		v.Namespace, v.Labels = cluster.Namespace, Labels("pinot", "basic", "controller", "controller")
		if err := c.Create(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	a.Recorder = rec
	cluster.NodeSets[0].Name = "coordinator" // a rename: remove and add
	reconcile(t, a, cluster, basicOptions(), nil)
	for _, v := range volumes {
		assertAlive(t, c, v)
	}
	var kept []string
	for _, e := range drain(rec) {
		if strings.Contains(e, "VolumesKept") {
			kept = append(kept, e)
		}
	}
	want := "Normal VolumesKept Node set controller is no longer in the spec; its PersistentVolumeClaims data-basic-controller-0, data-basic-controller-1 are kept with their data"
	if len(kept) != 1 || !strings.HasPrefix(kept[0], want) {
		t.Errorf("VolumesKept events %q, want one starting %q", kept, want)
	}
	// Said once: the next reconcile deletes nothing and says nothing.
	reconcile(t, a, cluster, basicOptions(), nil)
	if got := drain(rec); slices.ContainsFunc(got, func(e string) bool { return strings.Contains(e, "VolumesKept") }) {
		t.Errorf("VolumesKept repeated: %q", got)
	}
}

// Pods left without an owner (a StatefulSet deleted with orphan propagation to be recreated)
// are deleted once their node set is gone, and left alone while it is in the spec.
func TestPruneDeletesOrphanedPodsOfRemovedNodeSets(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rolledOut(t, a, cluster, basicOptions())
	owned := []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "basic-old", UID: "1234", Controller: ptr.To(true)}}
	newPod := func(name string, labels map[string]string, owners []metav1.OwnerReference) *corev1.Pod {
		t.Helper()
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: cluster.Namespace, Labels: labels, OwnerReferences: owners},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
		}
		if err := c.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	orphan := newPod("basic-old-0", Labels("pinot", "basic", "old", "old"), nil)
	kept := []*corev1.Pod{
		newPod("basic-controller-0", Labels("pinot", "basic", "controller", "controller"), nil), // waits to be adopted
		newPod("basic-old-1", Labels("pinot", "basic", "old", "old"), owned),                    // its owner's deletion takes it
		newPod("other-old-0", Labels("pinot", "other", "old", "old"), nil),                      // another CR's
	}
	report := reconcile(t, a, cluster, basicOptions(), nil)
	assertKeys(t, "deleted", report.Deleted, []ObjectKey{{"Pod", orphan.Name}})
	assertGone(t, c, cluster.Namespace, ObjectKey{"Pod", orphan.Name})
	for _, p := range kept {
		assertAlive(t, c, p)
	}
}

// While a StatefulSet is recreated its pods have no owner: the CR's deletion then would
// leave them running for good. A finalizer holds it until they are deleted, and goes as soon
// as the pods have an owner again.
func TestRecreateHoldsDeletionForOrphanedPods(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rolledOut(t, a, cluster, basicOptions())
	holds := func() bool {
		t.Helper()
		return slices.Contains(live(t, c, a.Owner).GetFinalizers(), FinalizerOrphanedPods)
	}
	if holds() {
		t.Fatal("finalizer set with nothing recreated")
	}
	// A new volumeClaimTemplate: the StatefulSet is deleted, pods orphaned, to be created again.
	controller := &cluster.NodeSets[0]
	controller.Storage = append(controller.Storage, Storage{Name: "logs", MountPath: "/logs", Spec: pvcSpec("1Gi")})
	report := reconcile(t, a, cluster, basicOptions(), nil)
	if !report.NodeSets[0].Recreating || !holds() {
		t.Fatalf("recreating %v, finalizer %v: want both", report.NodeSets[0].Recreating, holds())
	}

	// The CR is deleted now: nothing is deleted while the StatefulSet still releases its pods.
	if done, err := a.Finalize(ctx, "pinot"); err != nil || done {
		t.Fatalf("Finalize while the StatefulSet is being deleted: done %v, err %v; want to wait", done, err)
	}
	// Play the garbage collector: the StatefulSet goes, its pods lose their owner.
	sts := live(t, c, workload(cluster, "controller"))
	sts.SetFinalizers(nil)
	if err := c.Update(ctx, sts); err != nil {
		t.Fatal(err)
	}
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "basic-controller-0", Namespace: cluster.Namespace, Labels: Labels("pinot", "basic", "controller", "controller")},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
	others := []*corev1.Pod{orphan.DeepCopy(), orphan.DeepCopy()}
	others[0].Name, others[0].Labels = "other-controller-0", Labels("pinot", "other", "controller", "controller")
	others[1].Name, others[1].OwnerReferences = "basic-broker-x", []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "rs", UID: "1", Controller: ptr.To(true)}}
	for _, p := range append(others, orphan) {
		if err := c.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if done, err := a.Finalize(ctx, "pinot"); err != nil || !done {
		t.Fatalf("Finalize: done %v, err %v", done, err)
	}
	assertGone(t, c, cluster.Namespace, ObjectKey{"Pod", orphan.Name})
	for _, p := range others {
		assertAlive(t, c, p)
	}
	if holds() {
		t.Error("finalizer still there after Finalize")
	}
}

// Without a deletion, the finalizer goes once the recreated StatefulSet owns the pods again.
func TestRecreateReleasesHoldOnceAdopted(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rolledOut(t, a, cluster, basicOptions())
	controller := &cluster.NodeSets[0]
	controller.Storage = append(controller.Storage, Storage{Name: "logs", MountPath: "/logs", Spec: pvcSpec("1Gi")})
	reconcile(t, a, cluster, basicOptions(), nil)
	sts := live(t, c, workload(cluster, "controller"))
	sts.SetFinalizers(nil) // play the garbage collector
	if err := c.Update(ctx, sts); err != nil {
		t.Fatal(err)
	}
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "basic-controller-0", Namespace: cluster.Namespace, Labels: Labels("pinot", "basic", "controller", "controller")},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
	if err := c.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	holds := func() bool { return slices.Contains(live(t, c, a.Owner).GetFinalizers(), FinalizerOrphanedPods) }

	reconcile(t, a, cluster, basicOptions(), nil) // creates the StatefulSet again
	if !holds() {
		t.Fatal("finalizer gone while a pod has no owner")
	}
	recreated := live(t, c, workload(cluster, "controller"))
	orphan = live(t, c, orphan)
	orphan.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: recreated.GetName(), UID: recreated.GetUID(), Controller: ptr.To(true)}}
	if err := c.Update(ctx, orphan); err != nil { // play the StatefulSet controller's adoption
		t.Fatal(err)
	}
	reconcile(t, a, cluster, basicOptions(), nil)
	if holds() {
		t.Error("finalizer still there once every pod has an owner")
	}
	assertAlive(t, c, orphan)
}
