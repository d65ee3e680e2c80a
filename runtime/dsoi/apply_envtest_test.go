package dsoi

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Apply against a real API server: creates, no-op applies, updates, drift and recreation.

func TestApplyCreatesThenWritesNothing(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	objs := allObjects(t, cluster)
	for _, obj := range objs {
		action, err := a.Apply(ctx, obj)
		if err != nil || action != Created {
			t.Fatalf("Apply %s = %s, %v; want Created", describe(obj), action, err)
		}
		if obj.GetUID() == "" || obj.GetResourceVersion() == "" {
			t.Errorf("%s: desired does not hold the API server's answer after Create", describe(obj))
		}
	}

	fresh := allObjects(t, cluster)
	for i, obj := range objs {
		got := live(t, c, obj)
		ref := metav1.GetControllerOf(got)
		if ref == nil || ref.UID != a.Owner.GetUID() || ref.Kind != "ConfigMap" || ref.Name != "basic" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("%s: controller reference %+v, want the owner ConfigMap basic", describe(obj), ref)
		}
		if n := len(got.GetOwnerReferences()); n != 1 {
			t.Errorf("%s: %d owner references, want 1", describe(obj), n)
		}
		want, err := specHash(fresh[i])
		if err != nil {
			t.Fatal(err)
		}
		if h := got.GetAnnotations()[AnnotationSpecHash]; h != want {
			t.Errorf("%s: spec-hash annotation %q, want %q", describe(obj), h, want)
		}
		for k, v := range fresh[i].GetLabels() {
			if got.GetLabels()[k] != v {
				t.Errorf("%s: label %s = %q, want %q", describe(obj), k, got.GetLabels()[k], v)
			}
		}
	}

	// The same desired state again, built afresh as every reconcile does: no write at all.
	before := resourceVersions(t, c, objs)
	for _, obj := range fresh {
		action, err := a.Apply(ctx, obj)
		if err != nil || action != Unchanged {
			t.Errorf("second Apply %s = %s, %v; want Unchanged", describe(obj), action, err)
		}
		if obj.GetResourceVersion() != before[KeyOf(obj)] {
			t.Errorf("%s: Unchanged Apply left desired at resourceVersion %q, want the live %q", describe(obj), obj.GetResourceVersion(), before[KeyOf(obj)])
		}
	}
	if after := resourceVersions(t, c, objs); !maps.Equal(before, after) {
		t.Errorf("a no-op Apply wrote: resourceVersions %v -> %v", before, after)
	}
}

