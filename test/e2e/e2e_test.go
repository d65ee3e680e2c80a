package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// cases are the golden projects, run one after the other (the machine has 2 cores).
var cases = []string{"pinot", "druid", "parseable"}

const (
	// managerAgent starts the user agent of the operator's requests: client-go uses the
	// binary's name, and buildOperator names it "manager".
	managerAgent = "manager/"
	// testAgent is the tests' own user agent, kept apart from the operator's in the audit log.
	testAgent = "dsoi-e2e"
	// rollout bounds a wait for a rollout: generous, as waits poll every 200 ms anyway.
	rollout = 3 * time.Minute
	// quiet is how long "nothing may change" is watched.
	quiet = 10 * time.Second
)

func TestE2E(t *testing.T) {
	root, bin := environment(t)
	for _, name := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, root, bin, name) })
	}
}

// environment skips the test unless DSOI_E2E=1 and returns the repository's root and the
// folder of the control-plane binaries.
func environment(t *testing.T) (root, bin string) {
	t.Helper()
	if os.Getenv("DSOI_E2E") != "1" {
		t.Skip("end-to-end tests need a KWOK cluster: run them with `make e2e`")
	}
	logf.SetLogger(logr.Discard()) // the tests' client has nothing to say
	bin = os.Getenv("DSOI_K8S_BIN")
	if bin == "" {
		t.Fatal("DSOI_K8S_BIN is not set: it names the folder `hack/build-control-plane.sh all` prints")
	}
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			t.Fatalf("control-plane binary missing (run hack/build-control-plane.sh all): %v", err)
		}
	}
	// The package directory is test/e2e: the repository is two levels up.
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root, bin
}

// goldenCase is a golden project copied into a test's folder, its manager built, and a
// cluster of nodes fake nodes that serves its CRDs.
type goldenCase struct {
	work, project string
	app           *App
	sample        *unstructured.Unstructured
	manager       string
	cluster       *Cluster
	c             client.WithWatch
}

