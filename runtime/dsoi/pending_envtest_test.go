package dsoi

import (
	"maps"
	"slices"
	"testing"

	"k8s.io/client-go/tools/events"
)

// Pending lists what Reconcile would write, in its order, and writes and records nothing.
func TestPendingWritesNothing(t *testing.T) {
	ctx, c, a, cluster := setupWith(t, threeTypes)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	opts := triOptions(newClock())
	pending := func(what string, want []string) {
		t.Helper()
		got, err := a.Pending(ctx, cluster, opts)
		if err != nil {
			t.Fatalf("%s: Pending: %v", what, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: pending\n%q\nwant\n%q", what, got, want)
		}
		if ev := drain(rec); len(ev) != 0 {
			t.Errorf("%s: Pending recorded %q", what, ev)
		}
	}

	// Nothing installed: an ordered install would create a's objects first, and none is created.
	cm := BuildConfigMaps(cluster)[0].Name
	pending("before the install", []string{
		"create ConfigMap " + cm, "create Service tri-a", "create Service tri-a-headless", "create StatefulSet tri-a", "create PodDisruptionBudget tri-a",
	})
	if got := existingWorkloads(t, cluster); len(got) != 0 {
		t.Errorf("workloads %v exist after Pending, want none", got)
	}

	prev := rolledOut(t, a, cluster, opts).Upgrade
	drain(rec)
	objs := allObjects(t, cluster)
	before := resourceVersions(t, c, objs)
	pending("at rest", nil)

	// A new image: a is updated first; b and c wait for it, so they are not pending yet.
	setImage(cluster, "example.com/app:2.0")
	opts.Generation, opts.LastGeneration = 2, 1
	pending("new image", []string{"update StatefulSet tri-a"})

	// A node set removed: its objects would go.
	setImage(cluster, "example.com/app:1.0")
	cluster.NodeSets = slices.DeleteFunc(cluster.NodeSets, func(ns NodeSet) bool { return ns.Name == "c" })
	pending("node set removed", []string{
		"delete Service tri-c", "delete Service tri-c-headless", "delete StatefulSet tri-c", "delete PodDisruptionBudget tri-c",
	})
	if after := resourceVersions(t, c, objs); !maps.Equal(before, after) {
		t.Errorf("Pending wrote: resourceVersions %v -> %v", before, after)
	}
	if report := reconcile(t, a, cluster, opts, prev); len(report.Deleted) != 4 {
		t.Errorf("Reconcile deleted %v, want the 4 objects Pending listed", report.Deleted)
	}
}
