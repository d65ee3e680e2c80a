package model

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

type validateCase struct {
	name  string
	edits []edit
	want  []string // every problem, in order; nil means the description is valid
}

func runValidateCases(t *testing.T, tests []validateCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, err := Load("demo.yaml", []byte(apply(t, base, tc.edits)))
			checkProblems(t, app, err, tc.want)
			if tc.want == nil && app == nil {
				t.Errorf("valid description gave no Application")
			}
		})
	}
}

func TestValidateRequired(t *testing.T) {
	runValidateCases(t, []validateCase{
		{
			name:  "metadata.name",
			edits: []edit{{"metadata:\n  name: demo\n", "metadata: {}\n"}},
			want:  []string{"demo.yaml:3: metadata.name: is required"},
		},
		{
			name:  "operator fields",
			edits: []edit{{"    repo: github.com/acme/demo-operator\n    domain: example.com\n    version: v1alpha1\n    kind: Demo\n", "    owner: Acme\n"}},
			want: []string{
				"demo.yaml:6: spec.operator.domain: is required: a DNS domain such as example.com",
				"demo.yaml:6: spec.operator.kind: is required: the custom resource kind in UpperCamelCase, such as Pinot",
				"demo.yaml:6: spec.operator.repo: is required: the Go module path of the operator, such as github.com/acme/foo-operator",
				"demo.yaml:6: spec.operator.version: is required: a Kubernetes API version such as v1, v1alpha1 or v1beta2",
			},
		},
		{
			name:  "at least one node type",
			edits: []edit{{base[strings.Index(base, "  nodeTypes:\n"):strings.Index(base, "  dependencies:\n")], "  nodeTypes: []\n"}},
			want: []string{
				"demo.yaml:11: spec.nodeTypes: at least one node type is required",
				`demo.yaml:19: spec.configFiles[0].name: config file "broker-conf" is not listed by any node type, so it would never be mounted`,
				`demo.yaml:24: spec.deploymentOrder[0]: unknown node type "broker"`,
				`demo.yaml:24: spec.deploymentOrder[1]: unknown node type "server"`,
			},
		},
		{
			name:  "node type name, workload and image",
			edits: []edit{{"    - name: server\n      workload: Deployment\n      image: demo/demo:1.0\n      ports:", "    - ports:"}},
			want: []string{
				"demo.yaml:26: spec.nodeTypes[1].image: is required: a container image such as apache/druid:33.0.0",
				"demo.yaml:26: spec.nodeTypes[1].name: is required",
				"demo.yaml:26: spec.nodeTypes[1].workload: is required: StatefulSet or Deployment",
				`demo.yaml:41: spec.deploymentOrder[1]: unknown node type "server"`,
			},
		},
		{
			name:  "dependency name and fields",
			edits: []edit{{"    - name: zookeeper\n      fields:\n        - name: zkAddress\n          type: string\n          env: ZK_ADDRESS\n", "    - description: zk\n      fields: []\n"}},
			want: []string{
				"demo.yaml:33: spec.dependencies[0].name: is required",
				"demo.yaml:34: spec.dependencies[0].fields: at least one field is required",
			},
		},
		{
			name:  "dependency field name and type",
			edits: []edit{{"        - name: zkAddress\n          type: string\n", "        - description: address\n"}},
			want: []string{
				"demo.yaml:35: spec.dependencies[0].fields[0].name: is required",
				"demo.yaml:35: spec.dependencies[0].fields[0].type: is required: string, int, bool or secretRef",
			},
		},
		{
			name:  "config file name, fileName and mountPath",
			edits: []edit{{"    - name: broker-conf\n      fileName: broker.conf\n      mountPath: /var/demo/conf\n", "    - scope: node\n"}},
			want: []string{
				`demo.yaml:22: spec.nodeTypes[0].configFiles[0]: unknown config file "broker-conf"`,
				"demo.yaml:39: spec.configFiles[0].fileName: is required: a file name such as app.properties",
				"demo.yaml:39: spec.configFiles[0].mountPath: is required: an absolute path such as /data",
				"demo.yaml:39: spec.configFiles[0].name: is required",
			},
		},
		{
			name:  "deploymentOrder",
			edits: []edit{{"  deploymentOrder: [broker, server]\n", ""}},
			want:  []string{"demo.yaml:5: spec.deploymentOrder: is required: list every node type once, in the order to deploy them"},
		},
		{
			name:  "storage size",
			edits: []edit{{"          size: 1Gi\n", ""}},
			want:  []string{"demo.yaml:19: spec.nodeTypes[0].storage[0].size: is required: a Kubernetes quantity such as 10Gi"},
		},
		{
			name:  "port name and number",
			edits: []edit{{"        - name: http\n          port: 9090", "        - protocol: TCP"}},
			want: []string{
				"demo.yaml:30: spec.nodeTypes[1].ports[0].name: is required: a port name such as http",
				"demo.yaml:30: spec.nodeTypes[1].ports[0].port: is required: a port number from 1 to 65535",
			},
		},
		{
			name:  "env name",
			edits: []edit{{"        - name: JAVA_OPTS\n", "        - valueFrom: {fieldRef: {fieldPath: status.podIP}}\n"}},
			want:  []string{"demo.yaml:24: spec.nodeTypes[0].env[0].name: is required"},
		},
	})
}

func TestValidateNames(t *testing.T) {
	long := "a" + strings.Repeat("Bc", 31)
	runValidateCases(t, []validateCase{
		{
			name:  "metadata.name not a DNS label",
			edits: []edit{{"  name: demo", "  name: Demo_1"}},
			want:  []string{`demo.yaml:4: metadata.name: invalid name "Demo_1": must be ` + dnsLabelRule},
		},
		{
			name:  "node type name neither DNS label nor lowerCamelCase",
			edits: []edit{{"    - name: broker\n", "    - name: Broker\n"}, {"[broker, server]", "[Broker, server]"}},
			want:  []string{`demo.yaml:12: spec.nodeTypes[0].name: invalid name "Broker": must be ` + dnsLabelRule + " or a lowerCamelCase identifier such as middleManager"},
		},
		{
			name:  "lowerCamelCase node type and dependency names are accepted",
			edits: []edit{{"    - name: broker\n", "    - name: middleManager\n"}, {"[broker, server]", "[middleManager, server]"}, {"    - name: zookeeper", "    - name: zooKeeper"}},
		},
		{
			name:  "Go keyword",
			edits: []edit{{"    - name: broker\n", "    - name: func\n"}, {"[broker, server]", "[func, server]"}},
			want:  []string{`demo.yaml:12: spec.nodeTypes[0].name: invalid name "func": "func" is a Go keyword and cannot be a Go identifier`},
		},
		{
			name:  "Go keyword as config file name",
			edits: []edit{{"    - name: broker-conf", "    - name: range"}, {"[broker-conf]", "[range]"}},
			want:  []string{`demo.yaml:39: spec.configFiles[0].name: invalid name "range": "range" is a Go keyword and cannot be a Go identifier`},
		},
		{
			name:  "Go keyword as dependency field name",
			edits: []edit{{"        - name: zkAddress", "        - name: type"}},
			want:  []string{`demo.yaml:35: spec.dependencies[0].fields[0].name: invalid name "type": "type" is a Go keyword and cannot be a Go identifier`},
		},
		{
			name:  "leading digit",
			edits: []edit{{"    - name: broker\n", "    - name: 1broker\n"}, {"[broker, server]", "[1broker, server]"}},
			want:  []string{`demo.yaml:12: spec.nodeTypes[0].name: invalid name "1broker": must start with a letter (it becomes a Go identifier)`},
		},
		{
			name:  "dependency field name must be lowerCamelCase",
			edits: []edit{{"        - name: zkAddress", "        - name: zk-address"}},
			want:  []string{`demo.yaml:35: spec.dependencies[0].fields[0].name: invalid name "zk-address": must be a lowerCamelCase identifier such as zkAddress (it becomes a JSON field name), at most 63 characters`},
		},
		{
			name:  "dependency name with underscore",
			edits: []edit{{"    - name: zookeeper", "    - name: zoo_keeper"}},
			want:  []string{`demo.yaml:33: spec.dependencies[0].name: invalid name "zoo_keeper": must be ` + dnsLabelRule + " or a lowerCamelCase identifier such as middleManager"},
		},
		{
			name:  "config file names are DNS labels only",
			edits: []edit{{"    - name: broker-conf", "    - name: brokerConf"}, {"[broker-conf]", "[brokerConf]"}},
			want:  []string{`demo.yaml:39: spec.configFiles[0].name: invalid name "brokerConf": must be ` + dnsLabelRule},
		},
		{
			name:  "storage name",
			edits: []edit{{"        - name: data", "        - name: Data"}},
			want:  []string{`demo.yaml:19: spec.nodeTypes[0].storage[0].name: invalid name "Data": must be ` + dnsLabelRule},
		},
		{
			name:  "names that become the same Go name",
			edits: []edit{{"    - name: broker\n", "    - name: foo-bar\n"}, {"    - name: server", "    - name: fooBar"}, {"[broker, server]", "[foo-bar, fooBar]"}},
			want:  []string{`demo.yaml:26: spec.nodeTypes[1].name: node type "fooBar" clashes with "foo-bar": both become the Go name FooBar`},
		},
		{
			name:  "lowerCamelCase name too long as a Kubernetes name",
			edits: []edit{{"    - name: broker\n", "    - name: " + long + "\n"}, {"[broker, server]", "[" + long + ", server]"}},
			want:  []string{`demo.yaml:12: spec.nodeTypes[0].name: invalid name "` + long + `": its Kubernetes form "` + KubeName(long) + `" is longer than 63 characters`},
		},
	})
}

