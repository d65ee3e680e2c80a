package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// dataSafety takes a node set with storage through what used to lose its data: a kind change
// (refused by the API server), a rename (its claims are kept, and an event says so), then
// spec.deletePersistentVolumeClaims, which deletes exactly the claims of the node set that is
// gone, never a claim that merely carries the cluster's labels.
func (s *suite) dataSafety(t *testing.T) {
	field := s.app.AppConfigField()
	cr := s.get(t)
	i := slices.IndexFunc(cr.Nodes(field), func(n Node) bool { return hasStorage(cr, n) })
	if i < 0 {
		t.Skip("no node set has storage")
	}
	node := cr.Nodes(field)[i]
	renamed := node.Name[:min(len(node.Name), 26)] + "-new"

	// A kind change: the new workload would start on empty volumes.
	other := map[string]string{"StatefulSet": "Deployment", "Deployment": "StatefulSet"}[node.Kind]
	changed := s.get(t)
	changed.find(node.Name, "spec", "nodes")["kind"] = other
	if err := s.c.Update(s.ctx, changed.Unstructured); err == nil || !strings.Contains(err.Error(), "the kind of a node cannot change") {
		t.Fatalf("changing node set %s from %s to %s: got %v, want the API server to refuse it", node.Name, node.Kind, other, err)
	}

	kept := s.claimsOf(t, node.Name)
	if len(kept) == 0 {
		t.Fatalf("node set %s has storage but no claim", node.Name)
	}
	start := time.Now()
	gen := s.edit(t, func(cr CR) { cr.find(node.Name, "spec", "nodes")["name"] = renamed })
	eventually(t, rollout, "the renamed node set to be Ready and the old one gone", func() string {
		if left := s.podsOf(t, node.Name); left > 0 {
			return fmt.Sprintf("%d pods of node set %s left", left, node.Name)
		}
		if e := s.event("Normal", "VolumesKept", start); e != "" {
			return e
		}
		return s.settled(s.get(t), gen)
	})
	if got := s.claimsOf(t, node.Name); !equalClaims(got, kept) {
		t.Fatalf("claims of the renamed-away node set %s: %v, want the very same %v", node.Name, got, kept)
	}
	t.Logf("node set %s renamed %s: its %d claims kept with the same UIDs, VolumesKept said so", node.Name, renamed, len(kept))

	// Claims a person made that carry the cluster's labels (kustomize commonLabels), even the
	// removed node set's: never the operator's to delete.
	labels := map[string]string{"app.kubernetes.io/name": s.app.Metadata.Name, "app.kubernetes.io/instance": s.name}
	users := []*corev1.PersistentVolumeClaim{s.userClaim(t, "deep-storage", labels)}
	labels[labelNodeSet] = node.Name
	users = append(users, s.userClaim(t, "deep-storage-"+node.Name, labels))

	gen = s.edit(t, func(cr CR) {
		_ = unstructured.SetNestedField(cr.Object, true, "spec", "deletePersistentVolumeClaims")
	})
	eventually(t, rollout, "the claims of the removed node set to be deleted", func() string {
		if left := s.claimsOf(t, node.Name); len(left) > 0 {
			return fmt.Sprintf("claims %v still there", left)
		}
		return s.settled(s.get(t), gen)
	})
	for _, u := range users {
		var got corev1.PersistentVolumeClaim
		if err := s.c.Get(s.ctx, client.ObjectKeyFromObject(u), &got); err != nil || got.DeletionTimestamp != nil {
			t.Errorf("the user's claim %s: %v (deleting: %v), want it kept", u.Name, err, got.DeletionTimestamp != nil)
		}
	}
	if len(s.claimsOf(t, renamed)) == 0 {
		t.Errorf("the claims of node set %s, still in the spec, are gone", renamed)
	}
	// Back to the default, so later steps start from a plain cluster.
	gen = s.edit(t, func(cr CR) { unstructured.RemoveNestedField(cr.Object, "spec", "deletePersistentVolumeClaims") })
	eventually(t, rollout, "the cluster to settle", func() string { return s.settled(s.get(t), gen) })
}

func hasStorage(cr CR, n Node) bool {
	storage, _, _ := unstructured.NestedSlice(cr.K8sConfig(n.K8sConfig), "storageConfig")
	return len(storage) > 0
}

// claimsOf maps the live claims of a node set (by its label; not being deleted) to their UIDs.
func (s *suite) claimsOf(t *testing.T, nodeSet string) map[string]types.UID {
	t.Helper()
	var list corev1.PersistentVolumeClaimList
	if err := s.c.List(s.ctx, &list, client.InNamespace(s.ns), client.MatchingLabels{labelNodeSet: nodeSet}); err != nil {
		t.Fatal(err)
	}
	out := map[string]types.UID{}
	for _, c := range list.Items {
		// deep-storage*: the claims userClaim makes, which carry the node set's label on purpose.
		if c.DeletionTimestamp == nil && !strings.HasPrefix(c.Name, "deep-storage") {
			out[c.Name] = c.UID
		}
	}
	return out
}

func equalClaims(a, b map[string]types.UID) bool {
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

// podsOf counts the pods of a node set.
func (s *suite) podsOf(t *testing.T, nodeSet string) int {
	t.Helper()
	var list corev1.PodList
	if err := s.c.List(s.ctx, &list, client.InNamespace(s.ns), client.MatchingLabels{labelNodeSet: nodeSet}); err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// userClaim creates a claim as a person would, with the labels given.
func (s *suite) userClaim(t *testing.T, name string, labels map[string]string) *corev1.PersistentVolumeClaim {
	t.Helper()
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns, Labels: labels},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if err := s.c.Create(s.ctx, claim); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return claim
}
