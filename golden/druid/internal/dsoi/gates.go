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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Gate is a health gate: an HTTP GET whose answer says whether the application itself is
// healthy (segments loaded, partitions replicated), not merely whether its pods are ready.
// A node set with gates counts as rolled out only once every gate has passed for its current
// revision and size, so the next node type in the order waits for it.
type Gate struct {
	Name string
	// Service: one call to the node set's client Service; otherwise every pod is asked and
	// all must pass.
	Service bool
	// Port is the name of a container port; Path the HTTP path, with any query.
	Port, Path string
	// Status is the HTTP status of a passing answer.
	Status int
	// Condition is a CEL expression over the answer (gatecel.go); "" for none.
	Condition string
	// Interval is the time between checks, Timeout the longest one may take.
	Interval, Timeout time.Duration
	// Successes is how many checks in a row must pass.
	Successes int
}

// States of a gate.
const (
	GatePassed   = "Passed"
	GateFailed   = "Failed"
	GateChecking = "Checking"
)

// GateResult is the state of one gate of a node set, as its status shows it.
type GateResult struct {
	Name string
	// State is Passed, Failed (the last check failed) or Checking (it passed, but not yet
	// as many times in a row as the gate asks).
	State string
	// Since is when the gate entered State: no time per check, which would write the status
	// on every check.
	Since *metav1.Time
	// Message says why the gate failed, or how far a Checking gate has got.
	Message string
}

// NodeSetGates is the state of a node set's gates, kept in the CR's status.
type NodeSetGates struct {
	// PassedFor is the rollout (revision and replicas, see gateRollout) every gate last
	// passed for. While it names the current rollout nothing is checked: an idle cluster
	// sends no request.
	PassedFor string
	Results   []GateResult
}

// MaxGateResponse is the most of an answer a gate reads; a larger one fails the check.
const MaxGateResponse = 1 << 20

// Headers that tell a gate's endpoint which pod a call is about: with a node set's
// gateAddress, every call goes to one address.
const (
	HeaderPod     = "X-Dsoi-Pod"
	HeaderNodeSet = "X-Dsoi-Node-Set"
)

// GateChecker runs health gates and remembers, per gate, the last check and how many passed
// in a row. It lives as long as the operator process: a new process counts again from zero,
// which can only delay a rollout, never let one through unchecked.
type GateChecker struct {
	// HTTP makes the calls; nil means a client that follows no redirect.
	HTTP *http.Client

	mu       sync.Mutex
	checks   map[string]*gateCheck
	programs map[string]cel.Program
}

// gateCheck is the last check of one gate of one node set.
type gateCheck struct {
	rollout   string
	at        time.Time
	successes int
	answer    gateAnswer
}

// gateAnswer is the outcome of one check.
type gateAnswer struct {
	ok bool
	// message says why it failed; response quotes the answer that failed, for the event
	// that halts an upgrade.
	message, response string
}

// NewGateChecker returns a GateChecker with no history.
func NewGateChecker() *GateChecker { return &GateChecker{} }

// defaultGates serves appliers that were given no GateChecker.
var defaultGates = NewGateChecker()

func (a *Applier) gates() *GateChecker {
	if a.Gates != nil {
		return a.Gates
	}
	return defaultGates
}

func (g *GateChecker) client() *http.Client {
	if g.HTTP != nil {
		return g.HTTP
	}
	return noRedirects
}

// noRedirects is the default client: a gate's answer is the one its endpoint gives, not
// that of a page it points to.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// gateRollout names what a node set's gates pass for: its workload revision and size, so
// a new revision, a config change or a scale each need the gates again.
func gateRollout(r Rollout) string { return fmt.Sprintf("%s/%d", r.Revision, r.Desired) }

// gatesToCheck reports whether a node set's gates are due now: the node set has gates, its
// pods have all rolled out and are ready, and the gates have not passed for this rollout.
func gatesToCheck(ns *NodeSet, nr *NodeSetReport, op string) bool {
	return len(ns.Gates) > 0 && nr.Done && nr.Desired > 0 && op != ClusterStopping &&
		nr.Gates.PassedFor != gateRollout(nr.Rollout)
}

