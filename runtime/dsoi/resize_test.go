package dsoi

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func claimTemplate(name, size string) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"a": "b"}}, Spec: pvcSpec(size)}
}

func TestSizesOnlyChanged(t *testing.T) {
	live := []corev1.PersistentVolumeClaim{claimTemplate("data", "10Gi"), claimTemplate("logs", "1Gi")}
	tests := map[string]struct {
		edit func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim
		want bool
	}{
		"nothing": {edit: func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim { return d }},
		"larger": {edit: func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
			d[1] = claimTemplate("logs", "2Gi")
			return d
		}, want: true},
		"smaller": {edit: func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
			d[0] = claimTemplate("data", "5Gi")
			return d
		}, want: true},
		"same, other": {edit: func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
			d[0] = claimTemplate("data", "10240Mi")
			return d
		}},
		"size and access mode": {edit: func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
			d[0] = claimTemplate("data", "20Gi")
			d[0].Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
			return d
		}},
		"size and labels": {edit: func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
			d[0] = claimTemplate("data", "20Gi")
			d[0].Labels = map[string]string{"a": "c"}
			return d
		}},
		"volume added": {edit: func(d []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
			return append(d, claimTemplate("more", "1Gi"))
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			desired := tt.edit([]corev1.PersistentVolumeClaim{claimTemplate("data", "10Gi"), claimTemplate("logs", "1Gi")})
			if got := sizesOnlyChanged(desired, live); got != tt.want {
				t.Errorf("sizesOnlyChanged = %v, want %v", got, tt.want)
			}
		})
	}
}

// Only claims named <template>-<statefulset>-<ordinal> are the StatefulSet's: a name prefix
// would take in node set broker-x's claims, or any claim whose name starts the same.
func TestMatchStatefulSetClaims(t *testing.T) {
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "basic-broker"}}
	sts.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{claimTemplate("data", "20Gi"), claimTemplate("logs", "1Gi")}
	claim := func(name, size string) corev1.PersistentVolumeClaim {
		return corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: pvcSpec(size)}
	}
	owned := claim("data-basic-broker-7", "10Gi")
	owned.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "other", Controller: ptr.To(true)}}
	ours := claim("data-basic-broker-8", "10Gi")
	ours.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "basic-broker", Controller: ptr.To(true)}}
	claims := []corev1.PersistentVolumeClaim{
		claim("data-basic-broker-0", "10Gi"), claim("data-basic-broker-12", "30Gi"), claim("logs-basic-broker-0", "1Gi"),
		claim("data-basic-broker-x-0", "10Gi"), claim("data-basic-broker-extra-0", "10Gi"), claim("data-basic-broker-01", "10Gi"),
		claim("data-basic-broker-", "10Gi"), claim("data-basic-broker-1-0", "10Gi"), claim("other-basic-broker-0", "10Gi"), owned, ours,
	}
	var got []string
	for _, tc := range matchStatefulSetClaims(claims, sts) {
		got = append(got, tc.claim.Name+" "+tc.want.String()+" "+tc.pod+" "+tc.template)
	}
	want := []string{
		"data-basic-broker-0 20Gi basic-broker-0 data",
		"data-basic-broker-12 30Gi basic-broker-12 data", // grown beyond the template by hand: its own size
		"logs-basic-broker-0 1Gi basic-broker-0 logs",
		"data-basic-broker-8 20Gi basic-broker-8 data",
	}
	if !slices.Equal(got, want) {
		t.Errorf("matched\n%q\nwant\n%q", got, want)
	}
}

