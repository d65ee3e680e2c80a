package dsoi

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// DeleteClaimsWhenScaled sets the StatefulSet's whenScaled Delete and never whenDeleted
// Delete; turning it off goes back to the server's Retain, Retain; neither writes again at rest.
func TestReconcileClaimRetention(t *testing.T) {
	_, c, a, cluster := setupWith(t, threeTypes)
	opts := triOptions(newClock())
	r := rolledOut(t, a, cluster, opts)
	policy := func() appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy {
		t.Helper()
		p := live(t, c, workload(cluster, "a")).(*appsv1.StatefulSet).Spec.PersistentVolumeClaimRetentionPolicy
		if p == nil {
			t.Fatal("the API server stored no retention policy")
		}
		return *p
	}
	if got := policy(); got.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType || got.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		t.Errorf("default policy %+v, want Retain, Retain", got)
	}
	for _, del := range []bool{true, false} {
		cluster.NodeSets[1].DeleteClaimsWhenScaled = del
		r = reconcile(t, a, cluster, opts, r.Upgrade)
		want := appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType, WhenScaled: appsv1.RetainPersistentVolumeClaimRetentionPolicyType}
		if del {
			want.WhenScaled = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
		}
		if got := policy(); got != want || r.Writes != 1 {
			t.Errorf("delete when scaled %v: policy %+v after %d writes, want %+v after 1", del, got, r.Writes, want)
		}
		markRolledOut(t, workload(cluster, "a"))
		if r = reconcile(t, a, cluster, opts, r.Upgrade); r.Writes != 0 {
			t.Errorf("delete when scaled %v: %d writes at rest, want none", del, r.Writes)
		}
	}
}
