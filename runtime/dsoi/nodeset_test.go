package dsoi

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Unit tests of Build, BuildConfigMaps, Selector and FileKey: no API server needed.

// testCluster is a small Pinot-like cluster: a StatefulSet node set with storage and two
// config files in one directory (from two ConfigMaps), and a Deployment node set with one file.
func testCluster(namespace string) *Cluster {
	return &Cluster{
		App: "pinot", Instance: "basic", Namespace: namespace,
		ConfigMaps: []ConfigMap{
			{Name: "basic-controller-conf", Data: map[string]string{"controller.conf": "controller.port=9000\n", "unused.conf": "x=1\n"}},
			{Name: "basic-common", Data: map[string]string{"log4j2.xml": "<Configuration/>\n"}},
		},
		NodeSets: []NodeSet{
			{
				Name: "controller", NodeType: "controller", Kind: KindStatefulSet, Replicas: 3,
				Container: corev1.Container{
					Image: "apachepinot/pinot:1.0.0",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9000}},
					Env:   []corev1.EnvVar{{Name: "JAVA_OPTS", Value: "-Xmx1g"}, {Name: "LOG_LEVEL", Value: "info"}},
					// Probe numbers left unset: Build must fill the API server's defaults.
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
						HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromString("http")},
					}},
				},
				Storage: []Storage{{Name: "data", MountPath: "/var/pinot/controller/data", Spec: pvcSpec("1Gi")}},
				Files: []File{
					{ConfigMap: "basic-controller-conf", Key: "controller.conf", FileName: "pinot-controller.conf", MountPath: "/var/pinot/config"},
					{ConfigMap: "basic-common", Key: "log4j2.xml", FileName: "log4j2.xml", MountPath: "/var/pinot/config"},
				},
			},
			{
				Name: "broker", NodeType: "broker", Kind: KindDeployment, Replicas: 2,
				Container: corev1.Container{
					Image: "apachepinot/pinot:1.0.0",
					Ports: []corev1.ContainerPort{{Name: "query", ContainerPort: 8099}},
				},
				Files: []File{{ConfigMap: "basic-common", Key: "log4j2.xml", FileName: "log4j2.xml", MountPath: "/var/pinot/log"}},
			},
		},
	}
}

func pvcSpec(size string) corev1.PersistentVolumeClaimSpec {
	return corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
	}
}

// build builds node set i of c the way Reconcile does: config hash first, then Build.
func build(t *testing.T, c *Cluster, i int) *Objects {
	t.Helper()
	hash, err := ConfigHash(c, &c.NodeSets[i])
	if err != nil {
		t.Fatalf("ConfigHash(%s): %v", c.NodeSets[i].Name, err)
	}
	objs, err := Build(c, &c.NodeSets[i], hash)
	if err != nil {
		t.Fatalf("Build(%s): %v", c.NodeSets[i].Name, err)
	}
	return objs
}

func assertMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestBuildStatefulSet(t *testing.T) {
	c := testCluster("ns1")
	objs := build(t, c, 0)
	wantLabels := map[string]string{
		LabelName: "pinot", LabelInstance: "basic", LabelNodeSet: "controller",
		LabelComponent: "controller", LabelManagedBy: "pinot-operator",
	}
	wantSelector := map[string]string{LabelInstance: "basic", LabelNodeSet: "controller"}

	if objs.Deployment != nil {
		t.Error("a StatefulSet node set also built a Deployment")
	}
	sts := objs.StatefulSet
	if sts == nil {
		t.Fatal("no StatefulSet built")
	}
	if sts.Name != "basic-controller" || sts.Namespace != "ns1" {
		t.Errorf("StatefulSet is %s/%s, want ns1/basic-controller", sts.Namespace, sts.Name)
	}
	assertMap(t, "StatefulSet labels", sts.Labels, wantLabels)
	assertMap(t, "StatefulSet selector", sts.Spec.Selector.MatchLabels, wantSelector)
	assertMap(t, "pod template labels", sts.Spec.Template.Labels, wantLabels)
	if *sts.Spec.Replicas != 3 {
		t.Errorf("replicas = %d, want 3", *sts.Spec.Replicas)
	}
	if sts.Spec.ServiceName != "basic-controller-headless" {
		t.Errorf("serviceName = %q, want the headless Service basic-controller-headless", sts.Spec.ServiceName)
	}
	if sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("podManagementPolicy = %q, want Parallel", sts.Spec.PodManagementPolicy)
	}
	if sts.Spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType {
		t.Errorf("updateStrategy = %q, want RollingUpdate", sts.Spec.UpdateStrategy.Type)
	}

	// Storage becomes a volumeClaimTemplate, mounted into the container.
	if n := len(sts.Spec.VolumeClaimTemplates); n != 1 {
		t.Fatalf("%d volumeClaimTemplates, want 1", n)
	}
	vct := sts.Spec.VolumeClaimTemplates[0]
	if vct.Name != "data" {
		t.Errorf("volumeClaimTemplate name = %q, want data", vct.Name)
	}
	assertMap(t, "volumeClaimTemplate labels", vct.Labels, wantLabels)
	if got := vct.Spec.Resources.Requests[corev1.ResourceStorage]; got.String() != "1Gi" {
		t.Errorf("volumeClaimTemplate size = %s, want 1Gi", got.String())
	}
	container := sts.Spec.Template.Spec.Containers[0]
	if m := findMount(container.VolumeMounts, "data"); m == nil || m.MountPath != "/var/pinot/controller/data" || m.ReadOnly {
		t.Errorf("storage mount = %+v, want data read-write at /var/pinot/controller/data", m)
	}
	if container.Name != "controller" {
		t.Errorf("container name = %q, want the node type when unset", container.Name)
	}

	// A client Service and a headless one, both over the node set's pods only.
	if n := len(objs.Services); n != 2 {
		t.Fatalf("%d Services, want client + headless", n)
	}
	client, headless := objs.Services[0], objs.Services[1]
	if client.Name != "basic-controller" || client.Spec.Type != corev1.ServiceTypeClusterIP || client.Spec.ClusterIP != "" {
		t.Errorf("client Service = %s type %q clusterIP %q, want basic-controller, ClusterIP, unassigned", client.Name, client.Spec.Type, client.Spec.ClusterIP)
	}
	if headless.Name != "basic-controller-headless" || headless.Namespace != "ns1" {
		t.Errorf("headless Service = %s/%s", headless.Namespace, headless.Name)
	}
	if headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("headless clusterIP = %q, want None", headless.Spec.ClusterIP)
	}
	if !headless.Spec.PublishNotReadyAddresses {
		t.Error("headless Service does not publish not-ready addresses: pods could not find each other while starting")
	}
	for _, svc := range objs.Services {
		assertMap(t, svc.Name+" selector", svc.Spec.Selector, wantSelector)
		assertMap(t, svc.Name+" labels", svc.Labels, wantLabels)
		want := []corev1.ServicePort{{Name: "http", Port: 9000, TargetPort: intstr.FromInt32(9000), Protocol: corev1.ProtocolTCP}}
		if !equalPorts(svc.Spec.Ports, want) {
			t.Errorf("%s ports = %+v, want %+v", svc.Name, svc.Spec.Ports, want)
		}
	}

	// The PDB allows one pod down at a time.
	pdb := objs.PDB
	if pdb == nil {
		t.Fatal("no PodDisruptionBudget built")
	}
	if pdb.Name != "basic-controller" || pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != intstr.FromInt32(1) || pdb.Spec.MinAvailable != nil {
		t.Errorf("PDB %s maxUnavailable %v minAvailable %v, want basic-controller, 1, unset", pdb.Name, pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable)
	}
	assertMap(t, "PDB selector", pdb.Spec.Selector.MatchLabels, wantSelector)
}

