package dsoi

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Options set how Reconcile rolls a cluster out.
type Options struct {
	// Order is the deploymentOrder: node types, first to last.
	Order []string
	// InstallOrdered creates node types one at a time in Order; otherwise all at once.
	InstallOrdered bool
	// UpgradeOrdered rolls changes to existing node sets one node type at a time in Order,
	// the next starting only when the previous one has fully rolled out.
	UpgradeOrdered bool
	// ProgressDeadline is how long a node type may take to roll out before the upgrade halts.
	ProgressDeadline time.Duration
	// DeletePVCs deletes the claims of removed node sets.
	DeletePVCs bool
	// Generation is the CR's generation now; LastGeneration the one its status last described.
	Generation, LastGeneration int64
	// StopStart is the latest stop or start as the previous reconcile reported it (nil: none).
	StopStart *StopStart
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LastConditions are the CR's conditions as its status last stored them, so a problem
	// already reported there (a refused resize) is not recorded as an event again.
	LastConditions []metav1.Condition
	// LastGates is the state of each node set's health gates as the status last stored it,
	// by node set name: gates that passed for the current rollout are not checked again.
	LastGates map[string]NodeSetGates
	// LastDrains is the drain in progress of each node set as the status last stored it, by
	// node set name (drain.go).
	LastDrains map[string]Drain
	// LastRevisions is each node set's workload revision as the status last stored it, by
	// node set name: one that moved on since, for a generation the status does not describe,
	// was changed by a reconcile that ended before storing its status (see unrecordedChange).
	LastRevisions map[string]string
}

// NodeSetReport is the state of one node set after a reconcile.
type NodeSetReport struct {
	Name, Kind, NodeType string
	Rollout
	// Held: the node set's new spec waits for the node types before it in the order.
	Held bool
	// Recreating: its StatefulSet is deleted, pods orphaned, to be created again.
	Recreating bool
	// Resize is the state of the node set's volumes (resize.go).
	Resize
	// Gates is the state of the node set's health gates (gates.go).
	Gates NodeSetGates
	// ScaleDownRefused says why replicas below the node type's minimum are not applied.
	ScaleDownRefused string
	// Drain is the drain of a pod under way before a scale-down removes it (nil: none).
	Drain *Drain
}

// Report says what a reconcile did and found.
type Report struct {
	NodeSets []NodeSetReport
	// Writes counts objects created, updated or deleted.
	Writes int
	// Deleted lists objects that are no longer wanted.
	Deleted []ObjectKey
	// Upgrade is the upgrade state to keep in the CR's status (nil: never upgraded).
	Upgrade *Upgrade
	// Failure says why a node set is failing ("" when none is); Halted when that stops an upgrade.
	Failure string
	Halted  bool
	// Stopped: spec.stopped scaled every node set to zero.
	Stopped bool
	// StopStart is the stop or start state to keep in the CR's status (nil: never stopped).
	StopStart *StopStart
	// Events about the upgrade, stop or start, for RecordEvents once the status is stored.
	Events []Event
	// RequeueAfter asks for another look while a rollout is under way, to catch crashes and
	// the deadline; progress itself arrives through the watches.
	RequeueAfter time.Duration
}

// Ready reports whether every node set has fully rolled out its current spec.
func (r *Report) Ready() bool {
	for _, ns := range r.NodeSets {
		if !ns.Done {
			return false
		}
	}
	return true
}

// RecordEvents records upgrade, stop and start events about the owner.
func (a *Applier) RecordEvents(events []Event) {
	for _, e := range events {
		if e.Warning {
			a.warning(nil, e.Reason, e.Action, "%s", e.Note)
		} else {
			a.event(nil, e.Reason, e.Action, "%s", e.Note)
		}
	}
}

// requeueWhileRolling is how often a rollout in progress is looked at for crashes.
const requeueWhileRolling = 5 * time.Second

