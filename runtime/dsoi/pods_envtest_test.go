package dsoi

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A StatefulSet never replaces a pod of an old revision that is not ready (kubernetes issue
// 67250), so such a pod is deleted when it is stuck, once the controller has seen the spec.
func TestDeleteStuckPods(t *testing.T) {
	tests := map[string]struct {
		// status edits the status of a StatefulSet rolling rev-2 out over rev-1.
		status  func(st *appsv1.StatefulSetStatus)
		deleted []string
	}{
		"rolling out": {deleted: []string{"basic-controller-0"}},
		// The update revision may be stale: it could be the pod's own next revision.
		"generation not observed yet": {status: func(st *appsv1.StatefulSetStatus) { st.ObservedGeneration = 0 }},
		"no update revision yet":      {status: func(st *appsv1.StatefulSetStatus) { st.UpdateRevision = "" }},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, c, a, cluster := setup(t)
			sts := rollingStatefulSet(t, a, cluster, tt.status)
			pods := createStuckPodCandidates(t, cluster)
			rec := events.NewFakeRecorder(100)
			a.Recorder = rec

			listed, err := a.podsOf(ctx, cluster, &cluster.NodeSets[0])
			if err != nil {
				t.Fatal(err)
			}
			n, err := a.deleteStuckPods(ctx, sts, listed, time.Now())
			if err != nil || n != len(tt.deleted) {
				t.Errorf("deleteStuckPods = %d, %v; want %d", n, err, len(tt.deleted))
			}
			checkPodsDeleted(t, c, pods, tt.deleted)
			var want []string
			for _, name := range tt.deleted {
				want = append(want, "Warning DeletedStuckPod Deleted pod "+name+" of old revision rev-1: container app is in CrashLoopBackOff: back-off 40s; "+
					"the StatefulSet would never replace it with rev-2 by itself")
			}
			if got := drain(rec); !slices.Equal(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
		})
	}

	// Reconcile does it for StatefulSets rolling out, and leaves Deployments' pods alone: their
	// controller replaces pods that are not ready by itself.
	t.Run("through Reconcile", func(t *testing.T) {
		_, c, a, cluster := setup(t)
		reconcile(t, a, cluster, basicOptions(), nil)
		markRollingOut(t, objectOf(ObjectKey{KindStatefulSet, "basic-controller"}, cluster.Namespace))
		markRollingOut(t, objectOf(ObjectKey{KindDeployment, "basic-broker"}, cluster.Namespace))
		sts := live(t, c, build(t, cluster, 0).StatefulSet)
		// markRollingOut rolls rev-1 out over rev-0.
		pods := []*corev1.Pod{
			stuckPodCandidate(cluster, "controller", "basic-controller-0", sts.Status.CurrentRevision),
			stuckPodCandidate(cluster, "controller", "basic-controller-1", sts.Status.UpdateRevision),
			stuckPodCandidate(cluster, "broker", "basic-broker-0", "rev-0"),
		}
		for _, pod := range pods {
			createPod(t, pod, crashLooping)
		}
		reconcile(t, a, cluster, basicOptions(), nil)
		checkPodsDeleted(t, c, pods, []string{"basic-controller-0"})
	})
}

