#!/usr/bin/env bash
# ipmi_sim's chassis_control program for one simulated node: ipmi_sim runs it per request as
#   chassis-control.sh NODE_DIR get power|get boot|set power 0|1|set boot DEV|set reset 1|...
# Power on starts the node's "ramdisk" (NODE_DIR/agent.sh, detached in its own process group);
# power off kills that group. NODE_DIR/fail-boots N makes the next N boots start nothing.
dir=$1
op=$2 what=$3 value=${4:-}

read_state() { cat "$dir/$1" 2>/dev/null || echo "$2"; }
log() { echo "$(date -Is) $*" >>"$dir/chassis.log"; }

agent_running() {
  local pid stat
  pid=$(cat "$dir/agent.pid" 2>/dev/null) || return 1
  stat=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$stat" ] && [ "$stat" != Z ]
}

start_agent() {
  agent_running && return 0
  local fails
  fails=$(read_state fail-boots 0)
  if [ "$fails" -gt 0 ] 2>/dev/null; then
    echo $((fails - 1)) >"$dir/fail-boots"
    log "boot failed (injected): the ramdisk did not start"
    return 0
  fi
  # Not an interactive shell: the background job shares our process group, so setsid
  # makes the agent a group leader without forking and $! is its process group id.
  setsid bash "$dir/agent.sh" </dev/null >>"$dir/agent.log" 2>&1 &
  echo $! >"$dir/agent.pid"
  log "ramdisk started (pgid $!)"
}

stop_agent() {
  local pid
  pid=$(cat "$dir/agent.pid" 2>/dev/null) || return 0
  kill -TERM -- "-$pid" 2>/dev/null
  rm -f "$dir/agent.pid"
  log "ramdisk stopped"
}

case "$op $what" in
  "get power") echo "power:$(read_state power 0)" ;;
  "get boot") echo "boot:$(read_state boot default)" ;;
  "set boot") echo "$value" >"$dir/boot"; log "boot device $value" ;;
  "set power")
    echo "$value" >"$dir/power"
    log "power $value"
    if [ "$value" = 1 ]; then start_agent; else stop_agent; fi
    ;;
  "set reset") stop_agent; start_agent ;;
  "set shutdown") echo 0 >"$dir/power"; stop_agent ;;
  *) ;; # identify and the like: nothing to simulate
esac
exit 0