// checkGates runs the node set's gates that are due and records the outcome in nr: the node
// set is done only once every gate has passed. It tells state when to look again, the last
// failing answer (for a halt) and the gate events.
func (a *Applier) checkGates(ctx context.Context, c *Cluster, ns *NodeSet, nr *NodeSetReport, state *rolloutState, now time.Time) error {
	rollout := gateRollout(nr.Rollout)
	var pods []corev1.Pod
	if slices.ContainsFunc(ns.Gates, func(g Gate) bool { return !g.Service }) {
		var err error
		if pods, err = a.podsOf(ctx, c, ns); err != nil {
			return err
		}
	}
	checker := a.gates()
	last := nr.Gates.Results
	results := make([]GateResult, 0, len(ns.Gates))
	var waiting []string
	for _, g := range ns.Gates {
		key := gateKey(a.Owner, c, ns, g)
		check, wait := checker.check(key, rollout, g, now, func() gateAnswer { return checker.run(ctx, c, ns, g, pods) })
		if state.gateWait == 0 || wait < state.gateWait {
			state.gateWait = wait
		}
		res := GateResult{Name: g.Name, State: GatePassed}
		switch {
		case !check.answer.ok:
			res.State, res.Message = GateFailed, check.answer.message
			if state.gateResponse == "" {
				state.gateResponse = check.answer.response
			}
		case check.successes < g.Successes:
			res.State, res.Message = GateChecking, fmt.Sprintf("%d of %d checks in a row passed", check.successes, g.Successes)
		}
		res.Since = &metav1.Time{Time: now}
		if prev := gateResult(last, g.Name); prev != nil && prev.State == res.State && prev.Since != nil {
			res.Since = prev.Since
		} else {
			state.events = append(state.events, gateEvent(ns, res)...)
		}
		if res.State != GatePassed {
			waiting = append(waiting, fmt.Sprintf("health gate %s %s", g.Name, strings.ToLower(res.State)+": "+res.Message))
		}
		results = append(results, res)
	}
	nr.Gates.Results = results
	if len(waiting) > 0 {
		nr.Done, nr.Phase, nr.Message = false, PhaseProgressing, strings.Join(waiting, "; ")
		return nil
	}
	nr.Gates.PassedFor = rollout
	checker.forget(gateKey(a.Owner, c, ns, Gate{}))
	return nil
}

// gateEvent is the event for a gate entering a state: GateFailed and GatePassed, none for
// Checking (a gate on its way to passing).
func gateEvent(ns *NodeSet, res GateResult) []Event {
	switch res.State {
	case GateFailed:
		return []Event{{Warning: true, Reason: "GateFailed", Action: "CheckHealth",
			Note: fmt.Sprintf("Node set %s: health gate %s failed: %s", ns.Name, res.Name, res.Message)}}
	case GatePassed:
		return []Event{{Reason: "GatePassed", Action: "CheckHealth",
			Note: fmt.Sprintf("Node set %s: health gate %s passed", ns.Name, res.Name)}}
	}
	return nil
}

func gateResult(results []GateResult, name string) *GateResult {
	for i := range results {
		if results[i].Name == name {
			return &results[i]
		}
	}
	return nil
}

// gateKey identifies a gate of a node set of one CR; with the gate's name empty it is the
// prefix of all the node set's gates.
func gateKey(owner client.Object, c *Cluster, ns *NodeSet, g Gate) string {
	uid := ""
	if owner != nil {
		uid = string(owner.GetUID())
	}
	return fmt.Sprintf("%s/%s/%s/%s/%s", c.Namespace, c.Instance, uid, ns.Name, g.Name)
}

