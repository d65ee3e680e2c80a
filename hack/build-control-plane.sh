#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries pinned in hack/tools/go.mod into
# bin/k8s/<kubernetes version>/, once: a later run with the same pins does nothing.
# Usage: hack/build-control-plane.sh [binary ...]   (default: etcd kube-apiserver)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/hack/tools"
version=$(cd "$tools" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
out="$root/bin/k8s/$version"
mkdir -p "$out"
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(etcd kube-apiserver)
for name in "${want[@]}"; do
  [ -x "$out/$name" ] && continue
  case "$name" in
    etcd) pkg=go.etcd.io/etcd/server/v3 ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl) pkg=k8s.io/kubernetes/cmd/$name ;;
    *) echo "build-control-plane: unknown binary $name" >&2; exit 2 ;;
  esac
  echo "building $name ($pkg) into $out" >&2
  (cd "$tools" && go build -o "$out/$name.tmp" "$pkg") && mv "$out/$name.tmp" "$out/$name"
done
echo "$out"
