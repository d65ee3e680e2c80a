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

package dsoi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Workload kinds of a node set.
const (
	KindStatefulSet = "StatefulSet"
	KindDeployment  = "Deployment"
)

// Cluster describes one custom resource: the application and its node sets.
type Cluster struct {
	// App is the application name (pinot, druid ...), Instance the CR's name, Namespace its namespace.
	App, Instance, Namespace string
	// ConfigMaps hold the config files of node sets and the cluster-wide files.
	ConfigMaps []ConfigMap
	NodeSets   []NodeSet
	// Stopped scales every node set to zero, keeping its objects and data.
	Stopped bool
	// DisablePDB turns off the PodDisruptionBudget of every node set.
	DisablePDB bool
}

// ConfigMap is a ConfigMap holding config files, one key per file. Name is a base name: the
// object is named Name-<hash of Data> and immutable, so a change makes a new ConfigMap that
// only the node sets rolled onto it read. Node sets waiting their turn in an ordered upgrade
// keep reading the old one, which is deleted once no workload refers to it.
type ConfigMap struct {
	Name string
	Data map[string]string
}

// NodeSet is one entry of spec.nodes with everything needed to build its objects.
type NodeSet struct {
	Name, NodeType string
	// Kind is KindStatefulSet or KindDeployment.
	Kind     string
	Replicas int32
	// Container is the main container: image, command, ports, env, probes, resources, mounts.
	// Config and storage mounts are added by Build.
	Container corev1.Container
	// Pod holds pod-level settings: volumes, tolerations, node selector, service account, security context.
	Pod         corev1.PodSpec
	PodLabels   map[string]string
	Annotations map[string]string
	// Service is the client Service; nil means one ClusterIP Service over the container ports.
	Service *corev1.ServiceSpec
	Storage []Storage
	Files   []File
	// Gates are the node type's health gates (gates.go); GateAddress, when set, is the
	// address (host:port or a URL) they call instead of the pods or the Service.
	Gates       []Gate
	GateAddress string
	// MinReplicas is the floor a scale-down stops at (0: none); spec.stopped still stops.
	MinReplicas int32
	// DeleteClaimsWhenScaled, for a StatefulSet, deletes the claims of the pods a scale-down
	// removes (the retention policy's whenScaled Delete); they are kept otherwise.
	DeleteClaimsWhenScaled bool
	// Decommission, for a StatefulSet, drains each pod a scale-down removes (drain.go).
	Decommission *Decommission
}

// Storage is a persistent volume of a node set: a volumeClaimTemplate of a StatefulSet, or
// one claim shared by the pods of a Deployment.
type Storage struct {
	Name, MountPath string
	Spec            corev1.PersistentVolumeClaimSpec
}

// File is one config file mounted into a node set, taken from a key of a ConfigMap.
type File struct {
	ConfigMap, Key, FileName, MountPath string
}

// ObjectName is the name of a node set's workload, client Service and PDB.
func ObjectName(instance, nodeSet string) string { return instance + "-" + nodeSet }

// HeadlessName is the name of a StatefulSet node set's headless Service.
func HeadlessName(instance, nodeSet string) string {
	return ObjectName(instance, nodeSet) + "-headless"
}

// ClaimName is the name of the claim a Deployment node set's pods share for one storage entry.
func ClaimName(instance, nodeSet, storage string) string {
	return ObjectName(instance, nodeSet) + "-" + storage
}

// Objects are the objects of one node set, in the order they are applied.
type Objects struct {
	Services []*corev1.Service
	// Claims are the shared claims of a Deployment node set (StatefulSets get one per pod from
	// their volumeClaimTemplates instead).
	Claims []*corev1.PersistentVolumeClaim
	// Exactly one of StatefulSet and Deployment is set.
	StatefulSet *appsv1.StatefulSet
	Deployment  *appsv1.Deployment
	PDB         *policyv1.PodDisruptionBudget
}

