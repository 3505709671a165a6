// CPU facts from /proc/cpuinfo and /sys/devices/system/cpu, in IPA's CPU shape
// (frequency is a MHz string, as lscpu prints it; count counts logical CPUs).

import type { Cpu } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { listDir, readInt, readText, under } from '../sys';

export type CpuinfoBlock = Record<string, string>;

/** Split /proc/cpuinfo into one key/value record per block (keys as printed; first value wins). */
export function parseCpuinfo(text: string): CpuinfoBlock[] {
  const blocks: CpuinfoBlock[] = [];
  let current: CpuinfoBlock = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(current).length) blocks.push(current);
      current = {};
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    if (!(key in current)) current[key] = line.slice(colon + 1).trim();
  }
  if (Object.keys(current).length) blocks.push(current);
  return blocks;
}

/** Parse a kernel CPU list such as "0-3,8,10-11" into a count. */
export function countCpuList(list: string): number | null {
  let count = 0;
  for (const part of list.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const range = item.match(/^(\d+)-(\d+)$/);
    if (range) count += Number(range[2]) - Number(range[1]) + 1;
    else if (/^\d+$/.test(item)) count += 1;
    else return null;
  }
  return count || null;
}

// The machine architecture as uname -m reports it; os.machine() already does,
// this only maps Node's os.arch() names for callers that pass those.
const ARCH_NAMES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', ppc64: 'ppc64le' };

export function normalizeArch(arch: string): string {
  return ARCH_NAMES[arch] ?? arch;
}

function nonEmpty(value: string | undefined | null): string | null {
  const text = value?.trim();
  return text ? text : null;
}

async function siCpu(ctx: CollectorContext) {
  if (!ctx.useSysteminformation) return null;
  try {
    const si = await import('systeminformation');
    return await si.cpu();
  } catch (error) {
    ctx.log.debug('systeminformation cpu() failed', { error: String(error) });
    return null;
  }
}

export async function getCpu(ctx: CollectorContext): Promise<Cpu> {
  const text = (await readText(under(ctx.root, 'proc/cpuinfo'))) ?? '';
  const cpuinfo = parseCpuinfo(text);
  const processors = cpuinfo.filter((block) => /^\d+$/.test(block.processor ?? ''));
  const first = processors[0] ?? cpuinfo[0] ?? {};

  // Old ARM kernels print all "processor : N" lines in one block.
  let count: number | null = (text.match(/^processor\s*:\s*\d+\s*$/gm) ?? []).length || null;
  if (count === null) {
    const online = await readText(under(ctx.root, 'sys/devices/system/cpu/online'));
    count = online ? countCpuList(online) : null;
  }

  // x86: "model name"; MIPS: "cpu model"; old ARM: "Processor"; POWER: "cpu".
  let model =
    nonEmpty(first['model name']) ?? nonEmpty(first['cpu model']) ?? nonEmpty(first['Processor']) ?? nonEmpty(first['cpu']);
  let frequency: string | null = null;
  const maxKhz = await readInt(under(ctx.root, 'sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'));
  if (maxKhz !== null && maxKhz > 0) frequency = (maxKhz / 1000).toFixed(4);
  else {
    const mhz = nonEmpty(first['cpu MHz']);
    if (mhz && Number(mhz) > 0) frequency = mhz;
  }

  const flagsLine = nonEmpty(first['flags']) ?? nonEmpty(first['Features']);
  const flags = flagsLine ? flagsLine.split(/\s+/) : [];

  let sockets: number | null = null;
  const physicalIds = new Set(processors.map((b) => b['physical id']).filter((v): v is string => !!v));
  if (physicalIds.size) sockets = physicalIds.size;
  else {
    const cpuDir = under(ctx.root, 'sys/devices/system/cpu');
    const packages = new Set<number>();
    for (const name of await listDir(cpuDir)) {
      if (!/^cpu\d+$/.test(name)) continue;
      const id = await readInt(under(cpuDir, name, 'topology/physical_package_id'));
      if (id !== null && id >= 0) packages.add(id);
    }
    if (packages.size) sockets = packages.size;
  }

  if (model === null || frequency === null || count === null || sockets === null) {
    const si = await siCpu(ctx);
    if (si) {
      if (model === null) model = nonEmpty([si.manufacturer, si.brand].filter(Boolean).join(' '));
      const ghz = si.speedMax || si.speed;
      if (frequency === null && ghz > 0) frequency = (ghz * 1000).toFixed(4);
      if (count === null && si.cores > 0) count = si.cores;
      if (sockets === null && si.processors > 0) sockets = si.processors;
    }
  }

  if (count === null) ctx.log.warn('could not determine the CPU count');
  return {
    model_name: model,
    frequency,
    count: count ?? 0,
    architecture: normalizeArch(ctx.machine()),
    flags,
    socket_count: sockets,
  };
}
