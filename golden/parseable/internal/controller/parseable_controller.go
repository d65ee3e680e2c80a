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

package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/acme/parseable-operator/api/v1alpha1"
	"github.com/acme/parseable-operator/internal/dsoi"
)

// AppName labels every object of this operator (app.kubernetes.io/name).
const AppName = "parseable"

// ParseableReconciler installs Parseable clusters described by Parseable resources.
type ParseableReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	// APIReader reads past the cache: the events about a pod that cannot start, which alone
	// tell that its volume will not attach or mount. Nil leaves that to the progress deadline.
	APIReader client.Reader
	// Now is the clock; nil means time.Now (tests set it).
	Now func() time.Time
	// writes holds back a reconcile that reads a CR older than this process's own last write.
	writes dsoi.OwnWrites
}

// Rollout defaults from the description; spec.installStrategy and spec.upgradeStrategy override them.
const (
	defaultInstallStrategy  = "parallel"
	defaultUpgradeStrategy  = "ordered"
	defaultProgressDeadline = 600 * time.Second
)

// +kubebuilder:rbac:groups=observability.parseable.com,resources=parseables,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=observability.parseable.com,resources=parseables/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=observability.parseable.com,resources=parseables/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=storage.k8s.io,resources=storageclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=statefulsets;deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=list