func TestValidateOperator(t *testing.T) {
	runValidateCases(t, []validateCase{
		{
			name:  "kind ending in List",
			edits: []edit{{"    kind: Demo", "    kind: DemoList"}},
			want:  []string{`demo.yaml:10: spec.operator.kind: invalid kind "DemoList": must not end in "List" (Kubernetes reserves <Kind>List for lists)`},
		},
		{
			name:  "kind with a dash",
			edits: []edit{{"    kind: Demo", "    kind: Demo-Cluster"}},
			want:  []string{`demo.yaml:10: spec.operator.kind: invalid kind "Demo-Cluster": must be UpperCamelCase (a capital letter, then letters and digits), at most 63 characters`},
		},
		{
			name:  "kind too long",
			edits: []edit{{"    kind: Demo", "    kind: D" + strings.Repeat("e", 63)}},
			want:  []string{`demo.yaml:10: spec.operator.kind: invalid kind "D` + strings.Repeat("e", 63) + `": must be UpperCamelCase (a capital letter, then letters and digits), at most 63 characters`},
		},
		{
			name:  "version",
			edits: []edit{{"    version: v1alpha1", "    version: v1Beta1"}},
			want:  []string{`demo.yaml:9: spec.operator.version: invalid version "v1Beta1": must look like v1, v1alpha1 or v1beta2`},
		},
		{
			name:  "version without v",
			edits: []edit{{"    version: v1alpha1", "    version: 1.0"}},
			want:  []string{`demo.yaml:9: spec.operator.version: invalid version "1.0": must look like v1, v1alpha1 or v1beta2`},
		},
		{
			name:  "previous versions",
			edits: []edit{{"    version: v1alpha1", "    version: v1alpha1\n    previousVersions: [v1alpha0, v1alpha1, v1alpha0, 2]"}},
			want: []string{
				`demo.yaml:10: spec.operator.previousVersions[1]: "v1alpha1" is the current version; previousVersions lists earlier ones only`,
				`demo.yaml:10: spec.operator.previousVersions[2]: duplicate version "v1alpha0"`,
				`demo.yaml:10: spec.operator.previousVersions[3]: invalid version "2": must look like v1, v1alpha1 or v1beta2`,
			},
		},
		{
			name:  "domain without a dot",
			edits: []edit{{"    domain: example.com", "    domain: example"}},
			want:  []string{`demo.yaml:8: spec.operator.domain: invalid domain "example": must be a lowercase DNS name with at least one dot, such as example.com`},
		},
		{
			name:  "domain in upper case",
			edits: []edit{{"    domain: example.com", "    domain: Example.com"}},
			want:  []string{`demo.yaml:8: spec.operator.domain: invalid domain "Example.com": must be a lowercase DNS name with at least one dot, such as example.com`},
		},
		{
			name:  "group",
			edits: []edit{{"    domain: example.com", "    domain: example.com\n    group: my_group"}},
			want:  []string{`demo.yaml:9: spec.operator.group: invalid group "my_group": must be empty or ` + dnsLabelRule},
		},
		{
			name:  "module path without a dot",
			edits: []edit{{"    repo: github.com/acme/demo-operator", "    repo: demo-operator"}},
			want:  []string{`demo.yaml:7: spec.operator.repo: invalid Go module path "demo-operator": missing dot in first path element`},
		},
		{
			name:  "module path with a space",
			edits: []edit{{"    repo: github.com/acme/demo-operator", "    repo: github.com/acme/demo operator"}},
			want:  []string{`demo.yaml:7: spec.operator.repo: invalid Go module path "github.com/acme/demo operator": invalid char ' '`},
		},
		{
			name:  "license",
			edits: []edit{{"    kind: Demo", "    kind: Demo\n    license: mit"}},
			want:  []string{`demo.yaml:11: spec.operator.license: invalid license "mit": must be apache2 or none`},
		},
		{
			name:  "license none",
			edits: []edit{{"    kind: Demo", "    kind: Demo\n    license: none"}},
		},
		{
			name:  "owner that would end the license comment",
			edits: []edit{{"    kind: Demo", "    kind: Demo\n    owner: \"Acme */ func\""}},
			want:  []string{`demo.yaml:11: spec.operator.owner: must not contain "*/": it goes into the /* */ license header of every source file, where nothing can escape it`},
		},
		{
			name:  "display name on two lines",
			edits: []edit{{"spec:\n", "spec:\n  displayName: \"Demo\\nSystem\"\n"}},
			want:  []string{`demo.yaml:6: spec.displayName: must be one line without control characters (found '\n'): it names the application in comments and docs`},
		},
	})
}

