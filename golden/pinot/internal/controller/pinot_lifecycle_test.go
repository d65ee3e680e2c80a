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
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta1 "github.com/acme/pinot-operator/api/v1beta1"
	"github.com/acme/pinot-operator/internal/dsoi"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The tests play Apache Pinot's own HTTP endpoints with appServer: every node's
// appAddress points at it, and it answers each call with the answer of the description
// (the healthy answer of a health gate, the drained answer of a decommission's check), or
// with 503 while appUnhealthy (health gates) or appDraining (decommission checks) is set.

// appAnswer is what appServer answers on one path of one node type.
type appAnswer struct {
	status int
	body   string
	// drainCheck: the path is a decommission's check, failing while appDraining is set;
	// otherwise a health gate's, failing while appUnhealthy is set ("" body: a drain's start).
	drainCheck bool
}

// appAnswers are the description's answers, by node type and path.
var appAnswers = map[string]appAnswer{
	"controller /health":       {status: 200, body: ""},
	"broker /health":           {status: 200, body: ""},
	"server /health/readiness": {status: 200, body: ""},
}

var (
	appServerOnce sync.Once
	appServerURL  string
	appUnhealthy  atomic.Bool
	appDraining   atomic.Bool
	// drainsStarted lists the pods asked to drain, in order.
	drainsStarted   []string
	drainsStartedMu sync.Mutex
)

// appServer returns the address of the played endpoints, started once for the whole test
// run: /<node type><path>.
func appServer() string {
	appServerOnce.Do(func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			answer, ok := answerFor(r)
			switch {
			case !ok:
				http.NotFound(w, r)
			case r.Method != http.MethodGet:
				drainsStartedMu.Lock()
				drainsStarted = append(drainsStarted, r.Header.Get(dsoi.HeaderPod))
				drainsStartedMu.Unlock()
				w.WriteHeader(answer.status)
			case answer.drainCheck && appDraining.Load(), !answer.drainCheck && appUnhealthy.Load():
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `{"healthy": false}`)
			default:
				w.WriteHeader(answer.status)
				fmt.Fprint(w, answer.body)
			}
		}))
		appServerURL = srv.URL
	})
	return appServerURL
}

// answerFor finds the answer to a request. Paths compare as sent, where what a URL cannot
// hold raw (such as a backquote or a brace) is percent-encoded.
func answerFor(r *http.Request) (appAnswer, bool) {
	for key, answer := range appAnswers {
		nodeType, path, _ := strings.Cut(key, " ")
		if u, err := url.Parse(path); err == nil && "/"+nodeType+u.RequestURI() == r.URL.RequestURI() {
			return answer, true
		}
	}
	return appAnswer{}, false
}

func init() {
	// Checks are due at every reconcile: the test clock moves only when a test moves it.
	for _, gates := range healthGates {
		for i := range gates {
			gates[i].Interval = 0
		}
	}
}

// withAppServer sends every node's calls to appServer.
func withAppServer(cr *v1beta1.Pinot) {
	for i := range cr.Spec.Nodes {
		cr.Spec.Nodes[i].AppAddress = appServer() + "/" + string(cr.Spec.Nodes[i].NodeType)
	}
}

// readyPods plays the workload controllers for the gates that ask every pod: node set node
// gets n ready pods, as its rolled-out workload of n replicas has, and no more.
func readyPods(t *testing.T, cr *v1beta1.Pinot, node v1beta1.PinotNode, n int32) {
	t.Helper()
	ctx := context.Background()
	var pods corev1.PodList
	if err := k8sClient.List(ctx, &pods, client.InNamespace(cr.Namespace), client.MatchingLabels(dsoi.Selector(cr.Name, node.Name))); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for i := range pods.Items {
		have[pods.Items[i].Name] = true
	}
	for i := range max(n, int32(len(pods.Items))) {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-ready-%d", dsoi.ObjectName(cr.Name, node.Name), i), Namespace: cr.Namespace,
				Labels: dsoi.Labels(AppName, cr.Name, node.Name, string(node.NodeType))},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: containerNames[node.NodeType], Image: "ready"}}},
		}
		switch {
		case i >= n && have[pod.Name]:
			if err := k8sClient.Delete(ctx, pod, client.GracePeriodSeconds(0)); err != nil {
				t.Fatal(err)
			}
			continue
		case i >= n || have[pod.Name]:
			continue
		}
		if err := k8sClient.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		pod.Status.Phase, pod.Status.PodIP = corev1.PodRunning, fmt.Sprintf("10.0.0.%d", i+1)
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		if err := k8sClient.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
}

