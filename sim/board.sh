#!/usr/bin/env bash
# A simulated node at power on, inside its network namespace (`ip netns exec` gave it a mount
# namespace of its own): renders its board (board.ts) from NODE_DIR/hardware.json and mounts it
# over the host's, so that what runs next sees the node's disks, DIMMs and identity; then runs it.
#   board.sh NODE_DIR NODE BOARD_JS -- COMMAND...
set -eu
dir=$1 node=$2 board_js=$3
shift 3
[ "${1:-}" = -- ] && shift
board=$dir/board
"$node" "$board_js" "$dir"
mkdir -p "$board/bin"
printf '#!/usr/bin/env bash\nexec %q %q "$@"\n' "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/dmidecode.sh" "$board/dmi" >"$board/bin/dmidecode"
chmod +x "$board/bin/dmidecode"
# /sys/class is replaced whole (the host has no dmi/id to mount over); the namespace's own NICs stay.
mount --bind /sys/class/net "$board/sys/class/net"
mount --rbind "$board/sys/class" /sys/class
mount --bind "$board/sys/block" /sys/block
mount --bind "$board/proc/meminfo" /proc/meminfo
PATH=$board/bin:$PATH exec "$@"
