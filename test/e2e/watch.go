package e2e

import (
	"context"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// labelNodeSet names the node set of a workload.
const labelNodeSet = "dsoi.datainfra.io/node-set"

// annotationConfigHash on a pod template hashes the config files the node set mounts.
const annotationConfigHash = "dsoi.datainfra.io/config-hash"

// RolledOut is the Type of a Change that records a workload having fully rolled out its
// generation: every replica updated and ready, as its controller reports in its status.
const RolledOut watch.EventType = "ROLLED_OUT"

// Change is a change of a workload's spec (a new generation), its creation, its deletion,
// or the end of its rollout (Type RolledOut).
type Change struct {
	At      time.Time // when the test received it
	RV      int64     // resourceVersion: the API server's order of writes
	Kind    string
	Name    string
	NodeSet string
	Type    watch.EventType
	// Generation, Image (of the first container) and ConfigHash after the change.
	Generation int64
	Image      string
	ConfigHash string
}

// Watcher records every spec change of the StatefulSets and Deployments of a namespace, from
// watches: unlike polling it misses nothing, and resourceVersions order the writes exactly.
type Watcher struct {
	mu      sync.Mutex
	changes []Change
	seen    map[string]int64 // kind/name -> generation
	done    map[string]int64 // kind/name -> generation last seen rolled out
}

// watchWorkloads starts watching; it stops with ctx.
func watchWorkloads(ctx context.Context, c client.WithWatch, namespace string) *Watcher {
	w := &Watcher{seen: map[string]int64{}, done: map[string]int64{}}
	go w.run(ctx, c, namespace, &appsv1.StatefulSetList{})
	go w.run(ctx, c, namespace, &appsv1.DeploymentList{})
	return w
}

func (w *Watcher) run(ctx context.Context, c client.WithWatch, namespace string, list client.ObjectList) {
	rv := ""
	for ctx.Err() == nil {
		opts := &client.ListOptions{Namespace: namespace, Raw: &metav1.ListOptions{ResourceVersion: rv}}
		wi, err := c.Watch(ctx, list, opts)
		if err != nil {
			rv = "" // too old, or the server is not there: start again from the current state
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for ev := range wi.ResultChan() {
			if ev.Type == watch.Error {
				rv = ""
				break
			}
			if obj, ok := ev.Object.(client.Object); ok {
				rv = obj.GetResourceVersion()
				w.record(ev.Type, obj)
			}
		}
		wi.Stop()
	}
}

func (w *Watcher) record(t watch.EventType, obj client.Object) {
	var kind string
	var template corev1.PodTemplateSpec
	var rolledOut bool
	switch o := obj.(type) {
	case *appsv1.StatefulSet:
		kind, template = "StatefulSet", o.Spec.Template
		want, st := ptrOr(o.Spec.Replicas, 1), o.Status
		rolledOut = st.ObservedGeneration >= o.Generation && st.UpdatedReplicas == want && st.Replicas == want &&
			st.ReadyReplicas == want && (want == 0 || st.CurrentRevision == st.UpdateRevision)
	case *appsv1.Deployment:
		kind, template = "Deployment", o.Spec.Template
		want, st := ptrOr(o.Spec.Replicas, 1), o.Status
		rolledOut = st.ObservedGeneration >= o.Generation && st.UpdatedReplicas == want && st.Replicas == want && st.ReadyReplicas == want
	default:
		return
	}
	key := kind + "/" + obj.GetName()
	rv, _ := strconv.ParseInt(obj.GetResourceVersion(), 10, 64)
	c := Change{At: time.Now(), RV: rv, Kind: kind, Name: obj.GetName(), NodeSet: obj.GetLabels()[labelNodeSet],
		Type: t, Generation: obj.GetGeneration(), ConfigHash: template.Annotations[annotationConfigHash]}
	if len(template.Spec.Containers) > 0 {
		c.Image = template.Spec.Containers[0].Image
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	last, known := w.seen[key]
	switch {
	case t == watch.Deleted:
		delete(w.seen, key)
		delete(w.done, key)
		w.changes = append(w.changes, c)
		return
	case known && last == obj.GetGeneration():
		// A status update, or the same object again after a watch restart.
	default:
		w.seen[key] = obj.GetGeneration()
		w.changes = append(w.changes, c)
	}
	if rolledOut && w.done[key] != obj.GetGeneration() {
		w.done[key] = obj.GetGeneration()
		c.Type = RolledOut
		w.changes = append(w.changes, c)
	}
}

// Mark returns a position: Since(Mark()) gives the changes recorded after it.
func (w *Watcher) Mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.changes)
}

// Since returns the changes recorded after mark.
func (w *Watcher) Since(mark int) []Change {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Change(nil), w.changes[mark:]...)
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
