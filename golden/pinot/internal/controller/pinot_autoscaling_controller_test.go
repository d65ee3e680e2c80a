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

package controller

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	v1beta1 "github.com/acme/pinot-operator/api/v1beta1"
	"github.com/acme/pinot-operator/internal/dsoi"
)

// fakeMetrics is a metrics endpoint the test drives: the body it answers, or a delay.
type fakeMetrics struct {
	*httptest.Server
	mu    sync.Mutex
	body  string
	delay time.Duration
	// token, when set, is the bearer token every request must carry.
	token string
	// requests counts the requests answered.
	requests int
}

func newFakeMetrics(t *testing.T) *fakeMetrics {
	t.Helper()
	m := &fakeMetrics{body: "{}"}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		body, delay, token := m.body, m.delay, m.token
		m.requests++
		m.mu.Unlock()
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *fakeMetrics) requestCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

func (m *fakeMetrics) answer(body string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.body = body
}

// autoscalingFixture is a cluster from the sample, its first node set, an autoscaler for it
// and a clock the test moves.
type autoscalingFixture struct {
	cluster *v1beta1.Pinot
	as      *v1beta1.PinotAutoscaling
	node    string
	now     time.Time
}

func newAutoscalingFixture(t *testing.T, url string, edit func(*v1beta1.PinotAutoscaling)) *autoscalingFixture {
	t.Helper()
	return newAutoscalingFixtureOf(t, nil, url, edit)
}

// newAutoscalingFixtureOf is newAutoscalingFixture with the cluster's spec edited first.
func newAutoscalingFixtureOf(t *testing.T, editCluster func(*v1beta1.Pinot), url string, edit func(*v1beta1.PinotAutoscaling)) *autoscalingFixture {
	t.Helper()
	cluster := newCluster(t, func(cr *v1beta1.Pinot) {
		one := int32(1)
		cr.Spec.Nodes[0].Replicas = &one
		if editCluster != nil {
			editCluster(cr)
		}
	})
	f := &autoscalingFixture{cluster: cluster, node: cluster.Spec.Nodes[0].Name, now: testClock}
	f.as = &v1beta1.PinotAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: "scaler"},
		Spec: v1beta1.PinotAutoscalingSpec{
			ClusterRef: v1beta1.PinotAutoscalingClusterRef{Name: cluster.Name},
			External:   v1beta1.PinotAutoscalingExternal{Spec: v1beta1.PinotMetricsSource{URL: url, TimeoutSeconds: 1}},
			Autoscaling: []v1beta1.PinotAutoscalingEntry{{Name: f.node, Spec: v1beta1.PinotScalingPolicy{
				Enable: true, MinReplica: 1, MaxReplica: 4, Threshold: 70, CoolDown: "5m"}}},
		},
	}
	if edit != nil {
		edit(f.as)
	}
	if err := k8sClient.Create(context.Background(), f.as); err != nil {
		t.Fatalf("the API server refused the autoscaler: %v", err)
	}
	return f
}

// reconcile runs one reconcile of the autoscaler and returns it as stored, the cluster's size
// of the node set, and the events.
func (f *autoscalingFixture) reconcile(t *testing.T) (*v1beta1.PinotAutoscaling, int32, []string) {
	t.Helper()
	ctx := context.Background()
	recorder := events.NewFakeRecorder(100)
	r := &PinotAutoscalingReconciler{Client: k8sClient, APIReader: k8sClient, Scheme: testScheme, Recorder: recorder,
		Now: func() time.Time { return f.now }}
	res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(f.as)})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	if res.RequeueAfter <= 0 {
		t.Errorf("reconcile asked for no next run; the autoscaler must poll")
	}
	as := &v1beta1.PinotAutoscaling{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(f.as), as); err != nil {
		t.Fatal(err)
	}
	cluster := &v1beta1.Pinot{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(f.cluster), cluster); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(recorder.Events) > 0 {
		got = append(got, <-recorder.Events)
	}
	return as, *cluster.Spec.Nodes[0].Replicas, got
}

