// Memory: `total` is what the kernel manages (MemTotal, bytes); `physical_mb`
// is installed RAM in MiB, from DMI memory devices when the machine has them,
// else from the online memory blocks in /sys/devices/system/memory (they cover
// kernel-reserved RAM too, like DMI does). Null when neither is available.

import type { Inventory } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { listDir, readText, under } from '../sys';

const MiB = 1024 * 1024;

export async function memTotalBytes(root: string): Promise<number | null> {
  const meminfo = await readText(under(root, 'proc/meminfo'));
  const match = meminfo?.match(/^MemTotal:\s+(\d+)\s*kB/m);
  return match ? Number(match[1]) * 1024 : null;
}

async function dmiPhysicalMb(ctx: CollectorContext): Promise<number | null> {
  if (!ctx.useSysteminformation) return null;
  try {
    const si = await import('systeminformation');
    const banks = await si.memLayout();
    // Without DMI, systeminformation reports one made-up bank sized MemTotal;
    // only trust banks that carry DMI details.
    const real = banks.filter((b) => b.size > 0 && (b.type || b.formFactor || b.bank || b.partNum));
    if (!real.length) return null;
    return Math.round(real.reduce((sum, b) => sum + b.size, 0) / MiB);
  } catch (error) {
    ctx.log.debug('systeminformation memLayout() failed', { error: String(error) });
    return null;
  }
}

export async function memoryBlocksMb(root: string): Promise<number | null> {
  const dir = under(root, 'sys/devices/system/memory');
  const blockSizeHex = await readText(under(dir, 'block_size_bytes'));
  if (!blockSizeHex || !/^[0-9a-fA-F]+$/.test(blockSizeHex)) return null;
  const blockSize = Number.parseInt(blockSizeHex, 16);
  if (!blockSize) return null;
  let online = 0;
  for (const name of await listDir(dir)) {
    if (!/^memory\d+$/.test(name)) continue;
    const flag = await readText(under(dir, name, 'online'));
    const state = flag === null ? await readText(under(dir, name, 'state')) : null;
    if (flag === '1' || state === 'online') online += 1;
  }
  return online ? Math.round((online * blockSize) / MiB) : null;
}

export async function getMemory(ctx: CollectorContext): Promise<Inventory['memory']> {
  const total = await memTotalBytes(ctx.root);
  const physical = (await dmiPhysicalMb(ctx)) ?? (await memoryBlocksMb(ctx.root));
  if (total === null) ctx.log.warn('MemTotal not found in /proc/meminfo');
  if (physical === null) ctx.log.warn('physical memory size unknown (no DMI, no memory blocks)');
  return { total, physical_mb: physical };
}
