package dsoi

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type wantCondition struct {
	status metav1.ConditionStatus
	reason string
}

func checkConditions(t *testing.T, conds []metav1.Condition, generation int64, want map[string]wantCondition) {
	t.Helper()
	if len(conds) != len(want) {
		t.Errorf("%d conditions %v, want %d", len(conds), conds, len(want))
	}
	for typ, w := range want {
		c := meta.FindStatusCondition(conds, typ)
		if c == nil {
			t.Errorf("condition %s missing", typ)
			continue
		}
		if c.Status != w.status || c.Reason != w.reason || c.ObservedGeneration != generation {
			t.Errorf("%s = %s/%s generation %d, want %s/%s generation %d", typ, c.Status, c.Reason, c.ObservedGeneration, w.status, w.reason, generation)
		}
		if c.Message == "" || c.LastTransitionTime.IsZero() {
			t.Errorf("%s has no message or no lastTransitionTime: %+v", typ, c)
		}
	}
}

// backdate moves every lastTransitionTime an hour back, so a later call that kept it is
// told apart from one that set it again.
func backdate(conds []metav1.Condition) metav1.Time {
	old := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	for i := range conds {
		conds[i].LastTransitionTime = old
	}
	return old
}

func transitionTime(t *testing.T, conds []metav1.Condition, typ string) metav1.Time {
	t.Helper()
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		t.Fatalf("condition %s missing", typ)
	}
	return c.LastTransitionTime
}

func TestSetRolloutConditions(t *testing.T) {
	ready := &Report{NodeSets: []NodeSetReport{
		{Name: "controller", Rollout: Rollout{Desired: 3, Ready: 3, Done: true}},
		{Name: "broker", Rollout: Rollout{Desired: 2, Ready: 2, Done: true}},
	}}
	rolling := &Report{NodeSets: []NodeSetReport{
		{Name: "controller", Rollout: Rollout{Desired: 3, Ready: 3, Done: true}},
		{Name: "broker", Rollout: Rollout{Desired: 2, Ready: 1, Message: "1 of 2 replicas ready"}},
	}}
	var conds []metav1.Condition

	SetRolloutConditions(&conds, 1, rolling)
	checkConditions(t, conds, 1, map[string]wantCondition{
		ConditionAvailable:   {metav1.ConditionFalse, "NodeSetsNotReady"},
		ConditionProgressing: {metav1.ConditionTrue, "RollingOut"},
		ConditionDegraded:    {metav1.ConditionFalse, "AsExpected"},
	})
	msg := meta.FindStatusCondition(conds, ConditionAvailable).Message
	if !strings.Contains(msg, "broker (1 of 2 ready)") || strings.Contains(msg, "controller") {
		t.Errorf("Available message %q should name only the node set not ready and how far it is", msg)
	}
	msg = meta.FindStatusCondition(conds, ConditionProgressing).Message
	if !strings.Contains(msg, "broker (1 of 2 replicas ready)") || strings.Contains(msg, "controller") {
		t.Errorf("Progressing message %q should name only the waiting node set and why", msg)
	}

	// Same statuses at a new generation: reason, message and generation follow, the
	// transition time does not.
	old := backdate(conds)
	SetRolloutConditions(&conds, 2, rolling)
	checkConditions(t, conds, 2, map[string]wantCondition{
		ConditionAvailable:   {metav1.ConditionFalse, "NodeSetsNotReady"},
		ConditionProgressing: {metav1.ConditionTrue, "RollingOut"},
		ConditionDegraded:    {metav1.ConditionFalse, "AsExpected"},
	})
	for _, typ := range []string{ConditionAvailable, ConditionProgressing, ConditionDegraded} {
		if got := transitionTime(t, conds, typ); !got.Equal(&old) {
			t.Errorf("%s lastTransitionTime moved from %v to %v although its status stayed", typ, old, got)
		}
	}

	// Done: Available and Progressing flip, so their transition time moves; Degraded stays.
	SetRolloutConditions(&conds, 2, ready)
	checkConditions(t, conds, 2, map[string]wantCondition{
		ConditionAvailable:   {metav1.ConditionTrue, "AllNodeSetsReady"},
		ConditionProgressing: {metav1.ConditionFalse, "RolloutComplete"},
		ConditionDegraded:    {metav1.ConditionFalse, "AsExpected"},
	})
	for _, typ := range []string{ConditionAvailable, ConditionProgressing} {
		if got := transitionTime(t, conds, typ); !got.After(old.Time) {
			t.Errorf("%s changed status but kept lastTransitionTime %v", typ, got)
		}
	}
	if got := transitionTime(t, conds, ConditionDegraded); !got.Equal(&old) {
		t.Errorf("Degraded lastTransitionTime moved to %v although it stayed False", got)
	}
	if msg := meta.FindStatusCondition(conds, ConditionAvailable).Message; msg != "all 2 node sets have every replica ready" {
		t.Errorf("Available message %q", msg)
	}
}