func TestApplyUpdatesWhenDesiredChanges(t *testing.T) {
	var (
		sts    = ObjectKey{KindStatefulSet, "basic-controller"}
		deploy = ObjectKey{KindDeployment, "basic-broker"}
	)
	tests := map[string]struct {
		edit    func(c *Cluster)
		updated []ObjectKey // every other object must stay Unchanged
		// newConfig lists the ConfigMaps (base names) whose data changes: each gets a new
		// object, Created, while the old one stays untouched (pruning is Reconcile's job).
		newConfig []string
		check     func(t *testing.T, c client.Client, cluster *Cluster)
	}{
		"image": {
			edit:    func(c *Cluster) { c.NodeSets[0].Container.Image = "apachepinot/pinot:1.1.0" },
			updated: []ObjectKey{sts},
			check: func(t *testing.T, c client.Client, cluster *Cluster) {
				if img := liveStatefulSet(t, c, cluster).Spec.Template.Spec.Containers[0].Image; img != "apachepinot/pinot:1.1.0" {
					t.Errorf("image %q, want the new one", img)
				}
			},
		},
		"env var removed": {
			// The live object still holds everything the removed variable left behind, so
			// only the spec-hash annotation shows that something went away.
			edit:    func(c *Cluster) { c.NodeSets[0].Container.Env = c.NodeSets[0].Container.Env[:1] },
			updated: []ObjectKey{sts},
			check: func(t *testing.T, c client.Client, cluster *Cluster) {
				env := liveStatefulSet(t, c, cluster).Spec.Template.Spec.Containers[0].Env
				if len(env) != 1 || env[0].Name != "JAVA_OPTS" {
					t.Errorf("env %v, want only JAVA_OPTS", env)
				}
			},
		},
		"replicas": {
			edit:    func(c *Cluster) { c.NodeSets[1].Replicas = 5 },
			updated: []ObjectKey{deploy},
			check: func(t *testing.T, c client.Client, cluster *Cluster) {
				d := &appsv1.Deployment{}
				d.Name, d.Namespace = "basic-broker", cluster.Namespace
				if r := *live(t, c, d).Spec.Replicas; r != 5 {
					t.Errorf("replicas %d, want 5", r)
				}
			},
		},
		"config file the StatefulSet mounts": {
			// A new ConfigMap, and only the node set that mounts it rolls onto it.
			edit:      func(c *Cluster) { c.ConfigMaps[0].Data["controller.conf"] = "controller.port=9001\n" },
			newConfig: []string{"basic-controller-conf"},
			updated:   []ObjectKey{sts},
			check: func(t *testing.T, c client.Client, cluster *Cluster) {
				want := []string{ConfigMapName(cluster.ConfigMaps[1]), ConfigMapName(cluster.ConfigMaps[0])}
				if got := mountedConfigMaps(liveStatefulSet(t, c, cluster).Spec.Template.Spec); !slices.Equal(got, want) {
					t.Errorf("StatefulSet mounts %v, want %v", got, want)
				}
			},
		},
		"config key nobody mounts": {
			// The ConfigMap is named after all its data, so the StatefulSet, which mounts
			// another key of it, follows it to the new name; the Deployment does not use it.
			edit:      func(c *Cluster) { delete(c.ConfigMaps[0].Data, "unused.conf") },
			newConfig: []string{"basic-controller-conf"},
			updated:   []ObjectKey{sts},
		},
		"config file both node sets mount": {
			edit:      func(c *Cluster) { c.ConfigMaps[1].Data["log4j2.xml"] = "<Configuration status=\"debug\"/>\n" },
			newConfig: []string{"basic-common"},
			updated:   []ObjectKey{sts, deploy},
		},
		"stopped": {
			edit:    func(c *Cluster) { c.Stopped = true },
			updated: []ObjectKey{sts, deploy},
			check: func(t *testing.T, c client.Client, cluster *Cluster) {
				if r := *liveStatefulSet(t, c, cluster).Spec.Replicas; r != 0 {
					t.Errorf("replicas %d after stop, want 0", r)
				}
			},
		},
		"container port": {
			edit: func(c *Cluster) { c.NodeSets[0].Container.Ports[0].ContainerPort = 9010 },
			updated: []ObjectKey{
				{"Service", "basic-controller"}, {"Service", "basic-controller-headless"}, sts,
			},
		},
		"pod label added": {
			edit:    func(c *Cluster) { c.NodeSets[1].PodLabels = map[string]string{"team": "data"} },
			updated: []ObjectKey{deploy},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, c, a, cluster := setup(t)
			oldConfigMaps := BuildConfigMaps(cluster)
			applyAll(t, a, allObjects(t, cluster))
			before := resourceVersions(t, c, asObjects(oldConfigMaps))

			tt.edit(cluster)
			want := map[ObjectKey]Action{}
			for _, obj := range allObjects(t, cluster) {
				want[KeyOf(obj)] = Unchanged
			}
			for _, key := range tt.updated {
				want[key] = Updated
			}
			for _, cm := range cluster.ConfigMaps {
				if slices.Contains(tt.newConfig, cm.Name) {
					want[ObjectKey{"ConfigMap", ConfigMapName(cm)}] = Created
				}
			}
			got := applyAll(t, a, allObjects(t, cluster))
			for key, w := range want {
				if got[key] != w {
					t.Errorf("%v: %s, want %s", key, got[key], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("applied %d objects, want %d", len(got), len(want))
			}
			if after := resourceVersions(t, c, asObjects(oldConfigMaps)); !maps.Equal(before, after) {
				t.Errorf("the old ConfigMaps changed: %v -> %v", before, after)
			}
			if tt.check != nil {
				tt.check(t, c, cluster)
			}
			// Converged: the next reconcile writes nothing.
			for key, action := range applyAll(t, a, allObjects(t, cluster)) {
				if action != Unchanged {
					t.Errorf("%v: %s on the apply after the update, want Unchanged", key, action)
				}
			}
		})
	}
}

func TestApplyRevertsHandEdits(t *testing.T) {
	var (
		configMap = ObjectKey{"ConfigMap", ConfigMapName(testCluster("").ConfigMaps[0])}
		service   = ObjectKey{"Service", "basic-controller"}
		sts       = ObjectKey{KindStatefulSet, "basic-controller"}
		deploy    = ObjectKey{KindDeployment, "basic-broker"}
		pdb       = ObjectKey{"PodDisruptionBudget", "basic-controller"}
	)
	tests := map[string]struct {
		obj  ObjectKey // the object a person edits
		edit func(obj client.Object)
		// reverted reports whether the live object is back to what the operator wants.
		reverted func(obj client.Object) bool
	}{
		// The data of a ConfigMap is immutable (TestApplyConfigMapsAreImmutable); its labels are not.
		"ConfigMap label removed": {
			obj:      configMap,
			edit:     func(o client.Object) { delete(o.GetLabels(), LabelInstance) },
			reverted: func(o client.Object) bool { return o.GetLabels()[LabelInstance] == "basic" },
		},
		"Service port": {
			obj:      service,
			edit:     func(o client.Object) { o.(*corev1.Service).Spec.Ports[0].Port = 1234 },
			reverted: func(o client.Object) bool { return o.(*corev1.Service).Spec.Ports[0].Port == 9000 },
		},
		"Service port added": {
			obj: service,
			edit: func(o client.Object) {
				svc := o.(*corev1.Service)
				svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "debug", Port: 5005, Protocol: corev1.ProtocolTCP})
			},
			reverted: func(o client.Object) bool { return len(o.(*corev1.Service).Spec.Ports) == 1 },
		},
		"Service selector": {
			obj:      service,
			edit:     func(o client.Object) { o.(*corev1.Service).Spec.Selector[LabelNodeSet] = "broker" },
			reverted: func(o client.Object) bool { return o.(*corev1.Service).Spec.Selector[LabelNodeSet] == "controller" },
		},
		"StatefulSet replicas": {
			obj:      sts,
			edit:     func(o client.Object) { o.(*appsv1.StatefulSet).Spec.Replicas = ptr.To[int32](7) },
			reverted: func(o client.Object) bool { return *o.(*appsv1.StatefulSet).Spec.Replicas == 3 },
		},
		"StatefulSet image": {
			obj:  sts,
			edit: func(o client.Object) { o.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0].Image = "busybox" },
			reverted: func(o client.Object) bool {
				return o.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0].Image == "apachepinot/pinot:1.0.0"
			},
		},
		"StatefulSet env value": {
			obj:  sts,
			edit: func(o client.Object) { o.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0].Env[1].Value = "debug" },
			reverted: func(o client.Object) bool {
				return o.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0].Env[1].Value == "info"
			},
		},
		"Deployment image": {
			obj:  deploy,
			edit: func(o client.Object) { o.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Image = "busybox" },
			reverted: func(o client.Object) bool {
				return o.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Image == "apachepinot/pinot:1.0.0"
			},
		},
		"PDB maxUnavailable": {
			obj: pdb,
			edit: func(o client.Object) {
				o.(*policyv1.PodDisruptionBudget).Spec.MaxUnavailable = ptr.To(intstr.FromInt32(3))
			},
			reverted: func(o client.Object) bool {
				return *o.(*policyv1.PodDisruptionBudget).Spec.MaxUnavailable == intstr.FromInt32(1)
			},
		},
		"label removed": {
			obj:      sts,
			edit:     func(o client.Object) { delete(o.GetLabels(), LabelComponent) },
			reverted: func(o client.Object) bool { return o.GetLabels()[LabelComponent] == "controller" },
		},
		"owner reference removed": {
			obj:      service,
			edit:     func(o client.Object) { o.SetOwnerReferences(nil) },
			reverted: func(o client.Object) bool { return metav1.GetControllerOf(o) != nil },
		},
		"spec-hash annotation removed": {
			obj:  deploy,
			edit: func(o client.Object) { delete(o.GetAnnotations(), AnnotationSpecHash) },
			reverted: func(o client.Object) bool {
				return o.GetAnnotations()[AnnotationSpecHash] != ""
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, c, a, cluster := setup(t)
			applyAll(t, a, allObjects(t, cluster))
			target := findObject(t, allObjects(t, cluster), tt.obj)
			edited := live(t, c, target)
			tt.edit(edited)
			if err := c.Update(ctx, edited); err != nil {
				t.Fatalf("hand edit: %v", err)
			}
			if tt.reverted(live(t, c, target)) {
				t.Fatal("the hand edit did not stick; the test proves nothing")
			}

			for key, action := range applyAll(t, a, allObjects(t, cluster)) {
				want := Unchanged
				if key == KeyOf(target) {
					want = Updated
				}
				if action != want {
					t.Errorf("%v: %s, want %s", key, action, want)
				}
			}
			if !tt.reverted(live(t, c, target)) {
				t.Errorf("%s still carries the hand edit", describe(target))
			}
			if action, err := a.Apply(ctx, findObject(t, allObjects(t, cluster), tt.obj)); err != nil || action != Unchanged {
				t.Errorf("Apply after the revert = %s, %v; want Unchanged", action, err)
			}
		})
	}
}

