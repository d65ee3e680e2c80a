package model

import (
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
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
		}
		if nt.Replicas != nil && *nt.Replicas < 0 {
			ps.add(p+".replicas", "must not be negative")
		}
		portNames := validatePorts(ps, nt, p)
		validateProbes(ps, nt, p, portNames)
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
		var known []string
		for n := range portNames {
			known = append(known, n)
		}
		sort.Strings(known)
		ps.add(p, "unknown port name %q (the node type's ports: %s)", port.StrVal, strings.Join(known, ", "))
	}
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
