package dsoi

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Volume growth against a real API server. envtest runs no volume controllers: the tests
// create the claims a StatefulSet would and play the resizer by writing claim status.

// resizeCluster has StatefulSet node sets broker (3 replicas) and broker-x (1 replica, its
// name sharing broker's prefix), each with a 10Gi volume data of StorageClass class.
func resizeCluster(class string) func(namespace string) *Cluster {
	return func(namespace string) *Cluster {
		nodeSet := func(name string, replicas int32) NodeSet {
			spec := pvcSpec("10Gi")
			spec.StorageClassName = ptr.To(class)
			return NodeSet{
				Name: name, NodeType: "broker", Kind: KindStatefulSet, Replicas: replicas,
				Container: corev1.Container{Image: "example.com/app:1.0", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}},
				Storage:   []Storage{{Name: "data", MountPath: "/data", Spec: spec}},
			}
		}
		return &Cluster{App: "app", Instance: "basic", Namespace: namespace, NodeSets: []NodeSet{nodeSet("broker", 3), nodeSet("broker-x", 1)}}
	}
}

func resizeOptions() Options {
	return Options{Order: []string{"broker"}, UpgradeOrdered: true, Generation: 1}
}

// newStorageClass creates a StorageClass that allows expansion or not, deleted after the test.
func newStorageClass(t *testing.T, expandable bool, annotations map[string]string) string {
	t.Helper()
	c := needAPIServer(t)
	class := &storagev1.StorageClass{
		ObjectMeta:           metav1.ObjectMeta{GenerateName: "class-", Annotations: annotations},
		Provisioner:          "example.com/test",
		AllowVolumeExpansion: ptr.To(expandable),
	}
	if err := c.Create(t.Context(), class); err != nil {
		t.Fatal(err)
	}
	// t.Context is over once cleanups run. A default class left behind would class every later claim.
	t.Cleanup(func() {
		if err := c.Delete(context.Background(), class); err != nil {
			t.Errorf("delete StorageClass %s: %v", class.Name, err)
		}
	})
	return class.Name
}

// createBoundClaim creates a claim of nodeSet as the StatefulSet controller would (the
// template's labels), bound, with its volume's capacity.
func createBoundClaim(t *testing.T, cluster *Cluster, nodeSet, name, class, request, capacity string) *corev1.PersistentVolumeClaim {
	t.Helper()
	c := needAPIServer(t)
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: cluster.Namespace, Labels: Labels(cluster.App, cluster.Instance, nodeSet, "broker"),
	}}
	claim.Spec = pvcSpec(request)
	claim.Spec.StorageClassName = ptr.To(class)
	if err := c.Create(t.Context(), claim); err != nil {
		t.Fatalf("create claim %s: %v", name, err)
	}
	setClaimStatus(t, claim, capacity)
	return claim
}

// setClaimStatus binds claim with the given capacity and resize conditions, as the volume
// controllers would.
func setClaimStatus(t *testing.T, claim *corev1.PersistentVolumeClaim, capacity string, conds ...corev1.PersistentVolumeClaimCondition) {
	t.Helper()
	c := needAPIServer(t)
	got := live(t, c, claim)
	got.Status = corev1.PersistentVolumeClaimStatus{
		Phase:      corev1.ClaimBound,
		Capacity:   corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(capacity)},
		Conditions: conds,
	}
	if err := c.Status().Update(t.Context(), got); err != nil {
		t.Fatalf("status of claim %s: %v", claim.Name, err)
	}
}

func claimRequest(t *testing.T, claim *corev1.PersistentVolumeClaim) string {
	t.Helper()
	got := live(t, needAPIServer(t), claim).Spec.Resources.Requests[corev1.ResourceStorage]
	return got.String()
}

