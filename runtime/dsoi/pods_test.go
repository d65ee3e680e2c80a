package dsoi

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodFailure(t *testing.T) {
	// pod is a running pod with one container, app, in state.
	pod := func(name string, state corev1.ContainerState, restarts int32) corev1.Pod {
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: corev1.PodStatus{
				Phase:             corev1.PodRunning,
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: state, RestartCount: restarts}},
			},
		}
	}
	waiting := func(reason, message string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}
	}
	terminated := func(code int32, reason string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	healthy := pod("p-0", running, 0)

	type podCase struct {
		pods []corev1.Pod
		want string // "" when no pod is failing
	}
	tests := map[string]podCase{
		"no pods":     {},
		"healthy pod": {pods: []corev1.Pod{healthy}},
		"starting":    {pods: []corev1.Pod{pod("p-0", waiting("ContainerCreating", ""), 0)}},
		// A container that exited once may be restarting now: not yet a failure.
		"exited once":               {pods: []corev1.Pod{pod("p-0", terminated(1, "Error"), 0)}},
		"exited cleanly, restarted": {pods: []corev1.Pod{pod("p-0", terminated(0, "Completed"), 3)}},
		"exited non-zero, restarted": {
			pods: []corev1.Pod{pod("p-0", terminated(137, "OOMKilled"), 2)},
			want: "pod p-0: container app exited with code 137 (OOMKilled) and restarted 2 times",
		},
		"failed phase": {
			pods: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "p-0"}, Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "low on memory"}}},
			want: "pod p-0 failed: Evicted: low on memory",
		},
		"failed phase without a reason": {
			pods: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "p-0"}, Status: corev1.PodStatus{Phase: corev1.PodFailed}}},
			want: "pod p-0 failed: no reason given",
		},
		"failing init container": {
			pods: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "p-0"}, Status: corev1.PodStatus{
				Phase:                 corev1.PodPending,
				InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", State: waiting("CrashLoopBackOff", "back-off 10s")}},
			}}},
			want: "pod p-0: container init is in CrashLoopBackOff: back-off 10s",
		},
		"being deleted": {
			pods: []corev1.Pod{func() corev1.Pod {
				p := pod("p-0", waiting("CrashLoopBackOff", "back-off 10s"), 5)
				p.DeletionTimestamp = &metav1.Time{}
				return p
			}()},
		},
		"the first failing pod is named": {
			pods: []corev1.Pod{healthy, pod("p-1", waiting("ErrImagePull", "not found"), 0), pod("p-2", waiting("CrashLoopBackOff", ""), 1)},
			want: "pod p-1: container app is in ErrImagePull: not found",
		},
	}
	for _, reason := range []string{"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
		"CreateContainerConfigError", "CreateContainerError", "RunContainerError"} {
		tests["waiting in "+reason] = podCase{
			pods: []corev1.Pod{pod("p-0", waiting(reason, "details"), 0)},
			want: "pod p-0: container app is in " + reason + ": details",
		}
	}
	tests["waiting without a message"] = podCase{
		pods: []corev1.Pod{pod("p-0", waiting("ImagePullBackOff", ""), 0)},
		want: "pod p-0: container app is in ImagePullBackOff: no reason given",
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := podFailure(tt.pods); got != tt.want {
				t.Errorf("podFailure = %q, want %q", got, tt.want)
			}
		})
	}
}