// Changes other tools make (kubectl rollout restart, extra labels and annotations, fields the
// API server defaults) are left alone: reverting them would fight those tools forever.
func TestApplyToleratesForeignAdditions(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	objs := allObjects(t, cluster)
	applyAll(t, a, objs)

	sts := live(t, c, findObject(t, objs, ObjectKey{KindStatefulSet, "basic-controller"}).(*appsv1.StatefulSet))
	sts.Labels["team"] = "data"
	sts.Annotations["note"] = "hands off"
	sts.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = "2026-01-01T00:00:00Z"
	sts.Spec.RevisionHistoryLimit = ptr.To[int32](3)
	if err := c.Update(ctx, sts); err != nil {
		t.Fatal(err)
	}
	before := resourceVersions(t, c, objs)
	for key, action := range applyAll(t, a, allObjects(t, cluster)) {
		if action != Unchanged {
			t.Errorf("%v: %s, want Unchanged", key, action)
		}
	}
	if after := resourceVersions(t, c, objs); !maps.Equal(before, after) {
		t.Errorf("Apply wrote: %v -> %v", before, after)
	}

	// An update for a change of the CR keeps the labels and annotations others added.
	cluster.NodeSets[0].Container.Image = "apachepinot/pinot:1.1.0"
	if action, err := a.Apply(ctx, build(t, cluster, 0).StatefulSet); err != nil || action != Updated {
		t.Fatalf("Apply with a new image = %s, %v; want Updated", action, err)
	}
	got := liveStatefulSet(t, c, cluster)
	if got.Labels["team"] != "data" || got.Annotations["note"] != "hands off" {
		t.Errorf("after an update labels %v annotations %v, want team=data and note kept", got.Labels, got.Annotations)
	}
}

