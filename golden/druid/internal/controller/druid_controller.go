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

	v1alpha1 "github.com/acme/druid-operator/api/v1alpha1"
	"github.com/acme/druid-operator/internal/dsoi"
)

// AppName labels every object of this operator (app.kubernetes.io/name).
const AppName = "druid"

// DruidReconciler installs Apache Druid clusters described by Druid resources.
type DruidReconciler struct {
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

// +kubebuilder:rbac:groups=druid.apache.org,resources=druids,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=druid.apache.org,resources=druids/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=druid.apache.org,resources=druids/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=storage.k8s.io,resources=storageclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=statefulsets;deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=list

// Reconcile makes the cluster's objects match its Druid resource and reports the result in
// its status. It writes only what differs, so a reconcile with nothing to do sends no request.
func (r *DruidReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var cr v1alpha1.Druid
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
func (r *DruidReconciler) reconcilePaused(ctx context.Context, cr *v1alpha1.Druid, old *v1alpha1.DruidStatus, applier *dsoi.Applier, cluster *dsoi.Cluster) (ctrl.Result, error) {
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
func (r *DruidReconciler) failed(ctx context.Context, cr *v1alpha1.Druid, old *v1alpha1.DruidStatus, err error) (ctrl.Result, error) {
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
func (r *DruidReconciler) refused(ctx context.Context, cr *v1alpha1.Druid, old *v1alpha1.DruidStatus, refusal *dsoi.Refusal) (ctrl.Result, error) {
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
func (r *DruidReconciler) options(cr *v1alpha1.Druid) dsoi.Options {
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
		LastGates:        gatesFromStatus(cr.Status.NodeSets),
		LastDrains:       drainsFromStatus(cr.Status.NodeSets),
	}
}

// revisionsFromStatus returns each node set's workload revision as the status last stored it.
func revisionsFromStatus(sets []v1alpha1.DruidNodeSetStatus) map[string]string {
	out := make(map[string]string, len(sets))
	for _, ns := range sets {
		out[ns.Name] = ns.Revision
	}
	return out
}

func upgradeFromStatus(s *v1alpha1.DruidUpgradeStatus) *dsoi.Upgrade {
	if s == nil {
		return nil
	}
	return &dsoi.Upgrade{
		Phase: s.Phase, FromGeneration: s.FromGeneration, ToGeneration: s.ToGeneration,
		StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, Duration: s.Duration,
		NodeType: s.CurrentNodeType, NodeTypeStartedAt: s.CurrentNodeTypeStartedAt, Message: s.Message,
	}
}

func upgradeToStatus(u *dsoi.Upgrade) *v1alpha1.DruidUpgradeStatus {
	if u == nil {
		return nil
	}
	return &v1alpha1.DruidUpgradeStatus{
		Phase: u.Phase, FromGeneration: u.FromGeneration, ToGeneration: u.ToGeneration,
		StartedAt: truncated(u.StartedAt), FinishedAt: truncated(u.FinishedAt), Duration: u.Duration,
		CurrentNodeType: u.NodeType, CurrentNodeTypeStartedAt: truncated(u.NodeTypeStartedAt), Message: u.Message,
	}
}

func stopStartFromStatus(s *v1alpha1.DruidStopStartStatus) *dsoi.StopStart {
	if s == nil {
		return nil
	}
	return &dsoi.StopStart{Phase: s.Phase, NodeType: s.CurrentNodeType, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt}
}

func stopStartToStatus(s *dsoi.StopStart) *v1alpha1.DruidStopStartStatus {
	if s == nil {
		return nil
	}
	return &v1alpha1.DruidStopStartStatus{Phase: s.Phase, CurrentNodeType: s.NodeType, StartedAt: truncated(s.StartedAt), FinishedAt: truncated(s.FinishedAt)}
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
func (r *DruidReconciler) updateStatus(ctx context.Context, cr *v1alpha1.Druid, old *v1alpha1.DruidStatus) error {
	if equality.Semantic.DeepEqual(old, &cr.Status) {
		return nil
	}
	return r.Status().Update(ctx, cr)
}

func nodeSetStatus(report *dsoi.Report) []v1alpha1.DruidNodeSetStatus {
	out := make([]v1alpha1.DruidNodeSetStatus, 0, len(report.NodeSets))
	for _, ns := range report.NodeSets {
		out = append(out, v1alpha1.DruidNodeSetStatus{
			Name: ns.Name, Kind: ns.Kind, NodeType: ns.NodeType,
			Replicas: ns.Desired, ReadyReplicas: ns.Ready, UpdatedReplicas: ns.Updated,
			Revision: ns.Revision, Phase: string(ns.Phase), Held: ns.Held, Message: ns.Message,
			HealthGates: gatesToStatus(ns.Gates.Results), HealthGatesPassedFor: ns.Gates.PassedFor,
			Drain: drainToStatus(ns.Drain),
		})
	}
	return out
}

// gatesFromStatus is the state of each node set's health gates as the status last stored it.
func gatesFromStatus(nodeSets []v1alpha1.DruidNodeSetStatus) map[string]dsoi.NodeSetGates {
	out := make(map[string]dsoi.NodeSetGates, len(nodeSets))
	for _, ns := range nodeSets {
		g := dsoi.NodeSetGates{PassedFor: ns.HealthGatesPassedFor}
		for _, r := range ns.HealthGates {
			g.Results = append(g.Results, dsoi.GateResult{Name: r.Name, State: r.State, Since: r.Since, Message: r.Message})
		}
		out[ns.Name] = g
	}
	return out
}

func gatesToStatus(results []dsoi.GateResult) []v1alpha1.DruidHealthGateStatus {
	var out []v1alpha1.DruidHealthGateStatus
	for _, r := range results {
		out = append(out, v1alpha1.DruidHealthGateStatus{Name: r.Name, State: r.State, Since: truncated(r.Since), Message: r.Message})
	}
	return out
}

// drainsFromStatus is the drain under way in each node set as the status last stored it.
func drainsFromStatus(nodeSets []v1alpha1.DruidNodeSetStatus) map[string]dsoi.Drain {
	out := map[string]dsoi.Drain{}
	for _, ns := range nodeSets {
		if d := ns.Drain; d != nil {
			out[ns.Name] = dsoi.Drain{Pod: d.Pod, State: d.State, Since: d.Since, Message: d.Message}
		}
	}
	return out
}

func drainToStatus(d *dsoi.Drain) *v1alpha1.DruidDrainStatus {
	if d == nil {
		return nil
	}
	return &v1alpha1.DruidDrainStatus{Pod: d.Pod, State: d.State, Since: truncated(d.Since), Message: d.Message}
}

// configFile is a config file of Apache Druid as the description defines it.
type configFile struct {
	name, key, fileName, mountPath string
	cluster                        bool
	defaultContent                 string
}

// Config files of Apache Druid.
var (
	configFileCommonRuntime        = configFile{name: "common-runtime", key: "common.runtime.properties", fileName: "common.runtime.properties", mountPath: "/opt/druid/conf/druid/cluster/_common", cluster: true, defaultContent: "druid.extensions.loadList=[\"druid-s3-extensions\", \"postgresql-metadata-storage\", \"druid-kafka-indexing-service\", \"druid-datasketches\", \"druid-multi-stage-query\"]\ndruid.startup.logging.logProperties=true\ndruid.zk.paths.base=/druid\ndruid.indexer.logs.type=file\ndruid.indexer.logs.directory=/druid/data/tasks/logs\ndruid.selectors.indexing.serviceName=druid/overlord\ndruid.selectors.coordinator.serviceName=druid/coordinator\ndruid.monitoring.monitors=[\"org.apache.druid.java.util.metrics.JvmMonitor\"]\ndruid.emitter=noop\ndruid.sql.enable=true\ndruid.server.hiddenProperties=[\"druid.s3.accessKey\",\"druid.s3.secretKey\",\"druid.metadata.storage.connector.password\"]\n"}
	configFileCoordinatorRuntime   = configFile{name: "coordinator-runtime", key: "runtime.properties", fileName: "runtime.properties", mountPath: "/opt/druid/conf/druid/cluster/master/coordinator-overlord", cluster: false, defaultContent: "druid.service=druid/coordinator\ndruid.plaintextPort=8081\ndruid.coordinator.startDelay=PT10S\ndruid.coordinator.period=PT5S\ndruid.manager.segments.pollDuration=PT5S\n"}
	configFileCoordinatorJvm       = configFile{name: "coordinator-jvm", key: "jvm.config", fileName: "jvm.config", mountPath: "/opt/druid/conf/druid/cluster/master/coordinator-overlord", cluster: false, defaultContent: "-server\n-Xms1g\n-Xmx1g\n-XX:+UseG1GC\n-XX:+ExitOnOutOfMemoryError\n-Duser.timezone=UTC\n-Dfile.encoding=UTF-8\n-Djava.io.tmpdir=/tmp\n-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager\n-Dlog4j.configurationFile=/opt/druid/conf/druid/cluster/master/coordinator-overlord/log4j2.xml\n"}
	configFileCoordinatorLog4j2    = configFile{name: "coordinator-log4j2", key: "log4j2.xml", fileName: "log4j2.xml", mountPath: "/opt/druid/conf/druid/cluster/master/coordinator-overlord", cluster: false, defaultContent: "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Configuration status=\"WARN\">\n  <Appenders>\n    <Console name=\"Console\" target=\"SYSTEM_OUT\">\n      <PatternLayout pattern=\"%d{ISO8601} %p [%t] %c - %m%n\"/>\n    </Console>\n  </Appenders>\n  <Loggers>\n    <Root level=\"info\">\n      <AppenderRef ref=\"Console\"/>\n    </Root>\n  </Loggers>\n</Configuration>\n"}
	configFileBrokerRuntime        = configFile{name: "broker-runtime", key: "runtime.properties", fileName: "runtime.properties", mountPath: "/opt/druid/conf/druid/cluster/query/broker", cluster: false, defaultContent: "druid.service=druid/broker\ndruid.plaintextPort=8082\ndruid.server.http.numThreads=60\ndruid.broker.http.numConnections=50\ndruid.broker.http.maxQueuedBytes=10MiB\ndruid.processing.buffer.sizeBytes=500MiB\ndruid.processing.numMergeBuffers=2\ndruid.processing.numThreads=1\ndruid.processing.tmpDir=/tmp/druid/processing\ndruid.broker.cache.useCache=false\ndruid.broker.cache.populateCache=false\n"}
	configFileBrokerJvm            = configFile{name: "broker-jvm", key: "jvm.config", fileName: "jvm.config", mountPath: "/opt/druid/conf/druid/cluster/query/broker", cluster: false, defaultContent: "-server\n-Xms2g\n-Xmx2g\n-XX:MaxDirectMemorySize=1g\n-XX:+UseG1GC\n-XX:+ExitOnOutOfMemoryError\n-Duser.timezone=UTC\n-Dfile.encoding=UTF-8\n-Djava.io.tmpdir=/tmp\n-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager\n-Dlog4j.configurationFile=/opt/druid/conf/druid/cluster/query/broker/log4j2.xml\n"}
	configFileBrokerLog4j2         = configFile{name: "broker-log4j2", key: "log4j2.xml", fileName: "log4j2.xml", mountPath: "/opt/druid/conf/druid/cluster/query/broker", cluster: false, defaultContent: "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Configuration status=\"WARN\">\n  <Appenders>\n    <Console name=\"Console\" target=\"SYSTEM_OUT\">\n      <PatternLayout pattern=\"%d{ISO8601} %p [%t] %c - %m%n\"/>\n    </Console>\n  </Appenders>\n  <Loggers>\n    <Root level=\"info\">\n      <AppenderRef ref=\"Console\"/>\n    </Root>\n  </Loggers>\n</Configuration>\n"}
	configFileHistoricalRuntime    = configFile{name: "historical-runtime", key: "runtime.properties", fileName: "runtime.properties", mountPath: "/opt/druid/conf/druid/cluster/data/historical", cluster: false, defaultContent: "druid.service=druid/historical\ndruid.plaintextPort=8083\ndruid.server.http.numThreads=60\ndruid.processing.buffer.sizeBytes=500MiB\ndruid.processing.numMergeBuffers=2\ndruid.processing.numThreads=2\ndruid.processing.tmpDir=/tmp/druid/processing\ndruid.segmentCache.locations=[{\"path\":\"/druid/data/segments\",\"maxSize\":\"9g\"}]\ndruid.server.maxSize=9g\ndruid.historical.cache.useCache=true\ndruid.historical.cache.populateCache=true\ndruid.cache.type=caffeine\ndruid.cache.sizeInBytes=256MiB\n"}
	configFileHistoricalJvm        = configFile{name: "historical-jvm", key: "jvm.config", fileName: "jvm.config", mountPath: "/opt/druid/conf/druid/cluster/data/historical", cluster: false, defaultContent: "-server\n-Xms2g\n-Xmx2g\n-XX:MaxDirectMemorySize=2g\n-XX:+UseG1GC\n-XX:+ExitOnOutOfMemoryError\n-Duser.timezone=UTC\n-Dfile.encoding=UTF-8\n-Djava.io.tmpdir=/tmp\n-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager\n-Dlog4j.configurationFile=/opt/druid/conf/druid/cluster/data/historical/log4j2.xml\n"}
	configFileHistoricalLog4j2     = configFile{name: "historical-log4j2", key: "log4j2.xml", fileName: "log4j2.xml", mountPath: "/opt/druid/conf/druid/cluster/data/historical", cluster: false, defaultContent: "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Configuration status=\"WARN\">\n  <Appenders>\n    <Console name=\"Console\" target=\"SYSTEM_OUT\">\n      <PatternLayout pattern=\"%d{ISO8601} %p [%t] %c - %m%n\"/>\n    </Console>\n  </Appenders>\n  <Loggers>\n    <Root level=\"info\">\n      <AppenderRef ref=\"Console\"/>\n    </Root>\n  </Loggers>\n</Configuration>\n"}
	configFileOverlordRuntime      = configFile{name: "overlord-runtime", key: "runtime.properties", fileName: "runtime.properties", mountPath: "/opt/druid/conf/druid/cluster/master/coordinator-overlord", cluster: false, defaultContent: "druid.service=druid/overlord\ndruid.plaintextPort=8090\ndruid.indexer.queue.startDelay=PT5S\ndruid.indexer.runner.type=remote\ndruid.indexer.storage.type=metadata\n"}
	configFileOverlordJvm          = configFile{name: "overlord-jvm", key: "jvm.config", fileName: "jvm.config", mountPath: "/opt/druid/conf/druid/cluster/master/coordinator-overlord", cluster: false, defaultContent: "-server\n-Xms1g\n-Xmx1g\n-XX:+UseG1GC\n-XX:+ExitOnOutOfMemoryError\n-Duser.timezone=UTC\n-Dfile.encoding=UTF-8\n-Djava.io.tmpdir=/tmp\n-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager\n-Dlog4j.configurationFile=/opt/druid/conf/druid/cluster/master/coordinator-overlord/log4j2.xml\n"}
	configFileOverlordLog4j2       = configFile{name: "overlord-log4j2", key: "log4j2.xml", fileName: "log4j2.xml", mountPath: "/opt/druid/conf/druid/cluster/master/coordinator-overlord", cluster: false, defaultContent: "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Configuration status=\"WARN\">\n  <Appenders>\n    <Console name=\"Console\" target=\"SYSTEM_OUT\">\n      <PatternLayout pattern=\"%d{ISO8601} %p [%t] %c - %m%n\"/>\n    </Console>\n  </Appenders>\n  <Loggers>\n    <Root level=\"info\">\n      <AppenderRef ref=\"Console\"/>\n    </Root>\n  </Loggers>\n</Configuration>\n"}
	configFileMiddleManagerRuntime = configFile{name: "middle-manager-runtime", key: "runtime.properties", fileName: "runtime.properties", mountPath: "/opt/druid/conf/druid/cluster/data/middleManager", cluster: false, defaultContent: "druid.service=druid/middleManager\ndruid.plaintextPort=8091\ndruid.worker.capacity=2\ndruid.indexer.task.baseTaskDir=/druid/data/tasks\ndruid.indexer.runner.javaOptsArray=[\"-server\",\"-Xms1g\",\"-Xmx1g\",\"-XX:MaxDirectMemorySize=1g\",\"-Duser.timezone=UTC\",\"-Dfile.encoding=UTF-8\",\"-XX:+ExitOnOutOfMemoryError\",\"-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager\"]\ndruid.server.http.numThreads=60\ndruid.indexer.fork.property.druid.processing.numMergeBuffers=2\ndruid.indexer.fork.property.druid.processing.buffer.sizeBytes=100MiB\ndruid.indexer.fork.property.druid.processing.numThreads=1\n"}
	configFileMiddleManagerJvm     = configFile{name: "middle-manager-jvm", key: "jvm.config", fileName: "jvm.config", mountPath: "/opt/druid/conf/druid/cluster/data/middleManager", cluster: false, defaultContent: "-server\n-Xms256m\n-Xmx256m\n-XX:+UseG1GC\n-XX:+ExitOnOutOfMemoryError\n-Duser.timezone=UTC\n-Dfile.encoding=UTF-8\n-Djava.io.tmpdir=/tmp\n-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager\n-Dlog4j.configurationFile=/opt/druid/conf/druid/cluster/data/middleManager/log4j2.xml\n"}
	configFileMiddleManagerLog4j2  = configFile{name: "middle-manager-log4j2", key: "log4j2.xml", fileName: "log4j2.xml", mountPath: "/opt/druid/conf/druid/cluster/data/middleManager", cluster: false, defaultContent: "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Configuration status=\"WARN\">\n  <Appenders>\n    <Console name=\"Console\" target=\"SYSTEM_OUT\">\n      <PatternLayout pattern=\"%d{ISO8601} %p [%t] %c - %m%n\"/>\n    </Console>\n  </Appenders>\n  <Loggers>\n    <Root level=\"info\">\n      <AppenderRef ref=\"Console\"/>\n    </Root>\n  </Loggers>\n</Configuration>\n"}
	configFileRouterRuntime        = configFile{name: "router-runtime", key: "runtime.properties", fileName: "runtime.properties", mountPath: "/opt/druid/conf/druid/cluster/query/router", cluster: false, defaultContent: "druid.service=druid/router\ndruid.plaintextPort=8888\ndruid.router.http.numConnections=50\ndruid.router.http.readTimeout=PT5M\ndruid.router.http.numMaxThreads=100\ndruid.server.http.numThreads=100\ndruid.router.defaultBrokerServiceName=druid/broker\ndruid.router.coordinatorServiceName=druid/coordinator\ndruid.router.managementProxy.enabled=true\n"}
	configFileRouterJvm            = configFile{name: "router-jvm", key: "jvm.config", fileName: "jvm.config", mountPath: "/opt/druid/conf/druid/cluster/query/router", cluster: false, defaultContent: "-server\n-Xms512m\n-Xmx512m\n-XX:+UseG1GC\n-XX:+ExitOnOutOfMemoryError\n-Duser.timezone=UTC\n-Dfile.encoding=UTF-8\n-Djava.io.tmpdir=/tmp\n-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager\n-Dlog4j.configurationFile=/opt/druid/conf/druid/cluster/query/router/log4j2.xml\n"}
	configFileRouterLog4j2         = configFile{name: "router-log4j2", key: "log4j2.xml", fileName: "log4j2.xml", mountPath: "/opt/druid/conf/druid/cluster/query/router", cluster: false, defaultContent: "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Configuration status=\"WARN\">\n  <Appenders>\n    <Console name=\"Console\" target=\"SYSTEM_OUT\">\n      <PatternLayout pattern=\"%d{ISO8601} %p [%t] %c - %m%n\"/>\n    </Console>\n  </Appenders>\n  <Loggers>\n    <Root level=\"info\">\n      <AppenderRef ref=\"Console\"/>\n    </Root>\n  </Loggers>\n</Configuration>\n"}
)

// containerNames are the container names of node types (a DNS label, as Kubernetes requires).
var containerNames = map[v1alpha1.DruidNodeType]string{
	v1alpha1.DruidNodeTypeCoordinator:   "coordinator",
	v1alpha1.DruidNodeTypeBroker:        "broker",
	v1alpha1.DruidNodeTypeHistorical:    "historical",
	v1alpha1.DruidNodeTypeOverlord:      "overlord",
	v1alpha1.DruidNodeTypeMiddleManager: "middle-manager",
	v1alpha1.DruidNodeTypeRouter:        "router",
}

// healthGates are the checks of Apache Druid's own state, from the description, that a
// node set must pass before it counts as rolled out and the next node type in
// deploymentOrder starts.
var healthGates = map[v1alpha1.DruidNodeType][]dsoi.Gate{
	v1alpha1.DruidNodeTypeCoordinator: {
		// The node has joined the cluster (ZooKeeper confirmed its announcement).
		{Name: "self-discovered", Service: false, Port: "http", Path: "/status/selfDiscovered/status", Status: 200,
			Condition: "body.selfDiscovered == true", Interval: 10 * time.Second, Timeout: 5 * time.Second, Successes: 1},
	},
	v1alpha1.DruidNodeTypeBroker: {
		// The broker knows about all segments in the cluster and can route queries to them.
		{Name: "segment-view-loaded", Service: false, Port: "http", Path: "/druid/broker/v1/loadstatus", Status: 200,
			Condition: "body.inventoryInitialized == true", Interval: 10 * time.Second, Timeout: 5 * time.Second, Successes: 1},
	},
	v1alpha1.DruidNodeTypeHistorical: {
		// The historical has loaded the segments of its local cache and can serve queries on them.
		{Name: "segment-cache-loaded", Service: false, Port: "http", Path: "/druid/historical/v1/loadstatus", Status: 200,
			Condition: "body.cacheInitialized == true", Interval: 10 * time.Second, Timeout: 5 * time.Second, Successes: 1},
	},
	v1alpha1.DruidNodeTypeOverlord: {
		// The node has joined the cluster (ZooKeeper confirmed its announcement).
		{Name: "self-discovered", Service: false, Port: "http", Path: "/status/selfDiscovered/status", Status: 200,
			Condition: "body.selfDiscovered == true", Interval: 10 * time.Second, Timeout: 5 * time.Second, Successes: 1},
	},
	v1alpha1.DruidNodeTypeMiddleManager: {
		// The node has joined the cluster (ZooKeeper confirmed its announcement).
		{Name: "self-discovered", Service: false, Port: "http", Path: "/status/selfDiscovered/status", Status: 200,
			Condition: "body.selfDiscovered == true", Interval: 10 * time.Second, Timeout: 5 * time.Second, Successes: 1},
	},
	v1alpha1.DruidNodeTypeRouter: {
		// The node has joined the cluster (ZooKeeper confirmed its announcement).
		{Name: "self-discovered", Service: false, Port: "http", Path: "/status/selfDiscovered/status", Status: 200,
			Condition: "body.selfDiscovered == true", Interval: 10 * time.Second, Timeout: 5 * time.Second, Successes: 1},
	},
}

// decommissions are what must happen, from the description, before a scale-down removes a
// pod of a node type: the pod is asked to drain, and removed once its check passes.
var decommissions = map[v1alpha1.DruidNodeType]*dsoi.Decommission{
	// The middleManager takes no new task and finishes those it runs.
	v1alpha1.DruidNodeTypeMiddleManager: {
		Start: dsoi.DrainCall{Method: "POST", Path: "/druid/worker/v1/disable", Body: "", Status: 0},
		Check: dsoi.Gate{Name: "drained", Port: "http", Path: "/druid/worker/v1/tasks", Status: 200, Condition: "size(body) == 0",
			Interval: 30 * time.Second, Timeout: 5 * time.Second, Successes: 1},
	},
}

// deletesClaimsWhenScaled says whether a scale-down of a node deletes the claims of the pods
// it removes: as the node's claimRetention says, else as its node type's default.
func deletesClaimsWhenScaled(node v1alpha1.DruidNode) bool {
	if node.ClaimRetention != nil {
		return node.ClaimRetention.WhenScaled == "Delete"
	}
	switch node.NodeType {
	case v1alpha1.DruidNodeTypeMiddleManager:
		return true
	}
	return false
}

// minReplicas are the floors of node types, from the description: a scale-down stops there.
var minReplicas = map[v1alpha1.DruidNodeType]int32{
	v1alpha1.DruidNodeTypeHistorical: 2,
}

// clusterFiles are the cluster-wide config files, shared by every node set that mounts them.
var clusterFiles = []configFile{configFileCommonRuntime}

// nodeTypeFiles lists the config files mounted into each node type.
var nodeTypeFiles = map[v1alpha1.DruidNodeType][]configFile{
	v1alpha1.DruidNodeTypeCoordinator:   {configFileCommonRuntime, configFileCoordinatorRuntime, configFileCoordinatorJvm, configFileCoordinatorLog4j2},
	v1alpha1.DruidNodeTypeBroker:        {configFileCommonRuntime, configFileBrokerRuntime, configFileBrokerJvm, configFileBrokerLog4j2},
	v1alpha1.DruidNodeTypeHistorical:    {configFileCommonRuntime, configFileHistoricalRuntime, configFileHistoricalJvm, configFileHistoricalLog4j2},
	v1alpha1.DruidNodeTypeOverlord:      {configFileCommonRuntime, configFileOverlordRuntime, configFileOverlordJvm, configFileOverlordLog4j2},
	v1alpha1.DruidNodeTypeMiddleManager: {configFileCommonRuntime, configFileMiddleManagerRuntime, configFileMiddleManagerJvm, configFileMiddleManagerLog4j2},
	v1alpha1.DruidNodeTypeRouter:        {configFileCommonRuntime, configFileRouterRuntime, configFileRouterJvm, configFileRouterLog4j2},
}

// nodeFileContent returns a node-scoped file's content in an app config group ("" for the default).
func nodeFileContent(g *v1alpha1.DruidConfig, f configFile) string {
	if g == nil {
		return ""
	}
	switch f.name {
	case "coordinator-runtime":
		return g.CoordinatorRuntime
	case "coordinator-jvm":
		return g.CoordinatorJvm
	case "coordinator-log4j2":
		return g.CoordinatorLog4j2
	case "broker-runtime":
		return g.BrokerRuntime
	case "broker-jvm":
		return g.BrokerJvm
	case "broker-log4j2":
		return g.BrokerLog4j2
	case "historical-runtime":
		return g.HistoricalRuntime
	case "historical-jvm":
		return g.HistoricalJvm
	case "historical-log4j2":
		return g.HistoricalLog4j2
	case "overlord-runtime":
		return g.OverlordRuntime
	case "overlord-jvm":
		return g.OverlordJvm
	case "overlord-log4j2":
		return g.OverlordLog4j2
	case "middle-manager-runtime":
		return g.MiddleManagerRuntime
	case "middle-manager-jvm":
		return g.MiddleManagerJvm
	case "middle-manager-log4j2":
		return g.MiddleManagerLog4j2
	case "router-runtime":
		return g.RouterRuntime
	case "router-jvm":
		return g.RouterJvm
	case "router-log4j2":
		return g.RouterLog4j2
	}
	return ""
}

// clusterFileContent returns a cluster-scoped file's content ("" for the default).
func clusterFileContent(cr *v1alpha1.Druid, f configFile) string {
	switch f.name {
	case "common-runtime":
		return cr.Spec.ClusterConfig.CommonRuntime
	}
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
func nodeSetConfigMapName(cr *v1alpha1.Druid, node string) string {
	return cr.Name + "-" + node + "-config"
}

func clusterConfigMapName(cr *v1alpha1.Druid) string { return cr.Name + "-config" }

// desiredCluster translates the resource into what the dsoi library builds and applies.
func desiredCluster(cr *v1alpha1.Druid) (*dsoi.Cluster, error) {
	c := &dsoi.Cluster{
		App: AppName, Instance: cr.Name, Namespace: cr.Namespace,
		Stopped: cr.Spec.Stopped, DisablePDB: cr.Spec.DisablePodDisruptionBudget,
	}
	k8sConfigs := map[string]*v1alpha1.DruidK8sConfig{}
	for i := range cr.Spec.K8sConfig {
		k8sConfigs[cr.Spec.K8sConfig[i].Name] = &cr.Spec.K8sConfig[i]
	}
	groups := map[string]*v1alpha1.DruidConfig{}
	for i := range cr.Spec.DruidConfig {
		groups[cr.Spec.DruidConfig[i].Name] = &cr.Spec.DruidConfig[i]
	}
	env := dependencyEnv(cr)

	for _, node := range cr.Spec.Nodes {
		kc, ok := k8sConfigs[node.K8sConfig]
		if !ok {
			return nil, fmt.Errorf("node %q: k8sConfig %q is not in spec.k8sConfig", node.Name, node.K8sConfig)
		}
		group, ok := groups[node.DruidConfig]
		if node.DruidConfig != "" && !ok {
			return nil, fmt.Errorf("node %q: druidConfig %q is not in spec.druidConfig", node.Name, node.DruidConfig)
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
			PodLabels:              kc.PodMetadata.Labels,
			Annotations:            kc.PodMetadata.Annotations,
			Service:                kc.Service,
			Gates:                  healthGates[node.NodeType],
			GateAddress:            node.AppAddress,
			MinReplicas:            minReplicas[node.NodeType],
			Decommission:           decommissions[node.NodeType],
			DeleteClaimsWhenScaled: deletesClaimsWhenScaled(node),
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
func dependencyEnv(cr *v1alpha1.Druid) []corev1.EnvVar {
	var env []corev1.EnvVar
	{
		spec := cr.Spec.External.Zookeeper.Spec
		if spec.ZkHosts != "" {
			env = append(env, corev1.EnvVar{Name: "druid_zk_service_host", Value: spec.ZkHosts})
		}
	}
	{
		spec := cr.Spec.External.MetadataStore.Spec
		if spec.StorageType != "" {
			env = append(env, corev1.EnvVar{Name: "druid_metadata_storage_type", Value: spec.StorageType})
		}
		if spec.ConnectURI != "" {
			env = append(env, corev1.EnvVar{Name: "druid_metadata_storage_connector_connectURI", Value: spec.ConnectURI})
		}
		if spec.User != "" {
			env = append(env, corev1.EnvVar{Name: "druid_metadata_storage_connector_user", Value: spec.User})
		}
		if spec.Password != nil {
			env = append(env, corev1.EnvVar{Name: "druid_metadata_storage_connector_password", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: spec.Password.DeepCopy()}})
		}
	}
	{
		spec := cr.Spec.External.DeepStorage.Spec
		if spec.StorageType != "" {
			env = append(env, corev1.EnvVar{Name: "druid_storage_type", Value: spec.StorageType})
		}
		if spec.Bucket != "" {
			env = append(env, corev1.EnvVar{Name: "druid_storage_bucket", Value: spec.Bucket})
		}
		if spec.BaseKey != "" {
			env = append(env, corev1.EnvVar{Name: "druid_storage_baseKey", Value: spec.BaseKey})
		}
		if spec.AccessKey != nil {
			env = append(env, corev1.EnvVar{Name: "druid_s3_accessKey", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: spec.AccessKey.DeepCopy()}})
		}
		if spec.SecretKey != nil {
			env = append(env, corev1.EnvVar{Name: "druid_s3_secretKey", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: spec.SecretKey.DeepCopy()}})
		}
	}
	return env
}

// SetupWithManager watches Druid resources and every kind of object they own, so a
// deleted or hand-edited child is put back at once, not on a timer.
func (r *DruidReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Druid{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Service{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&appsv1.Deployment{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Named("druid").
		Complete(r)
}
