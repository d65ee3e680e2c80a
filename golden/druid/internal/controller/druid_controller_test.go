/*
Copyright Acme Inc..

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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/acme/druid-operator/api/v1alpha1"
	"github.com/acme/druid-operator/internal/dsoi"
)

// dependencyEnvNames are the environment variables the description asks every node container to get.
var dependencyEnvNames = []string{"druid_zk_service_host", "druid_metadata_storage_type", "druid_metadata_storage_connector_connectURI", "druid_metadata_storage_connector_user", "druid_metadata_storage_connector_password", "druid_storage_type", "druid_storage_bucket", "druid_storage_baseKey", "druid_s3_accessKey", "druid_s3_secretKey"}

// loadSample reads the sample CR shipped in config/samples, so the tests prove the API
// server accepts it and the operator installs it.
func loadSample(t *testing.T) *v1alpha1.Druid {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "v1alpha1_druid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cr := &v1alpha1.Druid{}
	if err := yaml.UnmarshalStrict(data, cr); err != nil {
		t.Fatalf("sample: %v", err)
	}
	return cr
}

// newCluster creates the sample CR in a namespace of its own and returns it.
func newCluster(t *testing.T, edit func(*v1alpha1.Druid)) *v1alpha1.Druid {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	if err := k8sClient.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cr := loadSample(t)
	cr.Namespace = ns.Name
	if edit != nil {
		edit(cr)
	}
	if err := k8sClient.Create(ctx, cr); err != nil {
		t.Fatalf("the API server refused the sample: %v", err)
	}
	return cr
}

// reconcile runs one reconcile of cr and returns the CR as stored afterwards and the events.
func reconcile(t *testing.T, cr *v1alpha1.Druid) (*v1alpha1.Druid, []string) {
	t.Helper()
	recorder := events.NewFakeRecorder(100)
	r := &DruidReconciler{Client: k8sClient, Scheme: testScheme, Recorder: recorder}
	key := client.ObjectKeyFromObject(cr)
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	out := &v1alpha1.Druid{}
	if err := k8sClient.Get(context.Background(), key, out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(recorder.Events) > 0 {
		got = append(got, <-recorder.Events)
	}
	return out, got
}

func get(t *testing.T, cr *v1alpha1.Druid, name string, obj client.Object) {
	t.Helper()
	if err := k8sClient.Get(context.Background(), types.NamespacedName{Namespace: cr.Namespace, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s: %v", obj, name, err)
	}
}

func k8sConfigOf(cr *v1alpha1.Druid, name string) *v1alpha1.DruidK8sConfig {
	for i := range cr.Spec.K8sConfig {
		if cr.Spec.K8sConfig[i].Name == name {
			return &cr.Spec.K8sConfig[i]
		}
	}
	return nil
}

// podTemplate returns the pod template and selector of a node set's workload.
func podTemplate(t *testing.T, cr *v1alpha1.Druid, node v1alpha1.DruidNode) (corev1.PodTemplateSpec, *metav1.LabelSelector, []metav1.OwnerReference) {
	t.Helper()
	name := dsoi.ObjectName(cr.Name, node.Name)
	if node.Kind == dsoi.KindStatefulSet {
		sts := &appsv1.StatefulSet{}
		get(t, cr, name, sts)
		return sts.Spec.Template, sts.Spec.Selector, sts.OwnerReferences
	}
	d := &appsv1.Deployment{}
	get(t, cr, name, d)
	return d.Spec.Template, d.Spec.Selector, d.OwnerReferences
}

func TestSampleInstallsEveryNodeSet(t *testing.T) {
	cr := newCluster(t, nil)
	cr, got := reconcile(t, cr)

	for _, node := range cr.Spec.Nodes {
		kc := k8sConfigOf(cr, node.K8sConfig)
		tmpl, selector, owners := podTemplate(t, cr, node)
		wantSelector := map[string]string{dsoi.LabelInstance: cr.Name, dsoi.LabelNodeSet: node.Name}
		if !equalMaps(selector.MatchLabels, wantSelector) {
			t.Errorf("node %s: selector %v, want %v", node.Name, selector.MatchLabels, wantSelector)
		}
		for k, v := range wantSelector {
			if tmpl.Labels[k] != v {
				t.Errorf("node %s: pod label %s=%q, want %q", node.Name, k, tmpl.Labels[k], v)
			}
		}
		if len(owners) != 1 || owners[0].UID != cr.UID || owners[0].Controller == nil || !*owners[0].Controller {
			t.Errorf("node %s: owner references %v, want the CR as controller", node.Name, owners)
		}
		c := tmpl.Spec.Containers[0]
		if c.Image != kc.Image {
			t.Errorf("node %s: image %q, want %q", node.Name, c.Image, kc.Image)
		}
		for _, name := range dependencyEnvNames {
			if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name }) {
				t.Errorf("node %s: env %s missing", node.Name, name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.Value != "" {
				t.Errorf("node %s: env %s carries a secret inline", node.Name, e.Name)
			}
		}
		for _, f := range nodeTypeFiles[node.NodeType] {
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == f.mountPath }) {
				t.Errorf("node %s: config file %s: nothing mounted at %s", node.Name, f.fileName, f.mountPath)
			}
			if tmpl.Annotations[dsoi.AnnotationConfigHash] == "" {
				t.Errorf("node %s: pod template has no config hash", node.Name)
			}
		}
		for _, s := range kc.StorageConfig {
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == s.Name && m.MountPath == s.MountPath }) {
				t.Errorf("node %s: storage %s not mounted at %s", node.Name, s.Name, s.MountPath)
			}
		}
		svc := &corev1.Service{}
		get(t, cr, dsoi.ObjectName(cr.Name, node.Name), svc)
		if !equalMaps(svc.Spec.Selector, wantSelector) {
			t.Errorf("node %s: service selector %v", node.Name, svc.Spec.Selector)
		}
		if len(kc.Port) > 0 && len(svc.Spec.Ports) == 0 {
			t.Errorf("node %s: service has no ports", node.Name)
		}
		if node.Kind == dsoi.KindStatefulSet {
			sts := &appsv1.StatefulSet{}
			get(t, cr, dsoi.ObjectName(cr.Name, node.Name), sts)
			if len(sts.Spec.VolumeClaimTemplates) != len(kc.StorageConfig) {
				t.Errorf("node %s: %d volume claim templates, want %d", node.Name, len(sts.Spec.VolumeClaimTemplates), len(kc.StorageConfig))
			}
			headless := &corev1.Service{}
			get(t, cr, dsoi.HeadlessName(cr.Name, node.Name), headless)
			if headless.Spec.ClusterIP != corev1.ClusterIPNone || sts.Spec.ServiceName != headless.Name {
				t.Errorf("node %s: headless service %q clusterIP %q", node.Name, headless.Name, headless.Spec.ClusterIP)
			}
		}
		if node.Kind == dsoi.KindDeployment {
			// A Deployment's pods share one claim per storage entry; it has no owner, so data outlives the CR.
			for _, s := range kc.StorageConfig {
				claim := &corev1.PersistentVolumeClaim{}
				get(t, cr, dsoi.ClaimName(cr.Name, node.Name, s.Name), claim)
				if len(claim.OwnerReferences) != 0 {
					t.Errorf("node %s: claim %s has owners %v", node.Name, claim.Name, claim.OwnerReferences)
				}
			}
		}
		get(t, cr, dsoi.ObjectName(cr.Name, node.Name), &policyv1.PodDisruptionBudget{})
	}

	// Config files: the sample's contents land in the ConfigMaps the pods mount.
	for _, g := range cr.Spec.DruidConfig {
		cm := &corev1.ConfigMap{}
		get(t, cr, groupConfigMapName(cr, g.Name), cm)
		for _, files := range nodeTypeFiles {
			for _, f := range files {
				if want := nodeFileContent(&g, f); !f.cluster && want != "" && cm.Data[f.key] != want {
					t.Errorf("ConfigMap %s key %s = %q, want %q", cm.Name, f.key, cm.Data[f.key], want)
				}
			}
		}
	}

	// Status: no pods run under envtest, so the cluster is progressing, not available.
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionAvailable); c == nil || c.Status != metav1.ConditionFalse || c.ObservedGeneration != cr.Generation {
		t.Errorf("Available condition = %+v, want False at generation %d", c, cr.Generation)
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionProgressing); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Progressing condition = %+v, want True", c)
	}
	if len(cr.Status.NodeSets) != len(cr.Spec.Nodes) {
		t.Errorf("status lists %d node sets, want %d", len(cr.Status.NodeSets), len(cr.Spec.Nodes))
	}
	if !slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, "Normal Created") }) {
		t.Errorf("no Created event among %v", got)
	}
}

func TestIdleReconcileWritesNothing(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = reconcile(t, cr)
	before := resourceVersions(t, cr)
	after, got := reconcile(t, cr)
	if now := resourceVersions(t, after); !equalMaps(before, now) {
		t.Errorf("a reconcile with nothing to do changed objects:\nbefore %v\nafter  %v", before, now)
	}
	if after.ResourceVersion != cr.ResourceVersion {
		t.Errorf("a reconcile with nothing to do wrote the Druid (status included)")
	}
	if len(got) != 0 {
		t.Errorf("a reconcile with nothing to do emitted events: %v", got)
	}
}

func TestConfigChangeRollsOnlyItsNodeSets(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = reconcile(t, cr)
	if len(cr.Spec.DruidConfig) == 0 {
		t.Skip("this application has no node config files")
	}
	hashes := configHashes(t, cr)
	group := &cr.Spec.DruidConfig[0]
	changed := false
	group.CoordinatorRuntime += "\n# changed by a test\n"
	changed = true
	group.CoordinatorJvm += "\n# changed by a test\n"
	changed = true
	group.CoordinatorLog4j2 += "\n# changed by a test\n"
	changed = true
	group.BrokerRuntime += "\n# changed by a test\n"
	changed = true
	group.BrokerJvm += "\n# changed by a test\n"
	changed = true
	group.BrokerLog4j2 += "\n# changed by a test\n"
	changed = true
	group.HistoricalRuntime += "\n# changed by a test\n"
	changed = true
	group.HistoricalJvm += "\n# changed by a test\n"
	changed = true
	group.HistoricalLog4j2 += "\n# changed by a test\n"
	changed = true
	group.OverlordRuntime += "\n# changed by a test\n"
	changed = true
	group.OverlordJvm += "\n# changed by a test\n"
	changed = true
	group.OverlordLog4j2 += "\n# changed by a test\n"
	changed = true
	group.MiddleManagerRuntime += "\n# changed by a test\n"
	changed = true
	group.MiddleManagerJvm += "\n# changed by a test\n"
	changed = true
	group.MiddleManagerLog4j2 += "\n# changed by a test\n"
	changed = true
	group.RouterRuntime += "\n# changed by a test\n"
	changed = true
	group.RouterJvm += "\n# changed by a test\n"
	changed = true
	group.RouterLog4j2 += "\n# changed by a test\n"
	changed = true
	if !changed {
		t.Skip("no node config file")
	}
	if err := k8sClient.Update(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	cr, _ = reconcile(t, cr)
	now := configHashes(t, cr)
	for _, node := range cr.Spec.Nodes {
		uses := node.DruidConfig == group.Name && slices.ContainsFunc(nodeTypeFiles[node.NodeType], func(f configFile) bool { return !f.cluster })
		if rolled := hashes[node.Name] != now[node.Name]; rolled != uses {
			t.Errorf("node %s (group %q): config hash changed = %v, want %v", node.Name, node.DruidConfig, rolled, uses)
		}
	}
}

func TestDriftIsReverted(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = reconcile(t, cr)
	ctx := context.Background()
	node := cr.Spec.Nodes[0]
	svc := &corev1.Service{}
	get(t, cr, dsoi.ObjectName(cr.Name, node.Name), svc)
	if err := k8sClient.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	var cms corev1.ConfigMapList
	if err := k8sClient.List(ctx, &cms, client.InNamespace(cr.Namespace)); err != nil {
		t.Fatal(err)
	}
	edited := map[string]map[string]string{}
	for _, cm := range cms.Items {
		if len(cm.OwnerReferences) == 0 {
			continue
		}
		edited[cm.Name] = cm.Data
		cm.Data = map[string]string{"hand-edited": "yes"}
		if err := k8sClient.Update(ctx, &cm); err != nil {
			t.Fatal(err)
		}
	}
	reconcile(t, cr)
	get(t, cr, dsoi.ObjectName(cr.Name, node.Name), &corev1.Service{})
	for name, want := range edited {
		cm := &corev1.ConfigMap{}
		get(t, cr, name, cm)
		if !equalMaps(cm.Data, want) {
			t.Errorf("ConfigMap %s not reverted: %v", name, cm.Data)
		}
	}
}

func TestRemovedNodeSetIsDeleted(t *testing.T) {
	cr := newCluster(t, func(cr *v1alpha1.Druid) {
		// A second node set of the first node type, to remove later.
		extra := cr.Spec.Nodes[0]
		extra.Name = "extra"
		cr.Spec.Nodes = append(cr.Spec.Nodes, extra)
	})
	cr, _ = reconcile(t, cr)
	removed := cr.Spec.Nodes[len(cr.Spec.Nodes)-1]
	name := dsoi.ObjectName(cr.Name, removed.Name)
	get(t, cr, name, &corev1.Service{})
	cr.Spec.Nodes = cr.Spec.Nodes[:len(cr.Spec.Nodes)-1]
	if err := k8sClient.Update(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	_, got := reconcile(t, cr)
	for _, obj := range []client.Object{&corev1.Service{}, &appsv1.StatefulSet{}, &appsv1.Deployment{}, &policyv1.PodDisruptionBudget{}} {
		err := k8sClient.Get(context.Background(), types.NamespacedName{Namespace: cr.Namespace, Name: name}, obj)
		if !apierrors.IsNotFound(err) {
			t.Errorf("%T %s of the removed node set still exists (err %v)", obj, name, err)
		}
	}
	if !slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, "Normal Deleted") }) {
		t.Errorf("no Deleted event among %v", got)
	}
	// The other node sets are untouched.
	for _, node := range cr.Spec.Nodes {
		podTemplate(t, cr, node)
	}
}

func TestPausedWritesNothing(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = reconcile(t, cr)
	cr.Spec.Paused = true
	cr.Spec.K8sConfig[0].Image += "-changed"
	if err := k8sClient.Update(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	before := resourceVersions(t, cr)
	cr, _ = reconcile(t, cr)
	if now := resourceVersions(t, cr); !equalMaps(before, now) {
		t.Errorf("a paused reconcile changed objects:\nbefore %v\nafter  %v", before, now)
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionPaused); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("ReconciliationPaused = %+v, want True", c)
	}
	cr.Spec.Paused = false
	if err := k8sClient.Update(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	cr, _ = reconcile(t, cr)
	for _, node := range cr.Spec.Nodes {
		if node.K8sConfig != cr.Spec.K8sConfig[0].Name {
			continue
		}
		tmpl, _, _ := podTemplate(t, cr, node)
		if tmpl.Spec.Containers[0].Image != cr.Spec.K8sConfig[0].Image {
			t.Errorf("node %s: image %q after unpause, want %q", node.Name, tmpl.Spec.Containers[0].Image, cr.Spec.K8sConfig[0].Image)
		}
	}
}

func TestAPIServerRejectsInconsistentSpecs(t *testing.T) {
	cases := map[string]struct {
		edit func(*v1alpha1.Druid)
		want string
	}{
		"node type missing from deploymentOrder": {
			edit: func(cr *v1alpha1.Druid) {
				cr.Spec.DeploymentOrder = cr.Spec.DeploymentOrder[:len(cr.Spec.DeploymentOrder)-1]
			},
			want: "must be listed in deploymentOrder",
		},
		"unknown k8sConfig": {
			edit: func(cr *v1alpha1.Druid) { cr.Spec.Nodes[0].K8sConfig = "no-such-group" },
			want: "must name an entry of spec.k8sConfig",
		},
		"node kind in the wrong case": {
			edit: func(cr *v1alpha1.Druid) { cr.Spec.Nodes[0].Kind = "statefulset" },
			want: "Unsupported value",
		},
		"unknown node type": {
			edit: func(cr *v1alpha1.Druid) { cr.Spec.Nodes[0].NodeType = "no-such-type" },
			want: "Unsupported value",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := loadSample(t)
			cr.Namespace = "default"
			cr.Name = "invalid"
			tc.edit(cr)
			err := k8sClient.Create(context.Background(), cr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("create: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// resourceVersions maps every object in the CR's namespace to its resourceVersion.
func resourceVersions(t *testing.T, cr *v1alpha1.Druid) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	lists := []client.ObjectList{&corev1.ConfigMapList{}, &corev1.ServiceList{}, &appsv1.StatefulSetList{}, &appsv1.DeploymentList{}, &policyv1.PodDisruptionBudgetList{}}
	for _, list := range lists {
		if err := k8sClient.List(ctx, list, client.InNamespace(cr.Namespace)); err != nil {
			t.Fatal(err)
		}
		if err := meta.EachListItem(list, func(o runtime.Object) error {
			obj := o.(client.Object)
			out[fmt.Sprintf("%T/%s", obj, obj.GetName())] = obj.GetResourceVersion()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func configHashes(t *testing.T, cr *v1alpha1.Druid) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, node := range cr.Spec.Nodes {
		tmpl, _, _ := podTemplate(t, cr, node)
		out[node.Name] = tmpl.Annotations[dsoi.AnnotationConfigHash]
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
