#!/usr/bin/env bash
# A simulated node's dmidecode (board.ts puts it on the node's PATH): its SMBIOS tables, rendered
# at power on as DMI_DIR/<type>.txt, printed as dmidecode prints them.
#   dmidecode.sh DMI_DIR [-t bios|system|memory|N]...
set -u
dir=$1
shift
types=()
while [ $# -gt 0 ]; do
  case $1 in
    -t | --type)
      case ${2:-} in
        bios) types+=(0) ;;
        system) types+=(1) ;;
        memory) types+=(16 17) ;;
        *[!0-9,]* | '') ;; # a keyword of no table the board has
        *) IFS=, read -ra numbers <<<"$2" && types+=("${numbers[@]}") ;;
      esac
      shift 2
      ;;
    *) shift ;;
  esac
done
[ ${#types[@]} -eq 0 ] && types=(0 1 16 17)
echo "# dmidecode 3.4 (simulated board)"
echo "SMBIOS 3.3.0 present."
echo
for type in "${types[@]}"; do
  [ -f "$dir/$type.txt" ] && cat "$dir/$type.txt"
done
exit 0
