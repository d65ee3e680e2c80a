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

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ParseableSpec is the desired state of a Parseable cluster, in the DSOI shape:
// external dependencies, the order of node types, Kubernetes config groups, application
// config groups, and the node sets that tie them together.
// +kubebuilder:validation:XValidation:rule="self.deploymentOrder.all(t, self.nodes.exists(n, n.nodeType == t))",message="every deploymentOrder entry must be the nodeType of at least one node"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, n.nodeType in self.deploymentOrder)",message="every node's nodeType must be listed in deploymentOrder"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, self.k8sConfig.exists(k, k.name == n.k8sConfig))",message="every node's k8sConfig must name an entry of spec.k8sConfig"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, !self.nodes.exists(m, m.kind == 'StatefulSet' && n.name == m.name + '-headless'))",message="a node name must not be another StatefulSet node's name followed by -headless: that is the name of its headless Service"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, n.kind != 'Deployment' || !has(n.replicas) || n.replicas <= 1 || self.k8sConfig.all(k, k.name != n.k8sConfig || !has(k.storageConfig) || k.storageConfig.all(s, has(s.spec.accessModes) && (s.spec.accessModes == ['ReadWriteMany'] || s.spec.accessModes == ['ReadOnlyMany'] || s.spec.accessModes == ['ReadWriteMany', 'ReadOnlyMany'] || s.spec.accessModes == ['ReadOnlyMany', 'ReadWriteMany']))))",message="a Deployment node with more than one replica shares each storageConfig claim among its pods: the claims must be ReadWriteMany (or ReadOnlyMany); use replicas 1 or kind StatefulSet (a claim per pod) otherwise"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, !has(n.parseableConfig) || (has(self.parseableConfig) && self.parseableConfig.exists(c, c.name == n.parseableConfig)))",message="every node's parseableConfig must name an entry of spec.parseableConfig"
type ParseableSpec struct {
	// External holds the settings of the systems Parseable depends on.
	// +required
	External ParseableExternal `json:"external"`

	// DeploymentOrder is the order in which node types are installed and upgraded.
	// Every node type used in nodes must be listed.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1
	DeploymentOrder []ParseableNodeType `json:"deploymentOrder"`

	// K8sConfig are named groups of Kubernetes settings; several nodes may share one.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	K8sConfig []ParseableK8sConfig `json:"k8sConfig"`

	// ParseableConfig are named groups of Parseable's own configuration
	// files; several nodes may share one. A file left empty gets its built-in default.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	ParseableConfig []ParseableConfig `json:"parseableConfig,omitempty"`

	// Nodes are the node sets: each runs one node type with one k8sConfig group and one
	// parseableConfig group.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Nodes []ParseableNode `json:"nodes"`

	// Paused stops every write to the cluster's objects until it is unset.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// Stopped scales every node set to zero replicas, keeping its objects and volumes;
	// unset it to bring the cluster back.
	// +optional
	Stopped bool `json:"stopped,omitempty"`

	// DisablePodDisruptionBudget turns off the PodDisruptionBudget (maxUnavailable 1) that
	// every node set gets by default.
	// +optional
	DisablePodDisruptionBudget bool `json:"disablePodDisruptionBudget,omitempty"`

	// DeletePersistentVolumeClaims deletes the volumes of a node set once it is removed from
	// nodes and its pods are gone: only claims the operator made for it, never a claim that
	// merely carries the cluster's labels. Off by default: data outlives node sets (and a
	// renamed node set, which is a removed one and a new one) unless asked otherwise.
	// +optional
	DeletePersistentVolumeClaims bool `json:"deletePersistentVolumeClaims,omitempty"`

	// InstallStrategy: parallel creates every node type at once on the first install; ordered
	// creates them one at a time in deploymentOrder, each once the one before is ready.
	// +optional
	// +kubebuilder:validation:Enum=parallel;ordered
	// +kubebuilder:default=parallel
	InstallStrategy string `json:"installStrategy,omitempty"`

	// UpgradeStrategy: ordered rolls a change out one node type at a time in deploymentOrder,
	// the next starting only when the previous one has fully rolled out; parallel rolls all
	// node types at once.
	// +optional
	// +kubebuilder:validation:Enum=parallel;ordered
	// +kubebuilder:default=ordered
	UpgradeStrategy string `json:"upgradeStrategy,omitempty"`

	// ProgressDeadlineSeconds is how long a node type may take to roll out during an upgrade
	// before the upgrade halts (condition Degraded, reason UpgradeHalted). A node type whose
	// pods crash halts it at once.
	// +optional
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=1
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`
}

// ParseableNodeType is a node type of Parseable.
// +kubebuilder:validation:Enum=server
type ParseableNodeType string

// Node types of Parseable.
const (
	ParseableNodeTypeServer ParseableNodeType = "server"
)

// ParseableNode is one node set: a node type run with one k8sConfig group and one
// parseableConfig group.
// +kubebuilder:validation:XValidation:rule="self.kind == oldSelf.kind",message="the kind of a node cannot change: the new workload would start on new, empty volumes; add a node with another name instead"
type ParseableNode struct {
	// Name of the node set, unique in the CR. Objects are named <CR name>-<name>.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Kind is the workload that runs the node set. It cannot change once the node exists.
	// +required
	// +kubebuilder:validation:Enum=StatefulSet;Deployment
	Kind string `json:"kind"`

	// NodeType is the Parseable node type this node set runs.
	// +required
	NodeType ParseableNodeType `json:"nodeType"`

	// Replicas is the number of pods.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`

	// K8sConfig names the entry of spec.k8sConfig this node set uses.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	K8sConfig string `json:"k8sConfig"`

	// ParseableConfig names the entry of spec.parseableConfig this node set uses;
	// without it the node set gets the built-in default files.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	ParseableConfig string `json:"parseableConfig,omitempty"`
}

