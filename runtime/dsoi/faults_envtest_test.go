package dsoi

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// Injected API faults. The runtime is driven through an ordered install, an ordered upgrade,
// a config roll and the removal of a node set, with a client that fails every distinct call
// (verb, kind and name) the first time it is made, so every call site fails once. After every
// reconcile the invariants hold: nothing a node set uses is deleted, no node type is touched
// before the ones ahead of it are rolled out, a failed call is an error of the reconcile (never
// swallowed), and once the faults stop everything converges to what a run without faults gives.

// fault is one kind of failure the API server or the network can give.
type fault struct {
	name string
	err  func(call string) error
}

var injectedFaults = []fault{
	{"server error", func(call string) error {
		return apierrors.NewInternalError(fmt.Errorf("injected: %s", call))
	}},
	{"timeout", func(call string) error {
		return apierrors.NewTimeoutError("injected: "+call, 1)
	}},
	{"conflict", func(call string) error {
		return apierrors.NewConflict(schema.GroupResource{Resource: "injected"}, call, errors.New("injected"))
	}},
	{"deadline", func(call string) error {
		return fmt.Errorf("injected: %s: %w", call, context.DeadlineExceeded)
	}},
}

// faultyClient fails each distinct call once, when on, at most one per reconcile, and keeps
// what it did. A call is the
// phase, the line of the runtime that makes it, verb, kind and name: the List of ConfigMaps
// that prunes and the one that keeps those still mounted are two calls.
type faultyClient struct {
	fault  fault
	on     bool
	phase  string
	seen   map[string]int // calls made in this reconcile
	failed map[string]bool
	// hit lists the calls failed since the last take.
	hit []string
	// deleted lists the objects deleted (successfully) since the last take.
	deleted []ObjectKey
}

func (f *faultyClient) fail(verb string, obj any, name string) error {
	if !f.on {
		return nil
	}
	kind := fmt.Sprintf("%T", obj)
	kind = kind[strings.LastIndex(kind, ".")+1:]
	call := fmt.Sprintf("%s: %s: %s", f.phase, callSite(), strings.TrimSpace(verb+" "+kind+" "+name))
	f.seen[call]++
	call = fmt.Sprintf("%s #%d", call, f.seen[call])
	if f.failed[call] || len(f.hit) > 0 { // one fault per reconcile: it must end that reconcile
		return nil
	}
	f.failed[call] = true
	f.hit = append(f.hit, call)
	return f.fault.err(call)
}

// callSite names the lines of the runtime that led to the call (helpers such as listInstance
// serve several callers, each a call of its own).
func callSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	var site []string
	for {
		frame, more := frames.Next()
		if strings.Contains(frame.Function, "/runtime/dsoi.") && !strings.HasSuffix(frame.File, "_test.go") {
			site = append(site, fmt.Sprintf("%s:%d", frame.Function[strings.LastIndex(frame.Function, "/")+1:], frame.Line))
		}
		if !more || len(site) == 3 {
			return strings.Join(site, " < ")
		}
	}
}

func (f *faultyClient) take() (hit []string, deleted []ObjectKey) {
	hit, deleted = f.hit, f.deleted
	f.hit, f.deleted, f.seen = nil, nil, map[string]int{}
	return hit, deleted
}

