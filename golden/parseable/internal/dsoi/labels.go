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

import "maps"

// Label and annotation keys set on every object an operator creates.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelNodeSet names the node set (spec.nodes[].name) an object belongs to. With
	// LabelInstance it forms the selector: both are fixed for the life of a node set, and
	// node names are unique within a CR, so selectors never change and never overlap.
	LabelNodeSet = "dsoi.datainfra.io/node-set"
	// AnnotationConfigHash on a pod template is the hash of every config file mounted into
	// the node set, so a config change rolls exactly the node sets that use it.
	AnnotationConfigHash = "dsoi.datainfra.io/config-hash"
)

// Selector returns the immutable pod selector of one node set of one CR.
func Selector(instance, nodeSet string) map[string]string {
	return map[string]string{LabelInstance: instance, LabelNodeSet: nodeSet}
}

// Labels returns the labels of one node set's objects and pods.
func Labels(app, instance, nodeSet, nodeType string) map[string]string {
	l := Selector(instance, nodeSet)
	l[LabelName] = app
	l[LabelComponent] = nodeType
	l[LabelManagedBy] = app + "-operator"
	return l
}

// InstanceLabels selects every object of one CR, whatever its node set.
func InstanceLabels(app, instance string) map[string]string {
	return map[string]string{LabelName: app, LabelInstance: instance}
}

// merged returns a new map with base's entries overridden by extra's, base winning for
// keys the operator relies on (so podMetadata cannot break a selector).
func merged(extra, base map[string]string) map[string]string {
	out := make(map[string]string, len(extra)+len(base))
	maps.Copy(out, extra)
	maps.Copy(out, base)
	return out
}
