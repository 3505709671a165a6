#!/usr/bin/env bash
# Installs the OpenStack clients used to check compatibility: Debian's python3-openstackclient
# and python3-ironicclient, plus python-ironic-inspector-client from PyPI (Debian's package of
# it is empty) in a venv that sees the system packages, and this repo's OpenStack client plugin
# (scripts/osc-plugin: TripleO's `baremetal introspection bulk start`). Prints the venv's python on stdout.
set -euo pipefail
TOOLS_DIR="${INTROSPECTOR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/introspector/bin}"
VENV="$(dirname "$TOOLS_DIR")/osc-venv"
say() { echo "[openstack-clients] $*" >&2; }

source "$(dirname "$0")/lib/apt.sh"
# python3-wheel: the plugin is built without build isolation (no download of build tools)
apt_install python3-openstackclient python3-ironicclient python3-venv python3-wheel
if ! "$VENV/bin/python" -c 'import ironic_inspector_client' 2>/dev/null; then
  say "installing python-ironic-inspector-client into $VENV"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check python-ironic-inspector-client >&2
fi
# The plugin: built from a copy (pip builds in the source tree), again whenever its source changed.
PLUGIN="$(cd "$(dirname "$0")/osc-plugin" && pwd)"
STAMP="$VENV/introspector-osc.sha256"
digest="$(cd "$PLUGIN" && find . -type f \( -name '*.py' -o -name '*.toml' \) | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$digest" ]; then
  say "installing the Introspector plugin into $VENV"
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
  cp -r "$PLUGIN/." "$build/"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall "$build" >&2
  echo "$digest" >"$STAMP"
fi
echo "$VENV/bin/python"
