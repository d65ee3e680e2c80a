package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// outage is how long the API server and etcd stay stopped in apiServerRestart.
const outage = 10 * time.Second

// prompt bounds the time from a node type having rolled out to the next one starting, once a
// fault is over. The operator learns of a rollout from its watches, within milliseconds
// (50 ms is usual here), and its cache is fresh again within about 2 s of the API server
// answering; its timer alone would take up to 5 s. Longer means it was blind: a cache left
// stale by the fault, as client-go's back-off left it for 8 to 60 s before NewInformer.
const prompt = 4 * time.Second

// faultDuringUpgrade changes every image and, as soon as the first node type in the order
// has taken its new image, runs fault, which returns when the fault is over (the operator
// or the API server is back). The upgrade must then complete in order, with the conditions
// of a settled cluster and every upgrade event recorded once.
func (s *suite) faultDuringUpgrade(t *testing.T, suffix string, fault func(t *testing.T) time.Time) {
	cr := s.get(t)
	order := cr.Order()
	typeOf := map[string]string{}
	for _, n := range cr.Nodes(s.app.AppConfigField()) {
		typeOf[n.Name] = n.NodeType
	}
	want := map[string]string{} // k8sConfig name -> new image
	for _, k := range cr.K8sConfigNames() {
		want[k] = s.image(k, suffix)
	}
	mark, start := s.w.Mark(), time.Now()
	gen := s.edit(t, func(cr CR) {
		for k, img := range want {
			cr.SetImage(k, img)
		}
	})
	// updatedTypes are the node types a workload of which has taken its new image.
	updatedTypes := func() []string {
		var types []string
		for _, c := range s.w.Since(mark) {
			if c.Type == watch.Modified && strings.HasSuffix(c.Image, "-"+suffix) && !slices.Contains(types, typeOf[c.NodeSet]) {
				types = append(types, typeOf[c.NodeSet])
			}
		}
		return types
	}
	measure(t, rollout, "the first node type to start rolling out", func() string {
		if !slices.Contains(updatedTypes(), order[0]) {
			return fmt.Sprintf("node type %s has not taken its new image yet", order[0])
		}
		return ""
	})
	faultAt, started := time.Now(), updatedTypes()
	if len(order) > 1 && slices.Contains(started, order[len(order)-1]) {
		t.Errorf("the fault came too late: the last node type %s had already taken its new image", order[len(order)-1])
	}
	recovered := fault(t)
	done := measure(t, rollout, "the upgrade to complete", func() string { return s.upgradeDone(s.get(t), gen) })
	t.Logf("fault at +%s (node types started: %v), over at +%s; the upgrade completed %s after that",
		faultAt.Sub(start).Round(time.Millisecond), started, recovered.Sub(start).Round(time.Millisecond),
		done.Sub(recovered).Round(time.Millisecond))
	cr = s.get(t)
	if up, _ := cr.Upgrade(); up.ToGeneration != gen {
		t.Errorf("status.upgrade is to generation %d, want %d", up.ToGeneration, gen)
	}
	var slowest time.Duration
	timed := 0
	for _, step := range s.checkOrder(t, cr, mark, start) {
		if step.rolledOut.Before(recovered) {
			continue // the fault, not the operator, held this step up
		}
		timed++
		took := step.next.Sub(step.rolledOut)
		slowest = max(slowest, took)
		if took > prompt {
			t.Errorf("after the fault, node type %s started %s after %s had rolled out, want within %s: the operator did not see the rollout",
				step.to, took.Round(time.Millisecond), step.from, prompt)
		}
	}
	if timed > 0 {
		t.Logf("after the fault, each next node type started at most %s after the one before rolled out", slowest.Round(time.Millisecond))
	}
	s.checkNodeSets(t, cr)
	s.checkEventsOnce(t, start, gen)
}

