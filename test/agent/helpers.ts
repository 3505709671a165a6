// Fake /sys + /proc trees for collector tests.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LogFields, type Logger } from '../../agent/log';

/** A file's contents, a symlink, or an (empty) directory. */
export type Entry = string | { link: string } | { dir: true };

export async function makeTree(entries: Record<string, Entry>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-tree-'));
  await addToTree(root, entries);
  return root;
}

export async function addToTree(root: string, entries: Record<string, Entry>): Promise<void> {
  for (const [rel, entry] of Object.entries(entries)) {
    const file = path.join(root, rel);
    if (typeof entry === 'string') {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, entry);
    } else if ('link' in entry) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.symlink(entry.link, file);
    } else {
      await fs.mkdir(file, { recursive: true });
    }
  }
}

export async function removeTree(root: string): Promise<void> {
  await fs.rm(root, { recursive: true, force: true });
}

export interface CapturedLog extends Logger {
  lines: { level: string; message: string; fields?: LogFields }[];
  text(): string;
}

export function captureLogger(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, fields });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields ?? {})}`).join('\n'),
  };
}

const GiB = 1024 * 1024 * 1024;

/** A two-socket server: NICs, disks, CPUs, memory, DMI, PCI and NUMA. */
export const SERVER_TREE: Record<string, Entry> = {
  // --- network
  'sys/class/net/lo/type': '772\n',
  'sys/class/net/lo/address': '00:00:00:00:00:00\n',
  'sys/class/net/eno1/type': '1\n',
  'sys/class/net/eno1/address': 'AA:BB:CC:DD:EE:01\n',
  'sys/class/net/eno1/carrier': '1\n',
  'sys/class/net/eno1/operstate': 'up\n',
  'sys/class/net/eno1/speed': '10000\n',
  'sys/class/net/eno1/ifindex': '2\n',
  'sys/class/net/eno1/iflink': '2\n',
  'sys/class/net/eno1/device/vendor': '0x8086\n',
  'sys/class/net/eno1/device/device': '0x1572\n',
  'sys/class/net/eno1/device/numa_node': '0\n',
  'sys/class/net/eno2/type': '1\n',
  'sys/class/net/eno2/address': 'aa:bb:cc:dd:ee:02\n',
  'sys/class/net/eno2/operstate': 'down\n',
  'sys/class/net/eno2/speed': '-1\n',
  'sys/class/net/eno2/ifindex': '3\n',
  'sys/class/net/eno2/iflink': '3\n',
  'sys/class/net/eno2/device/vendor': '0x8086\n',
  'sys/class/net/eno2/device/device': '0x1572\n',
  'sys/class/net/eno2/device/numa_node': '1\n',
  'sys/class/net/veth0/type': '1\n',
  'sys/class/net/veth0/address': '02:00:00:00:00:05\n',
  'sys/class/net/veth0/carrier': '1\n',
  'sys/class/net/veth0/speed': '10000\n',
  'sys/class/net/veth0/ifindex': '5\n',
  'sys/class/net/veth0/iflink': '6\n',
  'sys/class/net/ifb0/type': '1\n',
  'sys/class/net/ifb0/address': '5a:11:22:33:44:55\n',
  'sys/class/net/ifb0/ifindex': '7\n',
  'sys/class/net/ifb0/iflink': '7\n',
  'sys/class/net/br0/type': '1\n',
  'sys/class/net/br0/address': '02:00:00:00:00:08\n',
  'sys/class/net/br0/ifindex': '8\n',
  'sys/class/net/br0/iflink': '8\n',
  'sys/class/net/br0/bridge': { dir: true },
  'sys/class/net/eno1.100/type': '1\n',
  'sys/class/net/eno1.100/address': 'aa:bb:cc:dd:ee:01\n',
  'sys/class/net/eno1.100/ifindex': '9\n',
  'sys/class/net/eno1.100/iflink': '2\n',
  'sys/class/net/tun0/type': '65534\n',
  'sys/class/net/tun0/ifindex': '10\n',
  'sys/class/net/tun0/iflink': '10\n',
  // --- disks
  'sys/block/sda/dev': '8:0\n',
  'sys/block/sda/size': String((960 * GiB) / 512) + '\n',
  'sys/block/sda/queue/rotational': '0\n',
  'sys/block/sda/queue/logical_block_size': '512\n',
  'sys/block/sda/queue/physical_block_size': '4096\n',
  'sys/block/sda/device/model': 'INTEL SSDSC2KB96\n',
  'sys/block/sda/device/vendor': 'ATA     \n',
  'sys/block/sda/device/type': '0\n',
  'sys/block/sda/device/wwid': 'naa.55cd2e414e5fb5a2\n',
  'sys/block/sda/device/scsi_device/0:0:0:0': { dir: true },
  'sys/class/scsi_host/host0/proc_name': 'ahci\n',
  'run/udev/data/b8:0':
    'S:disk/by-id/wwn-0x55cd2e414e5fb5a2\nS:disk/by-path/pci-0000:00:17.0-ata-1\nE:ID_SERIAL_SHORT=PHYS123\nE:ID_WWN=0x55cd2e414e5fb5a2\nE:ID_WWN_WITH_EXTENSION=0x55cd2e414e5fb5a2\n',
  'sys/block/sdb/dev': '8:16\n',
  'sys/block/sdb/size': String((2 * GiB) / 512) + '\n',
  'sys/block/sdb/queue/rotational': '1\n',
  'sys/block/sdb/device/model': '\n',
  'sys/block/sdb/device/vendor': '',
  'sys/block/nvme0n1/dev': '259:0\n',
  'sys/block/nvme0n1/size': String((100 * GiB) / 512) + '\n',
  'sys/block/nvme0n1/wwid': 'eui.0025388b91b0a1b2\n',
  'sys/block/nvme0n1/queue/rotational': '0\n',
  'sys/block/nvme0n1/queue/logical_block_size': '512\n',
  'sys/block/nvme0n1/queue/physical_block_size': '512\n',
  'sys/block/nvme0n1/device/model': 'Samsung SSD 980 PRO 1TB                 \n',
  'sys/block/nvme0n1/device/serial': 'S64ANS0T\n',
  'dev/disk/by-path/pci-0000:5e:00.0-nvme-1': { link: '../../nvme0n1' },
  'dev/disk/by-path/pci-0000:5e:00.0-nvme-1-part1': { link: '../../nvme0n1p1' },
  'sys/block/vda/dev': '252:0\n',
  'sys/block/vda/size': '0\n',
  'sys/block/vda/serial': 'virt-serial\n',
  'sys/block/vda/device/vendor': '0x1af4\n',
  'sys/block/loop0/size': '2048\n',
  'sys/block/zram0/size': '2048\n',
  'sys/block/sr0/size': '2048\n',
  'sys/block/sr0/device/type': '5\n',
  // --- cpu and memory
  'proc/cpuinfo': [0, 1, 2, 3]
    .map(
      (n) =>
        `processor\t: ${n}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\n` +
        `cpu MHz\t\t: 2100.000\nphysical id\t: ${n < 2 ? 0 : 1}\nflags\t\t: fpu vme sse2 vmx\n`,
    )
    .join('\n'),
  'sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq': '3900000\n',
  'proc/meminfo': 'MemTotal:       16314412 kB\nMemFree:        1000 kB\n',
  'sys/devices/system/memory/block_size_bytes': '8000000\n',
  'sys/devices/system/memory/memory0/online': '1\n',
  'sys/devices/system/memory/memory1/online': '1\n',
  'sys/devices/system/memory/memory2/online': '1\n',
  'sys/devices/system/memory/memory3/state': 'online\n',
  'sys/devices/system/memory/memory4/online': '0\n',
  // --- DMI and firmware
  'sys/class/dmi/id/sys_vendor': 'Dell Inc.\n',
  'sys/class/dmi/id/product_name': 'PowerEdge R640\n',
  'sys/class/dmi/id/product_serial': 'ABC1234\n',
  'sys/class/dmi/id/bios_vendor': 'Dell Inc.\n',
  'sys/class/dmi/id/bios_version': '2.11.2\n',
  'sys/class/dmi/id/bios_date': '04/12/2021\n',
  'sys/firmware/efi/efivars': { dir: true },
  // --- PCI
  'sys/bus/pci/devices/0000:00:00.0/vendor': '0x8086\n',
  'sys/bus/pci/devices/0000:00:00.0/device': '0x2020\n',
  'sys/bus/pci/devices/0000:00:00.0/class': '0x060000\n',
  'sys/bus/pci/devices/0000:00:00.0/revision': '0x04\n',
  'sys/bus/pci/devices/0000:3b:00.0/vendor': '0x15b3\n',
  'sys/bus/pci/devices/0000:3b:00.0/device': '0x1017\n',
  'sys/bus/pci/devices/0000:3b:00.0/class': '0x020000\n',
  'sys/bus/pci/devices/0000:3b:00.0/numa_node': '1\n',
  'sys/bus/pci/devices/0000:00:1f.2/vendor': '0x8086\n',
  'sys/bus/pci/devices/0000:00:1f.2/device': '0xa182\n',
  // --- NUMA
  'sys/devices/system/node/possible': '0-1\n',
  'sys/devices/system/node/power': { dir: true },
  'sys/devices/system/node/node0/meminfo': 'Node 0 MemTotal:       1560000 kB\nNode 0 MemFree:  100 kB\n',
  'sys/devices/system/node/node0/cpu0/topology/core_id': '0\n',
  'sys/devices/system/node/node0/cpu1/topology/core_id': '1\n',
  'sys/devices/system/node/node0/cpu4/topology/core_id': '0\n',
  'sys/devices/system/node/node0/cpulist': '0-1,4\n',
  'sys/devices/system/node/node1/meminfo': 'Node 1 MemTotal:       2048 MB\n',
  'sys/devices/system/node/node1/cpu2/topology/core_id': '0\n',
  'sys/devices/system/node/node1/cpu3/topology/core_id': '0\n',
};
