package dsoi

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
)

// A stop scales node types to zero in reverse deploymentOrder, each once the node types after
// it have no pod left, and a start brings them back in deploymentOrder, each once the ones
// before it are ready. Neither is an upgrade: no upgrade record, no upgrade event, no
// progress deadline.
func TestReconcileStopAndStart(t *testing.T) {
	ctx, c, a, cluster := setupWith(t, threeTypes)
	clk := newClock()
	opts := triOptions(clk)
	opts.ProgressDeadline = time.Minute
	prev := rolledOut(t, a, cluster, opts).Upgrade
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	step := func(what string, wantReplicas map[string]int32, wantHeld []string) *Report {
		t.Helper()
		report := reconcile(t, a, cluster, opts, prev)
		opts.StopStart = report.StopStart
		if got := replicasOf(t, cluster); !maps.Equal(got, wantReplicas) {
			t.Errorf("%s: replicas %v, want %v", what, got, wantReplicas)
		}
		checkHeld(t, report, wantHeld)
		if report.Upgrade != prev || report.Halted {
			t.Errorf("%s: upgrade %+v halted %v; a stop or start is no upgrade", what, report.Upgrade, report.Halted)
		}
		return report
	}

	// Stop. c goes first; b and a wait, with their replicas, for c's last pod to go.
	cluster.Stopped = true
	opts.Generation, opts.LastGeneration = 2, 1
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace, pod.Labels = "tri-c-0", cluster.Namespace, Selector(cluster.Instance, "c")
	pod.Spec.Containers = []corev1.Container{{Name: "c", Image: "example.com/app:1.0"}}
	createPod(t, pod, func(st *corev1.PodStatus) { st.Phase = corev1.PodRunning })
	report := step("stop", map[string]int32{"a": 2, "b": 2, "c": 0}, []string{"a", "b"})
	checkStopStart(t, report, ClusterStopping, "c")
	if ns := nodeSetReport(t, report, "b"); ns.Phase != PhaseWaiting || ns.Message != "waiting for the node types after b in deploymentOrder to stop" {
		t.Errorf("b: phase %s %q, want Waiting for the node types after it", ns.Phase, ns.Message)
	}
	wantEvents(t, rec, "Normal Updated Updated StatefulSet tri-c",
		"Normal Stopping Stopping: node types scale to zero one at a time in reverse deploymentOrder c, b, a, each once the node types after it have no pod left")

	// c's StatefulSet reports zero replicas but its pod is still there (terminating, maybe
	// flushing data): b still waits, well past any progress deadline, and nothing halts.
	markRolledOut(t, workload(cluster, "c"))
	clk.advance(5 * time.Minute)
	report = step("c's pod left", map[string]int32{"a": 2, "b": 2, "c": 0}, []string{"a", "b"})
	if ns := nodeSetReport(t, report, "c"); ns.Done || ns.Phase != PhaseStopping || ns.Message != "scaled to zero; 1 pods left" {
		t.Errorf("c: done %v phase %s %q, want Stopping with its pod left", ns.Done, ns.Phase, ns.Message)
	}
	if report.RequeueAfter != requeueWhileRolling {
		t.Errorf("requeueAfter %v while a pod is left, want %v: pods going are not watched", report.RequeueAfter, requeueWhileRolling)
	}
	wantEvents(t, rec)

	// The pod goes: b, then a.
	if err := c.Delete(ctx, pod); err != nil {
		t.Fatal(err)
	}
	step("c stopped", map[string]int32{"a": 2, "b": 0, "c": 0}, []string{"a"})
	wantEvents(t, rec, "Normal Updated Updated Deployment tri-b", "Normal NodeTypeStopped Node type c stopped: no pod left")
	markRolledOut(t, workload(cluster, "b"))
	step("b stopped", map[string]int32{"a": 0, "b": 0, "c": 0}, nil)
	wantEvents(t, rec, "Normal Updated Updated StatefulSet tri-a", "Normal NodeTypeStopped Node type b stopped: no pod left")
	markRolledOut(t, workload(cluster, "a"))
	report = step("stopped", map[string]int32{"a": 0, "b": 0, "c": 0}, nil)
	checkStopStart(t, report, ClusterStopped, "")
	if !report.Ready() || report.RequeueAfter != 0 || report.StopStart.FinishedAt == nil {
		t.Errorf("stopped: ready %v requeueAfter %v stop %+v, want ready, 0 and a finish time", report.Ready(), report.RequeueAfter, report.StopStart)
	}
	wantEvents(t, rec, "Normal NodeTypeStopped Node type a stopped: no pod left", "Normal Stopped Stopped in 5m0s: every node set is scaled to zero and no pod is left")
	step("at rest, stopped", map[string]int32{"a": 0, "b": 0, "c": 0}, nil)
	wantEvents(t, rec)

	// Start, with a new image: each node type starts on the new spec in its turn, and that
	// is no upgrade either.
	cluster.Stopped = false
	setImage(cluster, "example.com/app:2.0")
	opts.Generation, opts.LastGeneration = 3, 2
	report = step("start", map[string]int32{"a": 2, "b": 0, "c": 0}, []string{"b", "c"})
	checkStopStart(t, report, ClusterStarting, "a")
	if ns := nodeSetReport(t, report, "c"); ns.Phase != PhaseWaiting || ns.Message != "waiting for the node types before c in deploymentOrder to start" {
		t.Errorf("c: phase %s %q, want Waiting for the node types before it", ns.Phase, ns.Message)
	}
	wantEvents(t, rec, "Normal Updated Updated StatefulSet tri-a",
		"Normal Starting Starting: node types start one at a time in deploymentOrder a, b, c, each once the node types before it are ready")
	clk.advance(5 * time.Minute)
	step("a not ready yet", map[string]int32{"a": 2, "b": 0, "c": 0}, []string{"b", "c"})
	markRolledOut(t, workload(cluster, "a"))
	step("a started", map[string]int32{"a": 2, "b": 2, "c": 0}, []string{"c"})
	wantEvents(t, rec, "Normal Updated Updated Deployment tri-b", "Normal NodeTypeStarted Node type a started: every replica is ready")
	markRolledOut(t, workload(cluster, "b"))
	step("b started", map[string]int32{"a": 2, "b": 2, "c": 2}, nil)
	wantEvents(t, rec, "Normal Updated Updated StatefulSet tri-c", "Normal NodeTypeStarted Node type b started: every replica is ready")
	markRolledOut(t, workload(cluster, "c"))
	report = step("started", map[string]int32{"a": 2, "b": 2, "c": 2}, nil)
	checkStopStart(t, report, ClusterStarted, "")
	wantEvents(t, rec, "Normal NodeTypeStarted Node type c started: every replica is ready", "Normal Started Started in 5m0s: every node set is ready")
	for _, ns := range cluster.NodeSets {
		if got := podSpec(t, workload(cluster, ns.Name)).Containers[0].Image; got != "example.com/app:2.0" {
			t.Errorf("%s runs %s after the start, want the new image", ns.Name, got)
		}
	}
	// At rest: the start is over, nothing moves and nothing is recorded.
	if again := step("at rest", map[string]int32{"a": 2, "b": 2, "c": 2}, nil); again.Writes != 0 || again.StopStart != report.StopStart {
		t.Errorf("at rest: writes %d stop %+v, want 0 and the record unchanged", again.Writes, again.StopStart)
	}
	wantEvents(t, rec)
}

// replicasOf maps node sets to their live workload's replicas.
func replicasOf(t *testing.T, c *Cluster) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	for _, ns := range c.NodeSets {
		switch w := live(t, needAPIServer(t), workload(c, ns.Name)).(type) {
		case *appsv1.StatefulSet:
			out[ns.Name] = *w.Spec.Replicas
		case *appsv1.Deployment:
			out[ns.Name] = *w.Spec.Replicas
		}
	}
	return out
}

func checkStopStart(t *testing.T, r *Report, phase, nodeType string) {
	t.Helper()
	if s := r.StopStart; s == nil || s.Phase != phase || s.NodeType != nodeType || s.StartedAt == nil {
		t.Errorf("stop/start %+v, want phase %s at node type %q, with a start time", s, phase, nodeType)
	}
}

// wantEvents checks the events recorded since the last call, and that none is about an upgrade.
func wantEvents(t *testing.T, rec *events.FakeRecorder, want ...string) {
	t.Helper()
	got := drain(rec)
	if !slices.Equal(got, want) {
		t.Errorf("events\n%q\nwant\n%q", got, want)
	}
	for _, e := range got {
		if strings.Contains(e, "Upgrade") {
			t.Errorf("a stop or start recorded %q", e)
		}
	}
}
