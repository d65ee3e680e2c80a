// Package model holds the application description that dsoi-gen reads: its types
// (the input contract), strict loading with line numbers, defaulting, validation
// and the JSON Schema that editors use for completion.
package model

import (
	corev1 "k8s.io/api/core/v1"
)

// APIVersion and Kind identify a description file.
const (
	APIVersion = "dsoi-gen/v1alpha1"
	Kind       = "Application"
)

// Application is one description: a distributed data system and the operator to generate for it.
// Field names are a contract shared with descriptions written by other people: never rename them.
type Application struct {
	// APIVersion must be dsoi-gen/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be Application.
	Kind string `json:"kind"`
	// Metadata names the application.
	Metadata Metadata `json:"metadata"`
	// Spec describes the system and the operator to generate.
	Spec Spec `json:"spec"`
}

// Metadata names the application.
type Metadata struct {
	// Name is a DNS-1123 label; it prefixes generated object names.
	Name string `json:"name"`
}

// Spec describes the system and the operator.
type Spec struct {
	// DisplayName is the human-readable name of the system, such as Apache Pinot.
	DisplayName string `json:"displayName,omitempty"`
	// Operator describes the generated Go project and its API.
	Operator Operator `json:"operator"`
	// NodeTypes are the kinds of processes of the system; at least one.
	NodeTypes []NodeType `json:"nodeTypes"`
	// Dependencies are outside systems the application needs, configured in the custom resource.
	Dependencies []Dependency `json:"dependencies,omitempty"`
	// ConfigFiles are the configuration files that node types mount.
	ConfigFiles []ConfigFile `json:"configFiles,omitempty"`
	// DeploymentOrder lists every node type once, in the order to deploy them.
	DeploymentOrder []string `json:"deploymentOrder"`
	// Rollout sets how node types are installed and upgraded.
	Rollout Rollout `json:"rollout,omitempty"`
	// Autoscaling also generates the <Kind>Autoscaling API.
	Autoscaling bool `json:"autoscaling,omitempty"`
}

// Operator describes the generated Go project and its API.
type Operator struct {
	// Repo is the Go module path of the generated operator.
	Repo string `json:"repo"`
	// Domain and Group form the API group: group.domain, or domain when group is empty.
	Domain string `json:"domain"`
	// Group is the first label of the API group; empty for the domain alone.
	Group string `json:"group,omitempty"`
	// Version is the CRD version, for example v1beta1.
	Version string `json:"version"`
	// PreviousVersions are earlier CRD versions that stay served, with the same schema, so that
	// resources and clients still using them keep working; Version is the one stored.
	// dsoi-gen upgrade adds the old version here when Version changes.
	PreviousVersions []string `json:"previousVersions,omitempty"`
	// Kind is the custom resource kind (UpperCamelCase).
	Kind string `json:"kind"`
	// Owner and License go into the license header of every generated source file.
	Owner string `json:"owner,omitempty"`
	// License is apache2 (the default) or none.
	License string `json:"license,omitempty"`
}

// Workload kinds a node type may run as.
const (
	StatefulSet = "StatefulSet"
	Deployment  = "Deployment"
)

// NodeType is one kind of process of the system (controller, broker, historical ...).
type NodeType struct {
	// Name is a DNS-1123 label or a lowerCamelCase identifier, such as broker or middleManager.
	Name string `json:"name"`
	// Workload is StatefulSet or Deployment.
	Workload string `json:"workload"`
	// Image is the container image, such as apache/druid:33.0.0.
	Image string `json:"image"`
	// Command replaces the image's entrypoint.
	Command []string `json:"command,omitempty"`
	// Args are the arguments of the container command.
	Args []string `json:"args,omitempty"`
	// Ports are the container ports; names are used by Services and probes.
	Ports []Port `json:"ports,omitempty"`
	// Service is the client Service; StatefulSets also get a headless Service.
	Service *Service `json:"service,omitempty"`
	// Probes are the readiness, liveness and startup probes of the container.
	Probes *Probes `json:"probes,omitempty"`
	// HealthGates are checks of the application's own state that must pass before a node set of
	// this type counts as rolled out (after an install, upgrade, config change or scale) and
	// before the next node type in deploymentOrder starts.
	HealthGates []HealthGate `json:"healthGates,omitempty"`
	// Storage is persistent storage, one volume per pod; only for StatefulSets.
	Storage []Volume `json:"storage,omitempty"`
	// ConfigFiles names entries of spec.configFiles mounted into this node type.
	ConfigFiles []string `json:"configFiles,omitempty"`
	// Env are environment variables of the container.
	Env []corev1.EnvVar `json:"env,omitempty"`
	// Resources are the default resource requests and limits of the container.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// Replicas is the replica count in the generated sample CR.
	Replicas *int32 `json:"replicas,omitempty"`
	// MinReplicas is the fewest replicas a node set of this type may run, such as a quorum of 3:
	// the CRD refuses fewer, and scale-downs (by hand or by the autoscaler) stop there. spec.stopped still stops it.
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// ClaimRetention says what happens to the claims of the pods a scale-down removes: kept by default. Only for StatefulSets; a resource's node can override it.
	ClaimRetention *ClaimRetention `json:"claimRetention,omitempty"`
	// Decommission is what must happen before a scale-down (by hand or by the autoscaler) removes a pod of this node type: a call that starts draining the pod, then a check that says when it is drained. Pods go one at a time, highest ordinal first, each removed only once drained. Only for StatefulSets.
	Decommission *Decommission `json:"decommission,omitempty"`
}

