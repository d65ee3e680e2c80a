package dsoi

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Prune and Install against a real API server.

func TestPrune(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	ns := cluster.Namespace
	applyAll(t, a, allObjects(t, cluster))
	a.Recorder = rec

	// keep: everything but the broker node set, as Install would after removing it.
	keep := map[ObjectKey]bool{}
	cluster.NodeSets = cluster.NodeSets[:1]
	for _, obj := range allObjects(t, cluster) {
		keep[KeyOf(obj)] = true
	}

	ours := InstanceLabels("pinot", "basic")
	other := newOwner(t, c, ns, "other")
	byOwner := func(owner client.Object, controller bool) []metav1.OwnerReference {
		return []metav1.OwnerReference{{
			APIVersion: "v1", Kind: "ConfigMap", Name: owner.GetName(), UID: owner.GetUID(), Controller: ptr.To(controller),
		}}
	}
	create := func(obj client.Object, labels map[string]string, owners []metav1.OwnerReference) {
		t.Helper()
		obj.SetNamespace(ns)
		obj.SetLabels(labels)
		obj.SetOwnerReferences(owners)
		if err := c.Create(ctx, obj); err != nil {
			t.Fatalf("create %s: %v", describe(obj), err)
		}
	}
	cm := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	mine := byOwner(a.Owner, true)

	create(cm("orphaned-config"), ours, mine) // ours, and no longer wanted: deleted
	// Not ours, whatever else they share with ours: kept.
	notOurs := []client.Object{cm("unlabelled"), cm("other-owner"), cm("no-owner"), cm("plain-owner"), cm("other-instance"), cm("other-app")}
	create(notOurs[0], nil, mine)
	create(notOurs[1], ours, byOwner(other, true))
	create(notOurs[2], ours, nil)
	create(notOurs[3], ours, byOwner(a.Owner, false)) // owner, but not controller
	create(notOurs[4], InstanceLabels("pinot", "other"), mine)
	create(notOurs[5], InstanceLabels("druid", "basic"), mine)
	// Already being deleted (a finalizer holds it): neither deleted again nor reported.
	terminating := cm("terminating")
	terminating.Finalizers = []string{"example.com/hold"}
	create(terminating, ours, mine)
	if err := c.Delete(ctx, terminating); err != nil {
		t.Fatal(err)
	}
	// Volumes of both node sets, labelled as the StatefulSet controller labels them.
	pvcController, pvcBroker := pvc("data-basic-controller-0"), pvc("data-basic-broker-0")
	create(pvcController, Labels("pinot", "basic", "controller", "controller"), nil)
	create(pvcBroker, Labels("pinot", "basic", "broker", "broker"), nil)

	deleted, err := a.Prune(ctx, "pinot", keep, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []ObjectKey{
		{"ConfigMap", "orphaned-config"}, {"Service", "basic-broker"},
		{KindDeployment, "basic-broker"}, {"PodDisruptionBudget", "basic-broker"},
	}
	assertKeys(t, "deleted", deleted, want)
	for _, key := range want {
		assertGone(t, c, ns, key)
	}
	for _, obj := range append(notOurs, pvcController, pvcBroker) {
		assertAlive(t, c, obj)
	}
	for key := range keep {
		assertAlive(t, c, objectOf(key, ns))
	}
	if got := live(t, c, terminating); got.DeletionTimestamp == nil {
		t.Error("the terminating ConfigMap lost its deletion")
	}
	wantEvents := []string{
		"Normal Deleted Deleted ConfigMap orphaned-config: its node set is no longer in the spec",
		"Normal Deleted Deleted Service basic-broker: its node set is no longer in the spec",
		"Normal Deleted Deleted Deployment basic-broker: its node set is no longer in the spec",
		"Normal Deleted Deleted PodDisruptionBudget basic-broker: its node set is no longer in the spec",
	}
	if got := drain(rec); !slices.Equal(got, wantEvents) {
		t.Errorf("events %q, want %q", got, wantEvents)
	}

	// deletePVCs deletes the volumes of removed node sets, and only those.
	deleted, err = a.Prune(ctx, "pinot", keep, true)
	if err != nil {
		t.Fatal(err)
	}
	assertKeys(t, "deleted with deletePVCs", deleted, []ObjectKey{{"PersistentVolumeClaim", "data-basic-broker-0"}})
	assertGone(t, c, ns, ObjectKey{"PersistentVolumeClaim", "data-basic-broker-0"})
	assertAlive(t, c, pvcController)
	for _, obj := range notOurs {
		assertAlive(t, c, obj)
	}

	// Nothing left to do: nothing deleted, nothing reported.
	drain(rec)
	if deleted, err = a.Prune(ctx, "pinot", keep, true); err != nil || len(deleted) != 0 {
		t.Errorf("third Prune deleted %v, %v; want nothing", deleted, err)
	}
	if got := drain(rec); len(got) != 0 {
		t.Errorf("third Prune recorded %q", got)
	}
}

func TestInstall(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	ns := cluster.Namespace

	// First install: every object is created, one event each, nothing is ready yet.
	report := install(t, a, cluster, false)
	objs := allObjects(t, cluster)
	if report.Writes != len(objs) || len(objs) != 9 {
		t.Errorf("first Install wrote %d objects, want all %d (9)", report.Writes, len(objs))
	}
	var wantEvents []string
	for _, obj := range objs {
		assertAlive(t, c, obj)
		wantEvents = append(wantEvents, fmt.Sprintf("Normal Created Created %s %s", kindOf(obj), obj.GetName()))
	}
	if got := drain(rec); !slices.Equal(got, wantEvents) {
		t.Errorf("events\n%q\nwant\n%q", got, wantEvents)
	}
	checkReport(t, report, []wantNodeSet{
		{"controller", KindStatefulSet, "controller", PhasePending, false},
		{"broker", KindDeployment, "broker", PhasePending, false},
	})

	// Second install: nothing to do, so nothing written and nothing recorded.
	before := resourceVersions(t, c, objs)
	if report = install(t, a, cluster, false); report.Writes != 0 {
		t.Errorf("second Install wrote %d objects, want 0", report.Writes)
	}
	if after := resourceVersions(t, c, objs); !maps.Equal(before, after) {
		t.Errorf("second Install changed resourceVersions %v -> %v", before, after)
	}
	if got := drain(rec); len(got) != 0 {
		t.Errorf("second Install recorded %q", got)
	}

	// The workload controllers finish (played here through the status subresource).
	setRolledOut(t, c, ns)
	report = install(t, a, cluster, false)
	if report.Writes != 0 || !report.Ready() {
		t.Errorf("Install after rollout: writes %d ready %v, want 0 and ready", report.Writes, report.Ready())
	}
	checkReport(t, report, []wantNodeSet{
		{"controller", KindStatefulSet, "controller", PhaseReady, true},
		{"broker", KindDeployment, "broker", PhaseReady, true},
	})
	if r := report.NodeSets[0]; r.Desired != 3 || r.Ready != 3 || r.Revision != "rev-1" {
		t.Errorf("controller rollout %+v, want 3 of 3 ready at rev-1", r.Rollout)
	}

	// A new image: one update, and the node set rolls again.
	cluster.NodeSets[0].Container.Image = "apachepinot/pinot:1.1.0"
	report = install(t, a, cluster, false)
	if report.Writes != 1 || report.Ready() {
		t.Errorf("Install with a new image: writes %d ready %v, want 1 and not ready", report.Writes, report.Ready())
	}
	if r := report.NodeSets[0]; r.Done || r.Phase != PhaseProgressing || r.Message != "waiting for the StatefulSet controller to observe generation 2" {
		t.Errorf("controller after the image change: %+v", r.Rollout)
	}
	if got, want := drain(rec), []string{"Normal Updated Updated StatefulSet basic-controller"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	// deletePVCs must not touch the volumes of node sets that are still there.
	volume := pvc("data-basic-controller-0")
	volume.Namespace = ns
	volume.Labels = Labels("pinot", "basic", "controller", "controller")
	if err := c.Create(ctx, volume); err != nil {
		t.Fatal(err)
	}
	if report = install(t, a, cluster, true); report.Writes != 0 || len(report.Deleted) != 0 {
		t.Errorf("Install with deletePVCs wrote %d, deleted %v; want nothing", report.Writes, report.Deleted)
	}
	assertAlive(t, c, volume)

	// Node sets removed: their objects go, the ConfigMaps stay, and with deletePVCs the volumes too.
	cluster.NodeSets = nil
	report = install(t, a, cluster, true)
	wantDeleted := []ObjectKey{
		{"Service", "basic-controller"}, {"Service", "basic-controller-headless"}, {"Service", "basic-broker"},
		{KindStatefulSet, "basic-controller"}, {KindDeployment, "basic-broker"},
		{"PodDisruptionBudget", "basic-controller"}, {"PodDisruptionBudget", "basic-broker"},
		{"PersistentVolumeClaim", "data-basic-controller-0"},
	}
	assertKeys(t, "deleted", report.Deleted, wantDeleted)
	if report.Writes != len(wantDeleted) || len(report.NodeSets) != 0 {
		t.Errorf("writes %d, node sets %v; want %d and none", report.Writes, report.NodeSets, len(wantDeleted))
	}
	for _, key := range wantDeleted {
		assertGone(t, c, ns, key)
	}
	for _, cm := range BuildConfigMaps(cluster) {
		assertAlive(t, c, cm)
	}
}

type wantNodeSet struct {
	name, kind, nodeType string
	phase                Phase
	done                 bool
}

func checkReport(t *testing.T, r *Report, want []wantNodeSet) {
	t.Helper()
	if len(r.NodeSets) != len(want) {
		t.Fatalf("report has %d node sets, want %d", len(r.NodeSets), len(want))
	}
	for i, w := range want {
		got := r.NodeSets[i]
		if got.Name != w.name || got.Kind != w.kind || got.NodeType != w.nodeType || got.Phase != w.phase || got.Done != w.done {
			t.Errorf("node set %d = %s %s %s %s done=%v (%s), want %+v", i, got.Name, got.Kind, got.NodeType, got.Phase, got.Done, got.Message, w)
		}
	}
}

func install(t *testing.T, a *Applier, c *Cluster, deletePVCs bool) *Report {
	t.Helper()
	r, err := a.Install(t.Context(), c, deletePVCs)
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	return r
}

// setRolledOut writes the status the StatefulSet and Deployment controllers would once every
// pod of the current spec is ready.
func setRolledOut(t *testing.T, c client.Client, ns string) {
	t.Helper()
	sts := live(t, c, objectOf(ObjectKey{KindStatefulSet, "basic-controller"}, ns).(*appsv1.StatefulSet))
	n := *sts.Spec.Replicas
	sts.Status = appsv1.StatefulSetStatus{
		ObservedGeneration: sts.Generation, Replicas: n, ReadyReplicas: n, AvailableReplicas: n,
		CurrentReplicas: n, UpdatedReplicas: n, CurrentRevision: "rev-1", UpdateRevision: "rev-1",
	}
	if err := c.Status().Update(t.Context(), sts); err != nil {
		t.Fatal(err)
	}
	d := live(t, c, objectOf(ObjectKey{KindDeployment, "basic-broker"}, ns).(*appsv1.Deployment))
	n = *d.Spec.Replicas
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: n, ReadyReplicas: n, AvailableReplicas: n, UpdatedReplicas: n,
	}
	if err := c.Status().Update(t.Context(), d); err != nil {
		t.Fatal(err)
	}
}

func pvc(name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: pvcSpec("1Gi")}
}

