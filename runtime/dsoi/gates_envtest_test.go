package dsoi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
)

// gateServer is the application's health endpoint, played by the test: it answers
// {"loading": n} and counts the calls.
type gateServer struct {
	*httptest.Server
	loading, calls atomic.Int32
}

func newGateServer(t *testing.T) *gateServer {
	s := &gateServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		fmt.Fprintf(w, `{"loading": %d}`, s.loading.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

// withGate gives node set a of threeTypes a health gate answered by srv: it passes once
// nothing is loading, twice in a row, checked every 10 s.
func withGate(cluster *Cluster, srv *gateServer) {
	for i := range cluster.NodeSets {
		if cluster.NodeSets[i].Name == "a" {
			cluster.NodeSets[i].Gates = []Gate{{Name: "loaded", Service: true, Port: "http", Path: "/status", Status: 200,
				Condition: "body.loading == 0", Interval: 10 * time.Second, Timeout: time.Second, Successes: 2}}
			cluster.NodeSets[i].GateAddress = srv.URL
		}
	}
}

// carryGates hands the gates' state of a report to the next reconcile, as the generated
// controller does through the CR's status.
func carryGates(opts *Options, r *Report) {
	opts.LastGates = map[string]NodeSetGates{}
	for _, ns := range r.NodeSets {
		opts.LastGates[ns.Name] = ns.Gates
	}
}

func gateOf(t *testing.T, r *Report, nodeSet string) GateResult {
	t.Helper()
	for _, ns := range r.NodeSets {
		if ns.Name == nodeSet && len(ns.Gates.Results) == 1 {
			return ns.Gates.Results[0]
		}
	}
	t.Fatalf("node set %s has no gate result in %+v", nodeSet, r.NodeSets)
	return GateResult{}
}

// A node type with a health gate counts as rolled out only once the gate passes: on install
// and on upgrade the next node type waits for it, a gate failing past the deadline halts the
// upgrade with the answer in the event, and the upgrade resumes by itself once it passes.
func TestReconcileWaitsForHealthGates(t *testing.T) {
	_, _, a, cluster := setupWith(t, threeTypes)
	a.Gates = NewGateChecker()
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	srv := newGateServer(t)
	withGate(cluster, srv)
	clk := newClock()
	opts := triOptions(clk)
	opts.ProgressDeadline = time.Minute
	step := func(prev *Upgrade) *Report {
		t.Helper()
		r := reconcile(t, a, cluster, opts, prev)
		carryGates(&opts, r)
		return r
	}

	// Install: a is created and rolls out; its gate passes once, then must pass again 10 s later.
	r := step(nil)
	markRolledOut(t, workload(cluster, "a"))
	r = step(r.Upgrade)
	if g := gateOf(t, r, "a"); g.State != GateChecking || g.Message != "1 of 2 checks in a row passed" || srv.calls.Load() != 1 {
		t.Errorf("after one check: gate %+v, %d calls; want Checking, 1 of 2, 1 call", g, srv.calls.Load())
	}
	if got := existingWorkloads(t, cluster); !slices.Equal(got, []string{"a"}) || r.RequeueAfter != requeueWhileRolling {
		t.Fatalf("workloads %v requeueAfter %v, want only a while its gate has not passed, and a look in %v", got, r.RequeueAfter, requeueWhileRolling)
	}
	r = step(r.Upgrade) // too early for another check
	if srv.calls.Load() != 1 {
		t.Errorf("%d calls within the interval, want 1", srv.calls.Load())
	}
	clk.advance(10 * time.Second)
	r = step(r.Upgrade)
	if g := gateOf(t, r, "a"); g.State != GatePassed || !g.Since.Time.Equal(clk.now()) {
		t.Errorf("gate %+v, want Passed since now", g)
	}
	if got := existingWorkloads(t, cluster); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("workloads %v once a's gate passed, want a and b in the same reconcile", got)
	}
	if got := drain(rec); !slices.Contains(got, "Normal GatePassed Node set a: health gate loaded passed") {
		t.Errorf("events %q, want GatePassed", got)
	}
	markRolledOut(t, workload(cluster, "b"))
	r = step(r.Upgrade)
	markRolledOut(t, workload(cluster, "c"))
	r = step(r.Upgrade)
	if !r.Ready() || r.Writes != 0 {
		t.Fatalf("installed: ready %v writes %d", r.Ready(), r.Writes)
	}

	// At rest nothing is checked: an idle cluster sends no request.
	calls := srv.calls.Load()
	for range 3 {
		clk.advance(time.Minute)
		r = step(r.Upgrade)
	}
	if srv.calls.Load() != calls || r.Writes != 0 || !r.Ready() || r.RequeueAfter != 0 {
		t.Errorf("at rest: %d calls, %d writes, ready %v, requeue %v; want none, none, ready, 0", srv.calls.Load()-calls, r.Writes, r.Ready(), r.RequeueAfter)
	}
	drain(rec)

	// An upgrade: a rolls out, but its data is still loading, so b and c wait.
	srv.loading.Store(5)
	setImage(cluster, "example.com/app:2.0")
	opts.Generation, opts.LastGeneration = 2, 1
	r = step(r.Upgrade)
	untouched := generations(t, cluster)
	markRolledOut(t, workload(cluster, "a"))
	r = step(r.Upgrade)
	wantFailed := "condition body.loading == 0 is false"
	if g := gateOf(t, r, "a"); g.State != GateFailed || g.Message != wantFailed {
		t.Errorf("gate %+v, want Failed: %s", g, wantFailed)
	}
	checkHeld(t, r, []string{"b", "c"})
	if got := drain(rec); !slices.Contains(got, "Warning GateFailed Node set a: health gate loaded failed: "+wantFailed) {
		t.Errorf("events %q, want GateFailed", got)
	}

	// Failing checks write nothing new; past the deadline the upgrade halts with the answer.
	clk.advance(10 * time.Second)
	if r = step(r.Upgrade); r.Writes != 0 || r.Halted {
		t.Errorf("failing again: writes %d halted %v", r.Writes, r.Halted)
	}
	if got := drain(rec); len(got) != 0 {
		t.Errorf("a gate failing again recorded %q, want nothing: events go on transitions", got)
	}
	clk.advance(time.Minute)
	r = step(r.Upgrade)
	wantHalt := "node type a has not rolled out within the progress deadline of 1m0s: node set a: health gate loaded failed: " + wantFailed
	if !r.Halted || r.Upgrade.Message != wantHalt {
		t.Fatalf("past the deadline: halted %v message %q, want %q", r.Halted, r.Upgrade.Message, wantHalt)
	}
	got := drain(rec)
	if len(got) != 1 || !strings.HasPrefix(got[0], "Warning UpgradeHalted") || !strings.HasSuffix(got[0], `; last answer: status 200: {"loading": 5}`) {
		t.Errorf("events %q, want one UpgradeHalted quoting the last answer", got)
	}
	if !slices.Equal(changedGenerations(t, cluster, untouched), nil) {
		t.Errorf("a halt touched %v", changedGenerations(t, cluster, untouched))
	}

	// The data loads: two passing checks later b starts, in the reconcile of the second.
	srv.loading.Store(0)
	clk.advance(10 * time.Second)
	r = step(r.Upgrade)
	checkHeld(t, r, []string{"b", "c"})
	clk.advance(10 * time.Second)
	r = step(r.Upgrade)
	if got := changedGenerations(t, cluster, untouched); !slices.Equal(got, []string{"b"}) || r.Halted || r.Upgrade.Phase != UpgradeProgressing {
		t.Errorf("after the gate passed: updated %v halted %v upgrade %+v, want b updated and progressing", got, r.Halted, r.Upgrade)
	}
	got = drain(rec)
	for _, want := range []string{"Normal GatePassed Node set a: health gate loaded passed", "Normal UpgradeResumed Upgrade resumed: node type b is rolling out again"} {
		if !slices.Contains(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
	}
}

// A gate whose node set has no such port fails with the reason, and a scale is a new
// rollout for the gates, checked again.
func TestReconcileHealthGateOnScale(t *testing.T) {
	_, _, a, cluster := setupWith(t, threeTypes)
	a.Gates = NewGateChecker()
	srv := newGateServer(t)
	withGate(cluster, srv)
	clk := newClock()
	opts := triOptions(clk)
	opts.InstallOrdered = false
	r := reconcile(t, a, cluster, opts, nil)
	for _, ns := range cluster.NodeSets {
		markRolledOut(t, workload(cluster, ns.Name))
	}
	for range 2 {
		carryGates(&opts, r)
		r = reconcile(t, a, cluster, opts, r.Upgrade)
		clk.advance(10 * time.Second)
	}
	if g := gateOf(t, r, "a"); g.State != GatePassed {
		t.Fatalf("gate %+v, want Passed", g)
	}
	carryGates(&opts, r)
	calls := srv.calls.Load()

	cluster.NodeSets[1].Replicas = 3 // a is NodeSets[1] in threeTypes
	r = reconcile(t, a, cluster, opts, r.Upgrade)
	markRolledOut(t, workload(cluster, "a"))
	carryGates(&opts, r)
	r = reconcile(t, a, cluster, opts, r.Upgrade)
	if srv.calls.Load() != calls+1 || gateOf(t, r, "a").State != GateChecking {
		t.Errorf("after a scale: %d calls, gate %+v; want one new check", srv.calls.Load()-calls, gateOf(t, r, "a"))
	}

	cluster.NodeSets[1].Container.Ports = []corev1.ContainerPort{{Name: "web", ContainerPort: 8080}}
	carryGates(&opts, r)
	clk.advance(10 * time.Second)
	r = reconcile(t, a, cluster, opts, r.Upgrade)
	markRolledOut(t, workload(cluster, "a"))
	r = reconcile(t, a, cluster, opts, r.Upgrade)
	if g := gateOf(t, r, "a"); g.State != GateFailed || !strings.Contains(g.Message, "the node set has no port named http") {
		t.Errorf("gate %+v, want Failed for the missing port", g)
	}
}
