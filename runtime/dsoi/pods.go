package dsoi

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// waitingReasons are container states that do not get better by waiting: a node set whose
// pods show one is failing, and an upgrade halts there at once, not at the deadline.
var waitingReasons = map[string]bool{
	"CrashLoopBackOff":           true,
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// stuckPendingAfter is how long a pod may stay Pending (not scheduled, or scheduled and not
// started) before it counts as stuck: pulling a large image or attaching a volume takes minutes.
const stuckPendingAfter = 5 * time.Minute

// podsOf lists the pods of one node set.
func (a *Applier) podsOf(ctx context.Context, c *Cluster, ns *NodeSet) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := a.Client.List(ctx, &pods, client.InNamespace(c.Namespace), client.MatchingLabels(Selector(c.Instance, ns.Name))); err != nil {
		return nil, fmt.Errorf("list pods of node set %q: %w", ns.Name, err)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	return pods.Items, nil
}

// podFailure names the first pod that is failing and why, or "" when none is.
func podFailure(pods []corev1.Pod) string {
	for i := range pods {
		pod := &pods[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		if pod.Status.Phase == corev1.PodFailed {
			return fmt.Sprintf("pod %s failed: %s", pod.Name, orDash(pod.Status.Reason, pod.Status.Message))
		}
		if f := containerFailure(pod); f != "" {
			return fmt.Sprintf("pod %s: %s", pod.Name, f)
		}
	}
	return ""
}

// containerFailure says which container of a pod fails and how, or "" when none does.
func containerFailure(pod *corev1.Pod) string {
	for _, cs := range containerStatuses(pod) {
		if w := cs.State.Waiting; w != nil && waitingReasons[w.Reason] {
			return fmt.Sprintf("container %s is in %s: %s", cs.Name, w.Reason, orDash(w.Message, ""))
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 && cs.RestartCount > 0 {
			return fmt.Sprintf("container %s exited with code %d (%s) and restarted %d times", cs.Name, t.ExitCode, orDash(t.Reason, ""), cs.RestartCount)
		}
	}
	return ""
}

// containerStatuses are the statuses of a pod's init containers, then of its containers.
func containerStatuses(pod *corev1.Pod) []corev1.ContainerStatus {
	return append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
}

func orDash(a, b string) string {
	switch {
	case a != "" && b != "":
		return a + ": " + b
	case a != "":
		return a
	case b != "":
		return b
	}
	return "no reason given"
}

// deleteStuckPods deletes a StatefulSet pod that runs an old revision, is not ready and is
// stuck, at most one per call. The StatefulSet controller never replaces a pod that is not
// ready (kubernetes issue 67250), so after a bad spec is fixed the rollout would wait forever
// for a pod that cannot recover. A pod that may still recover is left alone: deleting it
// would throw away the data it is loading, and deleting several would take out a quorum.
func (a *Applier) deleteStuckPods(ctx context.Context, sts *appsv1.StatefulSet, pods []corev1.Pod, now time.Time) (int, error) {
	update := sts.Status.UpdateRevision
	if update == "" || sts.Status.ObservedGeneration < sts.Generation {
		return 0, nil
	}
	pod, why := stuckPod(pods, update, now)
	if pod == nil {
		return 0, nil
	}
	if err := a.Client.Delete(ctx, pod, client.Preconditions{UID: ptrUID(pod)}); err != nil && !apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("delete stuck pod %s: %w", pod.Name, err)
	}
	a.warning(pod, "DeletedStuckPod", "Delete", "Deleted pod %s of old revision %s: %s; the StatefulSet would never replace it with %s by itself",
		pod.Name, pod.Labels[appsv1.ControllerRevisionHashLabelKey], why, update)
	return 1, nil
}

// stuckPod picks the pod to delete and says why: the first by name that runs a revision other
// than update, is not ready and is stuck. It picks none while a pod is terminating, so stuck
// pods go one at a time.
func stuckPod(pods []corev1.Pod, update string, now time.Time) (*corev1.Pod, string) {
	for i := range pods {
		if pods[i].DeletionTimestamp != nil {
			return nil, ""
		}
	}
	for i := range pods {
		pod := &pods[i]
		revision := pod.Labels[appsv1.ControllerRevisionHashLabelKey]
		if revision == "" || revision == update || podReady(pod) {
			continue
		}
		if why := whyStuck(pod, now); why != "" {
			return pod, why
		}
	}
	return nil, ""
}

// whyStuck says why a pod will not get better by waiting, or "" when it may. A pod that runs
// and is merely not ready (loading segments, catching up a log) is never stuck.
func whyStuck(pod *corev1.Pod, now time.Time) string {
	if pod.Status.Phase == corev1.PodFailed {
		return "it failed: " + orDash(pod.Status.Reason, pod.Status.Message)
	}
	if f := containerFailure(pod); f != "" {
		return f
	}
	if pod.Status.Phase != corev1.PodPending {
		return ""
	}
	if waited := now.Sub(pendingSince(pod)); waited > stuckPendingAfter {
		return fmt.Sprintf("Pending for %s: %s", waited.Round(time.Second), pendingReason(pod))
	}
	return ""
}

// pendingSince is when a pending pod began to wait where it is: when it was scheduled or
// found unschedulable, else when it was created.
func pendingSince(pod *corev1.Pod) time.Time {
	if c := podCondition(pod, corev1.PodScheduled); c != nil && !c.LastTransitionTime.IsZero() {
		return c.LastTransitionTime.Time
	}
	return pod.CreationTimestamp.Time
}

// pendingReason says what a pending pod waits for.
func pendingReason(pod *corev1.Pod) string {
	if c := podCondition(pod, corev1.PodScheduled); c == nil || c.Status != corev1.ConditionTrue {
		if c != nil && c.Message != "" {
			return c.Message
		}
		return "not scheduled"
	}
	for _, cs := range containerStatuses(pod) {
		if w := cs.State.Waiting; w != nil {
			if w.Message != "" {
				return fmt.Sprintf("container %s is in %s: %s", cs.Name, w.Reason, w.Message)
			}
			return fmt.Sprintf("container %s is in %s", cs.Name, w.Reason)
		}
	}
	return "scheduled, not started"
}

func podReady(pod *corev1.Pod) bool {
	c := podCondition(pod, corev1.PodReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

// podCondition returns a pod's condition of type t, or nil.
func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}