// checkEventsOnce checks that no event about the CR since start was recorded twice (as two
// events or as a series), and that the upgrade to generation gen completed exactly once.
func (s *suite) checkEventsOnce(t *testing.T, start time.Time, gen int64) {
	t.Helper()
	completed := fmt.Sprintf("to %d completed", gen)
	var seen map[string]int
	var problems []string
	eventually(t, 30*time.Second, "one UpgradeCompleted event", func() string {
		var list eventsv1.EventList
		if err := s.c.List(s.ctx, &list, client.InNamespace(s.ns)); err != nil {
			return err.Error()
		}
		seen, problems = map[string]int{}, nil
		for _, e := range list.Items {
			if e.Regarding.Kind != s.gvk.Kind || e.Regarding.Name != s.name || e.EventTime.Time.Before(start) {
				continue
			}
			key := e.Type + " " + e.Reason + ": " + e.Note
			seen[key]++
			if e.Series != nil && e.Series.Count > 1 {
				problems = append(problems, fmt.Sprintf("%s (a series of %d)", key, e.Series.Count))
			}
		}
		n := 0
		for key, count := range seen {
			if count > 1 {
				problems = append(problems, fmt.Sprintf("%s (%d events)", key, count))
			}
			if strings.HasPrefix(key, corev1.EventTypeNormal+" UpgradeCompleted: ") && strings.Contains(key, completed) {
				n += count
			}
		}
		if n == 0 {
			return "no UpgradeCompleted event for generation " + fmt.Sprint(gen)
		}
		return ""
	})
	slices.Sort(problems)
	for _, p := range problems {
		t.Errorf("event recorded more than once: %s", p)
	}
	t.Logf("%d distinct events since the change, none repeated", len(seen))
}

// killDuringUpgrade kills the operator (SIGKILL) as the first node type rolls out and starts
// a new one, which must carry the upgrade on from the cluster and the CR's status alone.
func (s *suite) killDuringUpgrade(t *testing.T) {
	s.faultDuringUpgrade(t, "kill", func(t *testing.T) time.Time {
		if err := s.op.Kill(); err != nil {
			t.Fatal(err)
		}
		return time.Now()
	})
}

// apiServerRestart kills the API server and etcd as the first node type rolls out, and
// starts them again after the outage. The operator keeps running throughout and must carry
// on by itself once the API server answers.
func (s *suite) apiServerRestart(t *testing.T) {
	var restarted func() ([]string, error)
	s.faultDuringUpgrade(t, "restart", func(t *testing.T) time.Time {
		stop := time.Now()
		var err error
		if restarted, err = s.cluster.RestartAPIServer(outage); err != nil {
			t.Fatal(err)
		}
		s.fig.restartBack = time.Now()
		t.Logf("API server and etcd away for %s (%s outage, then the start)", s.fig.restartBack.Sub(stop).Round(time.Millisecond), outage)
		if err := s.op.Running(); err != nil {
			t.Fatalf("the operator did not survive the outage: %v", err)
		}
		return s.fig.restartBack
	})
	s.fig.restartToDone = time.Since(s.fig.restartBack)
	names, err := restarted()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("control-plane programs restarted after losing their lease, as a kubelet would: %v", names)
}

// leaderHandover runs two replicas with leader election, kills the leader as the first node
// type rolls out, and lets the other one finish the upgrade. The single operator of the other
// steps is stopped meanwhile and started again afterwards.
func (s *suite) leaderHandover(t *testing.T) {
	s.op.Stop()
	dir := filepath.Dir(s.op.logPath)
	args := []string{"--leader-elect", "--leader-election-namespace=" + s.ns}
	replicas := []*Operator{
		startOperator(t, s.op.binary, s.op.kubeconfig, filepath.Join(dir, "replica-a.log"), args...),
		startOperator(t, s.op.binary, s.op.kubeconfig, filepath.Join(dir, "replica-b.log"), args...),
	}
	// A replica starts its controllers' workers only once it leads.
	leading := func() []*Operator {
		var l []*Operator
		for _, o := range replicas {
			if ok, err := o.Logged("Starting workers"); err == nil && ok {
				l = append(l, o)
			}
		}
		return l
	}
	eventually(t, time.Minute, "a replica to lead", func() string {
		if len(leading()) == 0 {
			return "no replica has started its workers"
		}
		return ""
	})
	leader := leading()[0]
	s.faultDuringUpgrade(t, "handover", func(t *testing.T) time.Time {
		if l := leading(); len(l) != 1 {
			t.Fatalf("%d replicas run their workers, want exactly one", len(l))
		}
		killed := time.Now()
		leader.KillOnly()
		took := measure(t, time.Minute, "the other replica to take over", func() string {
			if len(leading()) != 2 { // the killed leader's log keeps its line
				return "the other replica has not started its workers"
			}
			return ""
		})
		s.fig.handover = took.Sub(killed)
		t.Logf("the other replica took over %s after the leader was killed", s.fig.handover.Round(time.Millisecond))
		return took
	})
	for _, o := range replicas {
		o.Stop()
	}
	if err := s.op.Restart(); err != nil {
		t.Fatal(err)
	}
}