// The conditions of a report in each situation: upgrades, halts, failures and stops.
func TestSetRolloutConditionsCases(t *testing.T) {
	done := func(name string, n int32) NodeSetReport {
		return NodeSetReport{Name: name, Rollout: Rollout{Desired: n, Ready: n, Updated: n, Done: true, Phase: PhaseReady}}
	}
	// oldSpec: every replica ready, but on the old spec.
	oldSpec := func(name string, held bool) NodeSetReport {
		return NodeSetReport{Name: name, Held: held, Rollout: Rollout{Desired: 2, Ready: 2, Phase: PhaseProgressing, Message: "0 of 2 replicas updated"}}
	}
	upgrading := &Upgrade{Phase: UpgradeProgressing, FromGeneration: 1, ToGeneration: 2, NodeType: "a"}
	halt := "node set a (node type a): pod a-0: container a is in CrashLoopBackOff: back-off"
	type want struct {
		status  metav1.ConditionStatus
		reason  string
		message string // a substring
	}
	tests := map[string]struct {
		report                           *Report
		available, progressing, degraded want
	}{
		// Pods of the old spec still serve: available, while the upgrade progresses.
		"upgrading": {
			report:      &Report{NodeSets: []NodeSetReport{oldSpec("a", false), oldSpec("b", true)}, Upgrade: upgrading},
			available:   want{metav1.ConditionTrue, "AllNodeSetsReady", "all 2 node sets"},
			progressing: want{metav1.ConditionTrue, "Upgrading", "upgrading to generation 2, node type a: a (0 of 2 replicas updated), b ("},
			degraded:    want{metav1.ConditionFalse, "AsExpected", ""},
		},
		// An ordered install: b's workload does not exist yet.
		"held before it exists": {
			report: &Report{NodeSets: []NodeSetReport{
				{Name: "a", Rollout: Rollout{Desired: 2, Ready: 1, Phase: PhaseProgressing, Message: "1 of 2 replicas ready"}},
				{Name: "b", Held: true, Rollout: Rollout{Desired: 2, Phase: PhasePending, Message: "waiting"}},
			}},
			available:   want{metav1.ConditionFalse, "NodeSetsNotReady", "a (1 of 2 ready), b (0 of 2 ready)"},
			progressing: want{metav1.ConditionTrue, "RollingOut", "waiting for a (1 of 2 replicas ready), b (waiting)"},
			degraded:    want{metav1.ConditionFalse, "AsExpected", ""},
		},
		"halted": {
			report: &Report{
				NodeSets: []NodeSetReport{oldSpec("a", false), oldSpec("b", true)}, Failure: halt, Halted: true,
				Upgrade: &Upgrade{Phase: UpgradeHalted, ToGeneration: 2, NodeType: "a", Message: halt},
			},
			available:   want{metav1.ConditionTrue, "AllNodeSetsReady", ""},
			progressing: want{metav1.ConditionFalse, "UpgradeHalted", halt},
			degraded:    want{metav1.ConditionTrue, "UpgradeHalted", halt},
		},
		"failing, no upgrade": {
			report: &Report{
				NodeSets: []NodeSetReport{{Name: "a", Rollout: Rollout{Desired: 2, Ready: 1, Message: "1 of 2 replicas ready"}}},
				Failure:  halt,
			},
			available:   want{metav1.ConditionFalse, "NodeSetsNotReady", "a (1 of 2 ready)"},
			progressing: want{metav1.ConditionTrue, "RollingOut", "a (1 of 2 replicas ready)"},
			degraded:    want{metav1.ConditionTrue, "NodeSetFailing", halt},
		},
		"stopped": {
			report:      &Report{NodeSets: []NodeSetReport{done("a", 0)}, Stopped: true},
			available:   want{metav1.ConditionFalse, "Stopped", "spec.stopped"},
			progressing: want{metav1.ConditionFalse, "RolloutComplete", ""},
			degraded:    want{metav1.ConditionFalse, "AsExpected", ""},
		},
		// A stop under way: no upgrade, whatever upgrade record there is.
		"stopping": {
			report: &Report{
				NodeSets: []NodeSetReport{
					{Name: "a", Held: true, Rollout: Rollout{Desired: 2, Ready: 2, Done: false, Phase: PhaseWaiting, Message: "waiting for the node types after a"}},
					{Name: "b", Rollout: Rollout{Desired: 0, Phase: PhaseStopping, Message: "scaled to zero; 1 pods left"}},
				},
				Stopped: true, StopStart: &StopStart{Phase: ClusterStopping, NodeType: "b"}, Upgrade: &Upgrade{Phase: UpgradeCompleted},
			},
			available:   want{metav1.ConditionFalse, "Stopping", "scaling to zero"},
			progressing: want{metav1.ConditionTrue, "Stopping", "stopping node type b (node types go one at a time in reverse deploymentOrder): a (waiting"},
			degraded:    want{metav1.ConditionFalse, "AsExpected", ""},
		},
		"starting": {
			report: &Report{
				NodeSets:  []NodeSetReport{done("a", 2), {Name: "b", Held: true, Rollout: Rollout{Phase: PhaseWaiting, Message: "waiting for the node types before b"}}},
				StopStart: &StopStart{Phase: ClusterStarting, NodeType: "b"},
			},
			available:   want{metav1.ConditionFalse, "Starting", "starting again"},
			progressing: want{metav1.ConditionTrue, "Starting", "starting node type b (node types go one at a time in deploymentOrder): b (waiting"},
			degraded:    want{metav1.ConditionFalse, "AsExpected", ""},
		},
		"completed upgrade": {
			report:      &Report{NodeSets: []NodeSetReport{done("a", 2), done("b", 1)}, Upgrade: &Upgrade{Phase: UpgradeCompleted}},
			available:   want{metav1.ConditionTrue, "AllNodeSetsReady", "all 2 node sets"},
			progressing: want{metav1.ConditionFalse, "RolloutComplete", ""},
			degraded:    want{metav1.ConditionFalse, "AsExpected", ""},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var conds []metav1.Condition
			SetRolloutConditions(&conds, 7, tt.report)
			for typ, w := range map[string]want{ConditionAvailable: tt.available, ConditionProgressing: tt.progressing, ConditionDegraded: tt.degraded} {
				c := meta.FindStatusCondition(conds, typ)
				if c == nil {
					t.Fatalf("condition %s missing", typ)
				}
				if c.Status != w.status || c.Reason != w.reason || !strings.Contains(c.Message, w.message) || c.ObservedGeneration != 7 {
					t.Errorf("%s = %s/%s %q generation %d, want %s/%s containing %q generation 7", typ, c.Status, c.Reason, c.Message, c.ObservedGeneration, w.status, w.reason, w.message)
				}
			}
		})
	}
}

