// System vendor (SMBIOS/DMI) and boot information.

import type { Inventory } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { isDir, readText, under } from '../sys';

type SystemVendor = NonNullable<Inventory['system_vendor']>;
type Boot = NonNullable<Inventory['boot']>;

// Values systeminformation fills in by itself when DMI is missing; they are not
// firmware data and must not be reported as such.
const SI_PLACEHOLDERS = new Set(['', '-', 'Docker Container']);

function fromSi(value: string | undefined): string | null {
  const text = value?.trim() ?? '';
  return SI_PLACEHOLDERS.has(text) ? null : text;
}

export async function getSystemVendor(ctx: CollectorContext): Promise<SystemVendor> {
  const dmi = under(ctx.root, 'sys/class/dmi/id');
  const read = (field: string) => readText(under(dmi, field));
  const vendor: SystemVendor = {
    product_name: await read('product_name'),
    serial_number: await read('product_serial'),
    manufacturer: await read('sys_vendor'),
    firmware: {
      vendor: await read('bios_vendor'),
      version: await read('bios_version'),
      build_date: await read('bios_date'),
    },
  };
  const firmware = vendor.firmware!;
  const missing =
    !vendor.product_name || !vendor.serial_number || !vendor.manufacturer || !firmware.vendor || !firmware.version || !firmware.build_date;
  if (missing && ctx.useSysteminformation) {
    try {
      const si = await import('systeminformation');
      const [system, bios] = await Promise.all([si.system(), si.bios()]);
      vendor.product_name ??= fromSi(system.model);
      vendor.serial_number ??= fromSi(system.serial);
      vendor.manufacturer ??= fromSi(system.manufacturer);
      firmware.vendor ??= fromSi(bios.vendor);
      firmware.version ??= fromSi(bios.version);
      firmware.build_date ??= fromSi(bios.releaseDate);
    } catch (error) {
      ctx.log.debug('systeminformation system()/bios() failed', { error: String(error) });
    }
  }
  return vendor;
}

export async function getBoot(ctx: CollectorContext): Promise<Boot> {
  const uefi = await isDir(under(ctx.root, 'sys/firmware/efi'));
  return { current_boot_mode: uefi ? 'uefi' : 'bios', pxe_interface: ctx.bootif };
}
