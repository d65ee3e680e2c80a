package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/dsoi-gen/dsoi-gen/runtime/dsoi"
)

func validateNodeTypes(ps *Problems, spec *Spec) {
	if len(spec.NodeTypes) == 0 {
		ps.add("spec.nodeTypes", "at least one node type is required")
		return
	}
	configs := map[string]*ConfigFile{}
	for i := range spec.ConfigFiles {
		if _, dup := configs[spec.ConfigFiles[i].Name]; !dup {
			configs[spec.ConfigFiles[i].Name] = &spec.ConfigFiles[i]
		}
	}
	depEnv := dependencyEnvs(spec)
	names := newUniqueNames("node type")
	for i := range spec.NodeTypes {
		nt := &spec.NodeTypes[i]
		p := fmt.Sprintf("spec.nodeTypes[%d]", i)
		if checkName(ps, p+".name", nt.Name, dnsOrCamel) {
			names.add(ps, p+".name", nt.Name)
		}
		checkEnum(ps, p+".workload", "workload", nt.Workload, StatefulSet, Deployment)
		switch {
		case nt.Image == "":
			ps.add(p+".image", "is required: a container image such as apache/druid:33.0.0")
		case strings.ContainsFunc(nt.Image, isSpace):
			ps.add(p+".image", "invalid image %q: must not contain spaces", nt.Image)
		default:
			checkOneLine(ps, p+".image", nt.Image, "an image reference is one word")
		}
		if nt.Replicas != nil && *nt.Replicas < 0 {
			ps.add(p+".replicas", "must not be negative")
		}
		validateMinReplicas(ps, nt, p)
		portNames := validatePorts(ps, nt, p)
		validateProbes(ps, nt, p, portNames)
		validateHealthGates(ps, nt, p)
		validateDecommission(ps, nt, p)
		validateClaimRetention(ps, nt, p)
		mounts := validateStorage(ps, nt, p)
		validateNodeConfigFiles(ps, nt, p, configs, mounts)
		validateNodeEnv(ps, nt, p, depEnv)
		if nt.Workload == Deployment && len(nt.Storage) > 0 && nt.Replicas != nil && *nt.Replicas > 1 {
			ps.add(p+".replicas", "a Deployment's pods share one ReadWriteOnce claim per storage entry, which the pods of one node only can mount for writing: "+
				"use replicas 1, or workload StatefulSet (a claim per pod)")
		}
	}
	validateObjectNames(ps, spec)
}

// validateObjectNames refuses node types whose objects in the sample resource (one node set
// per node type, named after it) would share a name: node types a and a-headless (the
// headless Service of a), or Deployment claims server + cold-data and server-cold + data.
func validateObjectNames(ps *Problems, spec *Spec) {
	taken := map[string]string{}
	take := func(p, name, what string) {
		if other, ok := taken[name]; ok {
			ps.add(p, "%s and %s would both be named %s in a resource: rename one", other, what, name)
			return
		}
		taken[name] = what
	}
	seen := map[string]bool{}
	for i, nt := range spec.NodeTypes {
		p := fmt.Sprintf("spec.nodeTypes[%d]", i)
		name := KubeName(nt.Name)
		if seen[name] {
			continue // a duplicate node type, reported as such
		}
		seen[name] = true
		take(p+".name", "Service <resource>-"+name, fmt.Sprintf("the Service of node type %q", nt.Name))
		if nt.Workload == StatefulSet {
			take(p+".name", "Service <resource>-"+name+"-headless", fmt.Sprintf("the headless Service of node type %q", nt.Name))
		}
		if nt.Workload != Deployment {
			continue
		}
		for k, vol := range nt.Storage {
			take(fmt.Sprintf("%s.storage[%d].name", p, k), "PersistentVolumeClaim <resource>-"+name+"-"+vol.Name,
				fmt.Sprintf("storage %q of node type %q", vol.Name, nt.Name))
		}
	}
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// validatePorts checks ports and the service, and returns the port names.
func validatePorts(ps *Problems, nt *NodeType, p string) map[string]bool {
	names := map[string]bool{}
	numbers := map[string]bool{}
	for j, port := range nt.Ports {
		pp := fmt.Sprintf("%s.ports[%d]", p, j)
		switch errs := validation.IsValidPortName(port.Name); {
		case port.Name == "":
			ps.add(pp+".name", "is required: a port name such as http")
		case len(errs) > 0:
			ps.add(pp+".name", "invalid port name %q: %s", port.Name, strings.Join(errs, "; "))
		case names[port.Name]:
			ps.add(pp+".name", "duplicate port name %q", port.Name)
		}
		names[port.Name] = true
		// The same number may serve two protocols (DNS on 53/TCP and 53/UDP).
		key := fmt.Sprintf("%d/%s", port.Port, port.Protocol)
		switch {
		case port.Port == 0:
			ps.add(pp+".port", "is required: a port number from 1 to 65535")
		case port.Port < 0 || port.Port > 65535:
			ps.add(pp+".port", "port %d is out of range 1-65535", port.Port)
		case numbers[key]:
			ps.add(pp+".port", "duplicate port %s", key)
		}
		numbers[key] = true
		checkEnum(ps, pp+".protocol", "protocol", string(port.Protocol),
			string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP))
	}
	if nt.Service != nil {
		checkEnum(ps, p+".service.type", "service type", string(nt.Service.Type),
			string(corev1.ServiceTypeClusterIP), string(corev1.ServiceTypeNodePort), string(corev1.ServiceTypeLoadBalancer))
		if len(nt.Ports) == 0 {
			ps.add(p+".service", "a service needs at least one port: add ports or remove the service")
		}
	}
	return names
}

