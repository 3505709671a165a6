// Ramdisk benchmark: image sizes, then one boot of dist/ramdisk/{vmlinuz,initramfs} ($RAMDISK_DIR) under qemu
// (TCG: nested KVM hangs here, see ../shared/reference/boot.md) with a virtio NIC on qemu's
// user-mode network and a sparse 8 GiB virtio disk. The guest reaches the host's loopback at
// 10.0.2.2, where this process answers POST /v1/continue like the inspector would.
// Prints key=value lines: sizes, boot-to-callback seconds (qemu start -> body received),
// boot-to-poweroff seconds, whether the payload validates against IntrospectionDataSchema.
// Installs qemu when missing. Builds the ramdisk first when dist/ramdisk is missing.
// Usage: npx tsx bench/ramdisk.ts [timeoutSeconds=300]   (console log: dist/ramdisk/bench-console.log)

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { IntrospectionDataSchema } from '../common/inventory';

const DIR = path.resolve(process.env.RAMDISK_DIR ?? path.join(__dirname, '..', 'dist', 'ramdisk'));
const KERNEL = path.join(DIR, 'vmlinuz');
const INITRD = path.join(DIR, 'initramfs');
const CONSOLE_LOG = path.join(DIR, 'bench-console.log');
const MAC = '52:54:00:12:34:56';
const timeoutS = Number(process.argv[2] ?? 300);

const out = (key: string, value: string | number | boolean) => process.stdout.write(`${key}=${value}\n`);
const mb = (f: string) => (fs.statSync(f).size / 1048576).toFixed(1);

function ensureQemu(): void {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
    return;
  } catch {
    /* installed below */
  }
  const packages = ['qemu-system-x86', 'ipxe-qemu'];
  process.stderr.write(`bench prerequisite: apt-get install -y --no-install-recommends ${packages.join(' ')}\n`);
  const log = execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 << 20,
  });
  const installed = log.split('\n').filter((l) => l.startsWith('Setting up ')).map((l) => l.split(' ')[2]);
  process.stderr.write(`installed: ${installed.join(' ')}\n`);
}

let qemu: ChildProcess | undefined;
const killQemu = () => {
  if (qemu && qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
};
process.on('exit', killQemu);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

async function main(): Promise<void> {
  if (!fs.existsSync(KERNEL) || !fs.existsSync(INITRD)) {
    process.stderr.write('dist/ramdisk missing: building it (npm run build:ramdisk)\n');
    execFileSync('npx', ['tsx', path.resolve(__dirname, '..', 'scripts', 'ramdisk', 'build.ts')], { stdio: ['ignore', 2, 2] });
  }
  ensureQemu();
  out('ramdisk kernel_mb', mb(KERNEL));
  out('ramdisk initramfs_mb', mb(INITRD));

  let started = 0;
  let received: { at: number; body: string } | undefined;
  let onBody: () => void = () => {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/continue') {
        received ??= { at: performance.now(), body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ uuid: '00000000-0000-4000-8000-00000000be4c' }));
        onBody();
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const disk = path.join(os.tmpdir(), `ramdisk-bench-${process.pid}.img`);
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 8 * 1024 ** 3); // sparse: costs nothing on the host
  const args = [
    '-accel', 'tcg', '-m', '1024', '-smp', '1', '-nographic', '-no-reboot',
    '-kernel', KERNEL, '-initrd', INITRD,
    '-append', `console=ttyS0 ipa-inspection-callback-url=http://10.0.2.2:${port}/v1/continue BOOTIF=01-${MAC.replace(/:/g, '-')} ipa-inspection-collectors=default`,
    '-netdev', 'user,id=n0', '-device', `virtio-net-pci,netdev=n0,mac=${MAC}`,
    '-drive', `file=${disk},if=none,id=d0,format=raw`, '-device', 'virtio-blk-pci,drive=d0,serial=RDBENCH0001',
    '-smbios', 'type=1,manufacturer=Introspector,product=RamdiskBench,serial=RB-0001',
  ];
  const consoleLog = fs.createWriteStream(CONSOLE_LOG);
  started = performance.now();
  qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  qemu.stdout!.pipe(consoleLog);
  qemu.stderr!.pipe(consoleLog);
  const exited = new Promise<number | null>((resolve) => qemu!.on('exit', (code) => resolve(code)));
  let poweredOff: number | undefined;
  void exited.then(() => (poweredOff = performance.now()));

  const gotBody = new Promise<void>((resolve) => (onBody = resolve));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutS * 1000)));
  // Wait for the callback and for the guest's poweroff (it powers off after the agent exits).
  const outcome = await Promise.race([Promise.all([gotBody, exited]).then(() => 'done' as const), exited.then(() => 'exited' as const), timedOut]);
  if (outcome === 'exited' && !received) await new Promise((r) => setTimeout(r, 200));
  clearTimeout(timer);
  killQemu();
  server.close();
  fs.rmSync(disk, { force: true });

  out('ramdisk boot_to_callback_s', received ? ((received.at - started) / 1000).toFixed(2) : 'none');
  out('ramdisk boot_to_poweroff_s', poweredOff !== undefined ? ((poweredOff - started) / 1000).toFixed(2) : 'none');
  let valid = false;
  if (received) {
    try {
      const parsed = IntrospectionDataSchema.safeParse(JSON.parse(received.body));
      valid = parsed.success;
      if (parsed.success) {
        const inv = parsed.data.inventory;
        out('ramdisk payload_bytes', Buffer.byteLength(received.body));
        out('ramdisk payload interfaces', inv.interfaces.map((i) => `${i.name}/${i.mac_address}`).join(','));
        out('ramdisk payload disks', inv.disks.map((d) => `${d.name}/${d.serial ?? '-'}/${(d.size / 1024 ** 3).toFixed(0)}GiB`).join(',') || 'none');
        out('ramdisk payload system', `${inv.system_vendor?.manufacturer ?? '-'}/${inv.system_vendor?.product_name ?? '-'}/${inv.system_vendor?.serial_number ?? '-'}`);
        out('ramdisk payload error', parsed.data.error ?? 'none');
      } else process.stderr.write(`payload invalid: ${parsed.error.message}\n`);
    } catch (error) {
      process.stderr.write(`payload is not JSON: ${String(error)}\n`);
    }
  }
  out('ramdisk payload_valid', valid);
  out('ramdisk console_log', path.relative(process.cwd(), CONSOLE_LOG));
  if (!received) {
    const tail = fs.readFileSync(CONSOLE_LOG, 'utf8').split('\n').slice(-30).join('\n');
    process.stderr.write(`no callback (${outcome}); console tail:\n${tail}\n`);
    process.exitCode = 1;
  } else if (!valid) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
