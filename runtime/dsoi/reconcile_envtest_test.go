package dsoi

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Reconcile against a real API server. envtest runs no workload controllers, so the tests
// play them: markRolledOut and markRollingOut write the status a controller would.

// basicOptions are the options for testCluster: controller before broker, generation 1.
func basicOptions() Options {
	return Options{Order: []string{"controller", "broker"}, UpgradeOrdered: true, Generation: 1}
}

func TestReconcileAppliesAndPrunes(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	ns := cluster.Namespace
	opts := basicOptions()

	// First reconcile: every object is created, one event each, nothing is ready yet.
	report := reconcile(t, a, cluster, opts, nil)
	objs := allObjects(t, cluster)
	if report.Writes != len(objs) || len(objs) != 9 {
		t.Errorf("first Reconcile wrote %d objects, want all %d (9)", report.Writes, len(objs))
	}
	var wantEvents []string
	for _, obj := range objs {
		assertAlive(t, c, obj)
		wantEvents = append(wantEvents, fmt.Sprintf("Normal Created Created %s %s", kindOf(obj), obj.GetName()))
	}
	if got := drain(rec); !slices.Equal(got, wantEvents) {
		t.Errorf("events\n%q\nwant\n%q", got, wantEvents)
	}
	checkReport(t, report, []wantNodeSet{
		{"controller", KindStatefulSet, "controller", PhasePending, false},
		{"broker", KindDeployment, "broker", PhasePending, false},
	})
	if report.RequeueAfter != requeueWhileRolling || report.Upgrade != nil {
		t.Errorf("first Reconcile: requeueAfter %v upgrade %+v, want %v and no upgrade (an install is not one)",
			report.RequeueAfter, report.Upgrade, requeueWhileRolling)
	}

	// Second reconcile: nothing to do, so nothing written and nothing recorded.
	before := resourceVersions(t, c, objs)
	if report = reconcile(t, a, cluster, opts, report.Upgrade); report.Writes != 0 {
		t.Errorf("second Reconcile wrote %d objects, want 0", report.Writes)
	}
	if after := resourceVersions(t, c, objs); !maps.Equal(before, after) {
		t.Errorf("second Reconcile changed resourceVersions %v -> %v", before, after)
	}
	if got := drain(rec); len(got) != 0 {
		t.Errorf("second Reconcile recorded %q", got)
	}

	// The workload controllers finish (played here through the status subresource).
	setRolledOut(t, c, ns)
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if report.Writes != 0 || !report.Ready() || report.RequeueAfter != 0 {
		t.Errorf("Reconcile after rollout: writes %d ready %v requeueAfter %v, want 0, ready, 0", report.Writes, report.Ready(), report.RequeueAfter)
	}
	checkReport(t, report, []wantNodeSet{
		{"controller", KindStatefulSet, "controller", PhaseReady, true},
		{"broker", KindDeployment, "broker", PhaseReady, true},
	})
	if r := report.NodeSets[0]; r.Desired != 3 || r.Ready != 3 || r.Revision != "rev-1" {
		t.Errorf("controller rollout %+v, want 3 of 3 ready at rev-1", r.Rollout)
	}

	// A new image: one update, the node set rolls again, and that is an upgrade.
	cluster.NodeSets[0].Container.Image = "apachepinot/pinot:1.1.0"
	opts.Generation, opts.LastGeneration = 2, 1
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if report.Writes != 1 || report.Ready() {
		t.Errorf("Reconcile with a new image: writes %d ready %v, want 1 and not ready", report.Writes, report.Ready())
	}
	if r := report.NodeSets[0]; r.Done || r.Phase != PhaseProgressing || r.Message != "waiting for the StatefulSet controller to observe generation 2" {
		t.Errorf("controller after the image change: %+v", r.Rollout)
	}
	wantEvents = []string{
		"Normal Updated Updated StatefulSet basic-controller",
		"Normal UpgradeStarted Upgrade from generation 1 to 2 started: node types roll out one at a time in order controller, broker",
	}
	if got := drain(rec); !slices.Equal(got, wantEvents) {
		t.Errorf("events %q, want %q", got, wantEvents)
	}

	// deletePVCs must not touch the volumes of node sets that are still there.
	volume := pvc("data-basic-controller-0")
	volume.Namespace = ns
	volume.Labels = Labels("pinot", "basic", "controller", "controller")
	if err := c.Create(ctx, volume); err != nil {
		t.Fatal(err)
	}
	opts.DeletePVCs = true
	if report = reconcile(t, a, cluster, opts, report.Upgrade); report.Writes != 0 || len(report.Deleted) != 0 {
		t.Errorf("Reconcile with deletePVCs wrote %d, deleted %v; want nothing", report.Writes, report.Deleted)
	}
	assertAlive(t, c, volume)

	// Node sets removed: their objects go, the ConfigMaps stay, and with deletePVCs the volumes
	// too, once the workload that mounts them is gone.
	cluster.NodeSets = nil
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	wantDeleted := []ObjectKey{
		{"Service", "basic-controller"}, {"Service", "basic-controller-headless"}, {"Service", "basic-broker"},
		{KindStatefulSet, "basic-controller"}, {KindDeployment, "basic-broker"},
		{"PodDisruptionBudget", "basic-controller"}, {"PodDisruptionBudget", "basic-broker"},
	}
	assertKeys(t, "deleted", report.Deleted, wantDeleted)
	if report.Writes != len(wantDeleted) || len(report.NodeSets) != 0 {
		t.Errorf("writes %d, node sets %v; want %d and none", report.Writes, report.NodeSets, len(wantDeleted))
	}
	for _, key := range wantDeleted {
		assertGone(t, c, ns, key)
	}
	assertAlive(t, c, volume)
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	assertKeys(t, "deleted next", report.Deleted, []ObjectKey{{"PersistentVolumeClaim", "data-basic-controller-0"}})
	assertGone(t, c, ns, KeyOf(volume))
	for _, cm := range BuildConfigMaps(cluster) {
		assertAlive(t, c, cm)
	}
}