// ParseableK8sConfig is a named group of Kubernetes settings for node sets.
type ParseableK8sConfig struct {
	// Name of the group, referenced by nodes[].k8sConfig.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// Image of the Parseable container.
	// +required
	// +kubebuilder:validation:MinLength=1
	Image string `json:"image"`

	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// +optional
	Command []string `json:"command,omitempty"`
	// +optional
	Args []string `json:"args,omitempty"`
	// Port are the container ports.
	// +optional
	Port []corev1.ContainerPort `json:"port,omitempty"`
	// Service is the client Service; without ports it serves the container ports.
	// +optional
	Service *corev1.ServiceSpec `json:"service,omitempty"`
	// +optional
	LivenessProbe *corev1.Probe `json:"livenessProbe,omitempty"`
	// +optional
	ReadinessProbe *corev1.Probe `json:"readinessProbe,omitempty"`
	// +optional
	StartUpProbe *corev1.Probe `json:"startUpProbe,omitempty"`
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// +optional
	Volumes []corev1.Volume `json:"volumes,omitempty"`
	// +optional
	VolumeMount []corev1.VolumeMount `json:"volumeMount,omitempty"`
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// PodMetadata adds labels and annotations to the pods.
	// +optional
	PodMetadata ParseablePodMetadata `json:"podMetadata,omitempty"`
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// SecurityContext of the pods.
	// +optional
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`
	// ContainerSecurityContext of the Parseable container.
	// +optional
	ContainerSecurityContext *corev1.SecurityContext `json:"containerSecurityContext,omitempty"`
	// StorageConfig are persistent volumes: one claim per pod for a StatefulSet node set, one
	// claim shared by all pods for a Deployment node set (which then needs ReadWriteMany for
	// more than one replica, and is replaced rather than rolled while a claim is
	// ReadWriteOnce). Claims outlive their node set unless spec.deletePersistentVolumeClaims
	// is set.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	StorageConfig []ParseableStorageConfig `json:"storageConfig,omitempty"`
}

// ParseablePodMetadata are extra labels and annotations of pods.
type ParseablePodMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ParseableStorageConfig is a persistent volume mounted into every pod of a node set.
type ParseableStorageConfig struct {
	// Name of the volume claim template.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// MountPath in the container.
	// +required
	// +kubebuilder:validation:Pattern=`^/`
	MountPath string `json:"mountPath"`
	// Spec of the claim. For a StatefulSet, changing it recreates the StatefulSet (pods and
	// volumes are kept); for a Deployment, only a larger size can be applied to the claim.
	// +required
	Spec corev1.PersistentVolumeClaimSpec `json:"spec"`
}

// ParseableConfig is a named group of Parseable configuration files.
type ParseableConfig struct {
	// Name of the group, referenced by nodes[].parseableConfig.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
}

// ParseableExternal holds the settings of the systems Parseable depends on.
type ParseableExternal struct {
	// ObjectStore: S3-compatible bucket where Parseable stores events as Parquet.
	// +required
	ObjectStore ParseableObjectStore `json:"objectStore"`

	// Auth: Credentials of the Parseable admin user (API and console).
	// +required
	Auth ParseableAuth `json:"auth"`
}

// ParseableObjectStore is the objectStore dependency.
type ParseableObjectStore struct {
	// +required
	Spec ParseableObjectStoreSpec `json:"spec"`
}

// ParseableObjectStoreSpec holds the settings of the objectStore dependency.
type ParseableObjectStoreSpec struct {
	// Url: S3 endpoint URL.
	// Given to every node container as $P_S3_URL.
	// +required
	// +kubebuilder:validation:MinLength=1
	Url string `json:"url"`

	// Bucket of objectStore.
	// Given to every node container as $P_S3_BUCKET.
	// +required
	// +kubebuilder:validation:MinLength=1
	Bucket string `json:"bucket"`

	// Region of objectStore.
	// Given to every node container as $P_S3_REGION.
	// +required
	// +kubebuilder:validation:MinLength=1
	Region string `json:"region"`

	// AccessKey of objectStore.
	// A reference to a key of a Secret: the value itself never appears in the CR.
	// Given to every node container as $P_S3_ACCESS_KEY.
	// +required
	AccessKey corev1.SecretKeySelector `json:"accessKey"`

	// SecretKey of objectStore.
	// A reference to a key of a Secret: the value itself never appears in the CR.
	// Given to every node container as $P_S3_SECRET_KEY.
	// +required
	SecretKey corev1.SecretKeySelector `json:"secretKey"`
}

// ParseableAuth is the auth dependency.
type ParseableAuth struct {
	// +required
	Spec ParseableAuthSpec `json:"spec"`
}

// ParseableAuthSpec holds the settings of the auth dependency.
type ParseableAuthSpec struct {
	// Username of auth.
	// Given to every node container as $P_USERNAME.
	// +required
	// +kubebuilder:validation:MinLength=1
	Username string `json:"username"`

	// Password of auth.
	// A reference to a key of a Secret: the value itself never appears in the CR.
	// Given to every node container as $P_PASSWORD.
	// +required
	Password corev1.SecretKeySelector `json:"password"`
}

// ParseableNodeSetStatus is the observed state of one node set.
type ParseableNodeSetStatus struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	NodeType string `json:"nodeType"`
	// Replicas wanted, ready, and running the current revision.
	Replicas        int32 `json:"replicas"`
	ReadyReplicas   int32 `json:"readyReplicas"`
	UpdatedReplicas int32 `json:"updatedReplicas"`
	// Revision is the StatefulSet update revision or the Deployment generation.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Phase is Pending, Progressing, Ready, Waiting (its turn in deploymentOrder has not come),
	// Stopping (scaling to zero; pods left) or Stopped.
	Phase string `json:"phase"`
	// Held is true while the node set's new spec waits for the node types before it in
	// deploymentOrder.
	// +optional
	Held bool `json:"held,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
}