func TestApplyKeepsServiceClusterIPAndNodePort(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	objs := build(t, cluster, 0)
	clientSvc, headless := objs.Services[0], objs.Services[1]
	broker := &corev1.Service{} // a NodePort Service: its node port must stay too
	broker.Name, broker.Namespace = "basic-broker", cluster.Namespace
	cluster.NodeSets[1].Service = &corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort}
	objs.Services = append(objs.Services, build(t, cluster, 1).Services[0])
	for _, svc := range objs.Services {
		if action, err := a.Apply(ctx, svc); err != nil || action != Created {
			t.Fatalf("Apply %s = %s, %v", svc.Name, action, err)
		}
	}
	ip := live(t, c, clientSvc).Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone {
		t.Fatalf("client Service got clusterIP %q", ip)
	}
	nodePort := live(t, c, broker).Spec.Ports[0].NodePort
	if nodePort == 0 {
		t.Fatal("NodePort Service got no node port")
	}

	cluster.NodeSets[0].Container.Ports = append(cluster.NodeSets[0].Container.Ports, corev1.ContainerPort{Name: "admin", ContainerPort: 9001})
	cluster.NodeSets[1].Container.Ports = append(cluster.NodeSets[1].Container.Ports, corev1.ContainerPort{Name: "admin", ContainerPort: 9001})
	objs = build(t, cluster, 0)
	objs.Services = append(objs.Services, build(t, cluster, 1).Services[0])
	for _, svc := range objs.Services {
		if action, err := a.Apply(ctx, svc); err != nil || action != Updated {
			t.Fatalf("Apply %s with a new port = %s, %v; want Updated", svc.Name, action, err)
		}
	}
	if got := live(t, c, clientSvc); got.Spec.ClusterIP != ip || len(got.Spec.Ports) != 2 {
		t.Errorf("client Service clusterIP %q ports %d, want %q kept and 2 ports", got.Spec.ClusterIP, len(got.Spec.Ports), ip)
	}
	if got := live(t, c, broker); got.Spec.Ports[0].NodePort != nodePort || len(got.Spec.Ports) != 2 || got.Spec.Ports[1].NodePort == 0 {
		t.Errorf("NodePort Service ports %+v, want node port %d kept and one for the new port", got.Spec.Ports, nodePort)
	}
	if got := live(t, c, headless); got.Spec.ClusterIP != corev1.ClusterIPNone || len(got.Spec.Ports) != 2 {
		t.Errorf("headless Service clusterIP %q ports %d, want None and 2 ports", got.Spec.ClusterIP, len(got.Spec.Ports))
	}
}