// threeTypes is a cluster of three node types a, b and c with one node set each, named
// after its type. They are listed c, a, b: the rollout order comes from Options.Order, not
// from the list. Every node set mounts one file of the shared ConfigMap tri-conf.
func threeTypes(namespace string) *Cluster {
	nodeSet := func(name, kind string) NodeSet {
		return NodeSet{
			Name: name, NodeType: name, Kind: kind, Replicas: 2,
			Container: corev1.Container{Image: "example.com/app:1.0", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}},
			Files:     []File{{ConfigMap: "tri-conf", Key: "app.conf", FileName: "app.conf", MountPath: "/etc/app"}},
		}
	}
	return &Cluster{
		App: "app", Instance: "tri", Namespace: namespace,
		ConfigMaps: []ConfigMap{{Name: "tri-conf", Data: map[string]string{"app.conf": "level=1\n"}}},
		NodeSets:   []NodeSet{nodeSet("c", KindStatefulSet), nodeSet("a", KindStatefulSet), nodeSet("b", KindDeployment)},
	}
}

// triOptions roll threeTypes out in order a, b, c, at generation 1, on clk.
func triOptions(clk *clock) Options {
	return Options{Order: []string{"a", "b", "c"}, InstallOrdered: true, UpgradeOrdered: true, Generation: 1, Now: clk.now}
}

// clock is a clock the test moves by hand.
type clock struct{ t time.Time }

