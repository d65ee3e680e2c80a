package dsoi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// wantEvent is an upgrade event a case expects; the note must contain every string of contains.
type wantEvent struct {
	warning  bool
	reason   string
	contains []string
}

func TestNextUpgrade(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time {
		tm := metav1.NewTime(t0.Add(d))
		return &tm
	}
	// running is an upgrade from generation 1 to 2 started at t0, at nodeType since t0+since.
	running := func(nodeType string, since time.Duration) *Upgrade {
		return &Upgrade{Phase: UpgradeProgressing, FromGeneration: 1, ToGeneration: 2, StartedAt: at(0), NodeType: nodeType, NodeTypeStartedAt: at(since)}
	}
	halted := func(nodeType string, since time.Duration, message string) *Upgrade {
		u := running(nodeType, since)
		u.Phase, u.Message = UpgradeHalted, message
		return u
	}
	completed := func(finished time.Duration, duration string) *Upgrade {
		return &Upgrade{Phase: UpgradeCompleted, FromGeneration: 1, ToGeneration: 2, StartedAt: at(0), FinishedAt: at(finished), Duration: duration}
	}
	with := func(u *Upgrade, edit func(*Upgrade)) *Upgrade {
		c := *u
		edit(&c)
		return &c
	}
	const (
		crash    = "node set a (node type a): pod tri-a-0: container a is in CrashLoopBackOff: back-off 40s"
		waiting  = "node set a: 1 of 2 replicas ready"
		deadline = "node type a has not rolled out within the progress deadline of 1m0s: " + waiting
	)
	atA := rolloutState{upgrading: true, current: "a", waiting: waiting}

	tests := []struct {
		name  string
		prev  *Upgrade
		state rolloutState
		now   time.Duration // after t0
		// opts edits the options: order a, b, c, ordered, deadline 1m, generation 2 (last 1).
		opts   func(*Options)
		want   *Upgrade
		events []wantEvent
	}{
		{
			name: "never upgraded, installing", prev: nil, state: rolloutState{current: "a", waiting: waiting},
			want: nil,
		},
		{
			name: "nothing to do after a completed upgrade", prev: completed(time.Minute, "1m0s"), state: rolloutState{}, now: time.Hour,
			want: completed(time.Minute, "1m0s"),
		},
		{
			// The previous process wrote the whole rollout and was killed before storing the status.
			name: "found rolled out by an earlier reconcile", prev: completed(time.Minute, "1m0s"), now: time.Hour,
			state:  rolloutState{upgrading: true, unrecorded: true},
			opts:   func(o *Options) { o.Generation, o.LastGeneration = 5, 4 },
			want:   &Upgrade{Phase: UpgradeCompleted, FromGeneration: 4, ToGeneration: 5, StartedAt: at(time.Hour), FinishedAt: at(time.Hour), Duration: "0s"},
			events: []wantEvent{{reason: "UpgradeCompleted", contains: []string{"generation 4 to 5 completed", "ended before recording it"}}},
		},
		{
			name: "found rolling out by an earlier reconcile", prev: completed(time.Minute, "1m0s"), now: time.Hour,
			state:  rolloutState{upgrading: true, unrecorded: true, current: "a", waiting: waiting},
			opts:   func(o *Options) { o.Generation, o.LastGeneration = 5, 4 },
			want:   &Upgrade{Phase: UpgradeProgressing, FromGeneration: 4, ToGeneration: 5, StartedAt: at(time.Hour), NodeType: "a", NodeTypeStartedAt: at(time.Hour)},
			events: []wantEvent{{reason: "UpgradeStarted", contains: []string{"generation 4 to 5"}}},
		},
		{
			name: "start", prev: nil, state: atA,
			want:   running("a", 0),
			events: []wantEvent{{reason: "UpgradeStarted", contains: []string{"generation 1 to 2", "one at a time in order a, b, c"}}},
		},
		{
			name: "start, all at once", prev: nil, state: atA, opts: func(o *Options) { o.UpgradeOrdered = false },
			want:   running("a", 0),
			events: []wantEvent{{reason: "UpgradeStarted", contains: []string{"generation 1 to 2", "all node types roll out at once"}}},
		},
		{
			name: "start after an earlier upgrade", prev: completed(time.Minute, "1m0s"), state: atA, now: time.Hour,
			opts:   func(o *Options) { o.Generation, o.LastGeneration = 5, 4 },
			want:   &Upgrade{Phase: UpgradeProgressing, FromGeneration: 4, ToGeneration: 5, StartedAt: at(time.Hour), NodeType: "a", NodeTypeStartedAt: at(time.Hour)},
			events: []wantEvent{{reason: "UpgradeStarted", contains: []string{"generation 4 to 5"}}},
		},
		{
			name: "a still rolling out", prev: running("a", 0), state: atA, now: 30 * time.Second,
			want: running("a", 0),
		},
		{
			name: "a done, b next", prev: running("a", 0), state: rolloutState{upgrading: true, current: "b"}, now: 40 * time.Second,
			want:   running("b", 40*time.Second),
			events: []wantEvent{{reason: "NodeTypeUpgraded", contains: []string{"Node type a rolled out generation 2"}}},
		},
		{
			name: "a done, c next: b had nothing to change", prev: running("a", 0), state: rolloutState{upgrading: true, current: "c"}, now: 40 * time.Second,
			want:   running("c", 40*time.Second),
			events: []wantEvent{{reason: "NodeTypeUpgraded", contains: []string{"Node type a "}}},
		},
		{
			// a lost a pod while b upgrades: back to a, but nothing was upgraded.
			name: "back from b to a", prev: running("b", 10*time.Second), state: atA, now: 20 * time.Second,
			want: running("a", 20*time.Second),
		},
		{
			// A change of a workload that rolls nothing out: a reverted hand edit of its labels.
			name: "a change that rolls nothing out", prev: completed(time.Minute, "1m0s"), state: rolloutState{upgrading: true}, now: time.Hour,
			want: completed(time.Minute, "1m0s"),
		},
		{
			name: "completed", prev: running("c", time.Minute), state: rolloutState{}, now: 90*time.Second + 400*time.Millisecond,
			want: completed(90*time.Second+400*time.Millisecond, "1m30s"),
			events: []wantEvent{
				{reason: "NodeTypeUpgraded", contains: []string{"Node type c rolled out generation 2"}},
				{reason: "UpgradeCompleted", contains: []string{"generation 1 to 2 completed in 1m30s"}},
			},
		},
		{
			name: "completed while halted", prev: halted("c", time.Minute, "node type c has not rolled out"), state: rolloutState{}, now: 3 * time.Minute,
			want: completed(3*time.Minute, "3m0s"),
			events: []wantEvent{
				{reason: "NodeTypeUpgraded", contains: []string{"Node type c "}},
				{reason: "UpgradeResumed", contains: []string{"node type c recovered"}},
				{reason: "UpgradeCompleted", contains: []string{"completed in 3m0s"}},
			},
		},
		{
			name: "halt on a failing pod", prev: running("a", 0), now: 10 * time.Second,
			state:  rolloutState{upgrading: true, current: "a", failure: crash, waiting: waiting},
			want:   halted("a", 0, crash),
			events: []wantEvent{{warning: true, reason: "UpgradeHalted", contains: []string{"halted at node type a", crash}}},
		},
		{
			name: "at the deadline: not yet", prev: running("a", 0), state: atA, now: time.Minute,
			want: running("a", 0),
		},
		{
			name: "past the deadline", prev: running("a", 0), state: atA, now: time.Minute + time.Second,
			want:   halted("a", 0, deadline),
			events: []wantEvent{{warning: true, reason: "UpgradeHalted", contains: []string{"halted at node type a", deadline}}},
		},
		{
			name: "no deadline", prev: running("a", 0), state: atA, now: 10 * time.Hour, opts: func(o *Options) { o.ProgressDeadline = 0 },
			want: running("a", 0),
		},
		{
			name: "the deadline counts from the node type's start", prev: running("b", 50*time.Second),
			state: rolloutState{upgrading: true, current: "b", waiting: "node set b: 0 of 2 replicas ready"}, now: 100 * time.Second,
			want: running("b", 50*time.Second),
		},
		{
			name: "halt already recorded", prev: halted("a", 0, deadline), state: atA, now: 5 * time.Minute,
			want: halted("a", 0, deadline),
		},
		{
			name: "halted for another reason", prev: halted("a", 0, deadline), now: 5 * time.Minute,
			state:  rolloutState{upgrading: true, current: "a", failure: crash, waiting: waiting},
			want:   halted("a", 0, crash),
			events: []wantEvent{{warning: true, reason: "UpgradeHalted", contains: []string{crash}}},
		},
		{
			name: "resume", prev: halted("a", 0, crash), state: atA, now: 30 * time.Second,
			want:   running("a", 0),
			events: []wantEvent{{reason: "UpgradeResumed", contains: []string{"node type a is rolling out again"}}},
		},
		{
			// The fix of a halt is often a new spec: its node type gets a fresh deadline.
			name: "new generation while halted at the deadline", prev: halted("a", 0, deadline), state: atA, now: 5 * time.Minute,
			opts:   func(o *Options) { o.Generation, o.LastGeneration = 3, 2 },
			want:   with(running("a", 5*time.Minute), func(u *Upgrade) { u.ToGeneration = 3 }),
			events: []wantEvent{{reason: "UpgradeResumed"}},
		},
		{
			name: "new generation while progressing", prev: running("a", 0), state: atA, now: 30 * time.Second,
			opts: func(o *Options) { o.Generation, o.LastGeneration = 3, 2 },
			want: with(running("a", 30*time.Second), func(u *Upgrade) { u.ToGeneration = 3 }),
		},
		{
			name: "a done, b fails at once", prev: running("a", 0), now: 40 * time.Second,
			state: rolloutState{upgrading: true, current: "b", failure: "node set b (node type b): pod tri-b-x failed: Evicted"},
			want: with(running("b", 40*time.Second), func(u *Upgrade) {
				u.Phase, u.Message = UpgradeHalted, "node set b (node type b): pod tri-b-x failed: Evicted"
			}),
			events: []wantEvent{
				{reason: "NodeTypeUpgraded", contains: []string{"Node type a "}},
				{warning: true, reason: "UpgradeHalted", contains: []string{"halted at node type b", "Evicted"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Order: []string{"a", "b", "c"}, UpgradeOrdered: true, ProgressDeadline: time.Minute, Generation: 2, LastGeneration: 1}
			if tt.opts != nil {
				tt.opts(&opts)
			}
			before := cloneUpgrade(tt.prev)
			got, events := nextUpgrade(tt.prev, tt.state, &opts, t0.Add(tt.now))
			if !equality.Semantic.DeepEqual(got, tt.want) {
				t.Errorf("upgrade\n%s\nwant\n%s", formatUpgrade(got), formatUpgrade(tt.want))
			}
			if !equality.Semantic.DeepEqual(tt.prev, before) {
				t.Errorf("nextUpgrade changed its input: %s, was %s", formatUpgrade(tt.prev), formatUpgrade(before))
			}
			if len(events) != len(tt.events) {
				t.Fatalf("events %+v, want %d: %+v", events, len(tt.events), tt.events)
			}
			for i, w := range tt.events {
				e := events[i]
				if e.Warning != w.warning || e.Reason != w.reason || e.Action != "Upgrade" {
					t.Errorf("event %d = %+v, want warning=%v reason %s action Upgrade", i, e, w.warning, w.reason)
				}
				for _, s := range w.contains {
					if !strings.Contains(e.Note, s) {
						t.Errorf("event %d note %q, want it to contain %q", i, e.Note, s)
					}
				}
			}
		})
	}
}

func cloneUpgrade(u *Upgrade) *Upgrade {
	if u == nil {
		return nil
	}
	c := *u
	for _, p := range []**metav1.Time{&c.StartedAt, &c.FinishedAt, &c.NodeTypeStartedAt} {
		if *p != nil {
			t := **p
			*p = &t
		}
	}
	return &c
}

func formatUpgrade(u *Upgrade) string {
	if u == nil {
		return "nil"
	}
	tm := func(t *metav1.Time) string {
		if t == nil {
			return "nil"
		}
		return t.UTC().Format("15:04:05")
	}
	return fmt.Sprintf("{%s %d->%d started %s finished %s duration %q nodeType %q since %s message %q}",
		u.Phase, u.FromGeneration, u.ToGeneration, tm(u.StartedAt), tm(u.FinishedAt), u.Duration, u.NodeType, tm(u.NodeTypeStartedAt), u.Message)
}

func TestUnrecordedChange(t *testing.T) {
	opts := Options{Generation: 5, LastGeneration: 4, LastRevisions: map[string]string{"a": "a-7d9f", "b": ""}}
	for _, c := range []struct {
		name    string
		opts    Options
		nodeSet string
		live    string
		want    bool
	}{
		{"revision moved on for a new generation", opts, "a", "a-5c4b", true},
		{"same revision", opts, "a", "a-7d9f", false},
		{"the generation is described already", Options{Generation: 4, LastGeneration: 4, LastRevisions: opts.LastRevisions}, "a", "a-5c4b", false},
		{"no revision stored (a new node set)", opts, "c", "c-1", false},
		{"an empty revision stored", opts, "b", "b-1", false},
		{"no live revision yet", opts, "a", "", false},
	} {
		if got := unrecordedChange(c.opts, c.nodeSet, Rollout{Revision: c.live}); got != c.want {
			t.Errorf("%s: unrecordedChange = %v, want %v", c.name, got, c.want)
		}
	}
}
