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
	"errors"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1alpha1 "github.com/acme/parseable-operator/api/v1alpha1"
	"github.com/acme/parseable-operator/internal/dsoi"
)

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

	// Config files: the sample's contents land, unchanged, in immutable ConfigMaps the pods mount.
	groups := map[string]*v1alpha1.ParseableConfig{}
	for i := range cr.Spec.ParseableConfig {
		groups[cr.Spec.ParseableConfig[i].Name] = &cr.Spec.ParseableConfig[i]
	}
	for _, node := range cr.Spec.Nodes {
		tmpl, _, _ := podTemplate(t, cr, node)
		data := map[string]string{}
		for _, name := range mountedConfigMaps(tmpl) {
			cm := &corev1.ConfigMap{}
			get(t, cr, name, cm)
			if cm.Immutable == nil || !*cm.Immutable {
				t.Errorf("ConfigMap %s is mutable", name)
			}
			for k, v := range cm.Data {
				data[k] = v
			}
		}
		for _, f := range nodeTypeFiles[node.NodeType] {
			want := orDefault(clusterFileContent(cr, f), f)
			if !f.cluster {
				want = orDefault(nodeFileContent(groups[node.ParseableConfig], f), f)
			}
			if data[f.key] != want {
				t.Errorf("node %s: file %s = %q, want %q", node.Name, f.fileName, data[f.key], want)
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
	cr, _ = reconcile(t, cr) // installed, not yet ready
	before := resourceVersions(t, cr)
	if again, got := reconcile(t, cr); again.ResourceVersion != cr.ResourceVersion || len(got) != 0 || !equalMaps(before, resourceVersions(t, cr)) {
		t.Errorf("a second reconcile during the install wrote something: events %v", got)
	}
	cr, _ = rollOut(t, cr) // and once everything is ready
	before = resourceVersions(t, cr)
	after, got := reconcile(t, cr)
	if now := resourceVersions(t, after); !equalMaps(before, now) {
		t.Errorf("a reconcile with nothing to do changed objects:\nbefore %v\nafter  %v", before, now)
	}
	if after.ResourceVersion != cr.ResourceVersion {
		t.Errorf("a reconcile with nothing to do wrote the Parseable (status included)")
	}
	if len(got) != 0 {
		t.Errorf("a reconcile with nothing to do emitted events: %v", got)
	}
}

// controller-runtime's cache can hand a reconcile the Parseable as it was before the operator's
// own last status write. That reconcile sends no write (not even one the API server would
// refuse with 409 Conflict) and looks again soon; once the cache has caught up, reconciles go
// on as before.
func TestStaleReadIsHeldBack(t *testing.T) {
	cr := newCluster(t, nil)
	before := cr.DeepCopy()
	recorder := events.NewFakeRecorder(100)
	r := &ParseableReconciler{Client: k8sClient, APIReader: k8sClient, Scheme: testScheme, Recorder: recorder, Now: func() time.Time { return testClock }}
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cr)}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	written := &v1alpha1.Parseable{}
	get(t, cr, cr.Name, written)
	if written.ResourceVersion == before.ResourceVersion {
		t.Fatal("the first reconcile wrote no status")
	}
	for len(recorder.Events) > 0 {
		<-recorder.Events
	}

	// The same reconciler, reading through a cache that still holds the copy from before.
	watching, err := client.NewWithWatch(testConfig, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	r.Client = interceptor.NewClient(watching, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if stale, ok := obj.(*v1alpha1.Parseable); ok && key == req.NamespacedName {
				before.DeepCopyInto(stale)
				return nil
			}
			return c.Get(ctx, key, obj, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			sent = append(sent, "create "+obj.GetName())
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			sent = append(sent, "update "+obj.GetName())
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			sent = append(sent, "patch "+obj.GetName())
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			sent = append(sent, "delete "+obj.GetName())
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			sent = append(sent, "update "+obj.GetName()+"/"+sub)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			sent = append(sent, "patch "+obj.GetName()+"/"+sub)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	res, err := r.Reconcile(context.Background(), req)
	if err != nil || res.RequeueAfter != time.Second {
		t.Errorf("reconcile of a stale copy: %+v, %v; want a look again in 1s", res, err)
	}
	if len(sent) != 0 || len(recorder.Events) != 0 {
		t.Errorf("a reconcile of a stale copy sent %v and recorded %d events", sent, len(recorder.Events))
	}

	// Caught up: the next reconcile acts again (here it pauses).
	r.Client = k8sClient
	update(t, written, func(cr *v1alpha1.Parseable) { cr.Spec.Paused = true })
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	paused := &v1alpha1.Parseable{}
	get(t, cr, cr.Name, paused)
	if !meta.IsStatusConditionTrue(paused.Status.Conditions, dsoi.ConditionPaused) {
		t.Errorf("after the cache caught up the reconcile did not act: conditions %+v", paused.Status.Conditions)
	}
}

func TestDriftIsReverted(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	ctx := context.Background()
	node := cr.Spec.Nodes[0]
	svc := &corev1.Service{}
	get(t, cr, dsoi.ObjectName(cr.Name, node.Name), svc)
	if err := k8sClient.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	tmpl, _, _ := podTemplate(t, cr, node)
	for _, name := range mountedConfigMaps(tmpl) {
		cm := &corev1.ConfigMap{}
		get(t, cr, name, cm)
		// Config files cannot be edited by hand: the ConfigMaps are immutable.
		cm.Data = map[string]string{"hand-edited": "yes"}
		if err := k8sClient.Update(ctx, cm); err == nil {
			t.Errorf("ConfigMap %s accepted a hand edit", name)
		}
		if err := k8sClient.Delete(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	sts := workloads(t, cr)[node.Name]
	switch w := sts.(type) {
	case *appsv1.StatefulSet:
		w.Spec.Replicas = ptrTo(*w.Spec.Replicas + 3)
	case *appsv1.Deployment:
		w.Spec.Replicas = ptrTo(*w.Spec.Replicas + 3)
	}
	if err := k8sClient.Update(ctx, sts); err != nil {
		t.Fatal(err)
	}

	cr, _ = reconcile(t, cr)
	get(t, cr, dsoi.ObjectName(cr.Name, node.Name), &corev1.Service{})
	for _, name := range mountedConfigMaps(tmpl) {
		get(t, cr, name, &corev1.ConfigMap{})
	}
	want := int32(1)
	if node.Replicas != nil {
		want = *node.Replicas
	}
	switch w := workloads(t, cr)[node.Name].(type) {
	case *appsv1.StatefulSet:
		if *w.Spec.Replicas != want {
			t.Errorf("hand-edited replicas not reverted: %d, want %d", *w.Spec.Replicas, want)
		}
	case *appsv1.Deployment:
		if *w.Spec.Replicas != want {
			t.Errorf("hand-edited replicas not reverted: %d, want %d", *w.Spec.Replicas, want)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestRemovedNodeSetIsDeleted(t *testing.T) {
	cr := newCluster(t, func(cr *v1alpha1.Parseable) {
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
	cr, _ = rollOut(t, cr)
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
	cr, _ = rollOut(t, cr)
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

// status.observedGeneration moves only to a generation that was acted on: tools that wait
// for it (kstatus, Flux, Argo CD health) must not report a rollout that never happened.
func TestPausedObservesOnlyWhatIsApplied(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)

	// Pausing changes no object, so its generation is observed at once.
	cr = update(t, cr, func(cr *v1alpha1.Parseable) { cr.Spec.Paused = true })
	cr, _ = reconcile(t, cr)
	if cr.Status.ObservedGeneration != cr.Generation {
		t.Errorf("observedGeneration %d after pausing, want %d: nothing was pending", cr.Status.ObservedGeneration, cr.Generation)
	}
	paused := cr.Generation

	// A new image while paused: not applied, so not observed, and Progressing says why.
	before := images(t, cr)
	cr = update(t, cr, func(cr *v1alpha1.Parseable) { cr.Spec.K8sConfig[0].Image += "-next" })
	cr, got := reconcile(t, cr)
	if cr.Status.ObservedGeneration != paused {
		t.Errorf("observedGeneration %d while the new image waits for the pause to end, want %d", cr.Status.ObservedGeneration, paused)
	}
	if now := images(t, cr); !equalMaps(before, now) {
		t.Errorf("images %v while paused, want %v", now, before)
	}
	progressing := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionProgressing)
	if progressing == nil || progressing.Status != metav1.ConditionFalse || progressing.Reason != "Paused" ||
		progressing.ObservedGeneration != cr.Generation || !strings.Contains(progressing.Message, "not applied because spec.paused is set") {
		t.Errorf("Progressing = %+v, want False, Paused, at generation %d, saying the generation is not applied", progressing, cr.Generation)
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionAvailable); c == nil || c.ObservedGeneration >= cr.Generation {
		t.Errorf("Available = %+v: restamped at generation %d, which is not rolled out", c, cr.Generation)
	}
	if len(got) != 0 {
		t.Errorf("a paused reconcile recorded %v", got)
	}

	// Unpaused: the change rolls out, as an upgrade from the generation last acted on.
	cr = update(t, cr, func(cr *v1alpha1.Parseable) { cr.Spec.Paused = false })
	cr, _ = rollOut(t, cr)
	if cr.Status.ObservedGeneration != cr.Generation {
		t.Errorf("observedGeneration %d after the rollout, want %d", cr.Status.ObservedGeneration, cr.Generation)
	}
	if u := cr.Status.Upgrade; u == nil || u.FromGeneration != paused || u.ToGeneration != cr.Generation {
		t.Errorf("upgrade %+v, want from generation %d to %d", u, paused, cr.Generation)
	}
}

// A reconcile that fails does not observe its generation: Degraded says why, and Available
// and Progressing do not claim the new generation rolled out.
func TestFailedReconcileIsNotObserved(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	rolled := cr.Generation
	// A Service setting the CRD takes but the API server refuses for the Service itself.
	cr = update(t, cr, func(cr *v1alpha1.Parseable) {
		kc := &cr.Spec.K8sConfig[0]
		if kc.Service == nil {
			kc.Service = &corev1.ServiceSpec{}
		}
		kc.Service.SessionAffinity = "Sticky"
	})
	cr, got, err := tryReconcile(t, k8sClient, cr)
	if err == nil {
		t.Fatal("the reconcile succeeded with a Service the API server refuses")
	}
	checkNotObserved(t, cr, rolled, "ReconcileError", "sessionAffinity")
	if !hasEvent(got, "Warning ReconcileError") {
		t.Errorf("no ReconcileError warning among %v", got)
	}
	// Tried again and failing the same way: the status already says so, the event is not repeated.
	if _, got, err = tryReconcile(t, k8sClient, cr); err == nil || hasEvent(got, "Warning ReconcileError") {
		t.Errorf("the same failure again: error %v, events %v; want the error and no second event", err, got)
	}

	// Fixed: the generation rolls out and is observed.
	cr = update(t, cr, func(cr *v1alpha1.Parseable) {
		cr.Spec.K8sConfig[0].Service.SessionAffinity = corev1.ServiceAffinityNone
	})
	cr, _ = rollOut(t, cr)
	if cr.Status.ObservedGeneration != cr.Generation || !meta.IsStatusConditionFalse(cr.Status.Conditions, dsoi.ConditionDegraded) {
		t.Errorf("observedGeneration %d (want %d), conditions %+v after the fix", cr.Status.ObservedGeneration, cr.Generation, cr.Status.Conditions)
	}
}

// While the API server cannot be reached (a control-plane restart), the reconcile is tried
// again every dsoi.RetryUnreachable: controller-runtime's back-off would grow through the
// outage and keep the rollout waiting after it. Nothing can be stored, so nothing is told.
func TestUnreachableServerIsTriedAgainSoon(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	cr = update(t, cr, func(cr *v1alpha1.Parseable) { cr.Spec.K8sConfig[0].Image += "-next" })
	refused := &url.Error{Op: "Get", URL: testConfig.Host, Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}
	watching, err := client.NewWithWatch(testConfig, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	// The cache still holds the CR; every call that reaches for the server is refused.
	away := interceptor.NewClient(watching, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, isCR := obj.(*v1alpha1.Parseable); isCR {
				return c.Get(ctx, key, obj, opts...)
			}
			return refused
		},
		List:   func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error { return refused },
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error { return refused },
		Update: func(context.Context, client.WithWatch, client.Object, ...client.UpdateOption) error { return refused },
		Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
			return refused
		},
		Delete: func(context.Context, client.WithWatch, client.Object, ...client.DeleteOption) error { return refused },
		SubResourceUpdate: func(context.Context, client.Client, string, client.Object, ...client.SubResourceUpdateOption) error {
			return refused
		},
		SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
			return refused
		},
	})
	recorder := events.NewFakeRecorder(100)
	r := &ParseableReconciler{Client: away, APIReader: away, Scheme: testScheme, Recorder: recorder, Now: func() time.Time { return testClock }}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cr)})
	if err != nil || res.RequeueAfter != dsoi.RetryUnreachable {
		t.Errorf("reconcile with the API server away: %+v, %v; want a try again in %s", res, err, dsoi.RetryUnreachable)
	}
	if n := len(recorder.Events); n != 0 {
		t.Errorf("%d events recorded while nothing could be stored", n)
	}

	// Back: the change rolls out.
	cr, _ = rollOut(t, cr)
	if cr.Status.ObservedGeneration != cr.Generation {
		t.Errorf("observedGeneration %d once the server is back, want %d", cr.Status.ObservedGeneration, cr.Generation)
	}
}

// An upgrade whose first writes one reconcile made but whose status it never stored (the
// operator killed, or its leadership lost, in between) is still recorded by the next ones:
// found by the workload's revision having moved on since the status was stored.
func TestUpgradeIsRecordedWhenItsReconcileEndedEarly(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	from, before := cr.Generation, images(t, cr)
	cr = update(t, cr, func(cr *v1alpha1.Parseable) {
		for i := range cr.Spec.K8sConfig {
			cr.Spec.K8sConfig[i].Image += "-next"
		}
	})
	watching, err := client.NewWithWatch(testConfig, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	killed := errors.New("the operator was killed before storing the status")
	lost := interceptor.NewClient(watching, interceptor.Funcs{
		SubResourceUpdate: func(context.Context, client.Client, string, client.Object, ...client.SubResourceUpdateOption) error {
			return killed
		},
		SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
			return killed
		},
	})
	cr, _, err = tryReconcile(t, lost, cr)
	if err == nil {
		t.Fatal("the reconcile stored its status through a client that refuses it")
	}
	if now := images(t, cr); equalMaps(before, now) {
		t.Fatalf("the first reconcile changed no workload: images %v", now)
	}
	if u := cr.Status.Upgrade; u != nil && u.ToGeneration == cr.Generation {
		t.Fatalf("status.upgrade %+v was stored, though every status write failed", u)
	}
	markRolledOut(t, cr)

	cr, got := rollOut(t, cr)
	u := cr.Status.Upgrade
	if u == nil || u.Phase != dsoi.UpgradeCompleted || u.FromGeneration != from || u.ToGeneration != cr.Generation {
		t.Errorf("status.upgrade %+v, want Completed from generation %d to %d", u, from, cr.Generation)
	}
	if !hasEvent(got, "Normal UpgradeCompleted") {
		t.Errorf("no UpgradeCompleted event among %v", got)
	}
}

// A spec the API server takes but the operator cannot build is not observed either. The CRD's
// rules catch every such spec known today, so a fake client without them stands in.
func TestInvalidSpecIsNotObserved(t *testing.T) {
	cr := loadSample(t)
	cr.Namespace, cr.Name, cr.Generation = "default", "invalid-spec", 3
	cr.Status.ObservedGeneration = 2
	cr.Spec.Nodes[0].K8sConfig = "no-such-group"
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(cr).WithStatusSubresource(cr).Build()
	cr, got, err := tryReconcile(t, c, cr)
	if err != nil {
		t.Fatalf("reconcile: %v; an invalid spec waits for a new spec, it is no error to retry", err)
	}
	checkNotObserved(t, cr, 2, "InvalidSpec", "no-such-group")
	if !hasEvent(got, "Warning InvalidSpec") {
		t.Errorf("no InvalidSpec warning among %v", got)
	}
}

// checkNotObserved checks that cr's status still observes generation observed, that Degraded
// gives reason and a message containing detail at the current generation, and that no
// condition claims the current generation rolled out.
func checkNotObserved(t *testing.T, cr *v1alpha1.Parseable, observed int64, reason, detail string) {
	t.Helper()
	if cr.Status.ObservedGeneration != observed {
		t.Errorf("observedGeneration %d, want %d: generation %d was not acted on", cr.Status.ObservedGeneration, observed, cr.Generation)
	}
	degraded := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded)
	if degraded == nil || degraded.Status != metav1.ConditionTrue || degraded.Reason != reason || degraded.ObservedGeneration != cr.Generation || !strings.Contains(degraded.Message, detail) {
		t.Errorf("Degraded = %+v, want True, %s, at generation %d, naming %q", degraded, reason, cr.Generation, detail)
	}
	for _, c := range cr.Status.Conditions {
		if c.ObservedGeneration == cr.Generation && (c.Reason == "RolloutComplete" || c.Reason == "AllNodeSetsReady") {
			t.Errorf("%s = %s (%s) claims generation %d, which was not rolled out", c.Type, c.Reason, c.Message, cr.Generation)
		}
	}
}

func TestStopScalesToZeroAndBack(t *testing.T) {
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	replicas := func() map[string]int32 {
		out := map[string]int32{}
		for name, obj := range workloads(t, cr) {
			switch w := obj.(type) {
			case *appsv1.StatefulSet:
				out[name] = *w.Spec.Replicas
			case *appsv1.Deployment:
				out[name] = *w.Spec.Replicas
			}
		}
		return out
	}
	running := replicas()
	cr = update(t, cr, func(cr *v1alpha1.Parseable) { cr.Spec.Stopped = true })
	cr, _ = rollOut(t, cr)
	for name, n := range replicas() {
		if n != 0 {
			t.Errorf("node set %s has %d replicas while stopped", name, n)
		}
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionAvailable); c == nil || c.Reason != "Stopped" {
		t.Errorf("Available = %+v, want reason Stopped", c)
	}
	cr = update(t, cr, func(cr *v1alpha1.Parseable) { cr.Spec.Stopped = false })
	cr, _ = rollOut(t, cr)
	if got := replicas(); !equalReplicas(got, running) {
		t.Errorf("replicas after restart %v, want %v", got, running)
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionAvailable); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Available = %+v after restart, want True", c)
	}
}

func equalReplicas(a, b map[string]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestAPIServerRejectsInconsistentSpecs(t *testing.T) {
	cases := map[string]struct {
		edit func(*v1alpha1.Parseable)
		want string
	}{
		"node type missing from deploymentOrder": {
			edit: func(cr *v1alpha1.Parseable) {
				cr.Spec.DeploymentOrder = cr.Spec.DeploymentOrder[:len(cr.Spec.DeploymentOrder)-1]
			},
			want: "must be listed in deploymentOrder",
		},
		"unknown k8sConfig": {
			edit: func(cr *v1alpha1.Parseable) { cr.Spec.Nodes[0].K8sConfig = "no-such-group" },
			want: "must name an entry of spec.k8sConfig",
		},
		"node kind in the wrong case": {
			edit: func(cr *v1alpha1.Parseable) { cr.Spec.Nodes[0].Kind = "statefulset" },
			want: "Unsupported value",
		},
		"unknown node type": {
			edit: func(cr *v1alpha1.Parseable) { cr.Spec.Nodes[0].NodeType = "no-such-type" },
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
