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
		{Name: "controller", Rollout: Rollout{Done: true}},
		{Name: "broker", Rollout: Rollout{Done: true}},
	}}
	rolling := &Report{NodeSets: []NodeSetReport{
		{Name: "controller", Rollout: Rollout{Done: true}},
		{Name: "broker", Rollout: Rollout{Message: "1 of 2 replicas ready"}},
	}}
	var conds []metav1.Condition

	SetRolloutConditions(&conds, 1, rolling)
	checkConditions(t, conds, 1, map[string]wantCondition{
		ConditionAvailable:   {metav1.ConditionFalse, "NodeSetsNotReady"},
		ConditionProgressing: {metav1.ConditionTrue, "RollingOut"},
		ConditionDegraded:    {metav1.ConditionFalse, "AsExpected"},
	})
	msg := meta.FindStatusCondition(conds, ConditionAvailable).Message
	if !strings.Contains(msg, "broker (1 of 2 replicas ready)") || strings.Contains(msg, "controller") {
		t.Errorf("Available message %q should name only the waiting node set and why", msg)
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
	if msg := meta.FindStatusCondition(conds, ConditionAvailable).Message; msg != "all 2 node sets are ready" {
		t.Errorf("Available message %q", msg)
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
