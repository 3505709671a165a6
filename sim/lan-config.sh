#!/usr/bin/env bash
# ipmi_sim's lan_config_program for one simulated node: the BMC's LAN settings as `ipmitool lan
# print` reports them, over the network or from inside the server. Its address is the one its
# NODE_DIR/lan.conf listens on, fixed there: settings cannot be changed through IPMI.
#   lan-config.sh NODE_DIR get NAME...   (one NAME:VALUE line each)
set -u
dir=$1 op=$2
shift 2
if [ "$op" != get ]; then
  echo "the simulated BMC's LAN settings are fixed by $dir/lan.conf"
  exit 1
fi
address=$(awk '$1 == "addr" { print $2; exit }' "$dir/lan.conf")
for name in "$@"; do
  case $name in
    ip_addr) echo "ip_addr:${address:-0.0.0.0}" ;;
    ip_addr_src) echo "ip_addr_src:static" ;;
    subnet_mask) echo "subnet_mask:255.0.0.0" ;;
    *_ip_addr) echo "$name:0.0.0.0" ;;
    *mac_addr) echo "$name:00:00:00:00:00:00" ;;
  esac
done
exit 0