func newFaultyClient(t *testing.T, fl fault) (*faultyClient, client.Client) {
	t.Helper()
	watching, err := client.NewWithWatch(apiConfig, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyClient{fault: fl, seen: map[string]int{}, failed: map[string]bool{}}
	c := interceptor.NewClient(watching, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if err := f.fail("get", obj, key.Name); err != nil {
				return err
			}
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if err := f.fail("list", list, ""); err != nil {
				return err
			}
			return c.List(ctx, list, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := f.fail("create", obj, obj.GetName()); err != nil {
				return err
			}
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if err := f.fail("update", obj, obj.GetName()); err != nil {
				return err
			}
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if err := f.fail("patch", obj, obj.GetName()); err != nil {
				return err
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if err := f.fail("delete", obj, obj.GetName()); err != nil {
				return err
			}
			err := c.Delete(ctx, obj, opts...)
			if err == nil {
				f.deleted = append(f.deleted, KeyOf(obj))
			}
			return err
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if err := f.fail("update/"+sub, obj, obj.GetName()); err != nil {
				return err
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := f.fail("patch/"+sub, obj, obj.GetName()); err != nil {
				return err
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	return f, c
}

// faultRun drives one cluster through the phases and checks the invariants on the way.
type faultRun struct {
	t       *testing.T
	a       *Applier
	cluster *Cluster
	opts    Options
	prev    *Upgrade
	faults  *faultyClient // nil: no faults
	// reconciles and errors count the reconciles run and those that returned an error.
	reconciles, errors int
	// doneMounts holds, per workload, the ConfigMaps its template mounted when it was last
	// rolled out: while it rolls again, its pods of that revision still mount them.
	doneMounts map[string][]string
}

// faultPhase is one change to the cluster and what marks a node set as reached by it.
type faultPhase struct {
	name   string
	change func(c *Cluster)
	// reached reports whether a live workload carries the change; nil for a removal.
	reached func(w client.Object) bool
}

func faultPhases() []faultPhase {
	exists := func(client.Object) bool { return true }
	image := func(want string) func(client.Object) bool {
		return func(w client.Object) bool { return podSpecOf(w).Containers[0].Image == want }
	}
	return []faultPhase{
		{"install", func(*Cluster) {}, exists},
		{"upgrade", func(c *Cluster) { setImage(c, "example.com/app:2.0") }, image("example.com/app:2.0")},
		{"config roll", func(c *Cluster) { c.ConfigMaps[0].Data = map[string]string{"app.conf": "level=2\n"} }, func(w client.Object) bool {
			return slices.Contains(mountedConfigMaps(podSpecOf(w)), ConfigMapName(ConfigMap{Name: "tri-conf", Data: map[string]string{"app.conf": "level=2\n"}}))
		}},
		{"remove node set", func(c *Cluster) {
			c.NodeSets = slices.DeleteFunc(c.NodeSets, func(ns NodeSet) bool { return ns.Name == "c" })
		}, nil},
	}
}

func podSpecOf(w client.Object) corev1.PodSpec {
	switch w := w.(type) {
	case *appsv1.StatefulSet:
		return w.Spec.Template.Spec
	case *appsv1.Deployment:
		return w.Spec.Template.Spec
	}
	panic(fmt.Sprintf("%T is no workload", w))
}

// run applies p and reconciles until the cluster is at rest, playing the workload
// controllers in between, with faults on while they last.
func (r *faultRun) run(p faultPhase) {
	t := r.t
	t.Helper()
	p.change(r.cluster)
	if p.name != "install" {
		r.opts.Generation++
	}
	if r.faults != nil {
		r.faults.on, r.faults.phase = true, p.name
	}
	calmRounds := 0
	for range 400 {
		before := r.reachedSet(p)
		report, err := r.a.Reconcile(t.Context(), r.cluster, r.opts, r.prev)
		r.reconciles++
		var hit []string
		var deleted []ObjectKey
		if r.faults != nil {
			hit, deleted = r.faults.take()
		}
		r.checkInvariants(p, before, deleted)
		switch {
		case err != nil && len(hit) == 0:
			t.Fatalf("%s: reconcile failed with no fault injected: %v", p.name, err)
		case err != nil:
			r.errors++
			if !strings.Contains(err.Error(), "injected") {
				t.Errorf("%s: the error of a reconcile with failed calls %v does not carry the cause: %v", p.name, hit, err)
			}
		case len(hit) > 0:
			t.Errorf("%s: calls %v failed and the reconcile reported success (a swallowed error)", p.name, hit)
		}
		if err == nil {
			r.a.RecordEvents(report.Events)
			r.prev = report.Upgrade
			r.opts.LastGeneration = r.opts.Generation
			r.opts.LastConditions = nil
		}
		// The workload controllers finish whatever they were given, after a reconcile that
		// succeeded: a rollout stays under way through the failed ones, so they meet faults
		// mid-rollout too.
		for _, ns := range r.cluster.NodeSets {
			if err != nil {
				break
			}
			w := workload(r.cluster, ns.Name)
			if err := apiClient.Get(t.Context(), client.ObjectKeyFromObject(w), w); err == nil && !rolloutOf(w).Done {
				markRolledOut(t, w)
			}
		}
		if err == nil && report.Ready() && report.Writes == 0 && len(hit) == 0 && len(report.Deleted) == 0 && report.RequeueAfter == 0 {
			calmRounds++
			if calmRounds == 2 {
				if r.faults != nil {
					r.faults.on = false
				}
				return
			}
		} else {
			calmRounds = 0
		}
	}
	t.Fatalf("%s: no rest after 400 reconciles", p.name)
}

// reachedSet lists, in rollout order, the node sets whose live workload carries p's change.
func (r *faultRun) reachedSet(p faultPhase) []string {
	if p.reached == nil {
		return nil
	}
	var out []string
	for _, name := range r.opts.Order {
		if !slices.ContainsFunc(r.cluster.NodeSets, func(ns NodeSet) bool { return ns.Name == name }) {
			continue
		}
		w := workload(r.cluster, name)
		if err := apiClient.Get(r.t.Context(), client.ObjectKeyFromObject(w), w); err == nil && p.reached(w) {
			out = append(out, name)
		}
	}
	return out
}

// checkInvariants runs after every reconcile, failed or not.
func (r *faultRun) checkInvariants(p faultPhase, before []string, deleted []ObjectKey) {
	t := r.t
	t.Helper()
	ctx := t.Context()
	// Every ConfigMap a workload mounts exists, and nothing of a node set in the spec was deleted.
	var workloads []client.Object
	for _, ns := range r.cluster.NodeSets {
		w := workload(r.cluster, ns.Name)
		if err := apiClient.Get(ctx, client.ObjectKeyFromObject(w), w); err == nil {
			workloads = append(workloads, w)
		}
	}
	for _, w := range workloads {
		mounts := mountedConfigMaps(podSpecOf(w))
		if rolloutOf(w).Done {
			r.doneMounts[w.GetName()] = mounts
		} else {
			mounts = append(mounts, r.doneMounts[w.GetName()]...)
		}
		for _, cm := range mounts {
			if err := apiClient.Get(ctx, client.ObjectKey{Namespace: r.cluster.Namespace, Name: cm}, &corev1.ConfigMap{}); err != nil {
				t.Errorf("%s: ConfigMap %s, mounted by %s or its pods of the last revision, is gone: %v", p.name, cm, describe(w), err)
			}
		}
	}
	for _, key := range deleted {
		for _, ns := range r.cluster.NodeSets {
			if key.Name == ObjectName(r.cluster.Instance, ns.Name) || strings.HasPrefix(key.Name, ObjectName(r.cluster.Instance, ns.Name)+"-") {
				t.Errorf("%s: deleted %s %s of node set %s, which is in the spec", p.name, key.Kind, key.Name, ns.Name)
			}
		}
	}
	// Node types in order: what the change reached is a prefix of the order, it grew by at
	// most one node type, and only once those before it had rolled out.
	if p.reached == nil {
		return
	}
	after := r.reachedSet(p)
	var order []string
	for _, name := range r.opts.Order {
		if slices.ContainsFunc(r.cluster.NodeSets, func(ns NodeSet) bool { return ns.Name == name }) {
			order = append(order, name)
		}
	}
	if !slices.Equal(after, order[:len(after)]) {
		t.Errorf("%s: the change reached %v, not a prefix of the order %v", p.name, after, order)
	}
	if len(after) > len(before)+1 {
		t.Errorf("%s: one reconcile took the change from %v to %v", p.name, before, after)
	}
}

// state is what a run leaves: every object of the instance with what matters of it.
func (r *faultRun) state() []string {
	t := r.t
	var out []string
	lists := []client.ObjectList{&corev1.ConfigMapList{}, &corev1.ServiceList{}, &appsv1.StatefulSetList{}, &appsv1.DeploymentList{}}
	for _, list := range lists {
		objs, err := r.a.listInstance(t.Context(), r.cluster, list)
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range objs {
			line := KeyOf(obj).Kind + " " + obj.GetName()
			if isWorkload(obj) {
				spec := podSpecOf(obj)
				line += fmt.Sprintf(" image=%s mounts=%v", spec.Containers[0].Image, mountedConfigMaps(spec))
			}
			out = append(out, line)
		}
	}
	sort.Strings(out)
	return out
}

func newFaultRun(t *testing.T, fl *fault) *faultRun {
	_, _, a, cluster := setupWith(t, threeTypes)
	clk := newClock()
	r := &faultRun{t: t, a: a, cluster: cluster, opts: triOptions(clk), doneMounts: map[string][]string{}}
	if fl != nil {
		r.faults, a.Client = newFaultyClient(t, *fl)
		a.APIReader = a.Client
	}
	return r
}

func TestReconcileSurvivesInjectedFaults(t *testing.T) {
	clean := newFaultRun(t, nil)
	var want [][]string
	for _, p := range faultPhases() {
		clean.run(p)
		want = append(want, clean.state())
	}
	if clean.errors != 0 {
		t.Fatalf("the run without faults had %d failed reconciles", clean.errors)
	}
	for _, fl := range injectedFaults {
		t.Run(fl.name, func(t *testing.T) {
			r := newFaultRun(t, &fl)
			for i, p := range faultPhases() {
				r.run(p)
				if got := r.state(); !slices.Equal(got, want[i]) {
					t.Errorf("after %s with faults:\n%s\nwithout faults:\n%s", p.name, strings.Join(got, "\n"), strings.Join(want[i], "\n"))
				}
			}
			if len(r.faults.failed) < 20 {
				t.Errorf("only %d calls failed: the run did not go through the runtime", len(r.faults.failed))
			}
			t.Logf("%d distinct calls failed once each; %d reconciles, %d of them failed", len(r.faults.failed), r.reconciles, r.errors)
		})
	}
}