func TestValidateDuplicates(t *testing.T) {
	runValidateCases(t, []validateCase{
		{
			name:  "node type names",
			edits: []edit{{"    - name: server", "    - name: broker"}, {"[broker, server]", "[broker]"}},
			want:  []string{`demo.yaml:26: spec.nodeTypes[1].name: duplicate node type "broker"`},
		},
		{
			name:  "dependency names",
			edits: []edit{{"          env: ZK_ADDRESS\n", "          env: ZK_ADDRESS\n    - name: zookeeper\n      fields: [{name: hosts, type: string}]\n"}},
			want:  []string{`demo.yaml:38: spec.dependencies[1].name: duplicate dependency "zookeeper"`},
		},
		{
			name:  "field names within a dependency",
			edits: []edit{{"          env: ZK_ADDRESS\n", "          env: ZK_ADDRESS\n        - name: zkAddress\n          type: int\n"}},
			want:  []string{`demo.yaml:38: spec.dependencies[0].fields[1].name: duplicate field "zkAddress"`},
		},
		{
			name:  "the same field name in two dependencies is fine",
			edits: []edit{{"          env: ZK_ADDRESS\n", "          env: ZK_ADDRESS\n    - name: kafka\n      fields: [{name: zkAddress, type: string}]\n"}},
		},
		{
			name:  "config file names",
			edits: []edit{{"        port=8080\n", "        port=8080\n    - name: broker-conf\n      fileName: other.conf\n      mountPath: /var/demo/conf\n"}},
			want:  []string{`demo.yaml:44: spec.configFiles[1].name: duplicate config file "broker-conf"`},
		},
		{
			name:  "port names",
			edits: []edit{{"          port: 8080\n", "          port: 8080\n        - name: http\n          port: 8081\n"}},
			want:  []string{`demo.yaml:18: spec.nodeTypes[0].ports[1].name: duplicate port name "http"`},
		},
		{
			name:  "port numbers",
			edits: []edit{{"          port: 8080\n", "          port: 8080\n        - name: admin\n          port: 8080\n"}},
			want:  []string{`demo.yaml:19: spec.nodeTypes[0].ports[1].port: duplicate port 8080/TCP`},
		},
		{
			name:  "the same port number for TCP and UDP is fine",
			edits: []edit{{"          port: 8080\n", "          port: 8080\n        - name: admin\n          port: 8080\n          protocol: UDP\n"}},
		},
		{
			name:  "storage names",
			edits: []edit{{"          size: 1Gi\n", "          size: 1Gi\n        - name: data\n          mountPath: /var/demo/logs\n          size: 1Gi\n"}},
			want:  []string{`demo.yaml:22: spec.nodeTypes[0].storage[1].name: duplicate storage "data"`},
		},
		{
			name:  "storage mount paths",
			edits: []edit{{"          size: 1Gi\n", "          size: 1Gi\n        - name: logs\n          mountPath: /var/demo/data\n          size: 1Gi\n"}},
			want:  []string{`demo.yaml:23: spec.nodeTypes[0].storage[1].mountPath: storage "logs" has the same mount path as storage "data"`},
		},
		{
			name:  "env names within a node type",
			edits: []edit{{"          value: -Xmx1g\n", "          value: -Xmx1g\n        - name: JAVA_OPTS\n          value: -Xmx2g\n"}},
			want:  []string{`demo.yaml:26: spec.nodeTypes[0].env[1].name: duplicate env "JAVA_OPTS"`},
		},
		{
			name:  "dependency field env across dependencies",
			edits: []edit{{"          env: ZK_ADDRESS\n", "          env: ZK_ADDRESS\n    - name: kafka\n      fields: [{name: brokers, type: string, env: ZK_ADDRESS}]\n"}},
			want:  []string{`demo.yaml:39: spec.dependencies[1].fields[0].env: duplicate env "ZK_ADDRESS": also set by dependency field spec.dependencies[0].fields[0]`},
		},
		{
			name:  "dependency field env against node type env",
			edits: []edit{{"        - name: JAVA_OPTS", "        - name: ZK_ADDRESS"}},
			want:  []string{`demo.yaml:24: spec.nodeTypes[0].env[0].name: env "ZK_ADDRESS" is also set by dependency field spec.dependencies[0].fields[0]`},
		},
	})
}

func TestValidateNodeTypes(t *testing.T) {
	envErr := validation.IsEnvVarName("1BAD")[0]
	runValidateCases(t, []validateCase{
		{
			name:  "workload in the wrong case",
			edits: []edit{{"      workload: Deployment", "      workload: deployment"}},
			want:  []string{`demo.yaml:27: spec.nodeTypes[1].workload: invalid workload "deployment": must be StatefulSet or Deployment (did you mean "Deployment"?)`},
		},
		{
			name:  "unknown workload",
			edits: []edit{{"      workload: Deployment", "      workload: Job"}},
			want:  []string{`demo.yaml:27: spec.nodeTypes[1].workload: invalid workload "Job": must be StatefulSet or Deployment`},
		},
		{
			// A Deployment's storage is one claim per entry, shared by its pods.
			name:  "storage on a Deployment",
			edits: []edit{{"      workload: StatefulSet", "      workload: Deployment"}},
		},
		{
			// Several pods on one ReadWriteOnce claim cannot work.
			name:  "replicas of a Deployment with storage",
			edits: []edit{{"      workload: StatefulSet", "      workload: Deployment"}, {"      configFiles: [broker-conf]\n", "      configFiles: [broker-conf]\n      replicas: 2\n"}},
			want: []string{"demo.yaml:23: spec.nodeTypes[0].replicas: a Deployment's pods share one ReadWriteOnce claim per storage entry, which the pods of one node only can mount for writing: " +
				"use replicas 1, or workload StatefulSet (a claim per pod)"},
		},
		{
			name:  "one replica of a Deployment with storage",
			edits: []edit{{"      workload: StatefulSet", "      workload: Deployment"}, {"      configFiles: [broker-conf]\n", "      configFiles: [broker-conf]\n      replicas: 1\n"}},
		},
		{
			name:  "a node type named like another's headless Service",
			edits: []edit{{"    - name: server\n", "    - name: broker-headless\n"}, {"[broker, server]", "[broker, broker-headless]"}},
			want:  []string{`demo.yaml:26: spec.nodeTypes[1].name: the headless Service of node type "broker" and the Service of node type "broker-headless" would both be named Service <resource>-broker-headless in a resource: rename one`},
		},
		{
			name: "Deployment claims that share a name",
			edits: []edit{
				{"      workload: StatefulSet", "      workload: Deployment"},
				{"        - name: data\n", "        - name: cold-data\n"},
				{"    - name: server\n", "    - name: broker-cold\n"},
				{"          port: 9090\n", "          port: 9090\n      storage: [{name: data, mountPath: /data, size: 1Gi}]\n"},
				{"[broker, server]", "[broker, broker-cold]"},
			},
			want: []string{`demo.yaml:32: spec.nodeTypes[1].storage[0].name: storage "cold-data" of node type "broker" and storage "data" of node type "broker-cold" would both be named PersistentVolumeClaim <resource>-broker-cold-data in a resource: rename one`},
		},
		{
			name:  "image with a space",
			edits: []edit{{"      workload: Deployment\n      image: demo/demo:1.0", "      workload: Deployment\n      image: demo/demo 1.0"}},
			want:  []string{`demo.yaml:28: spec.nodeTypes[1].image: invalid image "demo/demo 1.0": must not contain spaces`},
		},
		{
			name:  "negative replicas",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      replicas: -1\n"}},
			want:  []string{"demo.yaml:32: spec.nodeTypes[1].replicas: must not be negative"},
		},
		{
			name:  "port out of range",
			edits: []edit{{"          port: 9090", "          port: -1"}},
			want:  []string{"demo.yaml:31: spec.nodeTypes[1].ports[0].port: port -1 is out of range 1-65535"},
		},
		{
			name:  "invalid port name",
			edits: []edit{{"        - name: http\n          port: 9090", "        - name: HTTP_1\n          port: 9090"}},
			want:  []string{`demo.yaml:30: spec.nodeTypes[1].ports[0].name: invalid port name "HTTP_1": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z)`},
		},
		{
			name:  "port name too long",
			edits: []edit{{"        - name: http\n          port: 9090", "        - name: administration-port\n          port: 9090"}},
			want:  []string{`demo.yaml:30: spec.nodeTypes[1].ports[0].name: invalid port name "administration-port": must be no more than 15 characters`},
		},
		{
			name:  "protocol",
			edits: []edit{{"          port: 9090", "          port: 9090\n          protocol: tcp"}},
			want:  []string{`demo.yaml:32: spec.nodeTypes[1].ports[0].protocol: invalid protocol "tcp": must be TCP, UDP or SCTP (did you mean "TCP"?)`},
		},
		{
			name:  "service type",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      service: {type: External}\n"}},
			want:  []string{`demo.yaml:32: spec.nodeTypes[1].service.type: invalid service type "External": must be ClusterIP, NodePort or LoadBalancer`},
		},
		{
			name:  "service without ports",
			edits: []edit{{"      ports:\n        - name: http\n          port: 9090\n", "      service: {type: NodePort}\n"}},
			want:  []string{"demo.yaml:29: spec.nodeTypes[1].service: a service needs at least one port: add ports or remove the service"},
		},
		{
			name:  "probe without a handler",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      probes: {readiness: {periodSeconds: 5}}\n"}},
			want:  []string{"demo.yaml:32: spec.nodeTypes[1].probes.readiness: a probe needs exactly one of exec, httpGet, tcpSocket or grpc (found 0)"},
		},
		{
			name:  "probe with two handlers",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      probes:\n        liveness: {httpGet: {path: /, port: 9090}, tcpSocket: {port: 9090}}\n"}},
			want:  []string{"demo.yaml:33: spec.nodeTypes[1].probes.liveness: a probe needs exactly one of exec, httpGet, tcpSocket or grpc (found 2)"},
		},
		{
			name:  "probe on an unknown port name",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      probes:\n        startup: {httpGet: {path: /, port: admin}}\n"}},
			want:  []string{`demo.yaml:33: spec.nodeTypes[1].probes.startup.httpGet.port: unknown port name "admin" (the node type's ports: http)`},
		},
		{
			name:  "probe port out of range",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      probes:\n        liveness: {tcpSocket: {port: 0}}\n"}},
			want:  []string{"demo.yaml:33: spec.nodeTypes[1].probes.liveness.tcpSocket.port: port 0 is out of range 1-65535"},
		},
		{
			name:  "probes on a named port and on a number are fine",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      probes:\n        liveness: {tcpSocket: {port: http}}\n        readiness: {httpGet: {path: /ready, port: 9090}}\n"}},
		},
		{
			name:  "relative storage mount path",
			edits: []edit{{"          mountPath: /var/demo/data", "          mountPath: data"}},
			want:  []string{`demo.yaml:20: spec.nodeTypes[0].storage[0].mountPath: mount path "data" must be absolute (start with /)`},
		},
		{
			name:  "unclean storage mount path",
			edits: []edit{{"          mountPath: /var/demo/data", "          mountPath: /var/demo/../data/"}},
			want:  []string{`demo.yaml:20: spec.nodeTypes[0].storage[0].mountPath: mount path "/var/demo/../data/" is not clean: write "/var/data"`},
		},
		{
			name:  "storage at /",
			edits: []edit{{"          mountPath: /var/demo/data", "          mountPath: /"}},
			want:  []string{"demo.yaml:20: spec.nodeTypes[0].storage[0].mountPath: mount path must not be /"},
		},
		{
			name:  "storage size not a quantity",
			edits: []edit{{"          size: 1Gi", "          size: lots"}},
			want:  []string{`demo.yaml:21: spec.nodeTypes[0].storage[0].size: invalid size "lots": must be a Kubernetes quantity such as 10Gi`},
		},
		{
			name:  "storage size zero",
			edits: []edit{{"          size: 1Gi", "          size: 0Gi"}},
			want:  []string{`demo.yaml:21: spec.nodeTypes[0].storage[0].size: size "0Gi" must be greater than 0`},
		},
		{
			name:  "storage size negative",
			edits: []edit{{"          size: 1Gi", "          size: -1Gi"}},
			want:  []string{`demo.yaml:21: spec.nodeTypes[0].storage[0].size: size "-1Gi" must be greater than 0`},
		},
		{
			name:  "storage class name",
			edits: []edit{{"          size: 1Gi", "          size: 1Gi\n          storageClassName: Fast_SSD"}},
			want:  []string{`demo.yaml:22: spec.nodeTypes[0].storage[0].storageClassName: invalid storage class name "Fast_SSD": must be a lowercase DNS-1123 subdomain`},
		},
		{
			name:  "env name",
			edits: []edit{{"        - name: JAVA_OPTS", "        - name: 1BAD"}},
			want:  []string{`demo.yaml:24: spec.nodeTypes[0].env[0].name: invalid env name "1BAD": ` + envErr},
		},
	})
}

