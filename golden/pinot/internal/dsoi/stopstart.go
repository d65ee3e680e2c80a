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
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Phases of a stop (spec.stopped set) and of a start (spec.stopped unset again).
const (
	ClusterStopping = "Stopping"
	ClusterStopped  = "Stopped"
	ClusterStarting = "Starting"
	ClusterStarted  = "Started"
)

// PhaseStopping: the node set is scaling to zero and still has pods.
const PhaseStopping Phase = "Stopping"

// StopStart is the state of the latest stop or start. Neither is an upgrade: a stop scales
// node types to zero in reverse deploymentOrder, each once the node types after it have no
// pod left (a data system's later node types depend on the earlier ones: brokers and servers
// on a controller); a start brings them back in deploymentOrder, each once the node types
// before it are ready. There is no progress deadline: a stop or start waits, and says so.
// Like Upgrade, the controller keeps it in the CR's status and hands it back in Options.
type StopStart struct {
	// Phase is ClusterStopping, ClusterStopped, ClusterStarting or ClusterStarted.
	Phase string
	// NodeType is the node type stopping or starting now.
	NodeType              string
	StartedAt, FinishedAt *metav1.Time
}

// Active reports whether a stop or a start is under way.
func (s *StopStart) Active() bool {
	return s != nil && (s.Phase == ClusterStopping || s.Phase == ClusterStarting)
}

// stopStartOf says what a reconcile does about spec.stopped: stop the cluster
// (ClusterStopping), start it again (ClusterStarting), or neither ("").
func stopStartOf(c *Cluster, prev *StopStart) string {
	switch {
	case c.Stopped:
		return ClusterStopping
	case prev != nil && prev.Phase != ClusterStarted:
		return ClusterStarting
	}
	return ""
}

// heldMessage says what a held node set waits for.
func heldMessage(op, nodeType string) string {
	switch op {
	case ClusterStopping:
		return "waiting for the node types after " + nodeType + " in deploymentOrder to stop"
	case ClusterStarting:
		return "waiting for the node types before " + nodeType + " in deploymentOrder to start"
	}
	return "waiting for the node types before " + nodeType + " in deploymentOrder to roll out"
}

// checkStopped marks a stopping node set not done while it has pods, terminating ones too:
// a pod that is shutting down may still be handing off or flushing data, and the node types
// before it must keep running until it is gone.
func (a *Applier) checkStopped(ctx context.Context, c *Cluster, ns *NodeSet, nr *NodeSetReport) error {
	if nr.Done {
		pods, err := a.podsOf(ctx, c, ns)
		if err != nil {
			return err
		}
		if len(pods) > 0 {
			nr.Done, nr.Message = false, fmt.Sprintf("scaled to zero; %d pods left", len(pods))
		}
	}
	if !nr.Done {
		nr.Phase = PhaseStopping
	}
	return nil
}

// nextStopStart advances the stop or start bookkeeping by one reconcile, as nextUpgrade does
// for upgrades: a pure function of the previous state, what the reconcile found and the clock.
func nextStopStart(prev *StopStart, s rolloutState, opts *Options, now time.Time) (*StopStart, []Event) {
	at := metav1.NewTime(now)
	stopping := s.op == ClusterStopping
	done, action, order := ClusterStarted, "Start", slices.Clone(opts.Order)
	if stopping {
		done, action = ClusterStopped, "Stop"
		slices.Reverse(order)
	}
	var events []Event
	if prev == nil || prev.Phase != s.op {
		if prev != nil && prev.Phase == done {
			return prev, nil // already stopped: putting back a replica count edited by hand is no new stop
		}
		prev = &StopStart{Phase: s.op, StartedAt: &at, NodeType: s.current}
		note := fmt.Sprintf("Starting: node types start one at a time in deploymentOrder %s, each once the node types before it are ready", strings.Join(order, ", "))
		if stopping {
			note = fmt.Sprintf("Stopping: node types scale to zero one at a time in reverse deploymentOrder %s, each once the node types after it have no pod left", strings.Join(order, ", "))
		}
		events = append(events, Event{Reason: s.op, Action: action, Note: note})
	}
	next := *prev
	if next.StartedAt == nil { // a status edited by hand
		next.StartedAt = &at
	}
	if s.current != next.NodeType && next.NodeType != "" && (s.current == "" || index(order, s.current) > index(order, next.NodeType)) {
		if stopping {
			events = append(events, Event{Reason: "NodeTypeStopped", Action: action, Note: fmt.Sprintf("Node type %s stopped: no pod left", next.NodeType)})
		} else {
			events = append(events, Event{Reason: "NodeTypeStarted", Action: action, Note: fmt.Sprintf("Node type %s started: every replica is ready", next.NodeType)})
		}
	}
	next.NodeType = s.current
	if s.current != "" {
		return &next, events
	}
	next.Phase, next.FinishedAt = done, &at
	took := now.Sub(next.StartedAt.Time).Round(time.Second)
	if stopping {
		events = append(events, Event{Reason: ClusterStopped, Action: action, Note: fmt.Sprintf("Stopped in %s: every node set is scaled to zero and no pod is left", took)})
	} else {
		events = append(events, Event{Reason: ClusterStarted, Action: action, Note: fmt.Sprintf("Started in %s: every node set is ready", took)})
	}
	return &next, events
}