func newClock() *clock                   { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }
func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestReconcileInstall(t *testing.T) {
	tests := map[string]struct {
		ordered bool
		// steps lists the node sets whose workloads exist after each reconcile; in between,
		// every workload that exists is marked rolled out.
		steps [][]string
	}{
		"all at once": {ordered: false, steps: [][]string{{"a", "b", "c"}}},
		"ordered":     {ordered: true, steps: [][]string{{"a"}, {"a", "b"}, {"a", "b", "c"}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, a, cluster := setupWith(t, threeTypes)
			rec := events.NewFakeRecorder(100)
			a.Recorder = rec
			opts := triOptions(newClock())
			opts.InstallOrdered = tt.ordered

			var prev *Upgrade
			for i, want := range tt.steps {
				// Twice: until the node types before roll out, reconciling again creates nothing more.
				for range 2 {
					report := reconcile(t, a, cluster, opts, prev)
					prev = report.Upgrade
					if got := existingWorkloads(t, cluster); !slices.Equal(got, want) {
						t.Fatalf("step %d: workloads of %v exist, want %v", i, got, want)
					}
					checkHeld(t, report, []string{"a", "b", "c"}[len(want):])
					if report.RequeueAfter != requeueWhileRolling {
						t.Errorf("step %d: requeueAfter %v while rolling out, want %v", i, report.RequeueAfter, requeueWhileRolling)
					}
				}
				for _, name := range want {
					markRolledOut(t, workload(cluster, name))
				}
			}
			report := reconcile(t, a, cluster, opts, prev)
			if !report.Ready() || report.RequeueAfter != 0 || report.Writes != 0 {
				t.Errorf("after the install: ready %v requeueAfter %v writes %d, want ready, 0, 0", report.Ready(), report.RequeueAfter, report.Writes)
			}
			if got := nodeSetNames(report); !slices.Equal(got, []string{"a", "b", "c"}) {
				t.Errorf("report lists node sets %v, want them in deploymentOrder a, b, c", got)
			}
			// An install is no upgrade: no upgrade state, no upgrade events.
			if report.Upgrade != nil {
				t.Errorf("upgrade %+v after an install, want none", report.Upgrade)
			}
			for _, e := range drain(rec) {
				if strings.Contains(e, "Upgrade") {
					t.Errorf("install recorded %q", e)
				}
			}

			// b stops being ready (a pod died): looked at again until it is back, nothing
			// written, and c, with nothing to change, is not held for it.
			markRollingOut(t, workload(cluster, "b"))
			report = reconcile(t, a, cluster, opts, report.Upgrade)
			if report.Ready() || report.RequeueAfter != requeueWhileRolling || report.Writes != 0 || report.Upgrade != nil {
				t.Errorf("b not ready: ready %v requeueAfter %v writes %d upgrade %+v, want not ready, %v, 0, none",
					report.Ready(), report.RequeueAfter, report.Writes, report.Upgrade, requeueWhileRolling)
			}
			checkHeld(t, report, nil)
			markRolledOut(t, workload(cluster, "b"))
			if report = reconcile(t, a, cluster, opts, report.Upgrade); !report.Ready() || report.RequeueAfter != 0 {
				t.Errorf("b back: ready %v requeueAfter %v, want ready and 0", report.Ready(), report.RequeueAfter)
			}
		})
	}
}

