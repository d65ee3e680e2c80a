package e2e

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// get reads the CR.
func (s *suite) get(t testing.TB) CR {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(s.gvk)
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: s.name}, u); err != nil {
		t.Fatalf("get %s %s: %v", s.gvk.Kind, s.name, err)
	}
	return CR{u}
}

// edit changes the CR's spec (retrying on conflicts with the operator's status writes) and
// returns the new generation.
func (s *suite) edit(t testing.TB, mutate func(CR)) int64 {
	t.Helper()
	var gen int64
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cr := s.get(t)
		mutate(cr)
		if err := s.c.Update(s.ctx, cr.Unstructured); err != nil {
			return err
		}
		gen = cr.GetGeneration()
		return nil
	})
	if err != nil {
		t.Fatalf("update %s %s: %v", s.gvk.Kind, s.name, err)
	}
	return gen
}

// image is the sample's image of a k8sConfig entry with a suffix on its tag: every step
// changes images to new tags (KWOK pulls nothing, so any tag runs).
func (s *suite) image(k8sConfig, suffix string) string {
	img := s.sample.Image(k8sConfig)
	return withTag(img, tagOf(img)+"-"+suffix)
}

// cond returns "" when the condition has that status, else what it is.
func cond(cr CR, conditionType, status string) string {
	c, ok := cr.Condition(conditionType)
	switch {
	case !ok:
		return conditionType + " is not set"
	case c.Status != status:
		return fmt.Sprintf("%s=%s (%s: %s)", conditionType, c.Status, c.Reason, c.Message)
	}
	return ""
}

// settled returns "" when the status describes generation gen or later and says all is
// done: every node set Ready, Available, not Progressing, not Degraded, not paused.
func (s *suite) settled(cr CR, gen int64) string {
	if g := cr.GetGeneration(); g < gen {
		return fmt.Sprintf("generation %d, not yet %d", g, gen)
	}
	if og := cr.ObservedGeneration(); og != cr.GetGeneration() {
		return fmt.Sprintf("status.observedGeneration %d, generation %d", og, cr.GetGeneration())
	}
	for _, want := range [][2]string{{"Available", "True"}, {"Progressing", "False"}, {"Degraded", "False"}, {"ReconciliationPaused", "False"}} {
		if missing := cond(cr, want[0], want[1]); missing != "" {
			return missing
		}
	}
	status := cr.NodeSetStatus()
	nodes := cr.Nodes(s.app.AppConfigField())
	if len(status) != len(nodes) {
		return fmt.Sprintf("status.nodeSets has %d entries, spec.nodes %d", len(status), len(nodes))
	}
	for _, n := range nodes {
		if phase := str(status[n.Name], "phase"); phase != "Ready" {
			return fmt.Sprintf("node set %s is %q: %s", n.Name, phase, str(status[n.Name], "message"))
		}
	}
	if up, ok := cr.Upgrade(); ok && (up.Phase == "Progressing" || up.Phase == "Halted") {
		return "status.upgrade.phase is " + up.Phase
	}
	return ""
}

// upgradeDone returns "" when the upgrade to generation gen (or later) has completed and
// the cluster has settled.
func (s *suite) upgradeDone(cr CR, gen int64) string {
	up, ok := cr.Upgrade()
	switch {
	case !ok:
		return "no status.upgrade"
	case up.ToGeneration < gen:
		return fmt.Sprintf("status.upgrade is to generation %d, not %d (phase %s)", up.ToGeneration, gen, up.Phase)
	case up.Phase != "Completed":
		return fmt.Sprintf("status.upgrade.phase %s at node type %s: %s; %s", up.Phase, up.CurrentNodeType, up.Message, s.settled(cr, gen))
	}
	return s.settled(cr, gen)
}

// workload is what the tests read of a StatefulSet or Deployment.
type workload struct {
	Kind       string
	Labels     map[string]string
	Generation int64
	Replicas   int64
	Template   corev1.PodTemplateSpec
	// ClaimTemplates are the names of a StatefulSet's volumeClaimTemplates.
	ClaimTemplates []string
}

func (w *workload) Image() string {
	if len(w.Template.Spec.Containers) == 0 {
		return ""
	}
	return w.Template.Spec.Containers[0].Image
}

func (w *workload) ConfigHash() string { return w.Template.Annotations[annotationConfigHash] }