// Unready pods of the old revision are replaced first, one at a time, in name order: stuck
// ones (the StatefulSet never replaces them) and those merely not ready (the rollout restarts
// them anyway, after taking ready pods down). Ready pods and the new revision's are left to
// the StatefulSet.
func TestDeleteStuckPodsOneAtATime(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	sts := rollingStatefulSet(t, a, cluster, nil)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	// Condition times are stored in whole seconds.
	clk := &clock{t: time.Now().Truncate(time.Second)}

	recovering := stuckPodCandidate(cluster, "controller", "basic-controller-0", "rev-1")
	crashing := stuckPodCandidate(cluster, "controller", "basic-controller-1", "rev-1")
	pendingBriefly := stuckPodCandidate(cluster, "controller", "basic-controller-2", "rev-1")
	unschedulable := stuckPodCandidate(cluster, "controller", "basic-controller-3", "rev-1")
	for _, p := range []*corev1.Pod{recovering, crashing, pendingBriefly, unschedulable} {
		p.Finalizers = []string{"example.com/hold"} // so its deletion takes a while
	}
	ready := stuckPodCandidate(cluster, "controller", "basic-controller-4", "rev-1")
	updated := stuckPodCandidate(cluster, "controller", "basic-controller-5", "rev-2")
	pods := []*corev1.Pod{recovering, crashing, pendingBriefly, unschedulable, ready, updated}
	createPod(t, recovering, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodRunning
		st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
		st.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	})
	createPod(t, crashing, crashLooping)
	createPod(t, pendingBriefly, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodPending
		st.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(clk.now().Add(-time.Minute))}}
		st.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
	})
	createPod(t, unschedulable, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodPending
		st.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
			Message: "0/3 nodes are available: 3 Insufficient memory.", LastTransitionTime: metav1.NewTime(clk.now().Add(-6 * time.Minute))}}
	})
	createPod(t, ready, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodRunning
		st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	})
	createPod(t, updated, crashLooping) // the new revision's: the StatefulSet replaces it itself

	var deleted []string
	pass := func(step string, want []string) {
		t.Helper()
		listed, err := a.podsOf(ctx, cluster, &cluster.NodeSets[0])
		if err != nil {
			t.Fatal(err)
		}
		n, err := a.deleteStuckPods(ctx, sts, listed, clk.now())
		if err != nil || n != len(want) {
			t.Errorf("%s: deleteStuckPods = %d, %v; want %d", step, n, err, len(want))
		}
		for _, note := range want {
			deleted = append(deleted, note[:len("basic-controller-0")])
		}
		var wantEvents []string
		for _, note := range want {
			if strings.HasSuffix(note, " unready") {
				wantEvents = append(wantEvents, "Normal ReplacedUnreadyPod Deleted pod "+strings.TrimSuffix(note, " unready")+
					" of old revision rev-1, which is not ready: the rollout to rev-2 restarts it anyway, and replacing it first keeps the ready pods up")
				continue
			}
			wantEvents = append(wantEvents, "Warning DeletedStuckPod Deleted pod "+note+"; the StatefulSet would never replace it with rev-2 by itself")
		}
		if got := drain(rec); !slices.Equal(got, wantEvents) {
			t.Errorf("%s: events %q, want %q", step, got, wantEvents)
		}
	}
	gone := func(pod *corev1.Pod) {
		t.Helper()
		p := live(t, c, pod)
		if p.DeletionTimestamp == nil {
			t.Fatalf("%s is not being deleted", pod.Name)
		}
		p.Finalizers = nil
		if err := c.Update(ctx, p); err != nil {
			t.Fatal(err)
		}
		checkPodsDeleted(t, c, pods, deleted)
	}

	pass("first", []string{"basic-controller-0 unready"})
	pass("while a pod is terminating", nil)
	gone(recovering)
	pass("then", []string{"basic-controller-1 of old revision rev-1: container app is in CrashLoopBackOff: back-off 40s"})
	gone(crashing)
	pass("then", []string{"basic-controller-2 unready"})
	gone(pendingBriefly)
	pass("then", []string{"basic-controller-3 of old revision rev-1: Pending for 6m0s: 0/3 nodes are available: 3 Insufficient memory."})
	gone(unschedulable)
	clk.advance(time.Hour)
	pass("an hour later", nil) // the ready pod and the new revision's stay
	checkPodsDeleted(t, c, pods, deleted)
}

// rollingStatefulSet applies the controller node set's StatefulSet with the status of one
// rolling rev-2 out over rev-1, edited by edit when it is not nil.
func rollingStatefulSet(t *testing.T, a *Applier, cluster *Cluster, edit func(st *appsv1.StatefulSetStatus)) *appsv1.StatefulSet {
	t.Helper()
	sts := build(t, cluster, 0).StatefulSet
	if _, err := a.Apply(t.Context(), sts); err != nil {
		t.Fatal(err)
	}
	sts.Status = appsv1.StatefulSetStatus{
		ObservedGeneration: sts.Generation, Replicas: 3, ReadyReplicas: 1, UpdatedReplicas: 1,
		CurrentRevision: "rev-1", UpdateRevision: "rev-2",
	}
	if edit != nil {
		edit(&sts.Status)
	}
	if err := needAPIServer(t).Status().Update(t.Context(), sts); err != nil {
		t.Fatal(err)
	}
	return sts
}

// crashLooping is the status of a pod whose container app crash-loops.
func crashLooping(st *corev1.PodStatus) {
	st.Phase = corev1.PodRunning
	st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	st.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", RestartCount: 4,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s"}}}}
}

// createStuckPodCandidates creates pods of the controller node set (and one of the broker)
// for a StatefulSet rolling rev-2 out over rev-1; only basic-controller-0 is stuck.
func createStuckPodCandidates(t *testing.T, cluster *Cluster) []*corev1.Pod {
	t.Helper()
	pods := []*corev1.Pod{
		stuckPodCandidate(cluster, "controller", "basic-controller-0", "rev-1"), // stuck
		stuckPodCandidate(cluster, "controller", "basic-controller-1", "rev-1"), // old but ready: replaced in turn
		stuckPodCandidate(cluster, "controller", "basic-controller-2", "rev-2"), // new: its controller replaces it
		stuckPodCandidate(cluster, "controller", "stray", ""),                   // no revision: not the controller's
		stuckPodCandidate(cluster, "broker", "basic-broker-0", "rev-1"),         // another node set
	}
	for _, pod := range pods {
		createPod(t, pod, func(st *corev1.PodStatus) {
			crashLooping(st)
			if pod.Name == "basic-controller-1" {
				st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			}
		})
	}
	return pods
}

