package dsoi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestJudge(t *testing.T) {
	tests := map[string]struct {
		condition, body string
		status          int
		ok              bool
		message         string
	}{
		"field equal to zero":        {"body.numSegmentsToLoad == 0", `{"numSegmentsToLoad": 0}`, 200, true, ""},
		"field not zero":             {"body.numSegmentsToLoad == 0", `{"numSegmentsToLoad": 12}`, 200, false, "condition body.numSegmentsToLoad == 0 is false"},
		"empty list":                 {"size(body.underReplicated) == 0", `{"underReplicated": []}`, 200, true, ""},
		"list not empty":             {"size(body.underReplicated) == 0", `{"underReplicated": ["t-0"]}`, 200, false, "condition size(body.underReplicated) == 0 is false"},
		"every entry of a map":       {"body.all(ds, body[ds].segmentsToLoad == 0)", `{"wiki": {"segmentsToLoad": 0}, "logs": {"segmentsToLoad": 0}}`, 200, true, ""},
		"one entry of a map loading": {"body.all(ds, body[ds].segmentsToLoad == 0)", `{"wiki": {"segmentsToLoad": 0}, "logs": {"segmentsToLoad": 3}}`, 200, false, "is false"},
		"text answer":                {"text.trim() == 'OK'", "OK\n", 200, true, ""},
		"status in the condition":    {"status == 200", "", 200, true, ""},
		"missing field":              {"body.loaded == true", `{"other": 1}`, 200, false, "condition body.loaded == true: no such key: loaded"},
		"garbage for a JSON check":   {"body.loaded == true", "<html>oops</html>", 200, false, "condition body.loaded == true: the answer is not JSON"},
		"not a bool":                 {"body.count", `{"count": 3}`, 200, false, "yields 3, not a bool"},
		"JSON true":                  {"body", `true`, 200, true, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			prog, err := CompileGateCondition(tt.condition)
			if err != nil {
				t.Fatal(err)
			}
			got := judge(Gate{Condition: tt.condition}, prog, tt.status, []byte(tt.body))
			if got.ok != tt.ok || !strings.Contains(got.message, tt.message) {
				t.Errorf("judge = ok %v %q, want ok %v and a message with %q", got.ok, got.message, tt.ok, tt.message)
			}
			if !got.ok && !strings.Contains(got.response, fmt.Sprintf("status %d", tt.status)) {
				t.Errorf("failing answer quoted as %q, want the status and body", got.response)
			}
		})
	}
}

func TestCompileGateConditionRefuses(t *testing.T) {
	for expr, want := range map[string]string{
		"body.x ==":    "Syntax error",
		"foo == 1":     "undeclared reference to 'foo'",
		"'a string'":   "yields string, not a bool",
		"status + 1":   "yields int, not a bool",
		"text.size()":  "yields int",
		"body.x == 0 ": "",
	} {
		_, err := CompileGateCondition(expr)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v, want it accepted", expr, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want one with %q", expr, err, want)
		}
	}
}

// A gate's endpoint may be slow, down, huge or answer garbage: each is a failing check with
// the reason, never a hang or a crash.
func TestGateCallFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			time.Sleep(time.Second)
		case "/huge":
			w.Write([]byte(strings.Repeat("x", MaxGateResponse+10)))
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":"loading"}`))
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/ok":
			if r.Header.Get(HeaderPod) != "p-0" || r.Header.Get(HeaderNodeSet) != "server" {
				w.WriteHeader(http.StatusBadRequest)
			}
			w.Write([]byte(`{"ready": true}`))
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	ns := &NodeSet{Name: "server"}
	g := &GateChecker{}
	tests := map[string]struct {
		url, path, want string
	}{
		"slow":       {srv.URL, "/slow", "GET /slow: no answer within 200ms"},
		"huge":       {srv.URL, "/huge", "GET /huge: the answer is over 1048576 bytes"},
		"down":       {srv.URL, "/down", "GET /down: status 503, want 200"},
		"redirect":   {srv.URL, "/redirect", "GET /redirect: status 302, want 200"},
		"refused":    {closed.URL, "/ok", "GET /ok: dial tcp"},
		"ok":         {srv.URL, "/ok", ""},
		"query kept": {srv.URL, "/ok?x=1", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			gate := Gate{Name: "g", Path: tt.path, Status: 200, Timeout: 200 * time.Millisecond}
			got := g.call(t.Context(), ns, gate, nil, gateTarget{url: tt.url + tt.path, pod: "p-0"})
			if got.ok != (tt.want == "") || !strings.Contains(got.message, tt.want) {
				t.Errorf("call = ok %v %q, want %q", got.ok, got.message, tt.want)
			}
		})
	}
}

