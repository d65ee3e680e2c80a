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
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Decommission is what must happen before a scale-down removes a pod of a StatefulSet node
// set: a call that asks the pod to drain (move its data, finish its tasks), then a check,
// repeated, that says when it has. Pods go one at a time, from the highest ordinal, the order
// in which the StatefulSet removes them, and a pod is removed only once its check passes.
type Decommission struct {
	// Start asks the pod to drain. It must be safe to repeat: an operator process that stops
	// between the call and recording it in the status calls it again.
	Start DrainCall
	// Check says when the pod is drained: its port, path, status, condition and timeout, like
	// a health gate, asked of that one pod. Its Interval also spaces the start attempts.
	Check Gate
}

// DrainCall is the HTTP call that starts a drain, on the check's port.
type DrainCall struct {
	Method, Path, Body string
	// Status is the status of an accepted call; 0 accepts any 2xx.
	Status int
}

// States of a drain.
const (
	// DrainStarting: the start call has not been accepted yet (it failed and is retried).
	DrainStarting = "Starting"
	// DrainDraining: the pod accepted the start call; its check has not passed yet.
	DrainDraining = "Draining"
)

// Drain is the drain of one pod, as the CR's status keeps it: a new operator process carries
// on from it, never starting a finished drain again.
type Drain struct {
	Pod, State string
	// Since is when the drain entered State.
	Since *metav1.Time
	// Message says why the start call failed, or what the last check answered.
	Message string
}

// drains reports whether a node set scales down through its decommission: it has one, it is
// a StatefulSet and the cluster is not stopping (stopping keeps every pod's data).
func drains(c *Cluster, ns *NodeSet) bool {
	return ns.Decommission != nil && ns.Kind == KindStatefulSet && !c.Stopped
}

// drainCancelled is the event for a drain given up before its pod was removed.
func drainCancelled(ns *NodeSet, pod, why string) Event {
	return Event{Warning: true, Reason: "DrainCancelled", Action: "Decommission",
		Note: fmt.Sprintf("Node set %s: %s while pod %s was draining; the pod stays, and the application may still count it as drained (ask it to take the pod back)", ns.Name, why, pod)}
}

// decommission scales a StatefulSet node set down one drained pod at a time, when its
// desired replicas (objs, after the floor) are below what runs. It reports hold while a scale-down is
// under way: the caller then changes nothing else of the node set. It carries the drain
// the status recorded (last) to nr.Drain, and counts its writes.
func (a *Applier) decommission(ctx context.Context, c *Cluster, ns *NodeSet, objs *Objects, last Drain, nr *NodeSetReport, state *rolloutState, now time.Time) (hold bool, writes int, err error) {
	live, err := a.live(ctx, objs.StatefulSet)
	if err != nil {
		return false, 0, err
	}
	sts, _ := live.(*appsv1.StatefulSet)
	if sts == nil || sts.DeletionTimestamp != nil {
		return false, 0, nil
	}
	current, target := replicas(sts.Spec.Replicas), replicas(objs.StatefulSet.Spec.Replicas)
	if last.Pod != "" {
		switch ordinal, ok := podOrdinal(sts.Name, last.Pod); {
		case !ok || ordinal >= current:
			// Out of the StatefulSet's spec: drained and removed (perhaps by a process that
			// stopped before it could record so). Never drained again.
			state.events = append(state.events, drainCompleted(ns, last.Pod))
			last = Drain{}
		case target >= current:
			state.events = append(state.events, drainCancelled(ns, last.Pod, "the scale-down was withdrawn"))
			last = Drain{}
		}
	}
	if target >= current {
		return false, 0, nil
	}
	state.upgrading = state.upgrading || state.op == ""
	nr.Rollout = rolloutOf(sts)
	nr.Done, nr.Phase = false, PhaseProgressing
	if sts.Status.ObservedGeneration < sts.Generation || sts.Status.Replicas > current {
		// One pod at a time: the one removed last must be gone before the next drains.
		nr.Message = fmt.Sprintf("scaling down to %d replicas: waiting for pod %s-%d to be removed", target, sts.Name, current)
		return true, 0, nil
	}
	pod := fmt.Sprintf("%s-%d", sts.Name, current-1)
	if last.Pod != pod {
		last = Drain{Pod: pod}
	}
	next := a.drainStep(ctx, c, ns, last, state, now)
	if next.State != last.State || last.Since == nil {
		next.Since = &metav1.Time{Time: now}
	} else {
		next.Since = last.Since
	}
	if next.State == DrainStarting && (last.State != DrainStarting || last.Message != next.Message) {
		state.events = append(state.events, Event{Warning: true, Reason: "DrainStartFailed", Action: "Decommission",
			Note: fmt.Sprintf("Node set %s: could not start draining pod %s: %s", ns.Name, pod, next.Message)})
	}
	if next.State == DrainDraining && last.State != DrainDraining {
		state.events = append(state.events, Event{Reason: "DrainStarted", Action: "Decommission",
			Note: fmt.Sprintf("Node set %s: draining pod %s before scaling down to %d replicas", ns.Name, pod, target)})
	}
	if next.State != "" { // not drained yet
		nr.Drain = &next
		nr.Message = fmt.Sprintf("scaling down to %d replicas: pod %s: %s", target, pod, drainMessage(next))
		return true, 0, nil
	}
	// Drained: the StatefulSet drops that one pod, and nothing else of its spec changes.
	removed := sts.DeepCopy()
	removed.Spec.Replicas = ptr.To(current - 1)
	if err := a.Client.Update(ctx, removed); err != nil {
		return true, 0, fmt.Errorf("scale StatefulSet %s down to %d after draining pod %s: %w", sts.Name, current-1, pod, err)
	}
	a.gates().forget(drainKey(a.Owner, c, ns, ""))
	state.events = append(state.events, drainCompleted(ns, pod))
	nr.Rollout = rolloutOf(removed)
	nr.Message = fmt.Sprintf("scaling down to %d replicas: pod %s is drained and being removed", target, pod)
	return true, 1, nil
}