// check returns the gate's latest check for this rollout, running a new one when the last
// is older than the gate's interval, and how long until the next is due.
func (g *GateChecker) check(key, rollout string, gate Gate, now time.Time, run func() gateAnswer) (gateCheck, time.Duration) {
	g.mu.Lock()
	if g.checks == nil {
		g.checks = map[string]*gateCheck{}
	}
	c := g.checks[key]
	if c == nil || c.rollout != rollout {
		c = &gateCheck{rollout: rollout}
		g.checks[key] = c
	}
	due := c.at.IsZero() || now.Sub(c.at) >= gate.Interval || now.Before(c.at)
	g.mu.Unlock()
	if due {
		answer := run() // outside the lock: it waits for the network
		g.mu.Lock()
		c.at, c.answer = now, answer
		if answer.ok {
			c.successes++
		} else {
			c.successes = 0
		}
		g.mu.Unlock()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return *c, gate.Interval - now.Sub(c.at)
}

// forget drops the checks under a key prefix once a node set's gates have passed.
func (g *GateChecker) forget(prefix string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for key := range g.checks {
		if strings.HasPrefix(key, prefix) {
			delete(g.checks, key)
		}
	}
}

// program compiles a condition once.
func (g *GateChecker) program(expr string) (cel.Program, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.programs[expr]; ok {
		return p, nil
	}
	p, err := CompileGateCondition(expr)
	if err != nil {
		return nil, err
	}
	if g.programs == nil {
		g.programs = map[string]cel.Program{}
	}
	g.programs[expr] = p
	return p, nil
}

// gateTarget is one call of a check: the URL and the pod it is about ("" for the Service).
type gateTarget struct {
	url, pod string
}

// run checks a gate once: against the Service, or against every pod (at once), failing on
// the first pod by name that fails.
func (g *GateChecker) run(ctx context.Context, c *Cluster, ns *NodeSet, gate Gate, pods []corev1.Pod) gateAnswer {
	targets, err := gateTargets(c, ns, gate, pods)
	if err != nil {
		return gateAnswer{message: err.Error()}
	}
	var prog cel.Program
	if gate.Condition != "" {
		if prog, err = g.program(gate.Condition); err != nil {
			return gateAnswer{message: fmt.Sprintf("condition %s does not compile: %s", gate.Condition, oneLine(err.Error()))}
		}
	}
	answers := make([]gateAnswer, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { answers[i] = g.call(ctx, ns, gate, prog, t) })
	}
	wg.Wait()
	for i, ans := range answers {
		if !ans.ok {
			if targets[i].pod != "" {
				ans.message = "pod " + targets[i].pod + ": " + ans.message
			}
			return ans
		}
	}
	return gateAnswer{ok: true}
}

