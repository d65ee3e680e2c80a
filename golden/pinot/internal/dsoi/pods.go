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
	"time"
	"unicode/utf8"

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

// volumeFailureAfter is how long an attach or mount failure may last before it counts: both
// often fail a few times and then work, as a volume detaches from the node it was on.
const volumeFailureAfter = 2 * time.Minute

// maxEventMessage bounds how much of an event's message a failure quotes: a Multi-Attach
// error lists every pod that uses the volume.
const maxEventMessage = 256

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

// failingPod names the first failing pod and why, or "": from the pods' status, else from
// the events about a pod whose volume will not attach or mount.
func (a *Applier) failingPod(ctx context.Context, pods []corev1.Pod, now time.Time) (string, error) {
	if f := podFailure(pods); f != "" {
		return f, nil
	}
	return a.volumeFailure(ctx, pods, now)
}

// volumeFailure names the first pod that cannot start because a volume does not attach or
// mount, or "" when none is known. Only events about the pod tell that; they are read
// through the uncached APIReader, and only for pods waiting for their volumes.
func (a *Applier) volumeFailure(ctx context.Context, pods []corev1.Pod, now time.Time) (string, error) {
	if a.APIReader == nil {
		return "", nil
	}
	for i := range pods {
		pod := &pods[i]
		if pod.DeletionTimestamp != nil || !waitsForVolumes(pod) {
			continue
		}
		var events corev1.EventList
		// The uid matters: a StatefulSet pod comes back under the name of the one before.
		if err := a.APIReader.List(ctx, &events, client.InNamespace(pod.Namespace), client.MatchingFields{
			"involvedObject.kind": "Pod", "involvedObject.name": pod.Name, "involvedObject.uid": string(pod.UID),
		}); err != nil {
			if apierrors.IsForbidden(err) {
				// An operator still running with a role from before this check: the check
				// cannot be made, and that must not stop the rollout itself.
				return "", nil
			}
			return "", fmt.Errorf("list events of pod %s: %w", pod.Name, err)
		}
		if why := volumeEventFailure(events.Items, now); why != "" {
			return fmt.Sprintf("pod %s cannot start: %s", pod.Name, why), nil
		}
	}
	return "", nil
}

// waitsForVolumes reports whether a pod is scheduled and none of its containers has started:
// the stage where the kubelet waits for its volumes to attach and mount.
func waitsForVolumes(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodPending || pod.Spec.NodeName == "" {
		return false
	}
	for _, cs := range containerStatuses(pod) {
		if w := cs.State.Waiting; w == nil || (w.Reason != "ContainerCreating" && w.Reason != "PodInitializing") {
			return false
		}
	}
	return true
}

// volumeEventFailure says which of a pod's events shows a volume that will not attach or
// mount, or "". A Multi-Attach error counts at once: the volume stays on another node until
// the pod there goes. Other attach and mount failures count once they have lasted
// volumeFailureAfter.
func volumeEventFailure(events []corev1.Event, now time.Time) string {
	lasting := ""
	for i := range events {
		e := &events[i]
		if e.Reason != "FailedAttachVolume" && e.Reason != "FailedMount" {
			continue
		}
		message := truncate(e.Message, maxEventMessage)
		if e.Reason == "FailedAttachVolume" && strings.Contains(e.Message, "Multi-Attach") {
			return e.Reason + ": " + message
		}
		if lasted := now.Sub(firstSeen(e)); lasted > volumeFailureAfter && lasting == "" {
			lasting = fmt.Sprintf("%s for %s: %s", e.Reason, lasted.Round(time.Second), message)
		}
	}
	return lasting
}

// firstSeen is when an event first happened, from whichever field its recorder filled in.
func firstSeen(e *corev1.Event) time.Time {
	switch {
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// truncate cuts s to at most n bytes, at the start of a rune, and marks the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// deleteStuckPods replaces, at most one per call, a StatefulSet pod that runs an old revision
// and is not ready. The rollout would restart it anyway, but the StatefulSet controller goes
// from the highest ordinal down: it takes ready pods down first while this one stays down,
// and never replaces a stuck one at all (kubernetes issue 67250), so after a bad spec is fixed
// the rollout would wait forever. Replacing the unready pod first keeps every ready pod up.
// A pod that is terminating holds everything: pods go one at a time, never a quorum.
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
		return 0, fmt.Errorf("delete unready pod %s: %w", pod.Name, err)
	}
	revision := pod.Labels[appsv1.ControllerRevisionHashLabelKey]
	if why != "" {
		a.warning(pod, "DeletedStuckPod", "Delete", "Deleted pod %s of old revision %s: %s; the StatefulSet would never replace it with %s by itself",
			pod.Name, revision, why, update)
	} else {
		a.event(pod, "ReplacedUnreadyPod", "Delete", "Deleted pod %s of old revision %s, which is not ready: the rollout to %s restarts it anyway, and replacing it first keeps the ready pods up",
			pod.Name, revision, update)
	}
	return 1, nil
}

// stuckPod picks the pod to replace: the first by name that runs a revision other than
// update and is not ready, and says why it is stuck ("" when it is merely not ready: loading
// data, catching up a log). It picks none while a pod is terminating.
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
		return pod, whyStuck(pod, now)
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