// firstGated is the position in deploymentOrder of the first node type with health gates.
func firstGated(cr *v1beta1.Pinot) int {
	for i, t := range cr.Spec.DeploymentOrder {
		if len(healthGates[t]) > 0 && slices.ContainsFunc(cr.Spec.Nodes, func(n v1beta1.PinotNode) bool { return n.NodeType == t }) {
			return i
		}
	}
	return -1
}

// An upgrade waits at the first node type with health gates while its gates fail, leaves the
// node types after it alone, and goes on by itself once the gates pass.
func TestHealthGatesHoldTheUpgrade(t *testing.T) {
	defer appUnhealthy.Store(false)
	cr := newCluster(t, nil)
	cr, _ = rollOut(t, cr)
	gated := firstGated(cr)
	if gated < 0 {
		t.Fatal("the sample has no node of a node type with health gates")
	}
	gatedType := cr.Spec.DeploymentOrder[gated]

	appUnhealthy.Store(true)
	cr = update(t, cr, newImages)
	before := images(t, cr)
	var got []string
	for range 2*len(cr.Spec.Nodes) + 4 {
		var evs []string
		cr, evs = reconcile(t, cr)
		got = append(got, evs...)
		markRolledOut(t, cr)
	}
	if changed := nodeTypesOf(cr, changedSince(before, images(t, cr))); !slices.Equal(changed, order(cr)[:gated+1]) {
		t.Errorf("while the gates of %s fail, node types %v rolled out, want %v", gatedType, changed, order(cr)[:gated+1])
	}
	for _, ns := range cr.Status.NodeSets {
		if ns.NodeType != string(gatedType) {
			continue
		}
		if len(ns.HealthGates) == 0 || ns.HealthGates[0].State != dsoi.GateFailed || !strings.Contains(ns.HealthGates[0].Message, "status 503, want") {
			t.Errorf("node set %s: gates %+v, want the first Failed on status 503", ns.Name, ns.HealthGates)
		}
	}
	if c := meta.FindStatusCondition(cr.Status.Conditions, dsoi.ConditionProgressing); c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "health gate") {
		t.Errorf("Progressing = %+v, want True, waiting for a health gate", c)
	}
	if cr.Status.Upgrade == nil || cr.Status.Upgrade.Phase == dsoi.UpgradeCompleted {
		t.Errorf("upgrade %+v, want it still under way", cr.Status.Upgrade)
	}
	if !hasEvent(got, "Warning GateFailed") {
		t.Errorf("events %v, want GateFailed", got)
	}

	appUnhealthy.Store(false)
	cr, got = rollOut(t, cr)
	if cr.Status.Upgrade == nil || cr.Status.Upgrade.Phase != dsoi.UpgradeCompleted {
		t.Fatalf("upgrade %+v once the gates pass, want Completed", cr.Status.Upgrade)
	}
	if !hasEvent(got, "Normal GatePassed") {
		t.Errorf("events %v, want GatePassed", got)
	}
	for _, ns := range cr.Status.NodeSets {
		for _, g := range ns.HealthGates {
			if g.State != dsoi.GatePassed || ns.HealthGatesPassedFor == "" {
				t.Errorf("node set %s: gate %+v (passed for %q), want Passed for the current rollout", ns.Name, g, ns.HealthGatesPassedFor)
			}
		}
	}

	// At rest the gates are not asked: the status stays as it is.
	rv := cr.ResourceVersion
	if cr, _ = reconcile(t, cr); cr.ResourceVersion != rv {
		t.Errorf("a reconcile at rest wrote the CR (resourceVersion %s -> %s)", rv, cr.ResourceVersion)
	}
}
