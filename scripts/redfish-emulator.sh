#!/usr/bin/env bash
# Installs sushy-tools (OpenStack's Redfish BMC emulator, used by the Redfish driver's tests and
# the Redfish simulator in sim/redfish.ts) from PyPI into a venv outside the clone. Idempotent
# and quiet: progress goes to stderr, and stdout is only the path of the `sushy-emulator`
# executable.
set -euo pipefail
SUSHY_TOOLS_VERSION="2.2.0"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/introspector/redfish-venv"
say() { echo "[redfish-emulator] $*" >&2; }
source "$(dirname "$0")/lib/apt.sh"

installed_version() {
  "$VENV/bin/python" - 2>/dev/null <<'EOF'
from importlib.metadata import version
print(version("sushy-tools"))
EOF
}

if [ ! -x "$VENV/bin/sushy-emulator" ] || [ "$(installed_version)" != "$SUSHY_TOOLS_VERSION" ]; then
  [ -x /usr/bin/python3 ] || { say "/usr/bin/python3 is needed (apt-get install python3 python3-venv)"; exit 1; }
  /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
  say "installing sushy-tools $SUSHY_TOOLS_VERSION into $VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-input "sushy-tools==$SUSHY_TOOLS_VERSION" >&2
fi
echo "$VENV/bin/sushy-emulator"
