package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// decommission scales the first node set with a decommission from 3 to 1 replicas: the
// highest pod is asked to drain and stays while the application says it is not drained, the
// operator killed then does not ask again nor let the pod go, and once drained each pod goes
// in turn, one at a time, never below what was asked.
func (s *suite) decommission(t *testing.T) {
	field := s.app.AppConfigField()
	var node Node
	for _, n := range s.get(t).Nodes(field) {
		if n.Kind == "StatefulSet" && s.app.DecommissionOf(n.NodeType) != nil {
			node = n
			break
		}
	}
	if node.Name == "" {
		t.Skip("no node type of the description has a decommission")
	}
	sts := s.name + "-" + node.Name
	pod := func(i int) string { return fmt.Sprintf("%s-%d", sts, i) }
	gen := s.edit(t, func(cr CR) { cr.find(node.Name, "spec", "nodes")["replicas"] = int64(3) })
	eventually(t, rollout, "node set "+node.Name+" to run 3 replicas", func() string { return s.settled(s.get(t), gen) })
	startsBefore := len(s.health.drainStarts())

	// Held: the pod is asked to drain once, and stays.
	s.health.holdDrains(node.NodeType, true)
	defer s.health.holdDrains(node.NodeType, false)
	start := time.Now()
	s.edit(t, func(cr CR) { cr.find(node.Name, "spec", "nodes")["replicas"] = int64(1) })
	draining := func() string {
		d, _ := s.get(t).NodeSetStatus()[node.Name]["drain"].(map[string]any)
		if str(d, "pod") != pod(2) || str(d, "state") != "Draining" {
			return fmt.Sprintf("drain %v, want %s Draining", d, pod(2))
		}
		return ""
	}
	eventually(t, time.Minute, pod(2)+" to be draining", draining)
	eventually(t, 30*time.Second, "a DrainStarted event", func() string { return s.event(corev1.EventTypeNormal, "DrainStarted", start) })
	stays := func() string {
		w, err := s.workload("StatefulSet", sts)
		if err != nil {
			return err.Error()
		}
		if w.Replicas != 3 || s.podsOf(t, node.Name) != 3 {
			return fmt.Sprintf("%d replicas and %d pods while %s drains, want 3", w.Replicas, s.podsOf(t, node.Name), pod(2))
		}
		return ""
	}
	consistently(t, 5*time.Second, "the pod to stay while it drains", stays)

	// The operator killed mid-drain: the new process carries on from the status.
	if err := s.op.Kill(); err != nil {
		t.Fatal(err)
	}
	consistently(t, 10*time.Second, "the pod to stay after a restart", stays)
	if err := draining(); err != "" {
		t.Error(err)
	}
	if got := s.health.drainStarts()[startsBefore:]; !slices.Equal(got, []string{pod(2)}) {
		t.Errorf("drains started %v, want %s once (a new process must not start it again)", got, pod(2))
	}

	// Drained: the pods go one at a time, highest first, down to 1.
	released := time.Now()
	s.health.holdDrains(node.NodeType, false)
	eventually(t, rollout, "node set "+node.Name+" to run 1 replica", func() string {
		if msg := s.readyReplicas(t, node.Name, 1); msg != "" {
			return msg
		}
		if n := s.podsOf(t, node.Name); n != 1 {
			return fmt.Sprintf("%d pods", n)
		}
		if d := s.get(t).NodeSetStatus()[node.Name]["drain"]; d != nil {
			return fmt.Sprintf("drain %v still in the status", d)
		}
		return ""
	})
	t.Logf("scaled down from 3 to 1 through two drains %s after the first was released", time.Since(released).Round(time.Millisecond))
	if got := s.health.drainStarts()[startsBefore:]; !slices.Equal(got, []string{pod(2), pod(1)}) {
		t.Errorf("drains started %v, want %s then %s, once each", got, pod(2), pod(1))
	}
	eventually(t, 30*time.Second, "two DrainCompleted events", func() string {
		n := 0
		for _, p := range []string{pod(2), pod(1)} {
			if s.eventNoting(corev1.EventTypeNormal, "DrainCompleted", start, "pod "+p+" ") == "" {
				n++
			}
		}
		if n != 2 {
			return fmt.Sprintf("%d of 2", n)
		}
		return ""
	})
	s.checkFloorRefused(t)
}

