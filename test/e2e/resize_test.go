package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// expandableClass allows volume expansion, fixedClass does not. Neither provisions
	// anything: the step creates their volumes, of sizeBefore.
	expandableClass = "e2e-expandable"
	fixedClass      = "e2e-fixed"
	sizeBefore      = "1Gi"
	sizeAfter       = "2Gi"
	// annotationResizingTo marks a claim the operator grew until every claim has its size.
	annotationResizingTo = "dsoi.datainfra.io/resizing-to"
)

// storageGrowth adds two copies of a node set with storage, one whose claims have a
// StorageClass that allows expansion and one whose class does not, then grows the storage of
// each: the first reaches every claim of that node set and no other, and completes once the
// volumes have the size; the second is refused, and nothing else stops because of it.
func (s *suite) storageGrowth(t *testing.T) {
	field := s.app.AppConfigField()
	cr := s.get(t)
	i := slices.IndexFunc(cr.Nodes(field), func(n Node) bool { return hasStorage(cr, n) })
	if i < 0 {
		t.Skip("no node set has storage")
	}
	src := cr.Nodes(field)[i]
	storage := storageNames(cr, src.K8sConfig)
	// Two replicas, so "every claim" means more than one ordinal; a Deployment's claims are
	// shared and ReadWriteOnce, and the API server allows it one replica only.
	replicas := int64(2)
	if src.Kind == "Deployment" {
		replicas = 1
	}
	base := src.Name[:min(len(src.Name), 24)]
	grow, stuck := base+"-grow", base+"-fixed"
	s.storageClass(t, expandableClass, true, int(replicas)*len(storage))
	s.storageClass(t, fixedClass, false, int(replicas)*len(storage))
	gen := s.edit(t, func(cr CR) {
		addStorageNode(t, cr, src, grow, expandableClass, replicas)
		addStorageNode(t, cr, src, stuck, fixedClass, replicas)
	})
	eventually(t, rollout, "the node sets with StorageClasses to be Ready", func() string { return s.settled(s.get(t), gen) })
	grown := s.claimNames(src.Kind, grow, storage, replicas)
	if got := slices.Sorted(maps.Keys(s.claimsOf(t, grow))); !slices.Equal(got, grown) {
		t.Fatalf("claims of node set %s: %v, want %v", grow, got, grown)
	}

	// Growth: every claim of the node set, and only those, asks for the new size.
	before := s.claimSizes(t)
	start := time.Now()
	gen = s.edit(t, func(cr CR) { setStorageSize(cr, grow, sizeAfter) })
	requested := measure(t, time.Minute, "every claim of node set "+grow+" to request "+sizeAfter, func() string {
		sizes := s.claimSizes(t)
		for _, name := range grown {
			if sizes[name] != sizeAfter {
				return fmt.Sprintf("claim %s requests %s", name, sizes[name])
			}
		}
		return ""
	})
	for name, size := range s.claimSizes(t) {
		if !slices.Contains(grown, name) && size != before[name] {
			t.Errorf("claim %s is not node set %s's, but its request went from %s to %s", name, grow, before[name], size)
		}
	}
	eventually(t, 30*time.Second, "a ResizeStarted event", func() string { return s.event(corev1.EventTypeNormal, "ResizeStarted", start) })
	// The volumes still have the old size: the node set is not done.
	resizing := func() string {
		st := s.get(t).NodeSetStatus()[grow]
		if phase, msg := str(st, "phase"), str(st, "message"); phase == "Ready" || !strings.Contains(msg, "resizing volumes") {
			return fmt.Sprintf("node set %s is %q (%s) while its volumes have %s", grow, phase, msg, sizeBefore)
		}
		return ""
	}
	eventually(t, 30*time.Second, "node set "+grow+" to report its volumes resizing", resizing)
	consistently(t, quiet, "the node set must wait for its volumes", resizing)

	// KWOK has no volume driver: the test plays the external resizer, which grows the volume,
	// then reports the claim's new capacity.
	for _, name := range grown {
		s.resizeVolume(t, name, resource.MustParse(sizeAfter))
	}
	resized := time.Now()
	completed := measure(t, rollout, "the resize to complete", func() string {
		if e := s.event(corev1.EventTypeNormal, "ResizeCompleted", resized); e != "" {
			return e
		}
		return s.settled(s.get(t), gen)
	})
	for _, name := range grown {
		if c := s.claim(t, name); c.Annotations[annotationResizingTo] != "" {
			t.Errorf("claim %s still carries %s=%s", name, annotationResizingTo, c.Annotations[annotationResizingTo])
		}
	}
	t.Logf("node set %s (%s, class %s): all %d claims requested %s %s after the spec change; ResizeCompleted and settled %s after the volumes had it",
		grow, src.Kind, expandableClass, len(grown), sizeAfter, requested.Sub(start).Round(time.Millisecond), completed.Sub(resized).Round(time.Millisecond))

	// Refusal: the class does not allow expansion. The volumes keep their size, the workload
	// is not recreated, and the rest of the change (an image) still rolls out.
	refusedClaims := s.claimNames(src.Kind, stuck, storage, replicas)
	if got := slices.Sorted(maps.Keys(s.claimsOf(t, stuck))); !slices.Equal(got, refusedClaims) {
		t.Fatalf("claims of node set %s: %v, want %v", stuck, got, refusedClaims)
	}
	uid := s.workloadUID(t, src.Kind, stuck)
	before = s.claimSizes(t)
	image := withTag(s.get(t).Image(stuck), "refused")
	start = time.Now()
	gen = s.edit(t, func(cr CR) {
		setStorageSize(cr, stuck, sizeAfter)
		cr.SetImage(stuck, image)
	})
	refused := measure(t, time.Minute, "Degraded=True ResizeRefused", func() string {
		c, ok := s.get(t).Condition("Degraded")
		switch {
		case !ok:
			return "no Degraded condition"
		case c.Status != "True" || c.Reason != "ResizeRefused":
			return fmt.Sprintf("Degraded=%s, reason %s: %s", c.Status, c.Reason, c.Message)
		case !strings.Contains(c.Message, "node set "+stuck) || !strings.Contains(c.Message, fixedClass):
			return "the Degraded message names neither node set " + stuck + " nor StorageClass " + fixedClass + ": " + c.Message
		}
		return ""
	})
	eventually(t, 30*time.Second, "a Warning event ResizeRefused", func() string { return s.event(corev1.EventTypeWarning, "ResizeRefused", start) })
	eventually(t, rollout, "the image change of node set "+stuck+" to roll out despite the refusal", func() string {
		w, err := s.workload(src.Kind, s.name+"-"+stuck)
		if err != nil {
			return err.Error()
		}
		if w.Image() != image {
			return fmt.Sprintf("image %s, want %s", w.Image(), image)
		}
		return s.readyExceptDegraded(s.get(t), gen)
	})
	consistently(t, quiet, "a refused resize must change no claim and recreate nothing", func() string {
		for name, size := range s.claimSizes(t) {
			if size != before[name] {
				return fmt.Sprintf("claim %s went from %s to %s", name, before[name], size)
			}
		}
		if now := s.workloadUID(t, src.Kind, stuck); now != uid {
			return fmt.Sprintf("%s %s-%s was recreated (UID %s -> %s)", src.Kind, s.name, stuck, uid, now)
		}
		return s.readyExceptDegraded(s.get(t), gen)
	})
	degraded, _ := s.get(t).Condition("Degraded")
	t.Logf("node set %s (class %s): growth refused %s after the spec change, %d claims kept %s: %s",
		stuck, fixedClass, refused.Sub(start).Round(time.Millisecond), len(refusedClaims), sizeBefore, degraded.Message)

	// Back to the size the volumes have: nothing is refused any more, so later steps start
	// from a settled cluster (the added node sets stay, settled).
	gen = s.edit(t, func(cr CR) { setStorageSize(cr, stuck, sizeBefore) })
	eventually(t, rollout, "the cluster to settle once the size is back", func() string { return s.settled(s.get(t), gen) })
}