func validateProbes(ps *Problems, nt *NodeType, p string, portNames map[string]bool) {
	if nt.Probes == nil {
		return
	}
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
	}{{"readiness", nt.Probes.Readiness}, {"liveness", nt.Probes.Liveness}, {"startup", nt.Probes.Startup}} {
		if pr.probe == nil {
			continue
		}
		pp := p + ".probes." + pr.name
		h := pr.probe.ProbeHandler
		count := 0
		for _, set := range []bool{h.Exec != nil, h.HTTPGet != nil, h.TCPSocket != nil, h.GRPC != nil} {
			if set {
				count++
			}
		}
		if count != 1 {
			ps.add(pp, "a probe needs exactly one of exec, httpGet, tcpSocket or grpc (found %d)", count)
		}
		if h.HTTPGet != nil {
			checkProbePort(ps, pp+".httpGet.port", h.HTTPGet.Port, portNames)
		}
		if h.TCPSocket != nil {
			checkProbePort(ps, pp+".tcpSocket.port", h.TCPSocket.Port, portNames)
		}
		if h.GRPC != nil && (h.GRPC.Port < 1 || h.GRPC.Port > 65535) {
			ps.add(pp+".grpc.port", "port %d is out of range 1-65535", h.GRPC.Port)
		}
	}
}

// checkProbePort accepts a port number or the name of one of the node type's ports.
func checkProbePort(ps *Problems, p string, port intstr.IntOrString, portNames map[string]bool) {
	if port.Type == intstr.Int {
		if port.IntVal < 1 || port.IntVal > 65535 {
			ps.add(p, "port %d is out of range 1-65535", port.IntVal)
		}
		return
	}
	if !portNames[port.StrVal] {
		ps.add(p, "unknown port name %q %s", port.StrVal, knownPorts(portNames))
	}
}

// knownPorts lists the port names of a node type, in parentheses, for messages.
func knownPorts(portNames map[string]bool) string {
	known := sortedPortNames(portNames)
	if len(known) == 0 {
		return "(the node type has no ports)"
	}
	return "(the node type's ports: " + strings.Join(known, ", ") + ")"
}

func sortedPortNames(portNames map[string]bool) []string {
	var known []string
	for n := range portNames {
		if n != "" {
			known = append(known, n)
		}
	}
	sort.Strings(known)
	return known
}

// validateMinReplicas checks the floor of a node type's replicas against the sample's replicas.
func validateMinReplicas(ps *Problems, nt *NodeType, p string) {
	switch {
	case nt.MinReplicas == nil:
	case *nt.MinReplicas < 1:
		ps.add(p+".minReplicas", "must be at least 1 (leave minReplicas out for no floor)")
	case nt.Replicas != nil && *nt.Replicas >= 0 && *nt.Replicas < *nt.MinReplicas:
		ps.add(p+".minReplicas", "minReplicas %d is above replicas %d: the sample resource would run fewer replicas than the floor, which the CRD refuses; raise replicas or lower minReplicas",
			*nt.MinReplicas, *nt.Replicas)
	}
}