// Reconcile makes the cluster's objects match c, rolling node types out in opts.Order as
// the options say, and returns what it found and the next upgrade state. It writes only
// what differs. On an error it returns what it did so far; the next reconcile carries on.
func (a *Applier) Reconcile(ctx context.Context, c *Cluster, opts Options, prev *Upgrade) (*Report, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	now := opts.Now
	report := &Report{Stopped: c.Stopped, StopStart: opts.StopStart}
	// Refusals come before any write: a half-applied refused spec would be worse than none.
	if err := checkSpec(c); err != nil {
		return report, err
	}
	if err := a.checkLive(ctx, c); err != nil {
		return report, err
	}
	keep := map[ObjectKey]bool{}
	apply := func(obj client.Object) (Action, error) {
		keep[KeyOf(obj)] = true
		action, err := a.Apply(ctx, obj)
		if err == nil && action != Unchanged && action != Waiting {
			report.Writes++
		}
		return action, err
	}
	// ConfigMaps are immutable and named by content: creating new ones changes nothing for
	// pods until their workload is rolled onto them.
	for _, cm := range BuildConfigMaps(c) {
		if _, err := apply(cm); err != nil {
			return report, err
		}
	}

	state := rolloutState{op: stopStartOf(c, opts.StopStart)}
	order := nodeTypeOrder(c, opts.Order)
	if state.op == ClusterStopping {
		slices.Reverse(order) // a node type stops only once those after it have no pod left
	}
	blocked := false
	for _, nodeType := range order {
		typeDone := true
		for i := range c.NodeSets {
			ns := &c.NodeSets[i]
			if ns.NodeType != nodeType {
				continue
			}
			nr, err := a.reconcileNodeSet(ctx, c, ns, opts, blocked, apply, keep, &report.Writes, &state)
			if err != nil {
				return report, err
			}
			if !nr.Done {
				typeDone = false
				if state.current == "" || state.current == nodeType {
					state.current = nodeType
					if state.waiting == "" {
						state.waiting = fmt.Sprintf("node set %s: %s", nr.Name, nr.Message)
					}
				}
			}
			report.NodeSets = append(report.NodeSets, nr)
		}
		if !typeDone {
			blocked = true
		}
	}

	report.Failure = state.failure
	report.Upgrade = prev
	switch {
	case state.op != "":
		// Stopping and starting are no upgrade: the record of the last upgrade stays.
		report.StopStart, report.Events = nextStopStart(opts.StopStart, state, &opts, now())
	case state.upgrading || prev.InProgress():
		report.Upgrade, report.Events = nextUpgrade(prev, state, &opts, now())
	}
	report.Events = append(report.Events, state.events...)
	report.Events = append(report.Events, refusalEvents(report.NodeSets, opts.LastConditions)...)
	report.Halted = state.op == "" && report.Upgrade.InProgress() && report.Upgrade.Phase == UpgradeHalted
	if !report.Ready() {
		report.RequeueAfter = requeueWhileRolling
		if state.gateWait > 0 && state.gateWait < report.RequeueAfter {
			report.RequeueAfter = state.gateWait // the next check of a health gate
		}
	}

	// Old ConfigMaps go only once every node set runs its current spec: until then held node
	// sets and pods of the old revision may still mount them (and restart).
	if !report.Ready() {
		if err := keepAllConfigMaps(ctx, a, c, keep); err != nil {
			return report, err
		}
	}
	pruned, err := a.Prune(ctx, c, keep, opts.DeletePVCs)
	report.Deleted = pruned.Deleted
	report.Writes += len(pruned.Deleted)
	if err != nil {
		return report, err
	}
	if pruned.ClaimsWaiting && report.RequeueAfter == 0 {
		report.RequeueAfter = requeueWhileRolling
	}
	released, err := a.releaseOrphanedPodsHold(ctx, c, report)
	if released {
		report.Writes++
	}
	return report, err
}

// unrecordedChange reports whether a node set's workload took a new spec that the status
// does not record: its revision moved on since the status was stored, for a generation the
// status does not describe, while this reconcile found nothing to change. An earlier
// reconcile wrote it and ended before storing its status (the operator killed, or its
// leadership lost, between the two writes); without this, an upgrade whose every write that
// reconcile made would never be recorded.
func unrecordedChange(opts Options, nodeSet string, live Rollout) bool {
	last := opts.LastRevisions[nodeSet]
	return opts.Generation > opts.LastGeneration && last != "" && live.Revision != "" && live.Revision != last
}

