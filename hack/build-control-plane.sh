#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries pinned in hack/tools/go.mod into
# bin/k8s/<kubernetes version>/, once: a later run with the same pins does nothing.
# Usage: hack/build-control-plane.sh [binary ...]   (default: etcd kube-apiserver)
#        hack/build-control-plane.sh all              (also the controller manager, scheduler,
#                                                      kubectl, kwok and kwokctl, for e2e tests)
set -euo pipefail
# KWOK simulates nodes and pods for the end-to-end tests; pinned here, built from the module proxy.
KWOK_VERSION=v0.8.0
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/hack/tools"
version=$(cd "$tools" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
out="$root/bin/k8s/$version"
mkdir -p "$out"
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(etcd kube-apiserver)
if [ "${want[0]}" = all ]; then
  want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl)
fi
for name in "${want[@]}"; do
  case "$name" in kwok|kwokctl) ;; *) [ -x "$out/$name" ] && continue ;; esac
  case "$name" in
    kwok|kwokctl)
      # Stamped with its version, so changing KWOK_VERSION rebuilds it.
      [ "$(cat "$out/.$name.version" 2>/dev/null)" = "$KWOK_VERSION" ] && continue
      echo "installing $name $KWOK_VERSION into $out" >&2
      GOBIN="$out" go install "sigs.k8s.io/kwok/cmd/$name@$KWOK_VERSION"
      echo "$KWOK_VERSION" > "$out/.$name.version"
      continue ;;
    etcd) pkg=go.etcd.io/etcd/server/v3 ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl) pkg=k8s.io/kubernetes/cmd/$name ;;
    *) echo "build-control-plane: unknown binary $name" >&2; exit 2 ;;
  esac
  echo "building $name ($pkg) into $out" >&2
  (cd "$tools" && go build -o "$out/$name.tmp" "$pkg") && mv "$out/$name.tmp" "$out/$name"
done
echo "$out"