// finishOrphanDelete plays the garbage collector: it orphans the dependents of a workload
// deleted with orphan propagation and lets it go.
func finishOrphanDelete(t *testing.T, obj client.Object) {
	t.Helper()
	c := needAPIServer(t)
	got := live(t, c, obj)
	if got.GetDeletionTimestamp() == nil {
		t.Fatalf("%s is not being deleted", describe(obj))
	}
	got.SetFinalizers(nil)
	if err := c.Update(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(obj), got); !apierrors.IsNotFound(err) {
		t.Fatalf("%s still there after its finalizers went: %v", describe(obj), err)
	}
}

func nodeSetReport(t *testing.T, r *Report, name string) NodeSetReport {
	t.Helper()
	for _, ns := range r.NodeSets {
		if ns.Name == name {
			return ns
		}
	}
	t.Fatalf("no node set %s in the report", name)
	return NodeSetReport{}
}

// resizeSetup installs resizeCluster with class, creates the claims of both node sets (and a
// claim of broker whose name only shares the prefix of broker's claims) and checks the
// cluster is at rest.
func resizeSetup(t *testing.T, class string) (*Applier, *Cluster, *events.FakeRecorder, []*corev1.PersistentVolumeClaim) {
	t.Helper()
	_, _, a, cluster := setupWith(t, resizeCluster(class))
	rolledOut(t, a, cluster, resizeOptions())
	claims := []*corev1.PersistentVolumeClaim{
		createBoundClaim(t, cluster, "broker", "data-basic-broker-0", class, "10Gi", "10Gi"),
		createBoundClaim(t, cluster, "broker", "data-basic-broker-1", class, "10Gi", "10Gi"),
		createBoundClaim(t, cluster, "broker", "data-basic-broker-2", class, "10Gi", "10Gi"),
		createBoundClaim(t, cluster, "broker-x", "data-basic-broker-x-0", class, "10Gi", "10Gi"),
		// Labelled broker, but no claim of its StatefulSet: its name only shares the prefix.
		createBoundClaim(t, cluster, "broker", "data-basic-broker-extra-0", class, "10Gi", "10Gi"),
	}
	if r := reconcile(t, a, cluster, resizeOptions(), nil); !r.Ready() || r.Writes != 0 {
		t.Fatalf("cluster with its claims: ready %v writes %d, want ready and no writes", r.Ready(), r.Writes)
	}
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	return a, cluster, rec, claims
}

