#!/usr/bin/env bash
# Installs Debian's ironic-inspector (python3-ironic-inspector, 11.1 on Debian 12), the system
# Introspector replaces, for the side-by-side benchmark (bench/vs-ironic-inspector.ts). Only the
# Python package: the benchmark runs its one process itself, no systemd unit, no database server.
set -euo pipefail
say() { echo "[ironic-inspector] $*" >&2; }
source "$(dirname "$0")/../lib/apt.sh"
apt_install python3-ironic-inspector
