#!/usr/bin/env bash
# Builds kuar's run-time toolchain from Go modules, cached by version outside the repo.
#
#   scripts/toolchain.sh            build what is missing, print the bin directory last
#   scripts/toolchain.sh --check    exit 0 when everything is built, 1 otherwise (builds nothing)
#   scripts/toolchain.sh --print    print the bin directory (builds nothing)
#
# --with-real-nodes (or KUAR_TOOLCHAIN_REALNODES=1) adds the pieces only `kuar:local.realNodes`
# needs (kubelet, kube-proxy, runc, CoreDNS, local-path-provisioner), to a build or a --check.
# Without it --check and a quick-start build mean the base toolchain only.
#
# Everything lands in $KUAR_TOOLCHAIN_DIR (default ~/.cache/kuar/toolchain), one folder per
# component and version, and is linked into $KUAR_TOOLCHAIN_DIR/bin. A component whose folder
# holds a .done marker is never rebuilt, so a second run takes seconds.
#
# Versions come from config/versions.json (the single place kuar pins versions).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KUAR_TOOLCHAIN_DIR:-$HOME/.cache/kuar/toolchain}
bin=$cache/bin
mode=build
realnodes=${KUAR_TOOLCHAIN_REALNODES:-0}
for arg in "$@"; do
  case $arg in
    --with-real-nodes) realnodes=1 ;;
    *) mode=$arg ;;
  esac
done
start=$(date +%s)

# One node call reads every pin (a warm run must stay well under 2 s).
eval "$(node -e '
  const t = require(process.argv[1]).toolchain;
  const q = (s) => "'"'"'" + String(s).replace(/'"'"'/g, "") + "'"'"'";
  for (const [k, v] of Object.entries(t)) if (k !== "$comment") console.log("pin_" + k + "=" + q(v));
' "$here/config/versions.json")"
PULUMI=$pin_pulumi
KUBE=$pin_kubernetes
ETCD=$pin_etcd
KWOK=$pin_kwok
K8SPROVIDER=$pin_pulumiKubernetes
K8SPROVIDER_MODULE=$pin_pulumiKubernetesModule
CLIPBOARD=$pin_clipboardReplace
RUNC=$pin_runc
COREDNS=$pin_coredns
LOCALPATH=$pin_localPathProvisioner

# Our own Go sources (language host, kubernetes provider) are keyed by a hash of their files,
# so editing them rebuilds them and nothing else.
srchash() { [[ -d $here/toolchain/$1 ]] || { echo absent; return; }; (cd "$here/toolchain/$1" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12); }

components=(
  "pulumi-$PULUMI"
  "language-nodejs-$(srchash language-nodejs)"
  "kube-provider-$K8SPROVIDER"
  "etcd-$ETCD"
  "kwok-$KWOK"
  "kubernetes-$KUBE"
)
# Real nodes (see docs/targets/local.md): containerd and the CNI plugins come from Debian.
if [[ $realnodes == 1 ]]; then
  components+=("runc-$RUNC" "coredns-$COREDNS" "local-path-$LOCALPATH" "kube-node-$KUBE")
fi

log() { printf '[toolchain %4ss] %s\n' "$(($(date +%s) - start))" "$*" >&2; }
die() { printf 'toolchain: %s\n' "$*" >&2; exit 1; }

# An official Pulumi install (used when it is on PATH, see build_pulumi) ships the real Node.js
# language host next to the pulumi binary; ours (toolchain/language-nodejs) is only for builds
# without one.
shipped_language_host() {
  local real; real=$(readlink -f "$cache/pulumi-$PULUMI/pulumi" 2>/dev/null) || return 1
  [[ $real != "$cache/pulumi-$PULUMI/pulumi" && -x $(dirname "$real")/pulumi-language-nodejs ]]
}

case "$mode" in
  --print) echo "$bin"; exit 0 ;;
  --check)
    for c in "${components[@]}"; do
      if [[ $c == language-nodejs-* ]] && shipped_language_host; then continue; fi
      [[ -f $cache/$c/.done ]] || { echo "missing: $c" >&2; exit 1; }
    done
    exit 0 ;;
  build) ;;
  *) die "unknown argument '$mode'; use no argument, --check or --print" ;;
