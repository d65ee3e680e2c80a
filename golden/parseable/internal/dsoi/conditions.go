/*
Copyright Acme Inc.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package dsoi

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types every generated operator reports.
const (
	ConditionAvailable   = "Available"
	ConditionProgressing = "Progressing"
	ConditionDegraded    = "Degraded"
	ConditionPaused      = "ReconciliationPaused"
)

// SetPaused records whether reconciliation is paused.
func SetPaused(conds *[]metav1.Condition, generation int64, paused bool) {
	c := metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionFalse, Reason: "Reconciling", Message: "spec.paused is not set", ObservedGeneration: generation}
	if paused {
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, "Paused", "spec.paused is set: no object is written until it is unset"
	}
	meta.SetStatusCondition(conds, c)
}

// stopStartMessage says which node type a stop or start is at, and what it waits for.
func stopStartMessage(s *StopStart, rolling []string) string {
	order := "in deploymentOrder"
	verb := "starting"
	if s.Phase == ClusterStopping {
		order, verb = "in reverse deploymentOrder", "stopping"
	}
	return fmt.Sprintf("%s node type %s (node types go one at a time %s): %s", verb, s.NodeType, order, strings.Join(rolling, ", "))
}

// SetPausedProgress records in Progressing, while spec.paused is set, whether the objects are
// those of the current generation: pending lists the writes Reconcile would make
// (Applier.Pending). Available and the rest keep describing what was last rolled out.
func SetPausedProgress(conds *[]metav1.Condition, generation int64, pending []string) {
	c := metav1.Condition{Type: ConditionProgressing, Status: metav1.ConditionFalse, Reason: "Paused", ObservedGeneration: generation}
	switch {
	case len(pending) > 0:
		c.Message = fmt.Sprintf("generation %d is not applied because spec.paused is set; unsetting it would %s", generation, summary(pending, 3))
	case reasonOf(*conds, ConditionProgressing) == "Paused":
		// The change that was pending is gone (reverted); how far the rollout is, a paused
		// reconcile does not follow.
		c.Status, c.Message = metav1.ConditionUnknown, fmt.Sprintf("spec.paused is set: the objects match generation %d; rollouts are not followed while paused", generation)
	default:
		return // the last reconcile's account still holds: the objects match the spec
	}
	meta.SetStatusCondition(conds, c)
}

func reasonOf(conds []metav1.Condition, conditionType string) string {
	if c := meta.FindStatusCondition(conds, conditionType); c != nil {
		return c.Reason
	}
	return ""
}

// summary joins the first n items and says how many more there are.
func summary(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// SetDegraded records a problem that stops the operator from reaching the desired state.
func SetDegraded(conds *[]metav1.Condition, generation int64, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{Type: ConditionDegraded, Status: metav1.ConditionTrue, Reason: reason, Message: message, ObservedGeneration: generation})
	meta.SetStatusCondition(conds, metav1.Condition{Type: ConditionProgressing, Status: metav1.ConditionFalse, Reason: reason, Message: message, ObservedGeneration: generation})
}

// SetRolloutConditions records Available, Progressing and Degraded from a reconcile's report.
//   - Available: every node set has all its replicas ready (during an upgrade some may still run
//     the old spec; Progressing says so). False while the cluster stops, is stopped or starts.
//   - Progressing: some node set has not fully rolled out its current spec (reason Stopping or
//     Starting while spec.stopped is being set or unset); False when that is done, or when an
//     upgrade has halted.
//   - Degraded: a node set is failing, or an upgrade halted, with the reason.
func SetRolloutConditions(conds *[]metav1.Condition, generation int64, r *Report) {
	set := func(t string, ok bool, reason, message string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(conds, metav1.Condition{Type: t, Status: status, Reason: reason, Message: message, ObservedGeneration: generation})
	}
	var unready, rolling []string
	for _, ns := range r.NodeSets {
		if ns.Ready < ns.Desired {
			unready = append(unready, fmt.Sprintf("%s (%d of %d ready)", ns.Name, ns.Ready, ns.Desired))
		}
		if !ns.Done {
			rolling = append(rolling, fmt.Sprintf("%s (%s)", ns.Name, ns.Message))
		}
	}
	switch {
	case r.Stopped && len(rolling) > 0:
		set(ConditionAvailable, false, ClusterStopping, "spec.stopped is set: node sets are scaling to zero")
	case r.Stopped:
		set(ConditionAvailable, false, ClusterStopped, "spec.stopped is set: every node set is scaled to zero")
	case r.StopStart.Active():
		// Node sets waiting their turn are still at zero replicas, which count as all ready.
		set(ConditionAvailable, false, ClusterStarting, "the node sets are starting again after a stop")
	case len(unready) > 0:
		set(ConditionAvailable, false, "NodeSetsNotReady", "not every replica is ready: "+strings.Join(unready, ", "))
	default:
		set(ConditionAvailable, true, "AllNodeSetsReady", fmt.Sprintf("all %d node sets have every replica ready", len(r.NodeSets)))
	}
	upgrade := r.Upgrade
	switch {
	case len(rolling) == 0:
		set(ConditionProgressing, false, "RolloutComplete", "every node set runs the current spec")
	case r.Halted:
		set(ConditionProgressing, false, "UpgradeHalted", upgrade.Message)
	case r.StopStart.Active():
		set(ConditionProgressing, true, r.StopStart.Phase, stopStartMessage(r.StopStart, rolling))
	case upgrade.InProgress():
		set(ConditionProgressing, true, "Upgrading", fmt.Sprintf("upgrading to generation %d, node type %s: %s",
			upgrade.ToGeneration, upgrade.NodeType, strings.Join(rolling, ", ")))
	default:
		set(ConditionProgressing, true, "RollingOut", "waiting for "+strings.Join(rolling, ", "))
	}
	// A refused resize or scale-down is told beside any other problem: it stays until the
	// spec changes.
	var refused, refusedReason string
	for i, rf := range refusals(r.NodeSets) {
		if i == 0 {
			refusedReason = rf.reason
		}
		refused = joinNonEmpty(refused, rf.message)
	}
	switch {
	case r.Halted:
		set(ConditionDegraded, true, "UpgradeHalted", joinNonEmpty(upgrade.Message, refused))
	case r.Failure != "":
		set(ConditionDegraded, true, "NodeSetFailing", joinNonEmpty(r.Failure, refused))
	case refused != "":
		set(ConditionDegraded, true, refusedReason, refused)
	default:
		set(ConditionDegraded, false, "AsExpected", "no problem found")
	}
}

func joinNonEmpty(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}