// workload reads a node set's workload.
func (s *suite) workload(kind, name string) (*workload, error) {
	key := client.ObjectKey{Namespace: s.ns, Name: name}
	switch kind {
	case "StatefulSet":
		var o appsv1.StatefulSet
		if err := s.c.Get(s.ctx, key, &o); err != nil {
			return nil, err
		}
		w := &workload{Kind: kind, Labels: o.Labels, Generation: o.Generation, Replicas: int64(ptrOr(o.Spec.Replicas, 1)), Template: o.Spec.Template}
		for _, c := range o.Spec.VolumeClaimTemplates {
			w.ClaimTemplates = append(w.ClaimTemplates, c.Name)
		}
		return w, nil
	case "Deployment":
		var o appsv1.Deployment
		if err := s.c.Get(s.ctx, key, &o); err != nil {
			return nil, err
		}
		return &workload{Kind: kind, Labels: o.Labels, Generation: o.Generation, Replicas: int64(ptrOr(o.Spec.Replicas, 1)), Template: o.Spec.Template}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

// snapshot reads the workloads of node sets, by node set name.
func (s *suite) snapshot(t testing.TB, nodes []Node) map[string]*workload {
	t.Helper()
	out := map[string]*workload{}
	for _, n := range nodes {
		w, err := s.workload(n.Kind, s.name+"-"+n.Name)
		if err != nil {
			t.Fatalf("node set %s: %v", n.Name, err)
		}
		out[n.Name] = w
	}
	return out
}

// checkNodeSets checks the objects of every node set against the CR.
func (s *suite) checkNodeSets(t *testing.T, cr CR) {
	t.Helper()
	for _, n := range cr.Nodes(s.app.AppConfigField()) {
		for _, problem := range s.checkNodeSet(cr, n) {
			t.Errorf("node set %s: %s", n.Name, problem)
		}
	}
}

// checkNodeSet returns what is wrong with one node set's objects.
func (s *suite) checkNodeSet(cr CR, n Node) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	name := s.name + "-" + n.Name
	w, err := s.workload(n.Kind, name)
	if err != nil {
		return []string{fmt.Sprintf("%s %s: %v", n.Kind, name, err)}
	}
	app := s.app.Metadata.Name
	labels := map[string]string{"app.kubernetes.io/instance": s.name, labelNodeSet: n.Name, "app.kubernetes.io/component": n.NodeType,
		"app.kubernetes.io/name": app, "app.kubernetes.io/managed-by": app + "-operator"}
	for k, v := range labels {
		if w.Labels[k] != v {
			bad("%s %s: label %s=%q, want %q", n.Kind, name, k, w.Labels[k], v)
		}
		if w.Template.Labels[k] != v {
			bad("pod template: label %s=%q, want %q", k, w.Template.Labels[k], v)
		}
	}
	if w.Replicas != n.Replicas {
		bad("%d replicas, want %d", w.Replicas, n.Replicas)
	}
	if len(w.Template.Spec.Containers) != 1 {
		return append(problems, fmt.Sprintf("%d containers, want 1", len(w.Template.Spec.Containers)))
	}
	ctr := w.Template.Spec.Containers[0]
	if want := cr.ImageOf(n); ctr.Image != want {
		bad("image %s, want %s", ctr.Image, want)
	}
	if len(s.app.FilesOf(n.NodeType)) > 0 && w.ConfigHash() == "" {
		bad("pod template has no %s annotation", annotationConfigHash)
	}
	problems = append(problems, s.checkConfigFiles(cr, n, w)...)
	problems = append(problems, s.checkStorage(cr, n, w)...)
	problems = append(problems, s.checkEnv(cr, n, ctr)...)

	svc := &corev1.Service{}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name}, svc); err != nil {
		bad("Service %s: %v", name, err)
	} else if svc.Spec.Selector[labelNodeSet] != n.Name || svc.Spec.Selector["app.kubernetes.io/instance"] != s.name {
		bad("Service %s selects %v", name, svc.Spec.Selector)
	}
	if n.Kind == "StatefulSet" {
		headless := &corev1.Service{}
		if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name + "-headless"}, headless); err != nil {
			bad("headless Service: %v", err)
		} else if headless.Spec.ClusterIP != corev1.ClusterIPNone {
			bad("Service %s-headless has clusterIP %q, want None", name, headless.Spec.ClusterIP)
		}
	}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name}, &policyv1.PodDisruptionBudget{}); err != nil {
		bad("PodDisruptionBudget %s: %v", name, err)
	}
	return problems
}