// A StatefulSet field the API server refuses to update is changed by deleting the
// StatefulSet with orphan propagation (pods and volumes stay) and creating it again.
func TestApplyRecreatesOnImmutableChange(t *testing.T) {
	tests := map[string]func(c *Cluster){
		"volumeClaimTemplate size": func(c *Cluster) { c.NodeSets[0].Storage[0].Spec = pvcSpec("2Gi") },
		"volume added": func(c *Cluster) {
			c.NodeSets[0].Storage = append(c.NodeSets[0].Storage, Storage{Name: "logs", MountPath: "/logs", Spec: pvcSpec("1Gi")})
		},
		// The node type is in the volumeClaimTemplate labels.
		"node type": func(c *Cluster) { c.NodeSets[0].NodeType = "coordinator" },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, c, a, cluster := setup(t)
			rec := events.NewFakeRecorder(10)
			a.Recorder = rec
			sts := build(t, cluster, 0).StatefulSet
			if action, err := a.Apply(ctx, sts); err != nil || action != Created {
				t.Fatalf("create = %s, %v", action, err)
			}
			uid := sts.UID
			drain(rec)

			edit(cluster)
			action, err := a.Apply(ctx, build(t, cluster, 0).StatefulSet)
			if err != nil || action != Recreating {
				t.Fatalf("Apply = %s, %v; want Recreating", action, err)
			}
			// No garbage collector here: the orphan finalizer keeps the object, marked deleted.
			got := live(t, c, sts)
			if got.UID != uid || got.DeletionTimestamp == nil || !slices.Contains(got.Finalizers, "orphan") {
				t.Errorf("StatefulSet uid %s deletionTimestamp %v finalizers %v, want the old one deleted with orphan propagation",
					got.UID, got.DeletionTimestamp, got.Finalizers)
			}
			want := "Normal Recreating Deleted StatefulSet basic-controller with orphan propagation"
			if ev := drain(rec); len(ev) != 1 || !strings.HasPrefix(ev[0], want) {
				t.Errorf("events %q, want one starting %q", ev, want)
			}

			rv := got.ResourceVersion
			action, err = a.Apply(ctx, build(t, cluster, 0).StatefulSet)
			if err != nil || action != Waiting {
				t.Errorf("Apply while the old StatefulSet goes = %s, %v; want Waiting", action, err)
			}
			if got := live(t, c, sts); got.ResourceVersion != rv {
				t.Error("Apply wrote to a StatefulSet being deleted")
			}
			if ev := drain(rec); len(ev) != 0 {
				t.Errorf("Waiting recorded events %q", ev)
			}
		})
	}
}