// readyExceptDegraded is settled but for the Degraded condition: every node set Ready,
// Available, the status of generation gen.
func (s *suite) readyExceptDegraded(cr CR, gen int64) string {
	if og := cr.ObservedGeneration(); og < gen {
		return fmt.Sprintf("status.observedGeneration %d, not yet %d", og, gen)
	}
	if missing := cond(cr, "Available", "True"); missing != "" {
		return missing
	}
	status := cr.NodeSetStatus()
	for _, n := range cr.Nodes(s.app.AppConfigField()) {
		if phase := str(status[n.Name], "phase"); phase != "Ready" {
			return fmt.Sprintf("node set %s is %q: %s", n.Name, phase, str(status[n.Name], "message"))
		}
	}
	return ""
}

// storageClass creates a StorageClass that provisions nothing and n volumes of it.
func (s *suite) storageClass(t *testing.T, name string, expand bool, n int) {
	t.Helper()
	immediate := storagev1.VolumeBindingImmediate
	class := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: "kubernetes.io/no-provisioner",
		AllowVolumeExpansion: &expand, VolumeBindingMode: &immediate}
	if err := s.c.Create(s.ctx, class); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.c.Create(s.ctx, hostPathVolume(fmt.Sprintf("%s-%02d", name, i), name, resource.MustParse(sizeBefore))); err != nil {
			t.Fatal(err)
		}
	}
}