esac

command -v node >/dev/null || die "node is not on PATH."

# Go and the module proxy are needed only when something is left to build.
pending=0
for c in "${components[@]}"; do
  if [[ -n ${KUAR_TOOLCHAIN_ONLY:-} ]]; then
    wanted=0
    for w in $KUAR_TOOLCHAIN_ONLY; do [[ $c == "$w" || $c == "$w"-* ]] && wanted=1; done
    ((wanted)) || continue
  fi
  [[ -f $cache/$c/.done ]] || pending=1
done
if ((pending)); then
  command -v go >/dev/null || die "Go is not installed. Install Go 1.26 or newer (https://go.dev/dl) and run 'npm run toolchain' again."
  goversion=$(go env GOVERSION | sed 's/^go//')
  [[ $(printf '%s\n1.26\n' "$goversion" | sort -V | head -1) == 1.26 ]] || die "Go $goversion is too old; kwok $KWOK needs Go 1.26 or newer."
  # A version listing is never answered from the local module cache, so this really asks the proxy.
  if ! GOFLAGS=-mod=mod go list -m -versions go.etcd.io/etcd/server/v3 >/dev/null 2>&1; then
    die "the Go module proxy ($(go env GOPROXY)) cannot be reached, and some toolchain pieces are not built yet. Check network access to it, or set GOPROXY."
  fi
fi

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
# The module proxy's checksum database mirror here lacks entries for some Pulumi releases;
# go.sum still pins every hash after the first download.
export GONOSUMDB=${GONOSUMDB:-github.com/pulumi/pulumi/pkg,github.com/pulumi/pulumi-kubernetes}

mkdir -p "$bin" "$cache/plugins"
# The engine treats a language host next to the pulumi binary as bundled, and kuar registers
# the Kubernetes provider with `pulumi plugin install --file` from plugins/; neither goes on
# PATH, where the engine would warn about ambient plugins.
link() {
  case $(basename "$1") in
    pulumi-language-nodejs) ln -sf "$1" "$cache/pulumi-$PULUMI/pulumi-language-nodejs" ;;
    pulumi-resource-kubernetes) ln -sf "$1" "$cache/plugins/pulumi-resource-kubernetes" ;;
    *) ln -sf "$1" "$bin/$(basename "$1")" ;;
  esac
}
rm -f "$bin/pulumi-language-nodejs" "$bin/pulumi-resource-kubernetes" "$cache/plugins/pulumi-language-nodejs"

# A pulumi already on PATH with the pinned version saves the longest build.
have_pulumi() {
  local p; p=$(command -v pulumi 2>/dev/null) || return 1
  [[ $p == "$bin/pulumi" ]] && return 1
  [[ $("$p" version 2>/dev/null) == "v$PULUMI" ]]
}

build_pulumi() {
  local out=$1 w=$cache/src/pulumi-$PULUMI
  if have_pulumi; then
    log "using $(command -v pulumi) (v$PULUMI) from PATH"
    ln -sf "$(command -v pulumi)" "$out/pulumi"
  else
    mkdir -p "$w"
    cat >"$w/go.mod" <<EOF
module kuar.local/toolchain/pulumi

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI
)