func TestBuildDeployment(t *testing.T) {
	c := testCluster("ns1")
	objs := build(t, c, 1)
	wantSelector := map[string]string{LabelInstance: "basic", LabelNodeSet: "broker"}

	if objs.StatefulSet != nil {
		t.Error("a Deployment node set also built a StatefulSet")
	}
	d := objs.Deployment
	if d == nil {
		t.Fatal("no Deployment built")
	}
	if d.Name != "basic-broker" || d.Namespace != "ns1" || *d.Spec.Replicas != 2 {
		t.Errorf("Deployment %s/%s replicas %d, want ns1/basic-broker replicas 2", d.Namespace, d.Name, *d.Spec.Replicas)
	}
	assertMap(t, "Deployment selector", d.Spec.Selector.MatchLabels, wantSelector)
	if d.Labels[LabelComponent] != "broker" || d.Spec.Template.Labels[LabelComponent] != "broker" {
		t.Errorf("component label = %q/%q, want broker", d.Labels[LabelComponent], d.Spec.Template.Labels[LabelComponent])
	}
	// No headless Service: Deployment pods have no stable identity to publish.
	if n := len(objs.Services); n != 1 || objs.Services[0].Name != "basic-broker" || objs.Services[0].Spec.ClusterIP == corev1.ClusterIPNone {
		t.Errorf("Services = %v, want only the client Service basic-broker", serviceNames(objs.Services))
	}
	assertMap(t, "client Service selector", objs.Services[0].Spec.Selector, wantSelector)
	if objs.PDB == nil || objs.PDB.Name != "basic-broker" {
		t.Errorf("PDB = %v, want basic-broker", objs.PDB)
	}
}

// A Deployment's storage is one claim per entry, shared by its pods and mounted by name.
func TestBuildDeploymentStorage(t *testing.T) {
	c := testCluster("ns1")
	c.NodeSets[1].Storage = []Storage{{Name: "staging", MountPath: "/staging", Spec: pvcSpec("5Gi")}}
	objs := build(t, c, 1)
	if len(objs.Claims) != 1 {
		t.Fatalf("%d claims, want 1", len(objs.Claims))
	}
	claim := objs.Claims[0]
	if claim.Name != "basic-broker-staging" || claim.Namespace != "ns1" || claim.Labels[LabelNodeSet] != "broker" {
		t.Errorf("claim %s/%s labels %v", claim.Namespace, claim.Name, claim.Labels)
	}
	if got := claim.Spec.Resources.Requests.Storage().String(); got != "5Gi" {
		t.Errorf("claim size %s, want 5Gi", got)
	}
	pod := objs.Deployment.Spec.Template.Spec
	var vol *corev1.Volume
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == "staging" {
			vol = &pod.Volumes[i]
		}
	}
	if vol == nil || vol.PersistentVolumeClaim == nil || vol.PersistentVolumeClaim.ClaimName != claim.Name {
		t.Fatalf("pod volumes %v: want staging from claim %s", volumeNames(pod.Volumes), claim.Name)
	}
	if m := findMount(pod.Containers[0].VolumeMounts, "staging"); m == nil || m.MountPath != "/staging" || m.ReadOnly {
		t.Errorf("staging mount = %+v, want read-write at /staging", m)
	}
	// StatefulSets keep per-pod claims from their templates, never shared ones.
	if objs := build(t, c, 0); len(objs.Claims) != 0 {
		t.Errorf("a StatefulSet node set built %d shared claims", len(objs.Claims))
	}
}

func TestBuildErrors(t *testing.T) {
	tests := map[string]struct {
		edit func(*NodeSet)
		want string
	}{
		"unknown kind":           {edit: func(ns *NodeSet) { ns.Kind = "DaemonSet" }, want: `unknown kind "DaemonSet"`},
		"empty kind":             {edit: func(ns *NodeSet) { ns.Kind = "" }, want: "unknown kind"},
		"relative file location": {edit: func(ns *NodeSet) { ns.Files[0].MountPath = "etc/config" }, want: "is not absolute"},
		// Without it the pod would mount a ConfigMap with no name.
		"file of an unknown ConfigMap": {edit: func(ns *NodeSet) { ns.Files[0].ConfigMap = "nope" }, want: `ConfigMap "nope"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := testCluster("ns1")
			tt.edit(&c.NodeSets[0])
			objs, err := Build(c, &c.NodeSets[0], "")
			if err == nil {
				t.Fatalf("Build succeeded (%+v), want an error containing %q", objs, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"controller"`) {
				t.Errorf("error %q should contain %q and name the node set", err, tt.want)
			}
		})
	}
}