func setUp(t *testing.T, root, bin, name, clusterName string, nodes int) *goldenCase {
	t.Helper()
	g := &goldenCase{work: t.TempDir()}
	g.project = filepath.Join(g.work, name)
	if err := copyTree(filepath.Join(root, "golden", name), g.project); err != nil {
		t.Fatal(err)
	}
	var err error
	if g.app, err = loadApp(g.project); err != nil {
		t.Fatal(err)
	}
	if g.sample, err = loadSample(g.project, g.app); err != nil {
		t.Fatal(err)
	}
	g.manager = buildOperator(t, g.project, g.work)

	g.cluster = newCluster(t, bin, clusterName, nodes)
	cfg, err := clientcmd.BuildConfigFromFlags("", g.cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.UserAgent, cfg.QPS, cfg.Burst = testAgent, 200, 400
	if g.c, err = client.NewWithWatch(cfg, client.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := g.cluster.Kubectl("apply", "--server-side", "-f", filepath.Join(g.project, "config", "crd", "bases")); err != nil {
		t.Fatal(err)
	}
	// Served once established (kubectl wait races with the CRD's first status).
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(g.sample.GroupVersionKind().GroupVersion().WithKind(g.sample.GetKind() + "List"))
	eventually(t, time.Minute, "the CRD to be served", func() string {
		if err := g.c.List(t.Context(), list); err != nil {
			return err.Error()
		}
		return ""
	})
	return g
}

// suite is one golden case: its operator, cluster and CR, and the figures measured.
type suite struct {
	ctx      context.Context
	c        client.WithWatch
	cluster  *Cluster
	op       *Operator
	app      *App
	sample   CR
	gvk      schema.GroupVersionKind
	ns, name string // the CR's namespace and name
	w        *Watcher
	fig      figures
	// health plays the application's health endpoints for its health gates.
	health *appHealth
}

// figures are the measurements reported per case.
type figures struct {
	toAvailable, upgrade, halt time.Duration
	upgradeFrom, upgradeTo     time.Time
	idle                       Requests
	// gateToNext is the time from a health gate's first passing answer to the next node type
	// starting; idleGateCalls the gate calls during the idle minute.
	gateToNext            time.Duration
	idleGateCalls         int
	gateCallsPerReconcile float64
	// restartBack is when the API server answered again after the outage, restartToDone
	// from then to the upgrade done; handover from the leader's kill to the other replica
	// leading; resume from fixing a halted upgrade to it being complete.
	restartBack                     time.Time
	restartToDone, handover, resume time.Duration
}

func runCase(t *testing.T, root, bin, name string) {
	g := setUp(t, root, bin, name, "dsoi-e2e-"+name, 3)
	app, sample, cluster, c, ctx := g.app, g.sample, g.cluster, g.c, t.Context()
	if err := createVolumes(ctx, c, 40); err != nil {
		t.Fatalf("create volumes: %v", err)
	}
	ns := "e2e-" + name
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	health := newAppHealth(app)
	t.Cleanup(health.Close)
	health.address(app, CR{sample})
	s := &suite{ctx: ctx, c: c, cluster: cluster, app: app, sample: CR{sample}, gvk: sample.GroupVersionKind(),
		ns: ns, name: sample.GetName(), w: watchWorkloads(ctx, c, ns), health: health}
	s.op = startOperator(t, g.manager, cluster.Kubeconfig, filepath.Join(g.work, "manager.log"))
	t.Cleanup(func() {
		if t.Failed() {
			s.dump(t)
		}
	})

	// Each step starts from where the one before left the cluster: stop at the first failure.
	steps := []struct {
		name string
		run  func(*testing.T)
	}{
		{"install", s.install},
		{"ordered-upgrade", s.upgrade},
		{"operator-killed-mid-upgrade", s.killDuringUpgrade},
		{"api-server-restart", s.apiServerRestart},
		{"leader-handover", s.leaderHandover},
		{"halt-and-resume", s.haltAndResume},
		{"health-gates", s.healthGates},
		{"decommission", s.decommission},
		{"config-change", s.configChange},
		{"recreate-service", s.recreateService},
		{"remove-node-set", s.removeNodeSet},
		{"pause", s.pause},
		{"autoscale", s.autoscale},
		{"claim-retention", s.claimRetention},
		{"data-safety", s.dataSafety},
		{"storage-growth", s.storageGrowth},
		{"idle", s.idle},
	}
	for _, step := range steps {
		if !t.Run(step.name, step.run) {
			return
		}
	}
	s.report(t)
}

// install applies the sample and checks every node set's objects.
func (s *suite) install(t *testing.T) {
	obj := s.sample.DeepCopy()
	obj.SetNamespace(s.ns)
	start := time.Now()
	if err := s.c.Create(s.ctx, obj); err != nil {
		t.Fatalf("apply the sample: %v", err)
	}
	available := measure(t, rollout, "Available=True", func() string { return cond(s.get(t), "Available", "True") })
	s.fig.toAvailable = available.Sub(start)
	eventually(t, rollout, "every node set Ready", func() string { return s.settled(s.get(t), 1) })
	t.Logf("Available %s after the sample was applied", s.fig.toAvailable.Round(time.Millisecond))
	s.checkNodeSets(t, s.get(t))
}

// upgrade changes every image and checks that node types roll out one at a time, in order,
// and that a Deployment whose claims only one pod may mount never runs two pods.
func (s *suite) upgrade(t *testing.T) {
	single := s.watchSingleWriters(t, s.get(t))
	mark := s.w.Mark()
	start := time.Now()
	gen := s.edit(t, func(cr CR) {
		for _, k := range cr.K8sConfigNames() {
			cr.SetImage(k, s.image(k, "next"))
		}
	})
	done := measure(t, rollout, "the upgrade to complete", func() string { return s.upgradeDone(s.get(t), gen) })
	s.fig.upgrade, s.fig.upgradeFrom, s.fig.upgradeTo = done.Sub(start), start, done
	cr := s.get(t)
	up, _ := cr.Upgrade()
	if up.StartedAt == "" || up.FinishedAt == "" || up.Duration == "" {
		t.Errorf("status.upgrade lacks startedAt, finishedAt or duration: %+v", up)
	}
	t.Logf("upgrade completed %s after the change (status.upgrade.duration %s)", s.fig.upgrade.Round(time.Millisecond), up.Duration)
	s.checkOrder(t, cr, mark, start)
	s.checkNodeSets(t, cr)
	s.checkSingleWriters(t, single)
}

// haltAndResume makes the first node type crash: the upgrade must stop there, leave the
// later node types alone, and carry on once the spec is fixed.
func (s *suite) haltAndResume(t *testing.T) {
	cr := s.get(t)
	first := cr.Order()[0]
	var firstNodes, later []Node
	crashing := map[string]bool{} // k8sConfig entries of the first node type
	for _, n := range cr.Nodes(s.app.AppConfigField()) {
		if n.NodeType == first {
			firstNodes = append(firstNodes, n)
			crashing[n.K8sConfig] = true
		} else {
			later = append(later, n)
		}
	}
	if len(firstNodes) == 0 {
		t.Fatalf("no node set of node type %s, first in deploymentOrder", first)
	}
	if len(later) == 0 {
		t.Logf("%s is the only node type: there is no later node type to keep untouched", first)
	}
	before := s.snapshot(t, later)

	mark := s.w.Mark()
	start := time.Now()
	s.edit(t, func(cr CR) {
		for _, k := range cr.K8sConfigNames() {
			if crashing[k] {
				cr.SetImage(k, withTag(cr.Image(k), "crash")) // testdata/stages.yaml crashes its pods
			} else {
				cr.SetImage(k, s.image(k, "next2"))
			}
		}
	})
	target := firstNodes[0].Name
	halted := measure(t, rollout, "the upgrade to halt", func() string {
		c, ok := s.get(t).Condition("Degraded")
		switch {
		case !ok:
			return "no Degraded condition"
		case c.Status != "True" || c.Reason != "UpgradeHalted":
			return fmt.Sprintf("Degraded=%s, reason %s: %s", c.Status, c.Reason, c.Message)
		case !strings.Contains(c.Message, "node set "+target):
			return fmt.Sprintf("the Degraded message does not name node set %s: %s", target, c.Message)
		}
		return ""
	})
	s.fig.halt = halted.Sub(start)
	cr = s.get(t)
	if up, _ := cr.Upgrade(); up.Phase != "Halted" || up.CurrentNodeType != first {
		t.Errorf("status.upgrade: phase %s at node type %s, want Halted at %s", up.Phase, up.CurrentNodeType, first)
	}
	degraded, _ := cr.Condition("Degraded")
	t.Logf("upgrade halted %s after the change: %s", s.fig.halt.Round(time.Millisecond), degraded.Message)
	eventually(t, 30*time.Second, "a Warning event UpgradeHalted", func() string { return s.event(corev1.EventTypeWarning, "UpgradeHalted", start) })

	isLater := map[string]bool{}
	for _, n := range later {
		isLater[n.Name] = true
	}
	untouched := func() string {
		for _, c := range s.w.Since(mark) {
			if isLater[c.NodeSet] {
				return fmt.Sprintf("%s %s changed (generation %d, image %s) while the upgrade is halted at node type %s",
					c.Kind, c.Name, c.Generation, c.Image, first)
			}
		}
		return ""
	}
	consistently(t, quiet, "later node types must stay untouched", untouched)
	for name, after := range s.snapshot(t, later) {
		if b := before[name]; after.Generation != b.Generation || after.Image() != b.Image() {
			t.Errorf("node set %s changed while halted: generation %d -> %d, image %s -> %s", name, b.Generation, after.Generation, b.Image(), after.Image())
		}
	}

	fixed := time.Now()
	gen := s.edit(t, func(cr CR) {
		for k := range crashing {
			cr.SetImage(k, s.image(k, "next2"))
		}
	})
	done := measure(t, rollout, "the upgrade to resume and complete", func() string { return s.upgradeDone(s.get(t), gen) })
	s.fig.resume = done.Sub(fixed)
	t.Logf("upgrade resumed and completed %s after the fix", s.fig.resume.Round(time.Millisecond))
	eventually(t, 30*time.Second, "an UpgradeResumed event", func() string { return s.event(corev1.EventTypeNormal, "UpgradeResumed", fixed) })
	if s.event(corev1.EventTypeNormal, "DeletedStuckPod", fixed) == "" {
		t.Logf("the operator deleted a crashing pod of the old revision (DeletedStuckPod)")
	}
	cr = s.get(t)
	s.checkOrder(t, cr, mark, start)
	s.checkNodeSets(t, cr)
}

// configChange edits one file of the first app config group: exactly the node sets that
// mount it must get a new pod template.
func (s *suite) configChange(t *testing.T) {
	field := s.app.AppConfigField()
	cr := s.get(t)
	groups := cr.items("spec", field)
	if !s.app.HasConfigGroups() || len(groups) == 0 {
		t.Logf("%s has no app config groups (spec.%s): nothing to edit, step skipped", s.app.Metadata.Name, field)
		return
	}
	group := str(groups[0], "name")
	var file *ConfigFile
	for i, f := range s.app.Spec.ConfigFiles {
		if f.Scope != "cluster" && str(groups[0], f.Field()) != "" {
			file = &s.app.Spec.ConfigFiles[i]
			break
		}
	}
	if file == nil {
		t.Fatalf("spec.%s[0] (%s) sets no config file", field, group)
	}
	nodes := cr.Nodes(field)
	affected := map[string]bool{}
	for _, n := range nodes {
		for _, f := range s.app.FilesOf(n.NodeType) {
			if n.AppConfig == group && f.Name == file.Name {
				affected[n.Name] = true
			}
		}
	}
	if len(affected) == 0 {
		t.Fatalf("no node set mounts %s of group %s", file.FileName, group)
	}
	before := s.snapshot(t, nodes)
	mark := s.w.Mark()
	start := time.Now()
	gen := s.edit(t, func(cr CR) {
		g := cr.AppConfigGroup(field, group)
		content := str(g, file.Field())
		if !strings.HasSuffix(content, "\n") {
			content += "\n"
		}
		g[file.Field()] = content + "# changed by the e2e test\n"
	})
	done := eventually(t, rollout, "the config change to roll out", func() string { return s.upgradeDone(s.get(t), gen) })
	t.Logf("spec.%s[%s].%s changed: rolled out to %v in %s", field, group, file.Field(), keys(affected), done.Sub(start).Round(time.Millisecond))
	for name, after := range s.snapshot(t, nodes) {
		b := before[name]
		switch {
		case affected[name] && after.ConfigHash() == b.ConfigHash():
			t.Errorf("node set %s mounts the changed file, but its config hash stayed %s", name, b.ConfigHash())
		case !affected[name] && (after.ConfigHash() != b.ConfigHash() || after.Generation != b.Generation):
			t.Errorf("node set %s does not mount the changed file, but its pod template changed (config hash %s -> %s, generation %d -> %d)",
				name, b.ConfigHash(), after.ConfigHash(), b.Generation, after.Generation)
		}
	}
	for _, c := range s.w.Since(mark) {
		if !affected[c.NodeSet] {
			t.Errorf("%s %s got a new spec (generation %d), but does not mount the changed file", c.Kind, c.Name, c.Generation)
		}
	}
	s.checkNodeSets(t, s.get(t)) // the mounted ConfigMap holds the new content
}

// recreateService deletes a child Service: the operator, watching its children, puts it back.
func (s *suite) recreateService(t *testing.T) {
	n := s.get(t).Nodes(s.app.AppConfigField())[0]
	svc := &corev1.Service{}
	key := client.ObjectKey{Namespace: s.ns, Name: s.name + "-" + n.Name}
	if err := s.c.Get(s.ctx, key, svc); err != nil {
		t.Fatal(err)
	}
	old := svc.UID
	start := time.Now()
	if err := s.c.Delete(s.ctx, svc); err != nil {
		t.Fatal(err)
	}
	back := measure(t, 15*time.Second, "the deleted Service to come back", func() string {
		err := s.c.Get(s.ctx, key, svc)
		switch {
		case apierrors.IsNotFound(err):
			return "not created again"
		case err != nil:
			return err.Error()
		case svc.UID == old:
			return "still the deleted one"
		}
		return ""
	})
	t.Logf("Service %s created again %s after its deletion", key.Name, back.Sub(start).Round(time.Millisecond))
	eventually(t, rollout, "the cluster to settle", func() string { return s.settled(s.get(t), 0) })
}

// removeNodeSet removes the last node set (adding one first when there is only one): its
// objects must go, the others stay.
func (s *suite) removeNodeSet(t *testing.T) {
	field := s.app.AppConfigField()
	nodes := s.get(t).Nodes(field)
	if len(nodes) == 1 {
		extra, kind := nodes[0].Name+"-extra", "StatefulSet"
		if nodes[0].Kind == "StatefulSet" {
			kind = "Deployment"
		}
		t.Logf("one node set only: adding node set %s (a %s) first, to have one to remove", extra, kind)
		gen := s.edit(t, func(cr CR) {
			if err := cr.AddNode(nodes[0].Name, extra, kind); err != nil {
				t.Fatal(err)
			}
		})
		eventually(t, rollout, "the added node set to be Ready", func() string { return s.settled(s.get(t), gen) })
		s.checkNodeSets(t, s.get(t))
		nodes = s.get(t).Nodes(field)
	}
	last := nodes[len(nodes)-1]
	name := s.name + "-" + last.Name
	objects := map[string]client.Object{"Service " + name: &corev1.Service{}, "PodDisruptionBudget " + name: &policyv1.PodDisruptionBudget{}}
	if last.Kind == "StatefulSet" {
		objects["StatefulSet "+name] = &appsv1.StatefulSet{}
		objects["Service "+name+"-headless"] = &corev1.Service{}
	} else {
		objects["Deployment "+name] = &appsv1.Deployment{}
	}
	start := time.Now()
	gen := s.edit(t, func(cr CR) { cr.RemoveNode(last.Name, field) })
	gone := eventually(t, rollout, "the removed node set's objects to be deleted", func() string {
		for what, obj := range objects {
			err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: strings.Fields(what)[1]}, obj)
			if err == nil {
				return what + " still exists"
			}
			if !apierrors.IsNotFound(err) {
				return err.Error()
			}
		}
		var cms corev1.ConfigMapList
		if err := s.c.List(s.ctx, &cms, client.InNamespace(s.ns)); err != nil {
			return err.Error()
		}
		for _, cm := range cms.Items {
			if strings.HasPrefix(cm.Name, name+"-config-") {
				return "ConfigMap " + cm.Name + " still exists"
			}
		}
		return s.settled(s.get(t), gen)
	})
	t.Logf("node set %s removed: its workload, Services, PodDisruptionBudget and ConfigMaps deleted in %s", last.Name, gone.Sub(start).Round(time.Millisecond))
	s.checkNodeSets(t, s.get(t))
}