// addStorageNode adds node set name, a copy of src with its own k8sConfig entry (of the same
// name) whose storage has that StorageClass and sizeBefore.
func addStorageNode(t *testing.T, cr CR, src Node, name, class string, replicas int64) {
	t.Helper()
	k := runtime.DeepCopyJSONValue(cr.K8sConfig(src.K8sConfig)).(map[string]any)
	k["name"] = name
	for _, st := range storageEntries(k) {
		if err := unstructured.SetNestedField(st, class, "spec", "storageClassName"); err != nil {
			t.Fatal(err)
		}
	}
	configs, _, _ := unstructured.NestedSlice(cr.Object, "spec", "k8sConfig")
	if err := unstructured.SetNestedSlice(cr.Object, append(configs, k), "spec", "k8sConfig"); err != nil {
		t.Fatal(err)
	}
	setStorageSize(cr, name, sizeBefore)
	if err := cr.AddNode(src.Name, name, src.Kind); err != nil {
		t.Fatal(err)
	}
	n := cr.find(name, "spec", "nodes")
	n["k8sConfig"], n["replicas"] = name, replicas
}

// setStorageSize sets the size of every storage entry of a k8sConfig entry.
func setStorageSize(cr CR, k8sConfig, size string) {
	for _, st := range storageEntries(cr.K8sConfig(k8sConfig)) {
		_ = unstructured.SetNestedField(st, size, "spec", "resources", "requests", "storage")
	}
}

// storageEntries returns the maps of storageConfig, not copies.
func storageEntries(k8sConfig map[string]any) []map[string]any {
	list, _ := k8sConfig["storageConfig"].([]any)
	var out []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func storageNames(cr CR, k8sConfig string) []string {
	var out []string
	for _, st := range storageEntries(cr.K8sConfig(k8sConfig)) {
		out = append(out, str(st, "name"))
	}
	return out
}

// claimNames are the exact names of a node set's claims, sorted: <storage>-<statefulset>-<ordinal>
// for a StatefulSet, <deployment>-<storage> for the claims a Deployment's pods share.
func (s *suite) claimNames(kind, nodeSet string, storage []string, replicas int64) []string {
	var out []string
	for _, st := range storage {
		if kind == "Deployment" {
			out = append(out, s.name+"-"+nodeSet+"-"+st)
			continue
		}
		for i := range replicas {
			out = append(out, fmt.Sprintf("%s-%s-%s-%d", st, s.name, nodeSet, i))
		}
	}
	slices.Sort(out)
	return out
}

// claimSizes maps every claim of the namespace to the size it requests.
func (s *suite) claimSizes(t *testing.T) map[string]string {
	t.Helper()
	var list corev1.PersistentVolumeClaimList
	if err := s.c.List(s.ctx, &list, client.InNamespace(s.ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range list.Items {
		size := c.Spec.Resources.Requests[corev1.ResourceStorage]
		out[c.Name] = size.String()
	}
	return out
}

func (s *suite) claim(t *testing.T, name string) *corev1.PersistentVolumeClaim {
	t.Helper()
	var c corev1.PersistentVolumeClaim
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name}, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// resizeVolume does what a CSI resizer does once a volume has grown: the volume's capacity,
// then the claim's, with its resize conditions cleared.
func (s *suite) resizeVolume(t *testing.T, claim string, size resource.Quantity) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var pv corev1.PersistentVolume
		if err := s.c.Get(s.ctx, client.ObjectKey{Name: s.claim(t, claim).Spec.VolumeName}, &pv); err != nil {
			return err
		}
		pv.Spec.Capacity[corev1.ResourceStorage] = size
		return s.c.Update(s.ctx, &pv)
	})
	if err == nil {
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			c := s.claim(t, claim)
			c.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: size}
			c.Status.Conditions = nil
			return s.c.Status().Update(s.ctx, c)
		})
	}
	if err != nil {
		t.Fatalf("resize the volume of claim %s to %s: %v", claim, size.String(), err)
	}
}

// workloadUID is the UID of a node set's StatefulSet or Deployment.
func (s *suite) workloadUID(t *testing.T, kind, nodeSet string) string {
	t.Helper()
	var obj client.Object = &appsv1.StatefulSet{}
	if kind == "Deployment" {
		obj = &appsv1.Deployment{}
	}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: s.name + "-" + nodeSet}, obj); err != nil {
		t.Fatal(err)
	}
	return string(obj.GetUID())
}