// reconcileNodeSet applies one node set's objects, holding its workload back while node
// types before it have not rolled out (when the order says so), and reports its rollout.
func (a *Applier) reconcileNodeSet(ctx context.Context, c *Cluster, ns *NodeSet, opts Options, blocked bool,
	apply func(client.Object) (Action, error), keep map[ObjectKey]bool, writes *int, state *rolloutState) (NodeSetReport, error) {
	nr := NodeSetReport{Name: ns.Name, Kind: ns.Kind, NodeType: ns.NodeType, Gates: opts.LastGates[ns.Name]}
	hash, err := ConfigHash(c, ns)
	if err != nil {
		return nr, err
	}
	objs, err := Build(c, ns, hash)
	if err != nil {
		return nr, err
	}
	// Before Plan: a refused size change is taken out of objs, so everything else still applies.
	volumes, err := a.planResize(ctx, c, ns, objs)
	if err != nil {
		return nr, err
	}
	nr.Refused = strings.Join(volumes.refused, "; ")
	if err := a.holdFloor(ctx, c, ns, objs, &nr); err != nil {
		return nr, err
	}
	// A scale-down through a decommission goes first and alone, in the node set's turn.
	changesWait := blocked && (opts.UpgradeOrdered || state.op != "")
	switch last := opts.LastDrains[ns.Name]; {
	case changesWait && last.Pod != "":
		nr.Drain = &last
	case !changesWait && drains(c, ns):
		hold, wrote, err := a.decommission(ctx, c, ns, objs, last, &nr, state, opts.Now())
		*writes += wrote
		if err != nil || hold {
			keepAll(objs, keep)
			if err == nil {
				err = a.restoreMissing(ctx, objs, apply)
			}
			return nr, err
		}
	case last.Pod != "":
		state.events = append(state.events, drainCancelled(ns, last.Pod, "the node set stopped scaling down through a decommission"))
	}
	workload := objs.workload()
	plan, err := a.Plan(ctx, workload)
	if err != nil {
		return nr, err
	}
	// Starting and stopping go one node type at a time (creating a node set at zero
	// replicas while stopping harms nothing).
	switch plan {
	case Created:
		nr.Held = blocked && (opts.InstallOrdered || state.op == ClusterStarting)
	case Updated, Recreating:
		state.upgrading = state.upgrading || state.op == ""
		nr.Held = changesWait
	}
	if nr.Held {
		// Everything of the node set stays as it is until its turn comes: its Services too,
		// which must keep matching the pods of the old spec.
		keepAll(objs, keep)
		live, err := a.live(ctx, workload)
		if err != nil {
			return nr, err
		}
		nr.Rollout = Rollout{Desired: ns.Replicas}
		if live != nil {
			nr.Rollout = rolloutOf(live)
		}
		nr.Done, nr.Phase, nr.Message = false, PhaseWaiting, heldMessage(state.op, ns.NodeType)
		return nr, nil
	}
	// Claims grow before a StatefulSet is recreated with the larger templates.
	grown, err := a.growClaims(ctx, ns, volumes)
	*writes += grown
	if err != nil {
		return nr, err
	}
	for _, obj := range objs.all() {
		action, err := apply(obj)
		if err != nil {
			return nr, err
		}
		if obj != workload {
			continue
		}
		nr.Rollout = rolloutOf(workload)
		if action == Recreating || action == Waiting {
			nr.Done, nr.Phase, nr.Message = false, PhaseProgressing, "being recreated to change an immutable field"
			nr.Recreating = true
		}
	}
	if plan == Unchanged && state.op == "" && unrecordedChange(opts, ns.Name, nr.Rollout) {
		state.upgrading, state.unrecorded = true, true
	}
	if state.op == ClusterStopping {
		if err := a.checkStopped(ctx, c, ns, &nr); err != nil {
			return nr, err
		}
	}
	resized, err := a.finishResize(ctx, c, ns, volumes, &nr, !blocked || !opts.UpgradeOrdered, state)
	*writes += resized
	if err != nil {
		return nr, err
	}
	if !nr.Done {
		deleted, err := a.checkPods(ctx, c, ns, workload, state, opts.Now())
		*writes += deleted
		if err != nil {
			return nr, err
		}
	}
	if gatesToCheck(ns, &nr, state.op) {
		if err := a.checkGates(ctx, c, ns, &nr, state, opts.Now()); err != nil {
			return nr, err
		}
	}
	return nr, nil
}