// Bounds of a health gate's timing.
const (
	maxGateSeconds          = 3600
	maxGateSuccessThreshold = 100
)

// validateHealthGates checks a node type's health gates against its ports and Service.
func validateHealthGates(ps *Problems, nt *NodeType, p string) {
	names := newUniqueNames("health gate")
	for k := range nt.HealthGates {
		g := &nt.HealthGates[k]
		gp := fmt.Sprintf("%s.healthGates[%d]", p, k)
		if checkName(ps, gp+".name", g.Name, dnsLabel) {
			names.add(ps, gp+".name", g.Name)
		}
		checkDescription(ps, gp+".description", g.Description)
		checkEnum(ps, gp+".target", "target", g.Target, GateTargetPod, GateTargetService)
		if g.Target == GateTargetService && nt.Service == nil {
			ps.add(gp+".target", "target service calls the node type's client Service, and node type %q has none (a Service needs ports): add ports, or use target pod", nt.Name)
		}
		checkHTTPPort(ps, gp+".port", nt, g.Port, "a health gate is an HTTP GET")
		checkGatePath(ps, gp+".path", g.Path)
		checkStatus(ps, gp+".status", g.Status)
		checkCondition(ps, gp, "healthyAnswer", g.Condition, g.Status, g.HealthyAnswer,
			fmt.Sprintf("what the endpoint answers when %s is healthy, such as {\"ready\": true}", nt.Name), "the gate fails on its own healthy answer")
		checkTiming(ps, gp, g.IntervalSeconds, g.TimeoutSeconds)
		checkRange(ps, gp+".successThreshold", "successThreshold", g.SuccessThreshold, 1, maxGateSuccessThreshold)
	}
}

// DrainMethods are the methods a decommission's start call may use.
var DrainMethods = []string{"POST", "PUT", "PATCH", "DELETE", "GET"}

// validateDecommission checks a node type's decommission: a StatefulSet (whose highest
// ordinals a scale-down removes), a TCP port, a start call and a check.
func validateDecommission(ps *Problems, nt *NodeType, p string) {
	d := nt.Decommission
	if d == nil {
		return
	}
	p += ".decommission"
	if nt.Workload == Deployment {
		ps.add(p, "is only for workload StatefulSet: a Deployment removes pods of its own choosing, so no pod can be drained before it goes")
	}
	checkDescription(ps, p+".description", d.Description)
	checkHTTPPort(ps, p+".port", nt, d.Port, "a decommission makes HTTP calls")
	if d.Start == nil {
		ps.add(p+".start", "is required: the call that asks a pod to drain, such as {method: POST, path: /drain}")
	} else {
		checkEnum(ps, p+".start.method", "method", d.Start.Method, DrainMethods...)
		checkGatePath(ps, p+".start.path", d.Start.Path)
		if d.Start.Status != 0 {
			checkStatus(ps, p+".start.status", d.Start.Status)
		}
		if d.Start.Body != "" && !json.Valid([]byte(d.Start.Body)) {
			ps.add(p+".start.body", "is not JSON: it is sent as application/json")
		}
	}
	if d.Check == nil {
		ps.add(p+".check", "is required: the GET that says when a pod is drained; without it the operator could not know when removing the pod is safe")
	} else {
		checkGatePath(ps, p+".check.path", d.Check.Path)
		checkStatus(ps, p+".check.status", d.Check.Status)
		checkCondition(ps, p+".check", "drainedAnswer", d.Check.Condition, d.Check.Status, d.Check.DrainedAnswer,
			fmt.Sprintf("what the endpoint answers once a pod of %s is drained, such as []", nt.Name), "the check fails on its own drained answer")
	}
	checkTiming(ps, p, d.IntervalSeconds, d.TimeoutSeconds)
}

