// `extra-hardware`: data = [[category, item, key, value], ...] as the
// `hardware` library's hardware-detect prints it (IPA runs that tool and puts
// its JSON under `data`). When hardware-detect is installed we use it as IPA
// does; otherwise the list is built from what this agent can read itself.
// Values are strings, as hardware-detect mostly prints them; ironic-inspector's
// extra_hardware hook turns the list into a nested dict.

import os from 'node:os';
import type { Inventory } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { silentLogger } from '../log';
import { listDir, readText, under } from '../sys';
import { collectInventory } from './default';
import { numaTopology } from './numa-topology';
import type { Collector } from './types';

export type HwTuple = [string, string, string, string];

function add(list: HwTuple[], category: string, item: string, key: string, value: unknown) {
  if (value === null || value === undefined || value === '') return;
  list.push([category, item, key, String(value)]);
}

async function cacheInfo(ctx: CollectorContext, list: HwTuple[]) {
  const dir = under(ctx.root, 'sys/devices/system/cpu/cpu0/cache');
  for (const index of await listDir(dir)) {
    if (!/^index\d+$/.test(index)) continue;
    const level = await readText(under(dir, index, 'level'));
    const type = await readText(under(dir, index, 'type'));
    const size = await readText(under(dir, index, 'size'));
    if (!level || !size) continue;
    const suffix = type === 'Data' ? 'd' : type === 'Instruction' ? 'i' : '';
    add(list, 'cpu', 'physical_0', `l${level}${suffix}`, size);
  }
}

export async function buildHardwareList(ctx: CollectorContext, inventory: Inventory): Promise<HwTuple[]> {
  const list: HwTuple[] = [];
  const vendor = inventory.system_vendor;
  add(list, 'system', 'product', 'name', vendor?.product_name);
  add(list, 'system', 'product', 'vendor', vendor?.manufacturer);
  add(list, 'system', 'product', 'serial', vendor?.serial_number);
  add(list, 'system', 'product', 'uuid', await readText(under(ctx.root, 'sys/class/dmi/id/product_uuid')));
  add(list, 'firmware', 'bios', 'vendor', vendor?.firmware?.vendor);
  add(list, 'firmware', 'bios', 'version', vendor?.firmware?.version);
  add(list, 'firmware', 'bios', 'date', vendor?.firmware?.build_date);
  add(list, 'system', 'kernel', 'arch', inventory.cpu.architecture);
  const release = (await readText(under(ctx.root, 'proc/sys/kernel/osrelease'))) ?? (ctx.root === '/' ? os.release() : null);
  add(list, 'system', 'kernel', 'version', release);
  add(list, 'system', 'boot', 'mode', inventory.boot?.current_boot_mode);
  add(list, 'system', 'ipmi', 'address', inventory.bmc_address);
  add(list, 'system', 'ipmi', 'v6address', inventory.bmc_v6address);
  add(list, 'system', 'ipmi', 'mac', inventory.bmc_mac);

  const cpu = inventory.cpu;
  add(list, 'cpu', 'logical', 'number', cpu.count);
  add(list, 'cpu', 'physical', 'number', cpu.socket_count);
  add(list, 'cpu', 'physical_0', 'product', cpu.model_name);
  add(list, 'cpu', 'physical_0', 'frequency', cpu.frequency);
  add(list, 'cpu', 'physical_0', 'architecture', cpu.architecture);
  if (cpu.flags.length) add(list, 'cpu', 'physical_0', 'flags', cpu.flags.join(' '));
  await cacheInfo(ctx, list);

  add(list, 'memory', 'total', 'size', inventory.memory.total);
  add(list, 'memory', 'total', 'physical_mb', inventory.memory.physical_mb);

  add(list, 'disk', 'logical', 'count', inventory.disks.length);
  for (const disk of inventory.disks) {
    const item = disk.name.replace(/^\/dev\//, '');
    add(list, 'disk', item, 'size', Math.floor(disk.size / 1e9)); // GB, as hardware-detect
    add(list, 'disk', item, 'vendor', disk.vendor);
    add(list, 'disk', item, 'model', disk.model);
    add(list, 'disk', item, 'serial', disk.serial);
    add(list, 'disk', item, 'wwn', disk.wwn);
    add(list, 'disk', item, 'rotational', disk.rotational === null || disk.rotational === undefined ? null : disk.rotational ? 1 : 0);
    add(list, 'disk', item, 'logical_block_size', disk.logical_sectors);
    add(list, 'disk', item, 'physical_block_size', disk.physical_sectors);
    add(list, 'disk', item, 'scsi-id', disk.hctl);
  }

  for (const iface of inventory.interfaces) {
    add(list, 'network', iface.name, 'serial', iface.mac_address);
    add(list, 'network', iface.name, 'ipv4', iface.ipv4_address);
    add(list, 'network', iface.name, 'ipv6', iface.ipv6_address);
    if (iface.has_carrier !== null && iface.has_carrier !== undefined) {
      add(list, 'network', iface.name, 'link', iface.has_carrier ? 'yes' : 'no');
    }
    if (iface.speed_mbps) add(list, 'network', iface.name, 'speed', `${iface.speed_mbps}Mbit/s`);
    add(list, 'network', iface.name, 'vendor', iface.vendor);
    add(list, 'network', iface.name, 'product', iface.product);
  }

  const numa = await numaTopology({ ...ctx, log: silentLogger }).catch(() => null);
  if (numa) {
    add(list, 'numa', 'nodes', 'count', numa.ram.length);
    for (const node of numa.ram) add(list, 'numa', `node_${node.numa_node}`, 'size_kb', node.size_kb);
  }
  return list;
}

async function hardwareDetect(ctx: CollectorContext): Promise<unknown[] | null> {
  const tool = await ctx.which('hardware-detect');
  if (!tool) return null;
  const benchmarks = ctx.kernelParams['ipa-inspection-benchmarks'];
  const args = benchmarks ? ['--benchmark', ...benchmarks.split(',')] : [];
  const out = await ctx.exec(tool, args, { timeoutMs: 300000 });
  if (out.code !== 0) {
    ctx.log.warn('hardware-detect failed, building the list from sysfs instead', { exit: out.code });
    return null;
  }
  try {
    const data = JSON.parse(out.stdout);
    return Array.isArray(data) ? data : null;
  } catch {
    ctx.log.warn('hardware-detect printed invalid JSON, building the list from sysfs instead');
    return null;
  }
}

export const collectExtraHardware: Collector = async (data, ctx) => {
  const detected = await hardwareDetect(ctx);
  if (detected) {
    data.data = detected;
  } else {
    const inventory = (data.inventory as Inventory | undefined) ?? ctx.state.inventory ?? (await collectInventory(ctx));
    data.data = await buildHardwareList(ctx, inventory);
  }
  ctx.log.info('extra hardware collected', { facts: (data.data as unknown[]).length });
};