func TestAutoscalingScalesUpCoolsDownAndScalesDown(t *testing.T) {
	m := newFakeMetrics(t)
	f := newAutoscalingFixture(t, m.URL, nil)

	m.answer(`{"` + f.node + `": 140}`)
	as, replicas, evs := f.reconcile(t)
	if replicas != 2 {
		t.Fatalf("utilization 140%% of a 70%% threshold: %d replicas, want 2", replicas)
	}
	st := as.Status.NodeSets[0]
	if st.CurrentReplicas != 1 || st.DesiredReplicas != 2 || st.LastScaleDirection != dsoi.ScaleUp || st.LastScaleTime == nil || st.Utilization == nil || *st.Utilization != 140 {
		t.Errorf("status after scaling up: %+v", st)
	}
	if !hasEvent(evs, "Normal ScaledUp node set "+f.node+": 1 -> 2 replicas") {
		t.Errorf("events %q, want ScaledUp", evs)
	}
	if !meta.IsStatusConditionTrue(as.Status.Conditions, ConditionMetricsAvailable) || !meta.IsStatusConditionTrue(as.Status.Conditions, ConditionAbleToScale) {
		t.Errorf("conditions %+v", as.Status.Conditions)
	}

	// Within the cool-down, more load changes nothing.
	f.now = f.now.Add(time.Minute)
	m.answer(`{"` + f.node + `": 300}`)
	as, replicas, evs = f.reconcile(t)
	until := "cooling down until " + f.now.Add(4*time.Minute).UTC().Format(time.RFC3339)
	if replicas != 2 || len(evs) != 0 || !strings.HasPrefix(as.Status.NodeSets[0].Message, until) {
		t.Fatalf("within the cool-down: %d replicas, events %q, message %q; want 2, none, cooling down", replicas, evs, as.Status.NodeSets[0].Message)
	}

	// After it, the load is clamped to maxReplica.
	f.now = f.now.Add(5 * time.Minute)
	as, replicas, _ = f.reconcile(t)
	if replicas != 4 || !meta.IsStatusConditionTrue(as.Status.Conditions, ConditionScalingLimited) {
		t.Fatalf("300%% after the cool-down: %d replicas, ScalingLimited %v; want 4 (maxReplica), true", replicas, meta.FindStatusCondition(as.Status.Conditions, ConditionScalingLimited))
	}

	// Inside the hysteresis band nothing moves; well below it the node set shrinks.
	f.now = f.now.Add(10 * time.Minute)
	m.answer(`{"` + f.node + `": 55}`)
	if _, replicas, _ = f.reconcile(t); replicas != 4 {
		t.Fatalf("55%% is inside the band: %d replicas, want 4", replicas)
	}
	m.answer(`{"` + f.node + `": 20}`)
	as, replicas, evs = f.reconcile(t)
	if replicas != 2 || as.Status.NodeSets[0].LastScaleDirection != dsoi.ScaleDown || !hasEvent(evs, "Normal ScaledDown") {
		t.Fatalf("20%%: %d replicas, direction %q, events %q; want 2, Down, ScaledDown", replicas, as.Status.NodeSets[0].LastScaleDirection, evs)
	}
}

func TestAutoscalingSurvivesABadEndpoint(t *testing.T) {
	m := newFakeMetrics(t)
	f := newAutoscalingFixture(t, m.URL, nil)
	for _, c := range []struct {
		name, body string
		delay      time.Duration
		down       bool
		reason     string
	}{
		{name: "garbage", body: "<html>busy</html>", reason: "InvalidResponse"},
		{name: "a string", body: `{"x": "high"}`, reason: "InvalidResponse"},
		{name: "slow", body: "{}", delay: 3 * time.Second, reason: "Timeout"},
		{name: "down", down: true, reason: "Unreachable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m.answer(c.body)
			m.mu.Lock()
			m.delay = c.delay
			m.mu.Unlock()
			if c.down {
				m.Close()
			}
			f.now = f.now.Add(10 * time.Minute)
			as, replicas, evs := f.reconcile(t)
			cond := meta.FindStatusCondition(as.Status.Conditions, ConditionMetricsAvailable)
			if replicas != 1 || cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != c.reason {
				t.Fatalf("%d replicas, MetricsAvailable %+v; want 1 and False/%s", replicas, cond, c.reason)
			}
			if !hasEvent(evs, "Warning MetricsFetchFailed") || as.Status.NodeSets[0].LastError == "" {
				t.Errorf("events %q, lastError %q; want a MetricsFetchFailed warning and the error in status", evs, as.Status.NodeSets[0].LastError)
			}
		})
	}
}

func TestAutoscalingSendsTheSecretToken(t *testing.T) {
	m := newFakeMetrics(t)
	m.token = "s3cret"
	f := newAutoscalingFixture(t, m.URL, func(as *v1beta1.PinotAutoscaling) {
		as.Spec.External.Spec.SecretRef = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "metrics-token"}, Key: "token"}
	})
	m.answer(`{"` + f.node + `": 140}`)
	as, replicas, _ := f.reconcile(t)
	if cond := meta.FindStatusCondition(as.Status.Conditions, ConditionMetricsAvailable); replicas != 1 || cond == nil || cond.Reason != "SecretUnavailable" {
		t.Fatalf("no Secret yet: %d replicas, MetricsAvailable %+v; want 1 and SecretUnavailable", replicas, cond)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.cluster.Namespace, Name: "metrics-token"},
		Data: map[string][]byte{"token": []byte("s3cret\n")}}
	if err := k8sClient.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	if _, replicas, _ = f.reconcile(t); replicas != 2 {
		t.Fatalf("with the token: %d replicas, want 2", replicas)
	}
}

