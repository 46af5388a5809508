#!/usr/bin/env bash
# build-envtest.sh builds Kubernetes control-plane binaries from Go modules,
# because prebuilt downloads (setup-envtest, kwokctl's release binaries)
# cannot be reached.
#
# Usage: hack/build-envtest.sh K8S_VERSION OUTPUT_DIR [COMPONENT...]
#
# COMPONENT is any of kube-apiserver, etcd, kube-controller-manager,
# kube-scheduler and kubectl; the default is kube-apiserver and etcd (what
# envtest needs).
# It makes a throwaway module that requires k8s.io/kubernetes at K8S_VERSION
# and replaces each staging module (k8s.io/<name> => ./staging/src/k8s.io/<name>
# in kubernetes' go.mod) with the published v0.<minor>.<patch> module, then
# builds the components, and etcd at the version kubernetes requires.
# The result is cached per component: a second run builds only what is missing.
set -euo pipefail

k8s_version=${1:?usage: $0 K8S_VERSION OUTPUT_DIR [COMPONENT...]}
out=${2:?usage: $0 K8S_VERSION OUTPUT_DIR [COMPONENT...]}
shift 2
components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=(kube-apiserver etcd)
staging_version="v0.${k8s_version#v1.}"

missing=()
for c in "${components[@]}"; do
  case $c in
    kube-apiserver|etcd|kube-controller-manager|kube-scheduler|kubectl) ;;
    *) echo "unknown component $c (want kube-apiserver, etcd, kube-controller-manager, kube-scheduler or kubectl)" >&2; exit 2 ;;
  esac
  [[ -x "$out/$c" ]] || missing+=("$c")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "${components[*]} $k8s_version cached in $out"
  exit 0
fi

start=$SECONDS
step() { printf '[k8s-build %3ds] %s\n' "$((SECONDS - start))" "$*"; }

# build_with_progress prints one line per 100 packages compiled, so a
# cold build (several minutes on 2 cores) visibly makes progress.
build_with_progress() {
  local name=$1 pkg=$2
  step "building $name from $pkg (a cold build takes minutes)"
  go build -v -trimpath -o "$out/$name.tmp" "$pkg" 2>&1 | awk -v name="$name" -v t0="$(date +%s)" '
    /^#|: / { print; next }
    { n++; if (n % 100 == 0) { printf "[k8s-build] %s: %d packages compiled (%ds)\n", name, n, systime() - t0; fflush() } }'
  [[ -x "$out/$name.tmp" ]] || { echo "failed to build $name" >&2; exit 1; }
  mv "$out/$name.tmp" "$out/$name"
}

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/wavegate-k8s-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

step "resolving k8s.io/kubernetes $k8s_version"
go mod init wavegate.local/k8s-build >/dev/null 2>&1
gomod=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[[ -f "$gomod" ]] || { echo "could not download the go.mod of k8s.io/kubernetes@$k8s_version" >&2; exit 1; }

staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[A-Za-z0-9._-]*\) => ./staging/src/k8s.io/.*#\1#p' "$gomod")
[[ -n "$staging" ]] || { echo "no staging modules found in $gomod" >&2; exit 1; }
step "replacing $(wc -w <<<"$staging") staging modules with $staging_version"
for m in $staging; do
  go mod edit -replace "$m=$m@$staging_version"
done

step "resolving the dependency graph"
for c in "${missing[@]}"; do
  [[ $c == etcd ]] || go get "k8s.io/kubernetes/cmd/$c@$k8s_version"
done
for c in "${missing[@]}"; do
  [[ $c == etcd ]] || build_with_progress "$c" "k8s.io/kubernetes/cmd/$c"
done

if [[ " ${missing[*]} " == *" etcd "* ]]; then
  go get "k8s.io/kubernetes@$k8s_version" >/dev/null 2>&1 || true
  etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
  step "resolving etcd $etcd_version (the version k8s.io/kubernetes $k8s_version requires)"
  go get "go.etcd.io/etcd/server/v3@$etcd_version"
  build_with_progress etcd go.etcd.io/etcd/server/v3
fi

step "done: $(ls "$out" | tr '\n' ' ')in $out"
