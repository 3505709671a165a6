// The simulated nodes' PXE firmware: the boot script it understands, and both ways a boot
// goes (the kernel and initrd downloaded, then the ramdisk with the script's command line; or
// the local disk) against a local server.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundle } from '../../agent/build';
import { pxeBoot } from '../../sim/firmware';
import { BootScriptError, parseBootScript } from '../../sim/ipxe';

const TOKEN = 'vfVLIs3WHyW8zfvDxJgRPR4RTjnxHxEia8vNrm9R1BA';
const CMDLINE =
  'ipa-inspection-callback-url=http://10.60.1.1:5050/v1/continue ipa-inspection-collectors=default,logs ' +
  `BOOTIF=01-52-54-00-3c-00-01 ipa-agent-token=${TOKEN} initrd=initramfs`;
const scriptFrom = (base: string) =>
  ['#!ipxe', `kernel ${base}/ramdisk/vmlinuz ${CMDLINE}`, `initrd ${base}/ramdisk/initramfs`, 'boot', ''].join('\n');
const RAMDISK_SCRIPT = scriptFrom('http://10.60.1.1:5050');
const LOCAL_DISK_SCRIPT = '#!ipxe\necho 52:54:00:3c:00:01 is not being introspected: booting from the local disk\nexit\n';

describe('parseBootScript', () => {
  test('kernel, initrd, boot: the ramdisk and its command line as written', () => {
    expect(parseBootScript(RAMDISK_SCRIPT)).toEqual({
      boot: 'ramdisk',
      kernel: 'http://10.60.1.1:5050/ramdisk/vmlinuz',
      cmdline: CMDLINE,
      initrd: 'http://10.60.1.1:5050/ramdisk/initramfs',
    });
  });

  test('exit: the local disk, with what the script echoed', () => {
    expect(parseBootScript(LOCAL_DISK_SCRIPT)).toEqual({
      boot: 'local-disk',
      message: '52:54:00:3c:00:01 is not being introspected: booting from the local disk',
    });
  });

  test('commands run in order; comments, blank lines and CRLF are fine', () => {
    expect(parseBootScript('#!ipxe\r\n# a comment\r\n\r\ndhcp\r\nexit\r\nkernel http://x/k a=1\r\nboot\r\n')).toEqual({
      boot: 'local-disk',
      message: null,
    });
    expect(parseBootScript('#!ipxe\nkernel http://x/k\nboot\n')).toMatchObject({ boot: 'ramdisk', cmdline: '', initrd: null });
  });

  test.each([
    ['not iPXE', '<html>502</html>', /not an iPXE script/],
    ['boot without kernel', '#!ipxe\nboot\n', /boot before any kernel/],
    ['kernel without URL', '#!ipxe\nkernel\nboot\n', /kernel without a URL/],
    ['no decision', '#!ipxe\nkernel http://x/k a=1\n', /ends without boot or exit/],
  ])('%s', (_name, text, message) => {
    expect(() => parseBootScript(text)).toThrow(BootScriptError);
    expect(() => parseBootScript(text)).toThrow(message);
  });
});