// BuildConfigMaps returns the cluster's ConfigMaps, sorted by name.
func BuildConfigMaps(c *Cluster) []*corev1.ConfigMap {
	out := make([]*corev1.ConfigMap, 0, len(c.ConfigMaps))
	for _, cm := range c.ConfigMaps {
		out = append(out, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName(cm), Namespace: c.Namespace, Labels: InstanceLabels(c.App, c.Instance)},
			Data:       cm.Data,
			Immutable:  ptr.To(true),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Build returns the objects of one node set. configHash is ConfigHash of the node set's files.
func Build(c *Cluster, ns *NodeSet, configHash string) (*Objects, error) {
	name := ObjectName(c.Instance, ns.Name)
	labels := Labels(c.App, c.Instance, ns.Name, ns.NodeType)
	selector := Selector(c.Instance, ns.Name)
	meta := metav1.ObjectMeta{Name: name, Namespace: c.Namespace, Labels: labels}

	template, err := podTemplate(c, ns, labels, configHash)
	if err != nil {
		return nil, err
	}
	replicas := ns.Replicas
	if c.Stopped {
		replicas = 0
	}
	objs := &Objects{Services: []*corev1.Service{clientService(meta, ns, selector)}}
	switch ns.Kind {
	case KindStatefulSet:
		headless := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: HeadlessName(c.Instance, ns.Name), Namespace: c.Namespace, Labels: labels},
			Spec: corev1.ServiceSpec{
				ClusterIP:                corev1.ClusterIPNone,
				Selector:                 selector,
				Ports:                    servicePorts(ns.Container.Ports),
				PublishNotReadyAddresses: true,
			},
		}
		objs.Services = append(objs.Services, headless)
		sts := &appsv1.StatefulSet{
			ObjectMeta: meta,
			Spec: appsv1.StatefulSetSpec{
				Replicas:            ptr.To(replicas),
				Selector:            &metav1.LabelSelector{MatchLabels: selector},
				ServiceName:         headless.Name,
				Template:            template,
				PodManagementPolicy: appsv1.ParallelPodManagement,
				UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			},
		}
		if ns.DeleteClaimsWhenScaled {
			// Never WhenDeleted Delete: a StatefulSet deleted to be recreated keeps its claims.
			sts.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
			}
		}
		for _, s := range ns.Storage {
			sts.Spec.VolumeClaimTemplates = append(sts.Spec.VolumeClaimTemplates, corev1.PersistentVolumeClaim{
				ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: labels},
				Spec:       s.Spec,
			})
		}
		objs.StatefulSet = sts
	case KindDeployment:
		// A Deployment's pods share one claim per storage entry.
		for _, s := range ns.Storage {
			claim := &corev1.PersistentVolumeClaim{
				ObjectMeta: metav1.ObjectMeta{Name: ClaimName(c.Instance, ns.Name, s.Name), Namespace: c.Namespace, Labels: labels},
				Spec:       s.Spec,
			}
			objs.Claims = append(objs.Claims, claim)
			template.Spec.Volumes = append(template.Spec.Volumes, corev1.Volume{Name: s.Name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim.Name},
			}})
		}
		objs.Deployment = &appsv1.Deployment{
			ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(replicas),
				Selector: &metav1.LabelSelector{MatchLabels: selector},
				Template: template,
			},
		}
		if sharesSingleWriterClaim(ns) {
			// A rolling update would start the new pod beside the old one, on another node
			// (Multi-Attach) or on the same volume (two writers): the old pod goes first.
			objs.Deployment.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
		}
	default:
		return nil, fmt.Errorf("node set %q: unknown kind %q (want StatefulSet or Deployment)", ns.Name, ns.Kind)
	}
	if !c.DisablePDB {
		objs.PDB = &policyv1.PodDisruptionBudget{
			ObjectMeta: meta,
			Spec: policyv1.PodDisruptionBudgetSpec{
				Selector:       &metav1.LabelSelector{MatchLabels: selector},
				MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			},
		}
	}
	return objs, nil
}

// sharesSingleWriterClaim reports whether a Deployment node set mounts a shared claim that
// only one node's pods can write to.
func sharesSingleWriterClaim(ns *NodeSet) bool {
	for _, s := range ns.Storage {
		if SingleWriter(s.Spec) {
			return true
		}
	}
	return false
}

func clientService(meta metav1.ObjectMeta, ns *NodeSet, selector map[string]string) *corev1.Service {
	svc := &corev1.Service{ObjectMeta: meta}
	if ns.Service != nil {
		svc.Spec = *ns.Service.DeepCopy()
	}
	if svc.Spec.Type == "" {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
	}
	if len(svc.Spec.Ports) == 0 {
		svc.Spec.Ports = servicePorts(ns.Container.Ports)
	}
	svc.Spec.Selector = selector
	return svc
}

