package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// metricsEndpoint is the metrics server of the autoscaling step, on loopback, where the
// operator (a process on this machine) reaches it. The test sets what it answers.
type metricsEndpoint struct {
	*httptest.Server
	mu   sync.Mutex
	body string
}

func newMetricsEndpoint() *metricsEndpoint {
	m := &metricsEndpoint{body: "{}"}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, m.body)
	}))
	return m
}

func (m *metricsEndpoint) set(nodeSet string, utilization int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.body = fmt.Sprintf(`{%q: %d}`, nodeSet, utilization)
}

// autoscaleCoolDown is short so the step stays quick; the operator polls every second.
const autoscaleCoolDown = 4 * time.Second

// autoscale drives the <Kind>Autoscaling controller through a metrics endpoint: scale up,
// cool down, clamp to maxReplica, scale down to minReplica, and an endpoint that goes down.
// Each change must reach the cluster's spec, and the workload, through the main controller.
func (s *suite) autoscale(t *testing.T) {
	if !s.app.Spec.Autoscaling {
		t.Skip("the description does not ask for autoscaling")
	}
	field := s.app.AppConfigField()
	node := s.get(t).Nodes(field)[1]
	gen := s.edit(t, func(cr CR) { cr.find(node.Name, "spec", "nodes")["replicas"] = int64(1) })
	eventually(t, rollout, "the cluster to settle at 1 replica", func() string { return s.settled(s.get(t), gen) })

	metrics := newMetricsEndpoint()
	defer metrics.Close()
	metrics.set(node.Name, 140)
	as := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": s.gvk.GroupVersion().String(),
		"kind":       s.gvk.Kind + "Autoscaling",
		"metadata":   map[string]any{"namespace": s.ns, "name": "scaler"},
		"spec": map[string]any{
			"clusterRef": map[string]any{"name": s.name},
			"external":   map[string]any{"spec": map[string]any{"url": metrics.URL + "/utilization", "timeoutSeconds": int64(1), "intervalSeconds": int64(1)}},
			"autoscaling": []any{map[string]any{"name": node.Name, "spec": map[string]any{
				"enable": true, "minReplica": int64(1), "maxReplica": int64(3), "threshold": int64(70), "coolDown": autoscaleCoolDown.String()}}},
		},
	}}
	start := time.Now()
	if err := s.c.Create(s.ctx, as); err != nil {
		t.Fatalf("create the autoscaler: %v", err)
	}
	replicasAre := func(want int64) func() string {
		return func() string {
			for _, n := range s.get(t).Nodes(field) {
				if n.Name == node.Name && n.Replicas != want {
					return fmt.Sprintf("node set %s has %d replicas, want %d", n.Name, n.Replicas, want)
				}
			}
			return ""
		}
	}

	// 140% of a 70% threshold: twice the pods.
	up := measure(t, time.Minute, "scale up to 2", replicasAre(2))
	ready := eventually(t, rollout, "2 replicas rolled out", func() string { return s.readyReplicas(t, node.Name, 2) })
	t.Logf("utilization 140%%: spec at 2 replicas %s after the autoscaler was created, rolled out %s later",
		up.Sub(start).Round(time.Millisecond), ready.Sub(up).Round(time.Millisecond))
	first := s.lastScaleTime(t, as)

	// Still 140%: the next step (to 4) is clamped to maxReplica 3, and waits for the cool-down.
	clamped := eventually(t, time.Minute, "scale up to maxReplica 3", replicasAre(3))
	second := s.lastScaleTime(t, as)
	if second.Sub(first) < autoscaleCoolDown {
		t.Errorf("two scale-ups %s apart, within the cool-down of %s", second.Sub(first), autoscaleCoolDown)
	}
	t.Logf("still 140%%: clamped to maxReplica 3 %s after the first change (cool-down %s; status lastScaleTime %s apart)",
		clamped.Sub(up).Round(time.Millisecond), autoscaleCoolDown, second.Sub(first))
	eventually(t, 30*time.Second, "ScalingLimited=True", func() string { return autoscalerCondition(s, t, as, "ScalingLimited", "True") })

	// 10%: well below the band; shrinks to minReplica after the cool-down.
	metrics.set(node.Name, 10)
	low := time.Now()
	down := eventually(t, time.Minute, "scale down to minReplica 1", replicasAre(1))
	t.Logf("utilization 10%%: scaled down to minReplica 1 %s later", down.Sub(low).Round(time.Millisecond))
	eventually(t, rollout, "1 replica rolled out", func() string { return s.readyReplicas(t, node.Name, 1) })
	for _, reason := range []string{"ScaledUp", "ScaledDown"} {
		eventually(t, 30*time.Second, reason+" event", func() string { return s.autoscalerEvent(as, "Normal", reason) })
	}

	// The endpoint goes down: a condition and warnings, no scaling.
	metrics.Close()
	closed := time.Now()
	noticed := eventually(t, 30*time.Second, "MetricsAvailable=False", func() string { return autoscalerCondition(s, t, as, "MetricsAvailable", "False") })
	t.Logf("endpoint down: MetricsAvailable=False %s later", noticed.Sub(closed).Round(time.Millisecond))
	eventually(t, 30*time.Second, "MetricsFetchFailed event", func() string { return s.autoscalerEvent(as, "Warning", "MetricsFetchFailed") })
	consistently(t, 3*time.Second, "no scaling while the endpoint is down", replicasAre(1))
	if err := s.op.Running(); err != nil {
		t.Fatalf("the operator stopped: %v", err)
	}

	if err := s.c.Delete(s.ctx, as); err != nil {
		t.Fatal(err)
	}
}