// ClaimRetention is the StatefulSet's PersistentVolumeClaim retention policy.
type ClaimRetention struct {
	// WhenScaled is Retain (the default: the claims of pods a scale-down removes are kept, and a scale-up reuses them) or Delete (they are deleted with their pods).
	WhenScaled string `json:"whenScaled,omitempty"`
	// WhenDeleted is Retain, the only value: the operator deletes and recreates StatefulSets to change immutable fields, and their claims must survive that. The claims of a node set removed from a resource are deleted by its spec.deletePersistentVolumeClaims.
	WhenDeleted string `json:"whenDeleted,omitempty"`
}

// Claim retention policies.
const (
	ClaimRetain = "Retain"
	ClaimDelete = "Delete"
)

// Decommission drains a pod before a scale-down removes it: both calls go to that pod.
type Decommission struct {
	// Description says what draining does and why, for the generated documentation.
	Description string `json:"description,omitempty"`
	// Port is the name of the node type's port both calls go to.
	Port string `json:"port"`
	// Start is the call that asks the pod to drain. It must be safe to repeat: an operator restarted between the call and recording it makes it again.
	Start *DrainStart `json:"start"`
	// Check is the GET that says when the pod is drained; it is repeated until it passes.
	Check *DrainCheck `json:"check"`
	// IntervalSeconds is the time between two checks (and between two tries of a failed start); 10 by default.
	IntervalSeconds int32 `json:"intervalSeconds,omitempty"`
	// TimeoutSeconds is how long one call may take; 5 by default.
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
}

// DrainStart is the HTTP call that starts draining a pod.
type DrainStart struct {
	// Method is POST (the default), PUT, PATCH, DELETE or GET.
	Method string `json:"method,omitempty"`
	// Path is the absolute HTTP path, with an optional query, such as /druid/worker/v1/disable.
	Path string `json:"path"`
	// Body is a JSON document sent with the call (Content-Type application/json); none by default.
	Body string `json:"body,omitempty"`
	// Status is the HTTP status of an accepted call; any 2xx when left out.
	Status int32 `json:"status,omitempty"`
}

// DrainCheck is the HTTP GET that says when a pod is drained.
type DrainCheck struct {
	// Path is the absolute HTTP path, with an optional query, such as /druid/worker/v1/tasks.
	Path string `json:"path"`
	// Status is the HTTP status of a drained answer; 200 by default.
	Status int32 `json:"status,omitempty"`
	// Condition is a CEL expression over the answer that is true once the pod is drained, with status, body and text as for a health gate; for example size(body) == 0.
	Condition string `json:"condition,omitempty"`
	// DrainedAnswer is what the endpoint answers once the pod is drained, such as []; required with a condition. dsoi-gen checks that the condition holds on it, and the generated tests answer with it.
	DrainedAnswer string `json:"drainedAnswer,omitempty"`
}

// Health gate targets.
const (
	GateTargetPod     = "pod"
	GateTargetService = "service"
)

// HealthGate is an HTTP GET whose answer says whether the application is healthy.
type HealthGate struct {
	// Name is a DNS-1123 label, unique within the node type, such as segments-loaded.
	Name string `json:"name"`
	// Description says what the gate checks and why, for the generated documentation.
	Description string `json:"description,omitempty"`
	// Target is pod (the default: every pod of the node set is asked, and all must pass) or service (one call to the node set's client Service).
	Target string `json:"target,omitempty"`
	// Port is the name of one of the node type's ports.
	Port string `json:"port"`
	// Path is the absolute HTTP path, with an optional query, such as /health?simple.
	Path string `json:"path"`
	// Status is the HTTP status a passing answer has; 200 by default.
	Status int32 `json:"status,omitempty"`
	// Condition is a CEL expression over the answer that must be true for the gate to pass: status (int), body (the answer parsed as JSON, null if it is not JSON) and text (the answer as a string); for example body.numSegmentsToLoad == 0.
	Condition string `json:"condition,omitempty"`
	// HealthyAnswer is what the endpoint answers when the application is healthy, such as {"cacheInitialized": true}; required with a condition. dsoi-gen checks that the gate passes on it (a misspelt field fails here, not in production), and the generated tests answer with it.
	HealthyAnswer string `json:"healthyAnswer,omitempty"`
	// IntervalSeconds is the time between two checks; 10 by default.
	IntervalSeconds int32 `json:"intervalSeconds,omitempty"`
	// TimeoutSeconds is how long one check may take; 5 by default.
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// SuccessThreshold is how many checks in a row must pass; 1 by default.
	SuccessThreshold int32 `json:"successThreshold,omitempty"`
}

