// Package dsoi is the lifecycle library shared by operators generated with dsoi-gen.
//
// A generated controller turns its custom resource into a list of NodeSets (one per entry of
// spec.nodes) and hands them to this package, which builds the Kubernetes objects (ConfigMaps,
// Services, StatefulSets or Deployments, PodDisruptionBudgets), applies them without needless
// writes, and reports how far each node set has rolled out.
//
// dsoi-gen copies this package verbatim into every generated project; edit it in dsoi-gen.
package dsoi