// checkConfigFiles checks that each config file of the node type is mounted at its mount
// path from an immutable, content-named ConfigMap holding what the CR says.
func (s *suite) checkConfigFiles(cr CR, n Node, w *workload) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ctr := w.Template.Spec.Containers[0]
	for _, f := range s.app.FilesOf(n.NodeType) {
		dir := path.Clean(f.MountPath)
		mount := ""
		for _, m := range ctr.VolumeMounts {
			if path.Clean(m.MountPath) == dir {
				mount = m.Name
			}
		}
		if mount == "" {
			bad("config file %s: nothing mounted at %s", f.FileName, dir)
			continue
		}
		cmName, key := "", ""
		for _, v := range w.Template.Spec.Volumes {
			if v.Name != mount {
				continue
			}
			if v.Projected != nil {
				for _, src := range v.Projected.Sources {
					if src.ConfigMap == nil {
						continue
					}
					for _, item := range src.ConfigMap.Items {
						if item.Path == f.FileName {
							cmName, key = src.ConfigMap.Name, item.Key
						}
					}
				}
			}
			if v.ConfigMap != nil {
				cmName, key = v.ConfigMap.Name, f.FileName
				for _, item := range v.ConfigMap.Items {
					if item.Path == f.FileName {
						key = item.Key
					}
				}
			}
		}
		if cmName == "" {
			bad("config file %s: the volume mounted at %s does not hold it", f.FileName, dir)
			continue
		}
		prefix := s.name + "-" + n.Name + "-config-"
		if f.Scope == "cluster" {
			prefix = s.name + "-config-"
		}
		if !strings.HasPrefix(cmName, prefix) {
			bad("config file %s comes from ConfigMap %s, want one named %s<hash>", f.FileName, cmName, prefix)
		}
		var cm corev1.ConfigMap
		if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: cmName}, &cm); err != nil {
			bad("config file %s: ConfigMap %s: %v", f.FileName, cmName, err)
			continue
		}
		if cm.Immutable == nil || !*cm.Immutable {
			bad("ConfigMap %s is not immutable", cmName)
		}
		if want := s.fileContent(cr, n, f); cm.Data[key] != want {
			bad("config file %s: ConfigMap %s key %s holds %q, want %q", f.FileName, cmName, key, cm.Data[key], want)
		}
	}
	return problems
}

// fileContent is what a config file of a node set must hold: its field in the node set's
// app config group (or spec.clusterConfig), or the description's default when unset.
func (s *suite) fileContent(cr CR, n Node, f ConfigFile) string {
	var content string
	if f.Scope == "cluster" {
		content, _, _ = unstructured.NestedString(cr.Object, "spec", "clusterConfig", f.Field())
	} else if n.AppConfig != "" {
		content = str(cr.AppConfigGroup(s.app.AppConfigField(), n.AppConfig), f.Field())
	}
	if content == "" {
		return f.Default
	}
	return content
}

// checkStorage checks the persistent volumes of the node set's k8sConfig: claim templates of
// a StatefulSet, shared claims of a Deployment, mounted at their mount paths.
func (s *suite) checkStorage(cr CR, n Node, w *workload) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	storage, _, _ := unstructured.NestedSlice(cr.K8sConfig(n.K8sConfig), "storageConfig")
	ctr := w.Template.Spec.Containers[0]
	for _, e := range storage {
		st, _ := e.(map[string]any)
		name, mountPath := str(st, "name"), str(st, "mountPath")
		if !slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == name && m.MountPath == mountPath }) {
			bad("storage %s is not mounted at %s", name, mountPath)
		}
		if n.Kind == "StatefulSet" {
			if !slices.Contains(w.ClaimTemplates, name) {
				bad("no volumeClaimTemplate %s", name)
			}
			continue
		}
		claim := s.name + "-" + n.Name + "-" + name
		if !slices.ContainsFunc(w.Template.Spec.Volumes, func(v corev1.Volume) bool {
			return v.Name == name && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim
		}) {
			bad("storage %s: no volume of claim %s", name, claim)
		}
		var pvc corev1.PersistentVolumeClaim
		if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: claim}, &pvc); err != nil {
			bad("PersistentVolumeClaim %s: %v", claim, err)
		}
	}
	return problems
}

