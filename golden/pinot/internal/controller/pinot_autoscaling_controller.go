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
	"math"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1beta1 "github.com/acme/pinot-operator/api/v1beta1"
	"github.com/acme/pinot-operator/internal/dsoi"
)

// PinotAutoscalingReconciler resizes the node sets of Pinot clusters from a utilization
// metric. It is its own controller: a slow metrics endpoint delays only this loop, never an
// install or an upgrade. It changes only spec.nodes[].replicas of the cluster, so the
// Pinot controller remains the one that rolls changes out.
type PinotAutoscalingReconciler struct {
	client.Client
	// APIReader reads Secrets and pod metrics directly, so the manager does not cache every
	// Secret of the cluster.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	// HTTP fetches metrics; nil means http.DefaultClient. Each fetch has its own timeout.
	HTTP *http.Client
	// Now is the clock; nil means time.Now (tests set it).
	Now func() time.Time
}

// Conditions of a PinotAutoscaling.
const (
	ConditionMetricsAvailable = "MetricsAvailable"
	ConditionAbleToScale      = "AbleToScale"
	ConditionScalingLimited   = "ScalingLimited"
)

// +kubebuilder:rbac:groups=datainfra.io,resources=pinotautoscalings,verbs=get;list;watch
// +kubebuilder:rbac:groups=datainfra.io,resources=pinotautoscalings/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=metrics.k8s.io,resources=pods,verbs=get;list