// stuckPodCandidate is a pod of nodeSet at revision ("" for none).
func stuckPodCandidate(cluster *Cluster, nodeSet, name, revision string) *corev1.Pod {
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace = name, cluster.Namespace
	pod.Labels = Selector(cluster.Instance, nodeSet)
	if revision != "" {
		pod.Labels[appsv1.ControllerRevisionHashLabelKey] = revision
	}
	pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "example.com/app:1.0"}}
	return pod
}

// checkPodsDeleted checks that exactly the pods named in deleted are gone.
func checkPodsDeleted(t *testing.T, c client.Client, pods []*corev1.Pod, deleted []string) {
	t.Helper()
	for _, pod := range pods {
		got := &corev1.Pod{}
		err := c.Get(t.Context(), client.ObjectKeyFromObject(pod), got)
		gone := apierrors.IsNotFound(err)
		if err != nil && !gone {
			t.Fatal(err)
		}
		if want := slices.Contains(deleted, pod.Name); gone != want {
			t.Errorf("pod %s: deleted %v, want %v", pod.Name, gone, want)
		}
	}
}

// A volume that cannot attach or mount shows only in events about the pod, which checkPods
// reads for the pods that have not started, through the uncached reader.
func TestCheckPodsVolumeFailure(t *testing.T) {
	const multiAttach = `Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) basic-broker-old`
	long := strings.Repeat("x", 300)
	type event struct {
		reason, message string
		age             time.Duration // since it was first seen
		otherPod        bool          // about an earlier pod of the same name
	}
	tests := map[string]struct {
		status   func(*corev1.PodStatus) // nil: scheduled, containers being created
		events   []event
		noReader bool
		want     string // after "node set broker (node type broker): pod basic-broker-0 cannot start: "
		lookups  int
	}{
		"no events": {lookups: 1},
		"multi-attach, at once": {
			events:  []event{{reason: "FailedAttachVolume", message: multiAttach, age: time.Second}},
			want:    "FailedAttachVolume: " + multiAttach,
			lookups: 1,
		},
		"attach failure, within the bound": {
			events:  []event{{reason: "FailedAttachVolume", message: "AttachVolume.Attach failed for volume \"pvc-1\": timed out", age: 2 * time.Minute}},
			lookups: 1,
		},
		"attach failure, past the bound": {
			events:  []event{{reason: "FailedAttachVolume", message: "AttachVolume.Attach failed for volume \"pvc-1\": timed out", age: 2*time.Minute + time.Second}},
			want:    "FailedAttachVolume for 2m1s: AttachVolume.Attach failed for volume \"pvc-1\": timed out",
			lookups: 1,
		},
		"mount failure, within the bound": {
			events:  []event{{reason: "FailedMount", message: "MountVolume.SetUp failed for volume \"conf\": configmap \"c\" not found", age: time.Minute}},
			lookups: 1,
		},
		"mount failure, past the bound": {
			events: []event{
				{reason: "Scheduled", message: "Successfully assigned to node-1", age: 10 * time.Minute},
				{reason: "FailedMount", message: "MountVolume.SetUp failed for volume \"conf\": configmap \"c\" not found", age: 3 * time.Minute},
			},
			want:    "FailedMount for 3m0s: MountVolume.SetUp failed for volume \"conf\": configmap \"c\" not found",
			lookups: 1,
		},
		"a long message is cut": {
			events:  []event{{reason: "FailedAttachVolume", message: "Multi-Attach error " + long, age: time.Second}},
			want:    "FailedAttachVolume: " + ("Multi-Attach error " + long)[:maxEventMessage] + "...",
			lookups: 1,
		},
		// StatefulSet pods come back under the same name: another pod's events tell nothing.
		"an earlier pod of the same name": {
			events:  []event{{reason: "FailedAttachVolume", message: multiAttach, age: time.Hour, otherPod: true}},
			lookups: 1,
		},
		"other reasons": {
			events:  []event{{reason: "FailedScheduling", message: "0/3 nodes are available", age: time.Hour}},
			lookups: 1,
		},
		"started": {
			status: func(st *corev1.PodStatus) {
				st.Phase = corev1.PodRunning
				st.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
			},
			events: []event{{reason: "FailedAttachVolume", message: multiAttach, age: time.Hour}},
		},
		"not scheduled yet": {
			status: func(st *corev1.PodStatus) { st.Phase = corev1.PodPending },
			events: []event{{reason: "FailedAttachVolume", message: multiAttach, age: time.Hour}},
		},
		"without a reader": {
			events:   []event{{reason: "FailedAttachVolume", message: multiAttach, age: time.Hour}},
			noReader: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, c, a, cluster := setup(t)
			reader := &countingReader{Reader: c}
			if !tt.noReader {
				a.APIReader = reader
			}
			clk := time.Now().Truncate(time.Second) // event times are stored in whole seconds
			pod := stuckPodCandidate(cluster, "broker", "basic-broker-0", "")
			status := tt.status
			if status == nil {
				status = containersCreating
				pod.Spec.NodeName = "node-1"
			}
			createPod(t, pod, status)
			for _, e := range tt.events {
				about := pod
				if e.otherPod {
					about = pod.DeepCopy()
					about.UID = "an-earlier-uid"
				}
				createPodEvent(t, about, e.reason, e.message, clk.Add(-e.age), clk)
			}

			var state rolloutState
			broker := build(t, cluster, 1).Deployment
			if _, err := a.checkPods(ctx, cluster, &cluster.NodeSets[1], broker, &state, clk); err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.want != "" {
				want = "node set broker (node type broker): pod basic-broker-0 cannot start: " + tt.want
			}
			if state.failure != want {
				t.Errorf("failure %q\nwant    %q", state.failure, want)
			}
			if reader.lists != tt.lookups {
				t.Errorf("%d event lookups, want %d", reader.lists, tt.lookups)
			}
		})
	}
}