// firstDrainCheck is how soon a drain is first checked after its start was accepted.
const firstDrainCheck = time.Second

// drainStep takes one drain a step further: it starts it while it has not started, or checks
// it. It returns the drain's next state, with State "" once the check passes.
func (a *Applier) drainStep(ctx context.Context, c *Cluster, ns *NodeSet, d Drain, state *rolloutState, now time.Time) Drain {
	checker, dec := a.gates(), ns.Decommission
	wait := func(w time.Duration) {
		if state.gateWait == 0 || w < state.gateWait {
			state.gateWait = w
		}
	}
	if d.State != DrainDraining {
		started, w := checker.check(drainKey(a.Owner, c, ns, "start"), d.Pod, dec.Check, now,
			func() gateAnswer { return checker.startDrain(ctx, a, c, ns, d.Pod) })
		if !started.answer.ok {
			wait(w)
			if state.gateResponse == "" {
				state.gateResponse = started.answer.response
			}
			return Drain{Pod: d.Pod, State: DrainStarting, Message: started.answer.message}
		}
		// Checked from the next reconcile on: the status records the drain before its pod
		// can go, so a failed status write loses neither the drain nor its events.
		wait(firstDrainCheck)
		return Drain{Pod: d.Pod, State: DrainDraining, Message: "asked to drain"}
	}
	drained, w := checker.check(drainKey(a.Owner, c, ns, "check"), d.Pod, dec.Check, now,
		func() gateAnswer { return checker.checkDrain(ctx, a, c, ns, d.Pod) })
	if drained.answer.ok {
		return Drain{Pod: d.Pod}
	}
	wait(w)
	if state.gateResponse == "" {
		state.gateResponse = drained.answer.response
	}
	return Drain{Pod: d.Pod, State: DrainDraining, Message: drained.answer.message}
}

// startDrain makes the start call to one pod.
func (g *GateChecker) startDrain(ctx context.Context, a *Applier, c *Cluster, ns *NodeSet, pod string) gateAnswer {
	dec := ns.Decommission
	target, answer := drainTarget(ctx, a, c, ns, Gate{Port: dec.Check.Port, Path: dec.Start.Path}, pod)
	if answer != nil {
		return *answer
	}
	method := dec.Start.Method
	if method == "" {
		method = http.MethodPost
	}
	status, body, failed := g.send(ctx, ns, request{method: method, path: dec.Start.Path, body: dec.Start.Body, timeout: dec.Check.Timeout}, target)
	switch {
	case failed != nil:
		return *failed
	case dec.Start.Status == 0 && (status < 200 || status > 299), dec.Start.Status != 0 && status != dec.Start.Status:
		want := "2xx"
		if dec.Start.Status != 0 {
			want = strconv.Itoa(dec.Start.Status)
		}
		return gateAnswer{message: fmt.Sprintf("%s %s: status %d, want %s", method, dec.Start.Path, status, want),
			response: fmt.Sprintf("status %d: %s", status, excerpt(body))}
	}
	return gateAnswer{ok: true}
}

// checkDrain asks one pod whether it is drained.
func (g *GateChecker) checkDrain(ctx context.Context, a *Applier, c *Cluster, ns *NodeSet, pod string) gateAnswer {
	check := ns.Decommission.Check
	target, answer := drainTarget(ctx, a, c, ns, check, pod)
	if answer != nil {
		return *answer
	}
	var prog cel.Program
	if check.Condition != "" {
		p, err := g.program(check.Condition)
		if err != nil {
			return gateAnswer{message: fmt.Sprintf("condition %s does not compile: %s", check.Condition, oneLine(err.Error()))}
		}
		prog = p
	}
	return g.call(ctx, ns, check, prog, target)
}

// drainTarget is the URL of a drain call to one pod.
func drainTarget(ctx context.Context, a *Applier, c *Cluster, ns *NodeSet, g Gate, name string) (gateTarget, *gateAnswer) {
	var pod corev1.Pod
	err := a.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, &pod)
	switch {
	case apierrors.IsNotFound(err):
		return gateTarget{}, &gateAnswer{message: "the pod does not exist"}
	case err != nil:
		return gateTarget{}, &gateAnswer{message: fmt.Sprintf("get the pod: %s", err)}
	}
	targets, err := gateTargets(c, ns, g, []corev1.Pod{pod})
	if err != nil {
		return gateTarget{}, &gateAnswer{message: err.Error()}
	}
	return targets[0], nil
}

func drainCompleted(ns *NodeSet, pod string) Event {
	return Event{Reason: "DrainCompleted", Action: "Decommission",
		Note: fmt.Sprintf("Node set %s: pod %s is drained and removed", ns.Name, pod)}
}

func drainMessage(d Drain) string {
	if d.State == DrainStarting {
		return "could not start its drain: " + d.Message
	}
	return "draining: " + d.Message
}

// drainKey identifies the drain checks of a node set in the GateChecker; step "" is the
// prefix of them all.
func drainKey(owner client.Object, c *Cluster, ns *NodeSet, step string) string {
	return gateKey(owner, c, ns, Gate{Name: "drain/" + step})
}

// podOrdinal is the ordinal of a pod of the StatefulSet named sts.
func podOrdinal(sts, pod string) (int32, bool) {
	s, ok := strings.CutPrefix(pod, sts+"-")
	if !ok || !isOrdinal(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int32(n), err == nil
}
