// The `default` collector: IPA's inventory plus root_disk, boot_interface and
// configuration (inspector.collect_default).

import type { Inventory } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { getBmc } from '../hw/bmc';
import { getCpu } from '../hw/cpu';
import { guessRootDisk, listDisks } from '../hw/disks';
import { listInterfaces } from '../hw/interfaces';
import { getMemory } from '../hw/memory';
import { getBoot, getSystemVendor } from '../hw/system';
import { AGENT_NAME, AGENT_VERSION } from '../version';
import type { Collector } from './types';

export async function collectInventory(ctx: CollectorContext): Promise<Inventory> {
  const [interfaces, cpu, memory, disks, bmc, systemVendor, boot] = await Promise.all([
    listInterfaces(ctx),
    getCpu(ctx),
    getMemory(ctx),
    listDisks(ctx),
    getBmc(ctx),
    getSystemVendor(ctx),
    getBoot(ctx),
  ]);
  return {
    interfaces,
    cpu,
    memory,
    disks,
    bmc_address: bmc.bmc_address,
    bmc_v6address: bmc.bmc_v6address,
    bmc_mac: bmc.bmc_mac,
    system_vendor: systemVendor,
    boot,
    hostname: ctx.hostname() || null,
  };
}

export const collectDefault: Collector = async (data, ctx) => {
  const inventory = await collectInventory(ctx);
  ctx.state.inventory = inventory;
  data.inventory = inventory;

  const rootDisk = guessRootDisk(inventory.disks);
  if (rootDisk) data.root_disk = rootDisk;
  else ctx.log.warn('no suitable root disk (>= 4 GiB) found');

  data.boot_interface = inventory.boot?.pxe_interface ?? null;
  if (ctx.bootif && !inventory.interfaces.some((i) => i.mac_address === ctx.bootif)) {
    ctx.log.warn('BOOTIF does not match any reported interface', { bootif: ctx.bootif });
  }
  data.configuration = {
    collectors: ctx.collectors,
    managers: [{ name: AGENT_NAME, version: AGENT_VERSION }],
  };
  ctx.log.info('inventory collected', {
    interfaces: inventory.interfaces.length,
    cpus: inventory.cpu.count,
    memory_mb: inventory.memory.physical_mb ?? null,
    disks: inventory.disks.length,
    bmc_address: inventory.bmc_address ?? null,
    boot_mode: inventory.boot?.current_boot_mode ?? null,
  });
};