func TestAutoscalingWaitsForTheCluster(t *testing.T) {
	m := newFakeMetrics(t)
	f := newAutoscalingFixture(t, m.URL, nil)
	m.answer(`{"` + f.node + `": 400}`)
	ctx := context.Background()
	f.cluster.Status.Upgrade = &v1beta1.PinotUpgradeStatus{Phase: dsoi.UpgradeProgressing, CurrentNodeType: string(f.cluster.Spec.Nodes[0].NodeType)}
	if err := k8sClient.Status().Update(ctx, f.cluster); err != nil {
		t.Fatal(err)
	}
	as, replicas, _ := f.reconcile(t)
	cond := meta.FindStatusCondition(as.Status.Conditions, ConditionAbleToScale)
	if replicas != 1 || cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != "UpgradeInProgress" {
		t.Fatalf("mid-upgrade: %d replicas, AbleToScale %+v; want 1 and False/UpgradeInProgress", replicas, cond)
	}
	f.cluster.Status.Upgrade.Phase = dsoi.UpgradeHalted
	if err := k8sClient.Status().Update(ctx, f.cluster); err != nil {
		t.Fatal(err)
	}
	if as, replicas, _ = f.reconcile(t); replicas != 1 || meta.FindStatusCondition(as.Status.Conditions, ConditionAbleToScale).Reason != "UpgradeHalted" {
		t.Fatalf("halted: %d replicas, conditions %+v", replicas, as.Status.Conditions)
	}
	f.cluster.Status.Upgrade.Phase = dsoi.UpgradeCompleted
	if err := k8sClient.Status().Update(ctx, f.cluster); err != nil {
		t.Fatal(err)
	}
	if _, replicas, _ = f.reconcile(t); replicas != 4 {
		t.Fatalf("after the upgrade: %d replicas, want 4", replicas)
	}
}

func TestAutoscalingOnlyEnabledKnownNodeSets(t *testing.T) {
	m := newFakeMetrics(t)
	f := newAutoscalingFixture(t, m.URL, func(as *v1beta1.PinotAutoscaling) {
		as.Spec.Autoscaling[0].Spec.Enable = false
		as.Spec.Autoscaling = append(as.Spec.Autoscaling, v1beta1.PinotAutoscalingEntry{Name: "no-such-set",
			Spec: v1beta1.PinotScalingPolicy{Enable: true, MinReplica: 1, MaxReplica: 3, Threshold: 50, CoolDown: "1m"}})
	})
	m.answer(`{"` + f.node + `": 400, "no-such-set": 400}`)
	as, replicas, _ := f.reconcile(t)
	if replicas != 1 {
		t.Errorf("a disabled entry scaled its node set to %d", replicas)
	}
	if got := as.Status.NodeSets[1].LastError; !strings.Contains(got, `has no node set named "no-such-set"`) {
		t.Errorf("unknown node set: lastError %q", got)
	}

	missing := newAutoscalingFixture(t, m.URL, func(as *v1beta1.PinotAutoscaling) { as.Spec.ClusterRef.Name = "nowhere" })
	as, _, _ = missing.reconcile(t)
	if cond := meta.FindStatusCondition(as.Status.Conditions, ConditionAbleToScale); cond == nil || cond.Reason != "ClusterNotFound" {
		t.Errorf("missing cluster: AbleToScale %+v, want ClusterNotFound", cond)
	}
}

func TestAutoscalingResourceMetricsNeedTheMetricsAPI(t *testing.T) {
	f := newAutoscalingFixture(t, "", func(as *v1beta1.PinotAutoscaling) { as.Spec.External.Spec.Source = "resourceMetrics" })
	as, replicas, _ := f.reconcile(t)
	cond := meta.FindStatusCondition(as.Status.Conditions, ConditionMetricsAvailable)
	if replicas != 1 || cond == nil || cond.Reason != "ResourceMetricsUnavailable" || !strings.Contains(cond.Message, "metrics.k8s.io") {
		t.Fatalf("no metrics-server: %d replicas, MetricsAvailable %+v", replicas, cond)
	}
}

