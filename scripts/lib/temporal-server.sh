# Sourced by scripts/bootstrap.sh (which defines `say` and TOOLS_DIR).
# temporal_server_tools: builds the Temporal server and its SQL schema tool from the Go module
# go.temporal.io/server into TOOLS_DIR as temporal-server and temporal-sql-tool, unless both
# are there at this version. Its go.mod has no replace directive: `go install pkg@version` works.
# v1.31.2: the newest release whose go directive (1.26.4) the Go here satisfies.
TEMPORAL_SERVER_VERSION=v1.31.2

temporal_server_built() {
  local tool
  for tool in temporal-server temporal-sql-tool; do
    [[ -x "$TOOLS_DIR/$tool" && "$("$TOOLS_DIR/$tool" --version 2>/dev/null)" == *" ${TEMPORAL_SERVER_VERSION#v}" ]] || return 1
  done
}

temporal_server_tools() {
  temporal_server_built && return 0
  command -v go >/dev/null 2>&1 || { say "Go is needed to build the Temporal server (go.temporal.io/server@$TEMPORAL_SERVER_VERSION)"; exit 1; }
  mkdir -p "$TOOLS_DIR"
  say "building the Temporal server and temporal-sql-tool $TEMPORAL_SERVER_VERSION with go install into $TOOLS_DIR (a first build takes several minutes on 2 cores)..."
  local started=$SECONDS gobin
  gobin="$(mktemp -d)"
  # The commands are named server and sql: built aside, then renamed into place.
  GOBIN="$gobin" go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
  mv "$gobin/server" "$TOOLS_DIR/temporal-server"
  mv "$gobin/sql" "$TOOLS_DIR/temporal-sql-tool"
  rmdir "$gobin"
  say "built the Temporal server in $((SECONDS - started)) s"
}
