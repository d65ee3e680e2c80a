package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// binaries are the control-plane programs hack/build-control-plane.sh builds.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwokctl"}

// auditPolicy logs every request once it is answered (watches also when they start), with
// its user agent, verb and object: enough to count the operator's requests.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
`

// Cluster is a KWOK cluster run by kwokctl with the binary runtime: real API server, etcd,
// controller manager and scheduler; fake nodes whose pods become Ready (or crash, see
// testdata/stages.yaml) without running anything.
type Cluster struct {
	Name       string
	Bin        string // folder of the control-plane binaries
	Workdir    string // KWOK_WORKDIR: kwokctl keeps everything of the cluster here
	Kubeconfig string
}

// newCluster starts a cluster with nodes fake nodes and deletes it when the test ends.
func newCluster(t *testing.T, bin, name string, nodes int) *Cluster {
	t.Helper()
	dir := t.TempDir()
	c := &Cluster{Name: name, Bin: bin, Workdir: filepath.Join(dir, "kwok"), Kubeconfig: filepath.Join(dir, "kubeconfig")}
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	stages, err := filepath.Abs(filepath.Join("testdata", "stages.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Registered before creating, so a half-created cluster goes too.
	t.Cleanup(func() {
		if out, err := c.kwokctl("delete", "cluster", "--name", c.Name); err != nil {
			t.Errorf("delete cluster %s: %v\n%s", c.Name, err, out)
		}
	})
	start := time.Now()
	b := func(name string) string { return filepath.Join(bin, name) }
	if out, err := c.kwokctl("create", "cluster", "--name", name, "--runtime", "binary", "--config", stages,
		"--etcd-binary", b("etcd"), "--kube-apiserver-binary", b("kube-apiserver"),
		"--kube-controller-manager-binary", b("kube-controller-manager"), "--kube-scheduler-binary", b("kube-scheduler"),
		"--kwok-controller-binary", b("kwok"), "--kubeconfig", c.Kubeconfig, "--kube-audit-policy", policy,
		"--wait", "2m"); err != nil {
		t.Fatalf("create cluster: %v\n%s", err, out)
	}
	if out, err := c.kwokctl("scale", "node", "--replicas", fmt.Sprint(nodes), "--name", name); err != nil {
		t.Fatalf("scale nodes: %v\n%s", err, out)
	}
	t.Logf("cluster %s up with %d fake nodes in %s", name, nodes, time.Since(start).Round(time.Millisecond))
	return c
}

func (c *Cluster) kwokctl(args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.Bin, "kwokctl"), args...)
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+c.Workdir)
	return cmd.CombinedOutput()
}

// Kubectl runs kubectl against the cluster.
func (c *Cluster) Kubectl(args ...string) error {
	cmd := exec.Command(filepath.Join(c.Bin, "kubectl"), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

// AuditLog is the API server's audit log (JSON lines).
func (c *Cluster) AuditLog() string {
	return filepath.Join(c.Workdir, "clusters", c.Name, "logs", "audit.log")
}

// createVolumes creates n hostPath PersistentVolumes. The cluster has no provisioner, and a
// pod whose claim is unbound is never scheduled. No storage class: claims without one bind.
func createVolumes(ctx context.Context, c client.Client, n int) error {
	for i := range n {
		if err := c.Create(ctx, hostPathVolume(fmt.Sprintf("e2e-pv-%02d", i), "", resource.MustParse("50Gi"))); err != nil {
			return err
		}
	}
	return nil
}

// hostPathVolume is a PersistentVolume of that StorageClass ("" for none) and size, for
// claims of either access mode. Nothing is mounted: KWOK pods run nowhere.
func hostPathVolume(name, class string, size resource.Quantity) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              class,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/mnt/e2e/" + name}},
		},
	}
}