// validateClaimRetention checks the claim retention of a StatefulSet node type.
func validateClaimRetention(ps *Problems, nt *NodeType, p string) {
	r := nt.ClaimRetention
	if r == nil {
		return
	}
	p += ".claimRetention"
	if nt.Workload == Deployment {
		ps.add(p, "is only for workload StatefulSet: a Deployment's pods share one claim, which a scale-down never removes")
	}
	checkEnum(ps, p+".whenScaled", "whenScaled", r.WhenScaled, ClaimRetain, ClaimDelete)
	if r.WhenDeleted != ClaimRetain {
		ps.add(p+".whenDeleted", "must be Retain: the operator deletes and recreates StatefulSets to change immutable fields (such as a volume's size), and their claims must survive that; "+
			"a resource's spec.deletePersistentVolumeClaims deletes the claims of node sets removed from it")
	}
}

// checkHTTPPort requires the name of one of the node type's TCP ports.
func checkHTTPPort(ps *Problems, p string, nt *NodeType, port, why string) {
	protocols := map[string]corev1.Protocol{}
	portNames := map[string]bool{}
	for _, pt := range nt.Ports {
		if _, dup := protocols[pt.Name]; !dup {
			protocols[pt.Name] = pt.Protocol
		}
		portNames[pt.Name] = true
	}
	switch protocol, known := protocols[port]; {
	case port == "" && len(sortedPortNames(portNames)) == 0:
		ps.add(p, "is required, but the node type has no ports: %s to one of them", why)
	case port == "":
		ps.add(p, "is required: the name of one of the node type's ports (%s)", strings.Join(sortedPortNames(portNames), ", "))
	case !known:
		ps.add(p, "unknown port name %q %s", port, knownPorts(portNames))
	case protocol != "" && protocol != corev1.ProtocolTCP:
		ps.add(p, "port %q is %s: %s and needs a TCP port", port, protocol, why)
	}
}

func checkStatus(ps *Problems, p string, status int32) {
	if status < 100 || status > 599 {
		ps.add(p, "status %d is not an HTTP status (100 to 599)", status)
	}
}

// checkCondition compiles a CEL condition and checks that it holds on the answer the
// description gives as the good one (field answerField, next to the condition).
func checkCondition(ps *Problems, p, answerField, condition string, status int32, answer, what, fails string) {
	if condition == "" {
		return
	}
	_, err := dsoi.CompileGateCondition(condition)
	switch {
	case err != nil:
		ps.add(p+".condition", "invalid condition %q: %s", condition, celMessage(err))
	case answer == "":
		ps.add(p+"."+answerField, "is required with a condition: %s; the condition is checked on it", what)
	default:
		gate := dsoi.Gate{Status: int(status), Condition: condition}
		if err := dsoi.CheckGateAnswer(gate, int(status), []byte(answer)); err != nil {
			ps.add(p+"."+answerField, "%s: %s", fails, err)
		}
	}
}

// checkTiming checks the interval and timeout of repeated HTTP calls.
func checkTiming(ps *Problems, p string, interval, timeout int32) {
	intervalOK := checkRange(ps, p+".intervalSeconds", "intervalSeconds", interval, 1, maxGateSeconds)
	timeoutOK := checkRange(ps, p+".timeoutSeconds", "timeoutSeconds", timeout, 1, maxGateSeconds)
	if intervalOK && timeoutOK && timeout > interval {
		ps.add(p+".timeoutSeconds", "timeoutSeconds %d is longer than intervalSeconds %d: a check must end before the next one starts", timeout, interval)
	}
}

// checkRange reports a number outside lo..hi.
func checkRange(ps *Problems, p, what string, n, lo, hi int32) bool {
	if n < lo || n > hi {
		ps.add(p, "%s %d is out of range %d-%d", what, n, lo, hi)
		return false
	}
	return true
}

// checkGatePath requires an absolute HTTP path with an optional query: what follows the
// port in the URL that the gate calls.
func checkGatePath(ps *Problems, p, gatePath string) {
	switch {
	case gatePath == "":
		ps.add(p, "is required: an absolute HTTP path such as /health")
	case !strings.HasPrefix(gatePath, "/"):
		ps.add(p, "invalid path %q: must start with /", gatePath)
	case strings.ContainsFunc(gatePath, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		ps.add(p, "invalid path %q: must not contain spaces or control characters", gatePath)
	case strings.Contains(gatePath, "#"):
		ps.add(p, "invalid path %q: must not contain a fragment (#): the server never receives it", gatePath)
	default:
		if _, err := url.ParseRequestURI(gatePath); err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			ps.add(p, "invalid path %q: %v", gatePath, err)
		}
	}
}

