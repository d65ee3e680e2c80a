package dsoi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
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

// t0 is when the pods of the tests below were created.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// A pod of an old revision that is not ready is deleted only when waiting will not help.
func TestWhyStuck(t *testing.T) {
	status := func(phase corev1.PodPhase, edit func(*corev1.PodStatus)) *corev1.Pod {
		pod := &corev1.Pod{Status: corev1.PodStatus{Phase: phase}}
		pod.CreationTimestamp = metav1.NewTime(t0)
		if edit != nil {
			edit(&pod.Status)
		}
		return pod
	}
	container := func(name string, state corev1.ContainerState, restarts int32) []corev1.ContainerStatus {
		return []corev1.ContainerStatus{{Name: name, State: state, RestartCount: restarts}}
	}
	waiting := func(reason, message string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}
	}
	scheduled := func(status corev1.ConditionStatus, at time.Time, message string) []corev1.PodCondition {
		return []corev1.PodCondition{{Type: corev1.PodScheduled, Status: status, LastTransitionTime: metav1.NewTime(at), Message: message}}
	}
	tests := map[string]struct {
		pod  *corev1.Pod
		want string // "" when the pod may still recover
	}{
		"running, not ready": {pod: status(corev1.PodRunning, func(st *corev1.PodStatus) {
			st.ContainerStatuses = container("app", corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, 0)
		})},
		// A container that exited once is being restarted: it may come up this time.
		"exited once": {pod: status(corev1.PodRunning, func(st *corev1.PodStatus) {
			st.ContainerStatuses = container("app", corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}, 0)
		})},
		"crash loop": {
			pod: status(corev1.PodRunning, func(st *corev1.PodStatus) {
				st.ContainerStatuses = container("broker", waiting("CrashLoopBackOff", "back-off 5m0s"), 9)
			}),
			want: "container broker is in CrashLoopBackOff: back-off 5m0s",
		},
		"image that cannot be pulled": {
			pod: status(corev1.PodPending, func(st *corev1.PodStatus) {
				st.ContainerStatuses = container("app", waiting("ImagePullBackOff", ""), 0)
			}),
			want: "container app is in ImagePullBackOff: no reason given",
		},
		"failing init container": {
			pod: status(corev1.PodPending, func(st *corev1.PodStatus) {
				st.InitContainerStatuses = container("init", corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}, 3)
			}),
			want: "container init exited with code 2 (Error) and restarted 3 times",
		},
		"failed": {
			pod:  status(corev1.PodFailed, func(st *corev1.PodStatus) { st.Reason, st.Message = "Evicted", "low on memory" }),
			want: "it failed: Evicted: low on memory",
		},
		"pending, within the bound": {pod: func() *corev1.Pod {
			pod := status(corev1.PodPending, nil)
			pod.CreationTimestamp = metav1.NewTime(t0.Add(time.Second))
			return pod
		}()},
		"pending past the bound, since its creation": {
			pod:  status(corev1.PodPending, nil),
			want: "Pending for 5m1s: not scheduled",
		},
		"unschedulable past the bound": {
			pod: status(corev1.PodPending, func(st *corev1.PodStatus) {
				st.Conditions = scheduled(corev1.ConditionFalse, t0, "0/3 nodes are available: 3 Insufficient memory.")
			}),
			want: "Pending for 5m1s: 0/3 nodes are available: 3 Insufficient memory.",
		},
		// The bound runs from the scheduling: a pod may wait long for a node, then start.
		"scheduled within the bound": {pod: status(corev1.PodPending, func(st *corev1.PodStatus) {
			st.Conditions = scheduled(corev1.ConditionTrue, t0.Add(time.Minute), "")
			st.ContainerStatuses = container("app", waiting("ContainerCreating", ""), 0)
		})},
		"scheduled, not started past the bound": {
			pod: status(corev1.PodPending, func(st *corev1.PodStatus) {
				st.Conditions = scheduled(corev1.ConditionTrue, t0, "")
				st.InitContainerStatuses = container("init", waiting("PodInitializing", "pulling"), 0)
			}),
			want: "Pending for 5m1s: container init is in PodInitializing: pulling",
		},
		"scheduled without container statuses": {
			pod:  status(corev1.PodPending, func(st *corev1.PodStatus) { st.Conditions = scheduled(corev1.ConditionTrue, t0, "") }),
			want: "Pending for 5m1s: scheduled, not started",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := whyStuck(tt.pod, t0.Add(stuckPendingAfter+time.Second)); got != tt.want {
				t.Errorf("whyStuck = %q, want %q", got, tt.want)
			}
		})
	}
}

