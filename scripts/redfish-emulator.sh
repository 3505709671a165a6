#!/usr/bin/env bash
# Installs sushy-tools (OpenStack's Redfish BMC emulator, used by the Redfish driver's tests and
# the Redfish simulator in sim/redfish.ts) from PyPI into a venv outside the clone. Idempotent
# and quiet: progress goes to stderr, and stdout is only the path of the `sushy-emulator`
# executable.
set -euo pipefail
SUSHY_TOOLS_VERSION="2.2.0"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/introspector/redfish-venv"
say() { echo "[redfish-emulator] $*" >&2; }

installed_version() {
  "$VENV/bin/python" - 2>/dev/null <<'EOF'
from importlib.metadata import version
print(version("sushy-tools"))
EOF
}

if [ ! -x "$VENV/bin/sushy-emulator" ] || [ "$(installed_version)" != "$SUSHY_TOOLS_VERSION" ]; then
  [ -x /usr/bin/python3 ] || { say "/usr/bin/python3 is needed (apt-get install python3 python3-venv)"; exit 1; }
  if ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      say "python3-venv is missing (run as root or: sudo apt-get install python3-venv)"
      exit 1
    fi
    say "installing Debian package python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  say "installing sushy-tools $SUSHY_TOOLS_VERSION into $VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-input "sushy-tools==$SUSHY_TOOLS_VERSION" >&2
fi
echo "$VENV/bin/sushy-emulator"
