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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// This file is the DSOI level 2 part of the library: deciding replica counts from a
// utilization metric and fetching that metric. Projects generated without autoscaling do
// not carry it.

// ScaleDownRatio sets the hysteresis band: a node set scales up when its utilization is above
// the threshold and down only when it is below ScaleDownRatio × threshold, so a utilization
// that hovers around the threshold never flaps between two sizes.
const ScaleDownRatio = 0.7

// Scaling directions, as recorded in status and events.
const (
	ScaleUp   = "Up"
	ScaleDown = "Down"
)

// ScalePolicy is one autoscaling entry: bounds, target and cool-down.
type ScalePolicy struct {
	MinReplicas, MaxReplicas int32
	// Threshold is the target utilization in percent.
	Threshold int32
	// CoolDown is the least time between two changes of the node set's size.
	CoolDown time.Duration
}

// ScaleInput is what a decision depends on; Decide is pure, so tests need no clock or cluster.
type ScaleInput struct {
	Policy ScalePolicy
	// Current is the node set's replica count in the cluster's spec.
	Current int32
	// Utilization is the node set's metric, in percent; HasMetric is false when there is none.
	Utilization float64
	HasMetric   bool
	// LastScale is the time of the last change made by the autoscaler (zero: never).
	LastScale, Now time.Time
	// Blocked, when set, says why the cluster must not be resized now (an upgrade rolling out
	// or halted, a pause, a stop).
	Blocked string
}

// ScaleDecision is the outcome of Decide.
type ScaleDecision struct {
	// Desired is the replica count to set; equal to Current when nothing changes.
	Desired int32
	// Direction is ScaleUp, ScaleDown or "".
	Direction string
	// Limited is set when the bounds cut the wanted size (or Current was outside them).
	Limited bool
	// Reason says why, for status and events.
	Reason string
	// RetryAfter, when positive, is when the decision may change without a new metric (the end
	// of a cool-down).
	RetryAfter time.Duration
}

// Decide computes the replica count of one node set. In order: nothing changes while the
// cluster is blocked; a size outside [min, max] is brought inside; nothing changes within the
// cool-down of the last change or without a metric; above the threshold the size grows in
// proportion to utilization/threshold (at least by one); below ScaleDownRatio × threshold it
// shrinks in the same proportion (at least by one); in between it stays. The result is always
// within [min, max].
func Decide(in ScaleInput) ScaleDecision {
	p := in.Policy
	keep := ScaleDecision{Desired: in.Current}
	switch {
	case in.Blocked != "":
		keep.Reason = "not scaling: " + in.Blocked
		return keep
	case in.Current < p.MinReplicas:
		return ScaleDecision{Desired: p.MinReplicas, Direction: ScaleUp, Limited: true,
			Reason: fmt.Sprintf("%d replicas is below minReplica %d", in.Current, p.MinReplicas)}
	case in.Current > p.MaxReplicas:
		return ScaleDecision{Desired: p.MaxReplicas, Direction: ScaleDown, Limited: true,
			Reason: fmt.Sprintf("%d replicas is above maxReplica %d", in.Current, p.MaxReplicas)}
	case !in.HasMetric:
		keep.Reason = "no metric"
		return keep
	}
	if !in.LastScale.IsZero() {
		if wait := in.LastScale.Add(p.CoolDown).Sub(in.Now); wait > 0 {
			// The end, not the time left: a message that stays the same costs no status write.
			keep.Reason = fmt.Sprintf("cooling down until %s (coolDown %s after the last change)",
				in.LastScale.Add(p.CoolDown).UTC().Format(time.RFC3339), p.CoolDown)
			keep.RetryAfter = wait
			return keep
		}
	}
	threshold, util := float64(p.Threshold), in.Utilization
	low := threshold * ScaleDownRatio
	// The proportional size, rounded up: the fewest replicas that bring utilization to the threshold.
	proportional := int32(math.Min(math.Ceil(float64(in.Current)*util/threshold), math.MaxInt32))
	switch {
	case util > threshold:
		want := max(proportional, in.Current+1)
		d := ScaleDecision{Desired: min(want, p.MaxReplicas), Direction: ScaleUp,
			Reason: fmt.Sprintf("utilization %.0f%% is above the threshold %d%%", util, p.Threshold)}
		if want > p.MaxReplicas {
			d.Limited = true
			d.Reason += fmt.Sprintf("; limited by maxReplica %d", p.MaxReplicas)
		}
		if d.Desired == in.Current {
			d.Direction = ""
		}
		return d
	case util < low:
		want := min(proportional, in.Current-1)
		d := ScaleDecision{Desired: max(want, p.MinReplicas), Direction: ScaleDown,
			Reason: fmt.Sprintf("utilization %.0f%% is below %.0f%% (%.0f%% of the threshold %d%%)", util, low, ScaleDownRatio*100, p.Threshold)}
		if want < p.MinReplicas {
			d.Limited = true
			d.Reason += fmt.Sprintf("; limited by minReplica %d", p.MinReplicas)
		}
		if d.Desired == in.Current {
			d.Direction = ""
		}
		return d
	}
	keep.Reason = fmt.Sprintf("utilization %.0f%% is within [%.0f%%, %d%%]", util, low, p.Threshold)
	return keep
}

