package dsoi

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A scale-down below a node type's minimum stops at the minimum and says so, once; a
// scale-up, a new node set and spec.stopped are not held.
func TestReconcileHoldsTheFloor(t *testing.T) {
	ctx, c, a, cluster := setupWith(t, threeTypes)
	opts := triOptions(newClock())
	a0 := &cluster.NodeSets[1] // node set a, a StatefulSet
	a0.Replicas, a0.MinReplicas = 5, 3
	r := rolledOut(t, a, cluster, opts)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	replicasOfA := func() int32 {
		t.Helper()
		sts := &appsv1.StatefulSet{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(workload(cluster, "a")), sts); err != nil {
			t.Fatal(err)
		}
		return *sts.Spec.Replicas
	}

	a0.Replicas = 2
	r = reconcile(t, a, cluster, opts, r.Upgrade)
	want := "node set a: scaling down to 2 replicas was refused: node type a needs at least 3 (its minReplicas); it keeps 3"
	if got := replicasOfA(); got != 3 || r.NodeSets[0].ScaleDownRefused != want {
		t.Errorf("scaled to 2 with a floor of 3: %d replicas, refusal %q; want 3 and %q", got, r.NodeSets[0].ScaleDownRefused, want)
	}
	var conds []metav1.Condition
	SetRolloutConditions(&conds, 1, r)
	if d := meta.FindStatusCondition(conds, ConditionDegraded); d == nil || d.Reason != "ScaleDownRefused" || d.Message != want {
		t.Errorf("Degraded %+v, want ScaleDownRefused: %s", d, want)
	}
	if got := drain(rec); countPrefix(got, "Warning ScaleDownRefused "+want) != 1 {
		t.Errorf("events %q, want one ScaleDownRefused", got)
	}
	// Told once: the next reconcile finds it in the stored condition.
	opts.LastConditions = conds
	markRolledOut(t, workload(cluster, "a"))
	r = reconcile(t, a, cluster, opts, r.Upgrade)
	if got := drain(rec); countPrefix(got, "Warning ScaleDownRefused") != 0 || r.Writes != 0 {
		t.Errorf("again: events %q writes %d, want no refusal and no write", got, r.Writes)
	}

	// Below the floor already (3), a wish of 1 keeps 3; a scale-up is applied.
	a0.Replicas = 4
	if reconcile(t, a, cluster, opts, r.Upgrade); replicasOfA() != 4 {
		t.Errorf("scale-up to 4: %d replicas", replicasOfA())
	}
	a0.Replicas = 1
	if r = reconcile(t, a, cluster, opts, r.Upgrade); replicasOfA() != 3 || !strings.Contains(r.NodeSets[0].ScaleDownRefused, "it keeps 3") {
		t.Errorf("4 -> 1 with a floor of 3: %d replicas, %q", replicasOfA(), r.NodeSets[0].ScaleDownRefused)
	}
	// spec.stopped stops every node set, floor or not.
	cluster.Stopped = true
	for i := 0; i < 6 && replicasOfA() != 0; i++ { // node types stop one at a time, a last
		r = reconcile(t, a, cluster, opts, r.Upgrade)
		opts.StopStart = r.StopStart
		for _, ns := range cluster.NodeSets {
			markRolledOut(t, workload(cluster, ns.Name))
		}
	}
	if replicasOfA() != 0 || r.NodeSets[0].ScaleDownRefused != "" {
		t.Errorf("stopped: %d replicas, refusal %q; want 0 and none", replicasOfA(), r.NodeSets[0].ScaleDownRefused)
	}
}

func countPrefix(events []string, prefix string) int {
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}
