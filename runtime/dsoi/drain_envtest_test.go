package dsoi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// drainServer plays the application's drain API: POST /drain starts draining the pod named
// in the X-Dsoi-Pod header (answering startStatus), GET /drain answers {"remaining": n} with
// what that pod still holds.
type drainServer struct {
	*httptest.Server
	mu          sync.Mutex
	startStatus int
	remaining   map[string]int
	starts      []string
	checks      int
}

func newDrainServer(t *testing.T) *drainServer {
	s := &drainServer{startStatus: http.StatusAccepted, remaining: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		pod := r.Header.Get(HeaderPod)
		switch r.Method {
		case http.MethodPost:
			s.starts = append(s.starts, pod)
			w.WriteHeader(s.startStatus)
		default:
			s.checks++
			fmt.Fprintf(w, `{"remaining": %d}`, s.remaining[pod])
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *drainServer) set(pod string, remaining int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining[pod] = remaining
}

func (s *drainServer) started() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.starts)
}

// withDecommission gives node set a of threeTypes 3 replicas and a decommission answered by
// srv, checked every 10 s.
func withDecommission(cluster *Cluster, srv *drainServer) *NodeSet {
	ns := &cluster.NodeSets[1]
	ns.Replicas = 3
	ns.GateAddress = srv.URL
	ns.Decommission = &Decommission{
		Start: DrainCall{Path: "/drain"},
		Check: Gate{Name: "drained", Port: "http", Path: "/drain", Status: 200, Condition: "body.remaining == 0",
			Interval: 10 * time.Second, Timeout: time.Second, Successes: 1},
	}
	return ns
}

// createPods creates the pods of node set a, as the StatefulSet controller would.
func createPods(t *testing.T, c client.Client, cluster *Cluster, n int) {
	t.Helper()
	for i := range n {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("tri-a-%d", i), Namespace: cluster.Namespace, Labels: Selector(cluster.Instance, "a")},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1.0"}}},
		}
		if err := c.Create(t.Context(), pod); err != nil {
			t.Fatal(err)
		}
	}
}

// carryDrains hands the drains of a report to the next reconcile, as the generated
// controller does through the CR's status.
func carryDrains(opts *Options, r *Report) {
	opts.LastDrains = map[string]Drain{}
	for _, ns := range r.NodeSets {
		if ns.Drain != nil {
			opts.LastDrains[ns.Name] = *ns.Drain
		}
	}
}

func drainOf(r *Report, nodeSet string) *Drain {
	for _, ns := range r.NodeSets {
		if ns.Name == nodeSet {
			return ns.Drain
		}
	}
	return nil
}

