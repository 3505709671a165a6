#!/usr/bin/env bash
# ipmi_sim's chassis_control program for one simulated node: ipmi_sim runs it per request as
#   chassis-control.sh NODE_DIR get power|get boot|set power 0|1|set boot DEV|set reset 1|...
# Power on starts the node's PXE firmware (NODE_DIR/boot.sh, detached in its own process group),
# which boots the ramdisk (the agent) or, told so by the boot script, the local disk (then it
# ends and nothing runs); power off kills that group. NODE_DIR/fail-boots N makes the next N
# boots start nothing.
dir=$1
op=$2 what=$3 value=${4:-}

read_state() { cat "$dir/$1" 2>/dev/null || echo "$2"; }
log() { echo "$(date -Is) $*" >>"$dir/chassis.log"; }

booting() {
  local pid stat
  pid=$(cat "$dir/boot.pid" 2>/dev/null) || return 1
  stat=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$stat" ] && [ "$stat" != Z ]
}

power_on() {
  booting && return 0
  local fails
  fails=$(read_state fail-boots 0)
  if [ "$fails" -gt 0 ] 2>/dev/null; then
    echo $((fails - 1)) >"$dir/fail-boots"
    log "boot failed (injected): nothing started"
    return 0
  fi
  # Not an interactive shell: the background job shares our process group, so setsid
  # makes the firmware a group leader without forking and $! is its process group id.
  setsid bash "$dir/boot.sh" </dev/null >>"$dir/agent.log" 2>&1 &
  echo $! >"$dir/boot.pid"
  log "firmware started (pgid $!)"
}

power_off() {
  local pid
  pid=$(cat "$dir/boot.pid" 2>/dev/null) || return 0
  kill -TERM -- "-$pid" 2>/dev/null
  rm -f "$dir/boot.pid"
  log "stopped what the node ran"
}

case "$op $what" in
  "get power") echo "power:$(read_state power 0)" ;;
  "get boot") echo "boot:$(read_state boot default)" ;;
  "set boot") echo "$value" >"$dir/boot"; log "boot device $value" ;;
  "set power")
    echo "$value" >"$dir/power"
    log "power $value"
    if [ "$value" = 1 ]; then power_on; else power_off; fi
    ;;
  "set reset") power_off; power_on ;;
  "set shutdown") echo 0 >"$dir/power"; power_off ;;
  *) ;; # identify and the like: nothing to simulate
esac
exit 0