// checkFloorRefused asks for fewer replicas than a node type's minReplicas: the API server
// refuses it.
func (s *suite) checkFloorRefused(t *testing.T) {
	for _, nt := range s.app.Spec.NodeTypes {
		if nt.MinReplicas == 0 {
			continue
		}
		for _, n := range s.get(t).Nodes(s.app.AppConfigField()) {
			if n.NodeType != nt.Name {
				continue
			}
			cr := s.get(t)
			cr.find(n.Name, "spec", "nodes")["replicas"] = int64(nt.MinReplicas - 1)
			err := s.c.Update(s.ctx, cr.Unstructured)
			if want := fmt.Sprintf("needs at least %d replicas", nt.MinReplicas); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("node %s at %d replicas: %v, want a refusal saying %q", n.Name, nt.MinReplicas-1, err, want)
			}
			return
		}
	}
}

// claimRetention scales the first StatefulSet node set with storage up by one and back: with
// whenScaled Retain the removed pod's claims stay, with Delete (set on the node) Kubernetes
// deletes them, and in both cases the claims of the pods that stay are the very same. The
// node keeps whenScaled Delete for the next steps, so that recreating its StatefulSet (storage
// growth) runs with it too.
func (s *suite) claimRetention(t *testing.T) {
	field := s.app.AppConfigField()
	cr := s.get(t)
	i := slices.IndexFunc(cr.Nodes(field), func(n Node) bool { return n.Kind == "StatefulSet" && hasStorage(cr, n) })
	if i < 0 {
		t.Skip("no StatefulSet node set has storage")
	}
	node := cr.Nodes(field)[i]
	replicas, _ := cr.find(node.Name, "spec", "nodes")["replicas"].(int64)
	if replicas == 0 {
		replicas = 1
	}
	scale := func(n int64) {
		t.Helper()
		gen := s.edit(t, func(cr CR) { cr.find(node.Name, "spec", "nodes")["replicas"] = n })
		eventually(t, rollout, fmt.Sprintf("node set %s to run %d replicas", node.Name, n), func() string {
			if pods := s.podsOf(t, node.Name); pods != int(n) {
				return fmt.Sprintf("%d pods", pods)
			}
			return s.settled(s.get(t), gen)
		})
	}
	staying := s.claimsOf(t, node.Name)
	scale(replicas + 1)
	all := s.claimsOf(t, node.Name)
	if len(all) <= len(staying) {
		t.Fatalf("claims %v after a scale-up, want more than %v", keys(all), keys(staying))
	}
	scale(replicas)
	consistently(t, 5*time.Second, "the removed pod's claims to stay (whenScaled Retain)", func() string {
		if got := s.claimsOf(t, node.Name); !equalClaims(got, all) {
			return fmt.Sprintf("claims %v, want the very same %v", keys(got), keys(all))
		}
		return ""
	})

	gen := s.edit(t, func(cr CR) {
		cr.find(node.Name, "spec", "nodes")["claimRetention"] = map[string]any{"whenScaled": "Delete"}
	})
	eventually(t, rollout, "the cluster to settle", func() string { return s.settled(s.get(t), gen) })
	scale(replicas + 1)
	if got := s.claimsOf(t, node.Name); !equalClaims(got, all) {
		t.Errorf("claims %v after scaling up again, want the kept ones reused: %v", keys(got), keys(all))
	}
	scale(replicas)
	eventually(t, time.Minute, "the removed pod's claims to be deleted (whenScaled Delete)", func() string {
		if got := s.claimsOf(t, node.Name); !equalClaims(got, staying) {
			return fmt.Sprintf("claims %v, want the very same %v", keys(got), keys(staying))
		}
		return ""
	})
	t.Logf("node set %s: a scale-down kept %d claims with Retain and deleted %d with Delete; the %d claims of the pods that stayed never changed",
		node.Name, len(all)-len(staying), len(all)-len(staying), len(staying))
}