// A scale-down of a node type with a decommission drains one pod at a time, highest ordinal
// first, removes a pod only once it is drained, changes nothing else of the node set meanwhile,
// and carries on across a restart of the operator without starting a drain twice.
func TestReconcileDrainsBeforeScalingDown(t *testing.T) {
	ctx, c, a, cluster := setupWith(t, threeTypes)
	srv := newDrainServer(t)
	nsA := withDecommission(cluster, srv)
	a.Gates = NewGateChecker()
	clk := newClock()
	opts := triOptions(clk)
	r := rolledOut(t, a, cluster, opts)
	createPods(t, c, cluster, 3)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	sts := func() *appsv1.StatefulSet { return live(t, c, workload(cluster, "a")).(*appsv1.StatefulSet) }
	step := func() *Report {
		t.Helper()
		r = reconcile(t, a, cluster, opts, r.Upgrade)
		carryDrains(&opts, r)
		return r
	}
	before := sts()

	// Down to 1 and a new image at once: tri-a-2 is asked to drain; nothing else moves.
	srv.set("tri-a-2", 5)
	nsA.Replicas = 1
	setImage(cluster, "example.com/app:2.0")
	opts.Generation, opts.LastGeneration = 2, 1
	step()
	d := drainOf(r, "a")
	if d == nil || d.Pod != "tri-a-2" || d.State != DrainDraining || d.Message != "asked to drain" || !d.Since.Time.Equal(clk.now()) || srv.checks != 0 {
		t.Fatalf("drain %+v after %d checks, want tri-a-2 Draining since now, asked to drain, and no check before the status records it", d, srv.checks)
	}
	if r.RequeueAfter != firstDrainCheck {
		t.Errorf("requeue after %v, want the first check in %v", r.RequeueAfter, firstDrainCheck)
	}
	if got := sts(); got.Generation != before.Generation || *got.Spec.Replicas != 3 {
		t.Errorf("during the drain the StatefulSet moved: generation %d replicas %d, want %d and 3", got.Generation, *got.Spec.Replicas, before.Generation)
	}
	if !slices.Equal(srv.started(), []string{"tri-a-2"}) {
		t.Errorf("started %v, want tri-a-2", srv.started())
	}
	checkHeld(t, r, []string{"b", "c"})
	if got := drain(rec); !slices.Contains(got, "Normal DrainStarted Node set a: draining pod tri-a-2 before scaling down to 1 replicas") {
		t.Errorf("events %q, want DrainStarted", got)
	}

	// A Service deleted by hand meanwhile comes back; the workload still does not move.
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: ObjectName(cluster.Instance, "a"), Namespace: cluster.Namespace}}
	if err := c.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if step(); r.Writes != 1 || sts().Generation != before.Generation {
		t.Errorf("a deleted Service mid-drain: %d writes, generation %d; want the Service alone restored", r.Writes, sts().Generation)
	}
	live(t, c, svc)
	drain(rec)
	wantMsg := "condition body.remaining == 0 is false"
	if d := drainOf(r, "a"); d == nil || d.State != DrainDraining || d.Message != wantMsg || srv.checks != 1 {
		t.Errorf("drain %+v after %d checks, want Draining: %s after the first check", d, srv.checks, wantMsg)
	}

	// Within the interval nothing is asked; a new operator process checks again at once but
	// never restarts the drain, and writes nothing while it is not done.
	checks := srv.checks
	if step(); srv.checks != checks || r.Writes != 0 {
		t.Errorf("within the interval: %d checks, %d writes; want none", srv.checks-checks, r.Writes)
	}
	a.Gates = NewGateChecker()
	clk.advance(time.Second)
	if step(); srv.checks != checks+1 || !slices.Equal(srv.started(), []string{"tri-a-2"}) || r.Writes != 0 {
		t.Errorf("new process: %d checks, started %v, %d writes; want 1 check, tri-a-2 started once, no write", srv.checks-checks, srv.started(), r.Writes)
	}
	if d := drainOf(r, "a"); d == nil || !d.Since.Time.Equal(clk.now().Add(-time.Second)) {
		t.Errorf("drain %+v, want it to keep its start time", d)
	}
	if got := drain(rec); len(got) != 0 {
		t.Errorf("events %q while draining, want none", got)
	}

	// Drained: the StatefulSet drops tri-a-2 and nothing else; tri-a-1 waits until it is gone.
	srv.set("tri-a-2", 0)
	srv.set("tri-a-1", 1)
	clk.advance(10 * time.Second)
	step()
	got := sts()
	if *got.Spec.Replicas != 2 || got.Spec.Template.Spec.Containers[0].Image != "example.com/app:1.0" || drainOf(r, "a") != nil {
		t.Errorf("after the drain: replicas %d image %s drain %+v; want 2, the old image, no drain", *got.Spec.Replicas, got.Spec.Template.Spec.Containers[0].Image, drainOf(r, "a"))
	}
	if got := drain(rec); !slices.Equal(got, []string{"Normal DrainCompleted Node set a: pod tri-a-2 is drained and removed"}) {
		t.Errorf("events %q, want DrainCompleted", got)
	}
	clk.advance(10 * time.Second)
	if step(); len(srv.started()) != 1 || !strings.Contains(r.NodeSets[0].Message, "waiting for pod tri-a-2 to be removed") {
		t.Errorf("before tri-a-2 is gone: started %v, message %q", srv.started(), r.NodeSets[0].Message)
	}
	markRolledOut(t, workload(cluster, "a"))
	deletePod(t, c, cluster, "tri-a-2")
	step()
	if !slices.Equal(srv.started(), []string{"tri-a-2", "tri-a-1"}) || drainOf(r, "a").Pod != "tri-a-1" {
		t.Fatalf("started %v drain %+v, want tri-a-1 next", srv.started(), drainOf(r, "a"))
	}

	// tri-a-1 drains, and the process stops before the status records it: the next one finds
	// the pod out of the StatefulSet, reports the drain complete, and then rolls the new image.
	srv.set("tri-a-1", 0)
	clk.advance(10 * time.Second)
	stale := opts.LastDrains
	step()
	opts.LastDrains = stale
	drain(rec)
	a.Gates = NewGateChecker()
	markRolledOut(t, workload(cluster, "a"))
	deletePod(t, c, cluster, "tri-a-1")
	step()
	got = sts()
	if *got.Spec.Replicas != 1 || got.Spec.Template.Spec.Containers[0].Image != "example.com/app:2.0" || len(srv.started()) != 2 {
		t.Errorf("scaled down: replicas %d image %s started %v; want 1, the new image, no new drain", *got.Spec.Replicas, got.Spec.Template.Spec.Containers[0].Image, srv.started())
	}
	if got := drain(rec); !slices.Contains(got, "Normal DrainCompleted Node set a: pod tri-a-1 is drained and removed") {
		t.Errorf("events %q, want DrainCompleted of tri-a-1 from the new process", got)
	}
}