// readyReplicas returns "" when the node set's status reports want ready replicas.
func (s *suite) readyReplicas(t *testing.T, nodeSet string, want int64) string {
	st := s.get(t).NodeSetStatus()[nodeSet]
	ready, _ := st["readyReplicas"].(int64)
	replicas, _ := st["replicas"].(int64)
	if ready != want || replicas != want {
		return fmt.Sprintf("node set %s: %d of %d replicas ready, want %d", nodeSet, ready, replicas, want)
	}
	return ""
}

func (s *suite) getAutoscaler(t *testing.T, as *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(as.GroupVersionKind())
	if err := s.c.Get(s.ctx, client.ObjectKeyFromObject(as), got); err != nil {
		t.Fatal(err)
	}
	return got
}

// lastScaleTime is status.nodeSets[0].lastScaleTime of the autoscaler.
func (s *suite) lastScaleTime(t *testing.T, as *unstructured.Unstructured) time.Time {
	t.Helper()
	list, _, _ := unstructured.NestedSlice(s.getAutoscaler(t, as).Object, "status", "nodeSets")
	if len(list) == 0 {
		t.Fatal("the autoscaler's status has no node set")
	}
	text, _, _ := unstructured.NestedString(list[0].(map[string]any), "lastScaleTime")
	at, err := time.Parse(time.RFC3339, text)
	if err != nil {
		t.Fatalf("lastScaleTime %q: %v", text, err)
	}
	return at
}

func autoscalerCondition(s *suite, t *testing.T, as *unstructured.Unstructured, conditionType, status string) string {
	return cond(CR{s.getAutoscaler(t, as)}, conditionType, status)
}

// autoscalerEvent returns "" when the autoscaler has an event of that type and reason.
func (s *suite) autoscalerEvent(as *unstructured.Unstructured, eventType, reason string) string {
	var list eventsv1.EventList
	if err := s.c.List(s.ctx, &list, client.InNamespace(s.ns)); err != nil {
		return err.Error()
	}
	for _, e := range list.Items {
		if e.Regarding.Kind == as.GetKind() && e.Regarding.Name == as.GetName() && e.Type == eventType && e.Reason == reason {
			return ""
		}
	}
	return fmt.Sprintf("no %s event %s regarding %s %s", eventType, reason, as.GetKind(), as.GetName())
}
