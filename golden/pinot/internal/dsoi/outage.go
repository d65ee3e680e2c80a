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
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/watchlist"
	crreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// RetryUnreachable is how often a call, or a reconcile, that found the API server out of
// reach is tried again. It is short and does not grow: while the server is away a try
// costs nothing, and once it is back the operator should notice within this time.
const RetryUnreachable = time.Second

// ServerUnreachable reports whether err says the API server could not be reached at all, as
// while the control plane restarts: the connection was refused or dropped, or the server
// says it is unavailable or timed out waiting for its storage. An error about the request
// itself (refused, conflict, forbidden) is not.
func ServerUnreachable(err error) bool {
	if err == nil {
		return false
	}
	return utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) ||
		utilnet.IsHTTP2ConnectionLost(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err)
}

// NewInformer makes the manager's cache informers (controller-runtime's cache.Options
// NewInformer) wait for an unreachable API server instead of failing. A client-go reflector
// whose list or watch fails backs off, doubling up to a minute, and keeps that back-off
// once the server is back: after a 10-second control-plane restart the cache stayed stale
// for up to half a minute per kind, and the operator with it. Waiting keeps the back-off at
// its start, so the cache is fresh again within seconds of the server answering.
func NewInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
	return toolscache.NewSharedIndexInformer(&patientListWatch{ListerWatcher: lw, ctx: toolscache.ToListerWatcherWithContext(lw)}, obj, resync, indexers)
}

// patientListWatch retries a list or watch that found the API server unreachable every
// RetryUnreachable until it answers or the informer stops. Calls without a context (no
// reflector makes them) go through as they are.
type patientListWatch struct {
	toolscache.ListerWatcher
	ctx toolscache.ListerWatcherWithContext
}

func (p *patientListWatch) ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
	return untilReachable(ctx, RetryUnreachable, func() (runtime.Object, error) { return p.ctx.ListWithContext(ctx, opts) })
}

func (p *patientListWatch) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return untilReachable(ctx, RetryUnreachable, func() (watch.Interface, error) { return p.ctx.WatchWithContext(ctx, opts) })
}

// IsWatchListSemanticsUnSupported passes on what the wrapped list-watch says, which the
// reflector asks before streaming its initial list.
func (p *patientListWatch) IsWatchListSemanticsUnSupported() bool {
	return watchlist.DoesClientNotSupportWatchListSemantics(p.ListerWatcher)
}

// untilReachable calls call until it returns anything but an unreachable server, waiting
// every between tries; when ctx ends it returns the last answer.
func untilReachable[T any](ctx context.Context, every time.Duration, call func() (T, error)) (T, error) {
	for {
		v, err := call()
		if !ServerUnreachable(err) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(every):
		}
	}
}

// Retry is a reconcile's result for err. An unreachable API server is tried again every
// RetryUnreachable: controller-runtime's back-off for an error doubles while the server is
// away, up to 16 minutes, and keeps waiting once it is back, holding up the rollouts,
// gate checks and autoscaling that only a timer wakes. Any other error gets that back-off.
func Retry(err error) (crreconcile.Result, error) {
	if ServerUnreachable(err) {
		return crreconcile.Result{RequeueAfter: RetryUnreachable}, nil
	}
	return crreconcile.Result{}, err
}