// Reconcile fetches the metrics of one PinotAutoscaling, decides the size of each enabled
// node set (dsoi.Decide), writes the sizes that change into the cluster's spec, and reports
// what it saw and did in status and events. It runs again after spec.external.spec.intervalSeconds,
// or sooner when a cool-down ends.
func (r *PinotAutoscalingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var as v1beta1.PinotAutoscaling
	if err := r.Get(ctx, req.NamespacedName, &as); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !as.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	now := r.now()
	old := as.Status.DeepCopy()
	as.Status.ObservedGeneration = as.Generation
	interval := time.Duration(max(as.Spec.External.Spec.IntervalSeconds, 1)) * time.Second

	var cluster v1beta1.Pinot
	err := r.Get(ctx, types.NamespacedName{Namespace: as.Namespace, Name: as.Spec.ClusterRef.Name}, &cluster)
	if apierrors.IsNotFound(err) {
		r.setCondition(&as, ConditionAbleToScale, metav1.ConditionFalse, "ClusterNotFound",
			fmt.Sprintf("no Pinot named %q in namespace %s", as.Spec.ClusterRef.Name, as.Namespace))
		if err := r.storeStatus(ctx, &as, old); err != nil {
			return dsoi.Retry(err)
		}
		return ctrl.Result{RequeueAfter: interval}, nil
	}
	if err != nil {
		return dsoi.Retry(err)
	}

	metrics, nodeErrors, fetchErr := r.fetch(ctx, &as, &cluster)
	if fetchErr != nil {
		reason := "FetchFailed"
		if me := (*dsoi.MetricsError)(nil); errors.As(fetchErr, &me) {
			reason = me.Reason
		}
		r.setCondition(&as, ConditionMetricsAvailable, metav1.ConditionFalse, reason, fetchErr.Error())
	} else {
		// No fetch time in status: a steady metric must cost no write.
		r.setCondition(&as, ConditionMetricsAvailable, metav1.ConditionTrue, "Fetched", "metrics fetched")
	}
	blockedReason, blocked := scalingBlocked(&cluster)
	if blocked != "" {
		r.setCondition(&as, ConditionAbleToScale, metav1.ConditionFalse, blockedReason, blocked)
	} else {
		r.setCondition(&as, ConditionAbleToScale, metav1.ConditionTrue, "Ready", "the cluster may be resized")
	}

	base := cluster.DeepCopy()
	next := interval
	var scaled []scaleEvent
	var limited []string
	var statuses []v1beta1.PinotAutoscalingNodeSetStatus
	for _, entry := range as.Spec.Autoscaling {
		st := lastScaleStatus(old, entry.Name)
		st.LastError, st.Utilization = "", nil
		i := nodeIndex(&cluster, entry.Name)
		switch {
		case !entry.Spec.Enable:
			st.Message = "scaling is not enabled for this node set"
		case i < 0:
			st.LastError = fmt.Sprintf("Pinot %s has no node set named %q", cluster.Name, entry.Name)
			st.Message = ""
		default:
			current := int32(1)
			if cluster.Spec.Nodes[i].Replicas != nil {
				current = *cluster.Spec.Nodes[i].Replicas
			}
			util, has := metrics[entry.Name]
			switch {
			case fetchErr != nil:
				st.LastError = fetchErr.Error()
			case nodeErrors[entry.Name] != "":
				st.LastError = nodeErrors[entry.Name]
			case !has:
				st.LastError = "the metrics gave no value for this node set"
			default:
				rounded := int32(math.Round(util))
				st.Utilization = &rounded
			}
			coolDown, _ := time.ParseDuration(entry.Spec.CoolDown) // the API server checked it
			var last time.Time
			if st.LastScaleTime != nil {
				last = st.LastScaleTime.Time
			}
			policy := dsoi.ScalePolicy{MinReplicas: entry.Spec.MinReplica, MaxReplicas: entry.Spec.MaxReplica, Threshold: entry.Spec.Threshold, CoolDown: coolDown}
			claim := sharedSingleWriterClaim(&cluster, i)
			if claim != "" {
				policy.MinReplicas, policy.MaxReplicas = min(policy.MinReplicas, 1), min(policy.MaxReplicas, 1)
			}
			d := dsoi.Decide(dsoi.ScaleInput{
				Policy: policy, Current: current, Utilization: util, HasMetric: st.Utilization != nil,
				LastScale: last, Now: now, Blocked: blocked,
			})
			st.CurrentReplicas, st.DesiredReplicas, st.Message = current, d.Desired, d.Reason
			if claim != "" {
				st.Message += fmt.Sprintf("; at most 1 replica: its pods share claim %q of storage that one node can mount for writing (use ReadWriteMany or kind StatefulSet to scale)", claim)
			}
			if d.Limited {
				limited = append(limited, entry.Name)
			}
			if d.RetryAfter > 0 && d.RetryAfter < next {
				next = d.RetryAfter
			}
			if d.Desired != current {
				cluster.Spec.Nodes[i].Replicas = &d.Desired
				st.LastScaleTime, st.LastScaleDirection = &metav1.Time{Time: now}, d.Direction
				scaled = append(scaled, scaleEvent{reason: "Scaled" + d.Direction,
					note: fmt.Sprintf("node set %s: %d -> %d replicas (%s)", entry.Name, current, d.Desired, d.Reason)})
			}
		}
		statuses = append(statuses, st)
	}
	as.Status.NodeSets = statuses
	if len(limited) > 0 {
		r.setCondition(&as, ConditionScalingLimited, metav1.ConditionTrue, "AtBounds", "held at minReplica or maxReplica: "+strings.Join(limited, ", "))
	} else {
		r.setCondition(&as, ConditionScalingLimited, metav1.ConditionFalse, "WithinBounds", "every node set is within its bounds")
	}

	if len(scaled) > 0 {
		// The optimistic lock makes a concurrent change of the cluster win: decide again on it.
		if err := r.Patch(ctx, &cluster, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: time.Second}, nil
			}
			return dsoi.Retry(err)
		}
	}
	if err := r.storeStatus(ctx, &as, old); err != nil {
		return dsoi.Retry(err)
	}
	// Events go out once the status that goes with them is stored.
	for _, e := range scaled {
		r.Recorder.Eventf(&as, &cluster, corev1.EventTypeNormal, e.reason, "Scale", "%s", e.note)
	}
	if fetchErr != nil {
		r.Recorder.Eventf(&as, nil, corev1.EventTypeWarning, "MetricsFetchFailed", "FetchMetrics", "%s", fetchErr.Error())
	}
	return ctrl.Result{RequeueAfter: next}, nil
}

