package dsoi

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// wantRollout is what a rollout case expects; message is a substring.
type wantRollout struct {
	done    bool
	phase   Phase
	message string
}

func checkRollout(t *testing.T, got Rollout, want wantRollout) {
	t.Helper()
	if got.Done != want.done || got.Phase != want.phase {
		t.Errorf("done %v phase %s (%q), want done %v phase %s", got.Done, got.Phase, got.Message, want.done, want.phase)
	}
	if want.message == "" && got.Message != "" {
		t.Errorf("message %q, want none", got.Message)
	}
	if !strings.Contains(got.Message, want.message) {
		t.Errorf("message %q, want it to contain %q", got.Message, want.message)
	}
}

func TestStatefulSetRollout(t *testing.T) {
	// sts is a StatefulSet at generation 2 wanting replicas, with status st.
	sts := func(replicas *int32, st appsv1.StatefulSetStatus) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Generation: 2},
			Spec:       appsv1.StatefulSetSpec{Replicas: replicas},
			Status:     st,
		}
	}
	done := appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3, CurrentRevision: "r2", UpdateRevision: "r2"}
	with := func(edit func(*appsv1.StatefulSetStatus)) appsv1.StatefulSetStatus {
		st := done
		edit(&st)
		return st
	}
	tests := map[string]struct {
		sts  *appsv1.StatefulSet
		want wantRollout
	}{
		"all done": {sts(ptr.To[int32](3), done), wantRollout{done: true, phase: PhaseReady}},
		"generation not observed yet": {
			sts(ptr.To[int32](3), with(func(s *appsv1.StatefulSetStatus) { s.ObservedGeneration = 1 })),
			wantRollout{phase: PhaseProgressing, message: "observe generation 2"},
		},
		"fresh StatefulSet without status": {
			sts(ptr.To[int32](3), appsv1.StatefulSetStatus{}),
			wantRollout{phase: PhasePending, message: "observe generation 2"},
		},
		"fewer updated than desired": {
			sts(ptr.To[int32](3), with(func(s *appsv1.StatefulSetStatus) { s.UpdatedReplicas = 1 })),
			wantRollout{phase: PhaseProgressing, message: "1 of 3 replicas updated"},
		},
		"current revision is not the update revision": {
			sts(ptr.To[int32](3), with(func(s *appsv1.StatefulSetStatus) { s.CurrentRevision = "r1" })),
			wantRollout{phase: PhaseProgressing, message: "3 of 3 replicas updated"},
		},
		"an old replica is left over": {
			sts(ptr.To[int32](3), with(func(s *appsv1.StatefulSetStatus) { s.Replicas = 4 })),
			wantRollout{phase: PhaseProgressing, message: "4 replicas exist, 3 wanted"},
		},
		"fewer ready than desired": {
			sts(ptr.To[int32](3), with(func(s *appsv1.StatefulSetStatus) { s.ReadyReplicas = 2 })),
			wantRollout{phase: PhaseProgressing, message: "2 of 3 replicas ready"},
		},
		"nothing ready or updated yet": {
			sts(ptr.To[int32](3), appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 3, UpdateRevision: "r2"}),
			wantRollout{phase: PhasePending, message: "0 of 3 replicas updated"},
		},
		"stopped": {
			sts(ptr.To[int32](0), appsv1.StatefulSetStatus{ObservedGeneration: 2, CurrentRevision: "r1", UpdateRevision: "r2"}),
			wantRollout{done: true, phase: PhaseStopped},
		},
		"stopping, pods still there": {
			sts(ptr.To[int32](0), appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 2, ReadyReplicas: 2}),
			wantRollout{phase: PhaseProgressing, message: "2 replicas exist, 0 wanted"},
		},
		"replicas unset means one": {
			sts(nil, appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 1, ReadyReplicas: 1, UpdatedReplicas: 1, CurrentRevision: "r2", UpdateRevision: "r2"}),
			wantRollout{done: true, phase: PhaseReady},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := StatefulSetRollout(tt.sts)
			checkRollout(t, got, tt.want)
			if got.Desired != replicas(tt.sts.Spec.Replicas) || got.Ready != tt.sts.Status.ReadyReplicas ||
				got.Updated != tt.sts.Status.UpdatedReplicas || got.Revision != tt.sts.Status.UpdateRevision {
				t.Errorf("counts %+v do not copy the StatefulSet's spec and status", got)
			}
		})
	}
}

func TestDeploymentRollout(t *testing.T) {
	deploy := func(replicas *int32, st appsv1.DeploymentStatus) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Generation: 4},
			Spec:       appsv1.DeploymentSpec{Replicas: replicas},
			Status:     st,
		}
	}
	done := appsv1.DeploymentStatus{ObservedGeneration: 4, Replicas: 2, ReadyReplicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}
	with := func(edit func(*appsv1.DeploymentStatus)) appsv1.DeploymentStatus {
		st := done
		edit(&st)
		return st
	}
	tests := map[string]struct {
		d    *appsv1.Deployment
		want wantRollout
	}{
		"all done": {deploy(ptr.To[int32](2), done), wantRollout{done: true, phase: PhaseReady}},
		"generation not observed yet": {
			deploy(ptr.To[int32](2), with(func(s *appsv1.DeploymentStatus) { s.ObservedGeneration = 3 })),
			wantRollout{phase: PhaseProgressing, message: "observe generation 4"},
		},
		"fewer updated than desired": {
			deploy(ptr.To[int32](2), with(func(s *appsv1.DeploymentStatus) { s.UpdatedReplicas = 1 })),
			wantRollout{phase: PhaseProgressing, message: "1 of 2 replicas updated"},
		},
		"old replicas still running": {
			deploy(ptr.To[int32](2), with(func(s *appsv1.DeploymentStatus) { s.Replicas = 3 })),
			wantRollout{phase: PhaseProgressing, message: "3 replicas exist, 2 wanted"},
		},
		"fewer ready than desired": {
			deploy(ptr.To[int32](2), with(func(s *appsv1.DeploymentStatus) { s.ReadyReplicas = 0 })),
			wantRollout{phase: PhaseProgressing, message: "0 of 2 replicas ready"},
		},
		"nothing ready or updated yet": {
			deploy(ptr.To[int32](2), appsv1.DeploymentStatus{ObservedGeneration: 4, Replicas: 2}),
			wantRollout{phase: PhasePending, message: "0 of 2 replicas updated"},
		},
		"stopped": {
			deploy(ptr.To[int32](0), appsv1.DeploymentStatus{ObservedGeneration: 4}),
			wantRollout{done: true, phase: PhaseStopped},
		},
		"stopping, pods still there": {
			deploy(ptr.To[int32](0), appsv1.DeploymentStatus{ObservedGeneration: 4, Replicas: 1}),
			wantRollout{phase: PhasePending, message: "1 replicas exist, 0 wanted"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := DeploymentRollout(tt.d)
			checkRollout(t, got, tt.want)
			if got.Revision != "4" {
				t.Errorf("revision %q, want the Deployment's generation 4", got.Revision)
			}
		})
	}
}

func TestReportReady(t *testing.T) {
	r := &Report{}
	if !r.Ready() {
		t.Error("a report without node sets is not ready")
	}
	r.NodeSets = []NodeSetReport{{Name: "a", Rollout: Rollout{Done: true}}, {Name: "b", Rollout: Rollout{Done: false}}}
	if r.Ready() {
		t.Error("a report with a node set still rolling out is ready")
	}
	r.NodeSets[1].Done = true
	if !r.Ready() {
		t.Error("a report with every node set done is not ready")
	}
}