// checkEnv checks the env vars of the dependencies set in spec.external (named by
// dsoi.yaml) and those of the k8sConfig.
func (s *suite) checkEnv(cr CR, n Node, ctr corev1.Container) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	env := map[string]corev1.EnvVar{}
	for _, e := range ctr.Env {
		env[e.Name] = e
	}
	checked := 0
	for _, dep := range s.app.Spec.Dependencies {
		spec, _, _ := unstructured.NestedMap(cr.Object, "spec", "external", lowerCamel(dep.Name), "spec")
		for _, f := range dep.Fields {
			v, ok := spec[f.Name]
			if !ok {
				continue
			}
			checked++
			e, ok := env[f.Env]
			switch {
			case !ok:
				bad("no env var %s (spec.external.%s.spec.%s)", f.Env, lowerCamel(dep.Name), f.Name)
			case f.Type == "secretRef":
				ref, _ := v.(map[string]any)
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != str(ref, "name") || e.ValueFrom.SecretKeyRef.Key != str(ref, "key") {
					bad("env var %s: %+v, want a secretKeyRef to %v", f.Env, e.ValueFrom, ref)
				}
			case e.Value != fmt.Sprint(v):
				bad("env var %s=%q, want %q", f.Env, e.Value, fmt.Sprint(v))
			}
		}
	}
	if len(s.app.Spec.Dependencies) > 0 && checked == 0 {
		bad("no dependency field of spec.external was found to check")
	}
	kcEnv, _, _ := unstructured.NestedSlice(cr.K8sConfig(n.K8sConfig), "env")
	for _, e := range kcEnv {
		m, _ := e.(map[string]any)
		if got, ok := env[str(m, "name")]; !ok || got.Value != str(m, "value") {
			bad("env var %s=%q from k8sConfig %s missing or wrong (%q)", str(m, "name"), str(m, "value"), n.K8sConfig, got.Value)
		}
	}
	return problems
}

// checkOrder checks that the node types took the CR's images strictly in deploymentOrder:
// no workload of a node type is updated before every workload of the node type before it
// has rolled out its update (every replica updated and ready). The watch resourceVersions
// give the API server's order of those writes, so the check is exact. It returns each step
// from one node type to the next.
func (s *suite) checkOrder(t *testing.T, cr CR, mark int, start time.Time) []handOn {
	t.Helper()
	nodes := cr.Nodes(s.app.AppConfigField())
	want := map[string]string{}
	for _, n := range nodes {
		want[n.Name] = cr.ImageOf(n)
	}
	var updated, rolled map[string]Change // node set -> its change to the wanted image, the end of its rollout
	// The status can say done a moment before the tests' own watch has delivered the last events.
	eventually(t, 10*time.Second, "the watch to show every node set's update and rollout", func() string {
		updated, rolled = map[string]Change{}, map[string]Change{}
		for _, c := range s.w.Since(mark) {
			u, isUpdated := updated[c.NodeSet]
			_, isRolled := rolled[c.NodeSet]
			switch {
			case !isUpdated && c.Type == watch.Modified && c.Image == want[c.NodeSet]:
				updated[c.NodeSet] = c
			case isUpdated && !isRolled && c.Type == RolledOut && c.Generation >= u.Generation:
				rolled[c.NodeSet] = c
			}
		}
		for _, n := range nodes {
			if _, ok := updated[n.Name]; !ok {
				return fmt.Sprintf("node set %s: no change of its pod template to image %s", n.Name, want[n.Name])
			}
			if _, ok := rolled[n.Name]; !ok {
				return fmt.Sprintf("node set %s: the rollout of image %s did not finish", n.Name, want[n.Name])
			}
		}
		return ""
	})
	var summary []string
	var steps []handOn
	var prevDone *Change
	prevType := ""
	for _, typ := range cr.Order() {
		var firstUpdate, lastDone *Change
		for _, n := range nodes {
			if n.NodeType != typ {
				continue
			}
			u, d := updated[n.Name], rolled[n.Name]
			if firstUpdate == nil || u.RV < firstUpdate.RV {
				firstUpdate = &u
			}
			if lastDone == nil || d.RV > lastDone.RV {
				lastDone = &d
			}
		}
		if firstUpdate == nil || lastDone == nil {
			continue
		}
		summary = append(summary, fmt.Sprintf("%s updated +%s, rolled out +%s", typ,
			firstUpdate.At.Sub(start).Round(time.Millisecond), lastDone.At.Sub(start).Round(time.Millisecond)))
		if prevDone != nil {
			steps = append(steps, handOn{from: prevType, to: typ, rolledOut: prevDone.At, next: firstUpdate.At})
		}
		if prevDone != nil && firstUpdate.RV <= prevDone.RV {
			t.Errorf("node type %s was updated (%s %s, resourceVersion %d, +%s) before node type %s had rolled out (%s %s, resourceVersion %d, +%s); deploymentOrder is %v",
				typ, firstUpdate.Kind, firstUpdate.Name, firstUpdate.RV, firstUpdate.At.Sub(start).Round(time.Millisecond),
				prevType, prevDone.Kind, prevDone.Name, prevDone.RV, prevDone.At.Sub(start).Round(time.Millisecond), cr.Order())
		}
		prevDone, prevType = lastDone, typ
	}
	t.Logf("node types in order: %s", strings.Join(summary, "; "))
	return steps
}

