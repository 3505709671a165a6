// A simulated node's board at power on: NODE_DIR/hardware.json (hardware.ts) rendered as the
// files a server's kernel and firmware present, under NODE_DIR/board/, which board.sh mounts
// over the real ones in the node's own mount namespace before its firmware starts:
//   sys/block/sdX/...        size, device/{model,vendor,serial,wwid}, queue/... per disk
//   sys/class/dmi/id/...     system and BIOS identity; sys/class/scsi_host/host0 (an AHCI host)
//   proc/meminfo             MemTotal: the installed DIMMs less what the firmware reserves
//   dmi/<type>.txt           the SMBIOS tables as dmidecode prints them (bios, system, memory
//                            array and one memory device per slot, empty slots included), which
//                            board.sh's bin/dmidecode (dmidecode.sh) prints
// The agent reads them as it reads any server. Bundled into one file for a bare `node`:
//   node board.js NODE_DIR

import fs from 'node:fs';
import path from 'node:path';
import { type NodeHardware, readHardware } from './hardware';

/** Runs a command on the node's board: board.sh NODE_DIR NODE BOARD_JS -- COMMAND... */
export const BOARD_SCRIPT = path.join(__dirname, 'board.sh');
/** RAM the firmware and kernel keep: MemTotal is that much below the DIMMs' sum. */
const RESERVED_MB = 512;
const SECTOR = 512;

function write(file: string, content: string | number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${content}\n`);
}

const section = (handle: number, type: number, title: string, rows: [string, string | number][]) =>
  [`Handle 0x${handle.toString(16).padStart(4, '0').toUpperCase()}, DMI type ${type}, 40 bytes`, title, ...rows.map(([k, v]) => `\t${k}: ${v}`), ''].join('\n');

/** dmidecode's text per DMI type (0 BIOS, 1 system, 16 memory array, 17 memory devices). */
export function dmiTables(hw: NodeHardware): Record<number, string> {
  const array = 0x1000;
  return {
    0: section(0x0000, 0, 'BIOS Information', [['Vendor', hw.bios.vendor], ['Version', hw.bios.version], ['Release Date', hw.bios.date]]),
    1: section(0x0100, 1, 'System Information', [
      ['Manufacturer', hw.system.manufacturer],
      ['Product Name', hw.system.product],
      ['Version', 'Not Specified'],
      ['Serial Number', hw.system.serial],
      ['UUID', hw.system.uuid],
    ]),
    16: section(array, 16, 'Physical Memory Array', [
      ['Location', 'System Board Or Motherboard'],
      ['Use', 'System Memory'],
      ['Error Correction Type', 'Multi-bit ECC'],
      ['Maximum Capacity', '2 TB'],
      ['Number Of Devices', hw.dimm_slots.length],
    ]),
    17: hw.dimm_slots
      .map(({ locator, dimm }, i) =>
        section(0x1100 + i, 17, 'Memory Device', [
          ['Array Handle', `0x${array.toString(16).toUpperCase()}`],
          ['Total Width', dimm ? '72 bits' : 'Unknown'],
          ['Data Width', dimm ? '64 bits' : 'Unknown'],
          ['Size', dimm ? `${dimm.size_mb / 1024} GB` : 'No Module Installed'],
          ['Form Factor', 'DIMM'],
          ['Locator', locator],
          ['Bank Locator', `P${i < hw.dimm_slots.length / 2 ? 0 : 1}_Node${i < hw.dimm_slots.length / 2 ? 0 : 1}_Channel${i % 4}`],
          ['Type', dimm?.type ?? 'Unknown'],
          ['Speed', dimm ? `${dimm.speed_mts} MT/s` : 'Unknown'],
          ['Manufacturer', dimm?.manufacturer ?? 'Not Specified'],
          ['Serial Number', dimm?.serial ?? 'Not Specified'],
          ['Part Number', dimm?.part ?? 'Not Specified'],
          ['Configured Memory Speed', dimm ? `${dimm.speed_mts} MT/s` : 'Unknown'],
        ]),
      )
      .join('\n'),
  };
}

/** Renders the board into `dir`, replacing what an earlier boot left there. */
export function renderBoard(hw: NodeHardware, dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  hw.disks.forEach((disk, i) => {
    const block = path.join(dir, 'sys/block', disk.name);
    write(path.join(block, 'size'), disk.size_bytes / SECTOR);
    write(path.join(block, 'dev'), `8:${16 * i}`);
    write(path.join(block, 'removable'), 0);
    write(path.join(block, 'device/model'), disk.model);
    write(path.join(block, 'device/vendor'), disk.vendor);
    write(path.join(block, 'device/serial'), disk.serial);
    write(path.join(block, 'device/wwid'), disk.wwid);
    write(path.join(block, 'device/type'), 0);
    fs.mkdirSync(path.join(block, `device/scsi_device/0:0:${i}:0`), { recursive: true });
    write(path.join(block, 'queue/rotational'), disk.rotational ? 1 : 0);
    write(path.join(block, 'queue/logical_block_size'), SECTOR);
    write(path.join(block, 'queue/physical_block_size'), 4096);
  });
  fs.mkdirSync(path.join(dir, 'sys/block'), { recursive: true });
  const dmi = path.join(dir, 'sys/class/dmi/id');
  write(path.join(dmi, 'sys_vendor'), hw.system.manufacturer);
  write(path.join(dmi, 'product_name'), hw.system.product);
  write(path.join(dmi, 'product_serial'), hw.system.serial);
  write(path.join(dmi, 'product_uuid'), hw.system.uuid);
  write(path.join(dmi, 'bios_vendor'), hw.bios.vendor);
  write(path.join(dmi, 'bios_version'), hw.bios.version);
  write(path.join(dmi, 'bios_date'), hw.bios.date);
  write(path.join(dir, 'sys/class/scsi_host/host0/proc_name'), 'ahci');
  fs.mkdirSync(path.join(dir, 'sys/class/net'), { recursive: true }); // where board.sh puts the namespace's own
  const installedMb = hw.dimm_slots.reduce((sum, s) => sum + (s.dimm?.size_mb ?? 0), 0);
  const totalKb = Math.max(installedMb - RESERVED_MB, 0) * 1024;
  write(path.join(dir, 'proc/meminfo'), [`MemTotal: ${totalKb} kB`, `MemFree: ${Math.round(totalKb * 0.9)} kB`, `MemAvailable: ${Math.round(totalKb * 0.9)} kB`].join('\n'));
  for (const [type, text] of Object.entries(dmiTables(hw))) write(path.join(dir, 'dmi', `${type}.txt`), text);
}

if (require.main === module) {
  const nodeDir = path.resolve(process.argv[2] ?? '');
  try {
    renderBoard(readHardware(nodeDir), path.join(nodeDir, 'board'));
  } catch (error) {
    process.stderr.write(`board: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