func TestSetDegraded(t *testing.T) {
	var conds []metav1.Condition
	SetRolloutConditions(&conds, 3, &Report{}) // conds: Available, Progressing, Degraded
	old := backdate(conds)

	SetDegraded(&conds, 4, "InvalidSpec", "node set \"x\": unknown kind")
	checkConditions(t, conds[1:], 4, map[string]wantCondition{
		ConditionProgressing: {metav1.ConditionFalse, "InvalidSpec"},
		ConditionDegraded:    {metav1.ConditionTrue, "InvalidSpec"},
	})
	// Available is left as it was: the pods that run may well still serve.
	checkConditions(t, conds[:1], 3, map[string]wantCondition{ConditionAvailable: {metav1.ConditionTrue, "AllNodeSetsReady"}})
	for typ, c := range map[string]*metav1.Condition{ConditionDegraded: meta.FindStatusCondition(conds, ConditionDegraded), ConditionProgressing: meta.FindStatusCondition(conds, ConditionProgressing)} {
		if c.Message != "node set \"x\": unknown kind" {
			t.Errorf("%s message %q, want the error", typ, c.Message)
		}
	}
	if got := transitionTime(t, conds, ConditionDegraded); !got.After(old.Time) {
		t.Error("Degraded turned True but kept its old lastTransitionTime")
	}
	if got := transitionTime(t, conds, ConditionProgressing); !got.Equal(&old) {
		t.Error("Progressing stayed False but its lastTransitionTime moved")
	}

	// The same problem again keeps the time; a clean reconcile clears Degraded.
	old = backdate(conds)
	SetDegraded(&conds, 4, "InvalidSpec", "still broken")
	if got := transitionTime(t, conds, ConditionDegraded); !got.Equal(&old) {
		t.Error("Degraded stayed True but its lastTransitionTime moved")
	}
	if c := meta.FindStatusCondition(conds, ConditionDegraded); c.Message != "still broken" {
		t.Errorf("Degraded message %q, want the latest", c.Message)
	}
	SetRolloutConditions(&conds, 5, &Report{})
	if !meta.IsStatusConditionFalse(conds, ConditionDegraded) {
		t.Error("Degraded still True after a successful reconcile")
	}
}

