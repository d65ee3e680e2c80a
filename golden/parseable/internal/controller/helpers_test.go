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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

	v1alpha1 "github.com/acme/parseable-operator/api/v1alpha1"
	"github.com/acme/parseable-operator/internal/dsoi"
)

// dependencyEnvNames are the environment variables the description asks every node container to get.
var dependencyEnvNames = []string{"P_S3_URL", "P_S3_BUCKET", "P_S3_REGION", "P_S3_ACCESS_KEY", "P_S3_SECRET_KEY", "P_USERNAME", "P_PASSWORD"}

// loadSample reads the sample CR shipped in config/samples, so the tests prove the API
// server accepts it and the operator installs it.
func loadSample(t *testing.T) *v1alpha1.Parseable {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "v1alpha1_parseable.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cr := &v1alpha1.Parseable{}
	if err := yaml.UnmarshalStrict(data, cr); err != nil {
		t.Fatalf("sample: %v", err)
	}
	return cr
}

// newCluster creates the sample CR in a namespace of its own and returns it.
func newCluster(t *testing.T, edit func(*v1alpha1.Parseable)) *v1alpha1.Parseable {
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
func reconcile(t *testing.T, cr *v1alpha1.Parseable) (*v1alpha1.Parseable, []string) {
	t.Helper()
	out, got, err := tryReconcile(t, k8sClient, cr)
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return out, got
}

// tryReconcile is reconcile through client c, for a reconcile that may fail.
func tryReconcile(t *testing.T, c client.Client, cr *v1alpha1.Parseable) (*v1alpha1.Parseable, []string, error) {
	t.Helper()
	recorder := events.NewFakeRecorder(100)
	r := &ParseableReconciler{Client: c, APIReader: c, Scheme: testScheme, Recorder: recorder, Now: func() time.Time { return testClock }}
	key := client.ObjectKeyFromObject(cr)
	_, rerr := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
	out := &v1alpha1.Parseable{}
	if err := c.Get(context.Background(), key, out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(recorder.Events) > 0 {
		got = append(got, <-recorder.Events)
	}
	return out, got, rerr
}

func get(t *testing.T, cr *v1alpha1.Parseable, name string, obj client.Object) {
	t.Helper()
	if err := k8sClient.Get(context.Background(), types.NamespacedName{Namespace: cr.Namespace, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s: %v", obj, name, err)
	}
}

func k8sConfigOf(cr *v1alpha1.Parseable, name string) *v1alpha1.ParseableK8sConfig {
	for i := range cr.Spec.K8sConfig {
		if cr.Spec.K8sConfig[i].Name == name {
			return &cr.Spec.K8sConfig[i]
		}
	}
	return nil
}

// podTemplate returns the pod template and selector of a node set's workload.
func podTemplate(t *testing.T, cr *v1alpha1.Parseable, node v1alpha1.ParseableNode) (corev1.PodTemplateSpec, *metav1.LabelSelector, []metav1.OwnerReference) {
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

// resourceVersions maps every object in the CR's namespace to its resourceVersion.
func resourceVersions(t *testing.T, cr *v1alpha1.Parseable) map[string]string {
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

func configHashes(t *testing.T, cr *v1alpha1.Parseable) map[string]string {
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

// exists reports whether the named object exists in the CR's namespace.
func exists(t *testing.T, cr *v1alpha1.Parseable, name string, obj client.Object) bool {
	t.Helper()
	err := k8sClient.Get(context.Background(), types.NamespacedName{Namespace: cr.Namespace, Name: name}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// testClock is the reconciler's clock in tests: it moves only when a test moves it.
var testClock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// workloads returns the StatefulSets and Deployments of the CR's node sets, by node set name.
func workloads(t *testing.T, cr *v1alpha1.Parseable) map[string]client.Object {
	t.Helper()
	out := map[string]client.Object{}
	for _, node := range cr.Spec.Nodes {
		var obj client.Object = &appsv1.Deployment{}
		if node.Kind == dsoi.KindStatefulSet {
			obj = &appsv1.StatefulSet{}
		}
		err := k8sClient.Get(context.Background(), types.NamespacedName{Namespace: cr.Namespace, Name: dsoi.ObjectName(cr.Name, node.Name)}, obj)
		if err == nil {
			out[node.Name] = obj
		}
	}
	return out
}

// markRolledOut does what the StatefulSet and Deployment controllers would (none run under
// envtest): it reports every workload's current spec as fully rolled out and ready.
func markRolledOut(t *testing.T, cr *v1alpha1.Parseable) {
	t.Helper()
	for _, obj := range workloads(t, cr) {
		var n int32
		switch w := obj.(type) {
		case *appsv1.StatefulSet:
			n = *w.Spec.Replicas
			revision := fmt.Sprintf("%s-%d", w.Name, w.Generation)
			w.Status = appsv1.StatefulSetStatus{ObservedGeneration: w.Generation, Replicas: n, ReadyReplicas: n, CurrentReplicas: n,
				UpdatedReplicas: n, AvailableReplicas: n, CurrentRevision: revision, UpdateRevision: revision}
		case *appsv1.Deployment:
			n = *w.Spec.Replicas
			w.Status = appsv1.DeploymentStatus{ObservedGeneration: w.Generation, Replicas: n, ReadyReplicas: n, UpdatedReplicas: n, AvailableReplicas: n}
		}
		_ = n
		if err := k8sClient.Status().Update(context.Background(), obj); err != nil {
			t.Fatalf("mark %s rolled out: %v", obj.GetName(), err)
		}
	}
}

// rollOut reconciles and marks workloads rolled out until the CR stops progressing, and
// returns the CR and every event on the way.
func rollOut(t *testing.T, cr *v1alpha1.Parseable) (*v1alpha1.Parseable, []string) {
	t.Helper()
	var all []string
	for i := 0; i < rollOutRounds(cr); i++ {
		var got []string
		cr, got = reconcile(t, cr)
		all = append(all, got...)
		if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionProgressing); c != nil && c.Status == metav1.ConditionFalse {
			return cr, all
		}
		markRolledOut(t, cr)
	}
	t.Fatalf("still progressing after %d rounds: %+v", rollOutRounds(cr), cr.Status.Conditions)
	return cr, all
}

// rollOutRounds is how many reconciles a rollout of cr may take: three per node set.
func rollOutRounds(cr *v1alpha1.Parseable) int {
	n := 3*len(cr.Spec.Nodes) + 3
	return n
}

// images returns each node set's container image as its workload has it.
func images(t *testing.T, cr *v1alpha1.Parseable) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, node := range cr.Spec.Nodes {
		tmpl, _, _ := podTemplate(t, cr, node)
		out[node.Name] = tmpl.Spec.Containers[0].Image
	}
	return out
}

// update writes the CR's spec, edited by edit, and returns the stored CR.
func update(t *testing.T, cr *v1alpha1.Parseable, edit func(*v1alpha1.Parseable)) *v1alpha1.Parseable {
	t.Helper()
	edit(cr)
	if err := k8sClient.Update(context.Background(), cr); err != nil {
		t.Fatalf("update %s: %v", cr.Name, err)
	}
	return cr
}

// hasEvent reports whether an event starts with prefix ("Normal UpgradeStarted", ...).
func hasEvent(got []string, prefix string) bool {
	return slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, prefix) })
}

func countEvents(got []string, prefix string) int {
	n := 0
	for _, e := range got {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// mountedConfigMaps returns the ConfigMaps a node set's pods mount.
func mountedConfigMaps(tmpl corev1.PodTemplateSpec) []string {
	var names []string
	for _, v := range tmpl.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ConfigMap != nil && !slices.Contains(names, s.ConfigMap.Name) {
				names = append(names, s.ConfigMap.Name)
			}
		}
	}
	return names
}