func TestApplyEvents(t *testing.T) {
	ctx, _, a, cluster := setup(t)
	rec := events.NewFakeRecorder(100)
	a.Recorder = rec

	cm := BuildConfigMaps(cluster)[0]
	if _, err := a.Apply(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, BuildConfigMaps(cluster)[0]); err != nil {
		t.Fatal(err)
	}
	// New data is a new ConfigMap, so a create.
	cluster.ConfigMaps[1].Data["log4j2.xml"] = "changed"
	changed := BuildConfigMaps(cluster)[0]
	if _, err := a.Apply(ctx, changed); err != nil {
		t.Fatal(err)
	}
	svc := build(t, cluster, 1).Services[0]
	if _, err := a.Apply(ctx, svc); err != nil {
		t.Fatal(err)
	}
	cluster.NodeSets[1].Container.Ports[0].ContainerPort = 8100
	if _, err := a.Apply(ctx, build(t, cluster, 1).Services[0]); err != nil {
		t.Fatal(err)
	}
	// Format of FakeRecorder: "<type> <reason> <message>"; Unchanged records nothing.
	want := []string{
		"Normal Created Created ConfigMap " + cm.Name,
		"Normal Created Created ConfigMap " + changed.Name,
		"Normal Created Created Service basic-broker",
		"Normal Updated Updated Service basic-broker",
	}
	if got := drain(rec); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

}

// ConfigMaps are immutable: the API server refuses a hand edit of their data, so Apply never
// has to revert one, and a deleted ConfigMap is simply created again.
func TestApplyConfigMapsAreImmutable(t *testing.T) {
	tests := map[string]func(cm *corev1.ConfigMap){
		"value changed": func(cm *corev1.ConfigMap) { cm.Data["controller.conf"] = "hacked=1\n" },
		"key removed":   func(cm *corev1.ConfigMap) { delete(cm.Data, "controller.conf") },
		"key added":     func(cm *corev1.ConfigMap) { cm.Data["extra.conf"] = "x" },
		"made mutable":  func(cm *corev1.ConfigMap) { cm.Immutable = ptr.To(false) },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, c, a, cluster := setup(t)
			target := findObject(t, allObjects(t, cluster), ObjectKey{"ConfigMap", ConfigMapName(cluster.ConfigMaps[0])}).(*corev1.ConfigMap)
			if action, err := a.Apply(ctx, target); err != nil || action != Created {
				t.Fatalf("Apply = %s, %v; want Created", action, err)
			}
			before := live(t, c, target)
			if before.Immutable == nil || !*before.Immutable {
				t.Fatalf("ConfigMap %s is not immutable", before.Name)
			}
			edited := before.DeepCopy()
			edit(edited)
			if err := c.Update(ctx, edited); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "immutable") {
				t.Fatalf("hand edit: %v, want the API server to refuse it as immutable", err)
			}
			if got := live(t, c, target); got.ResourceVersion != before.ResourceVersion || !maps.Equal(got.Data, cluster.ConfigMaps[0].Data) {
				t.Errorf("ConfigMap changed: resourceVersion %s -> %s, data %v", before.ResourceVersion, got.ResourceVersion, got.Data)
			}
			if action, err := a.Apply(ctx, BuildConfigMaps(cluster)[1]); err != nil || action != Unchanged {
				t.Errorf("Apply after the refused edit = %s, %v; want Unchanged", action, err)
			}
		})
	}

	t.Run("deleted", func(t *testing.T) {
		ctx, c, a, cluster := setup(t)
		cm := BuildConfigMaps(cluster)[1]
		if _, err := a.Apply(ctx, cm); err != nil {
			t.Fatal(err)
		}
		uid := cm.UID
		if err := c.Delete(ctx, cm); err != nil {
			t.Fatal(err)
		}
		again := BuildConfigMaps(cluster)[1]
		if action, err := a.Apply(ctx, again); err != nil || action != Created {
			t.Fatalf("Apply after the delete = %s, %v; want Created", action, err)
		}
		got := live(t, c, again)
		if got.UID == uid || !maps.Equal(got.Data, cluster.ConfigMaps[0].Data) || got.Immutable == nil || !*got.Immutable || metav1.GetControllerOf(got) == nil {
			t.Errorf("recreated ConfigMap uid %s (old %s) data %v immutable %v owner %v; want a new immutable one with the data and the owner",
				got.UID, uid, got.Data, got.Immutable, metav1.GetControllerOf(got))
		}
	})
}

