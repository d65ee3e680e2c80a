package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// appHealth plays the application's own endpoints, which KWOK's pods do not serve: every
// node whose node type has health gates or a decommission gets appAddress
// <server>/<node type>. The server answers each gate's path with the description's healthy
// answer, or with 503 for a node type made unhealthy; it records each drain start (the pod,
// from the X-Dsoi-Pod header) and answers a decommission's check with the drained answer, or
// with 503 while the node type's drains are held.
type appHealth struct {
	*httptest.Server
	mu        sync.Mutex
	answers   map[string]string // "<node type> <path>" -> healthy or drained answer
	starts    map[string]bool   // "<node type> <path>" of drain start calls
	checks    map[string]bool   // "<node type> <path>" of decommission checks
	unhealthy map[string]bool   // node types answering 503 to gates
	held      map[string]bool   // node types answering 503 to decommission checks
	calls     int
	// drained lists the pods asked to drain, in order.
	drained []string
	// healthySince is when each node type was last answered healthy after being unhealthy.
	healthySince map[string]time.Time
}

func newAppHealth(app *App) *appHealth {
	h := &appHealth{answers: map[string]string{}, starts: map[string]bool{}, checks: map[string]bool{},
		unhealthy: map[string]bool{}, held: map[string]bool{}, healthySince: map[string]time.Time{}}
	for _, nt := range app.Spec.NodeTypes {
		for _, g := range nt.HealthGates {
			h.answers[nt.Name+" "+g.Path] = g.HealthyAnswer
		}
		if d := nt.Decommission; d != nil {
			h.starts[nt.Name+" "+d.Start.Path] = true
			h.checks[nt.Name+" "+d.Check.Path] = true
			h.answers[nt.Name+" "+d.Check.Path] = d.Check.DrainedAnswer
		}
	}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nodeType, path, _ := strings.Cut(strings.TrimPrefix(r.URL.RequestURI(), "/"), "/")
		key := nodeType + " /" + path
		h.mu.Lock()
		defer h.mu.Unlock()
		h.calls++
		answer, ok := h.answers[key]
		switch {
		case h.starts[key] && r.Method != http.MethodGet:
			h.drained = append(h.drained, r.Header.Get("X-Dsoi-Pod"))
		case h.checks[key] && h.held[nodeType]:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"tasks": 3}`)
		case h.checks[key]:
			fmt.Fprint(w, answer)
		case !ok:
			http.NotFound(w, r)
		case h.unhealthy[nodeType]:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"loading": 42}`)
		default:
			if _, seen := h.healthySince[nodeType]; !seen {
				h.healthySince[nodeType] = time.Now()
			}
			fmt.Fprint(w, answer)
		}
	}))
	return h
}

// setHealthy makes a node type answer healthy (true) or 503.
func (h *appHealth) setHealthy(nodeType string, healthy bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unhealthy[nodeType] = !healthy
	delete(h.healthySince, nodeType)
}

func (h *appHealth) firstHealthy(nodeType string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	at, ok := h.healthySince[nodeType]
	return at, ok
}

func (h *appHealth) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

// holdDrains makes a node type's decommission checks fail (true) or pass.
func (h *appHealth) holdDrains(nodeType string, held bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held[nodeType] = held
}

// drainStarts returns the pods asked to drain so far, in order.
func (h *appHealth) drainStarts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.drained)
}

// address gives the sample's nodes the played endpoints.
func (h *appHealth) address(app *App, cr CR) {
	for _, n := range cr.items("spec", "nodes") {
		if nt := str(n, "nodeType"); len(app.GatesOf(nt)) > 0 || app.DecommissionOf(nt) != nil {
			n["appAddress"] = h.URL + "/" + str(n, "nodeType")
		}
	}
}

