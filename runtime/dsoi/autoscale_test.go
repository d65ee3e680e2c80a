package dsoi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	policy := ScalePolicy{MinReplicas: 2, MaxReplicas: 10, Threshold: 70, CoolDown: 5 * time.Minute}
	cases := []struct {
		name      string
		in        ScaleInput
		desired   int32
		direction string
		limited   bool
		reason    string
		retry     time.Duration
	}{
		{"above the threshold grows in proportion", ScaleInput{Current: 4, Utilization: 140, HasMetric: true}, 8, ScaleUp, false, "utilization 140% is above the threshold 70%", 0},
		{"just above grows by at least one", ScaleInput{Current: 4, Utilization: 71, HasMetric: true}, 5, ScaleUp, false, "above the threshold", 0},
		{"at the threshold stays", ScaleInput{Current: 4, Utilization: 70, HasMetric: true}, 4, "", false, "utilization 70% is within [49%, 70%]", 0},
		{"inside the band stays", ScaleInput{Current: 4, Utilization: 50, HasMetric: true}, 4, "", false, "within", 0},
		{"at the band's lower edge stays", ScaleInput{Current: 4, Utilization: 49, HasMetric: true}, 4, "", false, "within", 0},
		{"below the band shrinks in proportion", ScaleInput{Current: 8, Utilization: 35, HasMetric: true}, 4, ScaleDown, false, "utilization 35% is below 49% (70% of the threshold 70%)", 0},
		{"just below shrinks by at least one", ScaleInput{Current: 8, Utilization: 48, HasMetric: true}, 6, ScaleDown, false, "below", 0},
		{"clamped to max", ScaleInput{Current: 8, Utilization: 700, HasMetric: true}, 10, ScaleUp, true, "limited by maxReplica 10", 0},
		{"at max stays, limited", ScaleInput{Current: 10, Utilization: 99, HasMetric: true}, 10, "", true, "limited by maxReplica 10", 0},
		{"clamped to min", ScaleInput{Current: 3, Utilization: 1, HasMetric: true}, 2, ScaleDown, true, "limited by minReplica 2", 0},
		{"idle at min stays, limited", ScaleInput{Current: 2, Utilization: 0, HasMetric: true}, 2, "", true, "limited by minReplica 2", 0},
		{"below min is raised, even without a metric", ScaleInput{Current: 1}, 2, ScaleUp, true, "1 replicas is below minReplica 2", 0},
		{"above max is lowered, even in cool-down", ScaleInput{Current: 12, Utilization: 100, HasMetric: true, LastScale: now.Add(-time.Minute)}, 10, ScaleDown, true, "12 replicas is above maxReplica 10", 0},
		{"no metric stays", ScaleInput{Current: 4}, 4, "", false, "no metric", 0},
		{"cool-down holds a scale-up", ScaleInput{Current: 4, Utilization: 140, HasMetric: true, LastScale: now.Add(-2 * time.Minute)}, 4, "", false, "cooling down until 2026-01-01T12:03:00Z (coolDown 5m0s after the last change)", 3 * time.Minute},
		{"cool-down over", ScaleInput{Current: 4, Utilization: 140, HasMetric: true, LastScale: now.Add(-5 * time.Minute)}, 8, ScaleUp, false, "above", 0},
		{"blocked beats everything", ScaleInput{Current: 1, Utilization: 500, HasMetric: true, Blocked: "an upgrade is in progress"}, 1, "", false, "not scaling: an upgrade is in progress", 0},
		{"huge utilization does not overflow", ScaleInput{Current: 4, Utilization: 1e300, HasMetric: true}, 10, ScaleUp, true, "limited", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.Policy, in.Now = policy, now
			d := Decide(in)
			if d.Desired != c.desired || d.Direction != c.direction || d.Limited != c.limited || d.RetryAfter != c.retry || !strings.Contains(d.Reason, c.reason) {
				t.Errorf("Decide = %+v, want desired %d, direction %q, limited %v, retry %s, reason containing %q", d, c.desired, c.direction, c.limited, c.retry, c.reason)
			}
			if d.Desired < policy.MinReplicas || d.Desired > policy.MaxReplicas {
				if in.Blocked == "" {
					t.Errorf("desired %d is outside [%d, %d]", d.Desired, policy.MinReplicas, policy.MaxReplicas)
				}
			}
		})
	}
}