// An upgrade whose new pod cannot attach its volume halts at once with a reason, not at the
// progress deadline, and resumes by itself once the pod starts.
func TestReconcileUpgradeHaltsOnMultiAttach(t *testing.T) {
	_, c, a, cluster := setupWith(t, threeTypes)
	a.APIReader = c
	clk := newClock()
	opts := triOptions(clk)
	opts.ProgressDeadline = 10 * time.Minute
	prev := rolledOut(t, a, cluster, opts).Upgrade

	setImage(cluster, "example.com/app:2.0")
	opts.Generation, opts.LastGeneration = 2, 1
	report := reconcile(t, a, cluster, opts, prev)
	markRolledOut(t, workload(cluster, "a"))
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if u := report.Upgrade; u == nil || u.Phase != UpgradeProgressing || u.NodeType != "b" {
		t.Fatalf("upgrade %+v, want progressing at b", u)
	}
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec

	// The new pod of b lands on another node than the old one, which holds the claim.
	pod := stuckPodCandidate(cluster, "b", "tri-b-new", "")
	pod.Spec.NodeName = "node-2"
	createPod(t, pod, containersCreating)
	message := `Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) tri-b-old`
	createPodEvent(t, pod, "FailedAttachVolume", message, clk.now(), clk.now())
	clk.advance(10 * time.Second)
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	wantMessage := "node set b (node type b): pod tri-b-new cannot start: FailedAttachVolume: " + message
	if u := report.Upgrade; !report.Halted || u.Phase != UpgradeHalted || u.Message != wantMessage {
		t.Errorf("halted %v upgrade %+v, want halted with %q", report.Halted, u, wantMessage)
	}
	want := []string{"Warning UpgradeHalted Upgrade halted at node type b; later node types are not touched until it recovers or the spec is fixed: " + wantMessage}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	// The old pod goes, the volume attaches, the new pod starts: the upgrade goes on.
	pod = live(t, c, pod)
	pod.Status.Phase = corev1.PodRunning
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	if err := c.Status().Update(t.Context(), pod); err != nil {
		t.Fatal(err)
	}
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if u := report.Upgrade; report.Halted || u.Phase != UpgradeProgressing || u.NodeType != "b" {
		t.Errorf("after the pod started: halted %v upgrade %+v, want progressing at b", report.Halted, u)
	}
	want = []string{"Normal UpgradeResumed Upgrade resumed: node type b is rolling out again"}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// containersCreating is the status of a scheduled pod whose container app is being created:
// the kubelet is attaching and mounting its volumes.
func containersCreating(st *corev1.PodStatus) {
	st.Phase = corev1.PodPending
	st.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
	st.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
}

// createPodEvent creates a core/v1 Warning event about pod, as the attach/detach controller
// or the kubelet would, first seen at first and last seen at last.
func createPodEvent(t *testing.T, pod *corev1.Pod, reason, message string, first, last time.Time) {
	t.Helper()
	e := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Reason:         reason, Message: message, Type: corev1.EventTypeWarning, Count: 1,
		FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last),
		Source: corev1.EventSource{Component: "attachdetach-controller"},
	}
	if err := needAPIServer(t).Create(t.Context(), e); err != nil {
		t.Fatalf("create event %s about pod %s: %v", reason, pod.Name, err)
	}
}

// countingReader counts the lists it serves.
type countingReader struct {
	client.Reader
	lists int
}

func (r *countingReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	r.lists++
	return r.Reader.List(ctx, list, opts...)
}
