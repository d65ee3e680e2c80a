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

package dsoi

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// A claim's identity is the node set it was made for: its labels name the CR and the node
// set, and its name is one the operator (or a StatefulSet it made) gives. Both are checked:
// a person's claim that carries the CR's labels, or a claim of a node set whose name shares
// a prefix with another, is never taken for ours.

// StatefulSetClaimName is the name the StatefulSet controller gives the claim of one pod:
// <volumeClaimTemplate>-<StatefulSet>-<ordinal>.
func StatefulSetClaimName(instance, nodeSet, storage string, ordinal int) string {
	return storage + "-" + ObjectName(instance, nodeSet) + "-" + strconv.Itoa(ordinal)
}

// claimNodeSet returns the node set a claim was made for by this operator for the CR
// (app, instance), or "" when it was not: its labels must be the node set's, and its name
// one the node set's StatefulSet or Deployment gives to its claims.
func claimNodeSet(claim *corev1.PersistentVolumeClaim, app, instance string) string {
	labels := claim.Labels
	nodeSet := labels[LabelNodeSet]
	if nodeSet == "" || labels[LabelInstance] != instance || labels[LabelName] != app || labels[LabelManagedBy] != app+"-operator" {
		return ""
	}
	owner := ObjectName(instance, nodeSet)
	name := claim.Name
	// A Deployment's shared claim: <owner>-<storage>, written by the operator (spec hash).
	if storage, ok := strings.CutPrefix(name, owner+"-"); ok && isDNSLabel(storage) && claim.Annotations[AnnotationSpecHash] != "" {
		return nodeSet
	}
	// A StatefulSet pod's claim: <storage>-<owner>-<ordinal>.
	if rest, ok := strings.CutSuffix(trimOrdinal(name), "-"+owner); ok && isDNSLabel(rest) {
		return nodeSet
	}
	return ""
}

// trimOrdinal removes a trailing -<digits>, or returns "" when there is none.
func trimOrdinal(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	if _, err := strconv.ParseUint(name[i+1:], 10, 31); err != nil {
		return ""
	}
	return name[:i]
}

func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// claimMadeForOther reports whether an existing claim, found under a name the node set
// wants, was made for another CR or node set: mounting it would share or take over its data.
// A claim without the operator's labels is a person's (restored from a snapshot, say) and is
// used as it is, as a StatefulSet would.
func claimMadeForOther(claim *corev1.PersistentVolumeClaim, instance, nodeSet string) string {
	gotInstance, gotNodeSet := claim.Labels[LabelInstance], claim.Labels[LabelNodeSet]
	if (gotInstance == "" || gotInstance == instance) && (gotNodeSet == "" || gotNodeSet == nodeSet) {
		return ""
	}
	return fmt.Sprintf("PersistentVolumeClaim %s was made for node set %q of %q", claim.Name, gotNodeSet, gotInstance)
}

// SingleWriter reports whether a claim can be mounted read-write by the pods of one node
// only (ReadWriteOnce, ReadWriteOncePod, or no access mode given).
func SingleWriter(spec corev1.PersistentVolumeClaimSpec) bool {
	for _, m := range spec.AccessModes {
		if m != corev1.ReadWriteMany && m != corev1.ReadOnlyMany {
			return true
		}
	}
	return len(spec.AccessModes) == 0
}