func TestBuildStoppedAndDisablePDB(t *testing.T) {
	for i, kind := range []string{KindStatefulSet, KindDeployment} {
		t.Run(kind, func(t *testing.T) {
			c := testCluster("ns1")
			c.Stopped, c.DisablePDB = true, true
			objs := build(t, c, i)
			if got := workloadReplicas(objs); got != 0 {
				t.Errorf("replicas of a stopped cluster = %d, want 0", got)
			}
			if objs.PDB != nil {
				t.Errorf("PDB built although DisablePDB is set: %v", objs.PDB.Name)
			}
			// Stopping keeps every other object, so nothing is lost.
			if len(objs.Services) == 0 {
				t.Error("a stopped node set lost its Services")
			}
		})
	}
}

func TestBuildPodMetadataCannotOverrideSelector(t *testing.T) {
	c := testCluster("ns1")
	ns := &c.NodeSets[0]
	ns.PodLabels = map[string]string{LabelInstance: "other", LabelNodeSet: "other", LabelName: "other", "team": "data"}
	ns.Annotations = map[string]string{"prometheus.io/scrape": "true", AnnotationConfigHash: "forged"}
	hash, err := ConfigHash(c, ns)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Build(c, ns, hash)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := objs.StatefulSet.Spec.Template
	sel := labels.SelectorFromSet(objs.StatefulSet.Spec.Selector.MatchLabels)
	if !sel.Matches(labels.Set(tmpl.Labels)) {
		t.Errorf("selector %s does not match the pod labels %v: the API server would refuse the StatefulSet", sel, tmpl.Labels)
	}
	if tmpl.Labels[LabelName] != "pinot" || tmpl.Labels["team"] != "data" {
		t.Errorf("pod labels = %v, want operator labels to win and extra labels kept", tmpl.Labels)
	}
	if tmpl.Annotations["prometheus.io/scrape"] != "true" {
		t.Errorf("pod annotations = %v, want the node set's annotations", tmpl.Annotations)
	}
	if tmpl.Annotations[AnnotationConfigHash] != hash {
		t.Errorf("config-hash annotation = %q, want the computed %q", tmpl.Annotations[AnnotationConfigHash], hash)
	}
	// Build must not write into the caller's node set.
	if ns.Annotations[AnnotationConfigHash] != "forged" || len(ns.Container.VolumeMounts) != 0 || len(ns.Pod.Volumes) != 0 {
		t.Errorf("Build modified its input: annotations %v, mounts %v, volumes %v", ns.Annotations, ns.Container.VolumeMounts, ns.Pod.Volumes)
	}
}

func TestBuildConfigHashAnnotation(t *testing.T) {
	c := testCluster("ns1")
	objs, err := Build(c, &c.NodeSets[1], "")
	if err != nil {
		t.Fatal(err)
	}
	if a := objs.Deployment.Spec.Template.Annotations; a != nil {
		t.Errorf("pod annotations = %v, want none without a config hash", a)
	}
	objs, err = Build(c, &c.NodeSets[1], "abc123")
	if err != nil {
		t.Fatal(err)
	}
	if got := objs.Deployment.Spec.Template.Annotations[AnnotationConfigHash]; got != "abc123" {
		t.Errorf("config-hash annotation = %q, want abc123", got)
	}
}