// pause sets spec.paused: an image change must then change nothing until it is unset.
func (s *suite) pause(t *testing.T) {
	gen := s.edit(t, func(cr CR) { _ = unstructured.SetNestedField(cr.Object, true, "spec", "paused") })
	eventually(t, 30*time.Second, "ReconciliationPaused=True", func() string {
		cr := s.get(t)
		if c, _ := cr.Condition("ReconciliationPaused"); c.ObservedGeneration < gen {
			return fmt.Sprintf("ReconciliationPaused describes generation %d, not %d", c.ObservedGeneration, gen)
		}
		return cond(cr, "ReconciliationPaused", "True")
	})
	nodes := s.get(t).Nodes(s.app.AppConfigField())
	before := s.snapshot(t, nodes)
	mark := s.w.Mark()
	s.edit(t, func(cr CR) {
		for _, k := range cr.K8sConfigNames() {
			cr.SetImage(k, s.image(k, "next3"))
		}
	})
	consistently(t, quiet, "nothing may change while paused", func() string {
		if changes := s.w.Since(mark); len(changes) > 0 {
			return fmt.Sprintf("%s %s changed (image %s)", changes[0].Kind, changes[0].Name, changes[0].Image)
		}
		return cond(s.get(t), "ReconciliationPaused", "True")
	})
	for name, after := range s.snapshot(t, nodes) {
		if b := before[name]; after.Generation != b.Generation {
			t.Errorf("node set %s changed while paused: generation %d -> %d", name, b.Generation, after.Generation)
		}
	}
	start := time.Now()
	gen = s.edit(t, func(cr CR) { unstructured.RemoveNestedField(cr.Object, "spec", "paused") })
	done := eventually(t, rollout, "the rollout once unpaused", func() string { return s.upgradeDone(s.get(t), gen) })
	t.Logf("unpaused: the image change rolled out in %s", done.Sub(start).Round(time.Millisecond))
	cr := s.get(t)
	s.checkOrder(t, cr, mark, start)
	s.checkNodeSets(t, cr)
}