func TestResizeProgress(t *testing.T) {
	claim := func(name, request, capacity string, phase corev1.PersistentVolumeClaimPhase, conds ...corev1.PersistentVolumeClaimConditionType) trackedClaim {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: pvcSpec(request)}
		c.Status.Phase = phase
		if capacity != "" {
			c.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(capacity)}
		}
		for _, typ := range conds {
			c.Status.Conditions = append(c.Status.Conditions, corev1.PersistentVolumeClaimCondition{Type: typ, Status: corev1.ConditionTrue, Message: "disk quota"})
		}
		return trackedClaim{claim: c, want: resource.MustParse("20Gi")}
	}
	bound := corev1.ClaimBound
	tests := map[string]struct {
		claims           []trackedClaim
		message, failure string
	}{
		"all grown": {claims: []trackedClaim{claim("d-1", "20Gi", "20Gi", bound), claim("d-0", "20Gi", "25Gi", bound)}},
		"growing": {
			claims:  []trackedClaim{claim("d-2", "20Gi", "10Gi", bound, corev1.PersistentVolumeClaimResizing), claim("d-0", "20Gi", "20Gi", bound), claim("d-1", "20Gi", "", bound)},
			message: "resizing volumes: 1 of 3 claims at 20Gi (d-1: capacity unknown; d-2: 10Gi, Resizing)",
		},
		"file system pending and not bound": {
			claims:  []trackedClaim{claim("d-0", "20Gi", "10Gi", bound, corev1.PersistentVolumeClaimFileSystemResizePending), claim("d-1", "10Gi", "", corev1.ClaimPending)},
			message: "resizing volumes: 0 of 2 claims at 20Gi (d-0: 10Gi, FileSystemResizePending; d-1: waiting for its volume to be bound)",
		},
		"failed": {
			claims:  []trackedClaim{claim("d-0", "20Gi", "10Gi", bound, corev1.PersistentVolumeClaimNodeResizeError)},
			message: "resizing volumes: 0 of 1 claims at 20Gi (d-0: 10Gi, NodeResizeError)",
			failure: "claim d-0 cannot grow to 20Gi (NodeResizeError): disk quota",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			volumes := volumeProgress(tt.claims)
			if got := resizeMessage(volumes); got != tt.message {
				t.Errorf("message %q, want %q", got, tt.message)
			}
			if got := resizeFailure(volumes, tt.claims); got != tt.failure {
				t.Errorf("failure %q, want %q", got, tt.failure)
			}
		})
	}

	// A terminal failure told only by allocatedResourceStatuses counts too.
	infeasible := claim("d-0", "20Gi", "10Gi", bound)
	infeasible.claim.Status.AllocatedResourceStatuses = map[corev1.ResourceName]corev1.ClaimResourceStatus{
		corev1.ResourceStorage: corev1.PersistentVolumeClaimControllerResizeInfeasible,
	}
	volumes := volumeProgress([]trackedClaim{infeasible})
	if got := resizeFailure(volumes, []trackedClaim{infeasible}); !strings.Contains(got, "ControllerResizeInfeasible") {
		t.Errorf("infeasible: failure %q", got)
	}
}

// A refusal is Degraded (beside any other problem) and is told as an event once: not when the
// stored Degraded condition already says it.
func TestResizeRefusalConditionAndEvents(t *testing.T) {
	refused := "node set broker: volume data cannot shrink from 10Gi to 5Gi (volumes only grow); it stays at 10Gi"
	report := &Report{NodeSets: []NodeSetReport{
		{Name: "broker", Rollout: Rollout{Desired: 1, Ready: 1, Done: true}, Resize: Resize{Refused: refused}},
		{Name: "server", Rollout: Rollout{Desired: 1, Ready: 1, Done: true}},
	}}
	var conds []metav1.Condition
	SetRolloutConditions(&conds, 3, report)
	d := meta.FindStatusCondition(conds, ConditionDegraded)
	if d.Status != metav1.ConditionTrue || d.Reason != "ResizeRefused" || d.Message != refused {
		t.Errorf("Degraded %+v, want True ResizeRefused %q", d, refused)
	}
	if a := meta.FindStatusCondition(conds, ConditionAvailable); a.Status != metav1.ConditionTrue {
		t.Errorf("Available %+v: a refused resize keeps the cluster available", a)
	}
	if got := refusalEvents(report.NodeSets, nil); len(got) != 1 || got[0].Reason != "ResizeRefused" || !got[0].Warning || got[0].Note != refused {
		t.Errorf("events %+v, want one ResizeRefused warning", got)
	}
	if got := refusalEvents(report.NodeSets, conds); len(got) != 0 {
		t.Errorf("events %+v once the status tells the refusal, want none", got)
	}

	report.Failure = "node set server: pod server-0 failed: OOMKilled"
	SetRolloutConditions(&conds, 3, report)
	d = meta.FindStatusCondition(conds, ConditionDegraded)
	if d.Reason != "NodeSetFailing" || d.Message != report.Failure+"; "+refused {
		t.Errorf("Degraded %+v, want the failure and the refusal", d)
	}
	if got := refusalEvents(report.NodeSets, conds); len(got) != 0 {
		t.Errorf("events %+v, want none", got)
	}
}

func TestListed(t *testing.T) {
	if got := listed([]string{"a", "b"}, ", "); got != "a, b" {
		t.Errorf("listed = %q", got)
	}
	if got := listed([]string{"a", "b", "c", "d", "e", "f", "g"}, "; "); got != "a; b; c; d; e; and 2 more" {
		t.Errorf("listed = %q", got)
	}
}

func TestIsOrdinal(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "12": true, "": false, "01": false, "x": false, "1-0": false, "-1": false} {
		if got := isOrdinal(s); got != want {
			t.Errorf("isOrdinal(%q) = %v, want %v", s, got, want)
		}
	}
}
