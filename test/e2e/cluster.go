package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// process is a control-plane program as it ran, to start it again the same way.
type process struct {
	name      string
	pid       int
	args, env []string
	dir       string
}

// controlPlane are the programs kwokctl runs for a cluster.
var controlPlane = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"}

// processes reads how each control-plane program runs.
func (c *Cluster) processes() (map[string]process, error) {
	out := map[string]process{}
	for _, name := range controlPlane {
		b, err := os.ReadFile(c.pidFile(name))
		if err != nil {
			return nil, err
		}
		p := process{name: name}
		if p.pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return nil, fmt.Errorf("pid file of %s: %w", name, err)
		}
		proc := fmt.Sprintf("/proc/%d/", p.pid)
		if p.dir, err = os.Readlink(proc + "cwd"); err != nil {
			return nil, err
		}
		for to, file := range map[*[]string]string{&p.args: "cmdline", &p.env: "environ"} {
			b, err := os.ReadFile(proc + file)
			if err != nil {
				return nil, err
			}
			*to = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		}
		out[name] = p
	}
	return out, nil
}

// alive reports whether a process that is not a child of the tests still runs.
func alive(pid int) bool { return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// start runs p again, logging on in its log file, and records its new pid, so deleting the
// cluster stops it. It returns a channel closed when it exits.
func (c *Cluster) start(p process) (<-chan struct{}, error) {
	log, err := os.OpenFile(filepath.Join(c.Workdir, "clusters", c.Name, "logs", p.name+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = p.dir, p.env, log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	return exited, os.WriteFile(c.pidFile(p.name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
}

// RestartAPIServer kills the API server and etcd (SIGKILL: a crash), keeps them down for
// outage, starts them again and returns once the API server is ready. The controller
// manager, scheduler and KWOK keep running; one that exits in the 15 s after (the controller
// manager and scheduler do when they could not renew their leader lease) is started again,
// as a kubelet would. restarted waits for those 15 s and names them. (kwokctl's own stop and
// start of the whole cluster leaves KWOK unable to run new pods, so it cannot stand in.)
func (c *Cluster) RestartAPIServer(outage time.Duration) (restarted func() ([]string, error), err error) {
	before, err := c.processes()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := syscall.Kill(before[name].pid, syscall.SIGKILL); err != nil {
			return nil, fmt.Errorf("kill %s: %w", name, err)
		}
		for alive(before[name].pid) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(outage)
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if _, err := c.start(before[name]); err != nil {
			return nil, err
		}
	}
	var names []string
	var supervised error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end) && len(names) < 3; time.Sleep(200 * time.Millisecond) {
			for _, name := range controlPlane[2:] {
				if p := before[name]; !slices.Contains(names, name) && !alive(p.pid) {
					if _, supervised = c.start(p); supervised != nil {
						return
					}
					names = append(names, name)
				}
			}
		}
	}()
	restarted = func() ([]string, error) { <-done; return names, supervised }
	ready := time.Now().Add(2 * time.Minute)
	for err = c.Kubectl("get", "--raw", "/readyz"); err != nil; err = c.Kubectl("get", "--raw", "/readyz") {
		if time.Now().After(ready) {
			return restarted, fmt.Errorf("the API server is not ready 2 minutes after its start: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return restarted, nil
}

func (c *Cluster) pidFile(name string) string {
	return filepath.Join(c.Workdir, "clusters", c.Name, "pids", name+".pid")
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