// gateTargets lists the calls of one check. A node set's GateAddress replaces the pods'
// and Service's address (an operator outside the cluster, a proxy, a test).
func gateTargets(c *Cluster, ns *NodeSet, gate Gate, pods []corev1.Pod) ([]gateTarget, error) {
	port, err := gatePort(ns, gate)
	if err != nil {
		return nil, err
	}
	base := func(host string) string { return "http://" + host + ":" + strconv.Itoa(int(port)) }
	if ns.GateAddress != "" {
		addr := strings.TrimSuffix(ns.GateAddress, "/")
		if !strings.Contains(addr, "://") {
			addr = "http://" + addr
		}
		base = func(string) string { return addr }
	}
	if gate.Service {
		host := ObjectName(c.Instance, ns.Name) + "." + c.Namespace + ".svc"
		return []gateTarget{{url: base(host) + gate.Path}}, nil
	}
	var out []gateTarget
	for i := range pods {
		pod := &pods[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		if pod.Status.PodIP == "" && ns.GateAddress == "" {
			return nil, fmt.Errorf("pod %s has no IP yet", pod.Name)
		}
		out = append(out, gateTarget{url: base(pod.Status.PodIP) + gate.Path, pod: pod.Name})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no pod to ask")
	}
	return out, nil
}

// gatePort finds the gate's port by name: in the client Service for a Service gate when the
// CR sets the Service's ports, else among the container ports.
func gatePort(ns *NodeSet, gate Gate) (int32, error) {
	if gate.Service && ns.Service != nil {
		for _, p := range ns.Service.Ports {
			if p.Name == gate.Port {
				return p.Port, nil
			}
		}
	}
	for _, p := range ns.Container.Ports {
		if p.Name == gate.Port {
			return p.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("the node set has no port named %s, which health gate %s calls: add it to the k8sConfig's ports", gate.Port, gate.Name)
}

// call makes one GET and judges the answer: the status, then the condition.
func (g *GateChecker) call(ctx context.Context, ns *NodeSet, gate Gate, prog cel.Program, t gateTarget) gateAnswer {
	status, body, failed := g.send(ctx, ns, request{method: http.MethodGet, path: gate.Path, timeout: gate.Timeout}, t)
	switch {
	case failed != nil:
		return *failed
	case status != gate.Status:
		return gateAnswer{message: fmt.Sprintf("GET %s: status %d, want %d", gate.Path, status, gate.Status),
			response: fmt.Sprintf("status %d: %s", status, excerpt(body))}
	}
	if prog == nil {
		return gateAnswer{ok: true}
	}
	return judge(gate, prog, status, body)
}

// request is one HTTP call to an application: a gate's GET, or a drain's start.
type request struct {
	method, path, body string
	timeout            time.Duration
}

// send makes one call and reads at most MaxGateResponse bytes of the answer; a call that
// got no full answer comes back as a failed gateAnswer saying why.
func (g *GateChecker) send(ctx context.Context, ns *NodeSet, r request, t gateTarget) (int, []byte, *gateAnswer) {
	fail := func(format string, args ...any) (int, []byte, *gateAnswer) {
		return 0, nil, &gateAnswer{message: r.method + " " + r.path + ": " + fmt.Sprintf(format, args...)}
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, t.url, body)
	if err != nil {
		return 0, nil, &gateAnswer{message: fmt.Sprintf("URL %q: %s", t.url, err)}
	}
	req.Header.Set("Accept", "application/json")
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(HeaderNodeSet, ns.Name)
	if t.pod != "" {
		req.Header.Set(HeaderPod, t.pod)
	}
	res, err := g.client().Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return fail("no answer within %s", r.timeout)
		}
		return fail("%s", unwrapURLError(err))
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, MaxGateResponse+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return fail("no full answer within %s", r.timeout)
	case err != nil:
		return fail("reading the answer: %s", err)
	case len(answer) > MaxGateResponse:
		status, _, failed := fail("the answer is over %d bytes", MaxGateResponse)
		failed.response = excerpt(answer)
		return status, nil, failed
	}
	return res.StatusCode, answer, nil
}

// judge evaluates a gate's condition on an answer.
func judge(gate Gate, prog cel.Program, status int, body []byte) gateAnswer {
	var parsed any
	if err := json.Unmarshal(bytes.TrimSpace(body), &parsed); err != nil {
		parsed = nil // not JSON: body is null, text still holds it
	}
	response := fmt.Sprintf("status %d: %s", status, excerpt(body))
	out, _, err := prog.Eval(map[string]any{"status": int64(status), "body": parsed, "text": string(body)})
	if err != nil {
		if parsed == nil {
			return gateAnswer{message: fmt.Sprintf("condition %s: the answer is not JSON", gate.Condition), response: response}
		}
		return gateAnswer{message: fmt.Sprintf("condition %s: %s", gate.Condition, oneLine(err.Error())), response: response}
	}
	ok, isBool := out.Value().(bool)
	switch {
	case !isBool:
		return gateAnswer{message: fmt.Sprintf("condition %s yields %v, not a bool", gate.Condition, out.Value()), response: response}
	case !ok:
		return gateAnswer{message: fmt.Sprintf("condition %s is false", gate.Condition), response: response}
	}
	return gateAnswer{ok: true}
}

// unwrapURLError drops the method and URL that net/http repeats in front of every error.
func unwrapURLError(err error) string {
	var u interface{ Unwrap() error }
	if errors.As(err, &u) && u.Unwrap() != nil {
		return u.Unwrap().Error()
	}
	return err.Error()
}

func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(first)
}

// excerpt shortens an HTTP answer for a message.
func excerpt(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