// handOn is a step of an ordered rollout: node type from had rolled out when the tests saw
// it (rolledOut), and node type to took its new spec at next.
type handOn struct {
	from, to        string
	rolledOut, next time.Time
}

// event returns "" when an event of that type and reason regarding the CR happened since.
func (s *suite) event(eventType, reason string, since time.Time) string {
	return s.eventNoting(eventType, reason, since, "")
}

// eventNoting is event for an event whose note contains text.
func (s *suite) eventNoting(eventType, reason string, since time.Time, text string) string {
	var list eventsv1.EventList
	if err := s.c.List(s.ctx, &list, client.InNamespace(s.ns)); err != nil {
		return err.Error()
	}
	for _, e := range list.Items {
		last := e.EventTime.Time
		if e.Series != nil {
			last = e.Series.LastObservedTime.Time
		}
		if e.Regarding.Kind == s.gvk.Kind && e.Regarding.Name == s.name && e.Type == eventType && e.Reason == reason &&
			!last.Before(since.Add(-time.Second)) && strings.Contains(e.Note, text) {
			return ""
		}
	}
	return fmt.Sprintf("no %s event %s regarding %s %s with %q", eventType, reason, s.gvk.Kind, s.name, text)
}

// dump logs the CR's status, its events and the pods, to explain a failure. It runs in a
// cleanup, once the test's context is done: it uses its own.
func (s *suite) dump(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 30*time.Second)
	defer cancel()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(s.gvk)
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: s.name}, u); err == nil {
		b, _ := yaml.Marshal(map[string]any{"generation": u.GetGeneration(), "status": u.Object["status"]})
		t.Logf("%s %s:\n%s", s.gvk.Kind, s.name, b)
	}
	var events eventsv1.EventList
	if err := s.c.List(ctx, &events, client.InNamespace(s.ns)); err == nil {
		sort.Slice(events.Items, func(i, j int) bool {
			return events.Items[i].CreationTimestamp.Before(&events.Items[j].CreationTimestamp)
		})
		var lines []string
		for _, e := range events.Items {
			lines = append(lines, fmt.Sprintf("%s %s %s %s/%s: %s", e.CreationTimestamp.Format(time.TimeOnly), e.Type, e.Reason, e.Regarding.Kind, e.Regarding.Name, e.Note))
		}
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		t.Logf("events (last 60):\n%s", strings.Join(lines, "\n"))
	}
	var pods corev1.PodList
	if err := s.c.List(ctx, &pods, client.InNamespace(s.ns)); err == nil {
		var lines []string
		for _, p := range pods.Items {
			img := ""
			if len(p.Spec.Containers) > 0 {
				img = p.Spec.Containers[0].Image
			}
			lines = append(lines, fmt.Sprintf("%s %s %s node=%q", p.Name, p.Status.Phase, img, p.Spec.NodeName))
		}
		t.Logf("pods:\n%s", strings.Join(lines, "\n"))
	}
}

// keys returns the sorted keys of a set.
func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