// sharedSingleWriterClaim names the storage that node set i's pods share and that only the
// pods of one node can mount for writing, or "": such a node set runs one replica at most.
func sharedSingleWriterClaim(cluster *v1beta1.Pinot, i int) string {
	node := cluster.Spec.Nodes[i]
	if node.Kind != dsoi.KindDeployment {
		return ""
	}
	for _, kc := range cluster.Spec.K8sConfig {
		if kc.Name != node.K8sConfig {
			continue
		}
		for _, s := range kc.StorageConfig {
			if dsoi.SingleWriter(s.Spec) {
				return s.Name
			}
		}
	}
	return ""
}

// scaleEvent is an event about a change of size: ScaledUp or ScaledDown.
type scaleEvent struct{ reason, note string }

// scalingBlocked says why the cluster must not be resized now: an upgrade rolling out or
// halted, a rollout in progress, a pause or a stop. Resizing then would race the Pinot
// controller or hide a problem.
func scalingBlocked(cluster *v1beta1.Pinot) (reason, message string) {
	switch {
	case cluster.Spec.Paused:
		return "ClusterPaused", "the cluster is paused"
	case cluster.Spec.Stopped:
		return "ClusterStopped", "the cluster is stopped"
	case cluster.Status.Upgrade != nil && cluster.Status.Upgrade.Phase == dsoi.UpgradeHalted:
		return "UpgradeHalted", "the cluster's upgrade is halted: " + cluster.Status.Upgrade.Message
	case cluster.Status.Upgrade != nil && cluster.Status.Upgrade.Phase == dsoi.UpgradeProgressing:
		return "UpgradeInProgress", "the cluster is upgrading"
	case meta.IsStatusConditionTrue(cluster.Status.Conditions, dsoi.ConditionProgressing):
		return "RollingOut", "the cluster is rolling out a change"
	}
	return "", ""
}

// fetch returns the utilization of the node sets, with per-node-set problems, from the
// metrics source.
func (r *PinotAutoscalingReconciler) fetch(ctx context.Context, as *v1beta1.PinotAutoscaling, cluster *v1beta1.Pinot) (map[string]float64, map[string]string, error) {
	src := as.Spec.External.Spec
	timeout := time.Duration(max(src.TimeoutSeconds, 1)) * time.Second
	if src.Source == "resourceMetrics" {
		return r.resourceMetrics(ctx, cluster)
	}
	token := ""
	if ref := src.SecretRef; ref != nil {
		var secret corev1.Secret
		if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: as.Namespace, Name: ref.Name}, &secret); err != nil {
			return nil, nil, &dsoi.MetricsError{Reason: "SecretUnavailable", Err: fmt.Errorf("secret %s: %w", ref.Name, err)}
		}
		value, ok := secret.Data[ref.Key]
		if !ok {
			return nil, nil, &dsoi.MetricsError{Reason: "SecretUnavailable", Err: fmt.Errorf("secret %s has no key %q", ref.Name, ref.Key)}
		}
		token = strings.TrimSpace(string(value))
	}
	httpClient := r.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	metrics, err := dsoi.FetchUtilization(ctx, httpClient, src.URL, token, timeout)
	return metrics, nil, err
}