func TestValidateDependencies(t *testing.T) {
	envErr := validation.IsEnvVarName("zk address")[0]
	runValidateCases(t, []validateCase{
		{
			name:  "field type",
			edits: []edit{{"          type: string", "          type: float"}},
			want:  []string{`demo.yaml:36: spec.dependencies[0].fields[0].type: invalid field type "float": must be string, int, bool or secretRef`},
		},
		{
			name:  "field type in the wrong case",
			edits: []edit{{"          type: string", "          type: secretref"}},
			want:  []string{`demo.yaml:36: spec.dependencies[0].fields[0].type: invalid field type "secretref": must be string, int, bool or secretRef (did you mean "secretRef"?)`},
		},
		{
			name:  "secretRef example without a key",
			edits: []edit{{"          type: string", "          type: secretRef\n          example: zk-credentials"}},
			want:  []string{`demo.yaml:37: spec.dependencies[0].fields[0].example: invalid example "zk-credentials": a secretRef example must look like secret-name/key`},
		},
		{
			name:  "secretRef example with two slashes",
			edits: []edit{{"          type: string", "          type: secretRef\n          example: a/b/c"}},
			want:  []string{`demo.yaml:37: spec.dependencies[0].fields[0].example: invalid example "a/b/c": a secretRef example must look like secret-name/key`},
		},
		{
			name:  "secretRef example",
			edits: []edit{{"          type: string", "          type: secretRef\n          example: zk-credentials/password"}},
		},
		{
			name:  "int example",
			edits: []edit{{"          type: string", "          type: int\n          example: two"}},
			want:  []string{`demo.yaml:37: spec.dependencies[0].fields[0].example: invalid example "two": must be an integer`},
		},
		{
			name:  "int example written as a YAML number",
			edits: []edit{{"          type: string", "          type: int\n          example: 2181"}},
		},
		{
			name:  "bool example",
			edits: []edit{{"          type: string", "          type: bool\n          example: yes"}},
			want:  []string{`demo.yaml:37: spec.dependencies[0].fields[0].example: invalid example "yes": must be true or false`},
		},
		{
			name:  "bool example written as a YAML boolean",
			edits: []edit{{"          type: string", "          type: bool\n          example: true"}},
		},
		{
			name:  "field env name",
			edits: []edit{{"          env: ZK_ADDRESS", "          env: zk address"}},
			want:  []string{`demo.yaml:37: spec.dependencies[0].fields[0].env: invalid env name "zk address": ` + envErr},
		},
	})
}

