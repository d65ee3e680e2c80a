package dsoi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
)

// refused is the error a client gets while nothing listens on the API server's port.
var refused = &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api/v1/configmaps", Err: &net.OpError{
	Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}

func TestServerUnreachable(t *testing.T) {
	cm := schema.GroupResource{Resource: "configmaps"}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"connection refused", refused, true},
		{"connection reset", &url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "read", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}}, true},
		{"stream cut", &url.Error{Op: "Get", URL: "https://x", Err: io.ErrUnexpectedEOF}, true},
		{"server unavailable", apierrors.NewServiceUnavailable("etcd is starting"), true},
		{"storage timed out", apierrors.NewTimeoutError("etcd did not answer", 1), true},
		{"conflict", apierrors.NewConflict(cm, "a", errors.New("changed")), false},
		{"forbidden", apierrors.NewForbidden(cm, "a", errors.New("no")), false},
		{"not found", apierrors.NewNotFound(cm, "a"), false},
		{"invalid", apierrors.NewBadRequest("bad"), false},
		{"internal", apierrors.NewInternalError(errors.New("webhook failed")), false},
		{"cancelled", context.Canceled, false},
	} {
		if got := ServerUnreachable(c.err); got != c.want {
			t.Errorf("%s: ServerUnreachable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

func TestUntilReachable(t *testing.T) {
	answers := []error{refused, apierrors.NewServiceUnavailable("starting"), nil}
	calls := 0
	v, err := untilReachable(context.Background(), time.Millisecond, func() (int, error) {
		calls++
		return calls, answers[calls-1]
	})
	if err != nil || v != 3 {
		t.Errorf("untilReachable = %d, %v after %d calls; want the third answer", v, err, calls)
	}

	// An error about the request itself goes back at once: the caller's back-off is right there.
	calls = 0
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	if _, err := untilReachable(context.Background(), time.Millisecond, func() (int, error) { calls++; return 0, forbidden }); err != forbidden || calls != 1 {
		t.Errorf("a forbidden call: %v after %d calls, want it back after one", err, calls)
	}

	// A stopped informer stops waiting, with the last error.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := untilReachable(ctx, time.Millisecond, func() (int, error) { return 0, refused }); err != refused {
		t.Errorf("once the context ends: %v, want the refusal", err)
	}
}

// listWatchOnce lists one ConfigMap and watches with a fake watch, after refusing the first
// `outage` calls of each. It streams no initial list, as client-go's fakes do not.
type listWatchOnce struct {
	*toolscache.ListWatch
}

func (listWatchOnce) IsWatchListSemanticsUnSupported() bool { return true }

// The reflector behind a cache informer never sees an unreachable server, so it never backs
// off: the informer syncs as soon as the server answers.
func TestInformerWaitsForTheServer(t *testing.T) {
	var mu sync.Mutex
	lists, watches := 0, 0
	const outage = 2
	lw := listWatchOnce{&toolscache.ListWatch{
		ListWithContextFunc: func(context.Context, metav1.ListOptions) (runtime.Object, error) {
			mu.Lock()
			defer mu.Unlock()
			if lists++; lists <= outage {
				return nil, refused
			}
			return &corev1.ConfigMapList{ListMeta: metav1.ListMeta{ResourceVersion: "7"},
				Items: []corev1.ConfigMap{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "config", ResourceVersion: "7"}}}}, nil
		},
		WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) {
			mu.Lock()
			defer mu.Unlock()
			watches++
			return watch.NewFake(), nil
		},
	}}
	informer := NewInformer(lw, &corev1.ConfigMap{}, 0, toolscache.Indexers{})
	var seen []error
	if err := informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *toolscache.Reflector, err error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, err)
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go informer.RunWithContext(ctx)
	if !toolscache.WaitForCacheSync(ctx.Done(), func() bool { return informer.HasSynced() }) {
		t.Fatal("the informer never synced")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 0 {
		t.Errorf("the reflector saw %v: it backs off after each", seen)
	}
	if lists != outage+1 {
		t.Errorf("%d lists, want %d refused and one answered", lists, outage)
	}
	if _, ok, _ := informer.GetStore().GetByKey("ns/config"); !ok {
		t.Error("the listed ConfigMap is not in the cache")
	}
}

func TestRetry(t *testing.T) {
	if res, err := Retry(refused); err != nil || res.RequeueAfter != RetryUnreachable {
		t.Errorf("Retry(refused) = %+v, %v; want a try again in %s and no error, so no growing back-off", res, err, RetryUnreachable)
	}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	if res, err := Retry(forbidden); err != forbidden || res.RequeueAfter != 0 {
		t.Errorf("Retry(forbidden) = %+v, %v; want the error, for controller-runtime's back-off", res, err)
	}
	if res, err := Retry(nil); err != nil || res.RequeueAfter != 0 {
		t.Errorf("Retry(nil) = %+v, %v; want nothing", res, err)
	}
}