// TestDecideNeverLeavesTheBounds sweeps sizes and utilizations: the result stays within
// [min, max] and moves only in the direction the metric asks.
func TestDecideNeverLeavesTheBounds(t *testing.T) {
	p := ScalePolicy{MinReplicas: 1, MaxReplicas: 7, Threshold: 60}
	for current := int32(1); current <= 7; current++ {
		for util := 0.0; util <= 400; util += 2.5 {
			d := Decide(ScaleInput{Policy: p, Current: current, Utilization: util, HasMetric: true})
			switch {
			case d.Desired < 1 || d.Desired > 7:
				t.Fatalf("current %d, utilization %.1f: desired %d outside [1, 7]", current, util, d.Desired)
			case util > 60 && d.Desired < current, util < 42 && d.Desired > current, util >= 42 && util <= 60 && d.Desired != current:
				t.Fatalf("current %d, utilization %.1f: desired %d moves the wrong way", current, util, d.Desired)
			}
		}
	}
}

func metricsServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(handler)
	t.Cleanup(s.Close)
	return s
}

func TestFetchUtilization(t *testing.T) {
	ctx := context.Background()
	ok := metricsServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"broker": 85, "server": 40.5}`))
	})
	got, err := FetchUtilization(ctx, http.DefaultClient, ok.URL, "s3cret", time.Second)
	if err != nil || len(got) != 2 || got["broker"] != 85 || got["server"] != 40.5 {
		t.Fatalf("FetchUtilization = %v, %v", got, err)
	}

	slow := metricsServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	serve := func(body string) string {
		return metricsServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }).URL
	}
	for _, c := range []struct {
		name, url, token, reason, message string
	}{
		{"wrong token", ok.URL, "nope", "HTTPStatus", "status 401 Unauthorized"},
		{"slow", slow.URL, "", "Timeout", "no answer within 200ms"},
		{"down", closed.URL, "", "Unreachable", "connection refused"},
		{"not JSON", serve("<html>oops</html>"), "", "InvalidResponse", `want a JSON object of node set names to numbers, got "<html>oops</html>"`},
		{"a list", serve("[1, 2]"), "", "InvalidResponse", "want a JSON object"},
		{"null", serve("null"), "", "InvalidResponse", "want a JSON object"},
		{"a string value", serve(`{"broker": "85"}`), "", "InvalidResponse", `node set "broker": 85 is not a utilization from 0 to 10000`},
		{"negative", serve(`{"broker": -1}`), "", "InvalidResponse", "-1 is not a utilization"},
		{"too large", serve(`{"broker": 1e9}`), "", "InvalidResponse", "1e9 is not a utilization"},
		{"two documents", serve(`{"broker": 1} {"broker": 2}`), "", "InvalidResponse", "want a JSON object"},
		{"huge body", serve(`{"broker": 1, "x": "` + strings.Repeat("a", MaxMetricsResponse) + `"}`), "", "InvalidResponse", "over 1048576 bytes"},
		{"bad URL", "://nowhere", "", "InvalidURL", "metrics URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := FetchUtilization(ctx, http.DefaultClient, c.url, c.token, 200*time.Millisecond)
			var me *MetricsError
			if !errors.As(err, &me) || me.Reason != c.reason || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("FetchUtilization = %v, %v; want a %s error containing %q", got, err, c.reason, c.message)
			}
		})
	}
}

func TestCPUUtilization(t *testing.T) {
	pod := func(name string, phase corev1.PodPhase, cpu ...string) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{Phase: phase}}
		for _, c := range cpu {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(c)}}})
		}
		return p
	}
	usage := map[string]resource.Quantity{"a": resource.MustParse("500m"), "b": resource.MustParse("1"), "pending": resource.MustParse("2")}
	got, err := CPUUtilization([]corev1.Pod{pod("a", corev1.PodRunning, "1"), pod("b", corev1.PodRunning, "500m", "500m"), pod("pending", corev1.PodPending, "1"), pod("new", corev1.PodRunning, "1")}, usage)
	if err != nil || got != 75 {
		t.Errorf("CPUUtilization = %v, %v; want 75 (1.5 CPU used of 2 requested; pending and unmeasured pods left out)", got, err)
	}
	noRequests := pod("a", corev1.PodRunning)
	noRequests.Spec.Containers = []corev1.Container{{Name: "c"}}
	if _, err := CPUUtilization([]corev1.Pod{noRequests}, usage); err == nil || !strings.Contains(err.Error(), "requests no CPU") {
		t.Errorf("no requests: err = %v", err)
	}
	if _, err := CPUUtilization(nil, usage); err == nil {
		t.Error("no pods: want an error")
	}
}