func servicePorts(ports []corev1.ContainerPort) []corev1.ServicePort {
	out := make([]corev1.ServicePort, 0, len(ports))
	for _, p := range ports {
		protocol := p.Protocol
		if protocol == "" {
			protocol = corev1.ProtocolTCP
		}
		out = append(out, corev1.ServicePort{
			Name: p.Name, Port: p.ContainerPort, TargetPort: intstr.FromInt32(p.ContainerPort), Protocol: protocol,
		})
	}
	return out
}

func podTemplate(c *Cluster, ns *NodeSet, labels map[string]string, configHash string) (corev1.PodTemplateSpec, error) {
	pod := *ns.Pod.DeepCopy()
	container := *ns.Container.DeepCopy()
	if container.Name == "" {
		container.Name = ns.NodeType
	}
	for _, p := range []*corev1.Probe{container.LivenessProbe, container.ReadinessProbe, container.StartupProbe} {
		defaultProbe(p)
	}
	volumes, mounts, err := configVolumes(ns.Files, configMapObjectNames(c))
	if err != nil {
		return corev1.PodTemplateSpec{}, fmt.Errorf("node set %q: %w", ns.Name, err)
	}
	for _, s := range ns.Storage {
		mounts = append(mounts, corev1.VolumeMount{Name: s.Name, MountPath: s.MountPath})
	}
	pod.Volumes = append(pod.Volumes, volumes...)
	container.VolumeMounts = append(container.VolumeMounts, mounts...)
	pod.Containers = []corev1.Container{container}

	annotations := merged(ns.Annotations, nil)
	if configHash != "" {
		annotations[AnnotationConfigHash] = configHash
	}
	if len(annotations) == 0 {
		annotations = nil
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: merged(ns.PodLabels, labels), Annotations: annotations},
		Spec:       pod,
	}, nil
}

// configVolumes mounts config files: one projected volume per directory, so several files
// in one directory (even from different ConfigMaps) work, and a file never hides its siblings.
func configVolumes(files []File, names map[string]string) ([]corev1.Volume, []corev1.VolumeMount, error) {
	byDir := map[string][]File{}
	for _, f := range files {
		if !path.IsAbs(f.MountPath) {
			return nil, nil, fmt.Errorf("config file %q: mountPath %q is not absolute", f.FileName, f.MountPath)
		}
		if _, ok := names[f.ConfigMap]; !ok {
			return nil, nil, fmt.Errorf("config file %q: the cluster has no ConfigMap %q", f.FileName, f.ConfigMap)
		}
		dir := path.Clean(f.MountPath)
		byDir[dir] = append(byDir[dir], f)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	var volumes []corev1.Volume
	var mounts []corev1.VolumeMount
	for i, dir := range dirs {
		name := fmt.Sprintf("dsoi-config-%d", i)
		var sources []corev1.VolumeProjection
		for _, f := range byDir[dir] {
			sources = append(sources, corev1.VolumeProjection{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: names[f.ConfigMap]},
				Items:                []corev1.KeyToPath{{Key: f.Key, Path: f.FileName}},
			}})
		}
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			Projected: &corev1.ProjectedVolumeSource{Sources: sources},
		}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: dir, ReadOnly: true})
	}
	return volumes, mounts, nil
}

// ConfigMapName is the name of a ConfigMap's object: its base name and a hash of its data.
func ConfigMapName(cm ConfigMap) string {
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(cm.Data[k]), cm.Data[k])
	}
	return cm.Name + "-" + hex.EncodeToString(h.Sum(nil))[:10]
}

// configMapNames maps base names to object names.
func configMapObjectNames(c *Cluster) map[string]string {
	names := make(map[string]string, len(c.ConfigMaps))
	for _, cm := range c.ConfigMaps {
		names[cm.Name] = ConfigMapName(cm)
	}
	return names
}

// FileKey is the ConfigMap key of a config file: its name with characters that ConfigMap
// keys do not allow replaced.
func FileKey(fileName string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, fileName)
}

// defaultProbe sets the probe fields the API server would default. Comparisons with the live
// object treat unset strings and pointers as "any value", but a zero number as a value, so
// without this every reconcile would see a difference and write.
func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	for _, f := range []struct {
		field *int32
		value int32
	}{{&p.TimeoutSeconds, 1}, {&p.PeriodSeconds, 10}, {&p.SuccessThreshold, 1}, {&p.FailureThreshold, 3}} {
		if *f.field == 0 {
			*f.field = f.value
		}
	}
}
