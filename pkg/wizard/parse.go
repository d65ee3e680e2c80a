package wizard

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// The wizard asks lists as one line each ("http:8080,admin:9090"); these functions turn
// such lines into model values and back, so that existing descriptions pre-fill them.

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// ParsePorts parses "http:8080,admin:9090"; a port may end in /UDP or /SCTP.
func ParsePorts(s string) ([]model.Port, error) {
	var ports []model.Port
	for _, item := range splitList(s) {
		name, rest, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("%q: write a port as name:number, such as http:8080", item)
		}
		name = strings.TrimSpace(name)
		if err := model.ValidatePortName(name); err != nil {
			return nil, err
		}
		number, protocol, _ := strings.Cut(strings.TrimSpace(rest), "/")
		n, err := strconv.Atoi(number)
		if err != nil {
			return nil, fmt.Errorf("%q: the port number %q is not a number", item, number)
		}
		if err := model.ValidatePort(n); err != nil {
			return nil, err
		}
		if protocol != "" { // TCP when left out, as in descriptions
			if err := model.ValidateProtocol(protocol); err != nil {
				return nil, err
			}
		}
		ports = append(ports, model.Port{Name: name, Port: int32(n), Protocol: corev1.Protocol(protocol)})
	}
	return ports, nil
}

// FormatPorts is the inverse of ParsePorts.
func FormatPorts(ports []model.Port) string {
	var items []string
	for _, p := range ports {
		item := fmt.Sprintf("%s:%d", p.Name, p.Port)
		if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
			item += "/" + string(p.Protocol)
		}
		items = append(items, item)
	}
	return strings.Join(items, ",")
}

// ParseStorage parses "data:/var/data:1Gi", several separated by commas; a fourth part
// is the storage class name.
func ParseStorage(s string) ([]model.Volume, error) {
	var vols []model.Volume
	for _, item := range splitList(s) {
		parts := strings.Split(item, ":")
		if len(parts) < 3 || len(parts) > 4 {
			return nil, fmt.Errorf("%q: write storage as name:mountPath:size, such as data:/var/data:1Gi", item)
		}
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		v := model.Volume{Name: parts[0], MountPath: parts[1], Size: parts[2]}
		if len(parts) == 4 {
			v.StorageClassName = parts[3]
		}
		for _, err := range []error{
			model.ValidateName(model.StorageName, v.Name),
			model.ValidateMountPath(v.MountPath),
			model.ValidateStorageSize(v.Size),
			model.ValidateStorageClassName(v.StorageClassName),
		} {
			if err != nil {
				return nil, err
			}
		}
		vols = append(vols, v)
	}
	return vols, nil
}

// FormatStorage is the inverse of ParseStorage.
func FormatStorage(vols []model.Volume) string {
	var items []string
	for _, v := range vols {
		item := v.Name + ":" + v.MountPath + ":" + v.Size
		if v.StorageClassName != "" {
			item += ":" + v.StorageClassName
		}
		items = append(items, item)
	}
	return strings.Join(items, ",")
}

// ParseOrder parses a deployment order "a, b, c" and checks that it lists every node type once.
func ParseOrder(s string, nodeTypes []string) ([]string, error) {
	order := splitList(s)
	if err := model.ValidateDeploymentOrder(order, nodeTypes); err != nil {
		return nil, err
	}
	return order, nil
}

// FormatOrder is the inverse of ParseOrder.
func FormatOrder(order []string) string { return strings.Join(order, ", ") }

// DefaultOrder keeps the names of order that are still node types, in their order, and
// appends the new node types: editing keeps the user's order.
func DefaultOrder(order, nodeTypes []string) []string {
	known := map[string]bool{}
	for _, n := range nodeTypes {
		known[n] = true
	}
	var out []string
	listed := map[string]bool{}
	for _, n := range order {
		if known[n] && !listed[n] {
			out = append(out, n)
			listed[n] = true
		}
	}
	for _, n := range nodeTypes {
		if !listed[n] {
			out = append(out, n)
			listed[n] = true
		}
	}
	return out
}

// ParseReplicas parses a replica count.
func ParseReplicas(s string) (int32, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return int32(n), model.ValidateReplicas(int32(n))
}

// ParseMinReplicas parses the floor of a node type's replicas, given its replicas; an empty
// answer is no floor.
func ParseMinReplicas(s, replicas string) (*int32, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	r, err := strconv.ParseInt(strings.TrimSpace(replicas), 10, 32)
	if err != nil {
		r = n // replicas are checked on their own
	}
	m := int32(n)
	if err := model.ValidateMinReplicas(m, int32(r)); err != nil {
		return nil, err
	}
	return &m, nil
}

// DefaultKind derives the custom resource kind from the application name: "my-db" is MyDb.
func DefaultKind(name string) string { return model.GoName(name) }

// DefaultDisplayName derives a display name: "my-db" is "My Db".
func DefaultDisplayName(name string) string {
	words := strings.Fields(strings.NewReplacer("-", " ", "_", " ", ".", " ").Replace(name))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

var userPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// DefaultRepo derives the module path github.com/<user>/<name>-operator; a user name
// that cannot be a path element becomes "you".
func DefaultRepo(user, name string) string {
	user = strings.ToLower(user)
	if !userPattern.MatchString(user) {
		user = "you"
	}
	return "github.com/" + user + "/" + name + "-operator"
}
