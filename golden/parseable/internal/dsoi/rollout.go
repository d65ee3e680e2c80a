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
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
)

// Phase of a node set.
type Phase string

// Phases of a node set.
const (
	PhasePending     Phase = "Pending"
	PhaseProgressing Phase = "Progressing"
	PhaseReady       Phase = "Ready"
	PhaseStopped     Phase = "Stopped"
	// PhaseWaiting: the node set's new spec waits for the node types before it in the order.
	PhaseWaiting Phase = "Waiting"
)

// Rollout is how far a node set's workload has rolled out.
type Rollout struct {
	Desired, Ready, Updated int32
	// Revision is the StatefulSet update revision or the Deployment's generation.
	Revision string
	// Done is true when the workload has fully rolled out its current spec.
	Done    bool
	Phase   Phase
	Message string
}

// StatefulSetRollout reads a StatefulSet's status. It is done when the controller has seen
// the current generation, every pod runs the update revision and every replica is ready.
func StatefulSetRollout(sts *appsv1.StatefulSet) Rollout {
	r := Rollout{Desired: replicas(sts.Spec.Replicas), Ready: sts.Status.ReadyReplicas, Updated: sts.Status.UpdatedReplicas, Revision: sts.Status.UpdateRevision}
	switch {
	case sts.Status.ObservedGeneration < sts.Generation:
		r.Message = fmt.Sprintf("waiting for the StatefulSet controller to observe generation %d", sts.Generation)
	case sts.Status.UpdatedReplicas < r.Desired || (r.Desired > 0 && sts.Status.CurrentRevision != sts.Status.UpdateRevision):
		r.Message = fmt.Sprintf("%d of %d replicas updated", sts.Status.UpdatedReplicas, r.Desired)
	case sts.Status.Replicas != r.Desired:
		r.Message = fmt.Sprintf("%d replicas exist, %d wanted", sts.Status.Replicas, r.Desired)
	case sts.Status.ReadyReplicas < r.Desired:
		r.Message = fmt.Sprintf("%d of %d replicas ready", sts.Status.ReadyReplicas, r.Desired)
	default:
		r.Done = true
	}
	r.Phase = phase(r)
	return r
}

// DeploymentRollout reads a Deployment's status. It is done when the controller has seen the
// current generation and every replica is updated, ready and the only one left.
func DeploymentRollout(d *appsv1.Deployment) Rollout {
	r := Rollout{Desired: replicas(d.Spec.Replicas), Ready: d.Status.ReadyReplicas, Updated: d.Status.UpdatedReplicas, Revision: fmt.Sprint(d.Generation)}
	switch {
	case d.Status.ObservedGeneration < d.Generation:
		r.Message = fmt.Sprintf("waiting for the Deployment controller to observe generation %d", d.Generation)
	case d.Status.UpdatedReplicas < r.Desired:
		r.Message = fmt.Sprintf("%d of %d replicas updated", d.Status.UpdatedReplicas, r.Desired)
	case d.Status.Replicas != r.Desired:
		r.Message = fmt.Sprintf("%d replicas exist, %d wanted", d.Status.Replicas, r.Desired)
	case d.Status.ReadyReplicas < r.Desired:
		r.Message = fmt.Sprintf("%d of %d replicas ready", d.Status.ReadyReplicas, r.Desired)
	default:
		r.Done = true
	}
	r.Phase = phase(r)
	return r
}

func phase(r Rollout) Phase {
	switch {
	case r.Done && r.Desired == 0:
		return PhaseStopped
	case r.Done:
		return PhaseReady
	case r.Ready == 0 && r.Updated == 0:
		return PhasePending
	}
	return PhaseProgressing
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