func TestBuildConfigVolumes(t *testing.T) {
	type mount struct {
		dir   string
		files []string // "configMap/key=fileName", in order
	}
	tests := map[string]struct {
		files []File
		want  []mount
	}{
		"two ConfigMaps, one directory": {
			files: []File{
				{ConfigMap: "a", Key: "a.conf", FileName: "app.conf", MountPath: "/etc/app"},
				{ConfigMap: "b", Key: "log4j2.xml", FileName: "log4j2.xml", MountPath: "/etc/app/"}, // same dir, cleaned
			},
			want: []mount{{dir: "/etc/app", files: []string{"a/a.conf=app.conf", "b/log4j2.xml=log4j2.xml"}}},
		},
		"two directories": {
			files: []File{
				{ConfigMap: "a", Key: "a.conf", FileName: "app.conf", MountPath: "/etc/b"},
				{ConfigMap: "a", Key: "log", FileName: "log.xml", MountPath: "/etc/a"},
			},
			want: []mount{
				{dir: "/etc/a", files: []string{"a/log=log.xml"}},
				{dir: "/etc/b", files: []string{"a/a.conf=app.conf"}},
			},
		},
		"no files": {},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := testCluster("ns1")
			c.ConfigMaps = []ConfigMap{
				{Name: "a", Data: map[string]string{"a.conf": "x=1\n", "log": "<log/>"}},
				{Name: "b", Data: map[string]string{"log4j2.xml": "<Configuration/>"}},
			}
			// Pods mount the ConfigMap objects, named after base name and data.
			objectName := map[string]string{"a": ConfigMapName(c.ConfigMaps[0]), "b": ConfigMapName(c.ConfigMaps[1])}
			ns := &c.NodeSets[1]
			ns.Files = tt.files
			// A volume of the user's own must survive next to the config volumes.
			ns.Pod.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			ns.Container.VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/tmp"}}
			objs, err := Build(c, ns, "")
			if err != nil {
				t.Fatal(err)
			}
			pod := objs.Deployment.Spec.Template.Spec
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(pod.Containers))
			}
			mounts := pod.Containers[0].VolumeMounts
			if len(pod.Volumes) != 1+len(tt.want) || len(mounts) != 1+len(tt.want) {
				t.Fatalf("volumes %v and mounts %v, want scratch plus %d config volumes", volumeNames(pod.Volumes), mounts, len(tt.want))
			}
			if pod.Volumes[0].Name != "scratch" || mounts[0].Name != "scratch" {
				t.Errorf("the node set's own volume was not kept first: %v", volumeNames(pod.Volumes))
			}
			for i, want := range tt.want {
				v, m := pod.Volumes[1+i], mounts[1+i]
				if m.Name != v.Name || m.MountPath != want.dir || !m.ReadOnly {
					t.Errorf("mount %+v of volume %s, want it read-only at %s", m, v.Name, want.dir)
				}
				if v.Projected == nil {
					t.Fatalf("volume %s is not a projected volume: %+v", v.Name, v.VolumeSource)
				}
				var got []string
				for _, src := range v.Projected.Sources {
					if src.ConfigMap == nil || len(src.ConfigMap.Items) != 1 {
						t.Fatalf("projection %+v, want one ConfigMap item per file", src)
					}
					it := src.ConfigMap.Items[0]
					got = append(got, src.ConfigMap.Name+"/"+it.Key+"="+it.Path)
				}
				var wantFiles []string
				for _, f := range want.files {
					base, rest, _ := strings.Cut(f, "/")
					wantFiles = append(wantFiles, objectName[base]+"/"+rest)
				}
				if strings.Join(got, " ") != strings.Join(wantFiles, " ") {
					t.Errorf("volume at %s projects %v, want %v", want.dir, got, wantFiles)
				}
			}
		})
	}
}

func TestBuildProbeDefaults(t *testing.T) {
	c := testCluster("ns1")
	ns := &c.NodeSets[1]
	handler := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromInt32(8099)}}
	ns.Container.ReadinessProbe = &corev1.Probe{ProbeHandler: handler}
	ns.Container.LivenessProbe = &corev1.Probe{ProbeHandler: handler, TimeoutSeconds: 5, PeriodSeconds: 30, FailureThreshold: 6}
	objs := build(t, c, 1)
	container := objs.Deployment.Spec.Template.Spec.Containers[0]

	// The values the API server would default, so a built probe equals the live one.
	want := corev1.Probe{TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
	if got := *container.ReadinessProbe; got.TimeoutSeconds != want.TimeoutSeconds || got.PeriodSeconds != want.PeriodSeconds ||
		got.SuccessThreshold != want.SuccessThreshold || got.FailureThreshold != want.FailureThreshold {
		t.Errorf("readiness probe = %+v, want the API server defaults %+v", got, want)
	}
	if got := *container.LivenessProbe; got.TimeoutSeconds != 5 || got.PeriodSeconds != 30 || got.SuccessThreshold != 1 || got.FailureThreshold != 6 {
		t.Errorf("liveness probe = %+v, want set values kept and only successThreshold defaulted", got)
	}
	if container.StartupProbe != nil {
		t.Error("a startup probe appeared from nowhere")
	}
	if ns.Container.ReadinessProbe.TimeoutSeconds != 0 {
		t.Error("Build defaulted the probe of its input node set")
	}
}