// Reconcile makes the cluster's objects match its Parseable resource and reports the result in
// its status. It writes only what differs, so a reconcile with nothing to do sends no request.
func (r *ParseableReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var cr v1alpha1.Parseable
	if err := r.Get(ctx, req.NamespacedName, &cr); err != nil {
		if apierrors.IsNotFound(err) {
			r.writes.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.writes.Stale(&cr) {
		// The cache has not seen our last write to this CR yet; acting on the older copy would
		// repeat what its status records. The write's watch event wakes us; the timer is a backstop.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	read := cr.ResourceVersion
	defer func() {
		if cr.ResourceVersion != read { // a status or finalizer write of this reconcile
			r.writes.Wrote(&cr)
		}
	}()
	if !cr.DeletionTimestamp.IsZero() {
		// Children go with it, by their owner references; pods that a StatefulSet being
		// recreated left without an owner are deleted first.
		applier := &dsoi.Applier{Client: r.Client, Scheme: r.Scheme, Owner: &cr, Recorder: r.Recorder}
		done, err := applier.Finalize(ctx, AppName)
		if err != nil || done {
			return dsoi.Retry(err)
		}
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	// status.observedGeneration moves only to a generation that was acted on: tools that wait
	// for it (kstatus, Flux, Argo CD) must not see a rollout that never happened.
	old := cr.Status.DeepCopy()
	dsoi.SetPaused(&cr.Status.Conditions, cr.Generation, cr.Spec.Paused)
	cluster, err := desiredCluster(&cr)
	if err != nil {
		// A spec the API server accepted but that cannot be built: only a spec change helps.
		dsoi.SetDegraded(&cr.Status.Conditions, cr.Generation, "InvalidSpec", err.Error())
		r.Recorder.Eventf(&cr, nil, corev1.EventTypeWarning, "InvalidSpec", "Reconcile", "%s", err.Error())
		return dsoi.Retry(r.updateStatus(ctx, &cr, old))
	}
	applier := &dsoi.Applier{Client: r.Client, Scheme: r.Scheme, Owner: &cr, Recorder: r.Recorder, APIReader: r.APIReader}
	if cr.Spec.Paused {
		return r.reconcilePaused(ctx, &cr, old, applier, cluster)
	}
	report, err := applier.Reconcile(ctx, cluster, r.options(&cr), upgradeFromStatus(cr.Status.Upgrade))
	if err != nil {
		return r.failed(ctx, &cr, old, err)
	}
	cr.Status.ObservedGeneration = cr.Generation
	dsoi.SetRolloutConditions(&cr.Status.Conditions, cr.Generation, report)
	cr.Status.NodeSets = nodeSetStatus(report)
	cr.Status.Upgrade = upgradeToStatus(report.Upgrade)
	cr.Status.StopStart = stopStartToStatus(report.StopStart)
	if report.Failure != "" && !report.Halted {
		log.Info("node set failing", "problem", report.Failure)
	}
	if err := r.updateStatus(ctx, &cr, old); err != nil {
		if apierrors.IsConflict(err) {
			// Someone else changed the CR since it was read (a spec edit, the autoscaler); the
			// newer one is on its way through the watch. Look again then, quietly.
			return ctrl.Result{RequeueAfter: time.Second}, nil
		}
		return dsoi.Retry(err)
	}
	// Upgrade, stop and start events only now: a reconcile that lost the conflict above repeats none.
	applier.RecordEvents(report.Events)
	return ctrl.Result{RequeueAfter: report.RequeueAfter}, nil
}

// reconcilePaused writes no object. The generation counts as observed only when nothing is
// pending, that is when its objects are already in place; otherwise Progressing says why it
// is not applied.
func (r *ParseableReconciler) reconcilePaused(ctx context.Context, cr *v1alpha1.Parseable, old *v1alpha1.ParseableStatus, applier *dsoi.Applier, cluster *dsoi.Cluster) (ctrl.Result, error) {
	pending, err := applier.Pending(ctx, cluster, r.options(cr))
	if err != nil {
		return r.failed(ctx, cr, old, err)
	}
	if len(pending) == 0 {
		cr.Status.ObservedGeneration = cr.Generation
	}
	dsoi.SetPausedProgress(&cr.Status.Conditions, cr.Generation, pending)
	return dsoi.Retry(r.updateStatus(ctx, cr, old))
}

// failed reports a reconcile error in Degraded, and once in an event; the generation is not
// observed, as it was not (or not fully) acted on. The reconcile is tried again (dsoi.Retry).
func (r *ParseableReconciler) failed(ctx context.Context, cr *v1alpha1.Parseable, old *v1alpha1.ParseableStatus, err error) (ctrl.Result, error) {
	var refusal *dsoi.Refusal
	if errors.As(err, &refusal) {
		return r.refused(ctx, cr, old, refusal)
	}
	log := logf.FromContext(ctx)
	log.Error(err, "reconcile failed")
	// An error that the status already shows, or that cannot be stored (the API server is
	// away), is no new event: retries must not repeat it.
	told := sameCondition(old.Conditions, dsoi.ConditionDegraded, "ReconcileError", err.Error())
	dsoi.SetDegraded(&cr.Status.Conditions, cr.Generation, "ReconcileError", err.Error())
	if serr := r.updateStatus(ctx, cr, old); serr != nil {
		log.Error(serr, "status update failed")
	} else if !told {
		r.Recorder.Eventf(cr, nil, corev1.EventTypeWarning, "ReconcileError", "Reconcile", "%s", err.Error())
	}
	return dsoi.Retry(err)
}

// refused reports a spec the library refused because acting on it would lose, share or take
// over data. Nothing was written, so retrying with back-off would change nothing: a spec
// change clears it, and the look a minute later is for a claim someone deletes.
func (r *ParseableReconciler) refused(ctx context.Context, cr *v1alpha1.Parseable, old *v1alpha1.ParseableStatus, refusal *dsoi.Refusal) (ctrl.Result, error) {
	if !sameCondition(old.Conditions, dsoi.ConditionDegraded, refusal.Reason, refusal.Message) {
		r.Recorder.Eventf(cr, nil, corev1.EventTypeWarning, refusal.Reason, "Reconcile", "%s", refusal.Message)
	}
	dsoi.SetDegraded(&cr.Status.Conditions, cr.Generation, refusal.Reason, refusal.Message)
	if err := r.updateStatus(ctx, cr, old); err != nil {
		return dsoi.Retry(err)
	}
	return ctrl.Result{RequeueAfter: time.Minute}, nil
}

// sameCondition reports whether conds already hold condition t with this reason and message,
// so a refusal seen again records no second event.
func sameCondition(conds []metav1.Condition, t, reason, message string) bool {
	c := meta.FindStatusCondition(conds, t)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason && c.Message == message
}

// options turns the CR's rollout settings into the dsoi library's options.
func (r *ParseableReconciler) options(cr *v1alpha1.Parseable) dsoi.Options {
	install, upgrade := cr.Spec.InstallStrategy, cr.Spec.UpgradeStrategy
	if install == "" {
		install = defaultInstallStrategy
	}
	if upgrade == "" {
		upgrade = defaultUpgradeStrategy
	}
	deadline := defaultProgressDeadline
	if cr.Spec.ProgressDeadlineSeconds != nil {
		deadline = time.Duration(*cr.Spec.ProgressDeadlineSeconds) * time.Second
	}
	order := make([]string, 0, len(cr.Spec.DeploymentOrder))
	for _, t := range cr.Spec.DeploymentOrder {
		order = append(order, string(t))
	}
	return dsoi.Options{
		Order:            order,
		InstallOrdered:   install == "ordered",
		UpgradeOrdered:   upgrade == "ordered",
		ProgressDeadline: deadline,
		DeletePVCs:       cr.Spec.DeletePersistentVolumeClaims,
		Generation:       cr.Generation,
		LastGeneration:   cr.Status.ObservedGeneration,
		StopStart:        stopStartFromStatus(cr.Status.StopStart),
		Now:              r.Now,
		LastConditions:   cr.Status.Conditions,
		LastRevisions:    revisionsFromStatus(cr.Status.NodeSets),
	}
}

// revisionsFromStatus returns each node set's workload revision as the status last stored it.
func revisionsFromStatus(sets []v1alpha1.ParseableNodeSetStatus) map[string]string {
	out := make(map[string]string, len(sets))
	for _, ns := range sets {
		out[ns.Name] = ns.Revision
	}
	return out
}

func upgradeFromStatus(s *v1alpha1.ParseableUpgradeStatus) *dsoi.Upgrade {
	if s == nil {
		return nil
	}
	return &dsoi.Upgrade{
		Phase: s.Phase, FromGeneration: s.FromGeneration, ToGeneration: s.ToGeneration,
		StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, Duration: s.Duration,
		NodeType: s.CurrentNodeType, NodeTypeStartedAt: s.CurrentNodeTypeStartedAt, Message: s.Message,
	}
}

func upgradeToStatus(u *dsoi.Upgrade) *v1alpha1.ParseableUpgradeStatus {
	if u == nil {
		return nil
	}
	return &v1alpha1.ParseableUpgradeStatus{
		Phase: u.Phase, FromGeneration: u.FromGeneration, ToGeneration: u.ToGeneration,
		StartedAt: truncated(u.StartedAt), FinishedAt: truncated(u.FinishedAt), Duration: u.Duration,
		CurrentNodeType: u.NodeType, CurrentNodeTypeStartedAt: truncated(u.NodeTypeStartedAt), Message: u.Message,
	}
}

func stopStartFromStatus(s *v1alpha1.ParseableStopStartStatus) *dsoi.StopStart {
	if s == nil {
		return nil
	}
	return &dsoi.StopStart{Phase: s.Phase, NodeType: s.CurrentNodeType, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt}
}

func stopStartToStatus(s *dsoi.StopStart) *v1alpha1.ParseableStopStartStatus {
	if s == nil {
		return nil
	}
	return &v1alpha1.ParseableStopStartStatus{Phase: s.Phase, CurrentNodeType: s.NodeType, StartedAt: truncated(s.StartedAt), FinishedAt: truncated(s.FinishedAt)}
}

// truncated drops what the API server would drop (it stores seconds), so the status read
// back compares equal to the one written and an idle reconcile writes nothing.
func truncated(t *metav1.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	out := metav1.NewTime(t.Truncate(time.Second))
	return &out
}

// updateStatus writes the status only when it changed. It leaves observedGeneration to the
// caller: only a generation that was acted on is observed.
func (r *ParseableReconciler) updateStatus(ctx context.Context, cr *v1alpha1.Parseable, old *v1alpha1.ParseableStatus) error {
	if equality.Semantic.DeepEqual(old, &cr.Status) {
		return nil
	}
	return r.Status().Update(ctx, cr)
}

func nodeSetStatus(report *dsoi.Report) []v1alpha1.ParseableNodeSetStatus {
	out := make([]v1alpha1.ParseableNodeSetStatus, 0, len(report.NodeSets))
	for _, ns := range report.NodeSets {
		out = append(out, v1alpha1.ParseableNodeSetStatus{
			Name: ns.Name, Kind: ns.Kind, NodeType: ns.NodeType,
			Replicas: ns.Desired, ReadyReplicas: ns.Ready, UpdatedReplicas: ns.Updated,
			Revision: ns.Revision, Phase: string(ns.Phase), Held: ns.Held, Message: ns.Message,
		})
	}
	return out
}

// configFile is a config file of Parseable as the description defines it.
type configFile struct {
	name, key, fileName, mountPath string
	cluster                        bool
	defaultContent                 string
}

// Config files of Parseable.
var ()

// containerNames are the container names of node types (a DNS label, as Kubernetes requires).
var containerNames = map[v1alpha1.ParseableNodeType]string{
	v1alpha1.ParseableNodeTypeServer: "server",
}

// clusterFiles are the cluster-wide config files, shared by every node set that mounts them.
var clusterFiles = []configFile{}

// nodeTypeFiles lists the config files mounted into each node type.
var nodeTypeFiles = map[v1alpha1.ParseableNodeType][]configFile{
	v1alpha1.ParseableNodeTypeServer: {},
}

// nodeFileContent returns a node-scoped file's content in an app config group ("" for the default).
func nodeFileContent(g *v1alpha1.ParseableConfig, f configFile) string {
	if g == nil {
		return ""
	}
	switch f.name {
	}
	return ""
}

// clusterFileContent returns a cluster-scoped file's content ("" for the default).
func clusterFileContent(cr *v1alpha1.Parseable, f configFile) string {
	return ""
}

func orDefault(content string, f configFile) string {
	if content == "" {
		return f.defaultContent
	}
	return content
}

// ConfigMaps: each node set gets one holding exactly the files of its app config group that
// it mounts, and the cluster one holding the cluster-wide files. These are base names: the
// dsoi library adds a hash of the content, so a change rolls exactly the node sets that
// mount it, each in its turn.
func nodeSetConfigMapName(cr *v1alpha1.Parseable, node string) string {
	return cr.Name + "-" + node + "-config"
}

func clusterConfigMapName(cr *v1alpha1.Parseable) string { return cr.Name + "-config" }

// desiredCluster translates the resource into what the dsoi library builds and applies.
func desiredCluster(cr *v1alpha1.Parseable) (*dsoi.Cluster, error) {
	c := &dsoi.Cluster{
		App: AppName, Instance: cr.Name, Namespace: cr.Namespace,
		Stopped: cr.Spec.Stopped, DisablePDB: cr.Spec.DisablePodDisruptionBudget,
	}
	k8sConfigs := map[string]*v1alpha1.ParseableK8sConfig{}
	for i := range cr.Spec.K8sConfig {
		k8sConfigs[cr.Spec.K8sConfig[i].Name] = &cr.Spec.K8sConfig[i]
	}
	groups := map[string]*v1alpha1.ParseableConfig{}
	for i := range cr.Spec.ParseableConfig {
		groups[cr.Spec.ParseableConfig[i].Name] = &cr.Spec.ParseableConfig[i]
	}
	env := dependencyEnv(cr)

	for _, node := range cr.Spec.Nodes {
		kc, ok := k8sConfigs[node.K8sConfig]
		if !ok {
			return nil, fmt.Errorf("node %q: k8sConfig %q is not in spec.k8sConfig", node.Name, node.K8sConfig)
		}
		group, ok := groups[node.ParseableConfig]
		if node.ParseableConfig != "" && !ok {
			return nil, fmt.Errorf("node %q: parseableConfig %q is not in spec.parseableConfig", node.Name, node.ParseableConfig)
		}
		replicas := int32(1)
		if node.Replicas != nil {
			replicas = *node.Replicas
		}
		ns := dsoi.NodeSet{
			Name: node.Name, NodeType: string(node.NodeType), Kind: node.Kind, Replicas: replicas,
			Container: corev1.Container{
				Name:            containerNames[node.NodeType],
				Image:           kc.Image,
				ImagePullPolicy: kc.ImagePullPolicy,
				Command:         kc.Command,
				Args:            kc.Args,
				Ports:           kc.Port,
				Env:             append(append([]corev1.EnvVar(nil), env...), kc.Env...),
				Resources:       kc.Resources,
				LivenessProbe:   kc.LivenessProbe,
				ReadinessProbe:  kc.ReadinessProbe,
				StartupProbe:    kc.StartUpProbe,
				VolumeMounts:    kc.VolumeMount,
				SecurityContext: kc.ContainerSecurityContext,
			},
			Pod: corev1.PodSpec{
				Volumes:            kc.Volumes,
				Tolerations:        kc.Tolerations,
				NodeSelector:       kc.NodeSelector,
				Affinity:           kc.Affinity,
				ServiceAccountName: kc.ServiceAccountName,
				SecurityContext:    kc.SecurityContext,
				ImagePullSecrets:   kc.ImagePullSecrets,
			},
			PodLabels:   kc.PodMetadata.Labels,
			Annotations: kc.PodMetadata.Annotations,
			Service:     kc.Service,
		}
		for _, s := range kc.StorageConfig {
			ns.Storage = append(ns.Storage, dsoi.Storage{Name: s.Name, MountPath: s.MountPath, Spec: s.Spec})
		}
		nodeData := map[string]string{}
		for _, f := range nodeTypeFiles[node.NodeType] {
			cmName := clusterConfigMapName(cr)
			if !f.cluster {
				cmName = nodeSetConfigMapName(cr, node.Name)
				nodeData[f.key] = orDefault(nodeFileContent(group, f), f)
			}
			ns.Files = append(ns.Files, dsoi.File{ConfigMap: cmName, Key: f.key, FileName: f.fileName, MountPath: f.mountPath})
		}
		if len(nodeData) > 0 {
			c.ConfigMaps = append(c.ConfigMaps, dsoi.ConfigMap{Name: nodeSetConfigMapName(cr, node.Name), Data: nodeData})
		}
		c.NodeSets = append(c.NodeSets, ns)
	}
	if len(clusterFiles) > 0 {
		data := map[string]string{}
		for _, f := range clusterFiles {
			data[f.key] = orDefault(clusterFileContent(cr, f), f)
		}
		c.ConfigMaps = append(c.ConfigMaps, dsoi.ConfigMap{Name: clusterConfigMapName(cr), Data: data})
	}
	return c, nil
}

// dependencyEnv passes dependency settings to every container, as the description asks.
// Secrets stay in Secrets: secretRef fields become secretKeyRef environment variables.
func dependencyEnv(cr *v1alpha1.Parseable) []corev1.EnvVar {
	var env []corev1.EnvVar
	{
		spec := cr.Spec.External.ObjectStore.Spec
		if spec.Url != "" {
			env = append(env, corev1.EnvVar{Name: "P_S3_URL", Value: spec.Url})
		}
		if spec.Bucket != "" {
			env = append(env, corev1.EnvVar{Name: "P_S3_BUCKET", Value: spec.Bucket})
		}
		if spec.Region != "" {
			env = append(env, corev1.EnvVar{Name: "P_S3_REGION", Value: spec.Region})
		}
		env = append(env, corev1.EnvVar{Name: "P_S3_ACCESS_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: spec.AccessKey.DeepCopy()}})
		env = append(env, corev1.EnvVar{Name: "P_S3_SECRET_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: spec.SecretKey.DeepCopy()}})
	}
	{
		spec := cr.Spec.External.Auth.Spec
		if spec.Username != "" {
			env = append(env, corev1.EnvVar{Name: "P_USERNAME", Value: spec.Username})
		}
		env = append(env, corev1.EnvVar{Name: "P_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: spec.Password.DeepCopy()}})
	}
	return env
}

// SetupWithManager watches Parseable resources and every kind of object they own, so a
// deleted or hand-edited child is put back at once, not on a timer.
func (r *ParseableReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Parseable{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Service{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&appsv1.Deployment{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Named("parseable").
		Complete(r)
}
