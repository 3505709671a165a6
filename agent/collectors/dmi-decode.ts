// `dmi-decode`: dmi = {bios, cpu, memory} from `dmidecode -t bios -t processor
// -t memory`, as IPA's dmi_inspector.collect_dmidecode_info. Each DMI structure
// becomes a map of its `Key: value` lines (a key with no value collects the
// indented lines under it as a list) plus `Handle` (its header line).

import type { Collector } from './types';

type DmiSection = Record<string, string | string[] | number>;

export interface DmiInfo {
  bios: DmiSection;
  cpu: DmiSection[];
  /** The first Physical Memory Array (`Number Of Devices` summed over all), its Memory Devices under `devices`. */
  memory: DmiSection & { devices?: DmiSection[] };
}

const DMI_TYPE = { bios: 0, processor: 4, memoryArray: 16, memoryDevice: 17 } as const;
const HEADER = /^Handle 0x[0-9A-Fa-f]+, DMI type (\d+),/;
const DMIDECODE_TIMEOUT_MS = 30000;

function parseBlock(block: string): DmiSection {
  const rows: DmiSection = {};
  let list: string[] | null = null;
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    if (colon >= 0) {
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      list = value ? null : [];
      rows[key] = list ?? value;
    } else if (line.startsWith('Handle 0x')) {
      rows.Handle = line;
    } else if (list && line) {
      list.push(line);
    }
  }
  return rows;
}

/** dmidecode's text output to IPA's dmi structure; throws when a memory array lacks its device count. */
export function parseDmi(text: string): DmiInfo {
  const info: DmiInfo = { bios: {}, cpu: [], memory: { devices: [] } };
  const arrays: DmiSection[] = [];
  const devices: DmiSection[] = [];
  for (const block of text.split('\n\n')) {
    const type = HEADER.exec(block);
    if (!type) continue;
    const kind = Number(type[1]);
    if (kind === DMI_TYPE.bios) info.bios = parseBlock(block);
    else if (kind === DMI_TYPE.processor) info.cpu.push(parseBlock(block));
    else if (kind === DMI_TYPE.memoryArray) arrays.push(parseBlock(block));
    else if (kind === DMI_TYPE.memoryDevice) devices.push(parseBlock(block));
  }
  if (arrays.length > 0) {
    let count = 0;
    for (const array of arrays) {
      const n = Number(array['Number Of Devices']);
      if (!Number.isInteger(n)) throw new Error(`memory array ${String(array.Handle)} has no Number Of Devices`);
      count += n;
    }
    const { Handle: _handle, ...first } = arrays[0];
    info.memory = { ...first, 'Number Of Devices': count };
  }
  if (devices.length > 0) info.memory.devices = devices;
  return info;
}

export const collectDmidecode: Collector = async (data, ctx) => {
  const dmidecode = await ctx.which('dmidecode');
  if (!dmidecode) throw new Error('dmidecode is not installed');
  const result = await ctx.exec(dmidecode, ['-t', 'bios', '-t', 'processor', '-t', 'memory'], { timeoutMs: DMIDECODE_TIMEOUT_MS });
  if (result.code !== 0) {
    throw new Error(`dmidecode failed: ${result.error ?? `exit code ${String(result.code)}`} ${result.stderr.trim()}`.trim());
  }
  data.dmi = parseDmi(result.stdout);
  const dmi = data.dmi as DmiInfo;
  ctx.log.info('DMI collected', { processors: dmi.cpu.length, memory_devices: dmi.memory.devices?.length ?? 0 });
};
