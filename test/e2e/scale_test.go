package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// scaleCase is the golden operator the scale test runs, cut to its first scaleNodeTypes
	// node types (one node set each in the sample) and without volumes, so the figures are
	// the operator's and not storage's.
	scaleCase      = "pinot"
	scaleNodeTypes = 2
	// scaleNamespaces spread the CRs.
	scaleNamespaces = 5
)

// TestScale runs one operator for many CRs (DSOI_SCALE, 10 unless set; `make bench-scale`
// runs 100) spread over namespaces: all must become Available, then all are upgraded at once
// and every upgrade must complete, none starved by the others. The same StatefulSets are then
// applied without the operator, in fresh namespaces of the same cluster, for comparison.
// Figures: time to Available (operator and cluster alone), upgrade times, the operator's peak
// memory and its API requests per reconcile; with DSOI_E2E_BENCH=1 also as a SCALE line.
func TestScale(t *testing.T) {
	root, bin := environment(t)
	n := 10
	if v := os.Getenv("DSOI_SCALE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("DSOI_SCALE=%q: want a number of CRs", v)
		}
	}
	// KWOK nodes take 110 pods each: room for the operator's pods and the copies applied
	// without it, two per node set.
	g := setUp(t, root, bin, scaleCase, "dsoi-scale", max(3, 2*n*scaleNodeTypes/100+1))
	app, sample, cluster, c, ctx := g.app, g.sample, g.cluster, g.c, t.Context()

	// The CR: the first node types only, no volumes, health gates answered by a test server.
	cr := CR{sample.DeepCopy()}
	for _, node := range cr.Nodes(app.AppConfigField()) {
		if i := slices.Index(cr.Order(), node.NodeType); i >= scaleNodeTypes || i < 0 {
			cr.RemoveNode(node.Name, app.AppConfigField())
		}
	}
	// No volumes, and no resource requests: a KWOK node has 32 CPUs, and what is measured is
	// the operator, not the scheduler packing pods.
	for _, kc := range cr.items("spec", "k8sConfig") {
		delete(kc, "storageConfig")
		delete(kc, "resources")
	}
	health := newAppHealth(app)
	t.Cleanup(health.Close)
	health.address(app, cr)
	nodeSets := len(cr.Nodes(app.AppConfigField()))

	namespaces := func(prefix string) []string {
		var out []string
		for i := range scaleNamespaces {
			ns := fmt.Sprintf("%s-%d", prefix, i)
			if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				t.Fatal(err)
			}
			out = append(out, ns)
		}
		return out
	}
	crNamespaces := namespaces("scale")
	keys := make([]client.ObjectKey, n)
	for i := range keys {
		keys[i] = client.ObjectKey{Namespace: crNamespaces[i%scaleNamespaces], Name: fmt.Sprintf("%s-%03d", scaleCase, i)}
	}
	op := startOperator(t, g.manager, cluster.Kubeconfig, filepath.Join(g.work, "manager.log"))
	t.Cleanup(func() {
		if t.Failed() {
			dumpPods(t, c, crNamespaces)
		}
	})

	// All CRs at once: each must become Available.
	start := time.Now()
	for _, key := range keys {
		obj := cr.DeepCopy()
		obj.SetNamespace(key.Namespace)
		obj.SetName(key.Name)
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	available := eventually(t, 10*time.Minute, fmt.Sprintf("%d CRs to be Available", n), func() string {
		return everyCR(t, c, sample, crNamespaces, n, func(cr CR) string { return cond(cr, "Available", "True") })
	})
	toAvailable := available.Sub(start)
	reconciles, err := op.Reconciles(start, available)
	if err != nil {
		t.Fatal(err)
	}
	req, err := countRequests(cluster.AuditLog(), managerAgent, start, available)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d CRs (%d node sets each) Available %s after they were created: %d reconciles, %s", n, nodeSets, toAvailable.Round(time.Millisecond), reconciles, req)

	// All upgraded at once: every upgrade completes; the slowest shows whether any starved.
	upgradeStart := time.Now()
	image := withTag(cr.Image(cr.K8sConfigNames()[0]), "scale-next")
	for _, key := range keys {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(sample.GroupVersionKind())
		if err := c.Get(ctx, key, u); err != nil {
			t.Fatal(err)
		}
		for _, k := range (CR{u}).K8sConfigNames() {
			(CR{u}).SetImage(k, image)
		}
		if err := c.Update(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	doneAt := map[string]time.Duration{}
	eventually(t, 10*time.Minute, fmt.Sprintf("%d upgrades to complete", n), func() string {
		return everyCR(t, c, sample, crNamespaces, n, func(cr CR) string {
			up, ok := cr.Upgrade()
			if !ok || up.Phase != "Completed" || up.ToGeneration < 2 {
				return fmt.Sprintf("upgrade %+v", up)
			}
			mu.Lock()
			defer mu.Unlock()
			if _, seen := doneAt[cr.GetNamespace()+"/"+cr.GetName()]; !seen {
				doneAt[cr.GetNamespace()+"/"+cr.GetName()] = time.Since(upgradeStart)
			}
			return ""
		})
	})
	upgrades := slices.Sorted(func(yield func(time.Duration) bool) {
		for _, d := range doneAt {
			if !yield(d) {
				return
			}
		}
	})
	median, slowest := upgrades[len(upgrades)/2], upgrades[len(upgrades)-1]
	upgradeReq, err := countRequests(cluster.AuditLog(), managerAgent, upgradeStart, upgradeStart.Add(slowest))
	if err != nil {
		t.Fatal(err)
	}
	// A status write refused means a reconcile acted on a copy of its CR older than its own
	// last write. A workload update may meet the workload controller's own status write.
	statusConflicts := 0
	for what, count := range upgradeReq.Detail {
		if strings.Contains(what, "/status") && strings.Contains(what, "409") {
			statusConflicts += count
		}
	}
	if statusConflicts != 0 {
		t.Errorf("the operator's status writes met %d conflicts while upgrading %d CRs, want none: %s", statusConflicts, n, upgradeReq)
	}
	rss, err := op.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d upgrades at once: median %s, slowest %s; %s; peak RSS %.1f MiB", n, median.Round(time.Millisecond), slowest.Round(time.Millisecond),
		upgradeReq, float64(rss)/(1<<20))
	op.Stop()

	// The cluster alone: the operator's StatefulSets, as it wrote them, in fresh namespaces.
	var written []appsv1.StatefulSet
	for _, ns := range crNamespaces {
		var sts appsv1.StatefulSetList
		if err := c.List(ctx, &sts, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		written = append(written, sts.Items...)
	}
	if len(written) != n*nodeSets {
		t.Fatalf("%d StatefulSets for %d CRs of %d node sets", len(written), n, nodeSets)
	}
	baseNamespaces := namespaces("alone")
	alone := time.Now()
	for i, w := range written {
		sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: baseNamespaces[i%scaleNamespaces], Name: fmt.Sprintf("%s-%d", w.Name, i),
			Labels: w.Labels}, Spec: w.Spec}
		if err := c.Create(ctx, sts); err != nil {
			t.Fatal(err)
		}
	}
	aloneReady := eventually(t, 10*time.Minute, "the StatefulSets alone to be ready", func() string {
		for _, ns := range baseNamespaces {
			var sts appsv1.StatefulSetList
			if err := c.List(ctx, &sts, client.InNamespace(ns)); err != nil {
				return err.Error()
			}
			for _, s := range sts.Items {
				if want := ptrOr(s.Spec.Replicas, 1); s.Status.ReadyReplicas != want || s.Status.ObservedGeneration != s.Generation {
					return fmt.Sprintf("StatefulSet %s/%s: %d of %d ready", ns, s.Name, s.Status.ReadyReplicas, want)
				}
			}
		}
		return ""
	})
	clusterAlone := aloneReady.Sub(alone)
	t.Logf("the same %d StatefulSets applied without the operator: ready in %s; the operator took %.2f times as long",
		len(written), clusterAlone.Round(time.Millisecond), toAvailable.Seconds()/clusterAlone.Seconds())
	if os.Getenv("DSOI_E2E_BENCH") == "1" {
		perReconcile := func(r int) float64 { return float64(r) / float64(max(reconciles, 1)) }
		fmt.Printf("SCALE/%s-%dcrs\t1\t%.3f s-to-available\t%.3f s-cluster-alone\t%.2f ratio\t%.3f s-upgrade-median\t%.3f s-upgrade-slowest\t%d reconciles\t%.2f writes/reconcile\t%.2f reads/reconcile\t%d status-conflicts\t%d conflicts\t%.1f MiB-peak-rss\n",
			scaleCase, n, toAvailable.Seconds(), clusterAlone.Seconds(), toAvailable.Seconds()/clusterAlone.Seconds(), median.Seconds(), slowest.Seconds(),
			reconciles, perReconcile(req.Writes), perReconcile(req.Reads), statusConflicts, upgradeReq.Conflicts, float64(rss)/(1<<20))
	}
}

