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

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Pending lists the writes Reconcile would make for c with opts ("update StatefulSet
// pinot-basic-controller", in the order Reconcile makes them), without making any: it runs
// Reconcile against a client that reads through and only notes writes, and records no event.
// A paused cluster uses it to tell whether its status still describes the current spec.
func (a *Applier) Pending(ctx context.Context, c *Cluster, opts Options) ([]string, error) {
	dry := &dryRunClient{Client: a.Client}
	// A copy of the owner: a finalizer the plan would add must not reach the caller's CR.
	planner := &Applier{Client: dry, Scheme: a.Scheme, Owner: a.Owner.DeepCopyObject().(client.Object)}
	if _, err := planner.Reconcile(ctx, c, opts, nil); err != nil {
		return nil, err
	}
	return dry.writes, nil
}

// dryRunClient reads through to Client and turns every write into a note in writes. Every
// write method of client.Client is here, so none reaches the embedded client.
type dryRunClient struct {
	client.Client
	writes []string
}

func (d *dryRunClient) note(verb string, obj any) {
	what := fmt.Sprintf("%T", obj)
	if o, ok := obj.(client.Object); ok {
		what = describe(o)
	}
	d.writes = append(d.writes, verb+" "+what)
}

func (d *dryRunClient) Create(_ context.Context, obj client.Object, _ ...client.CreateOption) error {
	d.note("create", obj)
	return nil
}

func (d *dryRunClient) Update(_ context.Context, obj client.Object, _ ...client.UpdateOption) error {
	d.note("update", obj)
	return nil
}

func (d *dryRunClient) Patch(_ context.Context, obj client.Object, _ client.Patch, _ ...client.PatchOption) error {
	d.note("patch", obj)
	return nil
}

func (d *dryRunClient) Delete(_ context.Context, obj client.Object, _ ...client.DeleteOption) error {
	d.note("delete", obj)
	return nil
}

func (d *dryRunClient) DeleteAllOf(_ context.Context, obj client.Object, _ ...client.DeleteAllOfOption) error {
	d.note("delete all of", obj)
	return nil
}

func (d *dryRunClient) Apply(_ context.Context, obj runtime.ApplyConfiguration, _ ...client.ApplyOption) error {
	d.note("apply", obj)
	return nil
}

func (d *dryRunClient) Status() client.SubResourceWriter { return d.SubResource("status") }

func (d *dryRunClient) SubResource(subResource string) client.SubResourceClient {
	return &dryRunSubResource{SubResourceReader: d.Client.SubResource(subResource), d: d}
}

// dryRunSubResource reads a subresource (status, scale ...) through and notes writes to it.
type dryRunSubResource struct {
	client.SubResourceReader
	d *dryRunClient
}

func (s *dryRunSubResource) Create(_ context.Context, obj client.Object, _ client.Object, _ ...client.SubResourceCreateOption) error {
	s.d.note("create a subresource of", obj)
	return nil
}

func (s *dryRunSubResource) Update(_ context.Context, obj client.Object, _ ...client.SubResourceUpdateOption) error {
	s.d.note("update a subresource of", obj)
	return nil
}

func (s *dryRunSubResource) Patch(_ context.Context, obj client.Object, _ client.Patch, _ ...client.SubResourcePatchOption) error {
	s.d.note("patch a subresource of", obj)
	return nil
}

func (s *dryRunSubResource) Apply(_ context.Context, obj runtime.ApplyConfiguration, _ ...client.SubResourceApplyOption) error {
	s.d.note("apply a subresource of", obj)
	return nil
}