// MaxMetricsResponse bounds what FetchUtilization reads, so a misbehaving endpoint cannot
// exhaust the operator's memory.
const MaxMetricsResponse = 1 << 20

// MetricsError is a failed fetch of the metrics endpoint. Reason is a short CamelCase word
// for conditions and events.
type MetricsError struct {
	Reason string
	Err    error
}

func (e *MetricsError) Error() string { return e.Err.Error() }
func (e *MetricsError) Unwrap() error { return e.Err }

// FetchUtilization asks a metrics endpoint for the utilization of each node set. The contract:
// GET url (with "Authorization: Bearer <token>" when token is set) answers 200 with a JSON
// object mapping node set names to utilization in percent, for example
// {"broker": 85, "server": 40.5}. Values must be finite numbers from 0 to 10000. The request
// gives up after timeout. Every failure is a *MetricsError: Unreachable, Timeout, HTTPStatus or
// InvalidResponse.
func FetchUtilization(ctx context.Context, client *http.Client, url, token string, timeout time.Duration) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &MetricsError{Reason: "InvalidURL", Err: fmt.Errorf("metrics URL %q: %w", url, err)}
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, &MetricsError{Reason: "Timeout", Err: fmt.Errorf("GET %s: no answer within %s", url, timeout)}
		}
		return nil, &MetricsError{Reason: "Unreachable", Err: fmt.Errorf("GET %s: %w", url, err)}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxMetricsResponse+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, &MetricsError{Reason: "Timeout", Err: fmt.Errorf("GET %s: no full answer within %s", url, timeout)}
	case err != nil:
		return nil, &MetricsError{Reason: "Unreachable", Err: fmt.Errorf("GET %s: %w", url, err)}
	case res.StatusCode != http.StatusOK:
		return nil, &MetricsError{Reason: "HTTPStatus", Err: fmt.Errorf("GET %s: status %s", url, res.Status)}
	case len(body) > MaxMetricsResponse:
		return nil, &MetricsError{Reason: "InvalidResponse", Err: fmt.Errorf("GET %s: the answer is over %d bytes", url, MaxMetricsResponse)}
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
		return nil, &MetricsError{Reason: "InvalidResponse", Err: fmt.Errorf("GET %s: want a JSON object of node set names to numbers, got %q", url, excerpt(body))}
	}
	out := make(map[string]float64, len(raw))
	for name, value := range raw {
		n, ok := value.(json.Number)
		v, err := n.Float64()
		if !ok || err != nil || math.IsInf(v, 0) || v < 0 || v > 10000 {
			return nil, &MetricsError{Reason: "InvalidResponse", Err: fmt.Errorf("GET %s: node set %q: %v is not a utilization from 0 to 10000", url, name, value)}
		}
		out[name] = v
	}
	return out, nil
}

// CPUUtilization is a node set's utilization from the Kubernetes resource metrics API: the CPU
// its pods use (usage, by pod name, from metrics.k8s.io PodMetrics) over the CPU they request,
// in percent. Pods that are not running, or have no metrics yet, are left out, as the
// HorizontalPodAutoscaler does; a node set without requests has no utilization.
func CPUUtilization(pods []corev1.Pod, usage map[string]resource.Quantity) (float64, error) {
	var used, requested int64
	counted := 0
	for _, pod := range pods {
		u, ok := usage[pod.Name]
		if !ok || pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
			continue
		}
		var req int64
		for _, c := range pod.Spec.Containers {
			cpu, ok := c.Resources.Requests[corev1.ResourceCPU]
			if !ok {
				return 0, fmt.Errorf("pod %s: container %s requests no CPU, so its utilization is undefined; set resources.requests.cpu", pod.Name, c.Name)
			}
			req += cpu.MilliValue()
		}
		used += u.MilliValue()
		requested += req
		counted++
	}
	if counted == 0 || requested == 0 {
		return 0, fmt.Errorf("no running pod with CPU metrics")
	}
	return float64(used) * 100 / float64(requested), nil
}