// asObjects turns ConfigMaps into objects, for resourceVersions.
func asObjects(cms []*corev1.ConfigMap) []client.Object {
	out := make([]client.Object, 0, len(cms))
	for _, cm := range cms {
		out = append(out, cm)
	}
	return out
}

func liveStatefulSet(t *testing.T, c client.Client, cluster *Cluster) *appsv1.StatefulSet {
	t.Helper()
	sts := &appsv1.StatefulSet{}
	sts.Name, sts.Namespace = ObjectName(cluster.Instance, "controller"), cluster.Namespace
	return live(t, c, sts)
}

// findObject returns the object with the given key.
func findObject(t *testing.T, objs []client.Object, key ObjectKey) client.Object {
	t.Helper()
	for _, obj := range objs {
		if KeyOf(obj) == key {
			return obj
		}
	}
	t.Fatalf("no %v among the objects", key)
	return nil
}

// Every field a user can set in the CR, once applied, must read back as applied: a field the
// API server stores differently (defaulted, allocated, trimmed) must not look like drift, or
// every reconcile sends a no-op update and records an "Updated" event.
func TestApplyUserSetFieldsConverge(t *testing.T) {
	service := func(spec corev1.ServiceSpec) func(c *Cluster) {
		return func(c *Cluster) { c.NodeSets[1].Service = &spec }
	}
	port := []corev1.ServicePort{{Name: "query", Port: 8099}} // no targetPort: the API server defaults it
	// Fixed addresses come from the first 16 of envtest's 10.0.0.0/24, which the API server
	// keeps out of its own picks.
	tests := map[string]func(c *Cluster){
		"Service clusterIP": service(corev1.ServiceSpec{ClusterIP: "10.0.0.10"}),
		"Service clusterIPs and ipFamilies": service(corev1.ServiceSpec{
			ClusterIP: "10.0.0.11", ClusterIPs: []string{"10.0.0.11"},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicySingleStack),
		}),
		// The API server picks the families and addresses a PreferDualStack Service gets.
		"Service PreferDualStack": service(corev1.ServiceSpec{IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyPreferDualStack)}),
		"Service PreferDualStack with ipFamilies": service(corev1.ServiceSpec{
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyPreferDualStack),
		}),
		"Service headless":                service(corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}),
		"Service port without targetPort": service(corev1.ServiceSpec{Ports: port}),
		"Service NodePort":                service(corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort}),
		"Service LoadBalancer with externalTrafficPolicy Local": service(corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			LoadBalancerSourceRanges: []string{"10.1.0.0/16"}, AllocateLoadBalancerNodePorts: ptr.To(true),
		}),
		"Service sessionAffinity and traffic policies": service(corev1.ServiceSpec{
			SessionAffinity: corev1.ServiceAffinityClientIP, InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyLocal),
			PublishNotReadyAddresses: true, ExternalIPs: []string{"192.0.2.10"},
		}),
		"Service sessionAffinityConfig": service(corev1.ServiceSpec{
			SessionAffinity:       corev1.ServiceAffinityClientIP,
			SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](600)}},
		}),
		"container resources in other units": func(c *Cluster) {
			c.NodeSets[0].Container.Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000m"), corev1.ResourceMemory: resource.MustParse("1024Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2048Mi")},
			}
		},
		"container limits only": func(c *Cluster) {
			c.NodeSets[0].Container.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}
		},
		"env from fields and resources": func(c *Cluster) {
			c.NodeSets[0].Container.Env = append(c.NodeSets[0].Container.Env,
				corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				corev1.EnvVar{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory"}}},
			)
		},
		"container ports, probes and security context": func(c *Cluster) {
			ct := &c.NodeSets[1].Container
			ct.Ports = append(ct.Ports, corev1.ContainerPort{Name: "udp", ContainerPort: 9999, Protocol: corev1.ProtocolUDP})
			ct.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8099)}}}
			ct.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, FailureThreshold: 30}
			ct.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 8099}}}
			ct.SecurityContext = &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
			ct.ImagePullPolicy = corev1.PullAlways
		},
		"pod volumes": func(c *Cluster) {
			pod := &c.NodeSets[0].Pod
			pod.Volumes = []corev1.Volume{
				{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "extra"}}}},
				{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds"}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("1024Mi"))}}},
				{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}},
				{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
					{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
				}}}},
			}
			c.NodeSets[0].Container.VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
		},
		"pod scheduling and identity": func(c *Cluster) {
			pod := &c.NodeSets[1].Pod
			pod.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "pinot", Effect: corev1.TaintEffectNoSchedule}}
			pod.NodeSelector = map[string]string{"disk": "ssd"}
			pod.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 10, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}},
			}}}}
			pod.ServiceAccountName = "pinot"
			pod.SecurityContext = &corev1.PodSecurityContext{FSGroup: ptr.To[int64](1000)}
			pod.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
			c.NodeSets[1].PodLabels = map[string]string{"team": "data"}
			c.NodeSets[1].Annotations = map[string]string{"prometheus.io/scrape": "true"}
		},
		"storage in other units": func(c *Cluster) {
			c.NodeSets[0].Storage[0].Spec = pvcSpec("1024Mi")
			c.NodeSets[1].Storage = []Storage{{Name: "cache", MountPath: "/cache", Spec: pvcSpec("2048Mi")}}
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			_, c, a, cluster := setup(t)
			rec := events.NewFakeRecorder(100)
			a.Recorder = rec
			edit(cluster)
			objs := allObjects(t, cluster)
			objs = append(objs, claims(t, cluster)...)
			applyAll(t, a, objs)
			drain(rec)
			t.Cleanup(func() { // frees fixed addresses for the next run (go test -count)
				for _, obj := range objs {
					_ = c.Delete(context.Background(), obj)
				}
			})

			before := resourceVersions(t, c, objs)
			fresh := append(allObjects(t, cluster), claims(t, cluster)...)
			for key, action := range applyAll(t, a, fresh) {
				if action != Unchanged {
					t.Errorf("%v: %s on the second apply, want Unchanged", key, action)
				}
			}
			if after := resourceVersions(t, c, objs); !maps.Equal(before, after) {
				t.Errorf("the second apply wrote: resourceVersions %v -> %v", before, after)
			}
			if got := drain(rec); len(got) != 0 {
				t.Errorf("the second apply recorded %q", got)
			}
		})
	}
}

