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

package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/acme/druid-operator/api/v1alpha1"
	"github.com/acme/druid-operator/internal/dsoi"
)

// nodeTypesOf returns the node types whose node sets are in names, in deploymentOrder.
func nodeTypesOf(cr *v1alpha1.Druid, names []string) []string {
	var types []string
	for _, t := range cr.Spec.DeploymentOrder {
		for _, node := range cr.Spec.Nodes {
			if node.NodeType == t && slices.Contains(names, node.Name) && !slices.Contains(types, string(t)) {
				types = append(types, string(t))
			}
		}
	}
	return types
}

func order(cr *v1alpha1.Druid) []string {
	var out []string
	for _, t := range cr.Spec.DeploymentOrder {
		out = append(out, string(t))
	}
	return out
}

// changedSince lists the node sets whose image differs from before.
func changedSince(before, now map[string]string) []string {
	var out []string
	for name, image := range now {
		if before[name] != image {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func newImages(cr *v1alpha1.Druid) {
	for i := range cr.Spec.K8sConfig {
		cr.Spec.K8sConfig[i].Image += "-next"
	}
}

func TestUpgradeRollsNodeTypesInOrder(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	if cr.Status.Upgrade != nil {
		t.Errorf("the first install was recorded as an upgrade: %+v", cr.Status.Upgrade)
	}
	installed := cr.Generation
	cr = update(t, cr, newImages)

	var steps [][]string
	var got []string
	before := images(t, cr)
	for i := 0; i < len(cr.Spec.DeploymentOrder)+2; i++ {
		var evs []string
		cr, evs = reconcile(t, cr)
		got = append(got, evs...)
		now := images(t, cr)
		if changed := changedSince(before, now); len(changed) > 0 {
			steps = append(steps, nodeTypesOf(cr, changed))
		}
		before = now
		if cr.Status.Upgrade != nil && cr.Status.Upgrade.Phase == dsoi.UpgradeCompleted {
			break
		}
		markRolledOut(t, cr)
	}

	// One node type per step, in deploymentOrder.
	var sequence []string
	for _, step := range steps {
		if len(step) != 1 {
			t.Errorf("node types %v were updated in the same step; an ordered upgrade rolls one at a time", step)
		}
		sequence = append(sequence, step...)
	}
	if !slices.Equal(sequence, order(cr)) {
		t.Errorf("node types were upgraded in the order %v, want %v", sequence, order(cr))
	}
	u := cr.Status.Upgrade
	if u == nil || u.Phase != dsoi.UpgradeCompleted {
		t.Fatalf("upgrade status %+v, want Completed", u)
	}
	if u.FromGeneration != installed || u.ToGeneration != cr.Generation || u.StartedAt == nil || u.FinishedAt == nil || u.Duration == "" {
		t.Errorf("upgrade status %+v: want generations %d -> %d, start, finish and duration", u, installed, cr.Generation)
	}
	if !hasEvent(got, "Normal UpgradeStarted") || !hasEvent(got, "Normal UpgradeCompleted") {
		t.Errorf("events %v lack UpgradeStarted or UpgradeCompleted", got)
	}
	if n := countEvents(got, "Normal NodeTypeUpgraded"); n != len(cr.Spec.DeploymentOrder) {
		t.Errorf("%d NodeTypeUpgraded events, want one per node type (%d): %v", n, len(cr.Spec.DeploymentOrder), got)
	}
	for _, c := range []string{dsoi.ConditionAvailable} {
		if cond := meta.FindStatusCondition(cr.Status.Conditions, c); cond == nil || cond.Status != metav1.ConditionTrue {
			t.Errorf("%s = %+v after the upgrade, want True", c, cond)
		}
	}
	if cond := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionProgressing); cond == nil || cond.Status != metav1.ConditionFalse {
		t.Errorf("Progressing = %+v after the upgrade, want False", cond)
	}
}

// Stopping and starting are their own operation, not an upgrade: node types stop in reverse
// deploymentOrder and start again in deploymentOrder, with their own events and status, and
// the record of the last real upgrade stays.
func TestStopAndStartAreNoUpgrade(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	cr = update(t, cr, newImages)
	cr, _ = rollOut(t, cr)
	upgraded := cr.Status.Upgrade
	reverse := slices.Clone(order(cr))
	slices.Reverse(reverse)

	cr = update(t, cr, func(cr *v1alpha1.Druid) { cr.Spec.Stopped = true })
	cr, got := reconcile(t, cr)
	last := reverse[0]
	checkCondition(t, cr, dsoi.ConditionProgressing, metav1.ConditionTrue, "Stopping", "stopping node type "+last)
	checkCondition(t, cr, dsoi.ConditionAvailable, metav1.ConditionFalse, "Stopping", "spec.stopped")
	if s := cr.Status.StopStart; s == nil || s.Phase != dsoi.ClusterStopping || s.CurrentNodeType != last {
		t.Errorf("stopStart %+v, want Stopping at node type %s", s, last)
	}
	for _, ns := range cr.Status.NodeSets {
		want := string(dsoi.PhaseWaiting) // the node types before the last wait for it
		if ns.NodeType == last {
			want = string(dsoi.PhaseStopping)
		}
		if ns.Phase != want {
			t.Errorf("node set %s (node type %s): phase %s, want %s", ns.Name, ns.NodeType, ns.Phase, want)
		}
	}
	cr, rest := rollOut(t, cr)
	got = append(got, rest...)
	checkStopStartEvents(t, got, "Stop", reverse)
	if s := cr.Status.StopStart; s == nil || s.Phase != dsoi.ClusterStopped || s.FinishedAt == nil {
		t.Errorf("stopStart %+v after the stop, want Stopped with a finish time", s)
	}
	checkCondition(t, cr, dsoi.ConditionAvailable, metav1.ConditionFalse, "Stopped", "scaled to zero")
	if !equality.Semantic.DeepEqual(cr.Status.Upgrade, upgraded) {
		t.Errorf("upgrade %+v after the stop, want the last real upgrade %+v", cr.Status.Upgrade, upgraded)
	}

	cr = update(t, cr, func(cr *v1alpha1.Druid) { cr.Spec.Stopped = false })
	cr, got = reconcile(t, cr)
	checkCondition(t, cr, dsoi.ConditionProgressing, metav1.ConditionTrue, "Starting", "starting node type "+order(cr)[0])
	cr, rest = rollOut(t, cr)
	got = append(got, rest...)
	checkStopStartEvents(t, got, "Start", order(cr))
	if s := cr.Status.StopStart; s == nil || s.Phase != dsoi.ClusterStarted {
		t.Errorf("stopStart %+v after the start, want Started", s)
	}
	checkCondition(t, cr, dsoi.ConditionAvailable, metav1.ConditionTrue, "AllNodeSetsReady", "")
	if !equality.Semantic.DeepEqual(cr.Status.Upgrade, upgraded) {
		t.Errorf("upgrade %+v after the start, want the last real upgrade %+v", cr.Status.Upgrade, upgraded)
	}
}

// checkStopStartEvents checks the events of a stop or start (op "Stop" or "Start"): it
// begins, each node type is done in the given order, it ends; and no event speaks of an upgrade.
func checkStopStartEvents(t *testing.T, got []string, op string, nodeTypes []string) {
	t.Helper()
	begin, each, end := "Normal Starting", "Normal NodeTypeStarted Node type ", "Normal Started"
	if op == "Stop" {
		begin, each, end = "Normal Stopping", "Normal NodeTypeStopped Node type ", "Normal Stopped"
	}
	var done []string
	for _, e := range got {
		if strings.HasPrefix(e, each) {
			done = append(done, strings.Fields(strings.TrimPrefix(e, each))[0])
		}
		if strings.Contains(e, "Upgrade") {
			t.Errorf("%s recorded %q", op, e)
		}
	}
	if countEvents(got, begin) != 1 || countEvents(got, end) != 1 || !slices.Equal(done, nodeTypes) {
		t.Errorf("%s events %v: want one %q, node types done in the order %v, one %q", op, got, begin, nodeTypes, end)
	}
}

func checkCondition(t *testing.T, cr *v1alpha1.Druid, conditionType string, status metav1.ConditionStatus, reason, message string) {
	t.Helper()
	c := meta.FindStatusCondition(cr.Status.Conditions, conditionType)
	if c == nil || c.Status != status || c.Reason != reason || !strings.Contains(c.Message, message) || c.ObservedGeneration != cr.Generation {
		t.Errorf("%s = %+v, want %s, %s, at generation %d, saying %q", conditionType, c, status, reason, cr.Generation, message)
	}
}

// crashingPod makes a pod of node set node look like Kubernetes reports a crash loop.
func crashingPod(t *testing.T, cr *v1alpha1.Druid, node v1alpha1.DruidNode) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: dsoi.ObjectName(cr.Name, node.Name) + "-crash", Namespace: cr.Namespace,
			Labels: dsoi.Labels(AppName, cr.Name, node.Name, string(node.NodeType))},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: containerNames[node.NodeType], Image: "broken"}}},
	}
	if err := k8sClient.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	crashLoop := corev1.ContainerStatus{
		Name: containerNames[node.NodeType], Image: "broken", RestartCount: 4,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off restarting failed container"}},
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{crashLoop}
	if err := k8sClient.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

func TestUpgradeHaltsOnCrashAndResumes(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	cr = update(t, cr, newImages)
	before := images(t, cr)
	cr, _ = reconcile(t, cr)
	first := order(cr)[0]
	var crashing v1alpha1.DruidNode
	for _, node := range cr.Spec.Nodes {
		if string(node.NodeType) == first {
			crashing = node
			break
		}
	}
	pod := crashingPod(t, cr, crashing)

	var got []string
	for i := 0; i < 3; i++ {
		var evs []string
		cr, evs = reconcile(t, cr)
		got = append(got, evs...)
	}
	degraded := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded)
	if degraded == nil || degraded.Status != metav1.ConditionTrue || degraded.Reason != "UpgradeHalted" || !strings.Contains(degraded.Message, crashing.Name) || !strings.Contains(degraded.Message, "CrashLoopBackOff") {
		t.Fatalf("Degraded = %+v, want True, UpgradeHalted, naming node set %s and the crash", degraded, crashing.Name)
	}
	if cr.Status.Upgrade == nil || cr.Status.Upgrade.Phase != dsoi.UpgradeHalted || cr.Status.Upgrade.CurrentNodeType != first {
		t.Errorf("upgrade status %+v, want Halted at %s", cr.Status.Upgrade, first)
	}
	if n := countEvents(got, "Warning UpgradeHalted"); n != 1 {
		t.Errorf("%d UpgradeHalted warnings over three reconciles, want exactly 1: %v", n, got)
	}
	// Later node types are untouched while halted.
	for name, image := range images(t, cr) {
		node := nodeNamed(cr, name)
		if string(node.NodeType) != first && image != before[name] {
			t.Errorf("node set %s (node type %s) was upgraded while the upgrade was halted at %s", name, node.NodeType, first)
		}
	}

	// The node set recovers: the upgrade resumes by itself and completes.
	if err := k8sClient.Delete(context.Background(), pod); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	markRolledOut(t, cr)
	cr, got = reconcile(t, cr)
	if !hasEvent(got, "Normal UpgradeResumed") {
		t.Errorf("no UpgradeResumed event after recovery: %v", got)
	}
	cr, _ = rollOut(t, cr)
	if cr.Status.Upgrade == nil || cr.Status.Upgrade.Phase != dsoi.UpgradeCompleted {
		t.Errorf("upgrade status %+v after recovery, want Completed", cr.Status.Upgrade)
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Degraded = %+v after recovery, want False", c)
	}
	for name, image := range images(t, cr) {
		if image == before[name] {
			t.Errorf("node set %s still runs %s after the upgrade completed", name, image)
		}
	}
}

