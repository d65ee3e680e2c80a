package dsoi

import (
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Names that would be shared by two objects of one CR are refused, whatever the kinds.
func TestCheckSpecRefusesNameCollisions(t *testing.T) {
	nodeSet := func(name, kind string, storage ...string) NodeSet {
		ns := NodeSet{Name: name, NodeType: "t", Kind: kind, Replicas: 1}
		for _, s := range storage {
			ns.Storage = append(ns.Storage, Storage{Name: s, MountPath: "/" + s, Spec: pvcSpec("1Gi")})
		}
		return ns
	}
	for _, tc := range []struct {
		name     string
		nodeSets []NodeSet
		want     string // "" for no refusal
	}{
		{"distinct", []NodeSet{nodeSet("a", KindStatefulSet, "data"), nodeSet("b", KindDeployment, "data")}, ""},
		{"headless Service of another node set", []NodeSet{nodeSet("a", KindStatefulSet), nodeSet("a-headless", KindDeployment)},
			`node set "a" (headless) and node set "a-headless" are both Service x-a-headless`},
		{"a Deployment named like a headless Service is fine beside a Deployment", []NodeSet{nodeSet("a", KindDeployment), nodeSet("a-headless", KindDeployment)}, ""},
		{"shared claims", []NodeSet{nodeSet("server", KindDeployment, "cold-data"), nodeSet("server-cold", KindDeployment, "data")},
			`node set "server" storage "cold-data" and node set "server-cold" storage "data" are both PersistentVolumeClaim x-server-cold-data`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cluster{App: "app", Instance: "x", Namespace: "ns", NodeSets: tc.nodeSets}
			err := checkSpec(c)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var refusal *Refusal
			if !errors.As(err, &refusal) || refusal.Reason != ReasonNameCollision || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a NameCollision refusal saying %q", err, tc.want)
			}
		})
	}
}

// A Deployment's pods share its claims: several replicas on a claim that one node can mount
// for writing cannot work, and one replica must be replaced, not rolled beside the old pod.
func TestSharedSingleWriterClaims(t *testing.T) {
	rwx := pvcSpec("1Gi")
	rwx.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	noModes := pvcSpec("1Gi")
	noModes.AccessModes = nil
	for _, tc := range []struct {
		name     string
		replicas int32
		spec     corev1.PersistentVolumeClaimSpec
		refused  bool
		strategy appsv1.DeploymentStrategyType
	}{
		{"one replica, ReadWriteOnce", 1, pvcSpec("1Gi"), false, appsv1.RecreateDeploymentStrategyType},
		{"two replicas, ReadWriteOnce", 2, pvcSpec("1Gi"), true, ""},
		{"two replicas, no access mode", 2, noModes, true, ""},
		{"two replicas, ReadWriteMany", 2, rwx, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cluster{App: "app", Instance: "x", Namespace: "ns", NodeSets: []NodeSet{{
				Name: "server", NodeType: "server", Kind: KindDeployment, Replicas: tc.replicas,
				Storage: []Storage{{Name: "data", MountPath: "/data", Spec: tc.spec}},
			}}}
			err := checkSpec(c)
			var refusal *Refusal
			if got := errors.As(err, &refusal) && refusal.Reason == ReasonSharedVolumeConflict; got != tc.refused {
				t.Fatalf("refused = %v (%v), want %v", got, err, tc.refused)
			}
			if tc.refused {
				if !strings.Contains(err.Error(), `storage "data"`) || !strings.Contains(err.Error(), "ReadWriteMany") {
					t.Errorf("refusal %q does not say which storage and what to do", err)
				}
				return
			}
			if got := build(t, c, 0).Deployment.Spec.Strategy.Type; got != tc.strategy {
				t.Errorf("strategy %q, want %q", got, tc.strategy)
			}
		})
	}
}

// Only a claim with the node set's labels and a name the operator gives is the node set's.
func TestClaimNodeSet(t *testing.T) {
	ours := Labels("pinot", "basic", "broker", "broker")
	hashed := map[string]string{AnnotationSpecHash: "abc"}
	for _, tc := range []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		want        string
	}{
		{"data-basic-broker-0", ours, nil, "broker"},
		{"data-basic-broker-12", ours, nil, "broker"},
		{"basic-broker-staging", ours, hashed, "broker"},
		{"basic-broker-staging", ours, nil, ""}, // not written by the operator
		{"data-basic-broker-extra-0", ours, nil, ""},
		{"data-basic-broker", ours, nil, ""},
		{"basic-broker-0", ours, nil, ""},
		{"deep-storage", ours, nil, ""},
		{"data-basic-broker-0", InstanceLabels("pinot", "basic"), nil, ""}, // kustomize commonLabels
		{"data-basic-broker-0", Labels("pinot", "other", "broker", "broker"), nil, ""},
		{"data-basic-broker-0", Labels("druid", "basic", "broker", "broker"), nil, ""},
	} {
		claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: tc.name, Labels: tc.labels, Annotations: tc.annotations}}
		if got := claimNodeSet(claim, "pinot", "basic"); got != tc.want {
			t.Errorf("claimNodeSet(%s, labels %v, annotations %v) = %q, want %q", tc.name, tc.labels, tc.annotations, got, tc.want)
		}
	}
}
