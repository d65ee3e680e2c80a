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
// Available is true only when every node set has fully rolled out its current spec.
func SetRolloutConditions(conds *[]metav1.Condition, generation int64, r *Report) {
	var waiting []string
	for _, ns := range r.NodeSets {
		if !ns.Done {
			waiting = append(waiting, fmt.Sprintf("%s (%s)", ns.Name, ns.Message))
		}
	}
	set := func(t string, ok bool, reason, message string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(conds, metav1.Condition{Type: t, Status: status, Reason: reason, Message: message, ObservedGeneration: generation})
	}
	if len(waiting) == 0 {
		set(ConditionAvailable, true, "AllNodeSetsReady", fmt.Sprintf("all %d node sets are ready", len(r.NodeSets)))
		set(ConditionProgressing, false, "RolloutComplete", "every node set runs the current spec")
	} else {
		msg := "waiting for " + strings.Join(waiting, ", ")
		set(ConditionAvailable, false, "NodeSetsNotReady", msg)
		set(ConditionProgressing, true, "RollingOut", msg)
	}
	set(ConditionDegraded, false, "AsExpected", "no problem found")
}