// While a StatefulSet rolls, a pod not ready on the old revision is replaced before any ready
// one: the rollout restarts it anyway, and Kubernetes would take a ready pod down first.
func TestUnreadyPodIsReplacedFirst(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	var node v1alpha1.DruidNode
	for _, n := range cr.Spec.Nodes {
		if n.Kind == dsoi.KindStatefulSet {
			node = n
			break
		}
	}
	if node.Name == "" {
		t.Fatal("the sample has no StatefulSet node")
	}
	ctx := context.Background()
	sts := &appsv1.StatefulSet{}
	get(t, cr, dsoi.ObjectName(cr.Name, node.Name), sts)
	old := sts.Status.UpdateRevision
	// The StatefulSet starts rolling a new revision, as its controller reports it.
	sts.Status.UpdateRevision, sts.Status.UpdatedReplicas = old+"-next", 0
	if err := k8sClient.Status().Update(ctx, sts); err != nil {
		t.Fatal(err)
	}
	pod := func(suffix string, ready bool) *corev1.Pod {
		t.Helper()
		labels := dsoi.Labels(AppName, cr.Name, node.Name, string(node.NodeType))
		labels[appsv1.ControllerRevisionHashLabelKey] = old
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: dsoi.ObjectName(cr.Name, node.Name) + suffix, Namespace: cr.Namespace, Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: containerNames[node.NodeType], Image: "old"}}},
		}
		if err := k8sClient.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
		if err := k8sClient.Status().Update(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ready, unready := pod("-old-0", true), pod("-old-1", false)

	_, got := reconcile(t, cr)
	if !exists(t, cr, ready.Name, &corev1.Pod{}) {
		t.Errorf("ready pod %s of the old revision was deleted", ready.Name)
	}
	if exists(t, cr, unready.Name, &corev1.Pod{}) {
		t.Errorf("unready pod %s of the old revision is still there", unready.Name)
	}
	if !hasEvent(got, "Normal ReplacedUnreadyPod") {
		t.Errorf("events %v, want ReplacedUnreadyPod", got)
	}
}

