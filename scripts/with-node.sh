#!/usr/bin/env bash
# Runs a command with the project's Node first on PATH (scripts/lib/node.sh); the package
# scripts run tsx, tsc and jest through it after scripts/bootstrap.sh has brought that Node.
set -euo pipefail
say() { echo "[with-node] $*" >&2; }
source "$(dirname "$0")/lib/node.sh"
use_project_node || { say "Node $NODE_MAJOR is missing: run scripts/bootstrap.sh (npm start and npm test do)"; exit 1; }
exec "$@"