// checkPods looks at the pods of a node set that is rolling out: it records the first failing
// pod (crashing, or waiting for a volume that will not attach or mount), and clears a
// StatefulSet pod stuck on an old revision.
func (a *Applier) checkPods(ctx context.Context, c *Cluster, ns *NodeSet, workload client.Object, state *rolloutState, now time.Time) (int, error) {
	pods, err := a.podsOf(ctx, c, ns)
	if err != nil {
		return 0, err
	}
	if state.failure == "" { // the first failure is the one told
		f, err := a.failingPod(ctx, pods, now)
		if err != nil {
			return 0, err
		}
		if f != "" {
			state.failure = fmt.Sprintf("node set %s (node type %s): %s", ns.Name, ns.NodeType, f)
		}
	}
	if sts, ok := workload.(*appsv1.StatefulSet); ok && sts.UID != "" {
		return a.deleteStuckPods(ctx, sts, pods, now)
	}
	return 0, nil
}

// restoreMissing creates the objects of a node set that are missing (deleted by hand), other
// than its workload, and changes none that exist: while a pod drains, its node set keeps
// running as it is, Services and PodDisruptionBudget included.
func (a *Applier) restoreMissing(ctx context.Context, objs *Objects, apply func(client.Object) (Action, error)) error {
	workload := objs.workload()
	for _, obj := range objs.all() {
		if obj == workload {
			continue
		}
		plan, err := a.Plan(ctx, obj)
		if err != nil {
			return err
		}
		if plan == Created {
			if _, err := apply(obj); err != nil {
				return err
			}
		}
	}
	return nil
}

// keepAll marks every object of a node set as wanted, so that none is pruned while the node
// set waits.
func keepAll(objs *Objects, keep map[ObjectKey]bool) {
	for _, obj := range objs.all() {
		keep[KeyOf(obj)] = true
	}
}

// workload returns the node set's StatefulSet or Deployment.
func (o *Objects) workload() client.Object {
	if o.StatefulSet != nil {
		return o.StatefulSet
	}
	return o.Deployment
}

// all returns the node set's objects in the order they are applied: what the workload
// needs first (Services, claims), then the workload, then its PodDisruptionBudget.
func (o *Objects) all() []client.Object {
	var out []client.Object
	for _, svc := range o.Services {
		out = append(out, svc)
	}
	for _, claim := range o.Claims {
		out = append(out, claim)
	}
	out = append(out, o.workload())
	if o.PDB != nil {
		out = append(out, o.PDB)
	}
	return out
}

// live reads the live version of obj, or nil when it does not exist.
func (a *Applier) live(ctx context.Context, obj client.Object) (client.Object, error) {
	live := obj.DeepCopyObject().(client.Object)
	if err := a.Client.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("get %s: %w", describe(obj), err)
	}
	return live, nil
}

func rolloutOf(workload client.Object) Rollout {
	switch w := workload.(type) {
	case *appsv1.StatefulSet:
		return StatefulSetRollout(w)
	case *appsv1.Deployment:
		return DeploymentRollout(w)
	}
	return Rollout{Phase: PhasePending}
}

// keepAllConfigMaps keeps every ConfigMap of the cluster while a rollout is under way: pods
// of the old revision may restart and must find the files they mount.
// A failed List is an error, never an empty list: Prune would then delete ConfigMaps in use.
func keepAllConfigMaps(ctx context.Context, a *Applier, c *Cluster, keep map[ObjectKey]bool) error {
	cms, err := a.listInstance(ctx, c, &corev1.ConfigMapList{})
	if err != nil {
		return err
	}
	for _, cm := range cms {
		keep[KeyOf(cm)] = true
	}
	return nil
}

// nodeTypeOrder is opts.Order followed by node types the order lacks (the CRD forbids that,
// but a node set must never be dropped silently), sorted.
func nodeTypeOrder(c *Cluster, order []string) []string {
	out := append([]string(nil), order...)
	seen := map[string]bool{}
	for _, t := range order {
		seen[t] = true
	}
	var rest []string
	for _, ns := range c.NodeSets {
		if !seen[ns.NodeType] {
			seen[ns.NodeType] = true
			rest = append(rest, ns.NodeType)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