func TestUpgradeHaltsAtTheProgressDeadline(t *testing.T) {
	cr := newCluster(t, func(cr *v1alpha1.Druid) { cr.Spec.ProgressDeadlineSeconds = ptrTo(int32(60)) })
	cr, _ = rollOut(t, cr)
	cr = update(t, cr, newImages)
	cr, _ = reconcile(t, cr)
	saved := testClock
	defer func() { testClock = saved }()
	testClock = testClock.Add(61 * time.Second)
	cr, got := reconcile(t, cr)
	degraded := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded)
	if degraded == nil || degraded.Reason != "UpgradeHalted" || !strings.Contains(degraded.Message, "progress deadline of 1m0s") {
		t.Fatalf("Degraded = %+v, want UpgradeHalted at the progress deadline", degraded)
	}
	if !hasEvent(got, "Warning UpgradeHalted") {
		t.Errorf("no UpgradeHalted warning: %v", got)
	}
	// The fix is a new spec: the node type gets a fresh deadline and the halt clears.
	cr = update(t, cr, func(cr *v1alpha1.Druid) { cr.Spec.K8sConfig[0].Image += "-fixed" })
	cr, _ = reconcile(t, cr)
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Degraded = %+v after a new spec, want False", c)
	}
}

func TestOrderedInstall(t *testing.T) {
	cr := newCluster(t, func(cr *v1alpha1.Druid) { cr.Spec.InstallStrategy = "ordered" })
	var sequence []string
	seen := map[string]bool{}
	for i := 0; i < len(cr.Spec.DeploymentOrder)+2; i++ {
		cr, _ = reconcile(t, cr)
		var created []string
		for name := range workloads(t, cr) {
			if !seen[name] {
				seen[name] = true
				created = append(created, name)
			}
		}
		if types := nodeTypesOf(cr, created); len(types) > 0 {
			if len(types) != 1 {
				t.Errorf("node types %v were created in the same step; an ordered install creates one at a time", types)
			}
			sequence = append(sequence, types...)
		}
		markRolledOut(t, cr)
	}
	if !slices.Equal(sequence, order(cr)) {
		t.Errorf("node types were installed in the order %v, want %v", sequence, order(cr))
	}
}

