#!/usr/bin/env bash
# The chassis of one simulated node: its power, its boot override and what it runs. ipmi_sim runs
# it per request as its chassis_control program, the Redfish BMC simulator (redfish-bmc.ts) too:
#   chassis-control.sh NODE_DIR get power|boot|boot_mode|pending...    (one NAME:VALUE line each)
#   chassis-control.sh NODE_DIR set power 0|1 | set reset 1 | set cycle 1 | set shutdown 1
#   chassis-control.sh NODE_DIR set boot none|pxe|default|cdrom|bios [once|continuous]
# As on a real server:
# - Power changes take power_delay seconds (NODE_DIR/chassis.conf): the request returns at once, a
#   detached timer (this script's `complete`) applies it later; until then `get power` reports the
#   old state and `get pending` the new one.
# - A boot override applies to the next boot only (unless continuous) and is consumed by it; one
#   nobody booted from expires boot_override_expiry_ms after it was set (0: never), as the
#   IPMI boot-flag valid bit does. (ipmi_sim passes neither the valid nor the persistent bit on.)
# - A boot (power on, reset, cycle) with a PXE override starts the node's PXE firmware
#   (NODE_DIR/boot.sh, detached in its own process group, its pgid in NODE_DIR/boot.pid); any other
#   boots from disk and runs nothing. Power off kills that group. NODE_DIR/fail-boots N makes the
#   next N PXE boots start nothing.
# Every invocation holds NODE_DIR/lock: ipmi_sim, the Redfish simulator and timers run side by side.
set -u
dir=$1 op=$2
shift 2
# Everything the chassis starts runs in the node's dir: cleanup.ts tells by that that a pid file
# still names one of them.
cd "$dir" || exit 1
power_delay=0 boot_override_expiry_ms=0
. "$dir/chassis.conf"

read_state() { cat "$dir/$1" 2>/dev/null || echo "$2"; }
log() { echo "$(date -Is) $*" >>"$dir/chassis.log"; }
now_ms() { date +%s%3N; }

lock() {
  exec 9>>"$dir/lock"
  flock 9
}

# Detached children get no copy of the lock's descriptor (they would hold the lock), no stdout
# (ipmi_sim reads ours until it closes) and none of ipmi_sim's sockets (its LAN port and its VM
# listener would outlive it in a VM that outlives it). The command is run as given, with $0 bash.
detach() {
  # shellcheck disable=SC2016
  setsid bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null; exec "$@"' bash "$@" </dev/null 9>&- &
}

stop_running() {
  local pgid
  pgid=$(cat "$dir/boot.pid" 2>/dev/null) || return 0
  kill -TERM -- "-$pgid" 2>/dev/null
  rm -f "$dir/boot.pid"
  log "stopped what the node ran"
}

# What the firmware finds at boot: the override, consumed unless continuous.
boot() {
  local device fails
  device=$(read_state boot none)
  if [ "$(read_state boot-mode once)" != continuous ]; then
    echo none >"$dir/boot"
  fi
  if [ "$device" != pxe ]; then
    log "booted from disk: no PXE override (boot device $device)"
    return
  fi
  fails=$(read_state fail-boots 0)
  if [ "$fails" -gt 0 ] 2>/dev/null; then
    echo $((fails - 1)) >"$dir/fail-boots"
    log "boot failed (injected): nothing started"
    return
  fi
  # Not an interactive shell: the background job shares our process group, so setsid makes
  # the firmware a group leader without forking and $! is its process group id.
  detach bash "$dir/boot.sh" >>"$dir/agent.log" 2>&1
  echo $! >"$dir/boot.pid"
  log "firmware started (pgid $!)"
}

expire_override() {
  local device set_at pending
  device=$(read_state boot none)
  pending=$(read_state pending "")
  # A power-on on its way has read the override already, as a restart initiated in time does.
  if [ "$device" = none ] || [ "$boot_override_expiry_ms" = 0 ] || [ "$(read_state boot-mode once)" = continuous ] || [ "${pending%% *}" = 1 ]; then
    return
  fi
  set_at=$(read_state boot-set-at 0)
  if [ $(($(now_ms) - set_at)) -ge "$boot_override_expiry_ms" ]; then
    echo none >"$dir/boot"
    log "boot override $device expired: no boot within $((boot_override_expiry_ms / 1000)) s"
  fi
}

set_boot() {
  echo "$1" >"$dir/boot"
  echo "$2" >"$dir/boot-mode"
  now_ms >"$dir/boot-set-at"
  if [ "$1" = none ]; then
    log "boot override cleared"
  elif [ "$2" = continuous ]; then
    log "boot device $1 (every boot)"
  else
    log "boot device $1 (next boot only)"
  fi
}

commit_power() {
  echo "$1" >"$dir/power"
  log "power $1"
  if [ "$1" = 1 ]; then boot; else stop_running; fi
}

# request_power TARGET [then-on]: a new request replaces one still on its way.
request_power() {
  local target=$1 then=${2:-} pending
  pending=$(read_state pending "")
  if [ -n "$pending" ]; then
    [ "${pending%% *}" = "$target" ] && [ -z "$then" ] && return
    kill -TERM -- "-${pending#* }" 2>/dev/null
    rm -f "$dir/pending"
    log "power ${pending%% *} cancelled by a later request"
  fi
  if [ "$(read_state power 0)" = "$target" ]; then
    [ -n "$then" ] && request_power 1
    return
  fi
  if [ "$power_delay" = 0 ]; then
    commit_power "$target"
    [ -n "$then" ] && request_power 1
    return
  fi
  detach bash "${BASH_SOURCE[0]}" "$dir" complete "$target" ${then:+"$then"} >/dev/null 2>&1
  echo "$target $!" >"$dir/pending"
  log "power $target requested: takes $power_delay s"
}

hard_reset() {
  if [ "$(read_state power 0)" != 1 ]; then
    log "reset ignored: power is off"
    return
  fi
  log "reset"
  stop_running
  boot
}

case $op in
  get)
    lock
    expire_override
    for name in "$@"; do
      case $name in
        power) echo "power:$(read_state power 0)" ;;
        boot) echo "boot:$(read_state boot none)" ;;
        boot_mode) echo "boot_mode:$(read_state boot-mode once)" ;;
        pending) pending=$(read_state pending "") && echo "pending:${pending%% *}" ;;
      esac
    done
    ;;
  set)
    lock
    expire_override
    case $1 in
      power) request_power "$2" ;;
      shutdown) request_power 0 ;;
      cycle) request_power 0 then-on ;;
      reset) hard_reset ;;
      boot) set_boot "$2" "${3:-once}" ;;
      *) ;; # identify and the like: nothing to simulate
    esac
    ;;
  complete) # the timer of a power change: complete TARGET [then-on]
    sleep "$power_delay"
    lock
    pending=$(read_state pending "")
    [ "${pending#* }" = $$ ] || exit 0 # replaced by a later request
    rm -f "$dir/pending"
    commit_power "$1"
    [ -n "${2:-}" ] && request_power 1
    ;;
esac
exit 0
