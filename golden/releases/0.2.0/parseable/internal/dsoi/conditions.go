/*
Copyright Acme Inc..

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

// SetDegraded records a problem that stops the operator from reaching the desired state.
func SetDegraded(conds *[]metav1.Condition, generation int64, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{Type: ConditionDegraded, Status: metav1.ConditionTrue, Reason: reason, Message: message, ObservedGeneration: generation})
	meta.SetStatusCondition(conds, metav1.Condition{Type: ConditionProgressing, Status: metav1.ConditionFalse, Reason: reason, Message: message, ObservedGeneration: generation})
}

// SetRolloutConditions records Available, Progressing and Degraded from a reconcile's report.
//   - Available: every node set has all its replicas ready (during an upgrade some may still run
//     the old spec; Progressing says so). False while the cluster is stopped.
//   - Progressing: some node set has not fully rolled out its current spec; False when that is
//     done, or when an upgrade has halted.
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
	case r.Stopped:
		set(ConditionAvailable, false, "Stopped", "spec.stopped is set: every node set is scaled to zero")
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
	case upgrade.InProgress():
		set(ConditionProgressing, true, "Upgrading", fmt.Sprintf("upgrading to generation %d, node type %s: %s",
			upgrade.ToGeneration, upgrade.NodeType, strings.Join(rolling, ", ")))
	default:
		set(ConditionProgressing, true, "RollingOut", "waiting for "+strings.Join(rolling, ", "))
	}
	switch {
	case r.Halted:
		set(ConditionDegraded, true, "UpgradeHalted", upgrade.Message)
	case r.Failure != "":
		set(ConditionDegraded, true, "NodeSetFailing", r.Failure)
	default:
		set(ConditionDegraded, false, "AsExpected", "no problem found")
	}
}