func TestConfigChangeRollsOnlyItsNodeSets(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	hashes := configHashes(t, cr)
	first := cr.Spec.Nodes[0]
	tmpl, _, _ := podTemplate(t, cr, first)
	oldConfigMaps := mountedConfigMaps(tmpl)
	group := cr.Spec.DruidConfig[0].Name
	cr = update(t, cr, func(cr *v1alpha1.Druid) {
		g := &cr.Spec.DruidConfig[0]
		g.CoordinatorRuntime = orDefault(g.CoordinatorRuntime, configFileCoordinatorRuntime) + "\n# changed by a test\n"
		g.CoordinatorJvm = orDefault(g.CoordinatorJvm, configFileCoordinatorJvm) + "\n# changed by a test\n"
		g.CoordinatorLog4j2 = orDefault(g.CoordinatorLog4j2, configFileCoordinatorLog4j2) + "\n# changed by a test\n"
		g.BrokerRuntime = orDefault(g.BrokerRuntime, configFileBrokerRuntime) + "\n# changed by a test\n"
		g.BrokerJvm = orDefault(g.BrokerJvm, configFileBrokerJvm) + "\n# changed by a test\n"
		g.BrokerLog4j2 = orDefault(g.BrokerLog4j2, configFileBrokerLog4j2) + "\n# changed by a test\n"
		g.HistoricalRuntime = orDefault(g.HistoricalRuntime, configFileHistoricalRuntime) + "\n# changed by a test\n"
		g.HistoricalJvm = orDefault(g.HistoricalJvm, configFileHistoricalJvm) + "\n# changed by a test\n"
		g.HistoricalLog4j2 = orDefault(g.HistoricalLog4j2, configFileHistoricalLog4j2) + "\n# changed by a test\n"
		g.OverlordRuntime = orDefault(g.OverlordRuntime, configFileOverlordRuntime) + "\n# changed by a test\n"
		g.OverlordJvm = orDefault(g.OverlordJvm, configFileOverlordJvm) + "\n# changed by a test\n"
		g.OverlordLog4j2 = orDefault(g.OverlordLog4j2, configFileOverlordLog4j2) + "\n# changed by a test\n"
		g.MiddleManagerRuntime = orDefault(g.MiddleManagerRuntime, configFileMiddleManagerRuntime) + "\n# changed by a test\n"
		g.MiddleManagerJvm = orDefault(g.MiddleManagerJvm, configFileMiddleManagerJvm) + "\n# changed by a test\n"
		g.MiddleManagerLog4j2 = orDefault(g.MiddleManagerLog4j2, configFileMiddleManagerLog4j2) + "\n# changed by a test\n"
		g.RouterRuntime = orDefault(g.RouterRuntime, configFileRouterRuntime) + "\n# changed by a test\n"
		g.RouterJvm = orDefault(g.RouterJvm, configFileRouterJvm) + "\n# changed by a test\n"
		g.RouterLog4j2 = orDefault(g.RouterLog4j2, configFileRouterLog4j2) + "\n# changed by a test\n"
	})
	cr, _ = rollOut(t, cr)
	now := configHashes(t, cr)
	for _, node := range cr.Spec.Nodes {
		uses := node.DruidConfig == group && slices.ContainsFunc(nodeTypeFiles[node.NodeType], func(f configFile) bool { return !f.cluster })
		if rolled := hashes[node.Name] != now[node.Name]; rolled != uses {
			t.Errorf("node %s (group %q): config hash changed = %v, want %v", node.Name, node.DruidConfig, rolled, uses)
		}
	}
	// Once every node set runs the new files, the ConfigMaps nobody mounts are gone.
	tmpl, _, _ = podTemplate(t, cr, first)
	for _, name := range oldConfigMaps {
		if slices.Contains(mountedConfigMaps(tmpl), name) {
			continue
		}
		if exists(t, cr, name, &corev1.ConfigMap{}) {
			t.Errorf("old ConfigMap %s still exists after the rollout", name)
		}
	}
}

