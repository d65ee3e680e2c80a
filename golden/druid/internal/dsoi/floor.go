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
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
)

// holdFloor keeps a running node set from being scaled below its node type's minimum (a
// quorum): the workload's replicas stop at the floor, or at what runs now if that is less,
// and nr says what was refused. A new node set, a scale-up and spec.stopped are not held.
// The CRD refuses such a spec already; this covers a CRD installed without that rule.
func (a *Applier) holdFloor(ctx context.Context, c *Cluster, ns *NodeSet, objs *Objects, nr *NodeSetReport) error {
	if c.Stopped || ns.MinReplicas == 0 || ns.Replicas >= ns.MinReplicas {
		return nil
	}
	workload := objs.workload()
	live, err := a.live(ctx, workload)
	if err != nil || live == nil {
		return err
	}
	running := rolloutOf(live).Desired
	if running <= ns.Replicas {
		return nil
	}
	keep := min(running, ns.MinReplicas)
	switch w := workload.(type) {
	case *appsv1.StatefulSet:
		w.Spec.Replicas = ptr.To(keep)
	case *appsv1.Deployment:
		w.Spec.Replicas = ptr.To(keep)
	}
	nr.ScaleDownRefused = fmt.Sprintf("node set %s: scaling down to %d replicas was refused: node type %s needs at least %d (its minReplicas); it keeps %d",
		ns.Name, ns.Replicas, ns.NodeType, ns.MinReplicas, keep)
	return nil
}
