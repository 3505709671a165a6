// `numa-topology`: numa_topology = {ram, cpus, nics} from
// /sys/devices/system/node and /sys/class/net, as IPA's numa_inspector.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CollectorContext } from '../context';
import { exists, isDir, listDir, readInt, readText, under } from '../sys';
import type { Collector } from './types';

export interface NumaTopology {
  ram: { numa_node: number; size_kb: number }[];
  cpus: { cpu: number; numa_node: number; thread_siblings: number[] }[];
  nics: { name: string; numa_node: number }[];
}

const UNIT_KB: Record<string, number> = { kb: 1, mb: 1024, gb: 1024 * 1024 };

/** "Node 0 MemTotal:       1560000 kB" -> 1560000 */
export function parseNodeMemTotal(meminfo: string): number | null {
  const match = meminfo.match(/MemTotal:\s*(\d+)\s*([kKmMgG][bB])?/);
  if (!match) return null;
  return Number(match[1]) * (UNIT_KB[(match[2] ?? 'kb').toLowerCase()] ?? 1);
}

/**
 * numa_node of a NIC's device; virtio NICs hang below their PCI function, which
 * is where the kernel keeps numa_node, so look one level up too.
 */
async function nicNumaNode(deviceLink: string): Promise<number | null> {
  const own = await readInt(path.join(deviceLink, 'numa_node'));
  if (own !== null) return own;
  try {
    return await readInt(path.join(path.dirname(await fs.realpath(deviceLink)), 'numa_node'));
  } catch {
    return null;
  }
}

export async function numaTopology(ctx: CollectorContext): Promise<NumaTopology | null> {
  const nodeBase = under(ctx.root, 'sys/devices/system/node');
  if (!(await isDir(nodeBase))) return null;
  const nodes: { id: number; dir: string }[] = [];
  for (const name of await listDir(nodeBase)) {
    const match = name.match(/^node(\d+)$/);
    if (match && (await isDir(under(nodeBase, name)))) nodes.push({ id: Number(match[1]), dir: under(nodeBase, name) });
  }

  const ram: NumaTopology['ram'] = [];
  const cpus = new Map<string, NumaTopology['cpus'][number]>();
  for (const node of nodes) {
    const meminfo = await readText(under(node.dir, 'meminfo'));
    const sizeKb = meminfo ? parseNodeMemTotal(meminfo) : null;
    if (sizeKb === null) throw new Error(`memory information is not available for node${node.id}`);
    ram.push({ numa_node: node.id, size_kb: sizeKb });

    for (const entry of await listDir(node.dir)) {
      const match = entry.match(/^cpu(\d+)$/);
      if (!match || !(await isDir(under(node.dir, entry)))) continue;
      const thread = Number(match[1]);
      const coreId = await readInt(under(node.dir, entry, 'topology/core_id'));
      if (coreId === null) throw new Error(`no core_id for cpu${thread} in node${node.id}`);
      // core_id is only unique within a NUMA node.
      const key = `${node.id}:${coreId}`;
      const item = cpus.get(key);
      if (item) {
        if (!item.thread_siblings.includes(thread)) item.thread_siblings.push(thread);
      } else {
        cpus.set(key, { cpu: coreId, numa_node: node.id, thread_siblings: [thread] });
      }
    }
  }
  for (const item of cpus.values()) item.thread_siblings.sort((a, b) => a - b);

  const nics: NumaTopology['nics'] = [];
  const netBase = under(ctx.root, 'sys/class/net');
  for (const name of await listDir(netBase)) {
    if (!(await exists(under(netBase, name, 'device')))) continue;
    const numaNode = await nicNumaNode(under(netBase, name, 'device'));
    if (numaNode === null) {
      ctx.log.warn('NIC has no readable numa_node, skipped', { nic: name });
      continue;
    }
    // -1 is the kernel's "no NUMA affinity"; IPA reports it as is.
    nics.push({ name, numa_node: numaNode });
  }
  return { ram, cpus: [...cpus.values()], nics };
}

export const collectNumaTopology: Collector = async (data, ctx) => {
  const topology = await numaTopology(ctx);
  if (!topology) {
    ctx.log.warn('no NUMA information: /sys/devices/system/node does not exist');
    return;
  }
  data.numa_topology = topology;
  ctx.log.info('NUMA topology collected', { nodes: topology.ram.length, cores: topology.cpus.length });
};