func TestBuildServicePorts(t *testing.T) {
	c := testCluster("ns1")
	ns := &c.NodeSets[1]
	ns.Container.Ports = []corev1.ContainerPort{
		{Name: "query", ContainerPort: 8099},
		{Name: "gossip", ContainerPort: 7946, Protocol: corev1.ProtocolUDP},
	}
	objs := build(t, c, 1)
	want := []corev1.ServicePort{
		{Name: "query", Port: 8099, TargetPort: intstr.FromInt32(8099), Protocol: corev1.ProtocolTCP},
		{Name: "gossip", Port: 7946, TargetPort: intstr.FromInt32(7946), Protocol: corev1.ProtocolUDP},
	}
	if got := objs.Services[0].Spec.Ports; !equalPorts(got, want) {
		t.Errorf("ports = %+v, want %+v", got, want)
	}

	// A Service spec of the node set's own is used as given, except for the selector.
	ns.Service = &corev1.ServiceSpec{
		Type:     corev1.ServiceTypeNodePort,
		Ports:    []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromString("query")}},
		Selector: map[string]string{"app": "anything"},
	}
	objs = build(t, c, 1)
	svc := objs.Services[0]
	if svc.Spec.Type != corev1.ServiceTypeNodePort || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "web" {
		t.Errorf("client Service spec = %+v, want the node set's NodePort spec", svc.Spec)
	}
	assertMap(t, "selector", svc.Spec.Selector, Selector("basic", "broker"))
	if ns.Service.Selector["app"] != "anything" {
		t.Error("Build modified the node set's Service spec")
	}
}

// Selectors are {instance, node-set}: two node sets, of one CR or of two, never select each
// other's pods, even when their object names collide.
func TestSelectorsNeverOverlap(t *testing.T) {
	type set struct{ instance, nodeSet string }
	sets := []set{
		{"basic", "controller"}, {"basic", "broker"}, {"basic", "broker-2"},
		{"other", "controller"}, {"a-b", "c"}, {"a", "b-c"}, {"basic-broker", "x"},
	}
	for _, a := range sets {
		for _, b := range sets {
			pods := labels.Set(Labels("pinot", b.instance, b.nodeSet, "type"))
			matches := labels.SelectorFromSet(Selector(a.instance, a.nodeSet)).Matches(pods)
			if matches != (a == b) {
				t.Errorf("selector of %v matches pods of %v: %v, want %v", a, b, matches, a == b)
			}
		}
	}
	if s := Selector("basic", "broker"); len(s) != 2 {
		t.Errorf("selector %v has more than instance and node set: it would change when other labels do", s)
	}
}

