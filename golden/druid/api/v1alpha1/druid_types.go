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

// DruidSpec is the desired state of a Apache Druid cluster, in the DSOI shape:
// external dependencies, the order of node types, Kubernetes config groups, application
// config groups, and the node sets that tie them together.
// +kubebuilder:validation:XValidation:rule="self.deploymentOrder.all(t, self.nodes.exists(n, n.nodeType == t))",message="every deploymentOrder entry must be the nodeType of at least one node"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, n.nodeType in self.deploymentOrder)",message="every node's nodeType must be listed in deploymentOrder"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, self.k8sConfig.exists(k, k.name == n.k8sConfig))",message="every node's k8sConfig must name an entry of spec.k8sConfig"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, !self.nodes.exists(m, m.kind == 'StatefulSet' && n.name == m.name + '-headless'))",message="a node name must not be another StatefulSet node's name followed by -headless: that is the name of its headless Service"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, n.kind != 'Deployment' || !has(n.replicas) || n.replicas <= 1 || self.k8sConfig.all(k, k.name != n.k8sConfig || !has(k.storageConfig) || k.storageConfig.all(s, has(s.spec.accessModes) && (s.spec.accessModes == ['ReadWriteMany'] || s.spec.accessModes == ['ReadOnlyMany'] || s.spec.accessModes == ['ReadWriteMany', 'ReadOnlyMany'] || s.spec.accessModes == ['ReadOnlyMany', 'ReadWriteMany']))))",message="a Deployment node with more than one replica shares each storageConfig claim among its pods: the claims must be ReadWriteMany (or ReadOnlyMany); use replicas 1 or kind StatefulSet (a claim per pod) otherwise"
// +kubebuilder:validation:XValidation:rule="self.nodes.all(n, !has(n.druidConfig) || (has(self.druidConfig) && self.druidConfig.exists(c, c.name == n.druidConfig)))",message="every node's druidConfig must name an entry of spec.druidConfig"
type DruidSpec struct {
	// External holds the settings of the systems Apache Druid depends on.
	// +required
	External DruidExternal `json:"external"`

	// DeploymentOrder is the order in which node types are installed and upgraded.
	// Every node type used in nodes must be listed.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=6
	DeploymentOrder []DruidNodeType `json:"deploymentOrder"`

	// K8sConfig are named groups of Kubernetes settings; several nodes may share one.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	K8sConfig []DruidK8sConfig `json:"k8sConfig"`

	// DruidConfig are named groups of Apache Druid's own configuration
	// files; several nodes may share one. A file left empty gets its built-in default.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	DruidConfig []DruidConfig `json:"druidConfig,omitempty"`

	// ClusterConfig holds the configuration files shared by every node.
	// +optional
	ClusterConfig DruidClusterConfig `json:"clusterConfig,omitempty"`

	// Nodes are the node sets: each runs one node type with one k8sConfig group and one
	// druidConfig group.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Nodes []DruidNode `json:"nodes"`

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

// DruidNodeType is a node type of Apache Druid.
// +kubebuilder:validation:Enum=coordinator;broker;historical;overlord;middleManager;router
type DruidNodeType string

// Node types of Apache Druid.
const (
	DruidNodeTypeCoordinator   DruidNodeType = "coordinator"
	DruidNodeTypeBroker        DruidNodeType = "broker"
	DruidNodeTypeHistorical    DruidNodeType = "historical"
	DruidNodeTypeOverlord      DruidNodeType = "overlord"
	DruidNodeTypeMiddleManager DruidNodeType = "middleManager"
	DruidNodeTypeRouter        DruidNodeType = "router"
)

// DruidNode is one node set: a node type run with one k8sConfig group and one
// druidConfig group.
// +kubebuilder:validation:XValidation:rule="self.kind == oldSelf.kind",message="the kind of a node cannot change: the new workload would start on new, empty volumes; add a node with another name instead"
// +kubebuilder:validation:XValidation:rule="self.nodeType != 'historical' || (has(self.replicas) ? self.replicas : 1) >= 2",message="a node of type historical needs at least 2 replicas (the node type's minReplicas); to stop it, set spec.stopped"
type DruidNode struct {
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

	// NodeType is the Apache Druid node type this node set runs.
	// +required
	NodeType DruidNodeType `json:"nodeType"`

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

	// DruidConfig names the entry of spec.druidConfig this node set uses;
	// without it the node set gets the built-in default files.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	DruidConfig string `json:"druidConfig,omitempty"`

	// ClaimRetention says what happens to the claims of the pods a scale-down of this node
	// removes, when its kind is StatefulSet; without it, the node type's default: coordinator Retain, broker Retain, historical Retain, overlord Retain, middleManager Delete, router Retain.
	// +optional
	ClaimRetention *DruidClaimRetention `json:"claimRetention,omitempty"`

	// AppAddress, when set, receives the calls this operator makes to the application's own
	// endpoints for this node set (health gates and decommissions): host:port or a URL, to which each
	// call's path is appended, instead of each pod or the node set's Service. It is for an
	// operator that cannot reach the pods (run outside the cluster, through a proxy) and for
	// tests. Each call names its pod in the X-Dsoi-Pod header.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^(https?://)?[^\s/]+(/[^\s]*)?$`
	AppAddress string `json:"appAddress,omitempty"`
}

// DruidK8sConfig is a named group of Kubernetes settings for node sets.
type DruidK8sConfig struct {
	// Name of the group, referenced by nodes[].k8sConfig.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// Image of the Apache Druid container.
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
	PodMetadata DruidPodMetadata `json:"podMetadata,omitempty"`
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// SecurityContext of the pods.
	// +optional
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`
	// ContainerSecurityContext of the Apache Druid container.
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
	StorageConfig []DruidStorageConfig `json:"storageConfig,omitempty"`
}

// DruidPodMetadata are extra labels and annotations of pods.
type DruidPodMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// DruidStorageConfig is a persistent volume mounted into every pod of a node set.
type DruidStorageConfig struct {
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

// DruidConfig is a named group of Apache Druid configuration files.
type DruidConfig struct {
	// Name of the group, referenced by nodes[].druidConfig.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// CoordinatorRuntime is the content of runtime.properties (properties), mounted at /opt/druid/conf/druid/cluster/master/coordinator-overlord.
	// Empty means the built-in default.
	// +optional
	CoordinatorRuntime string `json:"coordinatorRuntime,omitempty"`

	// CoordinatorJvm is the content of jvm.config (text), mounted at /opt/druid/conf/druid/cluster/master/coordinator-overlord.
	// Empty means the built-in default.
	// +optional
	CoordinatorJvm string `json:"coordinatorJvm,omitempty"`

	// CoordinatorLog4j2 is the content of log4j2.xml (xml), mounted at /opt/druid/conf/druid/cluster/master/coordinator-overlord.
	// Empty means the built-in default.
	// +optional
	CoordinatorLog4j2 string `json:"coordinatorLog4j2,omitempty"`

	// BrokerRuntime is the content of runtime.properties (properties), mounted at /opt/druid/conf/druid/cluster/query/broker.
	// Empty means the built-in default.
	// +optional
	BrokerRuntime string `json:"brokerRuntime,omitempty"`

	// BrokerJvm is the content of jvm.config (text), mounted at /opt/druid/conf/druid/cluster/query/broker.
	// Empty means the built-in default.
	// +optional
	BrokerJvm string `json:"brokerJvm,omitempty"`

	// BrokerLog4j2 is the content of log4j2.xml (xml), mounted at /opt/druid/conf/druid/cluster/query/broker.
	// Empty means the built-in default.
	// +optional
	BrokerLog4j2 string `json:"brokerLog4j2,omitempty"`

	// HistoricalRuntime is the content of runtime.properties (properties), mounted at /opt/druid/conf/druid/cluster/data/historical.
	// Empty means the built-in default.
	// +optional
	HistoricalRuntime string `json:"historicalRuntime,omitempty"`

	// HistoricalJvm is the content of jvm.config (text), mounted at /opt/druid/conf/druid/cluster/data/historical.
	// Empty means the built-in default.
	// +optional
	HistoricalJvm string `json:"historicalJvm,omitempty"`

	// HistoricalLog4j2 is the content of log4j2.xml (xml), mounted at /opt/druid/conf/druid/cluster/data/historical.
	// Empty means the built-in default.
	// +optional
	HistoricalLog4j2 string `json:"historicalLog4j2,omitempty"`

	// OverlordRuntime is the content of runtime.properties (properties), mounted at /opt/druid/conf/druid/cluster/master/coordinator-overlord.
	// Empty means the built-in default.
	// +optional
	OverlordRuntime string `json:"overlordRuntime,omitempty"`

	// OverlordJvm is the content of jvm.config (text), mounted at /opt/druid/conf/druid/cluster/master/coordinator-overlord.
	// Empty means the built-in default.
	// +optional
	OverlordJvm string `json:"overlordJvm,omitempty"`

	// OverlordLog4j2 is the content of log4j2.xml (xml), mounted at /opt/druid/conf/druid/cluster/master/coordinator-overlord.
	// Empty means the built-in default.
	// +optional
	OverlordLog4j2 string `json:"overlordLog4j2,omitempty"`

	// MiddleManagerRuntime is the content of runtime.properties (properties), mounted at /opt/druid/conf/druid/cluster/data/middleManager.
	// Empty means the built-in default.
	// +optional
	MiddleManagerRuntime string `json:"middleManagerRuntime,omitempty"`

	// MiddleManagerJvm is the content of jvm.config (text), mounted at /opt/druid/conf/druid/cluster/data/middleManager.
	// Empty means the built-in default.
	// +optional
	MiddleManagerJvm string `json:"middleManagerJvm,omitempty"`

	// MiddleManagerLog4j2 is the content of log4j2.xml (xml), mounted at /opt/druid/conf/druid/cluster/data/middleManager.
	// Empty means the built-in default.
	// +optional
	MiddleManagerLog4j2 string `json:"middleManagerLog4j2,omitempty"`

	// RouterRuntime is the content of runtime.properties (properties), mounted at /opt/druid/conf/druid/cluster/query/router.
	// Empty means the built-in default.
	// +optional
	RouterRuntime string `json:"routerRuntime,omitempty"`

	// RouterJvm is the content of jvm.config (text), mounted at /opt/druid/conf/druid/cluster/query/router.
	// Empty means the built-in default.
	// +optional
	RouterJvm string `json:"routerJvm,omitempty"`

	// RouterLog4j2 is the content of log4j2.xml (xml), mounted at /opt/druid/conf/druid/cluster/query/router.
	// Empty means the built-in default.
	// +optional
	RouterLog4j2 string `json:"routerLog4j2,omitempty"`
}

// DruidClusterConfig holds the configuration files shared by every node.
type DruidClusterConfig struct {
	// CommonRuntime is the content of common.runtime.properties (properties), mounted at /opt/druid/conf/druid/cluster/_common.
	// Empty means the built-in default.
	// +optional
	CommonRuntime string `json:"commonRuntime,omitempty"`
}

// DruidExternal holds the settings of the systems Apache Druid depends on.
type DruidExternal struct {
	// Zookeeper: ZooKeeper ensemble used for service discovery and coordination.
	// +required
	Zookeeper DruidZookeeper `json:"zookeeper"`

	// MetadataStore: SQL database holding segment, task and rule metadata.
	// +required
	MetadataStore DruidMetadataStore `json:"metadataStore"`

	// DeepStorage: Object storage holding published segments.
	// +required
	DeepStorage DruidDeepStorage `json:"deepStorage"`
}

// DruidZookeeper is the zookeeper dependency.
type DruidZookeeper struct {
	// +required
	Spec DruidZookeeperSpec `json:"spec"`
}

// DruidZookeeperSpec holds the settings of the zookeeper dependency.
type DruidZookeeperSpec struct {
	// ZkHosts: Comma-separated ZooKeeper host:port list.
	// Given to every node container as $druid_zk_service_host.
	// +required
	// +kubebuilder:validation:MinLength=1
	ZkHosts string `json:"zkHosts"`
}

// DruidMetadataStore is the metadataStore dependency.
type DruidMetadataStore struct {
	// +required
	Spec DruidMetadataStoreSpec `json:"spec"`
}

// DruidMetadataStoreSpec holds the settings of the metadataStore dependency.
type DruidMetadataStoreSpec struct {
	// StorageType: Metadata store type (postgresql, mysql or derby).
	// Given to every node container as $druid_metadata_storage_type.
	// +required
	// +kubebuilder:validation:MinLength=1
	StorageType string `json:"storageType"`

	// ConnectURI: JDBC connection URI.
	// Given to every node container as $druid_metadata_storage_connector_connectURI.
	// +required
	// +kubebuilder:validation:MinLength=1
	ConnectURI string `json:"connectURI"`

	// User of metadataStore.
	// Given to every node container as $druid_metadata_storage_connector_user.
	// +optional
	User string `json:"user,omitempty"`

	// Password of metadataStore.
	// A reference to a key of a Secret: the value itself never appears in the CR.
	// Given to every node container as $druid_metadata_storage_connector_password.
	// +optional
	Password *corev1.SecretKeySelector `json:"password,omitempty"`
}

// DruidDeepStorage is the deepStorage dependency.
type DruidDeepStorage struct {
	// +required
	Spec DruidDeepStorageSpec `json:"spec"`
}

// DruidDeepStorageSpec holds the settings of the deepStorage dependency.
type DruidDeepStorageSpec struct {
	// StorageType: Deep storage type (s3, google, azure, hdfs or local).
	// Given to every node container as $druid_storage_type.
	// +required
	// +kubebuilder:validation:MinLength=1
	StorageType string `json:"storageType"`

	// Bucket of deepStorage.
	// Given to every node container as $druid_storage_bucket.
	// +optional
	Bucket string `json:"bucket,omitempty"`

	// BaseKey: Key prefix of the segments in the bucket.
	// Given to every node container as $druid_storage_baseKey.
	// +optional
	BaseKey string `json:"baseKey,omitempty"`

	// AccessKey of deepStorage.
	// A reference to a key of a Secret: the value itself never appears in the CR.
	// Given to every node container as $druid_s3_accessKey.
	// +optional
	AccessKey *corev1.SecretKeySelector `json:"accessKey,omitempty"`

	// SecretKey of deepStorage.
	// A reference to a key of a Secret: the value itself never appears in the CR.
	// Given to every node container as $druid_s3_secretKey.
	// +optional
	SecretKey *corev1.SecretKeySelector `json:"secretKey,omitempty"`
}

// DruidNodeSetStatus is the observed state of one node set.
type DruidNodeSetStatus struct {
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
	// HealthGates are the results of the node type's health gates for its latest rollout.
	// +optional
	// +listType=map
	// +listMapKey=name
	HealthGates []DruidHealthGateStatus `json:"healthGates,omitempty"`
	// HealthGatesPassedFor is the revision and replica count every health gate last passed
	// for. Until it names the current ones the node set has not rolled out, and the node
	// types after it wait.
	// +optional
	HealthGatesPassedFor string `json:"healthGatesPassedFor,omitempty"`
	// Drain is the drain of the pod a scale-down removes next, while it is under way: the
	// pod goes only once the application says it is drained.
	// +optional
	Drain *DruidDrainStatus `json:"drain,omitempty"`
}

// DruidHealthGateStatus is the state of one health gate of a node set.
type DruidHealthGateStatus struct {
	Name string `json:"name"`
	// State is Passed, Failed (the last check failed) or Checking (passing, not yet as many
	// times in a row as the gate asks).
	State string `json:"state"`
	// Since is when the gate entered its state.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// Message says why the gate fails, or how far a Checking gate has got.
	// +optional
	Message string `json:"message,omitempty"`
}

// DruidClaimRetention is the PersistentVolumeClaim retention policy of a StatefulSet node.
// Claims are never deleted with the StatefulSet: the operator recreates StatefulSets to change
// immutable fields, and spec.deletePersistentVolumeClaims deletes those of removed nodes.
type DruidClaimRetention struct {
	// WhenScaled is Retain (the claims of pods a scale-down removes are kept, and a scale-up
	// reuses them) or Delete (they are deleted with their pods).
	// +required
	// +kubebuilder:validation:Enum=Retain;Delete
	WhenScaled string `json:"whenScaled"`
}

// DruidDrainStatus is the drain of one pod before a scale-down removes it.
type DruidDrainStatus struct {
	// Pod is the pod being drained.
	Pod string `json:"pod"`
	// State is Starting (the call that starts the drain has not been accepted yet) or
	// Draining (accepted; the check has not passed yet).
	State string `json:"state"`
	// Since is when the drain entered its state.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// Message says why the start failed, or what the last check answered.
	// +optional
	Message string `json:"message,omitempty"`
}

// DruidUpgradeStatus is the state of the latest upgrade.
type DruidUpgradeStatus struct {
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

// DruidStopStartStatus is the state of the latest stop (spec.stopped set) or start (unset
// again). Node types stop in reverse deploymentOrder and start in deploymentOrder.
type DruidStopStartStatus struct {
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

// DruidStatus is the observed state of a Apache Druid cluster.
type DruidStatus struct {
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
	NodeSets []DruidNodeSetStatus `json:"nodeSets,omitempty"`
	// Upgrade is the latest upgrade: any change of the spec after the first install, except
	// a stop or a start.
	// +optional
	Upgrade *DruidUpgradeStatus `json:"upgrade,omitempty"`
	// StopStart is the latest stop or start.
	// +optional
	StopStart *DruidStopStartStatus `json:"stopStart,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=druids
// +kubebuilder:printcolumn:name="Available",type=string,JSONPath=`.status.conditions[?(@.type=="Available")].status`
// +kubebuilder:printcolumn:name="Progressing",type=string,JSONPath=`.status.conditions[?(@.type=="Progressing")].status`
// +kubebuilder:printcolumn:name="Degraded",type=string,JSONPath=`.status.conditions[?(@.type=="Degraded")].status`
// +kubebuilder:printcolumn:name="Upgrade",type=string,JSONPath=`.status.upgrade.phase`
// +kubebuilder:printcolumn:name="Node Type",type=string,JSONPath=`.status.upgrade.currentNodeType`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Druid is a Apache Druid cluster.
type Druid struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec DruidSpec `json:"spec"`
	// +optional
	Status DruidStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DruidList is a list of Druid.
type DruidList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Druid `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Druid{}, &DruidList{})
}