func nodeNamed(cr *v1alpha1.Druid, name string) v1alpha1.DruidNode {
	for _, node := range cr.Spec.Nodes {
		if node.Name == name {
			return node
		}
	}
	panic(fmt.Sprintf("no node set %q", name))
}

// A storage size change cannot be sent to a StatefulSet (volumeClaimTemplates are
// immutable): the operator deletes it with orphan propagation, keeping pods and volumes, and
// creates it again, instead of failing forever.
func TestStorageChangeRecreatesTheStatefulSet(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	node, kc := statefulStorageNode(t, cr)
	cr = update(t, cr, func(*v1alpha1.Druid) { doubleStorage(kc) })
	cr, got := reconcile(t, cr)
	if !hasEvent(got, "Normal Recreating") {
		t.Errorf("no Recreating event: %v", got)
	}
	sts := workloads(t, cr)[node.Name]
	// No garbage collector runs under envtest, so the orphaning delete stays pending.
	if sts == nil || sts.GetDeletionTimestamp() == nil || !slices.Contains(sts.GetFinalizers(), metav1.FinalizerOrphanDependents) {
		t.Errorf("StatefulSet of node set %s: %v, want an orphaning delete pending", node.Name, sts)
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded); c != nil && c.Status == metav1.ConditionTrue {
		t.Errorf("Degraded = %+v: an immutable change must not be an error", c)
	}
}

