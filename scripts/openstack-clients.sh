#!/usr/bin/env bash
# Installs the OpenStack clients used to check compatibility: Debian's python3-openstackclient
# and python3-ironicclient, plus python-ironic-inspector-client from PyPI (Debian's package of
# it is empty) in a venv that sees the system packages. Prints the venv's python on stdout.
set -euo pipefail
TOOLS_DIR="${INTROSPECTOR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/introspector/bin}"
VENV="$(dirname "$TOOLS_DIR")/osc-venv"
say() { echo "[openstack-clients] $*" >&2; }

source "$(dirname "$0")/lib/apt.sh"
apt_install python3-openstackclient python3-ironicclient python3-venv
if ! "$VENV/bin/python" -c 'import ironic_inspector_client' 2>/dev/null; then
  say "installing python-ironic-inspector-client into $VENV"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check python-ironic-inspector-client >&2
fi
echo "$VENV/bin/python"
