// The agent's real output on this machine, and a hand-written IPA payload,
// both validate against the shared contract (common/inventory.ts).

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IntrospectionDataSchema, InventorySchema } from '../../common/inventory';
import { runCollectors } from '../../agent/collect';
import { COLLECTOR_NAMES } from '../../agent/collectors';
import { createContext } from '../../agent/context';
import { main } from '../../agent/main';
import { whichCommand } from '../../agent/sys';
import { captureLogger } from './helpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'agent', 'ipa-payload.json');

test('real collection on this machine (dry run) validates', async () => {
  let out = '';
  const log = captureLogger();
  const code = await main(['node', 'agent', '--dry-run', '--collectors', COLLECTOR_NAMES.join(','), '--cmdline-file', path.join(__dirname, '..', 'fixtures', 'agent', 'lldp-timeout.cmdline')], {
    stdout: (text) => {
      out += text;
    },
    log,
    env: {},
  });
  expect(code).toBe(0);
  const payload = JSON.parse(out);
  const parsed = IntrospectionDataSchema.safeParse(payload);
  expect(parsed.error?.issues ?? []).toEqual([]);
  expect(payload.error).toBeNull();
  // every collector runs on any machine, but dmi-decode needs dmidecode (not on every host)
  const dmidecode = await whichCommand('dmidecode');
  expect(payload.collector_errors).toEqual(dmidecode ? undefined : { 'dmi-decode': 'dmidecode is not installed' });
  expect(Array.isArray(payload.usb_devices)).toBe(true);
  const inventory = payload.inventory;
  expect(inventory.cpu.count).toBeGreaterThan(0);
  expect(inventory.memory.total).toBeGreaterThan(0);
  expect(['bios', 'uefi']).toContain(inventory.boot.current_boot_mode);
  for (const disk of inventory.disks) expect(disk.name).toMatch(/^\/dev\//);
  for (const iface of inventory.interfaces) {
    expect(iface.name).not.toBe('lo');
    expect(iface.mac_address).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  }
  expect(Array.isArray(payload.pci_devices)).toBe(true);
  expect(Array.isArray(payload.data)).toBe(true);
  expect(typeof payload.logs).toBe('string');
  // every log line is one line, and the payload is not in the log
  for (const line of log.lines) expect(line.message).not.toContain('\n');
});

test('default collection via the library API validates', async () => {
  const result = await runCollectors(['default'], createContext());
  expect(result.broken).toBe(false);
  expect(IntrospectionDataSchema.safeParse(result.payload).success).toBe(true);
});

test('a hand-written IPA payload validates and keeps unknown keys', async () => {
  const raw = JSON.parse(await fs.readFile(FIXTURE, 'utf8'));
  const parsed = IntrospectionDataSchema.parse(raw);
  expect(parsed).toMatchObject({
    x_future_top_level_key: { anything: true },
    ipmi_address: '10.10.0.15',
    inventory: { x_future_inventory_key: [1, 2, 3], cpu: { x_future_cpu_field: { microcode: '0x5003604' } } },
  });
  expect(parsed.inventory.disks[0]).toHaveProperty('tran', 'sas');
  expect(parsed.inventory.interfaces[0].lldp?.[0]).toEqual([1, '04885a92ec5459']);
  expect(InventorySchema.safeParse(raw.inventory).success).toBe(true);
});

test('the fixture really is checked: a broken copy fails', async () => {
  const raw = JSON.parse(await fs.readFile(FIXTURE, 'utf8'));
  delete raw.inventory.cpu.count;
  raw.inventory.disks[0].size = 'big';
  const parsed = IntrospectionDataSchema.safeParse(raw);
  expect(parsed.success).toBe(false);
  expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(
    expect.arrayContaining(['inventory.cpu.count', 'inventory.disks.0.size']),
  );
});