func TestValidateConfigFiles(t *testing.T) {
	cmKeyErr := validation.IsConfigMapKey("broker conf")[0]
	runValidateCases(t, []validateCase{
		{
			name:  "fileName with a slash",
			edits: []edit{{"      fileName: broker.conf", "      fileName: conf/broker.conf"}},
			want:  []string{`demo.yaml:40: spec.configFiles[0].fileName: invalid file name "conf/broker.conf": must not contain a path separator (set the directory in mountPath)`},
		},
		{
			name:  "fileName with a backslash",
			edits: []edit{{"      fileName: broker.conf", `      fileName: conf\broker.conf`}},
			want:  []string{`demo.yaml:40: spec.configFiles[0].fileName: invalid file name "conf\\broker.conf": must not contain a path separator (set the directory in mountPath)`},
		},
		{
			name:  "fileName ..",
			edits: []edit{{"      fileName: broker.conf", `      fileName: ".."`}},
			want:  []string{`demo.yaml:40: spec.configFiles[0].fileName: invalid file name ".."`},
		},
		{
			name:  "fileName .",
			edits: []edit{{"      fileName: broker.conf", `      fileName: "."`}},
			want:  []string{`demo.yaml:40: spec.configFiles[0].fileName: invalid file name "."`},
		},
		{
			name:  "fileName containing ..",
			edits: []edit{{"      fileName: broker.conf", "      fileName: broker..conf"}},
			want:  []string{`demo.yaml:40: spec.configFiles[0].fileName: invalid file name "broker..conf": must not contain ".."`},
		},
		{
			name:  "fileName with a space",
			edits: []edit{{"      fileName: broker.conf", "      fileName: broker conf"}},
			want:  []string{`demo.yaml:40: spec.configFiles[0].fileName: invalid file name "broker conf": ` + cmKeyErr},
		},
		{
			name:  "relative mountPath",
			edits: []edit{{"      mountPath: /var/demo/conf", "      mountPath: var/demo/conf"}},
			want:  []string{`demo.yaml:41: spec.configFiles[0].mountPath: mount path "var/demo/conf" must be absolute (start with /)`},
		},
		{
			name:  "unclean mountPath",
			edits: []edit{{"      mountPath: /var/demo/conf", "      mountPath: /var//demo/conf"}},
			want:  []string{`demo.yaml:41: spec.configFiles[0].mountPath: mount path "/var//demo/conf" is not clean: write "/var/demo/conf"`},
		},
		{
			name:  "format",
			edits: []edit{{"      mountPath: /var/demo/conf", "      mountPath: /var/demo/conf\n      format: ini"}},
			want:  []string{`demo.yaml:42: spec.configFiles[0].format: invalid format "ini": must be properties, yaml, json, xml or text`},
		},
		{
			name:  "scope",
			edits: []edit{{"      mountPath: /var/demo/conf", "      mountPath: /var/demo/conf\n      scope: global"}},
			want:  []string{`demo.yaml:42: spec.configFiles[0].scope: invalid scope "global": must be node or cluster`},
		},
		{
			name:  "YAML default that does not parse",
			edits: []edit{{"      fileName: broker.conf", "      fileName: broker.yaml"}, {"        port=8080\n", "        port: 8080\n        hosts: [a, b\n"}},
			want:  []string{`demo.yaml:42: spec.configFiles[0].default: default is not valid YAML: line 2 of the default: did not find expected ',' or ']'`},
		},
		{
			name:  "JSON default that does not parse",
			edits: []edit{{"      fileName: broker.conf", "      fileName: broker.json"}, {"        port=8080\n", "        {\"port\": 8080\n"}},
			want:  []string{`demo.yaml:42: spec.configFiles[0].default: default is not valid JSON: unexpected end of JSON input`},
		},
		{
			name:  "XML default that is not well-formed",
			edits: []edit{{"      fileName: broker.conf", "      fileName: broker.xml"}, {"        port=8080\n", "        <config><port>8080</config>\n"}},
			want:  []string{`demo.yaml:42: spec.configFiles[0].default: default is not well-formed XML: XML syntax error on line 1: element <port> closed by </config>`},
		},
		{
			name: "valid YAML, JSON and XML defaults",
			edits: []edit{
				{"configFiles: [broker-conf]", "configFiles: [broker-conf, a-yaml, a-json, a-xml]"},
				{"        port=8080\n", "        port=8080\n" +
					"    - {name: a-yaml, fileName: a.yml, mountPath: /etc/demo, default: \"port: 8080\\n\"}\n" +
					"    - {name: a-json, fileName: a.json, mountPath: /etc/demo, default: '{\"port\": 8080}'}\n" +
					"    - {name: a-xml, fileName: a.xml, mountPath: /etc/demo, default: '<port>8080</port>'}\n"},
			},
		},
		{
			name:  "unused config file",
			edits: []edit{{"        port=8080\n", "        port=8080\n    - name: extra-conf\n      fileName: extra.conf\n      mountPath: /var/demo/conf\n"}},
			want:  []string{`demo.yaml:44: spec.configFiles[1].name: config file "extra-conf" is not listed by any node type, so it would never be mounted`},
		},
		{
			name:  "node type lists an unknown config file",
			edits: []edit{{"configFiles: [broker-conf]", "configFiles: [broker-cnf]"}},
			want: []string{
				`demo.yaml:22: spec.nodeTypes[0].configFiles[0]: unknown config file "broker-cnf" (did you mean "broker-conf"?)`,
				`demo.yaml:39: spec.configFiles[0].name: config file "broker-conf" is not listed by any node type, so it would never be mounted`,
			},
		},
		{
			name:  "node type lists a config file twice",
			edits: []edit{{"configFiles: [broker-conf]", "configFiles: [broker-conf, broker-conf]"}},
			want:  []string{`demo.yaml:22: spec.nodeTypes[0].configFiles[1]: config file "broker-conf" is listed twice`},
		},
		{
			name: "two config files at the same mountPath and fileName",
			edits: []edit{
				{"configFiles: [broker-conf]", "configFiles: [broker-conf, other-conf]"},
				{"        port=8080\n", "        port=8080\n    - name: other-conf\n      fileName: broker.conf\n      mountPath: /var/demo/conf\n"},
			},
			want: []string{`demo.yaml:22: spec.nodeTypes[0].configFiles[1]: config files "broker-conf" and "other-conf" would both be mounted at /var/demo/conf/broker.conf`},
		},
		{
			name: "the same place in two node types is fine",
			edits: []edit{
				{"          port: 9090\n", "          port: 9090\n      configFiles: [other-conf]\n"},
				{"        port=8080\n", "        port=8080\n    - name: other-conf\n      fileName: broker.conf\n      mountPath: /var/demo/conf\n"},
			},
		},
		{
			name:  "config file at a storage mount path",
			edits: []edit{{"      mountPath: /var/demo/conf", "      mountPath: /var/demo/data"}},
			want:  []string{`demo.yaml:22: spec.nodeTypes[0].configFiles[0]: config file "broker-conf" is mounted in /var/demo/data, the mount path of storage "data": use another directory`},
		},
		{
			name:  "config file inside a storage mount path is fine",
			edits: []edit{{"      mountPath: /var/demo/conf", "      mountPath: /var/demo/data/conf"}},
		},
		{
			name:  "config file in a directory containing a storage mount path is fine",
			edits: []edit{{"      mountPath: /var/demo/conf", "      mountPath: /var/demo"}},
		},
		{
			name: "several config files in one directory, Druid style",
			edits: []edit{
				{"configFiles: [broker-conf]", "configFiles: [broker-conf, broker-jvm, broker-log4j2]"},
				{"        port=8080\n", "        port=8080\n" +
					"    - {name: broker-jvm, fileName: jvm.config, mountPath: /var/demo/conf, default: \"-Xmx1g\\n\"}\n" +
					"    - {name: broker-log4j2, fileName: log4j2.xml, mountPath: /var/demo/conf, default: '<Configuration status=\"WARN\"/>'}\n"},
			},
		},
		{
			name:  "no config files at all",
			edits: []edit{{"      configFiles: [broker-conf]\n", ""}, {base[strings.Index(base, "  configFiles:\n"):strings.Index(base, "  deploymentOrder:")], "  configFiles: []\n"}},
		},
	})
}

func TestValidateDeploymentOrderAndRollout(t *testing.T) {
	runValidateCases(t, []validateCase{
		{
			name:  "unknown node type",
			edits: []edit{{"[broker, server]", "[broker, server, brokr]"}},
			want:  []string{`demo.yaml:44: spec.deploymentOrder[2]: unknown node type "brokr" (did you mean "broker"?)`},
		},
		{
			name:  "node type listed twice",
			edits: []edit{{"[broker, server]", "[broker, server, broker]"}},
			want:  []string{`demo.yaml:44: spec.deploymentOrder[2]: node type "broker" is listed twice`},
		},
		{
			name:  "missing node types",
			edits: []edit{{"[broker, server]", "[server]"}, {"          port: 9090\n", "          port: 9090\n    - {name: router, workload: Deployment, image: demo/demo:1.0}\n"}},
			want:  []string{"demo.yaml:45: spec.deploymentOrder: missing node types: broker, router (list every node type once)"},
		},
		{
			name:  "another order is fine",
			edits: []edit{{"[broker, server]", "[server, broker]"}},
		},
		{
			name:  "rollout install",
			edits: []edit{{"[broker, server]\n", "[broker, server]\n  rollout: {install: fast}\n"}},
			want:  []string{`demo.yaml:45: spec.rollout.install: invalid rollout "fast": must be parallel or ordered`},
		},
		{
			name:  "rollout upgrade in the wrong case",
			edits: []edit{{"[broker, server]\n", "[broker, server]\n  rollout: {upgrade: Parallel}\n"}},
			want:  []string{`demo.yaml:45: spec.rollout.upgrade: invalid rollout "Parallel": must be parallel or ordered (did you mean "parallel"?)`},
		},
	})
}

