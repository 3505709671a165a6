// `dmi-decode`: dmidecode's text to IPA's dmi = {bios, cpu, memory}.

import { runCollectors } from '../../agent/collect';
import { collectDmidecode, parseDmi } from '../../agent/collectors/dmi-decode';
import { createContext } from '../../agent/context';
import type { Exec } from '../../agent/sys';
import { IntrospectionDataSchema } from '../../common/inventory';
import { makeTree, removeTree } from './helpers';

// dmidecode 3.4 output of a two-bank server (abridged).
const DMIDECODE = `# dmidecode 3.4
Getting SMBIOS data from sysfs.
SMBIOS 3.2.0 present.

Handle 0x0000, DMI type 0, 26 bytes
BIOS Information
\tVendor: Dell Inc.
\tVersion: 2.11.2
\tRelease Date: 04/12/2021
\tROM Size: 32 MB
\tCharacteristics:
\t\tPCI is supported
\t\tPNP is supported
\tBIOS Revision: 2.11

Handle 0x0400, DMI type 4, 48 bytes
Processor Information
\tSocket Designation: CPU1
\tType: Central Processor
\tVersion: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz
\tCore Count: 20
\tFlags:
\t\tFPU (Floating-point unit on-chip)
\t\tVME (Virtual mode extension)

Handle 0x0401, DMI type 4, 48 bytes
Processor Information
\tSocket Designation: CPU2
\tCore Count: 20

Handle 0x1000, DMI type 16, 23 bytes
Physical Memory Array
\tLocation: System Board Or Motherboard
\tUse: System Memory
\tMaximum Capacity: 3 TB
\tNumber Of Devices: 12

Handle 0x1001, DMI type 16, 23 bytes
Physical Memory Array
\tLocation: System Board Or Motherboard
\tNumber Of Devices: 12

Handle 0x1100, DMI type 17, 84 bytes
Memory Device
\tSize: 16 GB
\tLocator: A1
\tType: DDR4

Handle 0x1101, DMI type 17, 84 bytes
Memory Device
\tSize: No Module Installed
\tLocator: A2

Handle 0x7F00, DMI type 127, 4 bytes
End Of Table
`;

test('bios, processors, the memory arrays summed and their devices, as IPA', () => {
  expect(parseDmi(DMIDECODE)).toEqual({
    bios: {
      Handle: 'Handle 0x0000, DMI type 0, 26 bytes',
      Vendor: 'Dell Inc.',
      Version: '2.11.2',
      'Release Date': '04/12/2021',
      'ROM Size': '32 MB',
      Characteristics: ['PCI is supported', 'PNP is supported'],
      'BIOS Revision': '2.11',
    },
    cpu: [
      {
        Handle: 'Handle 0x0400, DMI type 4, 48 bytes',
        'Socket Designation': 'CPU1',
        Type: 'Central Processor',
        Version: 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz',
        'Core Count': '20',
        Flags: ['FPU (Floating-point unit on-chip)', 'VME (Virtual mode extension)'],
      },
      { Handle: 'Handle 0x0401, DMI type 4, 48 bytes', 'Socket Designation': 'CPU2', 'Core Count': '20' },
    ],
    memory: {
      Location: 'System Board Or Motherboard',
      Use: 'System Memory',
      'Maximum Capacity': '3 TB',
      'Number Of Devices': 24,
      devices: [
        { Handle: 'Handle 0x1100, DMI type 17, 84 bytes', Size: '16 GB', Locator: 'A1', Type: 'DDR4' },
        { Handle: 'Handle 0x1101, DMI type 17, 84 bytes', Size: 'No Module Installed', Locator: 'A2' },
      ],
    },
  });
});

test('no memory structures: empty sections; a memory array without a count is an error', () => {
  expect(parseDmi('# dmidecode 3.4\n')).toEqual({ bios: {}, cpu: [], memory: { devices: [] } });
  expect(() => parseDmi('Handle 0x1000, DMI type 16, 23 bytes\nPhysical Memory Array\n\tUse: System Memory\n')).toThrow(
    'memory array Handle 0x1000, DMI type 16, 23 bytes has no Number Of Devices',
  );
});

describe('the collector', () => {
  let root: string;
  beforeAll(async () => {
    root = await makeTree({ 'proc/cpuinfo': 'processor : 0\n', 'proc/meminfo': 'MemTotal: 1024 kB\n' });
  });
  afterAll(() => removeTree(root));

  test('runs dmidecode for bios, processor and memory, bounded, and its dmi validates', async () => {
    const calls: unknown[] = [];
    const exec: Exec = async (command, args, options) => {
      calls.push([command, args, options]);
      return { code: 0, stdout: DMIDECODE, stderr: '' };
    };
    const ctx = createContext({ root, exec, which: async (c) => (c === 'dmidecode' ? '/usr/sbin/dmidecode' : null), collectors: ['default', 'dmi-decode'] });
    const { payload, broken } = await runCollectors(['default', 'dmi-decode'], ctx);
    expect(broken).toBe(false);
    expect(calls).toEqual([['/usr/sbin/dmidecode', ['-t', 'bios', '-t', 'processor', '-t', 'memory'], { timeoutMs: 30000 }]]);
    expect((payload.dmi as { cpu: unknown[] }).cpu).toHaveLength(2);
    expect(IntrospectionDataSchema.safeParse(payload).success).toBe(true);
  });

  test.each([
    ['not installed', null, { code: 0, stdout: '', stderr: '' }, 'dmidecode is not installed'],
    ['failing', '/usr/sbin/dmidecode', { code: 1, stdout: '', stderr: '/dev/mem: Permission denied' }, 'dmidecode failed: exit code 1 /dev/mem: Permission denied'],
    ['timing out', '/usr/sbin/dmidecode', { code: null, stdout: '', stderr: '', error: 'timed out' }, 'dmidecode failed: timed out'],
  ])('%s: an error naming dmidecode, no dmi', async (_, tool, result, message) => {
    const ctx = createContext({ root, exec: async () => result, which: async () => tool });
    const data: Record<string, unknown> = {};
    await expect(collectDmidecode(data, ctx)).rejects.toThrow(message);
    expect(data.dmi).toBeUndefined();
  });
});