// healthGates makes the first node type with gates unhealthy during an upgrade: it rolls out
// its pods but stays there, the later node types are untouched, the upgrade halts at the
// progress deadline with the failing answer in the event, and once the application is
// healthy again the next node type starts at once.
func (s *suite) healthGates(t *testing.T) {
	cr := s.get(t)
	gated := ""
	for _, nt := range cr.Order() {
		if len(s.app.GatesOf(nt)) > 0 {
			gated = nt
			break
		}
	}
	if gated == "" {
		t.Skip("no node type of the description has health gates")
	}
	var gatedNodes, later []Node
	seen := false
	for _, nt := range cr.Order() {
		seen = seen || nt == gated
		for _, n := range cr.Nodes(s.app.AppConfigField()) {
			switch {
			case n.NodeType == nt && nt == gated:
				gatedNodes = append(gatedNodes, n)
			case n.NodeType == nt && seen:
				later = append(later, n)
			}
		}
	}
	before := s.snapshot(t, later)

	s.health.setHealthy(gated, false)
	start, callsBefore := time.Now(), s.health.count()
	gen := s.edit(t, func(cr CR) {
		cr.Object["spec"].(map[string]any)["progressDeadlineSeconds"] = int64(20)
		for _, k := range cr.K8sConfigNames() {
			cr.SetImage(k, s.image(k, "gated"))
		}
	})
	target := gatedNodes[0].Name
	eventually(t, rollout, "the gate of "+target+" to fail", func() string {
		gates, _ := s.get(t).NodeSetStatus()[target]["healthGates"].([]any)
		if len(gates) == 0 {
			return "no gate result yet"
		}
		if g := gates[0].(map[string]any); str(g, "state") != "Failed" || !strings.Contains(str(g, "message"), "status 503") {
			return fmt.Sprintf("gate %v", g)
		}
		return ""
	})
	eventually(t, rollout, "the upgrade to halt at the deadline", func() string {
		c, _ := s.get(t).Condition("Degraded")
		if c.Reason != "UpgradeHalted" || !strings.Contains(c.Message, "health gate") || !strings.Contains(c.Message, "node set "+target) {
			return fmt.Sprintf("Degraded %s: %s", c.Reason, c.Message)
		}
		return ""
	})
	eventually(t, 30*time.Second, "UpgradeHalted quoting the last answer", func() string {
		return s.eventNoting(corev1.EventTypeWarning, "UpgradeHalted", start, `last answer: status 503: {"loading": 42}`)
	})
	eventually(t, 30*time.Second, "a GateFailed event", func() string { return s.event(corev1.EventTypeWarning, "GateFailed", start) })
	// The operator killed while the gate fails: the new process must not let the rollout
	// through unchecked (its memory of the checks is gone, the status is not).
	if err := s.op.Kill(); err != nil {
		t.Fatal(err)
	}
	consistently(t, 15*time.Second, "the later node types to stay put after a restart", func() string {
		for name, w := range s.snapshot(t, later) {
			if w.Image() != before[name].Image() {
				return fmt.Sprintf("node set %s moved to %s after the operator restarted, while %s's gate failed", name, w.Image(), gated)
			}
		}
		return ""
	})
	for name, w := range s.snapshot(t, later) {
		if w.Image() != before[name].Image() {
			t.Errorf("node set %s of a later node type moved to %s while %s's gate failed", name, w.Image(), gated)
		}
	}
	if len(later) == 0 {
		t.Logf("%s is the last node type: there is no later node type to hold", gated)
	}

	// While the gate fails: gate calls and API requests per reconcile (the check itself is no
	// API request; the reconciles come from the interval and the status writes).
	if reconciles, err := s.op.Reconciles(start, time.Now()); err == nil && reconciles > 0 {
		req, err := countRequests(s.cluster.AuditLog(), managerAgent, start, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s.fig.gateCallsPerReconcile = float64(s.health.count()-callsBefore) / float64(reconciles)
		t.Logf("while the gate failed: %d reconciles, %.2f gate calls and %.2f API requests per reconcile",
			reconciles, s.fig.gateCallsPerReconcile, float64(req.Writes+req.Reads)/float64(reconciles))
	}

	// Healthy again: the next node type starts right after the first passing check.
	s.health.setHealthy(gated, true)
	var started time.Time
	if len(later) > 0 {
		next := later[0]
		started = eventuallyEvery(t, 50*time.Millisecond, rollout, "node set "+next.Name+" to start rolling", func() string {
			w, err := s.workload(next.Kind, s.name+"-"+next.Name)
			if err != nil {
				return err.Error()
			}
			if w.Image() == before[next.Name].Image() {
				return "still on " + w.Image()
			}
			return ""
		})
	}
	done := eventually(t, rollout, "the upgrade to complete", func() string { return s.upgradeDone(s.get(t), gen) })
	passed, _ := s.health.firstHealthy(gated)
	if !started.IsZero() {
		s.fig.gateToNext = started.Sub(passed)
		t.Logf("the next node type started %s after the gate's first passing answer", s.fig.gateToNext.Round(time.Millisecond))
	}
	t.Logf("upgrade completed %s after the application was healthy again", done.Sub(passed).Round(time.Millisecond))
	eventually(t, 30*time.Second, "a GatePassed event", func() string { return s.event(corev1.EventTypeNormal, "GatePassed", start) })
	s.edit(t, func(cr CR) { delete(cr.Object["spec"].(map[string]any), "progressDeadlineSeconds") })
}