// celMessage puts a CEL compile error on one line: CEL writes each error as a line
// "ERROR: <input>:line:column: message" followed by the expression with a caret under the
// column, which a one-line problem cannot show.
func celMessage(err error) string {
	var errs []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "ERROR: ") {
			errs = append(errs, line)
		}
	}
	if len(errs) == 0 {
		return strings.Join(strings.Fields(err.Error()), " ")
	}
	return strings.Join(errs, "; ")
}

// validateStorage checks the volumes and returns their mount paths (mount path -> name).
func validateStorage(ps *Problems, nt *NodeType, p string) map[string]string {
	mounts := map[string]string{}
	names := newUniqueNames("storage")
	for k, vol := range nt.Storage {
		vp := fmt.Sprintf("%s.storage[%d]", p, k)
		if checkName(ps, vp+".name", vol.Name, dnsLabel) {
			names.add(ps, vp+".name", vol.Name)
		}
		if checkMountPath(ps, vp+".mountPath", vol.MountPath) {
			if other, dup := mounts[vol.MountPath]; dup {
				ps.add(vp+".mountPath", "storage %q has the same mount path as storage %q", vol.Name, other)
			} else {
				mounts[vol.MountPath] = vol.Name
			}
		}
		if vol.Size == "" {
			ps.add(vp+".size", "is required: a Kubernetes quantity such as 10Gi")
		} else if q, err := resource.ParseQuantity(vol.Size); err != nil {
			ps.add(vp+".size", "invalid size %q: must be a Kubernetes quantity such as 10Gi", vol.Size)
		} else if q.Sign() <= 0 {
			ps.add(vp+".size", "size %q must be greater than 0", vol.Size)
		}
		if vol.StorageClassName != "" && len(validation.IsDNS1123Subdomain(vol.StorageClassName)) > 0 {
			ps.add(vp+".storageClassName", "invalid storage class name %q: must be a lowercase DNS-1123 subdomain", vol.StorageClassName)
		}
	}
	return mounts
}

// validateNodeConfigFiles checks the config files a node type mounts. Several files in
// one directory are normal; two files at the same place, or a file in a storage mount
// path (the volume would hide it), are not.
func validateNodeConfigFiles(ps *Problems, nt *NodeType, p string, configs map[string]*ConfigFile, mounts map[string]string) {
	var known []string
	for name := range configs {
		known = append(known, name)
	}
	sort.Strings(known)
	listed := map[string]bool{}
	targets := map[string]string{}
	for k, name := range nt.ConfigFiles {
		cp := fmt.Sprintf("%s.configFiles[%d]", p, k)
		cf, ok := configs[name]
		switch {
		case !ok:
			msg := fmt.Sprintf("unknown config file %q", name)
			if s := suggest(name, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			ps.add(cp, "%s", msg)
			continue
		case listed[name]:
			ps.add(cp, "config file %q is listed twice", name)
			continue
		}
		listed[name] = true
		if cf.MountPath == "" || cf.FileName == "" {
			continue // reported at the config file
		}
		target := path.Join(cf.MountPath, cf.FileName)
		if other, clash := targets[target]; clash {
			ps.add(cp, "config files %q and %q would both be mounted at %s", other, name, target)
		} else {
			targets[target] = name
		}
		if vol, clash := mounts[cf.MountPath]; clash {
			ps.add(cp, "config file %q is mounted in %s, the mount path of storage %q: use another directory", name, cf.MountPath, vol)
		}
	}
}

func validateNodeEnv(ps *Problems, nt *NodeType, p string, depEnv map[string]string) {
	seen := map[string]bool{}
	for k, e := range nt.Env {
		ep := fmt.Sprintf("%s.env[%d].name", p, k)
		switch errs := validation.IsEnvVarName(e.Name); {
		case e.Name == "":
			ps.add(ep, "is required")
		case len(errs) > 0:
			ps.add(ep, "invalid env name %q: %s", e.Name, strings.Join(errs, "; "))
		case seen[e.Name]:
			ps.add(ep, "duplicate env %q", e.Name)
		case depEnv[e.Name] != "":
			ps.add(ep, "env %q is also set by dependency field %s", e.Name, depEnv[e.Name])
		}
		seen[e.Name] = true
	}
}
