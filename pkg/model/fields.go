package model

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Per-field validators, for tools that check one value at a time (the wizard). Each runs the
// same check as Validate, on a minimal description holding the value, and returns the message
// Validate gives for that field, so both always agree.

// NameKind says which list a name belongs to; the lists accept different spellings.
type NameKind int

// The kinds of names of a description.
const (
	AppName        NameKind = iota // metadata.name: a DNS-1123 label
	NodeTypeName                   // a DNS-1123 label or lowerCamelCase
	DependencyName                 // a DNS-1123 label or lowerCamelCase
	FieldName                      // lowerCamelCase (a JSON field name)
	ConfigFileName                 // a DNS-1123 label
	StorageName                    // a DNS-1123 label
)

// ValidateName checks one name of the given kind.
func ValidateName(kind NameKind, value string) error {
	style := map[NameKind]nameStyle{
		AppName: dnsLabel, NodeTypeName: dnsOrCamel, DependencyName: dnsOrCamel,
		FieldName: camelOnly, ConfigFileName: dnsLabel, StorageName: dnsLabel,
	}[kind]
	var ps Problems
	checkName(&ps, "name", value, style)
	return problemsError(ps, "name")
}

// validOperator is an operator that passes validation, to check one field at a time.
func validOperator() Operator {
	return Operator{Repo: "example.com/x", Domain: "example.com", Version: "v1", Kind: "X", License: LicenseApache2}
}

func checkOperator(op Operator, field string) error {
	var ps Problems
	validateOperator(&ps, &op)
	return problemsError(ps, "spec.operator."+field)
}

// ValidateRepo checks the Go module path of the operator.
func ValidateRepo(value string) error {
	op := validOperator()
	op.Repo = value
	return checkOperator(op, "repo")
}

// ValidateDomain checks the API domain.
func ValidateDomain(value string) error {
	op := validOperator()
	op.Domain = value
	return checkOperator(op, "domain")
}

// ValidateGroup checks the API group, which may be empty; domain is the API domain.
func ValidateGroup(group, domain string) error {
	op := validOperator()
	op.Group, op.Domain = group, domain
	return checkOperator(op, "group")
}

// ValidateVersion checks the CRD version.
func ValidateVersion(value string) error {
	op := validOperator()
	op.Version = value
	return checkOperator(op, "version")
}

// ValidateKind checks the custom resource kind.
func ValidateKind(value string) error {
	op := validOperator()
	op.Kind = value
	return checkOperator(op, "kind")
}

// ValidateDisplayName checks the display name.
func ValidateDisplayName(value string) error {
	app := validApp()
	app.Spec.DisplayName = value
	return problemsError(Validate(app), "spec.displayName")
}

// validApp is a minimal valid description.
func validApp() *Application {
	app := &Application{APIVersion: APIVersion, Kind: Kind, Metadata: Metadata{Name: "x"}, Spec: Spec{
		Operator:        validOperator(),
		NodeTypes:       []NodeType{{Name: "x", Workload: StatefulSet, Image: "x"}},
		DeploymentOrder: []string{"x"},
	}}
	Default(app)
	return app
}

// checkNode validates a node type and returns the problem at its field (after spec.nodeTypes[0].).
func checkNode(nt NodeType, field string) error {
	spec := Spec{NodeTypes: []NodeType{nt}}
	var ps Problems
	validateNodeTypes(&ps, &spec)
	return problemsError(ps, "spec.nodeTypes[0]."+field)
}

// ValidateImage checks a container image.
func ValidateImage(value string) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: value}, "image")
}

// ValidatePortName checks a port name.
func ValidatePortName(value string) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x",
		Ports: []Port{{Name: value, Port: 80, Protocol: corev1.ProtocolTCP}}}, "ports[0].name")
}

// ValidatePort checks a port number.
func ValidatePort(value int) error {
	if value < math.MinInt32 || value > math.MaxInt32 {
		return fmt.Errorf("port %d is out of range 1-65535", value)
	}
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x",
		Ports: []Port{{Name: "p", Port: int32(value), Protocol: corev1.ProtocolTCP}}}, "ports[0].port")
}

// ValidateProtocol checks a port protocol.
func ValidateProtocol(value string) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x",
		Ports: []Port{{Name: "p", Port: 80, Protocol: corev1.Protocol(value)}}}, "ports[0].protocol")
}

// ValidateReplicas checks a replica count.
func ValidateReplicas(value int32) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x", Replicas: &value}, "replicas")
}

// ValidateMinReplicas checks the floor of a node type's replicas, given its replicas.
func ValidateMinReplicas(minReplicas, replicas int32) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x", Replicas: &replicas, MinReplicas: &minReplicas}, "minReplicas")
}

// checkGates validates a node type with health gates, on a port named p, and returns the
// problem at a field of the last gate.
func checkGates(gates []HealthGate, field string) error {
	for i := range gates {
		defaultHealthGate(&gates[i])
	}
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x",
		Ports:       []Port{{Name: "p", Port: 80, Protocol: corev1.ProtocolTCP}},
		Service:     &Service{Type: corev1.ServiceTypeClusterIP},
		HealthGates: gates}, fmt.Sprintf("healthGates[%d].%s", len(gates)-1, field))
}