// The issue: a larger size recreated the StatefulSet, but the claims of existing pods kept
// their old size while the status said all was well. Now every claim of exactly that node set
// grows, and the node set is not done until every volume has the new size.
func TestResizeGrowsExistingClaims(t *testing.T) {
	class := newStorageClass(t, true, nil)
	a, cluster, rec, claims := resizeSetup(t, class)
	opts := resizeOptions()
	opts.Generation, opts.LastGeneration = 2, 1
	cluster.NodeSets[0].Storage[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("20Gi")

	report := reconcile(t, a, cluster, opts, nil)
	for i, want := range []string{"20Gi", "20Gi", "20Gi", "10Gi", "10Gi"} {
		if got := claimRequest(t, claims[i]); got != want {
			t.Errorf("claim %s requests %s, want %s", claims[i].Name, got, want)
		}
	}
	if report.Ready() || nodeSetReport(t, report, "broker").Done {
		t.Errorf("report ready %v while the broker's claims grow, want not ready", report.Ready())
	}
	wantStarted := "Normal ResizeStarted Growing the volumes of node set broker: data-basic-broker-0 to 20Gi, data-basic-broker-1 to 20Gi, data-basic-broker-2 to 20Gi"
	if got := drain(rec); !slices.Contains(got, wantStarted) {
		t.Errorf("events %q, want %q", got, wantStarted)
	}

	// The StatefulSet is recreated with the new template, so new pods get the new size.
	sts := workload(cluster, "broker")
	finishOrphanDelete(t, sts)
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	tmpl := live(t, a.Client, sts).(*appsv1.StatefulSet).Spec.VolumeClaimTemplates[0]
	if got := tmpl.Spec.Resources.Requests[corev1.ResourceStorage]; got.String() != "20Gi" {
		t.Errorf("recreated StatefulSet's template asks %s, want 20Gi", got.String())
	}
	markRolledOut(t, sts)

	// The pods run, but the volumes have not grown yet: not done, and the status says why.
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	broker := nodeSetReport(t, report, "broker")
	want := "resizing volumes: 0 of 3 claims at 20Gi (data-basic-broker-0: 10Gi; data-basic-broker-1: 10Gi; data-basic-broker-2: 10Gi)"
	if broker.Done || broker.Message != want {
		t.Errorf("broker done %v message %q, want not done, %q", broker.Done, broker.Message, want)
	}
	if report.Writes != 0 {
		t.Errorf("waiting for the volumes wrote %d objects", report.Writes)
	}

	setClaimStatus(t, claims[0], "20Gi")
	setClaimStatus(t, claims[1], "10Gi", corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimResizing, Status: corev1.ConditionTrue})
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	broker = nodeSetReport(t, report, "broker")
	want = "resizing volumes: 1 of 3 claims at 20Gi (data-basic-broker-1: 10Gi, Resizing; data-basic-broker-2: 10Gi)"
	if broker.Done || broker.Message != want {
		t.Errorf("broker done %v message %q, want not done, %q", broker.Done, broker.Message, want)
	}
	if len(broker.Volumes) != 3 || !broker.Volumes[0].Done() || broker.Volumes[1].Done() {
		t.Errorf("volumes %+v, want 3, the first done", broker.Volumes)
	}
	if !report.Upgrade.InProgress() {
		t.Errorf("upgrade %+v while the volumes grow, want in progress", report.Upgrade)
	}

	// A resizer that reports a failure halts the upgrade, naming the claim.
	setClaimStatus(t, claims[2], "10Gi", corev1.PersistentVolumeClaimCondition{
		Type: corev1.PersistentVolumeClaimControllerResizeError, Status: corev1.ConditionTrue, Message: "quota exceeded"})
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	wantFailure := "node set broker (node type broker): claim data-basic-broker-2 cannot grow to 20Gi (ControllerResizeError): quota exceeded"
	if report.Failure != wantFailure || !report.Halted {
		t.Errorf("failure %q halted %v, want %q and halted", report.Failure, report.Halted, wantFailure)
	}
	if got := drain(rec); !slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, "Warning UpgradeHalted") }) {
		t.Errorf("events %q, want UpgradeHalted", got)
	}

	// Every volume has grown: done, ResizeCompleted once, and the upgrade completes.
	setClaimStatus(t, claims[1], "20Gi")
	setClaimStatus(t, claims[2], "21Gi")
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if !report.Ready() || report.Upgrade.Phase != UpgradeCompleted {
		t.Errorf("after the volumes grew: ready %v upgrade %+v, want ready and completed", report.Ready(), report.Upgrade)
	}
	wantCompleted := "Normal ResizeCompleted The volumes of node set broker have their requested size: data-basic-broker-0 20Gi, data-basic-broker-1 20Gi, data-basic-broker-2 20Gi"
	if got := drain(rec); !slices.Contains(got, wantCompleted) {
		t.Errorf("events %q, want %q", got, wantCompleted)
	}
	for _, claim := range claims {
		if _, ok := live(t, a.Client, claim).Annotations[AnnotationResizingTo]; ok {
			t.Errorf("claim %s keeps the resize mark", claim.Name)
		}
	}
	if report = reconcile(t, a, cluster, opts, report.Upgrade); report.Writes != 0 || !report.Ready() {
		t.Errorf("reconcile at rest: writes %d ready %v", report.Writes, report.Ready())
	}
	if got := drain(rec); len(got) != 0 {
		t.Errorf("reconcile at rest recorded %q", got)
	}
}

