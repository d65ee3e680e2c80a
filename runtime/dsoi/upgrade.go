package dsoi

import (
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Phases of an upgrade.
const (
	UpgradeProgressing = "Progressing"
	UpgradeHalted      = "Halted"
	UpgradeCompleted   = "Completed"
)

// Upgrade is the state of the latest upgrade. The generated controller keeps it in the CR's
// status and hands it back on the next reconcile: it is the operator's only memory.
type Upgrade struct {
	Phase                        string
	FromGeneration, ToGeneration int64
	StartedAt, FinishedAt        *metav1.Time
	// Duration is FinishedAt - StartedAt, as text (1m30s).
	Duration string
	// NodeType is the node type rolling out now, NodeTypeStartedAt when it began.
	NodeType          string
	NodeTypeStartedAt *metav1.Time
	// Message says why the upgrade halted.
	Message string
}

// InProgress reports whether the upgrade is still rolling out (or halted on the way).
func (u *Upgrade) InProgress() bool {
	return u != nil && (u.Phase == UpgradeProgressing || u.Phase == UpgradeHalted)
}

// Event is an event about an upgrade. Reconcile returns these instead of recording them, so
// the caller records them once the status that goes with them is stored: a reconcile that
// loses a write conflict (it read a CR older than its own last status) repeats no event.
type Event struct {
	Warning              bool
	Reason, Action, Note string
}

// rolloutState is what one pass over the node sets found.
type rolloutState struct {
	// upgrading: an existing workload had to change (or waits to). unrecorded: one had
	// changed already, by a reconcile that ended before storing its status.
	upgrading, unrecorded bool
	// current is the first node type in the order that has not fully rolled out, "" if none.
	current string
	// failure says why current is failing ("" if it is not).
	failure string
	// waiting describes how far current has got, for the deadline message.
	waiting string
	// op is ClusterStopping or ClusterStarting while spec.stopped is being set or unset.
	op string
	// gateWait is how soon a health gate is due again (0: none is waiting); gateResponse
	// quotes the first failing answer, for the event of a halt.
	gateWait     time.Duration
	gateResponse string
	// events are the health gates' events.
	events []Event
}

// nextUpgrade advances the upgrade bookkeeping by one reconcile. It is a pure function of the
// previous state, what the reconcile found and the clock, so every rule is tested directly.
func nextUpgrade(prev *Upgrade, s rolloutState, opts *Options, now time.Time) (*Upgrade, []Event) {
	var events []Event
	at := metav1.NewTime(now)
	if !prev.InProgress() {
		// A change that rolls nothing out (a reverted hand edit of a workload's labels) is no
		// upgrade: recording one would replace the record of the last real upgrade.
		if s.unrecorded && s.current == "" {
			// Its rollout is over already: recorded as done, from now, as its start is lost.
			done := &Upgrade{Phase: UpgradeCompleted, FromGeneration: opts.LastGeneration, ToGeneration: opts.Generation,
				StartedAt: &at, FinishedAt: &at, Duration: "0s"}
			return done, []Event{{Reason: "UpgradeCompleted", Action: "Upgrade", Note: fmt.Sprintf(
				"Upgrade from generation %d to %d completed; it was rolled out by a reconcile that ended before recording it", done.FromGeneration, done.ToGeneration)}}
		}
		if !s.upgrading || s.current == "" {
			return prev, nil
		}
		next := &Upgrade{Phase: UpgradeProgressing, FromGeneration: opts.LastGeneration, ToGeneration: opts.Generation,
			StartedAt: &at, NodeType: s.current, NodeTypeStartedAt: &at}
		strategy := "node types roll out one at a time in order " + strings.Join(opts.Order, ", ")
		if !opts.UpgradeOrdered {
			strategy = "all node types roll out at once"
		}
		events = append(events, Event{Reason: "UpgradeStarted", Action: "Upgrade",
			Note: fmt.Sprintf("Upgrade from generation %d to %d started: %s", next.FromGeneration, next.ToGeneration, strategy)})
		prev = next
	}
	next := *prev
	was := next.NodeType
	if next.StartedAt == nil { // a status edited by hand: restart the clocks rather than fail
		next.StartedAt = &at
	}
	if next.NodeTypeStartedAt == nil {
		next.NodeTypeStartedAt = &at
	}
	if opts.Generation > next.ToGeneration {
		// A new spec mid-upgrade (often the fix for a halt): its node type gets a fresh deadline.
		next.ToGeneration, next.NodeTypeStartedAt = opts.Generation, &at
	}
	if s.current != next.NodeType {
		// Moving forward in the order means the previous node type has fully rolled out.
		if next.NodeType != "" && (s.current == "" || index(opts.Order, s.current) > index(opts.Order, next.NodeType)) {
			events = append(events, Event{Reason: "NodeTypeUpgraded", Action: "Upgrade",
				Note: fmt.Sprintf("Node type %s rolled out generation %d", next.NodeType, next.ToGeneration)})
		}
		next.NodeType, next.NodeTypeStartedAt = s.current, &at
	}
	if s.current == "" {
		if next.Phase == UpgradeHalted {
			events = append(events, Event{Reason: "UpgradeResumed", Action: "Upgrade",
				Note: fmt.Sprintf("Upgrade resumed: node type %s recovered", was)})
		}
		next.Phase, next.FinishedAt, next.Message = UpgradeCompleted, &at, ""
		next.Duration = now.Sub(next.StartedAt.Time).Round(time.Second).String()
		next.NodeTypeStartedAt = nil
		events = append(events, Event{Reason: "UpgradeCompleted", Action: "Upgrade",
			Note: fmt.Sprintf("Upgrade from generation %d to %d completed in %s", next.FromGeneration, next.ToGeneration, next.Duration)})
		return &next, events
	}

	halt, response := s.failure, ""
	if halt == "" && opts.ProgressDeadline > 0 && now.Sub(next.NodeTypeStartedAt.Time) > opts.ProgressDeadline {
		halt = fmt.Sprintf("node type %s has not rolled out within the progress deadline of %s: %s", s.current, opts.ProgressDeadline, s.waiting)
		response = s.gateResponse
	}
	switch {
	case halt != "" && (next.Phase != UpgradeHalted || next.Message != halt):
		next.Phase, next.Message = UpgradeHalted, halt
		note := "Upgrade halted: " + halt
		if opts.UpgradeOrdered {
			note = fmt.Sprintf("Upgrade halted at node type %s; later node types are not touched until it recovers or the spec is fixed: %s", s.current, halt)
		}
		if response != "" {
			// The answer that failed goes in the event only: in the status it would change
			// the message, and write it, on every check.
			note += "; last answer: " + response
		}
		events = append(events, Event{Warning: true, Reason: "UpgradeHalted", Action: "Upgrade", Note: note})
	case halt == "" && next.Phase == UpgradeHalted:
		next.Phase, next.Message = UpgradeProgressing, ""
		events = append(events, Event{Reason: "UpgradeResumed", Action: "Upgrade",
			Note: fmt.Sprintf("Upgrade resumed: node type %s is rolling out again", s.current)})
	}
	return &next, events
}

func index(order []string, nodeType string) int {
	if i := slices.Index(order, nodeType); i >= 0 {
		return i
	}
	return len(order)
}