func TestGateTargets(t *testing.T) {
	c := &Cluster{Instance: "demo", Namespace: "data"}
	ns := &NodeSet{Name: "hist", Container: corev1.Container{Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8083}}}}
	pods := []corev1.Pod{pod("demo-hist-0", "10.0.0.1"), pod("demo-hist-1", "10.0.0.2")}
	urls := func(ts []gateTarget) (out []string) {
		for _, t := range ts {
			out = append(out, t.url+" "+t.pod)
		}
		return out
	}
	got, err := gateTargets(c, ns, Gate{Port: "http", Path: "/status?x"}, pods)
	if want := []string{"http://10.0.0.1:8083/status?x demo-hist-0", "http://10.0.0.2:8083/status?x demo-hist-1"}; err != nil || fmt.Sprint(urls(got)) != fmt.Sprint(want) {
		t.Errorf("pod targets %v %v, want %v", urls(got), err, want)
	}
	got, err = gateTargets(c, ns, Gate{Service: true, Port: "http", Path: "/status"}, nil)
	if want := []string{"http://demo-hist.data.svc:8083/status "}; err != nil || fmt.Sprint(urls(got)) != fmt.Sprint(want) {
		t.Errorf("service target %v %v, want %v", urls(got), err, want)
	}
	ns.GateAddress = "127.0.0.1:9999/"
	got, err = gateTargets(c, ns, Gate{Port: "http", Path: "/status"}, pods)
	if want := []string{"http://127.0.0.1:9999/status demo-hist-0", "http://127.0.0.1:9999/status demo-hist-1"}; err != nil || fmt.Sprint(urls(got)) != fmt.Sprint(want) {
		t.Errorf("targets through gateAddress %v %v, want %v", urls(got), err, want)
	}
	ns.GateAddress = ""
	if _, err := gateTargets(c, ns, Gate{Name: "loaded", Port: "admin", Path: "/"}, pods); err == nil || !strings.Contains(err.Error(), "no port named admin, which health gate loaded calls") {
		t.Errorf("unknown port: %v", err)
	}
	noIP := []corev1.Pod{pod("demo-hist-0", "")}
	if _, err := gateTargets(c, ns, Gate{Port: "http", Path: "/"}, noIP); err == nil || !strings.Contains(err.Error(), "pod demo-hist-0 has no IP yet") {
		t.Errorf("pod without IP: %v", err)
	}
	if _, err := gateTargets(c, ns, Gate{Port: "http", Path: "/"}, nil); err == nil || !strings.Contains(err.Error(), "no pod to ask") {
		t.Errorf("no pods: %v", err)
	}
}

func pod(name, ip string) corev1.Pod {
	p := corev1.Pod{}
	p.Name, p.Status.PodIP = name, ip
	return p
}

// A check runs at most once per interval; the successes in a row count per rollout and start
// again after a failure or on a new rollout.
func TestGateCheckerStreak(t *testing.T) {
	g := &GateChecker{}
	gate := Gate{Interval: 10 * time.Second, Successes: 3}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var runs atomic.Int32
	answer := gateAnswer{ok: true}
	run := func() gateAnswer { runs.Add(1); return answer }
	step := func(d time.Duration, rollout string, wantSuccesses int, wantRuns int32, wantWait time.Duration) {
		t.Helper()
		now = now.Add(d)
		c, wait := g.check("k", rollout, gate, now, run)
		if c.successes != wantSuccesses || runs.Load() != wantRuns || wait != wantWait {
			t.Errorf("after %v on %s: %d successes, %d runs, wait %v; want %d, %d, %v", d, rollout, c.successes, runs.Load(), wait, wantSuccesses, wantRuns, wantWait)
		}
	}
	step(0, "r1", 1, 1, 10*time.Second)
	step(4*time.Second, "r1", 1, 1, 6*time.Second) // not due: the last answer stands
	step(6*time.Second, "r1", 2, 2, 10*time.Second)
	answer = gateAnswer{message: "no"}
	step(10*time.Second, "r1", 0, 3, 10*time.Second)
	answer = gateAnswer{ok: true}
	step(10*time.Second, "r1", 1, 4, 10*time.Second)
	step(time.Second, "r2", 1, 5, 10*time.Second) // a new rollout checks at once, from zero
	g.forget("k")
	step(time.Second, "r2", 1, 6, 10*time.Second)
}