func checkGate(g HealthGate, field string) error { return checkGates([]HealthGate{g}, field) }

// ValidateGateName checks the name of a health gate, given the names of the node type's
// other gates.
func ValidateGateName(value string, others []string) error {
	var gates []HealthGate
	for _, name := range others {
		gates = append(gates, HealthGate{Name: name, Port: "p", Path: "/"})
	}
	return checkGates(append(gates, HealthGate{Name: value, Port: "p", Path: "/"}), "name")
}

// ValidateGatePath checks the HTTP path of a health gate.
func ValidateGatePath(value string) error {
	return checkGate(HealthGate{Name: "g", Port: "p", Path: value}, "path")
}

// ValidateGateCondition checks the CEL condition of a health gate, which may be empty.
func ValidateGateCondition(value string) error {
	return checkGate(HealthGate{Name: "g", Port: "p", Path: "/", Condition: value}, "condition")
}

// ValidateGateAnswer checks a health gate's healthy answer: the gate must pass on it.
func ValidateGateAnswer(g HealthGate, answer string) error {
	g.Name, g.Port, g.Path, g.HealthyAnswer = "g", "p", "/", answer
	return checkGate(g, "healthyAnswer")
}

// ValidateDrainedAnswer checks a decommission check's drained answer: its condition must
// hold on it.
func ValidateDrainedAnswer(condition, answer string) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x",
		Ports: []Port{{Name: "p", Port: 80, Protocol: corev1.ProtocolTCP}},
		Decommission: &Decommission{Port: "p", Start: &DrainStart{Method: DefaultDrainMethod, Path: "/"},
			Check:           &DrainCheck{Path: "/", Status: DefaultGateStatus, Condition: condition, DrainedAnswer: answer},
			IntervalSeconds: DefaultGateIntervalSeconds, TimeoutSeconds: DefaultGateTimeoutSeconds}}, "decommission.check.drainedAnswer")
}

// ValidateNodeConfigFiles checks the config files a node type mounts, among those defined.
func ValidateNodeConfigFiles(mounted []string, defined []ConfigFile) error {
	spec := Spec{NodeTypes: []NodeType{{Name: "x", Workload: StatefulSet, Image: "x", ConfigFiles: mounted}}, ConfigFiles: defined}
	var ps Problems
	validateNodeTypes(&ps, &spec)
	var msgs []string
	for _, p := range ps {
		if strings.HasPrefix(p.Field, "spec.nodeTypes[0].configFiles") {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// ValidateStorageSize checks the size of a storage volume.
func ValidateStorageSize(value string) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x",
		Storage: []Volume{{Name: "v", MountPath: "/v", Size: value}}}, "storage[0].size")
}

// ValidateStorageClassName checks a storage class name, which may be empty.
func ValidateStorageClassName(value string) error {
	return checkNode(NodeType{Name: "x", Workload: StatefulSet, Image: "x",
		Storage: []Volume{{Name: "v", MountPath: "/v", Size: "1Gi", StorageClassName: value}}}, "storage[0].storageClassName")
}

// ValidateMountPath checks the mount path of a volume or config file.
func ValidateMountPath(value string) error {
	var ps Problems
	checkMountPath(&ps, "mountPath", value)
	return problemsError(ps, "mountPath")
}

// ValidateFileName checks the file name of a config file.
func ValidateFileName(value string) error {
	var ps Problems
	checkFileName(&ps, "fileName", value)
	return problemsError(ps, "fileName")
}

// ValidateDefault checks the default content of a config file of the given format.
func ValidateDefault(format, content string) error {
	var ps Problems
	checkText(&ps, reflect.ValueOf(content), "default")
	checkDefault(&ps, "default", format, content)
	return problemsError(ps, "default")
}

// ValidateEnvName checks the environment variable name of a dependency field, which may be empty.
func ValidateEnvName(value string) error {
	spec := Spec{Dependencies: []Dependency{{Name: "x", Fields: []Field{{Name: "x", Type: FieldString, Env: value}}}}}
	var ps Problems
	validateDependencies(&ps, &spec)
	return problemsError(ps, "spec.dependencies[0].fields[0].env")
}

// ValidateExample checks the example value of a dependency field of the given type.
func ValidateExample(fieldType, value string) error {
	var ps Problems
	checkExample(&ps, "example", Field{Type: fieldType, Example: value})
	return problemsError(ps, "example")
}

// ValidateDeploymentOrder checks that order lists every node type once.
func ValidateDeploymentOrder(order, nodeTypes []string) error {
	spec := Spec{DeploymentOrder: order}
	for _, name := range nodeTypes {
		spec.NodeTypes = append(spec.NodeTypes, NodeType{Name: name})
	}
	var ps Problems
	validateDeploymentOrder(&ps, &spec)
	var msgs []string
	for _, p := range ps {
		msgs = append(msgs, p.Message)
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// problemsError joins the messages of the problems at field, or returns nil.
func problemsError(ps Problems, field string) error {
	var msgs []string
	for _, p := range ps {
		if p.Field == field {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}