// resourceMetrics computes CPU utilization per node set from metrics.k8s.io PodMetrics and
// the pods' CPU requests.
func (r *PinotAutoscalingReconciler) resourceMetrics(ctx context.Context, cluster *v1beta1.Pinot) (map[string]float64, map[string]string, error) {
	selector := client.MatchingLabels{dsoi.LabelInstance: cluster.Name}
	podMetrics := &unstructured.UnstructuredList{}
	podMetrics.SetAPIVersion("metrics.k8s.io/v1beta1")
	podMetrics.SetKind("PodMetricsList")
	if err := r.APIReader.List(ctx, podMetrics, client.InNamespace(cluster.Namespace), selector); err != nil {
		return nil, nil, &dsoi.MetricsError{Reason: "ResourceMetricsUnavailable", Err: fmt.Errorf("the resource metrics API (metrics.k8s.io, served by metrics-server): %w", err)}
	}
	usage := map[string]resource.Quantity{}
	for _, item := range podMetrics.Items {
		containers, _, _ := unstructured.NestedSlice(item.Object, "containers")
		var total resource.Quantity
		for _, c := range containers {
			cpu, _, _ := unstructured.NestedString(c.(map[string]any), "usage", "cpu")
			q, err := resource.ParseQuantity(cpu)
			if err != nil {
				return nil, nil, &dsoi.MetricsError{Reason: "InvalidResponse", Err: fmt.Errorf("pod metrics %s: cpu %q: %w", item.GetName(), cpu, err)}
			}
			total.Add(q)
		}
		usage[item.GetName()] = total
	}
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(cluster.Namespace), selector); err != nil {
		return nil, nil, err
	}
	byNodeSet := map[string][]corev1.Pod{}
	for _, pod := range pods.Items {
		byNodeSet[pod.Labels[dsoi.LabelNodeSet]] = append(byNodeSet[pod.Labels[dsoi.LabelNodeSet]], pod)
	}
	metrics, problems := map[string]float64{}, map[string]string{}
	for _, node := range cluster.Spec.Nodes {
		util, err := dsoi.CPUUtilization(byNodeSet[node.Name], usage)
		if err != nil {
			problems[node.Name] = err.Error()
			continue
		}
		metrics[node.Name] = util
	}
	return metrics, problems, nil
}

func nodeIndex(cluster *v1beta1.Pinot, name string) int {
	for i, n := range cluster.Spec.Nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// lastScaleStatus returns the last status of a node set, which holds its last scale time.
func lastScaleStatus(old *v1beta1.PinotAutoscalingStatus, name string) v1beta1.PinotAutoscalingNodeSetStatus {
	for _, s := range old.NodeSets {
		if s.Name == name {
			return *s.DeepCopy()
		}
	}
	return v1beta1.PinotAutoscalingNodeSetStatus{Name: name}
}

func (r *PinotAutoscalingReconciler) setCondition(as *v1beta1.PinotAutoscaling, kind string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&as.Status.Conditions, metav1.Condition{Type: kind, Status: status, Reason: reason, Message: message,
		ObservedGeneration: as.Generation, LastTransitionTime: metav1.NewTime(r.now())})
}

// storeStatus writes the status when it changed, again on a conflict with a spec edit.
func (r *PinotAutoscalingReconciler) storeStatus(ctx context.Context, as *v1beta1.PinotAutoscaling, old *v1beta1.PinotAutoscalingStatus) error {
	if equality.Semantic.DeepEqual(old, &as.Status) {
		return nil
	}
	status := as.Status
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		err := r.Status().Update(ctx, as)
		if apierrors.IsConflict(err) {
			if getErr := r.Get(ctx, client.ObjectKeyFromObject(as), as); getErr != nil {
				return getErr
			}
			as.Status = status
		}
		return err
	})
}

func (r *PinotAutoscalingReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager registers the controller. It watches only PinotAutoscaling resources:
// metrics are polled, and a change of the cluster is seen at the next poll. Only a spec
// change (a new generation) starts a reconcile at once: the controller's own status writes
// must not, or every change of status would fetch the metrics twice in a row.
func (r *PinotAutoscalingReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1beta1.PinotAutoscaling{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("pinotautoscaling").
		Complete(r)
}