// idle counts the operator's requests during a minute in which nothing changes: a settled
// operator must write nothing.
func (s *suite) idle(t *testing.T) {
	eventually(t, rollout, "the cluster to settle", func() string { return s.settled(s.get(t), 0) })
	from, calls := time.Now(), s.health.count()
	consistently(t, time.Minute, "the operator must keep running", func() string {
		if err := s.op.Running(); err != nil {
			return err.Error()
		}
		return ""
	})
	to := time.Now()
	req, err := countRequests(s.cluster.AuditLog(), managerAgent, from, to)
	if err != nil {
		t.Fatal(err)
	}
	s.fig.idle, s.fig.idleGateCalls = req, s.health.count()-calls
	t.Logf("idle minute: the operator sent %s, and %d health gate calls", req, s.fig.idleGateCalls)
	if s.fig.idleGateCalls != 0 {
		t.Errorf("the operator called health gates %d times during an idle minute, want none", s.fig.idleGateCalls)
	}
	if req.Writes != 0 {
		t.Errorf("the operator wrote during an idle minute (%s to %s): %s\n%s", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano),
			req, strings.Join(req.WriteLog, "\n"))
	}
}

// report prints the figures of the case; with DSOI_E2E_BENCH=1 also as a line for `make bench-e2e`.
func (s *suite) report(t *testing.T) {
	req, err := countRequests(s.cluster.AuditLog(), managerAgent, s.fig.upgradeFrom, s.fig.upgradeTo)
	if err != nil {
		t.Fatal(err)
	}
	if req.Writes == 0 {
		t.Errorf("no request of user agent %q in the audit log during the upgrade: is that the operator's user agent?", managerAgent)
	}
	// Only the operator writes the CR during the upgrade, so a refused write means it acted on
	// a copy older than its own last write.
	if req.Conflicts != 0 {
		t.Errorf("the operator's writes met %d conflicts during the upgrade, want none: %s", req.Conflicts, req)
	}
	reconciles, err := s.op.Reconciles(s.fig.upgradeFrom, s.fig.upgradeTo)
	if err != nil {
		t.Fatal(err)
	}
	rss, err := s.op.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	s.op.Stop()
	perReconcile := func(n int) float64 {
		if reconciles == 0 {
			return 0
		}
		return float64(n) / float64(reconciles)
	}
	name := s.app.Metadata.Name
	mib := float64(rss) / (1 << 20)
	t.Logf("%s: Available %s after apply; ordered upgrade %s (%d reconciles, %s: %.2f writes and %.2f reads per reconcile); halt detected in %s; gate passed to next node type %s; API server restart to upgrade done %s; leader handover %s; resumed %s after a fix; idle minute %d writes, %d reads; peak RSS %.1f MiB",
		name, s.fig.toAvailable.Round(time.Millisecond), s.fig.upgrade.Round(time.Millisecond), reconciles, req,
		perReconcile(req.Writes), perReconcile(req.Reads), s.fig.halt.Round(time.Millisecond), s.fig.gateToNext.Round(time.Millisecond),
		s.fig.restartToDone.Round(time.Millisecond), s.fig.handover.Round(time.Millisecond), s.fig.resume.Round(time.Millisecond), s.fig.idle.Writes, s.fig.idle.Reads, mib)
	if os.Getenv("DSOI_E2E_BENCH") == "1" {
		fmt.Printf("E2E/%s\t1\t%.3f s-to-available\t%.3f s-upgrade\t%.3f s-to-halt\t%.3f s-gate-to-next\t%.2f gate-calls/reconcile\t%d reconciles/upgrade\t%.2f writes/reconcile\t%.2f reads/reconcile\t%d conflicts/upgrade\t%.3f s-restart-to-done\t%.3f s-handover\t%.3f s-resume\t%d idle-writes/min\t%d idle-reads/min\t%.1f MiB-peak-rss\n",
			name, s.fig.toAvailable.Seconds(), s.fig.upgrade.Seconds(), s.fig.halt.Seconds(), s.fig.gateToNext.Seconds(), s.fig.gateCallsPerReconcile, reconciles,
			perReconcile(req.Writes), perReconcile(req.Reads), req.Conflicts, s.fig.restartToDone.Seconds(), s.fig.handover.Seconds(), s.fig.resume.Seconds(),
			s.fig.idle.Writes, s.fig.idle.Reads, mib)
	}
}