// A class that does not allow expansion: nothing is grown or recreated, the node set's other
// changes still roll out, and the refusal names the class, once.
func TestResizeRefusedByStorageClass(t *testing.T) {
	class := newStorageClass(t, false, nil)
	a, cluster, rec, claims := resizeSetup(t, class)
	versions := claimVersions(t, claims)
	opts := resizeOptions()
	opts.Generation, opts.LastGeneration = 2, 1
	cluster.NodeSets[0].Storage[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("20Gi")
	cluster.NodeSets[0].Container.Image = "example.com/app:1.1"

	report := reconcile(t, a, cluster, opts, nil)
	sts := live(t, a.Client, workload(cluster, "broker")).(*appsv1.StatefulSet)
	size := sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]
	if sts.DeletionTimestamp != nil || size.String() != "10Gi" || sts.Spec.Template.Spec.Containers[0].Image != "example.com/app:1.1" {
		t.Errorf("StatefulSet deleting %v template size %s image %s; want kept, 10Gi, the new image",
			sts.DeletionTimestamp != nil, size.String(), sts.Spec.Template.Spec.Containers[0].Image)
	}
	if got := claimVersions(t, claims); !maps.Equal(got, versions) {
		t.Errorf("claims written: %v -> %v", versions, got)
	}
	want := "node set broker: claims data-basic-broker-0, data-basic-broker-1, data-basic-broker-2 cannot grow to 20Gi: StorageClass " +
		class + " does not allow volume expansion (allowVolumeExpansion is not true); the volumes keep their size"
	if got := nodeSetReport(t, report, "broker").Refused; got != want {
		t.Errorf("refused %q, want %q", got, want)
	}
	if got := drain(rec); !slices.Contains(got, "Warning ResizeRefused "+want) || !slices.Contains(got, "Normal Updated Updated StatefulSet basic-broker") {
		t.Errorf("events %q, want ResizeRefused and the StatefulSet updated", got)
	}
	var conds []metav1.Condition
	SetRolloutConditions(&conds, 2, report)
	if d := meta.FindStatusCondition(conds, ConditionDegraded); d == nil || d.Status != metav1.ConditionTrue || d.Reason != "ResizeRefused" || d.Message != want {
		t.Errorf("Degraded %+v, want True, ResizeRefused, %q", d, want)
	}

	// Told once: the next reconcile finds the refusal in the stored Degraded condition.
	markRolledOut(t, sts)
	opts.LastConditions = conds
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if got := drain(rec); slices.ContainsFunc(got, func(e string) bool { return strings.Contains(e, "ResizeRefused") }) {
		t.Errorf("refusal told again: %q", got)
	}
	if report.Writes != 0 || !report.Ready() {
		t.Errorf("refused resize at rest: writes %d ready %v, want none and ready", report.Writes, report.Ready())
	}
}