// TestAutoscalingSampleIsAccepted creates the sample autoscaler of config/samples.
func TestAutoscalingSampleIsAccepted(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "v1beta1_pinotautoscaling.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	as := &v1beta1.PinotAutoscaling{}
	if err := yaml.UnmarshalStrict(data, as); err != nil {
		t.Fatalf("sample: %v", err)
	}
	as.Namespace = "default"
	if err := k8sClient.Create(context.Background(), as); err != nil {
		t.Fatalf("the API server refused the sample autoscaler: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), as) })
	if len(as.Spec.Autoscaling) != 4 || as.Spec.Autoscaling[0].Spec.CoolDown != "5m" {
		t.Errorf("sample autoscaler: %+v", as.Spec)
	}
}

// podMetricsReader answers lists of metrics.k8s.io PodMetrics, which envtest does not serve,
// as metrics-server would; everything else goes to the API server.
type podMetricsReader struct {
	client.Reader
	cpu map[string]string // pod name -> CPU used
}

func (r podMetricsReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	u, ok := list.(*unstructured.UnstructuredList)
	if !ok || u.GetKind() != "PodMetricsList" {
		return r.Reader.List(ctx, list, opts...)
	}
	for name, cpu := range r.cpu {
		item := unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
			"metadata":   map[string]any{"name": name},
			"containers": []any{map[string]any{"name": "main", "usage": map[string]any{"cpu": cpu, "memory": "1Mi"}}},
		}}
		u.Items = append(u.Items, item)
	}
	return nil
}

// TestAutoscalingFromResourceMetrics scales on CPU used over CPU requested, as the
// resource metrics API reports it for the node set's running pods.
func TestAutoscalingFromResourceMetrics(t *testing.T) {
	f := newAutoscalingFixture(t, "", func(as *v1beta1.PinotAutoscaling) { as.Spec.External.Spec.Source = "resourceMetrics" })
	ctx := context.Background()
	usage := map[string]string{}
	for i, cpu := range []string{"900m", "500m"} { // of 500m requested each: 140%
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.cluster.Namespace, Name: fmt.Sprintf("%s-%d", f.node, i),
				Labels: map[string]string{dsoi.LabelInstance: f.cluster.Name, dsoi.LabelNodeSet: f.node}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "x", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}}}},
		}
		if err := k8sClient.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		pod.Status.Phase = corev1.PodRunning
		if err := k8sClient.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
		usage[pod.Name] = cpu
	}
	recorder := events.NewFakeRecorder(100)
	r := &PinotAutoscalingReconciler{Client: k8sClient, APIReader: podMetricsReader{Reader: k8sClient, cpu: usage}, Scheme: testScheme,
		Recorder: recorder, Now: func() time.Time { return f.now }}
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(f.as)}); err != nil {
		t.Fatal(err)
	}
	cluster := &v1beta1.Pinot{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(f.cluster), cluster); err != nil {
		t.Fatal(err)
	}
	as := &v1beta1.PinotAutoscaling{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(f.as), as); err != nil {
		t.Fatal(err)
	}
	st := as.Status.NodeSets[0]
	if *cluster.Spec.Nodes[0].Replicas != 2 || st.Utilization == nil || *st.Utilization != 140 {
		t.Fatalf("1.4 CPU used of 1 requested: %d replicas, status %+v; want 2 replicas at 140%%", *cluster.Spec.Nodes[0].Replicas, st)
	}
}

