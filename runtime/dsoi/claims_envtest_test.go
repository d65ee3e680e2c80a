package dsoi

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Shared claims of Deployment node sets: created without an owner (data outlives the CR),
// grown in place, never recreated, and a change the API server would refuse is a clear error.
func TestApplyClaims(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	// The API server lets only claims of a class that allows expansion grow.
	class := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{GenerateName: "expandable-"}, Provisioner: "example.com/test", AllowVolumeExpansion: ptr.To(true)}
	if err := c.Create(ctx, class); err != nil {
		t.Fatal(err)
	}
	spec := func(size string) corev1.PersistentVolumeClaimSpec {
		s := pvcSpec(size)
		s.StorageClassName = &class.Name
		return s
	}
	cluster.NodeSets[1].Storage = []Storage{{Name: "staging", MountPath: "/staging", Spec: spec("1Gi")}}
	cluster.NodeSets[1].Replicas = 1 // one writer: a ReadWriteOnce claim shared by more pods is refused
	report, err := a.Reconcile(ctx, cluster, basicOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	claim := &corev1.PersistentVolumeClaim{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: "basic-broker-staging"}, claim); err != nil {
		t.Fatalf("claim not created: %v", err)
	}
	if len(claim.OwnerReferences) != 0 {
		t.Errorf("claim has owners %v: deleting the CR would delete the data", claim.OwnerReferences)
	}
	if again, err := a.Reconcile(ctx, cluster, basicOptions(), report.Upgrade); err != nil || again.Writes != 0 {
		t.Fatalf("second reconcile: writes %d, err %v (first wrote %d)", again.Writes, err, report.Writes)
	}

	// A claim waiting for a volume cannot grow yet: the API server would refuse it.
	cluster.NodeSets[1].Storage[0].Spec = spec("2Gi")
	if _, err := a.Apply(ctx, build(t, cluster, 1).Claims[0]); err == nil || !strings.Contains(err.Error(), "can change only once it is bound") {
		t.Fatalf("resize of a pending claim: got %v, want a clear refusal", err)
	}
	// Once bound, a larger size is applied to the same claim.
	claim.Status.Phase = corev1.ClaimBound
	if err := c.Status().Update(ctx, claim); err != nil {
		t.Fatal(err)
	}
	grown := build(t, cluster, 1).Claims[0]
	if action, err := a.Apply(ctx, grown); err != nil || action != Updated {
		t.Fatalf("grow: action %s, err %v", action, err)
	}
	live := &corev1.PersistentVolumeClaim{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(claim), live); err != nil {
		t.Fatal(err)
	}
	if live.UID != claim.UID || !live.Spec.Resources.Requests.Storage().Equal(resource.MustParse("2Gi")) {
		t.Errorf("claim uid %s size %s, want the same claim at 2Gi", live.UID, live.Spec.Resources.Requests.Storage())
	}

	// Another access mode cannot be applied to an existing claim: an error, not a loop of refusals.
	changed := build(t, cluster, 1).Claims[0]
	changed.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	if _, err := a.Apply(ctx, changed); err == nil || !strings.Contains(err.Error(), "only the size of an existing claim can change") {
		t.Fatalf("access mode change: got %v, want a clear refusal", err)
	}
}

// Two CRs whose objects would share a name: the second must not take the first's objects over.
func TestApplyRefusesObjectsOfAnotherOwner(t *testing.T) {
	ctx, c, a, cluster := setup(t)
	if _, err := a.Reconcile(ctx, cluster, basicOptions(), nil); err != nil {
		t.Fatal(err)
	}
	other := &Applier{Client: c, Scheme: a.Scheme, Owner: newOwner(t, c, cluster.Namespace, "other")}
	svc := build(t, cluster, 0).Services[0]
	_, err := other.Apply(ctx, svc)
	if err == nil || !strings.Contains(err.Error(), "already belongs to ConfigMap basic") {
		t.Fatalf("got %v, want a refusal naming the owner", err)
	}
}