replace github.com/atotto/clipboard => $CLIPBOARD
EOF
    (cd "$w" && go build -trimpath -o "$out/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  fi
  local sdk; sdk=$(go mod download -json github.com/pulumi/pulumi/sdk/v3@v"$PULUMI" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  install -m 755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$out/pulumi-resource-pulumi-nodejs"
}

# Our own Go programs: see toolchain/README.md for why they exist.
build_own() {
  local out=$1 dir=$2 name=$3
  shift 3
  (cd "$here/toolchain/$dir" && go build -trimpath -ldflags "-s -w $*" -o "$out/$name" .)
}

# The real Kubernetes provider (pulumi-kubernetes). Its main package embeds a schema the
# upstream build generates first, so main.go, generate.go and the two JSON inputs are copied
# out of the module cache into a scratch module of our own, generated there with VERSION set,
# and built with the version stamped in. The plugin reports the same version the npm SDK
# (@pulumi/kubernetes, pinned to the same release) expects, so the engine prints no warning.
build_kube_provider() {
  local out=$1 w=$cache/src/kube-provider-$K8SPROVIDER
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  rm -rf "$w" && mkdir -p "$w"
  printf 'module kuar.local/toolchain/kubeprovider\n\ngo 1.24.7\n\nrequire %s %s\n' "$mod" "$K8SPROVIDER_MODULE" >"$w/go.mod"
  local dir; dir=$(cd "$w" && go mod download -json "$mod@$K8SPROVIDER_MODULE" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  for f in main.go generate.go schema.json terraform-mapping.json; do
    install -m 644 "$dir/cmd/pulumi-resource-kubernetes/$f" "$w/$f"
  done
  log "  kube-provider: generating the embedded schema (VERSION=$K8SPROVIDER)"
  (cd "$w" && VERSION=$K8SPROVIDER go run generate.go)
  log "  kube-provider: compiling pulumi-resource-kubernetes (a large build: several minutes on 2 cores)"
  (cd "$w" && go build -trimpath -o "$out/pulumi-resource-kubernetes" \
    -ldflags "-s -w -X $mod/pkg/version.Version=$K8SPROVIDER" .)
}

build_etcd() {
  local out=$1 w=$cache/src/etcd-$ETCD
  mkdir -p "$w"
  printf 'module kuar.local/toolchain/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD" >"$w/go.mod"
  (cd "$w" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  local out=$1
  GOBIN=$out go install -trimpath -ldflags "-s -w" sigs.k8s.io/kwok/cmd/kwok@v"$KWOK" sigs.k8s.io/kwok/cmd/kwokctl@v"$KWOK"
}

build_kubernetes() {
  local out=$1 w=$cache/src/kubernetes-$KUBE minor=${KUBE#*.}
  minor=${minor%%.*}
  mkdir -p "$w"
  local mod; mod=$(go mod download -json k8s.io/kubernetes@v"$KUBE" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')
  {
    printf 'module kuar.local/toolchain/kubernetes\n\ngo 1.24.0\n\ngodebug default=go1.24\n\nrequire k8s.io/kubernetes v%s\n\n' "$KUBE"
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging;
    # point each at its published v0.<minor>.<patch> instead.
    grep -E '^\s*k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$mod" | awk -v ver="v0.${KUBE#*.}" '{printf "replace %s => %s %s\n", $1, $1, ver}'
  } >"$w/go.mod"
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$KUBE -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    log "  kubernetes: $cmd"
    (cd "$w" && go build -trimpath -ldflags "$ld" -o "$out/$cmd" k8s.io/kubernetes/cmd/"$cmd")
  done
}

# kubelet and kube-proxy from the same k8s.io/kubernetes release as the control plane, in a
# wrapper module of their own (same go.mod recipe as build_kubernetes, so the Go build cache
# shares every package the two have in common).
build_kube_node() {
  local out=$1 w=$cache/src/kube-node-$KUBE minor=${KUBE#*.}
  minor=${minor%%.*}
  mkdir -p "$w"
  local mod; mod=$(go mod download -json k8s.io/kubernetes@v"$KUBE" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')
  {
    printf 'module kuar.local/toolchain/kubenode\n\ngo 1.24.0\n\ngodebug default=go1.24\n\nrequire k8s.io/kubernetes v%s\n\n' "$KUBE"
    grep -E '^\s*k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$mod" | awk -v ver="v0.${KUBE#*.}" '{printf "replace %s => %s %s\n", $1, $1, ver}'
  } >"$w/go.mod"
  (cd "$w" && go get k8s.io/kubernetes/cmd/kubelet@v"$KUBE" k8s.io/kubernetes/cmd/kube-proxy@v"$KUBE")
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$KUBE -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for cmd in kubelet kube-proxy; do
    log "  kube-node: $cmd"
    (cd "$w" && go build -trimpath -ldflags "$ld" -o "$out/$cmd" k8s.io/kubernetes/cmd/"$cmd")
  done
}

# runc needs cgo and libseccomp (Debian: libseccomp-dev). Upstream's Makefile also sets the
# libpathrs tag, which needs a Rust library Debian does not ship; without it runc uses its Go
# path resolution. main.version is what `runc --version` prints.
build_runc() {
  local out=$1
  command -v pkg-config >/dev/null && pkg-config --exists libseccomp || die "runc needs libseccomp's headers: apt-get install libseccomp-dev pkg-config"
  CGO_ENABLED=1 GOBIN=$out go install -trimpath -tags "seccomp urfave_cli_no_docs" \
    -ldflags "-s -w -X main.version=$RUNC" github.com/opencontainers/runc@v"$RUNC"
}

build_coredns() {
  GOBIN=$1 go install -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=v$COREDNS" github.com/coredns/coredns@v"$COREDNS"
}

build_local_path() {
  GOBIN=$1 go install -trimpath -ldflags "-s -w -X main.VERSION=v$LOCALPATH" github.com/rancher/local-path-provisioner@v"$LOCALPATH"
}

summary=()
for c in "${components[@]}"; do
  dir=$cache/$c
  # KUAR_TOOLCHAIN_ONLY="etcd kwok language" limits a run to some components (handy when
  # iterating): those whose name is one of the words or starts with "<word>-".
  if [[ -n ${KUAR_TOOLCHAIN_ONLY:-} ]]; then
    wanted=0
    for w in $KUAR_TOOLCHAIN_ONLY; do
      if [[ $c == "$w" || $c == "$w"-* ]]; then wanted=1; fi
    done
    if ((wanted == 0)); then continue; fi
  fi
  if [[ $c == language-nodejs-* ]] && shipped_language_host; then
    log "using the Node.js language host shipped with $(readlink -f "$cache/pulumi-$PULUMI/pulumi")"
    rm -f "$bin/pulumi-language-nodejs"
    continue
  fi
  if [[ -f $dir/.done ]]; then
    log "cached: $c"
    summary+=("$c|cached|0s")
  else
    t0=$(date +%s)
    log "building $c (the first build of each piece takes minutes; later runs reuse it)"
    rm -rf "$dir" && mkdir -p "$dir"
    trap 'echo "toolchain: building $c failed after $(($(date +%s) - t0))s; see the Go output above (a module the proxy refuses, or no network?)" >&2' ERR
    case $c in
      pulumi-*) build_pulumi "$dir" ;;
      language-nodejs-*) build_own "$dir" language-nodejs pulumi-language-nodejs ;;
      kube-provider-*) build_kube_provider "$dir" ;;
      etcd-*) build_etcd "$dir" ;;
      kwok-*) build_kwok "$dir" ;;
      kubernetes-*) build_kubernetes "$dir" ;;
      kube-node-*) build_kube_node "$dir" ;;
      runc-*) build_runc "$dir" ;;
      coredns-*) build_coredns "$dir" ;;
      local-path-*) build_local_path "$dir" ;;
    esac
    touch "$dir/.done"
    log "built $c in $(($(date +%s) - t0))s"
    summary+=("$c|built|$(($(date +%s) - t0))s")
  fi
  # Only the piece's own binaries: a link another piece put here (the language host beside pulumi)
  # would otherwise be linked onto itself.
  for f in "$dir"/*; do [[ -x $f && ! -L $f ]] && link "$f"; done
done

if ((${#summary[@]})); then
  {
    printf '\n%-36s %-7s %s\n' piece status time
    for row in "${summary[@]}"; do IFS='|' read -r p st t <<<"$row"; printf '%-36s %-7s %s\n' "$p" "$st" "$t"; done
    echo
  } >&2
fi
log "ready in $(($(date +%s) - start))s"
echo "$bin"
