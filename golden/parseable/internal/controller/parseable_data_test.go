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
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/acme/parseable-operator/api/v1alpha1"
	"github.com/acme/parseable-operator/internal/dsoi"
)

// Your data: what the operator refuses to do because it would lose, share or take over a
// volume. The API server refuses what it can see in one resource; the operator refuses the
// rest before writing anything, with a Degraded condition and one Warning event.

func TestKindOfANodeCannotChange(t *testing.T) {
	cr := newCluster(t, nil)
	cr.Spec.Nodes[0].Kind = otherKind(cr.Spec.Nodes[0].Kind)
	err := k8sClient.Update(context.Background(), cr)
	if err == nil || !strings.Contains(err.Error(), "the kind of a node cannot change") {
		t.Fatalf("update: got %v, want the kind change refused", err)
	}
}

func TestAPIServerRejectsSharedOrCollidingVolumes(t *testing.T) {
	// withStorage makes node 0 a Deployment of 2 replicas whose claims have access modes modes.
	withStorage := func(cr *v1alpha1.Parseable, modes ...corev1.PersistentVolumeAccessMode) {
		node := &cr.Spec.Nodes[0]
		node.Kind, node.Replicas = dsoi.KindDeployment, ptrTo(int32(2))
		kc := k8sConfigOf(cr, node.K8sConfig)
		kc.StorageConfig = oneVolume("shared", modes...)
	}
	cases := map[string]struct {
		edit func(*v1alpha1.Parseable)
		want string // "" when the API server accepts it
	}{
		"several replicas on a ReadWriteOnce claim": {
			edit: func(cr *v1alpha1.Parseable) { withStorage(cr, corev1.ReadWriteOnce) },
			want: "the claims must be ReadWriteMany",
		},
		"several replicas on a claim without access modes": {
			edit: func(cr *v1alpha1.Parseable) { withStorage(cr) },
			want: "the claims must be ReadWriteMany",
		},
		"several replicas on a ReadWriteMany claim": {
			edit: func(cr *v1alpha1.Parseable) { withStorage(cr, corev1.ReadWriteMany) },
		},
		"a node named like another's headless Service": {
			edit: func(cr *v1alpha1.Parseable) {
				cr.Spec.Nodes[0].Kind = dsoi.KindStatefulSet
				extra := cr.Spec.Nodes[0]
				extra.Name = cr.Spec.Nodes[0].Name + "-headless"
				cr.Spec.Nodes = append(cr.Spec.Nodes, extra)
			},
			want: "that is the name of its headless Service",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := loadSample(t)
			cr.Namespace = "default"
			cr.Name = "unsafe-" + strings.ReplaceAll(strings.ToLower(name), " ", "-")
			cr.Name = cr.Name[:min(len(cr.Name), 40)]
			tc.edit(cr)
			err := k8sClient.Create(context.Background(), cr)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("create: %v, want it accepted", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("create: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A claim under a name the cluster would mount, made for another resource: the operator does
// not adopt it, creates nothing, and says so once.
func TestClaimOfAnotherResourceIsNotAdopted(t *testing.T) {
	cr := newCluster(t, func(cr *v1alpha1.Parseable) {
		node := &cr.Spec.Nodes[0]
		node.Kind, node.Replicas = dsoi.KindStatefulSet, ptrTo(int32(1))
		kc := k8sConfigOf(cr, node.K8sConfig)
		kc.StorageConfig = oneVolume("data", corev1.ReadWriteOnce)
	})
	node := cr.Spec.Nodes[0]
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{
			Name: dsoi.StatefulSetClaimName(cr.Name, node.Name, "data", 0), Namespace: cr.Namespace,
			Labels: dsoi.Labels(AppName, "another", "other-node", string(node.NodeType)),
		},
		Spec: k8sConfigOf(cr, node.K8sConfig).StorageConfig[0].Spec,
	}
	if err := k8sClient.Create(context.Background(), claim); err != nil {
		t.Fatal(err)
	}
	cr, got := reconcile(t, cr)
	c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionDegraded)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != dsoi.ReasonClaimConflict || !strings.Contains(c.Message, claim.Name) {
		t.Errorf("Degraded = %+v, want True, reason %s, naming %s", c, dsoi.ReasonClaimConflict, claim.Name)
	}
	if n := countEvents(got, "Warning "+dsoi.ReasonClaimConflict); n != 1 {
		t.Errorf("%d %s events, want 1: %v", n, dsoi.ReasonClaimConflict, got)
	}
	if exists(t, cr, dsoi.ObjectName(cr.Name, node.Name), &appsv1.StatefulSet{}) {
		t.Error("the StatefulSet was created: it would mount the other resource's claim")
	}
	// Seen again: the same condition, no second event.
	if _, got = reconcile(t, cr); countEvents(got, "Warning "+dsoi.ReasonClaimConflict) != 0 {
		t.Errorf("the refusal was recorded again: %v", got)
	}
}

// oneVolume is a storageConfig of one 1Gi claim with the access modes given.
func oneVolume(name string, modes ...corev1.PersistentVolumeAccessMode) []v1alpha1.ParseableStorageConfig {
	return []v1alpha1.ParseableStorageConfig{{Name: name, MountPath: "/" + name, Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: modes,
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
	}}}
}

func otherKind(kind string) string {
	if kind == dsoi.KindStatefulSet {
		return dsoi.KindDeployment
	}
	return dsoi.KindStatefulSet
}