func TestReconcileUpgrade(t *testing.T) {
	tests := map[string]struct {
		ordered bool
		// steps lists the node sets each reconcile updates, those of the steps before having
		// been marked rolled out in between.
		steps [][]string
		// strategy is what the UpgradeStarted event says of the order.
		strategy string
	}{
		"ordered":     {ordered: true, steps: [][]string{{"a"}, {"b"}, {"c"}}, strategy: "node types roll out one at a time in order a, b, c"},
		"all at once": {ordered: false, steps: [][]string{{"a", "b", "c"}}, strategy: "all node types roll out at once"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, a, cluster := setupWith(t, threeTypes)
			clk := newClock()
			opts := triOptions(clk)
			opts.UpgradeOrdered = tt.ordered
			prev := rolledOut(t, a, cluster, opts).Upgrade
			rec := events.NewFakeRecorder(100)
			a.Recorder = rec

			setImage(cluster, "example.com/app:2.0")
			opts.Generation, opts.LastGeneration = 2, 1
			startedAt := clk.now()
			var order []string // node sets in the order their workloads were updated
			for i, step := range tt.steps {
				before := generations(t, cluster)
				report := reconcile(t, a, cluster, opts, prev)
				updated := changedGenerations(t, cluster, before)
				order = append(order, updated...)
				if !slices.Equal(updated, step) {
					t.Fatalf("step %d updated %v, want %v", i, updated, step)
				}
				// The node sets of later steps are held: still on the old image.
				var later []string
				for _, s := range tt.steps[i+1:] {
					later = append(later, s...)
				}
				checkHeld(t, report, later)
				for _, ns := range cluster.NodeSets {
					want := "example.com/app:2.0"
					if slices.Contains(later, ns.Name) {
						want = "example.com/app:1.0"
					}
					if got := podSpec(t, workload(cluster, ns.Name)).Containers[0].Image; got != want {
						t.Errorf("step %d: %s runs %s, want %s", i, ns.Name, got, want)
					}
				}
				u := report.Upgrade
				if u == nil || u.Phase != UpgradeProgressing || u.FromGeneration != 1 || u.ToGeneration != 2 ||
					!u.StartedAt.Time.Equal(startedAt) || u.NodeType != step[0] || !u.NodeTypeStartedAt.Time.Equal(clk.now()) {
					t.Errorf("step %d: upgrade %+v, want generation 1 to 2 started at %v, progressing at node type %s since now", i, u, startedAt, step[0])
				}
				if report.RequeueAfter != requeueWhileRolling || report.Halted {
					t.Errorf("step %d: requeueAfter %v halted %v, want %v and not halted", i, report.RequeueAfter, report.Halted, requeueWhileRolling)
				}
				var want []string
				for _, name := range step {
					want = append(want, "Normal Updated Updated "+describe(workload(cluster, name)))
				}
				if i == 0 {
					want = append(want, "Normal UpgradeStarted Upgrade from generation 1 to 2 started: "+tt.strategy)
				} else {
					want = append(want, fmt.Sprintf("Normal NodeTypeUpgraded Node type %s rolled out generation 2", tt.steps[i-1][0]))
				}
				if got := drain(rec); !slices.Equal(got, want) {
					t.Errorf("step %d: events\n%q\nwant\n%q", i, got, want)
				}

				// Until the step's node sets roll out, nothing moves.
				again := reconcile(t, a, cluster, opts, report.Upgrade)
				if got := changedGenerations(t, cluster, before); again.Writes != 0 || !slices.Equal(got, step) {
					t.Errorf("step %d: a reconcile before the rollout wrote %d objects; updated since the step: %v, want %v", i, again.Writes, got, step)
				}
				if got := drain(rec); len(got) != 0 {
					t.Errorf("step %d: a reconcile before the rollout recorded %q", i, got)
				}
				prev = again.Upgrade
				clk.advance(30 * time.Second)
				for _, name := range step {
					markRolledOut(t, workload(cluster, name))
				}
			}
			if !slices.Equal(order, []string{"a", "b", "c"}) {
				t.Errorf("workloads updated in order %v, want a, b, c", order)
			}

			report := reconcile(t, a, cluster, opts, prev)
			u := report.Upgrade
			wantDuration := (time.Duration(len(tt.steps)) * 30 * time.Second).String()
			if u == nil || u.Phase != UpgradeCompleted || u.FinishedAt == nil || !u.FinishedAt.Time.Equal(clk.now()) || u.Duration != wantDuration || u.Message != "" {
				t.Errorf("upgrade %+v, want Completed now after %s", u, wantDuration)
			}
			if !report.Ready() || report.RequeueAfter != 0 || report.Writes != 0 {
				t.Errorf("after the upgrade: ready %v requeueAfter %v writes %d, want ready, 0, 0", report.Ready(), report.RequeueAfter, report.Writes)
			}
			last := tt.steps[len(tt.steps)-1][0]
			want := []string{
				fmt.Sprintf("Normal NodeTypeUpgraded Node type %s rolled out generation 2", last),
				"Normal UpgradeCompleted Upgrade from generation 1 to 2 completed in " + wantDuration,
			}
			if got := drain(rec); !slices.Equal(got, want) {
				t.Errorf("events\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestReconcileUpgradeHaltsOnFailingPod(t *testing.T) {
	ctx, c, a, cluster := setupWith(t, threeTypes)
	clk := newClock()
	opts := triOptions(clk)
	prev := rolledOut(t, a, cluster, opts).Upgrade

	setImage(cluster, "example.com/app:2.0-broken")
	opts.Generation, opts.LastGeneration = 2, 1
	report := reconcile(t, a, cluster, opts, prev)
	if u := report.Upgrade; u == nil || u.Phase != UpgradeProgressing || u.NodeType != "a" {
		t.Fatalf("upgrade %+v, want progressing at a", u)
	}
	untouched := generations(t, cluster)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec

	// A pod of a's new revision crash-loops (kubelet's report, written by hand here).
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace, pod.Labels = "tri-a-0", cluster.Namespace, Selector(cluster.Instance, "a")
	pod.Spec.Containers = []corev1.Container{{Name: "a", Image: "example.com/app:2.0-broken"}}
	createPod(t, pod, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodRunning
		st.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "a", Image: "example.com/app:2.0-broken", RestartCount: 3,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
		}}
	})
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	wantMessage := "node set a (node type a): pod tri-a-0: container a is in CrashLoopBackOff: back-off 40s restarting failed container"
	if !report.Halted || report.Failure != wantMessage {
		t.Errorf("halted %v failure %q, want halted with %q", report.Halted, report.Failure, wantMessage)
	}
	if u := report.Upgrade; u == nil || u.Phase != UpgradeHalted || u.Message != wantMessage || u.NodeType != "a" {
		t.Errorf("upgrade %+v, want halted at a with %q", u, wantMessage)
	}
	if report.RequeueAfter != requeueWhileRolling {
		t.Errorf("requeueAfter %v while halted, want %v: a halt must be looked at again", report.RequeueAfter, requeueWhileRolling)
	}
	want := []string{"Warning UpgradeHalted Upgrade halted at node type a; later node types are not touched until it recovers or the spec is fixed: " + wantMessage}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	// b and c stay as they are, reconcile after reconcile, and the halt is told once.
	for range 2 {
		clk.advance(10 * time.Second)
		report = reconcile(t, a, cluster, opts, report.Upgrade)
		if !report.Halted || !maps.Equal(generations(t, cluster), untouched) || report.Writes != 0 {
			t.Errorf("halted %v, generations %v (want %v), writes %d", report.Halted, generations(t, cluster), untouched, report.Writes)
		}
		if got := drain(rec); len(got) != 0 {
			t.Errorf("a halt already recorded was recorded again: %q", got)
		}
	}

	// The crashing pod goes (its replacement is starting): the upgrade resumes at a, b still waits.
	if err := c.Delete(ctx, pod); err != nil {
		t.Fatal(err)
	}
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if u := report.Upgrade; report.Halted || report.Failure != "" || u.Phase != UpgradeProgressing || u.Message != "" || u.NodeType != "a" {
		t.Errorf("after the pod went: halted %v failure %q upgrade %+v, want progressing at a", report.Halted, report.Failure, u)
	}
	if !maps.Equal(generations(t, cluster), untouched) {
		t.Errorf("generations %v, want %v: b must wait for a", generations(t, cluster), untouched)
	}
	want = []string{"Normal UpgradeResumed Upgrade resumed: node type a is rolling out again"}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	// a rolls out: b is next, c still waits.
	markRolledOut(t, workload(cluster, "a"))
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if got := changedGenerations(t, cluster, untouched); !slices.Equal(got, []string{"b"}) {
		t.Errorf("updated %v after a rolled out, want b", got)
	}
	if u := report.Upgrade; u.Phase != UpgradeProgressing || u.NodeType != "b" {
		t.Errorf("upgrade %+v, want progressing at b", u)
	}
	want = []string{"Normal Updated Updated Deployment tri-b", "Normal NodeTypeUpgraded Node type a rolled out generation 2"}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestReconcileUpgradeHaltsAtDeadline(t *testing.T) {
	_, _, a, cluster := setupWith(t, threeTypes)
	clk := newClock()
	opts := triOptions(clk)
	opts.ProgressDeadline = time.Minute
	prev := rolledOut(t, a, cluster, opts).Upgrade

	setImage(cluster, "example.com/app:2.0")
	opts.Generation, opts.LastGeneration = 2, 1
	report := reconcile(t, a, cluster, opts, prev)
	untouched := generations(t, cluster)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec

	// a never rolls out. At the deadline itself it still may.
	clk.advance(time.Minute)
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	if u := report.Upgrade; report.Halted || u.Phase != UpgradeProgressing {
		t.Errorf("at the deadline: halted %v upgrade %+v, want still progressing", report.Halted, u)
	}
	clk.advance(time.Second)
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	wantMessage := "node type a has not rolled out within the progress deadline of 1m0s: node set a: waiting for the StatefulSet controller to observe generation 2"
	if u := report.Upgrade; !report.Halted || u.Phase != UpgradeHalted || u.Message != wantMessage {
		t.Errorf("past the deadline: halted %v upgrade %+v, want halted with %q", report.Halted, u, wantMessage)
	}
	want := []string{"Warning UpgradeHalted Upgrade halted at node type a; later node types are not touched until it recovers or the spec is fixed: " + wantMessage}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if !maps.Equal(generations(t, cluster), untouched) {
		t.Errorf("generations %v, want %v: a halt must leave b and c alone", generations(t, cluster), untouched)
	}

	// The fix is a new spec: a gets it at once, with a fresh deadline, and the upgrade resumes.
	setImage(cluster, "example.com/app:2.1")
	opts.Generation, opts.LastGeneration = 3, 2
	report = reconcile(t, a, cluster, opts, report.Upgrade)
	u := report.Upgrade
	if report.Halted || u.Phase != UpgradeProgressing || u.FromGeneration != 1 || u.ToGeneration != 3 || u.NodeType != "a" || !u.NodeTypeStartedAt.Time.Equal(clk.now()) {
		t.Errorf("after a new generation: halted %v upgrade %+v, want progressing from 1 to 3 at a since now", report.Halted, u)
	}
	if got := changedGenerations(t, cluster, untouched); !slices.Equal(got, []string{"a"}) {
		t.Errorf("the new generation updated %v, want only a", got)
	}
	want = []string{"Normal Updated Updated StatefulSet tri-a", "Normal UpgradeResumed Upgrade resumed: node type a is rolling out again"}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// Config is content-addressed: a change makes a new ConfigMap, node sets move onto it as the
// upgrade reaches them, and the old one goes once nothing can need it any more.
func TestReconcileConfigMapsDuringUpgrade(t *testing.T) {
	_, c, a, cluster := setupWith(t, threeTypes)
	opts := triOptions(newClock())
	prev := rolledOut(t, a, cluster, opts).Upgrade
	oldCM := BuildConfigMaps(cluster)[0]

	cluster.ConfigMaps[0].Data = map[string]string{"app.conf": "level=2\n"}
	newCM := BuildConfigMaps(cluster)[0]
	if newCM.Name == oldCM.Name {
		t.Fatalf("a config change kept the ConfigMap name %s", oldCM.Name)
	}
	opts.Generation, opts.LastGeneration = 2, 1
	for i, step := range []string{"a", "b", "c"} {
		report := reconcile(t, a, cluster, opts, prev)
		prev = report.Upgrade
		// Node sets the upgrade reached read the new ConfigMap; held ones still read the old one.
		for j, name := range []string{"a", "b", "c"} {
			want := newCM.Name
			if j > i {
				want = oldCM.Name
			}
			if got := mountedConfigMaps(podSpec(t, workload(cluster, name))); !slices.Equal(got, []string{want}) {
				t.Errorf("step %s: %s mounts %v, want %s", step, name, got, want)
			}
		}
		// Kept even at c, when no workload refers to it: pods of the old revision still run.
		assertAlive(t, c, oldCM)
		assertAlive(t, c, newCM)
		if slices.Contains(report.Deleted, KeyOf(oldCM)) {
			t.Errorf("step %s deleted the old ConfigMap", step)
		}
		markRolledOut(t, workload(cluster, step))
	}

	report := reconcile(t, a, cluster, opts, prev)
	if !report.Ready() || report.Upgrade.Phase != UpgradeCompleted {
		t.Fatalf("ready %v upgrade %+v, want ready and completed", report.Ready(), report.Upgrade)
	}
	assertKeys(t, "deleted", report.Deleted, []ObjectKey{KeyOf(oldCM)})
	assertGone(t, c, cluster.Namespace, KeyOf(oldCM))
	if got := live(t, c, newCM); got.Immutable == nil || !*got.Immutable || got.Data["app.conf"] != "level=2\n" {
		t.Errorf("new ConfigMap immutable %v data %v, want immutable with the new data", got.Immutable, got.Data)
	}
	if again := reconcile(t, a, cluster, opts, report.Upgrade); again.Writes != 0 || len(again.Deleted) != 0 {
		t.Errorf("next reconcile wrote %d, deleted %v; want nothing", again.Writes, again.Deleted)
	}
}

// At rest, a reconcile sends no write and records nothing, after an install as after an upgrade.
func TestReconcileIdleWritesNothing(t *testing.T) {
	_, c, a, cluster := setupWith(t, threeTypes)
	opts := triOptions(newClock())
	opts.UpgradeOrdered = false
	prev := rolledOut(t, a, cluster, opts).Upgrade

	idle := func(what string) {
		t.Helper()
		rec := events.NewFakeRecorder(100)
		a.Recorder = rec
		objs := allObjects(t, cluster)
		before := resourceVersions(t, c, objs)
		report := reconcile(t, a, cluster, opts, prev)
		if report.Writes != 0 || len(report.Deleted) != 0 || report.RequeueAfter != 0 || !report.Ready() {
			t.Errorf("%s: writes %d deleted %v requeueAfter %v ready %v, want 0, none, 0, ready",
				what, report.Writes, report.Deleted, report.RequeueAfter, report.Ready())
		}
		if report.Upgrade != prev {
			t.Errorf("%s: upgrade %+v, want the one passed in (%+v) unchanged", what, report.Upgrade, prev)
		}
		if after := resourceVersions(t, c, objs); !maps.Equal(before, after) {
			t.Errorf("%s: resourceVersions %v -> %v", what, before, after)
		}
		if got := drain(rec); len(got) != 0 {
			t.Errorf("%s: recorded %q", what, got)
		}
	}
	idle("after the install")

	setImage(cluster, "example.com/app:2.0")
	opts.Generation, opts.LastGeneration = 2, 1
	prev = reconcile(t, a, cluster, opts, prev).Upgrade
	for _, name := range []string{"a", "b", "c"} {
		markRolledOut(t, workload(cluster, name))
	}
	if prev = reconcile(t, a, cluster, opts, prev).Upgrade; prev.Phase != UpgradeCompleted {
		t.Fatalf("upgrade %+v, want completed", prev)
	}
	opts.LastGeneration = 2
	idle("after an upgrade")

	// A hand edit of a workload's labels is reverted, and that is no upgrade: the record of
	// the last real one stays.
	w := live(t, c, workload(cluster, "b"))
	delete(w.GetLabels(), LabelComponent)
	if err := c.Update(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec
	report := reconcile(t, a, cluster, opts, prev)
	if report.Writes != 1 || report.Upgrade != prev || !report.Ready() {
		t.Errorf("after a label edit: writes %d upgrade %+v ready %v, want 1 write, the upgrade passed in (%+v), ready",
			report.Writes, report.Upgrade, report.Ready(), prev)
	}
	if got, want := drain(rec), []string{"Normal Updated Updated Deployment tri-b"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// reconcile runs Reconcile and fails the test on an error.
func reconcile(t *testing.T, a *Applier, c *Cluster, opts Options, prev *Upgrade) *Report {
	t.Helper()
	r, err := a.Reconcile(t.Context(), c, opts, prev)
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	a.RecordEvents(r.Events) // as a controller does once the status is stored
	return r
}

// rolledOut installs c all at once and plays the workload controllers to the end, so a test
// starts from a cluster at rest. It returns the report of a reconcile at rest.
func rolledOut(t *testing.T, a *Applier, c *Cluster, opts Options) *Report {
	t.Helper()
	opts.InstallOrdered = false
	reconcile(t, a, c, opts, nil)
	for _, ns := range c.NodeSets {
		markRolledOut(t, workload(c, ns.Name))
	}
	r := reconcile(t, a, c, opts, nil)
	if !r.Ready() || r.Upgrade != nil || r.Writes != 0 {
		t.Fatalf("installed cluster: ready %v upgrade %+v writes %d, want ready, no upgrade, no writes", r.Ready(), r.Upgrade, r.Writes)
	}
	return r
}

// markRolledOut writes the status the StatefulSet or Deployment controller writes once every
// pod runs the workload's current generation and is ready: its Rollout is Done.
func markRolledOut(t *testing.T, obj client.Object) {
	t.Helper()
	setWorkloadStatus(t, obj, true)
}

// markRollingOut writes the status of a rollout under way: the controller has seen the
// current generation but no pod runs it yet, so the Rollout is not Done.
func markRollingOut(t *testing.T, obj client.Object) {
	t.Helper()
	setWorkloadStatus(t, obj, false)
}

func setWorkloadStatus(t *testing.T, obj client.Object, done bool) {
	t.Helper()
	c := needAPIServer(t)
	w := live(t, c, obj)
	switch w := w.(type) {
	case *appsv1.StatefulSet:
		n, rev := *w.Spec.Replicas, fmt.Sprintf("rev-%d", w.Generation)
		w.Status = appsv1.StatefulSetStatus{
			ObservedGeneration: w.Generation, Replicas: n, ReadyReplicas: n, AvailableReplicas: n,
			CurrentReplicas: n, UpdatedReplicas: n, CurrentRevision: rev, UpdateRevision: rev,
		}
		if !done {
			w.Status.UpdatedReplicas, w.Status.CurrentRevision = 0, fmt.Sprintf("rev-%d", w.Generation-1)
		}
	case *appsv1.Deployment:
		n := *w.Spec.Replicas
		w.Status = appsv1.DeploymentStatus{ObservedGeneration: w.Generation, Replicas: n, ReadyReplicas: n, AvailableReplicas: n, UpdatedReplicas: n}
		if !done {
			w.Status.UpdatedReplicas = 0
		}
	default:
		t.Fatalf("%s is no workload", describe(obj))
	}
	if err := c.Status().Update(t.Context(), w); err != nil {
		t.Fatalf("status of %s: %v", describe(obj), err)
	}
	// A helper that missed would make every test built on it prove nothing.
	if got := rolloutOf(live(t, c, obj)); got.Done != done {
		t.Fatalf("%s: rollout %+v after setting its status, want done=%v", describe(obj), got, done)
	}
}

// setRolledOut marks both workloads of testCluster rolled out.
func setRolledOut(t *testing.T, c client.Client, ns string) {
	t.Helper()
	markRolledOut(t, objectOf(ObjectKey{KindStatefulSet, "basic-controller"}, ns))
	markRolledOut(t, objectOf(ObjectKey{KindDeployment, "basic-broker"}, ns))
}

// workload returns an empty object naming the workload of node set name, to Get.
func workload(c *Cluster, name string) client.Object {
	for _, ns := range c.NodeSets {
		if ns.Name == name {
			return objectOf(ObjectKey{ns.Kind, ObjectName(c.Instance, ns.Name)}, c.Namespace)
		}
	}
	panic("no node set " + name)
}

// existingWorkloads lists, sorted, the node sets whose workload exists.
func existingWorkloads(t *testing.T, c *Cluster) []string {
	t.Helper()
	var out []string
	for name, gen := range generations(t, c) {
		if gen > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// generations maps node sets to the generation of their live workload (0: none).
func generations(t *testing.T, c *Cluster) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, ns := range c.NodeSets {
		obj := workload(c, ns.Name)
		err := needAPIServer(t).Get(t.Context(), client.ObjectKeyFromObject(obj), obj)
		switch {
		case apierrors.IsNotFound(err):
			out[ns.Name] = 0
		case err != nil:
			t.Fatal(err)
		default:
			out[ns.Name] = obj.GetGeneration()
		}
	}
	return out
}

// changedGenerations lists, sorted, the node sets whose workload generation moved since before.
func changedGenerations(t *testing.T, c *Cluster, before map[string]int64) []string {
	t.Helper()
	var out []string
	for name, gen := range generations(t, c) {
		if gen != before[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// checkHeld checks that exactly the node sets held are reported Held, and not Done.
func checkHeld(t *testing.T, r *Report, held []string) {
	t.Helper()
	for _, ns := range r.NodeSets {
		want := slices.Contains(held, ns.Name)
		if ns.Held != want || (want && ns.Done) {
			t.Errorf("node set %s: held %v done %v (%s), want held %v", ns.Name, ns.Held, ns.Done, ns.Message, want)
		}
	}
}

func nodeSetNames(r *Report) []string {
	var out []string
	for _, ns := range r.NodeSets {
		out = append(out, ns.Name)
	}
	return out
}

func setImage(c *Cluster, image string) {
	for i := range c.NodeSets {
		c.NodeSets[i].Container.Image = image
	}
}

// podSpec returns the pod template spec of a live workload.
func podSpec(t *testing.T, obj client.Object) corev1.PodSpec {
	t.Helper()
	w := live(t, needAPIServer(t), obj)
	if !isWorkload(w) {
		t.Fatalf("%s is no workload", describe(obj))
	}
	return podSpecOf(w)
}

// mountedConfigMaps lists, sorted and once each, the ConfigMaps a pod spec projects.
func mountedConfigMaps(spec corev1.PodSpec) []string {
	var out []string
	for _, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ConfigMap != nil && !slices.Contains(out, s.ConfigMap.Name) {
				out = append(out, s.ConfigMap.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// createPod creates pod and then sets its status, as the kubelet would, through the status
// subresource (a create ignores the status).
func createPod(t *testing.T, pod *corev1.Pod, status func(*corev1.PodStatus)) {
	t.Helper()
	c := needAPIServer(t)
	if err := c.Create(t.Context(), pod); err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
	status(&pod.Status)
	if err := c.Status().Update(t.Context(), pod); err != nil {
		t.Fatalf("status of pod %s: %v", pod.Name, err)
	}
}

type wantNodeSet struct {
	name, kind, nodeType string
	phase                Phase
	done                 bool
}

func checkReport(t *testing.T, r *Report, want []wantNodeSet) {
	t.Helper()
	if len(r.NodeSets) != len(want) {
		t.Fatalf("report has %d node sets, want %d", len(r.NodeSets), len(want))
	}
	for i, w := range want {
		got := r.NodeSets[i]
		if got.Name != w.name || got.Kind != w.kind || got.NodeType != w.nodeType || got.Phase != w.phase || got.Done != w.done {
			t.Errorf("node set %d = %s %s %s %s done=%v (%s), want %+v", i, got.Name, got.Kind, got.NodeType, got.Phase, got.Done, got.Message, w)
		}
	}
}