// Volumes never shrink: a smaller size is refused before anything is written.
func TestResizeShrinkRefused(t *testing.T) {
	class := newStorageClass(t, true, nil)
	a, cluster, rec, claims := resizeSetup(t, class)
	objs := allObjects(t, cluster)
	before, claimsBefore := resourceVersions(t, a.Client, objs), claimVersions(t, claims)
	cluster.NodeSets[0].Storage[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("5Gi")

	report := reconcile(t, a, cluster, resizeOptions(), nil)
	if report.Writes != 0 || !maps.Equal(resourceVersions(t, a.Client, objs), before) || !maps.Equal(claimVersions(t, claims), claimsBefore) {
		t.Errorf("shrink wrote %d objects", report.Writes)
	}
	want := "node set broker: volume data cannot shrink from 10Gi to 5Gi (volumes only grow); it stays at 10Gi"
	if got := nodeSetReport(t, report, "broker").Refused; got != want {
		t.Errorf("refused %q, want %q", got, want)
	}
	if got := drain(rec); !slices.Equal(got, []string{"Warning ResizeRefused " + want}) {
		t.Errorf("events %q", got)
	}
}

// A cluster left by an operator without volume growth: the template says 20Gi, the claims
// have 10Gi and their class cannot expand. That is refused, and going back to 10Gi is no
// shrink (no volume loses anything), so the way out is open.
func TestResizeBackToTheClaimsSize(t *testing.T) {
	class := newStorageClass(t, false, nil)
	a, cluster, rec, claims := resizeSetup(t, class)
	set := func(size string) {
		cluster.NodeSets[0].Storage[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse(size)
	}
	set("20Gi")
	sts := build(t, cluster, 0).StatefulSet
	if action, err := a.Apply(t.Context(), sts); err != nil || action != Recreating {
		t.Fatalf("Apply = %s, %v", action, err)
	}
	finishOrphanDelete(t, sts)
	if _, err := a.Apply(t.Context(), build(t, cluster, 0).StatefulSet); err != nil {
		t.Fatal(err)
	}
	markRolledOut(t, sts)
	drain(rec)

	report := reconcile(t, a, cluster, resizeOptions(), nil)
	if r := nodeSetReport(t, report, "broker"); !strings.Contains(r.Refused, "cannot grow to 20Gi: StorageClass "+class) || !r.Done {
		t.Errorf("broker refused %q done %v, want the class named and done", r.Refused, r.Done)
	}
	set("10Gi")
	report = reconcile(t, a, cluster, resizeOptions(), nil)
	if r := nodeSetReport(t, report, "broker"); r.Refused != "" || live(t, a.Client, sts).GetDeletionTimestamp() == nil {
		t.Errorf("back to 10Gi: refused %q, StatefulSet deleting %v; want no refusal and the StatefulSet recreated",
			r.Refused, live(t, a.Client, sts).GetDeletionTimestamp() != nil)
	}
	for _, claim := range claims {
		if got := claimRequest(t, claim); got != "10Gi" {
			t.Errorf("claim %s requests %s", claim.Name, got)
		}
	}
}

// A volume whose file system grows only when mounted again (FileSystemResizePending): its pod
// is restarted, one at a time, only when ready and started before the resize got that far.
func TestResizeRestartsPodsOneAtATime(t *testing.T) {
	class := newStorageClass(t, true, nil)
	a, cluster, rec, claims := resizeSetup(t, class)
	pods := map[string]*corev1.Pod{}
	for _, name := range []string{"basic-broker-0", "basic-broker-1", "basic-broker-2"} {
		pod := stuckPodCandidate(cluster, "broker", name, "")
		pod.Finalizers = []string{"example.com/hold"} // keeps a deleted pod terminating
		ready := corev1.ConditionTrue
		if name == "basic-broker-1" {
			ready = corev1.ConditionFalse
		}
		createPod(t, pod, func(st *corev1.PodStatus) {
			st.Phase = corev1.PodRunning
			st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
		})
		pods[name] = pod
		t.Cleanup(func() { releasePod(t, pod) })
	}
	// The claims were grown (by hand here); the controller side is done, the node side pending.
	for _, claim := range claims[:3] {
		got := live(t, a.Client, claim)
		got.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("20Gi")
		if err := a.Client.Update(t.Context(), got); err != nil {
			t.Fatal(err)
		}
	}
	pending := func(at time.Time) corev1.PersistentVolumeClaimCondition {
		return corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimFileSystemResizePending, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at)}
	}
	later := time.Now().Add(time.Hour)
	setClaimStatus(t, claims[0], "10Gi", pending(later))
	setClaimStatus(t, claims[1], "10Gi", pending(later))                                       // its pod is not ready
	setClaimStatus(t, claims[2], "10Gi", pending(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))) // its pod started since
	cluster.NodeSets[0].Storage[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("20Gi")
	// The StatefulSet already has the new template.
	if report := reconcile(t, a, cluster, resizeOptions(), nil); report.Writes != 1 {
		t.Fatalf("recreating the StatefulSet: writes %d", report.Writes)
	}
	finishOrphanDelete(t, workload(cluster, "broker"))
	reconcile(t, a, cluster, resizeOptions(), nil)
	markRolledOut(t, workload(cluster, "broker"))
	drain(rec)

	report := reconcile(t, a, cluster, resizeOptions(), nil)
	checkTerminating(t, pods, "basic-broker-0")
	want := "Normal RestartedForResize Deleted pod basic-broker-0 so that the file system of claim data-basic-broker-0 grows to 20Gi when the volume is mounted again"
	if got := drain(rec); !slices.Equal(got, []string{want}) {
		t.Errorf("events %q, want %q", got, want)
	}
	if broker := nodeSetReport(t, report, "broker"); broker.Done || !strings.Contains(broker.Message, "data-basic-broker-0: 10Gi, FileSystemResizePending") {
		t.Errorf("broker %+v, want not done and the pending resize told", broker.Rollout)
	}

	// One at a time: nothing more while basic-broker-0 terminates.
	reconcile(t, a, cluster, resizeOptions(), nil)
	checkTerminating(t, pods, "basic-broker-0")
	// Gone: still no other pod is restarted (one is not ready, one has mounted the grown volume).
	releasePod(t, pods["basic-broker-0"])
	reconcile(t, a, cluster, resizeOptions(), nil)
	checkTerminating(t, pods, "basic-broker-0")
	if got := drain(rec); len(got) != 0 {
		t.Errorf("events %q, want none", got)
	}
}

