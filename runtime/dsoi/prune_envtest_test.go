package dsoi

import (
	"context"
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

// Prune against a real API server.

func TestPrune(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	ns := cluster.Namespace
	applyAll(t, a, allObjects(t, cluster))
	a.Recorder = rec

	// keep: everything but the broker node set, as Reconcile would after removing it.
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

	pruned, err := a.Prune(ctx, cluster, keep, false)
	if err != nil {
		t.Fatal(err)
	}
	deleted := pruned.Deleted
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
		"Normal VolumesKept Node set broker is no longer in the spec; its PersistentVolumeClaims data-basic-broker-0 are kept with their data " +
			"(a node set added under another name does not use them; spec.deletePersistentVolumeClaims deletes the claims of removed node sets)",
	}
	if got := drain(rec); !slices.Equal(got, wantEvents) {
		t.Errorf("events %q, want %q", got, wantEvents)
	}

	// deletePVCs deletes the volumes of removed node sets, and only those.
	pruned, err = a.Prune(ctx, cluster, keep, true)
	if err != nil {
		t.Fatal(err)
	}
	deleted = pruned.Deleted
	assertKeys(t, "deleted with deletePVCs", deleted, []ObjectKey{{"PersistentVolumeClaim", "data-basic-broker-0"}})
	assertGone(t, c, ns, ObjectKey{"PersistentVolumeClaim", "data-basic-broker-0"})
	assertAlive(t, c, pvcController)
	for _, obj := range notOurs {
		assertAlive(t, c, obj)
	}

	// Nothing left to do: nothing deleted, nothing reported.
	drain(rec)
	if pruned, err = a.Prune(ctx, cluster, keep, true); err != nil || len(pruned.Deleted) != 0 {
		t.Errorf("third Prune deleted %v, %v; want nothing", pruned.Deleted, err)
	}
	if got := drain(rec); len(got) != 0 {
		t.Errorf("third Prune recorded %q", got)
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
	case "Pod":
		obj = &corev1.Pod{}
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