// TestValidateText: any text is taken literally, template syntax included; only what can
// never be carried where the text lands is refused.
func TestValidateText(t *testing.T) {
	runValidateCases(t, []validateCase{
		{
			name: "template syntax, quotes, backquotes and shell in an image, args, an env value, a config default and the display name",
			edits: []edit{
				{"      workload: Deployment\n      image: demo/demo:1.0", "      workload: Deployment\n      image: demo/demo:{{.Tag}}`x`$(y)"},
				{"      configFiles: [broker-conf]", "      args: [start, \"--format={{ .Args }}\", '*/ \"q\" `b` $$ $(x)']\n      configFiles: [broker-conf]"},
				{"          value: -Xmx1g", "          value: \"-Xmx{{.Heap}}\\n\\tnext line\""},
				{"        port=8080\n", "        port=8080\n        host={{ .Host }}\n"},
				{"spec:\n", "spec:\n  displayName: \"Demo }} */ `x` \\t \\\\ 数据\"\n"},
			},
		},
		{
			name:  "a probe port name is still checked against the ports",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      probes: {liveness: {tcpSocket: {port: \"{{p}}\"}}}\n"}},
			want:  []string{`demo.yaml:32: spec.nodeTypes[1].probes.liveness.tcpSocket.port: unknown port name "{{p}}" (the node type's ports: http)`},
		},
		{
			name:  "a line break in an image or a mount path",
			edits: []edit{{"image: demo/demo:1.0\n      ports:\n        - name: http\n          port: 9090", "image: \"demo/demo:1.0\\u2028x\"\n      ports:\n        - name: http\n          port: 9090"}, {"mountPath: /var/demo/conf", "mountPath: \"/var/demo/conf\\x85x\""}},
			want: []string{
				`demo.yaml:28: spec.nodeTypes[1].image: must be one line without control characters (found '\u2028'): an image reference is one word`,
				`demo.yaml:41: spec.configFiles[0].mountPath: must be one line without control characters (found '\u0085'): a mount path is one line`,
			},
		},
		{
			name: "description lines controller-gen would take for a marker, cut, or drop",
			edits: []edit{
				{"    - name: zookeeper\n", "    - name: zookeeper\n      description: \"Ensemble.\\n+kubebuilder:validation:Optional\"\n"},
				{"          type: string\n", "          type: string\n          description: \"Address.\\n---\\nsecret\"\n"},
			},
			want: []string{
				`demo.yaml:34: spec.dependencies[0].description: line 2 starts with "+": controller-gen would read it as a marker of the generated API; start it with another character`,
				`demo.yaml:38: spec.dependencies[0].fields[0].description: line 2 starts with "---": controller-gen ends the CRD's description there, by the Kubernetes API conventions; indent the line or reword it`,
			},
		},
		{
			name:  "a TODO line and a control character in descriptions",
			edits: []edit{{"    - name: zookeeper\n", "    - name: zookeeper\n      description: \"Ensemble.\\nTODO later\"\n"}, {"          type: string\n", "          type: string\n          description: \"Addr\\ress\"\n"}},
			want: []string{
				`demo.yaml:34: spec.dependencies[0].description: line 2 starts with "TODO": controller-gen leaves it out of the CRD's description, by the Kubernetes API conventions; indent the line or reword it`,
				`demo.yaml:38: spec.dependencies[0].fields[0].description: line 1 holds '\r': a description may hold no control character but newlines and tabs`,
			},
		},
		{
			name:  "indented, a marker, a cut and a TODO are fine",
			edits: []edit{{"    - name: zookeeper\n", "    - name: zookeeper\n      description: \"Ensemble, +1.\\n  ---\\n  TODO\\n\\tmore\"\n"}},
		},
		{
			name:  "single braces are fine",
			edits: []edit{{"        port=8080\n", "        pattern=%d{ISO8601} [{\"a\":1}]\n"}},
		},
	})
}

func TestValidateStandalone(t *testing.T) {
	if ps := Validate(nil); len(ps) != 1 || ps[0].Message != "no description" {
		t.Errorf("Validate(nil) = %v", ps)
	}
	app, err := Load("demo.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if ps := Validate(app); len(ps) != 0 {
		t.Errorf("Validate of a loaded description: %v", ps)
	}
	// Built in Go, without a file: problems carry field paths only.
	app.Spec.NodeTypes[1].Name = "broker"
	app.Spec.NodeTypes[0].Ports[0].Port = 0
	app.Spec.NodeTypes = append(app.Spec.NodeTypes, app.Spec.NodeTypes[1])
	for i := 3; i <= 10; i++ {
		app.Spec.NodeTypes = append(app.Spec.NodeTypes, NodeType{Name: "n" + string(rune('a'+i)), Workload: Deployment, Image: "x"})
	}
	app.Spec.NodeTypes[10].Workload = "job"
	ps := Validate(app)
	want := []string{
		"spec.deploymentOrder: missing node types: nd, ne, nf, ng, nh, ni, nj, nk (list every node type once)",
		`spec.deploymentOrder[1]: unknown node type "server"`,
		"spec.nodeTypes[0].ports[0].port: is required: a port number from 1 to 65535",
		`spec.nodeTypes[1].name: duplicate node type "broker"`,
		`spec.nodeTypes[2].name: duplicate node type "broker"`,
		`spec.nodeTypes[10].workload: invalid workload "job": must be StatefulSet or Deployment`,
	}
	if got := ps.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// gates adds health gates to the server node type of base, whose only port is http. The
// first line of the gates is line 33.
func gates(lines ...string) edit {
	return edit{"          port: 9090\n", "          port: 9090\n      healthGates:\n" + strings.Join(lines, "\n") + "\n"}
}

func TestValidateHealthGates(t *testing.T) {
	const gate = "spec.nodeTypes[1].healthGates[0]"
	runValidateCases(t, []validateCase{
		{
			name: "a gate with every field",
			edits: []edit{gates(
				"        - name: segments-loaded",
				"          description: Every segment is loaded",
				"          target: service",
				"          port: http",
				"          path: /status?full&tier=hot",
				"          status: 204",
				"          condition: 'status == 204 && body.all(s, body[s].segmentsToLoad == 0) && !text.contains(\"error\")'",
				`          healthyAnswer: '{"wiki": {"segmentsToLoad": 0} }'`,
				"          intervalSeconds: 30",
				"          timeoutSeconds: 30",
				"          successThreshold: 3",
			)},
		},
		{
			name:  "a gate with only the required fields",
			edits: []edit{gates("        - {name: ready, port: http, path: /health}")},
		},
		{
			name:  "name, port and path are required",
			edits: []edit{gates("        - description: checks nothing")},
			want: []string{
				"demo.yaml:33: " + gate + ".name: is required",
				"demo.yaml:33: " + gate + ".path: is required: an absolute HTTP path such as /health",
				"demo.yaml:33: " + gate + ".port: is required: the name of one of the node type's ports (http)",
			},
		},
		{
			name: "invalid and duplicate names",
			edits: []edit{gates(
				"        - {name: Ready_1, port: http, path: /a}",
				"        - {name: live, port: http, path: /b}",
				"        - {name: live, port: http, path: /c}",
			)},
			want: []string{
				`demo.yaml:33: ` + gate + `.name: invalid name "Ready_1": must be ` + dnsLabelRule,
				`demo.yaml:35: spec.nodeTypes[1].healthGates[2].name: duplicate health gate "live"`,
			},
		},
		{
			name:  "the same gate name in two node types is fine",
			edits: []edit{gates("        - {name: ready, port: http, path: /a}"), {"          port: 8080\n", "          port: 8080\n      healthGates: [{name: ready, port: http, path: /a}]\n"}},
		},
		{
			name:  "target in the wrong case",
			edits: []edit{gates("        - name: ready", "          target: Service", "          port: http", "          path: /health")},
			want:  []string{`demo.yaml:34: ` + gate + `.target: invalid target "Service": must be pod or service (did you mean "service"?)`},
		},
		{
			name: "target service on a node type without a Service",
			edits: []edit{{"      ports:\n        - name: http\n          port: 9090\n",
				"      healthGates:\n        - name: leader\n          target: service\n          port: http\n          path: /leader\n"}},
			want: []string{
				`demo.yaml:31: ` + gate + `.target: target service calls the node type's client Service, and node type "server" has none (a Service needs ports): add ports, or use target pod`,
				`demo.yaml:32: ` + gate + `.port: unknown port name "http" (the node type has no ports)`,
			},
		},
		{
			name:  "a port name the node type does not have",
			edits: []edit{gates("        - name: ready", "          port: admin", "          path: /health")},
			want:  []string{`demo.yaml:34: ` + gate + `.port: unknown port name "admin" (the node type's ports: http)`},
		},
		{
			name: "a UDP port",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n        - {name: dns, port: 53, protocol: UDP}\n" +
				"      healthGates:\n        - name: ready\n          port: dns\n          path: /health\n"}},
			want: []string{`demo.yaml:35: ` + gate + `.port: port "dns" is UDP: a health gate is an HTTP GET and needs a TCP port`},
		},
		{
			name: "paths",
			edits: []edit{gates(
				"        - {name: a, port: http, path: health}",
				"        - {name: b, port: http, path: \"/a b\"}",
				"        - {name: c, port: http, path: \"/a\\tb\"}",
				"        - {name: d, port: http, path: \"/status#top\"}",
				"        - {name: e, port: http, path: \"/a%zz\"}",
			)},
			want: []string{
				`demo.yaml:33: ` + gate + `.path: invalid path "health": must start with /`,
				`demo.yaml:34: spec.nodeTypes[1].healthGates[1].path: invalid path "/a b": must not contain spaces or control characters`,
				`demo.yaml:35: spec.nodeTypes[1].healthGates[2].path: invalid path "/a\tb": must not contain spaces or control characters`,
				`demo.yaml:36: spec.nodeTypes[1].healthGates[3].path: invalid path "/status#top": must not contain a fragment (#): the server never receives it`,
				`demo.yaml:37: spec.nodeTypes[1].healthGates[4].path: invalid path "/a%zz": invalid URL escape "%zz"`,
			},
		},
		{
			name: "status",
			edits: []edit{gates(
				"        - {name: a, port: http, path: /a, status: 99}",
				"        - {name: b, port: http, path: /b, status: 600}",
			)},
			want: []string{
				`demo.yaml:33: ` + gate + `.status: status 99 is not an HTTP status (100 to 599)`,
				`demo.yaml:34: spec.nodeTypes[1].healthGates[1].status: status 600 is not an HTTP status (100 to 599)`,
			},
		},
		{
			name:  "a condition that does not compile",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          condition: body..cacheInitialized")},
			want: []string{`demo.yaml:36: ` + gate + `.condition: invalid condition "body..cacheInitialized": ` +
				`ERROR: <input>:1:6: Syntax error: no viable alternative at input '..'`},
		},
		{
			name:  "a condition with an unknown variable",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          condition: segments == 0")},
			want: []string{`demo.yaml:36: ` + gate + `.condition: invalid condition "segments == 0": ` +
				`ERROR: <input>:1:1: undeclared reference to 'segments' (in container '')`},
		},
		{
			name:  "a condition that is not a bool",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          condition: size(body)")},
			want:  []string{`demo.yaml:36: ` + gate + `.condition: invalid condition "size(body)": the condition yields int, not a bool`},
		},
		{
			name: "a condition of several lines with two errors is one line",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health",
				"          condition: |", "            status == 200 &&", "            loaded && queued == 0")},
			want: []string{`demo.yaml:36: ` + gate + `.condition: invalid condition "status == 200 &&\nloaded && queued == 0\n": ` +
				`ERROR: <input>:2:1: undeclared reference to 'loaded' (in container ''); ERROR: <input>:2:11: undeclared reference to 'queued' (in container '')`},
		},
		{
			name: "conditions on the status, the text and the JSON body are fine",
			edits: []edit{gates(
				"        - {name: a, port: http, path: /a, condition: status == 200, healthyAnswer: x}",
				"        - {name: b, port: http, path: /b, condition: text == \"OK\", healthyAnswer: OK}",
				"        - {name: c, port: http, path: /c, condition: body.cacheInitialized, healthyAnswer: '{\"cacheInitialized\": true}'}",
				"        - {name: d, port: http, path: /d, condition: size(body.underReplicated) == 0, healthyAnswer: '{\"underReplicated\": []}'}",
			)},
		},
		{
			name:  "a condition without a healthy answer",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          condition: body.ready")},
			want:  []string{`demo.yaml:33: ` + gate + `.healthyAnswer: is required with a condition: what the endpoint answers when server is healthy, such as {"ready": true}; the condition is checked on it`},
		},
		{
			name: "a condition that fails on its own healthy answer (a misspelt field)",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          condition: body.cacheInitalized == true",
				`          healthyAnswer: '{"cacheInitialized": true}'`)},
			want: []string{`demo.yaml:37: ` + gate + `.healthyAnswer: the gate fails on its own healthy answer: condition body.cacheInitalized == true: no such key: cacheInitalized`},
		},
		{
			name: "a condition that is false on its own healthy answer",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          condition: body.loading == 0",
				`          healthyAnswer: '{"loading": 3}'`)},
			want: []string{`demo.yaml:37: ` + gate + `.healthyAnswer: the gate fails on its own healthy answer: condition body.loading == 0 is false`},
		},
		{
			name: "timing out of range",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health",
				"          intervalSeconds: -1", "          timeoutSeconds: 3601", "          successThreshold: 101")},
			want: []string{
				`demo.yaml:36: ` + gate + `.intervalSeconds: intervalSeconds -1 is out of range 1-3600`,
				`demo.yaml:37: ` + gate + `.timeoutSeconds: timeoutSeconds 3601 is out of range 1-3600`,
				`demo.yaml:38: ` + gate + `.successThreshold: successThreshold 101 is out of range 1-100`,
			},
		},
		{
			name: "a timeout longer than the interval",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health",
				"          intervalSeconds: 5", "          timeoutSeconds: 10")},
			want: []string{`demo.yaml:37: ` + gate + `.timeoutSeconds: timeoutSeconds 10 is longer than intervalSeconds 5: a check must end before the next one starts`},
		},
		{
			// The default timeout (5) is longer than the interval.
			name:  "a short interval with the default timeout",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          intervalSeconds: 2")},
			want:  []string{`demo.yaml:33: ` + gate + `.timeoutSeconds: timeoutSeconds 5 is longer than intervalSeconds 2: a check must end before the next one starts`},
		},
		{
			name:  "closing braces of a map literal in a condition",
			edits: []edit{gates("        - name: ready", "          port: http", "          path: /health", "          condition: 'body == {\"a\": {\"b\": 1}}'", `          healthyAnswer: '{"a": {"b": 1} }'`)},
		},
	})
}

