package e2e

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// podCount follows the pods of one node set from a watch: how many run at once, at most.
type podCount struct {
	nodeSet string
	w       watch.Interface
	mu      sync.Mutex
	live    map[string]bool // pods neither gone nor finished
	seen    map[string]bool // every pod seen
	max     int
}

// watchSingleWriters starts counting the pods of every Deployment node set whose claims
// are ReadWriteOnce (or ReadWriteOncePod): only one pod may mount them at a time, so an
// upgrade must remove the old pod before the new one starts.
func (s *suite) watchSingleWriters(t *testing.T, cr CR) []*podCount {
	t.Helper()
	var out []*podCount
	for _, n := range cr.Nodes(s.app.AppConfigField()) {
		if n.Kind != "Deployment" || !slices.ContainsFunc(storageEntries(cr.K8sConfig(n.K8sConfig)), singleWriter) {
			continue
		}
		// Without a resourceVersion the watch starts with the pods there are.
		w, err := s.c.Watch(s.ctx, &corev1.PodList{}, client.InNamespace(s.ns), client.MatchingLabels{labelNodeSet: n.Name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		pc := &podCount{nodeSet: n.Name, w: w, live: map[string]bool{}, seen: map[string]bool{}}
		go pc.run()
		out = append(out, pc)
	}
	return out
}

func singleWriter(storage map[string]any) bool {
	modes, _, _ := unstructured.NestedStringSlice(storage, "spec", "accessModes")
	return slices.Contains(modes, string(corev1.ReadWriteOnce)) || slices.Contains(modes, string(corev1.ReadWriteOncePod))
}

func (pc *podCount) run() {
	for ev := range pc.w.ResultChan() {
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		pc.mu.Lock()
		// A finished pod mounts nothing any more; a terminating one still may.
		if ev.Type == watch.Deleted || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			delete(pc.live, pod.Name)
		} else {
			pc.live[pod.Name], pc.seen[pod.Name] = true, true
		}
		pc.max = max(pc.max, len(pc.live))
		pc.mu.Unlock()
	}
}

// checkSingleWriters checks, once an upgrade is done, that each node set counted has a
// Recreate strategy, got a new pod, and never had two pods at once.
func (s *suite) checkSingleWriters(t *testing.T, counts []*podCount) {
	t.Helper()
	if len(counts) == 0 {
		t.Logf("no Deployment node set has ReadWriteOnce claims: nothing to count")
		return
	}
	for _, pc := range counts {
		var d appsv1.Deployment
		if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: s.name + "-" + pc.nodeSet}, &d); err != nil {
			t.Fatal(err)
		}
		if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("Deployment %s mounts ReadWriteOnce claims but has strategy %q, want Recreate", d.Name, d.Spec.Strategy.Type)
		}
		// The upgrade is done: the watch delivers the new pod at the latest a moment later.
		eventually(t, 10*time.Second, "the watch to show the pod of node set "+pc.nodeSet+" replaced", func() string {
			pc.mu.Lock()
			defer pc.mu.Unlock()
			if len(pc.seen) < 2 {
				return fmt.Sprintf("pods seen: %v", keys(pc.seen))
			}
			return ""
		})
		pc.w.Stop()
		pc.mu.Lock()
		if pc.max > 1 {
			t.Errorf("node set %s had %d pods at once during the upgrade, with ReadWriteOnce claims", pc.nodeSet, pc.max)
		}
		t.Logf("node set %s (ReadWriteOnce claims): strategy %s, pods %v, at most %d at a time", pc.nodeSet, d.Spec.Strategy.Type, keys(pc.seen), pc.max)
		pc.mu.Unlock()
	}
}