func TestBuildConfigMaps(t *testing.T) {
	c := testCluster("ns1")
	cms := BuildConfigMaps(c)
	if len(cms) != 2 || !strings.HasPrefix(cms[0].Name, "basic-common-") || !strings.HasPrefix(cms[1].Name, "basic-controller-conf-") {
		t.Fatalf("ConfigMaps = %v, want basic-common-<hash> and basic-controller-conf-<hash>, sorted", configMapNames(cms))
	}
	for i, cm := range cms {
		if cm.Namespace != "ns1" {
			t.Errorf("%s namespace = %q", cm.Name, cm.Namespace)
		}
		if want := ConfigMapName(c.ConfigMaps[1-i]); cm.Name != want {
			t.Errorf("ConfigMap %s, want ConfigMapName %s", cm.Name, want)
		}
		if cm.Immutable == nil || !*cm.Immutable {
			t.Errorf("%s is not immutable: a change of its data must make a new ConfigMap", cm.Name)
		}
		assertMap(t, cm.Name+" labels", cm.Labels, InstanceLabels("pinot", "basic"))
	}
	assertMap(t, "data", cms[1].Data, c.ConfigMaps[0].Data)

	// The pods mount the objects by their hashed names.
	want := []string{cms[0].Name, cms[1].Name}
	var got []string
	for _, v := range build(t, c, 0).StatefulSet.Spec.Template.Spec.Volumes {
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				got = append(got, src.ConfigMap.Name)
			}
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("StatefulSet projects ConfigMaps %v, want %v", got, want)
	}
}

func TestConfigMapName(t *testing.T) {
	base := ConfigMap{Name: "conf", Data: map[string]string{"a": "1", "b": "2"}}
	name := ConfigMapName(base)
	if !regexp.MustCompile(`^conf-[0-9a-f]{10}$`).MatchString(name) {
		t.Fatalf("ConfigMapName = %q, want conf-<10 hex characters>", name)
	}
	tests := map[string]struct {
		cm      ConfigMap
		changes bool
	}{
		"same data, built again": {cm: ConfigMap{Name: "conf", Data: map[string]string{"b": "2", "a": "1"}}},
		"value changed":          {cm: ConfigMap{Name: "conf", Data: map[string]string{"a": "1", "b": "3"}}, changes: true},
		"key added":              {cm: ConfigMap{Name: "conf", Data: map[string]string{"a": "1", "b": "2", "c": ""}}, changes: true},
		"key removed":            {cm: ConfigMap{Name: "conf", Data: map[string]string{"a": "1"}}, changes: true},
		"key renamed":            {cm: ConfigMap{Name: "conf", Data: map[string]string{"a": "1", "c": "2"}}, changes: true},
		// Lengths are part of the hash: moving characters between key and value changes it.
		"boundary moved": {cm: ConfigMap{Name: "conf", Data: map[string]string{"a": "1", "b2": ""}}, changes: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := ConfigMapName(tt.cm)
			if changed := got != ConfigMapName(base); changed != tt.changes {
				t.Errorf("ConfigMapName %s -> %s: changed = %v, want %v", ConfigMapName(base), got, changed, tt.changes)
			}
		})
	}
	if other := ConfigMapName(ConfigMap{Name: "other", Data: base.Data}); other != "other"+strings.TrimPrefix(name, "conf") {
		t.Errorf("ConfigMapName of another base name = %q, want the same hash after it", other)
	}
}

func TestFileKey(t *testing.T) {
	tests := map[string]string{
		"pinot-controller.conf": "pinot-controller.conf",
		"log4j2_xml":            "log4j2_xml",
		"my config.yaml":        "my_config.yaml",
		"conf/app.properties":   "conf_app.properties",
		"a:b=c":                 "a_b_c",
		"café.txt":              "caf_.txt", // one rune, one replacement
		"":                      "",
	}
	for in, want := range tests {
		if got := FileKey(in); got != want {
			t.Errorf("FileKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func workloadReplicas(objs *Objects) int32 {
	if objs.StatefulSet != nil {
		return *objs.StatefulSet.Spec.Replicas
	}
	return *objs.Deployment.Spec.Replicas
}

func findMount(mounts []corev1.VolumeMount, name string) *corev1.VolumeMount {
	for i := range mounts {
		if mounts[i].Name == name {
			return &mounts[i]
		}
	}
	return nil
}

func equalPorts(got, want []corev1.ServicePort) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func serviceNames(svcs []*corev1.Service) []string {
	var out []string
	for _, s := range svcs {
		out = append(out, s.Name)
	}
	return out
}

func configMapNames(cms []*corev1.ConfigMap) []string {
	var out []string
	for _, cm := range cms {
		out = append(out, cm.Name)
	}
	return out
}

func volumeNames(vs []corev1.Volume) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}
