#!/usr/bin/env bash
# Installs what Introspector needs and is missing; quick and quiet when nothing is.
# Debian packages (ipmitool, openipmi, iproute2; dnsmasq-base and ipxe for PXE), the Temporal
# CLI and versitygw built with `go install` into a tools cache outside the clone, Node 24 when
# the machine's is older (scripts/lib/node.sh), and node_modules via `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_DIR="${INTROSPECTOR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/introspector/bin}"
TEMPORAL_MODULE="github.com/temporalio/cli/cmd/temporal@v1.5.1"
VERSITYGW_MODULE="github.com/versity/versitygw/cmd/versitygw@v1.7.0"
APT_PACKAGES=(ipmitool openipmi iproute2 postgresql python3-venv tcpdump) # tcpdump: the agent's LLDP capture (+ the ramdisk's copy)
# DHCP/TFTP and the iPXE binaries it serves: for dnsmasq (PXE_INTERFACE) and for `npm test`.
if [ -n "${PXE_INTERFACE:-}" ] || [ "${npm_lifecycle_event:-}" = test ]; then
  APT_PACKAGES+=(dnsmasq-base ipxe)
fi

say() { echo "[bootstrap] $*" >&2; }
source scripts/lib/apt.sh
source scripts/lib/node.sh

apt_install "${APT_PACKAGES[@]}"

go_tool() { # name module
  local name=$1 module=$2
  if command -v "$name" >/dev/null 2>&1 || [ -x "$TOOLS_DIR/$name" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || { say "Go is needed to build $name ($module)"; exit 1; }
  mkdir -p "$TOOLS_DIR"
  say "building $name with go install $module into $TOOLS_DIR (a first build takes a few minutes on 2 cores)..."
  local started=$SECONDS
  GOBIN="$TOOLS_DIR" GOFLAGS=-mod=mod go install "$module"
  say "built $name in $((SECONDS - started)) s"
}
go_tool temporal "$TEMPORAL_MODULE" &
temporal_pid=$!
go_tool versitygw "$VERSITYGW_MODULE"
wait "$temporal_pid"
[ "${npm_lifecycle_event:-}" = test ] && { source scripts/lib/temporal-server.sh; temporal_server_tools; } # the production-cluster test

ensure_project_node

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node modules with Node $(node --version) (npm ci, about 30 s)"
  npm ci --no-audit --no-fund --loglevel=error
fi