describe('booting against a local boot service', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  let replies: { status: number; body: string }[];
  /** What /ramdisk/<file> answers. */
  let images: Record<string, { status: number; body: string }>;
  const requests: string[] = [];
  /** A "ramdisk" that records its arguments and the command line file it was given. */
  let ramdisk: string[];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'firmware-'));
    const script = path.join(dir, 'ramdisk.js');
    await fs.writeFile(
      script,
      `const fs = require('fs');
       const args = process.argv.slice(2);
       const cmdline = fs.readFileSync(args[args.indexOf('--cmdline-file') + 1], 'utf8');
       fs.writeFileSync(${JSON.stringify(path.join(dir, 'ran.json'))}, JSON.stringify({ args, cmdline }));
       process.exit(3);`,
    );
    ramdisk = [process.execPath, script, '--bmc-address', '127.0.60.11'];
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const image = req.url?.startsWith('/ramdisk/') ? images[req.url.slice('/ramdisk/'.length)] : undefined;
      const reply = image ?? (replies.length > 1 ? replies.shift()! : replies[0]);
      res.writeHead(reply.status, { 'content-type': 'text/plain' });
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    requests.length = 0;
    images = { vmlinuz: { status: 200, body: 'k'.repeat(100_000) }, initramfs: { status: 200, body: 'i'.repeat(300_000) } };
    await fs.rm(path.join(dir, 'ran.json'), { force: true });
  });

  const boot = (log: string[], scriptUrl = `${base}/boot/52-54-00-3c-00-01.ipxe`) =>
    pxeBoot({
      scriptUrl,
      cmdlineFile: path.join(dir, 'cmdline'),
      ramdisk,
      attempts: 3,
      attemptTimeoutMs: 1000,
      retryDelayMs: 10,
      log: (line) => log.push(line),
    });

  test('a kernel line: kernel and initrd downloaded, then the ramdisk runs with the script command line as its cmdline file', async () => {
    replies = [{ status: 503, body: 'starting' }, { status: 200, body: scriptFrom(base) }];
    const log: string[] = [];
    expect(await boot(log)).toBe(3); // the ramdisk's exit status
    expect(requests).toEqual(['/boot/52-54-00-3c-00-01.ipxe', '/boot/52-54-00-3c-00-01.ipxe', '/ramdisk/vmlinuz', '/ramdisk/initramfs']);
    const ran = JSON.parse(await fs.readFile(path.join(dir, 'ran.json'), 'utf8'));
    expect(ran).toEqual({
      args: ['--bmc-address', '127.0.60.11', '--cmdline-file', path.join(dir, 'cmdline')],
      cmdline: `${CMDLINE}\n`,
    });
    expect((await fs.stat(path.join(dir, 'cmdline'))).mode & 0o777).toBe(0o600);
    expect(log.join('\n')).toContain(`booting ${base}/ramdisk/vmlinuz`);
    expect(log.join('\n')).toContain('with an agent token');
    expect(log.join('\n')).not.toContain(TOKEN);
  });

  test('a download that fails fails the boot, as in iPXE: nothing run', async () => {
    replies = [{ status: 200, body: scriptFrom(base) }];
    images.initramfs = { status: 500, body: 'disk full' };
    const log: string[] = [];
    expect(await boot(log)).toBe(1);
    expect(log.at(-1)).toBe(`could not boot: ${base}/ramdisk/initramfs: HTTP 500; no bootable device`);
    await expect(fs.access(path.join(dir, 'ran.json'))).rejects.toThrow();
  });

  test('a boot service without a built ramdisk (404): the simulated node boots its own', async () => {
    replies = [{ status: 200, body: scriptFrom(base) }];
    images = { vmlinuz: { status: 404, body: 'not built' }, initramfs: { status: 404, body: 'not built' } };
    const log: string[] = [];
    expect(await boot(log)).toBe(3);
    expect(log.filter((l) => l.includes('is not built on the boot service'))).toHaveLength(2);
  });

  test('exit: booting from the local disk, nothing run', async () => {
    replies = [{ status: 200, body: LOCAL_DISK_SCRIPT }];
    const log: string[] = [];
    expect(await boot(log)).toBe(0);
    expect(log).toEqual([expect.stringMatching(/^no ramdisk to boot: booting from local disk/)]);
    await expect(fs.access(path.join(dir, 'ran.json'))).rejects.toThrow();
  });

  test('no boot service: a few tries, then no bootable device', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const log: string[] = [];
    expect(await boot(log, `http://127.0.0.1:${port}/boot/52-54-00-3c-00-01.ipxe`)).toBe(1);
    expect(log.filter((l) => l.startsWith('no boot script yet'))).toHaveLength(2);
    expect(log.at(-1)).toMatch(/^PXE boot failed: no boot script from .* after 3 tries: .*ECONNREFUSED.*; no bootable device$/);
  });

  test('a 404 is not retried', async () => {
    replies = [{ status: 404, body: 'no such thing' }];
    const log: string[] = [];
    expect(await boot(log)).toBe(1);
    expect(requests).toHaveLength(1);
    expect(log.at(-1)).toMatch(/answered HTTP 404; no bootable device$/);
  });

  test('the bundle runs with a bare node', async () => {
    const outfile = path.join(dir, 'firmware.js');
    await bundle(path.join(__dirname, '../../sim/firmware.ts'), outfile);
    replies = [{ status: 200, body: scriptFrom(base) }];
    const run = promisify(execFile);
    const failed = await run(process.execPath, [outfile, '--script-url', `${base}/boot/x.ipxe`, '--cmdline-file', path.join(dir, 'cmdline'), '--', ...ramdisk], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 3, stderr: expect.stringContaining(`pxe-firmware: booting ${base}/ramdisk/vmlinuz`) });
    expect(JSON.parse(await fs.readFile(path.join(dir, 'ran.json'), 'utf8')).cmdline).toBe(`${CMDLINE}\n`);
  });
});
