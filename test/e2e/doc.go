// Package e2e runs each golden operator (golden/<case>) against a real control plane:
// kube-apiserver, etcd, kube-controller-manager and kube-scheduler, with KWOK simulating
// nodes and pods. It checks what envtest cannot: workloads really roll out, pods crash,
// upgrades halt and resume, and it measures the operator (time to Available, upgrade time,
// API requests, memory).
//
// Run it with `make e2e`; `go test ./test/e2e` alone skips, as it needs the binaries that
// hack/build-control-plane.sh builds.
package e2e