// Port is a named container port.
type Port struct {
	// Name is a Kubernetes port name such as http (at most 15 characters).
	Name string `json:"name"`
	// Port is the port number, 1 to 65535.
	Port int32 `json:"port"`
	// Protocol is TCP (the default), UDP or SCTP.
	Protocol corev1.Protocol `json:"protocol,omitempty"`
}

// Service describes the client Service of a node type.
type Service struct {
	// Type is ClusterIP (the default), NodePort or LoadBalancer.
	Type corev1.ServiceType `json:"type,omitempty"`
}

// Probes are standard Kubernetes probes.
type Probes struct {
	// Readiness decides when a pod receives traffic.
	Readiness *corev1.Probe `json:"readiness,omitempty"`
	// Liveness decides when a container is restarted.
	Liveness *corev1.Probe `json:"liveness,omitempty"`
	// Startup holds the other probes back until the container has started.
	Startup *corev1.Probe `json:"startup,omitempty"`
}

// Volume is persistent storage of a node type: a claim per pod for a StatefulSet, one claim
// shared by all pods for a Deployment (use one replica or a ReadWriteMany storage class).
type Volume struct {
	// Name is a DNS-1123 label, unique within the node type.
	Name string `json:"name"`
	// MountPath is the absolute directory where the volume is mounted.
	MountPath string `json:"mountPath"`
	// Size is a Kubernetes quantity such as 1Gi.
	Size string `json:"size"`
	// StorageClassName selects the storage class; empty for the cluster default.
	StorageClassName string `json:"storageClassName,omitempty"`
}

// Dependency is an outside system the application needs (DSOI "external").
type Dependency struct {
	// Name is a DNS-1123 label or a lowerCamelCase identifier, such as zookeeper or metadataStore.
	Name string `json:"name"`
	// Description explains the dependency in the generated API documentation.
	Description string `json:"description,omitempty"`
	// Required makes the dependency mandatory in the custom resource.
	Required bool `json:"required,omitempty"`
	// Fields are the settings of the dependency; at least one.
	Fields []Field `json:"fields"`
}

// Field types of a dependency field.
const (
	FieldString    = "string"
	FieldInt       = "int"
	FieldBool      = "bool"
	FieldSecretRef = "secretRef"
)

// Field is one setting of a dependency.
type Field struct {
	// Name is a lowerCamelCase identifier such as zkAddress; it becomes a JSON field name.
	Name string `json:"name"`
	// Description explains the field in the generated API documentation.
	Description string `json:"description,omitempty"`
	// Type is string, int, bool or secretRef (a reference to a key of a Secret, never the secret itself).
	Type string `json:"type"`
	// Required makes the field mandatory when the dependency is set.
	Required bool `json:"required,omitempty"`
	// Example goes into the sample CR. For secretRef it is "secret-name/key".
	Example string `json:"example,omitempty"`
	// Env, when set, passes the value to every node container as this environment variable.
	Env string `json:"env,omitempty"`
}

// Config file formats and scopes.
const (
	FormatProperties = "properties"
	FormatYAML       = "yaml"
	FormatJSON       = "json"
	FormatXML        = "xml"
	FormatText       = "text"

	ScopeNode    = "node"
	ScopeCluster = "cluster"
)

// ConfigFile is one configuration file of the application.
type ConfigFile struct {
	// Name is a DNS-1123 label that node types use to list the file.
	Name string `json:"name"`
	// FileName is the plain file name, such as runtime.properties.
	FileName string `json:"fileName"`
	// MountPath is the absolute directory that holds the file.
	MountPath string `json:"mountPath"`
	// Format is properties, yaml, json, xml or text; by default it follows the file extension.
	Format string `json:"format,omitempty"`
	// Scope is node (one per app config group) or cluster (one shared by all nodes).
	Scope string `json:"scope,omitempty"`
	// Default is the content of the file when the custom resource does not override it.
	Default string `json:"default,omitempty"`
}

// Rollout strategies.
const (
	Parallel = "parallel"
	Ordered  = "ordered"
)

// Rollout sets how node types are installed and upgraded.
type Rollout struct {
	// Install is parallel (the default: all node types at once) or ordered (in deploymentOrder).
	Install string `json:"install,omitempty"`
	// Upgrade is ordered (the default: one node type after another, in deploymentOrder) or parallel.
	Upgrade string `json:"upgrade,omitempty"`
}