// statefulStorageNode returns the sample's first StatefulSet node set with storage, and its k8sConfig.
func statefulStorageNode(t *testing.T, cr *v1alpha1.Druid) (*v1alpha1.DruidNode, *v1alpha1.DruidK8sConfig) {
	t.Helper()
	for i := range cr.Spec.Nodes {
		if k := k8sConfigOf(cr, cr.Spec.Nodes[i].K8sConfig); cr.Spec.Nodes[i].Kind == dsoi.KindStatefulSet && len(k.StorageConfig) > 0 {
			return &cr.Spec.Nodes[i], k
		}
	}
	t.Fatal("the sample has no StatefulSet node set with storage, though the description has one")
	return nil, nil
}

// doubleStorage doubles the size of kc's first storageConfig entry.
func doubleStorage(kc *v1alpha1.DruidK8sConfig) {
	size := kc.StorageConfig[0].Spec.Resources.Requests[corev1.ResourceStorage]
	size.Add(size)
	kc.StorageConfig[0].Spec.Resources.Requests[corev1.ResourceStorage] = size
}

// newStorageClass creates a StorageClass that allows volume expansion or not.
func newStorageClass(t *testing.T, expandable bool) string {
	t.Helper()
	class := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}, Provisioner: "example.com/test", AllowVolumeExpansion: ptr.To(expandable)}
	if err := k8sClient.Create(context.Background(), class); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), class) })
	return class.Name
}

// createClaims creates, bound, the claims the StatefulSet controller would have made for the
// first volume of node (none runs under envtest), of StorageClass class.
func createClaims(t *testing.T, cr *v1alpha1.Druid, node *v1alpha1.DruidNode, class string) []*corev1.PersistentVolumeClaim {
	t.Helper()
	sts := workloads(t, cr)[node.Name].(*appsv1.StatefulSet)
	tmpl := sts.Spec.VolumeClaimTemplates[0]
	var out []*corev1.PersistentVolumeClaim
	for i := range *sts.Spec.Replicas {
		claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%s-%d", tmpl.Name, sts.Name, i), Namespace: cr.Namespace, Labels: tmpl.Labels,
		}}
		claim.Spec = *tmpl.Spec.DeepCopy()
		claim.Spec.StorageClassName = ptr.To(class)
		if err := k8sClient.Create(context.Background(), claim); err != nil {
			t.Fatal(err)
		}
		setCapacity(t, claim, tmpl.Spec.Resources.Requests[corev1.ResourceStorage])
		out = append(out, claim)
	}
	return out
}