func TestSetPaused(t *testing.T) {
	var conds []metav1.Condition
	SetPaused(&conds, 1, false)
	checkConditions(t, conds, 1, map[string]wantCondition{ConditionPaused: {metav1.ConditionFalse, "Reconciling"}})
	old := backdate(conds)

	SetPaused(&conds, 2, false)
	checkConditions(t, conds, 2, map[string]wantCondition{ConditionPaused: {metav1.ConditionFalse, "Reconciling"}})
	if got := transitionTime(t, conds, ConditionPaused); !got.Equal(&old) {
		t.Errorf("lastTransitionTime moved to %v although the status stayed False", got)
	}

	SetPaused(&conds, 3, true)
	checkConditions(t, conds, 3, map[string]wantCondition{ConditionPaused: {metav1.ConditionTrue, "Paused"}})
	if got := transitionTime(t, conds, ConditionPaused); !got.After(old.Time) {
		t.Errorf("pausing kept lastTransitionTime %v", got)
	}
}

// While paused, Progressing says whether the current generation is applied; the rest of the
// conditions keep describing the generation last rolled out.
func TestSetPausedProgress(t *testing.T) {
	var conds []metav1.Condition
	ready := &Report{NodeSets: []NodeSetReport{{Name: "a", Rollout: Rollout{Desired: 1, Ready: 1, Done: true}}}}
	SetRolloutConditions(&conds, 3, ready)

	// Nothing pending (only spec.paused changed): the last account still holds.
	SetPausedProgress(&conds, 4, nil)
	checkConditions(t, conds, 3, map[string]wantCondition{
		ConditionAvailable:   {metav1.ConditionTrue, "AllNodeSetsReady"},
		ConditionProgressing: {metav1.ConditionFalse, "RolloutComplete"},
		ConditionDegraded:    {metav1.ConditionFalse, "AsExpected"},
	})

	// A change waits for the pause to end: Progressing says so at the new generation, and
	// never RolloutComplete; Available stays at the generation it describes.
	pending := []string{"update StatefulSet x-a", "update StatefulSet x-b", "update Deployment x-c", "delete Service x-d"}
	SetPausedProgress(&conds, 5, pending)
	checkConditions(t, conds[:1], 3, map[string]wantCondition{ConditionAvailable: {metav1.ConditionTrue, "AllNodeSetsReady"}})
	c := meta.FindStatusCondition(conds, ConditionProgressing)
	want := "generation 5 is not applied because spec.paused is set; unsetting it would update StatefulSet x-a, update StatefulSet x-b, update Deployment x-c and 1 more"
	if c.Status != metav1.ConditionFalse || c.Reason != "Paused" || c.ObservedGeneration != 5 || c.Message != want {
		t.Errorf("Progressing = %s/%s generation %d %q, want False/Paused generation 5 %q", c.Status, c.Reason, c.ObservedGeneration, c.Message, want)
	}

	// The change is reverted while still paused: no longer "not applied", but no claim
	// about the rollout either.
	SetPausedProgress(&conds, 6, nil)
	c = meta.FindStatusCondition(conds, ConditionProgressing)
	if c.Status != metav1.ConditionUnknown || c.Reason != "Paused" || c.ObservedGeneration != 6 || !strings.Contains(c.Message, "match generation 6") {
		t.Errorf("Progressing = %s/%s generation %d %q, want Unknown/Paused at generation 6", c.Status, c.Reason, c.ObservedGeneration, c.Message)
	}
}
