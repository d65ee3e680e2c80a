package wizard

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

func TestParsePorts(t *testing.T) {
	ports, err := ParsePorts(" http:8080, admin:9090 ,dns:53/UDP")
	want := []model.Port{{Name: "http", Port: 8080}, {Name: "admin", Port: 9090}, {Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}}
	if err != nil || !reflect.DeepEqual(ports, want) {
		t.Fatalf("got %+v, %v", ports, err)
	}
	if got := FormatPorts(ports); got != "http:8080,admin:9090,dns:53/UDP" {
		t.Errorf("FormatPorts: %q", got)
	}
	if ports, err := ParsePorts(""); ports != nil || err != nil {
		t.Errorf("no ports: %v, %v", ports, err)
	}
	for in, want := range map[string]string{
		"http":       `"http": write a port as name:number, such as http:8080`,
		"http:x":     `"http:x": the port number "x" is not a number`,
		"http:70000": "port 70000 is out of range 1-65535",
		"dns:53/IP":  `invalid protocol "IP": must be TCP, UDP or SCTP`,
	} {
		if _, err := ParsePorts(in); err == nil || err.Error() != want {
			t.Errorf("ParsePorts(%q): got %v, want %s", in, err, want)
		}
	}
}

func TestParseStorage(t *testing.T) {
	vols, err := ParseStorage("data:/var/data:1Gi, logs:/var/log:500Mi:fast")
	want := []model.Volume{{Name: "data", MountPath: "/var/data", Size: "1Gi"}, {Name: "logs", MountPath: "/var/log", Size: "500Mi", StorageClassName: "fast"}}
	if err != nil || !reflect.DeepEqual(vols, want) {
		t.Fatalf("got %+v, %v", vols, err)
	}
	if got := FormatStorage(vols); got != "data:/var/data:1Gi,logs:/var/log:500Mi:fast" {
		t.Errorf("FormatStorage: %q", got)
	}
	for in, want := range map[string]string{
		"data:/var/data":      `"data:/var/data": write storage as name:mountPath:size, such as data:/var/data:1Gi`,
		"data:var/data:1Gi":   `mount path "var/data" must be absolute (start with /)`,
		"data:/var/data:lots": `invalid size "lots": must be a Kubernetes quantity such as 10Gi`,
	} {
		if _, err := ParseStorage(in); err == nil || err.Error() != want {
			t.Errorf("ParseStorage(%q): got %v, want %s", in, err, want)
		}
	}
}

func TestOrders(t *testing.T) {
	nodes := []string{"a", "b", "c"}
	if got, err := ParseOrder("c, a,b", nodes); err != nil || FormatOrder(got) != "c, a, b" {
		t.Errorf("ParseOrder: %v, %v", got, err)
	}
	if _, err := ParseOrder("a, b", nodes); err == nil || !strings.Contains(err.Error(), "missing node types: c") {
		t.Errorf("not a permutation: %v", err)
	}
	if _, err := ParseOrder("a, b, c, d", nodes); err == nil || !strings.Contains(err.Error(), `unknown node type "d"`) {
		t.Errorf("unknown: %v", err)
	}
	// Editing keeps the user's order, drops removed node types and appends new ones.
	if got := DefaultOrder([]string{"c", "gone", "a"}, nodes); !reflect.DeepEqual(got, []string{"c", "a", "b"}) {
		t.Errorf("DefaultOrder: %v", got)
	}
}

func TestDerivedDefaults(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{DefaultKind("my-db"), "MyDb"},
		{DefaultDisplayName("my-db"), "My Db"},
		{DefaultRepo("Acme", "demo"), "github.com/acme/demo-operator"},
		{DefaultRepo("", "demo"), "github.com/you/demo-operator"},
		{DefaultRepo("DOMAIN\\me", "demo"), "github.com/you/demo-operator"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if n, err := ParseReplicas("3"); n != 3 || err != nil {
		t.Errorf("replicas: %d, %v", n, err)
	}
	if _, err := ParseReplicas("-1"); err == nil || err.Error() != "must not be negative" {
		t.Errorf("negative replicas: %v", err)
	}
}

func TestEscapedLines(t *testing.T) {
	s := "a=1\nb=c\\d\n"
	if got := unescapeLines(escapeLines(s)); got != strings.TrimSuffix(s, "\n") {
		t.Errorf("round trip: %q", got)
	}
}

// The wizard's messages are the ones `dsoi-gen validate` prints for the same value.
func TestMessagesEqualLoad(t *testing.T) {
	doc := `apiVersion: dsoi-gen/v1alpha1
kind: Application
metadata: {name: demo}
spec:
  operator: {repo: github.com/acme/demo-operator, domain: example.com, version: v1, kind: Demo}
  nodeTypes:
    - name: a
      workload: StatefulSet
      image: x
      ports: [{name: Http_Port, port: 8080}]
      storage: [{name: data, mountPath: /data/, size: 1Gi}]
  deploymentOrder: [a]
`
	_, err := model.Load("demo.yaml", []byte(doc))
	var ps model.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load: %v", err)
	}
	byField := map[string]string{}
	for _, p := range ps {
		byField[p.Field] = p.Message
	}
	_, portErr := ParsePorts("Http_Port:8080")
	_, storageErr := ParseStorage("data:/data/:1Gi")
	for field, err := range map[string]error{
		"spec.nodeTypes[0].ports[0].name":        portErr,
		"spec.nodeTypes[0].storage[0].mountPath": storageErr,
	} {
		if err == nil || byField[field] == "" || err.Error() != byField[field] {
			t.Errorf("%s: wizard says %v, validate says %q", field, err, byField[field])
		}
	}
}

func TestParseMinReplicas(t *testing.T) {
	if m, err := ParseMinReplicas(" ", "3"); m != nil || err != nil {
		t.Errorf("no floor: %v, %v", m, err)
	}
	if m, err := ParseMinReplicas(" 2 ", "3"); err != nil || m == nil || *m != 2 {
		t.Errorf("2 of 3: %v, %v", m, err)
	}
	for in, want := range map[string]string{
		"two": `"two" is not a number`,
		"0":   "must be at least 1 (leave minReplicas out for no floor)",
		"4":   "minReplicas 4 is above replicas 3: the sample resource would run fewer replicas than the floor, which the CRD refuses; raise replicas or lower minReplicas",
	} {
		if m, err := ParseMinReplicas(in, "3"); m != nil || err == nil || err.Error() != want {
			t.Errorf("ParseMinReplicas(%q): got %v, %v; want %s", in, m, err, want)
		}
	}
}