func TestValidateMinReplicas(t *testing.T) {
	add := func(lines string) edit { return edit{"          port: 9090\n", "          port: 9090\n" + lines} }
	runValidateCases(t, []validateCase{
		{
			name:  "zero",
			edits: []edit{add("      minReplicas: 0\n")},
			want:  []string{"demo.yaml:32: spec.nodeTypes[1].minReplicas: must be at least 1 (leave minReplicas out for no floor)"},
		},
		{
			name:  "a floor above the replicas",
			edits: []edit{add("      replicas: 2\n      minReplicas: 3\n")},
			want: []string{"demo.yaml:33: spec.nodeTypes[1].minReplicas: minReplicas 3 is above replicas 2: " +
				"the sample resource would run fewer replicas than the floor, which the CRD refuses; raise replicas or lower minReplicas"},
		},
		{
			name:  "a floor above the default replicas",
			edits: []edit{add("      minReplicas: 3\n")},
			want: []string{"demo.yaml:32: spec.nodeTypes[1].minReplicas: minReplicas 3 is above replicas 1: " +
				"the sample resource would run fewer replicas than the floor, which the CRD refuses; raise replicas or lower minReplicas"},
		},
		{
			name:  "a floor equal to the replicas",
			edits: []edit{add("      replicas: 3\n      minReplicas: 3\n")},
		},
		{
			name:  "negative replicas are reported once",
			edits: []edit{add("      replicas: -1\n      minReplicas: 1\n")},
			want:  []string{"demo.yaml:32: spec.nodeTypes[1].replicas: must not be negative"},
		},
		{
			name:  "not a number",
			edits: []edit{add("      minReplicas: three\n")},
			want:  []string{`demo.yaml:32: spec.nodeTypes[1].minReplicas: expected an integer, got the string "three"`},
		},
	})
}

