package dsoi

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A StatefulSet never replaces a pod of an old revision that is not ready (kubernetes issue
// 67250), so such pods are deleted, and only those, once the controller has seen the spec.
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
			sts := build(t, cluster, 0).StatefulSet
			if _, err := a.Apply(ctx, sts); err != nil {
				t.Fatal(err)
			}
			sts.Status = appsv1.StatefulSetStatus{
				ObservedGeneration: sts.Generation, Replicas: 3, ReadyReplicas: 1, UpdatedReplicas: 1,
				CurrentRevision: "rev-1", UpdateRevision: "rev-2",
			}
			if tt.status != nil {
				tt.status(&sts.Status)
			}
			if err := c.Status().Update(ctx, sts); err != nil {
				t.Fatal(err)
			}
			pods := createStuckPodCandidates(t, cluster)
			rec := events.NewFakeRecorder(100)
			a.Recorder = rec

			listed, err := a.podsOf(ctx, cluster, &cluster.NodeSets[0])
			if err != nil {
				t.Fatal(err)
			}
			n, err := a.deleteStuckPods(ctx, sts, listed)
			if err != nil || n != len(tt.deleted) {
				t.Errorf("deleteStuckPods = %d, %v; want %d", n, err, len(tt.deleted))
			}
			checkPodsDeleted(t, c, pods, tt.deleted)
			var want []string
			for _, name := range tt.deleted {
				want = append(want, "Normal DeletedStuckPod Deleted pod "+name+": it runs old revision rev-1 and is not ready, so the StatefulSet would never replace it with rev-2")
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
			createPod(t, pod, func(*corev1.PodStatus) {})
		}
		reconcile(t, a, cluster, basicOptions(), nil)
		checkPodsDeleted(t, c, pods, []string{"basic-controller-0"})
	})
}

// createStuckPodCandidates creates pods of the controller node set (and one of the broker)
// for a StatefulSet rolling rev-2 out over rev-1; only basic-controller-0 is stuck.
func createStuckPodCandidates(t *testing.T, cluster *Cluster) []*corev1.Pod {
	t.Helper()
	pods := []*corev1.Pod{
		stuckPodCandidate(cluster, "controller", "basic-controller-0", "rev-1"), // stuck
		stuckPodCandidate(cluster, "controller", "basic-controller-1", "rev-1"), // old but ready: replaced in turn
		stuckPodCandidate(cluster, "controller", "basic-controller-2", "rev-2"), // new, still starting
		stuckPodCandidate(cluster, "controller", "stray", ""),                   // no revision: not the controller's
		stuckPodCandidate(cluster, "broker", "basic-broker-0", "rev-1"),         // another node set
	}
	// Already being deleted (a finalizer holds it): not deleted again.
	terminating := stuckPodCandidate(cluster, "controller", "basic-controller-3", "rev-1")
	terminating.Finalizers = []string{"example.com/hold"}
	pods = append(pods, terminating)
	for _, pod := range pods {
		ready := corev1.ConditionFalse
		if pod.Name == "basic-controller-1" {
			ready = corev1.ConditionTrue
		}
		createPod(t, pod, func(st *corev1.PodStatus) {
			st.Phase = corev1.PodRunning
			st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
		})
	}
	if err := needAPIServer(t).Delete(t.Context(), terminating); err != nil {
		t.Fatal(err)
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
