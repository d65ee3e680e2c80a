package e2e

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CR is a DSOI custom resource, read and edited without the project's Go types: the tests
// would otherwise need a copy of each operator's API package.
type CR struct{ *unstructured.Unstructured }

// Node is an entry of spec.nodes.
type Node struct {
	Name, Kind, NodeType, K8sConfig string
	// AppConfig names the app config group (spec.<app>Config) the node set uses, if any.
	AppConfig string
	Replicas  int64
}

// items returns the maps of the list at path, not copies: editing them edits the CR.
func (c CR) items(path ...string) []map[string]any {
	v, _, _ := unstructured.NestedFieldNoCopy(c.Object, path...)
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// find returns the entry of the list at path with that name, or nil.
func (c CR) find(name string, path ...string) map[string]any {
	for _, m := range c.items(path...) {
		if m["name"] == name {
			return m
		}
	}
	return nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// Nodes returns spec.nodes; appConfigField is the spec field of the app config groups.
func (c CR) Nodes(appConfigField string) []Node {
	var out []Node
	for _, m := range c.items("spec", "nodes") {
		n := Node{Name: str(m, "name"), Kind: str(m, "kind"), NodeType: str(m, "nodeType"),
			K8sConfig: str(m, "k8sConfig"), AppConfig: str(m, appConfigField), Replicas: 1}
		if r, ok := m["replicas"].(int64); ok {
			n.Replicas = r
		}
		out = append(out, n)
	}
	return out
}

// Order returns spec.deploymentOrder.
func (c CR) Order() []string {
	order, _, _ := unstructured.NestedStringSlice(c.Object, "spec", "deploymentOrder")
	return order
}

// K8sConfig returns the entry of spec.k8sConfig with that name (nil if none).
func (c CR) K8sConfig(name string) map[string]any { return c.find(name, "spec", "k8sConfig") }

// K8sConfigNames lists the names of spec.k8sConfig.
func (c CR) K8sConfigNames() []string {
	var out []string
	for _, m := range c.items("spec", "k8sConfig") {
		out = append(out, str(m, "name"))
	}
	return out
}

// Image returns the image of a k8sConfig entry.
func (c CR) Image(k8sConfig string) string { return str(c.K8sConfig(k8sConfig), "image") }

// SetImage sets the image of a k8sConfig entry.
func (c CR) SetImage(k8sConfig, image string) {
	if m := c.K8sConfig(k8sConfig); m != nil {
		m["image"] = image
	}
}

// ImageOf returns the image of a node set (that of its k8sConfig).
func (c CR) ImageOf(n Node) string { return c.Image(n.K8sConfig) }

// AppConfigGroup returns a group of spec.<app>Config by name (nil if none).
func (c CR) AppConfigGroup(field, name string) map[string]any { return c.find(name, "spec", field) }

// RemoveNode removes a node set from spec.nodes, and its node type from deploymentOrder
// when no other node set uses it.
func (c CR) RemoveNode(name, appConfigField string) {
	var keep []any
	var removed Node
	for _, n := range c.Nodes(appConfigField) {
		if n.Name == name {
			removed = n
		}
	}
	stillUsed := false
	for _, m := range c.items("spec", "nodes") {
		if m["name"] == name {
			continue
		}
		keep = append(keep, m)
		stillUsed = stillUsed || m["nodeType"] == removed.NodeType
	}
	_ = unstructured.SetNestedSlice(c.Object, keep, "spec", "nodes")
	if !stillUsed {
		var order []string
		for _, t := range c.Order() {
			if t != removed.NodeType {
				order = append(order, t)
			}
		}
		_ = unstructured.SetNestedStringSlice(c.Object, order, "spec", "deploymentOrder")
	}
}

// AddNode appends a copy of node set from to spec.nodes, with another name and kind.
func (c CR) AddNode(from, name, kind string) error {
	src := c.find(from, "spec", "nodes")
	if src == nil {
		return fmt.Errorf("no node set %q", from)
	}
	n := make(map[string]any, len(src))
	for k, v := range src {
		n[k] = v
	}
	n["name"], n["kind"] = name, kind
	nodes, _, _ := unstructured.NestedSlice(c.Object, "spec", "nodes")
	return unstructured.SetNestedSlice(c.Object, append(nodes, n), "spec", "nodes")
}

// Condition is a status condition.
type Condition struct {
	Status, Reason, Message string
	ObservedGeneration      int64
}

// Condition returns the status condition of that type (ok false when absent).
func (c CR) Condition(conditionType string) (Condition, bool) {
	for _, m := range c.items("status", "conditions") {
		if m["type"] == conditionType {
			g, _ := m["observedGeneration"].(int64)
			return Condition{Status: str(m, "status"), Reason: str(m, "reason"), Message: str(m, "message"), ObservedGeneration: g}, true
		}
	}
	return Condition{}, false
}

// ObservedGeneration is status.observedGeneration.
func (c CR) ObservedGeneration() int64 {
	g, _, _ := unstructured.NestedInt64(c.Object, "status", "observedGeneration")
	return g
}

// NodeSetStatus returns status.nodeSets by name.
func (c CR) NodeSetStatus() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, m := range c.items("status", "nodeSets") {
		out[str(m, "name")] = m
	}
	return out
}

// Upgrade is status.upgrade.
type Upgrade struct {
	Phase, StartedAt, FinishedAt, Duration, CurrentNodeType, Message string
	FromGeneration, ToGeneration                                     int64
}

// Upgrade returns status.upgrade (ok false when absent).
func (c CR) Upgrade() (Upgrade, bool) {
	m, ok, _ := unstructured.NestedMap(c.Object, "status", "upgrade")
	if !ok {
		return Upgrade{}, false
	}
	u := Upgrade{Phase: str(m, "phase"), StartedAt: str(m, "startedAt"), FinishedAt: str(m, "finishedAt"),
		Duration: str(m, "duration"), CurrentNodeType: str(m, "currentNodeType"), Message: str(m, "message")}
	u.FromGeneration, _ = m["fromGeneration"].(int64)
	u.ToGeneration, _ = m["toGeneration"].(int64)
	return u, true
}

// withTag returns image with its tag replaced ("repo/app:1.0" -> "repo/app:tag").
func withTag(image, tag string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image + ":" + tag
}

// tagOf returns the tag of an image ("latest" when it has none).
func tagOf(image string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return "latest"
}