// ParseableUpgradeStatus is the state of the latest upgrade.
type ParseableUpgradeStatus struct {
	// Phase is Progressing, Halted or Completed.
	Phase string `json:"phase"`
	// FromGeneration and ToGeneration are the CR generations the upgrade goes between.
	FromGeneration int64 `json:"fromGeneration"`
	ToGeneration   int64 `json:"toGeneration"`
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Duration is finishedAt - startedAt, such as 1m30s.
	// +optional
	Duration string `json:"duration,omitempty"`
	// CurrentNodeType is the node type rolling out now.
	// +optional
	CurrentNodeType string `json:"currentNodeType,omitempty"`
	// CurrentNodeTypeStartedAt is when the current node type began, for the progress deadline.
	// +optional
	CurrentNodeTypeStartedAt *metav1.Time `json:"currentNodeTypeStartedAt,omitempty"`
	// Message says why the upgrade halted.
	// +optional
	Message string `json:"message,omitempty"`
}

// ParseableStopStartStatus is the state of the latest stop (spec.stopped set) or start (unset
// again). Node types stop in reverse deploymentOrder and start in deploymentOrder.
type ParseableStopStartStatus struct {
	// Phase is Stopping, Stopped, Starting or Started.
	Phase string `json:"phase"`
	// CurrentNodeType is the node type stopping or starting now.
	// +optional
	CurrentNodeType string `json:"currentNodeType,omitempty"`
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
}

// ParseableStatus is the observed state of a Parseable cluster.
type ParseableStatus struct {
	// ObservedGeneration is the latest generation of the spec the operator acted on: not one
	// that was invalid, failed, or is held back by spec.paused.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Available, Progressing, Degraded, ReconciliationPaused.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// NodeSets is the rollout state of each node set.
	// +optional
	// +listType=map
	// +listMapKey=name
	NodeSets []ParseableNodeSetStatus `json:"nodeSets,omitempty"`
	// Upgrade is the latest upgrade: any change of the spec after the first install, except
	// a stop or a start.
	// +optional
	Upgrade *ParseableUpgradeStatus `json:"upgrade,omitempty"`
	// StopStart is the latest stop or start.
	// +optional
	StopStart *ParseableStopStartStatus `json:"stopStart,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=parseables
// +kubebuilder:printcolumn:name="Available",type=string,JSONPath=`.status.conditions[?(@.type=="Available")].status`
// +kubebuilder:printcolumn:name="Progressing",type=string,JSONPath=`.status.conditions[?(@.type=="Progressing")].status`
// +kubebuilder:printcolumn:name="Degraded",type=string,JSONPath=`.status.conditions[?(@.type=="Degraded")].status`
// +kubebuilder:printcolumn:name="Upgrade",type=string,JSONPath=`.status.upgrade.phase`
// +kubebuilder:printcolumn:name="Node Type",type=string,JSONPath=`.status.upgrade.currentNodeType`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Parseable is a Parseable cluster.
type Parseable struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ParseableSpec `json:"spec"`
	// +optional
	Status ParseableStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ParseableList is a list of Parseable.
type ParseableList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Parseable `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Parseable{}, &ParseableList{})
}