// everyCR returns "" when check passes for all n CRs in the namespaces, else what is missing.
func everyCR(t *testing.T, c client.Client, sample *unstructured.Unstructured, namespaces []string, n int, check func(CR) string) string {
	t.Helper()
	seen, first := 0, ""
	for _, ns := range namespaces {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(sample.GroupVersionKind().GroupVersion().WithKind(sample.GetKind() + "List"))
		if err := c.List(t.Context(), list, client.InNamespace(ns)); err != nil {
			return err.Error()
		}
		for i := range list.Items {
			// Every CR is checked, so a check that records when each passed sees them all.
			if missing := check(CR{&list.Items[i]}); missing != "" && first == "" {
				first = list.Items[i].GetNamespace() + "/" + list.Items[i].GetName() + ": " + missing
			}
			seen++
		}
	}
	if first == "" && seen != n {
		first = fmt.Sprintf("%d CRs, want %d", seen, n)
	}
	return first
}

// dumpPods logs how many pods of the namespaces are in each phase and readiness, and the
// first few that are not ready, to tell a slow operator from a slow cluster.
func dumpPods(t *testing.T, c client.Client, namespaces []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	count := map[string]int{}
	var notReady []string
	for _, ns := range namespaces {
		var pods corev1.PodList
		if err := c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
			t.Logf("list pods: %v", err)
			return
		}
		for _, p := range pods.Items {
			ready := slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
				return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
			})
			count[fmt.Sprintf("%s ready=%v", p.Status.Phase, ready)]++
			if !ready && len(notReady) < 5 {
				notReady = append(notReady, fmt.Sprintf("%s/%s on %q: %s %+v", ns, p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.Conditions))
			}
		}
	}
	t.Logf("pods by phase: %v; not ready: %s", count, strings.Join(notReady, "; "))
}