// One stuck pod at a time, none while a pod is terminating, the new revision's never.
func TestStuckPod(t *testing.T) {
	pod := func(name, revision string, ready bool, phase corev1.PodPhase) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0),
			Labels: map[string]string{appsv1.ControllerRevisionHashLabelKey: revision}}}
		p.Status.Phase = phase
		readiness := corev1.ConditionFalse
		if ready {
			readiness = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: readiness}}
		return p
	}
	now := t0.Add(time.Hour)
	recovering := pod("p-0", "old", false, corev1.PodRunning)
	readyOld := pod("p-1", "old", true, corev1.PodPending) // as odd as it gets: ready wins
	newPending := pod("p-2", "new", false, corev1.PodPending)
	stuck1 := pod("p-3", "old", false, corev1.PodPending)
	stuck2 := pod("p-4", "old", false, corev1.PodFailed)
	terminating := pod("p-5", "old", true, corev1.PodRunning)
	terminating.DeletionTimestamp = &metav1.Time{Time: now}

	tests := map[string]struct {
		pods  []corev1.Pod
		want  string // the pod picked, "" for none
		stuck bool   // it is stuck, not merely slow
	}{
		"none unready on the old revision":  {pods: []corev1.Pod{readyOld, newPending}},
		"merely not ready still goes first": {pods: []corev1.Pod{recovering, readyOld, newPending}, want: "p-0"},
		"the first by name":                 {pods: []corev1.Pod{readyOld, newPending, stuck1, stuck2}, want: "p-3", stuck: true},
		"none while deleting":               {pods: []corev1.Pod{recovering, stuck1, stuck2, terminating}},
		"a pod of no revision":              {pods: []corev1.Pod{pod("stray", "", false, corev1.PodFailed)}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, why := stuckPod(tt.pods, "new", now)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want || (why != "") != tt.stuck {
				t.Errorf("stuckPod = %q (%q), want %q (stuck %v)", name, why, tt.want, tt.stuck)
			}
		})
	}
}

func TestVolumeEventFailure(t *testing.T) {
	now := t0.Add(time.Hour)
	event := func(reason, message string, first time.Time) corev1.Event {
		return corev1.Event{Reason: reason, Message: message, FirstTimestamp: metav1.NewTime(first)}
	}
	multiAttach := event("FailedAttachVolume", `Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) web-0`, now)
	tests := map[string]struct {
		events []corev1.Event
		want   string
	}{
		"none":                  {},
		"multi-attach, at once": {events: []corev1.Event{multiAttach}, want: "FailedAttachVolume: " + multiAttach.Message},
		"mount failure, within the bound": {
			events: []corev1.Event{event("FailedMount", "timed out", now.Add(-volumeFailureAfter))},
		},
		"mount failure, past the bound": {
			events: []corev1.Event{event("FailedMount", "timed out", now.Add(-volumeFailureAfter-time.Second))},
			want:   "FailedMount for 2m1s: timed out",
		},
		"multi-attach comes first": {
			events: []corev1.Event{event("FailedMount", "timed out", now.Add(-time.Hour)), multiAttach},
			want:   "FailedAttachVolume: " + multiAttach.Message,
		},
		"the event time of the events API": {
			events: []corev1.Event{{Reason: "FailedAttachVolume", Message: "rpc error", EventTime: metav1.NewMicroTime(now.Add(-3 * time.Minute))}},
			want:   "FailedAttachVolume for 3m0s: rpc error",
		},
		"other reasons": {events: []corev1.Event{event("FailedScheduling", "Multi-Attach", now.Add(-time.Hour))}},
		"a long message": {
			events: []corev1.Event{event("FailedMount", strings.Repeat("é", 200), now.Add(-time.Hour))},
			want:   "FailedMount for 1h0m0s: " + strings.Repeat("é", maxEventMessage/2) + "...",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := volumeEventFailure(tt.events, now); got != tt.want {
				t.Errorf("volumeEventFailure = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc..."},
		{"aé", 2, "a..."}, // é takes two bytes: it is not cut in half
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

// A role without the right to list events (an operator deployed before the check) makes the
// check impossible, not the rollout: nothing is reported. Any other error is one.
func TestVolumeFailureWithoutTheRightToListEvents(t *testing.T) {
	waiting := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "basic-broker-0", UID: "1"},
		Spec:       corev1.PodSpec{NodeName: "node-1"},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}},
	}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", errors.New("no rule allows it"))
	a := &Applier{APIReader: failingReader{err: forbidden}}
	if why, err := a.volumeFailure(t.Context(), []corev1.Pod{waiting}, time.Now()); why != "" || err != nil {
		t.Errorf("forbidden: %q, %v; want nothing reported", why, err)
	}
	a.APIReader = failingReader{err: errors.New("connection refused")}
	if _, err := a.volumeFailure(t.Context(), []corev1.Pod{waiting}, time.Now()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("another error: %v; want it returned", err)
	}
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (r failingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return r.err
}

func (r failingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return r.err
}
