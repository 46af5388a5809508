#!/usr/bin/env bash
# build-envtest.sh builds the envtest control plane (kube-apiserver and etcd)
# from Go modules, because setup-envtest's prebuilt downloads cannot be reached.
#
# Usage: hack/build-envtest.sh K8S_VERSION OUTPUT_DIR
#
# It makes a throwaway module that requires k8s.io/kubernetes at K8S_VERSION
# and replaces each staging module (k8s.io/<name> => ./staging/src/k8s.io/<name>
# in kubernetes' go.mod) with the published v0.<minor>.<patch> module, then
# builds kube-apiserver and the etcd version that kubernetes requires.
# The result is cached: a second run with the same version does nothing.
set -euo pipefail

k8s_version=${1:?usage: $0 K8S_VERSION OUTPUT_DIR}
out=${2:?usage: $0 K8S_VERSION OUTPUT_DIR}
staging_version="v0.${k8s_version#v1.}"

if [[ -x "$out/kube-apiserver" && -x "$out/etcd" ]]; then
  echo "envtest control plane $k8s_version is cached in $out"
  exit 0
fi

start=$SECONDS
step() { printf '[envtest %3ds] %s\n' "$((SECONDS - start))" "$*"; }

# build_with_progress prints one line per 100 packages compiled, so a
# cold build (several minutes on 2 cores) visibly makes progress.
build_with_progress() {
  local name=$1 pkg=$2
  step "building $name from $pkg (a cold build takes several minutes)"
  go build -v -trimpath -o "$out/$name" "$pkg" 2>&1 | awk -v name="$name" -v t0="$(date +%s)" '
    /^#|: / { print; next }
    { n++; if (n % 100 == 0) { printf "[envtest] %s: %d packages compiled (%ds)\n", name, n, systime() - t0; fflush() } }'
  [[ -x "$out/$name" ]] || { echo "failed to build $name" >&2; exit 1; }
}

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/wavegate-envtest.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

step "resolving k8s.io/kubernetes $k8s_version"
go mod init wavegate.local/envtest-build >/dev/null 2>&1
gomod=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[[ -f "$gomod" ]] || { echo "could not download the go.mod of k8s.io/kubernetes@$k8s_version" >&2; exit 1; }

staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[A-Za-z0-9._-]*\) => ./staging/src/k8s.io/.*#\1#p' "$gomod")
[[ -n "$staging" ]] || { echo "no staging modules found in $gomod" >&2; exit 1; }
step "replacing $(wc -w <<<"$staging") staging modules with $staging_version"
for m in $staging; do
  go mod edit -replace "$m=$m@$staging_version"
done

step "resolving the dependency graph"
go get "k8s.io/kubernetes/cmd/kube-apiserver@$k8s_version"
build_with_progress kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver

etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
step "resolving etcd $etcd_version (the version k8s.io/kubernetes $k8s_version requires)"
go get "go.etcd.io/etcd/server/v3@$etcd_version"
build_with_progress etcd go.etcd.io/etcd/server/v3

step "done: $(ls "$out" | tr '\n' ' ')in $out"
