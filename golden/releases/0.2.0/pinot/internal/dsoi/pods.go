/*
Copyright Acme Inc..

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
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if pod.Status.Phase == corev1.PodFailed {
			return fmt.Sprintf("pod %s failed: %s", pod.Name, orDash(pod.Status.Reason, pod.Status.Message))
		}
		statuses := append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
		for _, cs := range statuses {
			if w := cs.State.Waiting; w != nil && waitingReasons[w.Reason] {
				return fmt.Sprintf("pod %s: container %s is in %s: %s", pod.Name, cs.Name, w.Reason, orDash(w.Message, ""))
			}
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 && cs.RestartCount > 0 {
				return fmt.Sprintf("pod %s: container %s exited with code %d (%s) and restarted %d times", pod.Name, cs.Name, t.ExitCode, orDash(t.Reason, ""), cs.RestartCount)
			}
		}
	}
	return ""
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

// deleteStuckPods deletes a StatefulSet's pods that run an old revision and are not ready.
// The StatefulSet controller never replaces a pod that is not ready (kubernetes issue 67250),
// so after a bad spec is fixed the rollout would wait forever for a pod that cannot recover.
// A pod that is not ready serves nothing, so deleting it loses nothing.
func (a *Applier) deleteStuckPods(ctx context.Context, sts *appsv1.StatefulSet, pods []corev1.Pod) (int, error) {
	if sts.Status.UpdateRevision == "" || sts.Status.ObservedGeneration < sts.Generation {
		return 0, nil
	}
	deleted := 0
	for i := range pods {
		pod := &pods[i]
		revision := pod.Labels[appsv1.ControllerRevisionHashLabelKey]
		if pod.DeletionTimestamp != nil || revision == "" || revision == sts.Status.UpdateRevision || podReady(pod) {
			continue
		}
		if err := a.Client.Delete(ctx, pod, client.Preconditions{UID: ptrUID(pod)}); err != nil && !apierrors.IsNotFound(err) {
			return deleted, fmt.Errorf("delete stuck pod %s: %w", pod.Name, err)
		}
		a.event(pod, "DeletedStuckPod", "Delete", "Deleted pod %s: it runs old revision %s and is not ready, so the StatefulSet would never replace it with %s",
			pod.Name, revision, sts.Status.UpdateRevision)
		deleted++
	}
	return deleted, nil
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
