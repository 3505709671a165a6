// A simulated node that is a real virtual server: its PXE boot starts a qemu VM (TCG: nested KVM
// hangs here, see ../shared/reference/boot.md) whose NIC's iPXE ROM network-boots from the
// inspector's boot service, through the real boot path: qemu's user-mode network hands iPXE
// http://10.0.2.2:PORT/boot.ipxe by DHCP (10.0.2.2 is the host's loopback, where the inspector's
// callback port listens), which chains to /boot/<mac>.ipxe, which boots the ramdisk
// (dist/ramdisk, served by the API) whose agent posts to the callback URL of that script.
// qemu runs on the host's network (no namespace: 10.0.2.2 is the loopback of the namespace qemu
// runs in), exec'd by boot.sh so that it leads the process group the chassis kills at power off.
// With a tap (the rack's provisioning bridge, sim/provisioning.ts) the VM is on a real L2 network
// instead: its DHCP and boot file come from whoever serves that network (Introspector's dnsmasq).
// The ramdisk powers the VM off when its agent is done (`poweroff -f`; -no-reboot makes qemu exit).
// Its board has a BMC, the node's own ipmi_sim: a KCS system interface (isa-ipmi-kcs) wired over a
// TCP socket (ipmi-bmc-extern) to ipmi_sim's VM codec listener, so that `ipmitool lan print` in
// the ramdisk reads the BMC's LAN address from the BMC itself. Power stays the chassis's: ipmi_sim
// sends power changes to its chassis_control program before it would send them down that wire.

import fs from 'node:fs';
import path from 'node:path';

export const QEMU = 'qemu-system-x86_64';
const DISK_BYTES = 8 * 1024 ** 3;
const BMC_SOCKET_PORT = 9002;

/** What the VM's firmware and disk report (the ramdisk's agent finds them in DMI and sysfs), and its board's wire to its BMC. */
export interface VmIdentity {
  manufacturer: string;
  product: string;
  /** SMBIOS type 1 serial number. */
  serial: string;
  /** The virtio disk's serial number (at most 20 characters). */
  diskSerial: string;
  /** Where the node's ipmi_sim listens for the VM's system interface: board wiring, not the BMC's LAN address. */
  bmcSocket: { host: string; port: number };
}

export function vmIdentity(prefix: string, net: number, index: number): VmIdentity {
  const id = `${prefix.toUpperCase()}${String(net).padStart(2, '0')}${String(index).padStart(2, '0')}`;
  return {
    manufacturer: 'Introspector',
    product: 'SimVM',
    serial: `VM-${id}`,
    diskSerial: `DISK-${id}`,
    bmcSocket: { host: `127.1.${net}.${index}`, port: BMC_SOCKET_PORT },
  };
}

/** The lan.conf line that makes the node's ipmi_sim listen for its VM's system interface. */
export function vmBmcSerial(identity: VmIdentity): string {
  return `serial 15 ${identity.bmcSocket.host} ${identity.bmcSocket.port} codec VM`;
}

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * The node's boot.sh for a VM node: creates its sparse disk (NODE_DIR/disk.img) and execs qemu,
 * whose console (serial, -nographic) goes where the chassis sends boot.sh's output (agent.log).
 */
export function vmBootScript(options: { dir: string; mac: string; inspectorPort: number; identity: VmIdentity; delaySeconds?: number; tap?: string }): string {
  const { dir, mac, inspectorPort, identity, tap } = options;
  const disk = path.join(dir, 'disk.img');
  if (!fs.existsSync(disk)) {
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, DISK_BYTES); // sparse: costs nothing on the host
  }
  const args = [
    QEMU,
    '-accel', 'tcg', '-m', '1024', '-smp', '1', '-nographic', '-no-reboot',
    '-boot', 'order=n',
    '-netdev', tap ? `tap,id=n0,ifname=${tap},script=no,downscript=no` : `user,id=n0,bootfile=http://10.0.2.2:${inspectorPort}/boot.ipxe`,
    '-device', `virtio-net-pci,netdev=n0,mac=${mac}`,
    '-drive', `file=${disk},if=none,id=d0,format=raw`,
    '-device', `virtio-blk-pci,drive=d0,serial=${identity.diskSerial}`,
    '-smbios', `type=1,manufacturer=${identity.manufacturer},product=${identity.product},serial=${identity.serial}`,
    '-chardev', `socket,id=bmc,host=${identity.bmcSocket.host},port=${identity.bmcSocket.port},reconnect=1`,
    '-device', 'ipmi-bmc-extern,id=bmc0,chardev=bmc',
    '-device', 'isa-ipmi-kcs,bmc=bmc0',
  ].map(quote);
  const delay = options.delaySeconds ? `sleep ${options.delaySeconds}\n` : '';
  return `#!/usr/bin/env bash\n${delay}exec ${args.join(' ')}\n`;
}
