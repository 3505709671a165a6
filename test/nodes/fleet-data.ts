import { generator } from '../../sim/unkind';

// Synthetic processed introspection data and random fleet-query expressions, seeded: for the
// fleet query tests (random data) and bench/fleet-query.ts.

/** A seeded PRNG (mulberry32): the same seed gives the same fleet. */
export const prng = generator;

export type Rand = () => number;
export const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

export const CPU_MODELS = ['Intel(R) Xeon(R) Gold 6230', 'Intel(R) Xeon(R) Silver 4210', 'AMD EPYC 7543 32-Core Processor', 'AMD EPYC 9354'];
export const MEMORY_MB = [65536, 131072, 262144, 524288, 1048576];
const DISK_SIZES = [480103981056, 960197124096, 1920383410176, 4000787030016];
const TRANS = ['sata', 'sas', 'nvme'];
export const SWITCH_PORTS = Array.from({ length: 48 }, (_, i) => `Ethernet1/${i + 1}`);
/** Strings that LIKE patterns and JSON escape: the pre-filter must still find them. */
export const ODD_STRINGS = ['port_1', '50%', 'back\\slash', 'quo"te', 'ETHERNET1/1', 'é/ü', 'tab\tbed'];

/** One node's processed data (`inspector_data-<uuid>`) as the hooks leave it; `messy` adds missing and odd values. */
export function processedData(rand: Rand, index: number, messy = false): Record<string, unknown> {
  const maybe = <T>(value: T): T | undefined => (messy && rand() < 0.15 ? undefined : value);
  const disks = Array.from({ length: int(rand, messy ? 0 : 1, 8) }, (_, d) => ({
    name: `/dev/sd${String.fromCharCode(97 + d)}`,
    size: pick(rand, DISK_SIZES),
    rotational: messy && rand() < 0.2 ? null : rand() < 0.5,
    serial: messy && rand() < 0.1 ? pick(rand, ODD_STRINGS) : (maybe(`S${index}-${d}`) ?? null),
    tran: pick(rand, TRANS),
    model: 'DISK',
  }));
  const interfaces = Array.from({ length: int(rand, messy ? 0 : 1, 4) }, (_, i) => ({
    name: `eno${i + 1}`,
    mac_address: `52:54:00:${((index >> 8) & 0xff).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}`,
    speed_mbps: maybe(pick(rand, [1000, 10000, 25000, 100000])),
  }));
  const all = Object.fromEntries(
    interfaces.map((iface) => [
      iface.name,
      {
        mac: iface.mac_address,
        pxe: iface.name === 'eno1',
        ...(messy && rand() < 0.3 ? {} : { lldp_processed: { switch_chassis_id: `aa:bb:cc:00:00:${int(rand, 10, 20)}`, switch_port_id: messy && rand() < 0.2 ? pick(rand, ODD_STRINGS) : pick(rand, SWITCH_PORTS), switch_system_name: `leaf${int(rand, 1, 4)}` } }),
      },
    ]),
  );
  return {
    inventory: {
      cpu: { count: maybe(pick(rand, [16, 32, 48, 64, 128])), model_name: maybe(pick(rand, CPU_MODELS)), architecture: 'x86_64' },
      memory: { physical_mb: maybe(pick(rand, MEMORY_MB)) },
      disks,
      interfaces,
      system_vendor: { manufacturer: 'Dell Inc.', product_name: 'PowerEdge R650', serial_number: maybe(`SN${index}`) },
    },
    all_interfaces: all,
    root_disk: disks[0],
    local_gb: disks[0] ? Math.floor(disks[0].size / 1024 ** 3) - 1 : undefined,
  };
}

/** A random expression over the fleet view: indexed fields, others, wrong types, nulls, lists. */
export function randomExpr(rand: Rand, depth = 0): string {
  const leaf = (): string => {
    const num = () => pick(rand, ['0', '4', '16', '32', '65536', '131072', '262144', '1e6', '-1', '2.5']);
    const str = () => JSON.stringify(pick(rand, ['r1-n1', 'bm', 'gpu', 'A1', 'Intel(R) Xeon(R) Gold 6230', 'AMD EPYC 9354', '', ...ODD_STRINGS]));
    const op = () => pick(rand, ['==', '!=', '<', '<=', '>', '>=']);
    const value = () => pick(rand, [num, num, str, () => 'null', () => 'true'])();
    const field = () => pick(rand, ['memory_mb', 'cpus', 'cpu.count', 'cpu.model_name', 'name', 'resource_class', 'rack', 'local_gb', 'system.serial', 'uuid', 'properties.cpus', 'disks[0].serial', 'interfaces[0].lldp.switch_port']);
    const inner = (list: 'disks' | 'interfaces'): string => {
      const one = () =>
        list === 'disks'
          ? pick(rand, [`size ${op()} ${pick(rand, ['1e12', '480103981056', '4000787030016'])}`, `rotational == ${pick(rand, ['true', 'false', 'null'])}`, `tran == "${pick(rand, TRANS)}"`, `serial ${op()} ${value()}`, `serial == ${JSON.stringify(pick(rand, ODD_STRINGS))} and size > 0`, 'rotational', `size_gb >= 1000`])
          : pick(rand, [`lldp.switch_port == "${pick(rand, SWITCH_PORTS.slice(0, 6))}"`, `lldp.switch_port == ${JSON.stringify(pick(rand, ODD_STRINGS))}`, `speed ${op()} ${pick(rand, ['1000', '25000', '"fast"'])}`, `lldp.system_name ~ "leaf[12]"`, `name != "eno1"`, `lldp.switch_id == null`]);
      const body = rand() < 0.3 ? `${one()} ${pick(rand, ['and', 'or'])} ${one()}` : rand() < 0.1 ? `not ${one()}` : one();
      return body;
    };
    switch (int(rand, 0, 8)) {
      case 0:
      case 1:
        return `${field()} ${op()} ${value()}`;
      case 2:
        return `${value()} ${op()} ${field()}`;
      case 3:
        return `count(${pick(rand, ['disks', 'interfaces'])}) ${op()} ${pick(rand, ['0', '1', '2', '4', '8', '"4"'])}`;
      case 4: {
        const list = pick(rand, ['disks', 'interfaces'] as const);
        return `${pick(rand, ['any', 'any', 'all'])}(${list}, ${inner(list)})`;
      }
      case 5:
        return `${field()} in [${Array.from({ length: int(rand, 0, 3) }, value).join(', ')}]`;
      case 6:
        return `${pick(rand, ['cpu.model_name', 'name'])} ${pick(rand, ['~', '!~'])} "${pick(rand, ['Xeon', 'EPYC', '^r1', 'Gold \\d+'])}"`;
      case 7:
        return pick(rand, ['traits', 'rack', 'capabilities.boot_mode == "uefi"', 'cpu.model_name']);
      default:
        return `${field()} ${op()} ${field()}`;
    }
  };
  if (depth >= 3 || rand() < 0.4) return leaf();
  switch (int(rand, 0, 2)) {
    case 0:
      return `(${randomExpr(rand, depth + 1)} and ${randomExpr(rand, depth + 1)})`;
    case 1:
      return `(${randomExpr(rand, depth + 1)} or ${randomExpr(rand, depth + 1)})`;
    default:
      return `not ${randomExpr(rand, depth + 1)}`;
  }
}