func TestAutoscalingAPIRejectsBadPolicies(t *testing.T) {
	cases := map[string]struct {
		edit func(*v1beta1.PinotAutoscaling)
		want string
	}{
		"min above max":           {func(a *v1beta1.PinotAutoscaling) { a.Spec.Autoscaling[0].Spec.MinReplica = 5 }, "minReplica must not be greater than maxReplica"},
		"threshold 0":             {func(a *v1beta1.PinotAutoscaling) { a.Spec.Autoscaling[0].Spec.Threshold = 0 }, "should be greater than or equal to 1"},
		"threshold over 100":      {func(a *v1beta1.PinotAutoscaling) { a.Spec.Autoscaling[0].Spec.Threshold = 101 }, "should be less than or equal to 100"},
		"coolDown not a duration": {func(a *v1beta1.PinotAutoscaling) { a.Spec.Autoscaling[0].Spec.CoolDown = "soon" }, "coolDown must be a duration"},
		"http without url":        {func(a *v1beta1.PinotAutoscaling) { a.Spec.External.Spec.URL = "" }, "url is required when source is http"},
		"url not http":            {func(a *v1beta1.PinotAutoscaling) { a.Spec.External.Spec.URL = "ftp://x" }, "should match"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			as := &v1beta1.PinotAutoscaling{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "bad-"},
				Spec: v1beta1.PinotAutoscalingSpec{
					ClusterRef: v1beta1.PinotAutoscalingClusterRef{Name: "x"},
					External:   v1beta1.PinotAutoscalingExternal{Spec: v1beta1.PinotMetricsSource{URL: "http://metrics:8080/"}},
					Autoscaling: []v1beta1.PinotAutoscalingEntry{{Name: "a", Spec: v1beta1.PinotScalingPolicy{
						Enable: true, MinReplica: 1, MaxReplica: 4, Threshold: 70, CoolDown: "5m"}}},
				},
			}
			c.edit(as)
			err := k8sClient.Create(context.Background(), as)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("create: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestAutoscalingPollsOncePerInterval runs the controller in a manager, as main.go does. A
// failed fetch changes the status; that status write must not start another fetch before the
// interval ends (each change of status would otherwise cost two fetches, and two events in a
// row). A change of the spec is acted on at once.
func TestAutoscalingPollsOncePerInterval(t *testing.T) {
	metrics := newFakeMetrics(t)
	metrics.answer("not json")
	f := newAutoscalingFixture(t, metrics.URL, func(as *v1beta1.PinotAutoscaling) {
		as.Spec.External.Spec.IntervalSeconds = 3600
	})
	skipNameValidation := true
	mgr, err := ctrl.NewManager(testConfig, ctrl.Options{
		Scheme:     testScheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache:      cache.Options{DefaultNamespaces: map[string]cache.Config{f.as.Namespace: {}}},
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &PinotAutoscalingReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(),
		Recorder: mgr.GetEventRecorder("autoscaling-test")}
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	running, stop := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(running) }()
	t.Cleanup(func() {
		stop()
		if err := <-stopped; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	fetches := func(want int) func() string {
		return func() string {
			if n := metrics.requestCount(); n != want {
				return fmt.Sprintf("%d fetches, want %d", n, want)
			}
			return ""
		}
	}
	ctx := context.Background()
	as := &v1beta1.PinotAutoscaling{}
	waitFor(t, "MetricsAvailable=False in status", func() string {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(f.as), as); err != nil {
			return err.Error()
		}
		if c := meta.FindStatusCondition(as.Status.Conditions, ConditionMetricsAvailable); c == nil || c.Status != metav1.ConditionFalse {
			return fmt.Sprintf("conditions %+v", as.Status.Conditions)
		}
		return ""
	})
	holdFor(t, 2*time.Second, "one fetch, however the status changed", fetches(1))

	as.Spec.Autoscaling[0].Spec.Threshold = 80
	if err := k8sClient.Update(ctx, as); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a fetch for the new spec", fetches(2))
	holdFor(t, 2*time.Second, "no other fetch within the interval", fetches(2))
}

// waitFor polls check until it returns "" (30 s at most); otherwise the test fails with what
// check last said.
func waitFor(t *testing.T, what string, check func() string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last = check(); last == "" {
			return
		}
	}
	t.Fatalf("waiting for %s: %s", what, last)
}

// holdFor fails the test if check says anything during d.
func holdFor(t *testing.T, d time.Duration, what string, check func() string) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got := check(); got != "" {
			t.Fatalf("%s: %s", what, got)
		}
	}
}

// A Deployment node set whose pods share a claim that one node only can mount for writing runs
// one replica: the autoscaler holds it there, says why, and never asks the cluster for more.
func TestAutoscalingKeepsASharedSingleWriterClaimAtOneReplica(t *testing.T) {
	m := newFakeMetrics(t)
	f := newAutoscalingFixtureOf(t, func(cr *v1beta1.Pinot) {
		cr.Spec.Nodes[0].Kind = dsoi.KindDeployment
		kc := k8sConfigOf(cr, cr.Spec.Nodes[0].K8sConfig)
		kc.StorageConfig = oneVolume("staging", corev1.ReadWriteOnce)
	}, m.URL, nil)
	m.answer(`{"` + f.node + `": 300}`)
	as, replicas, evs := f.reconcile(t)
	if replicas != 1 || hasEvent(evs, "Normal ScaledUp") {
		t.Fatalf("300%% of the threshold: %d replicas, events %q; want 1 and no scaling", replicas, evs)
	}
	if msg := as.Status.NodeSets[0].Message; !strings.Contains(msg, `at most 1 replica: its pods share claim "staging"`) {
		t.Errorf("message %q does not say why the node set stays at one replica", msg)
	}
}