// objectOf returns an empty object of the key's kind and name, to Get or Delete.
func objectOf(key ObjectKey, ns string) client.Object {
	var obj client.Object
	switch key.Kind {
	case "ConfigMap":
		obj = &corev1.ConfigMap{}
	case "Service":
		obj = &corev1.Service{}
	case KindStatefulSet:
		obj = &appsv1.StatefulSet{}
	case KindDeployment:
		obj = &appsv1.Deployment{}
	case "PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	case "PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	default:
		panic("unknown kind " + key.Kind)
	}
	obj.SetName(key.Name)
	obj.SetNamespace(ns)
	return obj
}

// assertGone checks that an object is deleted or, held by a finalizer, being deleted.
func assertGone(t *testing.T, c client.Client, ns string, key ObjectKey) {
	t.Helper()
	obj := objectOf(key, ns)
	err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		t.Errorf("get %v: %v", key, err)
	case obj.GetDeletionTimestamp() == nil:
		t.Errorf("%v still exists, want it deleted", key)
	}
}

// assertAlive checks that an object exists and is not being deleted.
func assertAlive(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	got := objectOf(KeyOf(obj), obj.GetNamespace())
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(got), got); err != nil {
		t.Errorf("%s: %v, want it kept", describe(obj), err)
	} else if got.GetDeletionTimestamp() != nil {
		t.Errorf("%s is being deleted, want it kept", describe(obj))
	}
}

func assertKeys(t *testing.T, what string, got, want []ObjectKey) {
	t.Helper()
	key := func(k ObjectKey) string { return k.Kind + "/" + k.Name }
	g, w := make([]string, 0, len(got)), make([]string, 0, len(want))
	for _, k := range got {
		g = append(g, key(k))
	}
	for _, k := range want {
		w = append(w, key(k))
	}
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, g, w)
	}
}