// A start call that fails is retried at the check's interval, with one event and the reason
// in the drain's status; a scale-down withdrawn mid-drain keeps the pod and says so.
func TestReconcileDrainStartFailsAndScaleDownIsWithdrawn(t *testing.T) {
	_, c, a, cluster := setupWith(t, threeTypes)
	srv := newDrainServer(t)
	nsA := withDecommission(cluster, srv)
	a.Gates = NewGateChecker()
	clk := newClock()
	opts := triOptions(clk)
	r := rolledOut(t, a, cluster, opts)
	createPods(t, c, cluster, 3)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	step := func() {
		t.Helper()
		r = reconcile(t, a, cluster, opts, r.Upgrade)
		carryDrains(&opts, r)
	}

	srv.startStatus = http.StatusServiceUnavailable
	srv.set("tri-a-2", 3)
	nsA.Replicas = 2
	step()
	want := "POST /drain: status 503, want 2xx"
	if d := drainOf(r, "a"); d == nil || d.State != DrainStarting || d.Message != want {
		t.Fatalf("drain %+v, want Starting: %s", d, want)
	}
	if got := drain(rec); countPrefix(got, "Warning DrainStartFailed Node set a: could not start draining pod tri-a-2: "+want) != 1 {
		t.Errorf("events %q, want one DrainStartFailed", got)
	}
	step()
	if len(srv.started()) != 1 {
		t.Errorf("retried within the interval: %v", srv.started())
	}
	clk.advance(10 * time.Second)
	step()
	if len(srv.started()) != 2 || len(drain(rec)) != 0 {
		t.Errorf("after the interval: started %v, want a second try and no new event", srv.started())
	}
	srv.mu.Lock()
	srv.startStatus = http.StatusOK
	srv.mu.Unlock()
	clk.advance(10 * time.Second)
	step()
	if d := drainOf(r, "a"); d == nil || d.State != DrainDraining {
		t.Errorf("drain %+v, want Draining", d)
	}

	// Withdrawn: back to 3, the pod stays and the cancel is told once.
	nsA.Replicas = 3
	step()
	if d := drainOf(r, "a"); d != nil || *live(t, c, workload(cluster, "a")).(*appsv1.StatefulSet).Spec.Replicas != 3 {
		t.Errorf("withdrawn: drain %+v", d)
	}
	got := drain(rec)
	if countPrefix(got, "Warning DrainCancelled Node set a: the scale-down was withdrawn while pod tri-a-2 was draining") != 1 {
		t.Errorf("events %q, want one DrainCancelled", got)
	}
	step()
	if got := drain(rec); len(got) != 0 || r.Writes != 0 || !r.Ready() {
		t.Errorf("after the cancel: events %q writes %d ready %v", got, r.Writes, r.Ready())
	}
}

// The floor comes first: a scale-down below it drains only down to the floor.
func TestReconcileDrainsOnlyToTheFloor(t *testing.T) {
	_, c, a, cluster := setupWith(t, threeTypes)
	srv := newDrainServer(t)
	nsA := withDecommission(cluster, srv)
	nsA.MinReplicas = 2
	a.Gates = NewGateChecker()
	opts := triOptions(newClock())
	r := rolledOut(t, a, cluster, opts)
	createPods(t, c, cluster, 3)
	nsA.Replicas = 1
	for range 2 { // the start, then the check
		r = reconcile(t, a, cluster, opts, r.Upgrade)
		carryDrains(&opts, r)
	}
	markRolledOut(t, workload(cluster, "a"))
	deletePod(t, c, cluster, "tri-a-2")
	r = reconcile(t, a, cluster, opts, r.Upgrade)
	if got := *live(t, c, workload(cluster, "a")).(*appsv1.StatefulSet).Spec.Replicas; got != 2 || !slices.Equal(srv.started(), []string{"tri-a-2"}) || drainOf(r, "a") != nil {
		t.Errorf("replicas %d started %v drain %+v; want 2, only tri-a-2, none", got, srv.started(), drainOf(r, "a"))
	}
	if !strings.Contains(r.NodeSets[0].ScaleDownRefused, "it keeps 2") {
		t.Errorf("refusal %q", r.NodeSets[0].ScaleDownRefused)
	}
}

func deletePod(t *testing.T, c client.Client, cluster *Cluster, name string) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: cluster.Namespace}}
	if err := c.Delete(t.Context(), pod, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
}
