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

package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PinotAutoscalingSpec is the DSOI level 2 API: it resizes node sets of one Pinot cluster
// from a utilization metric. A separate resource with its own controller, so that slow metric
// fetches never delay or race with installs and upgrades; the new size is written into the
// cluster's spec.nodes[].replicas, so the Pinot controller alone rolls it out.
type PinotAutoscalingSpec struct {
	// ClusterRef names the Pinot resource, in the same namespace, whose node sets this scales.
	// +required
	ClusterRef PinotAutoscalingClusterRef `json:"clusterRef"`

	// External is where the metrics come from.
	// +required
	External PinotAutoscalingExternal `json:"external"`

	// Autoscaling has one entry per node set to scale, named as in the cluster's spec.nodes.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Autoscaling []PinotAutoscalingEntry `json:"autoscaling"`
}

// PinotAutoscalingClusterRef names the cluster to scale.
type PinotAutoscalingClusterRef struct {
	// Name of the Pinot resource.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// PinotAutoscalingExternal holds the metrics source, in the DSOI shape (spec.external.spec).
type PinotAutoscalingExternal struct {
	// +required
	Spec PinotMetricsSource `json:"spec"`
}

// PinotMetricsSource says where the utilization of each node set comes from.
// +kubebuilder:validation:XValidation:rule="self.source != 'http' || has(self.url)",message="url is required when source is http"
type PinotMetricsSource struct {
	// Source is http or resourceMetrics. http: GET url answers 200 with a JSON object of node
	// set names to utilization in percent, such as {"broker": 85, "server": 40.5}.
	// resourceMetrics: the CPU the node set's pods use over the CPU they request, from the
	// Kubernetes resource metrics API (metrics.k8s.io, served by metrics-server).
	// +optional
	// +kubebuilder:default=http
	// +kubebuilder:validation:Enum=http;resourceMetrics
	Source string `json:"source,omitempty"`

	// URL of the metrics endpoint (source http).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://`
	URL string `json:"url,omitempty"`

	// SecretRef names a key of a Secret, in the same namespace, that holds a bearer token sent
	// with every request (source http).
	// +optional
	SecretRef *corev1.SecretKeySelector `json:"secretRef,omitempty"`

	// TimeoutSeconds bounds each fetch; a slower endpoint counts as down.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`

	// IntervalSeconds is the time between two fetches.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	IntervalSeconds int32 `json:"intervalSeconds,omitempty"`
}

// PinotAutoscalingEntry scales one node set.
type PinotAutoscalingEntry struct {
	// Name of the node set (spec.nodes[].name of the cluster).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// +required
	Spec PinotScalingPolicy `json:"spec"`
}

// PinotScalingPolicy bounds and paces the scaling of one node set. Above threshold the node
// set grows in proportion to utilization/threshold; below 70% of threshold it shrinks the
// same way; in between it keeps its size, so a utilization near the threshold does not flap.
// +kubebuilder:validation:XValidation:rule="self.minReplica <= self.maxReplica",message="minReplica must not be greater than maxReplica"
type PinotScalingPolicy struct {
	// Enable turns the scaling of this node set on.
	// +optional
	Enable bool `json:"enable,omitempty"`

	// MinReplica is the fewest pods the node set scales down to.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MinReplica int32 `json:"minReplica"`

	// MaxReplica is the most pods the node set scales up to.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxReplica int32 `json:"maxReplica"`

	// Threshold is the target utilization, in percent.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Threshold int32 `json:"threshold"`

	// CoolDown is the least time between two changes of the node set's size, as a duration
	// such as 5m or 90s.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s')",message="coolDown must be a duration such as 5m or 90s"
	CoolDown string `json:"coolDown,omitempty"`
}

// PinotAutoscalingStatus is what the autoscaler saw and did.
type PinotAutoscalingStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: MetricsAvailable (the last fetch worked), AbleToScale (the cluster exists
	// and is not upgrading, halted, paused or stopped) and ScalingLimited (a node set is held
	// at minReplica or maxReplica).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// NodeSets has one entry per entry of spec.autoscaling.
	// +optional
	// +listType=map
	// +listMapKey=name
	NodeSets []PinotAutoscalingNodeSetStatus `json:"nodeSets,omitempty"`
}

// PinotAutoscalingNodeSetStatus is the state of one scaled node set.
type PinotAutoscalingNodeSetStatus struct {
	// Name of the node set.
	Name string `json:"name"`
	// Utilization is the last metric, in percent, rounded.
	// +optional
	Utilization *int32 `json:"utilization,omitempty"`
	// CurrentReplicas is the node set's size in the cluster's spec before this decision.
	CurrentReplicas int32 `json:"currentReplicas"`
	// DesiredReplicas is the size the autoscaler wants.
	DesiredReplicas int32 `json:"desiredReplicas"`
	// LastScaleTime is when the autoscaler last changed the size.
	// +optional
	LastScaleTime *metav1.Time `json:"lastScaleTime,omitempty"`
	// LastScaleDirection is Up or Down.
	// +optional
	LastScaleDirection string `json:"lastScaleDirection,omitempty"`
	// Message says why the size is what it is.
	// +optional
	Message string `json:"message,omitempty"`
	// LastError is why this node set could not be judged, if it could not.
	// +optional
	LastError string `json:"lastError,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=pinotautoscalings
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterRef.name`
// +kubebuilder:printcolumn:name="Metrics",type=string,JSONPath=`.status.conditions[?(@.type=="MetricsAvailable")].status`
// +kubebuilder:printcolumn:name="Able",type=string,JSONPath=`.status.conditions[?(@.type=="AbleToScale")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// PinotAutoscaling scales the node sets of a Apache Pinot cluster.
type PinotAutoscaling struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec PinotAutoscalingSpec `json:"spec"`
	// +optional
	Status PinotAutoscalingStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PinotAutoscalingList is a list of PinotAutoscaling.
type PinotAutoscalingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PinotAutoscaling `json:"items"`
}

func init() {
	SchemeBuilder.Register(&PinotAutoscaling{}, &PinotAutoscalingList{})
}