// claims builds the shared claims of the cluster's Deployment node sets.
func claims(t *testing.T, c *Cluster) []client.Object {
	t.Helper()
	var out []client.Object
	for i := range c.NodeSets {
		for _, claim := range build(t, c, i).Claims {
			out = append(out, claim)
		}
	}
	return out
}

// A clusterIP set in the CR is sent as it is: the API server refuses to change it, and that
// error must show, not an update that silently keeps the
// old address while the status claims the new spec is applied.
func TestApplyServiceClusterIPChangeIsNotDropped(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	cluster.NodeSets[1].Service = &corev1.ServiceSpec{ClusterIP: "10.0.0.12"}
	svc := build(t, cluster, 1).Services[0]
	if action, err := a.Apply(ctx, svc); err != nil || action != Created {
		t.Fatalf("Apply = %s, %v; want Created", action, err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), svc) })

	cluster.NodeSets[1].Service.ClusterIP = "10.0.0.13"
	action, err := a.Apply(ctx, build(t, cluster, 1).Services[0])
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "may not change once set") {
		t.Errorf("Apply with a new clusterIP = %s, %v; want the API server's refusal: clusterIP may not change", action, err)
	}
	if got := live(t, c, svc).Spec.ClusterIP; got != "10.0.0.12" {
		t.Errorf("clusterIP %s, want 10.0.0.12 kept", got)
	}
}