// setCapacity binds claim to a volume of the given size, as the volume controllers would.
func setCapacity(t *testing.T, claim *corev1.PersistentVolumeClaim, size resource.Quantity) {
	t.Helper()
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(claim), claim); err != nil {
		t.Fatal(err)
	}
	claim.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: corev1.ResourceList{corev1.ResourceStorage: size}}
	if err := k8sClient.Status().Update(context.Background(), claim); err != nil {
		t.Fatal(err)
	}
}

func claimSize(t *testing.T, claim *corev1.PersistentVolumeClaim) resource.Quantity {
	t.Helper()
	got := &corev1.PersistentVolumeClaim{}
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(claim), got); err != nil {
		t.Fatal(err)
	}
	return got.Spec.Resources.Requests[corev1.ResourceStorage]
}

// A larger size grows the existing claims of the node set, and the CR is not done before
// every volume has it.
func TestStorageGrowthReachesTheClaims(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	node, kc := statefulStorageNode(t, cr)
	claims := createClaims(t, cr, node, newStorageClass(t, true))
	cr = update(t, cr, func(*v1alpha1.Druid) { doubleStorage(kc) })
	want := kc.StorageConfig[0].Spec.Resources.Requests[corev1.ResourceStorage]

	cr, got := reconcile(t, cr)
	if !hasEvent(got, "Normal ResizeStarted") {
		t.Errorf("no ResizeStarted event: %v", got)
	}
	for _, claim := range claims {
		if size := claimSize(t, claim); size.Cmp(want) != 0 {
			t.Errorf("claim %s requests %s, want %s", claim.Name, size.String(), want.String())
		}
	}
	// The StatefulSet goes (orphaning, the garbage collector's part played here) and comes back.
	sts := workloads(t, cr)[node.Name]
	sts.SetFinalizers(nil)
	if err := k8sClient.Update(context.Background(), sts); err != nil {
		t.Fatal(err)
	}
	cr, _ = reconcile(t, cr)
	markRolledOut(t, cr)
	cr, _ = reconcile(t, cr)
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionProgressing); c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "resizing volumes") {
		t.Errorf("Progressing = %+v while the volumes have the old size, want True and the resize told", c)
	}

	for _, claim := range claims {
		setCapacity(t, claim, want)
	}
	cr, got = rollOut(t, cr)
	if countEvents(got, "Normal ResizeCompleted") != 1 {
		t.Errorf("events %v, want one ResizeCompleted", got)
	}
}

// Growth that the claims' StorageClass does not allow is refused, visibly and once, and
// nothing is recreated.
func TestStorageGrowthRefusedWhenTheClassCannotExpand(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	node, kc := statefulStorageNode(t, cr)
	class := newStorageClass(t, false)
	claims := createClaims(t, cr, node, class)
	old := kc.StorageConfig[0].Spec.Resources.Requests[corev1.ResourceStorage]
	cr = update(t, cr, func(*v1alpha1.Druid) { doubleStorage(kc) })

	cr, got := reconcile(t, cr)
	c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != "ResizeRefused" || !strings.Contains(c.Message, "StorageClass "+class+" does not allow volume expansion") {
		t.Errorf("Degraded = %+v, want True, ResizeRefused, naming StorageClass %s", c, class)
	}
	if countEvents(got, "Warning ResizeRefused") != 1 || hasEvent(got, "Normal Recreating") {
		t.Errorf("events %v, want one ResizeRefused and no Recreating", got)
	}
	if sts := workloads(t, cr)[node.Name]; sts.GetDeletionTimestamp() != nil {
		t.Error("the StatefulSet is being recreated though its volumes cannot grow")
	}
	for _, claim := range claims {
		if size := claimSize(t, claim); size.Cmp(old) != 0 {
			t.Errorf("claim %s requests %s, want %s kept", claim.Name, size.String(), old.String())
		}
	}
	if _, got = reconcile(t, cr); hasEvent(got, "Warning ResizeRefused") {
		t.Errorf("the refusal was told again: %v", got)
	}
}
