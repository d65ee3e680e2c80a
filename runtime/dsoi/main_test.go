package dsoi

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// The *_envtest_test.go files run against a real kube-apiserver and etcd started by envtest,
// once for the whole package. envtest runs no controllers: no garbage collector, no
// StatefulSet or Deployment controller, so tests set workload status themselves and
// deletions with orphan propagation stay pending on their finalizer.
var (
	apiClient client.Client
	// apiConfig reaches the same API server, for tests that need a client of their own.
	apiConfig *rest.Config
	// envErr says why the API server is not there; every envtest test fails with it.
	envErr error
)

func TestMain(m *testing.M) {
	flag.Parse() // testing.Short needs parsed flags
	ctrllog.SetLogger(logr.Discard())
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if testing.Short() {
		return m.Run() // unit tests only; envtest tests skip themselves
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		envErr = errors.New("KUBEBUILDER_ASSETS is not set: run `KUBEBUILDER_ASSETS=$(hack/build-control-plane.sh) go test ./runtime/...` " +
			"to test against a real kube-apiserver, or `go test -short` for the unit tests only")
		return m.Run()
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		envErr = fmt.Errorf("start envtest with KUBEBUILDER_ASSETS=%s: %w", os.Getenv("KUBEBUILDER_ASSETS"), err)
		return m.Run()
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop envtest:", err)
		}
	}()
	apiConfig = cfg
	if apiClient, err = client.New(cfg, client.Options{Scheme: scheme.Scheme}); err != nil {
		envErr = fmt.Errorf("client for envtest: %w", err)
	}
	return m.Run()
}

// needAPIServer returns the envtest client, skips the test under -short, and fails it when
// the API server is missing: a missing control plane must not pass silently.
func needAPIServer(t *testing.T) client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a kube-apiserver (envtest); skipped under -short")
	}
	if envErr != nil {
		t.Fatal(envErr)
	}
	return apiClient
}

// setup gives a test its own namespace, an owner there (a ConfigMap named after the
// cluster's instance, as a CR would be) and an Applier for it, with testCluster.
func setup(t *testing.T) (context.Context, client.Client, *Applier, *Cluster) {
	t.Helper()
	return setupWith(t, testCluster)
}

// setupWith is setup with the cluster newCluster builds for the test's namespace.
func setupWith(t *testing.T, newCluster func(namespace string) *Cluster) (context.Context, client.Client, *Applier, *Cluster) {
	t.Helper()
	c := needAPIServer(t)
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "dsoi-test-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	cluster := newCluster(ns.Name)
	owner := newOwner(t, c, ns.Name, cluster.Instance)
	return ctx, c, &Applier{Client: c, Scheme: scheme.Scheme, Owner: owner}, cluster
}

// newOwner creates a ConfigMap to own objects: any namespaced object can, once it has a UID.
func newOwner(t *testing.T, c client.Client, namespace, name string) *corev1.ConfigMap {
	t.Helper()
	owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	if err := c.Create(t.Context(), owner); err != nil {
		t.Fatalf("create owner %s: %v", name, err)
	}
	return owner
}

// allObjects builds, afresh, every object Reconcile would apply for the cluster, in order.
func allObjects(t *testing.T, c *Cluster) []client.Object {
	t.Helper()
	var out []client.Object
	for _, cm := range BuildConfigMaps(c) {
		out = append(out, cm)
	}
	for i := range c.NodeSets {
		objs := build(t, c, i)
		for _, svc := range objs.Services {
			out = append(out, svc)
		}
		if objs.StatefulSet != nil {
			out = append(out, objs.StatefulSet)
		}
		if objs.Deployment != nil {
			out = append(out, objs.Deployment)
		}
		if objs.PDB != nil {
			out = append(out, objs.PDB)
		}
	}
	return out
}

// applyAll applies objs and returns what Apply did to each, by key.
func applyAll(t *testing.T, a *Applier, objs []client.Object) map[ObjectKey]Action {
	t.Helper()
	actions := map[ObjectKey]Action{}
	for _, obj := range objs {
		action, err := a.Apply(t.Context(), obj)
		if err != nil {
			t.Fatalf("Apply %s: %v", describe(obj), err)
		}
		actions[KeyOf(obj)] = action
	}
	return actions
}

// live reads the current state of obj into a new, empty object of its type.
func live[T client.Object](t *testing.T, c client.Client, obj T) T {
	t.Helper()
	out := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(T)
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(obj), out); err != nil {
		t.Fatalf("get %s: %v", describe(obj), err)
	}
	return out
}

// resourceVersions maps every object to its live resourceVersion: equal maps, no writes.
func resourceVersions(t *testing.T, c client.Client, objs []client.Object) map[ObjectKey]string {
	t.Helper()
	out := map[ObjectKey]string{}
	for _, obj := range objs {
		out[KeyOf(obj)] = live(t, c, obj).GetResourceVersion()
	}
	return out
}

// drain returns the events recorded so far.
func drain(r *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-r.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}