// Shared claims of a Deployment: grown in place where the class allows it, refused where it
// does not or where the size goes down, waited for while not bound, progress from the status.
func TestResizeSharedClaims(t *testing.T) {
	expandable, fixed := newStorageClass(t, true, nil), newStorageClass(t, false, nil)
	ctx, c, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	spec := func(class, size string) corev1.PersistentVolumeClaimSpec {
		s := pvcSpec(size)
		s.StorageClassName = ptr.To(class)
		return s
	}
	broker := &cluster.NodeSets[1]
	broker.Storage = []Storage{{Name: "staging", MountPath: "/staging", Spec: spec(expandable, "1Gi")}, {Name: "logs", MountPath: "/logs", Spec: spec(fixed, "1Gi")}}
	broker.Replicas = 1 // one writer: a ReadWriteOnce claim shared by more pods is refused
	opts := basicOptions()
	reconcile(t, a, cluster, opts, nil)
	setRolledOut(t, c, cluster.Namespace)
	staging, logs := build(t, cluster, 1).Claims[0], build(t, cluster, 1).Claims[1]
	setClaimStatus(t, staging, "1Gi")
	setClaimStatus(t, logs, "1Gi")
	if r := reconcile(t, a, cluster, opts, nil); !r.Ready() || r.Writes != 0 {
		t.Fatalf("at rest: ready %v writes %d", r.Ready(), r.Writes)
	}
	drain(rec)

	broker.Storage[0].Spec = spec(expandable, "2Gi")
	broker.Storage[1].Spec = spec(fixed, "2Gi")
	report := reconcile(t, a, cluster, opts, nil)
	if got, want := claimRequest(t, staging), "2Gi"; got != want {
		t.Errorf("staging requests %s, want %s", got, want)
	}
	if got, want := claimRequest(t, logs), "1Gi"; got != want {
		t.Errorf("logs requests %s, want %s (its class does not allow expansion)", got, want)
	}
	r := nodeSetReport(t, report, "broker")
	wantMsg := "resizing volumes: 1 of 2 claims at their requested size (basic-broker-staging: 1Gi)"
	wantRefused := "node set broker: claim basic-broker-logs cannot grow to 2Gi: StorageClass " + fixed +
		" does not allow volume expansion (allowVolumeExpansion is not true); the volumes keep their size"
	if r.Done || r.Message != wantMsg || r.Refused != wantRefused {
		t.Errorf("broker done %v message %q refused %q, want not done, %q, %q", r.Done, r.Message, r.Refused, wantMsg, wantRefused)
	}
	got := drain(rec)
	for _, want := range []string{"Normal ResizeStarted Growing the volumes of node set broker: basic-broker-staging to 2Gi", "Warning ResizeRefused " + wantRefused} {
		if !slices.Contains(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
	}

	setClaimStatus(t, staging, "2Gi")
	report = reconcile(t, a, cluster, opts, nil)
	if r := nodeSetReport(t, report, "broker"); !r.Done {
		t.Errorf("broker %+v after the volume grew, want done", r.Rollout)
	}
	if got := drain(rec); !slices.Contains(got, "Normal ResizeCompleted The volumes of node set broker have their requested size: basic-broker-logs 1Gi, basic-broker-staging 2Gi") {
		t.Errorf("events %q, want ResizeCompleted", got)
	}

	// Shrinking is refused before any write.
	broker.Storage[0].Spec = spec(expandable, "1Gi")
	report = reconcile(t, a, cluster, opts, nil)
	if r := nodeSetReport(t, report, "broker"); report.Writes != 0 || !strings.Contains(r.Refused, "volume basic-broker-staging cannot shrink from 2Gi to 1Gi") {
		t.Errorf("shrink: writes %d refused %q", report.Writes, r.Refused)
	}

	// A claim waiting for its volume cannot grow yet: no error, no write, the wait is told.
	pendingClaim := live(t, c, staging)
	pendingClaim.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
	if err := c.Status().Update(ctx, pendingClaim); err != nil {
		t.Fatal(err)
	}
	broker.Storage[0].Spec = spec(expandable, "3Gi")
	report = reconcile(t, a, cluster, opts, nil)
	if r := nodeSetReport(t, report, "broker"); report.Writes != 0 || r.Done || !strings.Contains(r.Message, "basic-broker-staging: waiting for its volume to be bound") {
		t.Errorf("pending claim: writes %d done %v message %q", report.Writes, r.Done, r.Message)
	}
}

// A claim grows only by its own StorageClass, as the API server decides: a claim with no class
// is refused even when the template or today's default class allows expansion.
func TestExpansionRefusalJudgesTheClaimsOwnClass(t *testing.T) {
	ctx, _, a, _ := setup(t)
	expandable := newStorageClass(t, true, map[string]string{"storageclass.kubernetes.io/is-default-class": "true"})
	fixed := newStorageClass(t, false, nil)
	for _, tc := range []struct {
		class *string
		want  string // "" when it may grow
	}{
		{nil, "the claim has no StorageClass"},
		{ptr.To(""), "the claim has no StorageClass"},
		{ptr.To(fixed), "StorageClass " + fixed + " does not allow volume expansion"},
		{ptr.To("missing"), "StorageClass missing does not exist"},
		{ptr.To(expandable), ""},
	} {
		claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: tc.class}}
		why, err := a.expansionRefusal(ctx, claim)
		if err != nil || (tc.want == "") != (why == "") || !strings.HasPrefix(why, tc.want) {
			t.Errorf("class %v: %q, %v; want %q", tc.class, why, err, tc.want)
		}
	}
}

func claimVersions(t *testing.T, claims []*corev1.PersistentVolumeClaim) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, claim := range claims {
		out[claim.Name] = live(t, needAPIServer(t), claim).ResourceVersion
	}
	return out
}

// checkTerminating checks that exactly the pods named are being deleted or gone.
func checkTerminating(t *testing.T, pods map[string]*corev1.Pod, names ...string) {
	t.Helper()
	for name, pod := range pods {
		got := &corev1.Pod{}
		err := needAPIServer(t).Get(t.Context(), client.ObjectKeyFromObject(pod), got)
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		deleted := err != nil || got.DeletionTimestamp != nil
		if want := slices.Contains(names, name); deleted != want {
			t.Errorf("pod %s deleted %v, want %v", name, deleted, want)
		}
	}
}

// releasePod removes the finalizer that holds a pod, so a deleted one goes.
func releasePod(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	c := needAPIServer(t)
	ctx := context.Background() // also from cleanups, when t.Context is over
	got := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(pod), got); err != nil {
		return
	}
	got.Finalizers = nil
	if err := c.Update(ctx, got); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(fmt.Errorf("release pod %s: %w", pod.Name, err))
	}
}