// decommission adds a decommission to the broker node type of base (a StatefulSet whose only
// port is http): "decommission:" is line 18, the first of lines is line 19.
func decommission(lines ...string) edit {
	return edit{"          port: 8080\n", "          port: 8080\n      decommission:\n" + strings.Join(lines, "\n") + "\n"}
}

func TestValidateDecommission(t *testing.T) {
	const dec = "spec.nodeTypes[0].decommission"
	runValidateCases(t, []validateCase{
		{
			name: "a decommission with every field",
			edits: []edit{decommission(
				"        description: Moves the broker's partitions to the other brokers",
				"        port: http",
				"        start: {method: PUT, path: '/admin/drain?wait=false', body: '{\"reason\": \"scale-down\"}', status: 202}",
				"        check: {path: /admin/drain, status: 200, condition: 'body.partitions == 0', drainedAnswer: '{\"partitions\": 0}'}",
				"        intervalSeconds: 30",
				"        timeoutSeconds: 10",
			)},
		},
		{
			name:  "only the required fields",
			edits: []edit{decommission("        port: http", "        start: {path: /drain}", "        check: {path: /drained}")},
		},
		{
			name:  "a decommission without a check or a start",
			edits: []edit{decommission("        port: http")},
			want: []string{
				"demo.yaml:18: " + dec + ".check: is required: the GET that says when a pod is drained; without it the operator could not know when removing the pod is safe",
				"demo.yaml:18: " + dec + ".start: is required: the call that asks a pod to drain, such as {method: POST, path: /drain}",
			},
		},
		{
			name:  "on a Deployment",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      decommission: {port: http, start: {path: /drain}, check: {path: /drained}}\n"}},
			want:  []string{"demo.yaml:32: spec.nodeTypes[1].decommission: is only for workload StatefulSet: a Deployment removes pods of its own choosing, so no pod can be drained before it goes"},
		},
		{
			name:  "an unknown port, a bad method, path, status and body",
			edits: []edit{decommission("        port: admin", "        start: {method: post, path: drain, status: 99, body: '{reason'}", "        check: {path: '/a b', status: 600}")},
			want: []string{
				`demo.yaml:19: ` + dec + `.port: unknown port name "admin" (the node type's ports: http)`,
				`demo.yaml:20: ` + dec + `.start.body: is not JSON: it is sent as application/json`,
				`demo.yaml:20: ` + dec + `.start.method: invalid method "post": must be POST, PUT, PATCH, DELETE or GET (did you mean "POST"?)`,
				`demo.yaml:20: ` + dec + `.start.path: invalid path "drain": must start with /`,
				`demo.yaml:20: ` + dec + `.start.status: status 99 is not an HTTP status (100 to 599)`,
				`demo.yaml:21: ` + dec + `.check.path: invalid path "/a b": must not contain spaces or control characters`,
				`demo.yaml:21: ` + dec + `.check.status: status 600 is not an HTTP status (100 to 599)`,
			},
		},
		{
			name:  "a condition that does not compile",
			edits: []edit{decommission("        port: http", "        start: {path: /drain}", "        check: {path: /tasks, condition: 'size(body) =='}")},
			want:  []string{`demo.yaml:21: ` + dec + `.check.condition: invalid condition "size(body) ==": ERROR: <input>:1:14: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`},
		},
		{
			name:  "a condition without a drained answer",
			edits: []edit{decommission("        port: http", "        start: {path: /drain}", "        check: {path: /tasks, condition: size(body) == 0}")},
			want:  []string{`demo.yaml:21: ` + dec + `.check.drainedAnswer: is required with a condition: what the endpoint answers once a pod of broker is drained, such as []; the condition is checked on it`},
		},
		{
			name:  "a condition false on its own drained answer",
			edits: []edit{decommission("        port: http", "        start: {path: /drain}", `        check: {path: /tasks, condition: size(body) == 0, drainedAnswer: '["task-1"]'}`)},
			want:  []string{`demo.yaml:21: ` + dec + `.check.drainedAnswer: the check fails on its own drained answer: condition size(body) == 0 is false`},
		},
		{
			name:  "a timeout longer than the interval",
			edits: []edit{decommission("        port: http", "        start: {path: /drain}", "        check: {path: /tasks}", "        intervalSeconds: 5", "        timeoutSeconds: 6")},
			want:  []string{`demo.yaml:23: ` + dec + `.timeoutSeconds: timeoutSeconds 6 is longer than intervalSeconds 5: a check must end before the next one starts`},
		},
	})
}

func TestValidateClaimRetention(t *testing.T) {
	runValidateCases(t, []validateCase{
		{
			name:  "delete the claims of pods a scale-down removes",
			edits: []edit{{"          port: 8080\n", "          port: 8080\n      claimRetention: {whenScaled: Delete, whenDeleted: Retain}\n"}},
		},
		{
			name:  "a value in the wrong case, and whenDeleted Delete",
			edits: []edit{{"          port: 8080\n", "          port: 8080\n      claimRetention: {whenScaled: delete, whenDeleted: Delete}\n"}},
			want: []string{
				`demo.yaml:18: spec.nodeTypes[0].claimRetention.whenDeleted: must be Retain: the operator deletes and recreates StatefulSets to change immutable fields (such as a volume's size), and their claims must survive that; a resource's spec.deletePersistentVolumeClaims deletes the claims of node sets removed from it`,
				`demo.yaml:18: spec.nodeTypes[0].claimRetention.whenScaled: invalid whenScaled "delete": must be Retain or Delete (did you mean "Delete"?)`,
			},
		},
		{
			name:  "on a Deployment",
			edits: []edit{{"          port: 9090\n", "          port: 9090\n      claimRetention: {whenScaled: Delete}\n"}},
			want:  []string{"demo.yaml:32: spec.nodeTypes[1].claimRetention: is only for workload StatefulSet: a Deployment's pods share one claim, which a scale-down never removes"},
		},
	})
}
