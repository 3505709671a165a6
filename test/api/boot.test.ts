import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { bootRoutes } from '../../api/boot';
import type { BootPhaseReports } from '../../api/boot-phases';
import { errorHandler } from '../../api/errors';
import { loadConfig } from '../../common/config';
import type { NodeRegistry } from '../../nodes';
import { parseBootScript } from '../../sim/ipxe';

// The boot service alone, over a registry stand-in: which script each MAC gets, and the files.

const KNOWN = { '52:54:00:00:00:01': 'node-with-run', '52:54:00:00:00:02': 'node-without-run' } as Record<string, string>;
const registry = {
  listPorts: async (_node: undefined, query: { address: string }) => (KNOWN[query.address] ? [{ node_uuid: KNOWN[query.address] }] : []),
  runs: { tokenOf: async (uuid: string) => (uuid === 'node-with-run' ? 'T'.repeat(43) : undefined) },
} as unknown as NodeRegistry;

/** What the boot service told about each MAC's boot. */
const served: [string, string][] = [];
const phases = {
  served: (mac: string, phase: string) => served.push([mac, phase]),
  servedTo: (nodeUuid: string, phase: string) => served.push([nodeUuid, phase]),
} as unknown as BootPhaseReports;

let server: http.Server;
let url: string;
const ramdisk = fs.mkdtempSync(path.join(os.tmpdir(), 'ramdisk-'));

beforeAll(async () => {
  fs.writeFileSync(path.join(ramdisk, 'vmlinuz'), 'kernel bytes');
  fs.writeFileSync(path.join(ramdisk, 'secret'), 'not for anyone');
  const app = express();
  app.use(bootRoutes(loadConfig({ RAMDISK_DIR: ramdisk, AGENT_COLLECTORS: 'default,logs' }), registry, phases));
  app.use(errorHandler('inspector'));
  await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => served.splice(0));
/** A response's `finish` may come after its client has read it. */
const afterFinish = () => new Promise((resolve) => setImmediate(resolve));

/** GET with a chosen Host header (fetch will not send one). */
function get(p: string, host = url.slice('http://'.length)): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${p}`, { headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

test('a node being introspected boots the ramdisk with its run token; its script is never cached', async () => {
  const res = await get('/boot/52-54-00-00-00-01.ipxe', 'pxe.example:5050');
  const script = parseBootScript(res.body);
  expect(script).toMatchObject({
    boot: 'ramdisk',
    kernel: 'http://pxe.example:5050/ramdisk/52-54-00-00-00-01/vmlinuz',
    initrd: 'http://pxe.example:5050/ramdisk/52-54-00-00-00-01/initramfs',
  });
  expect(script.boot === 'ramdisk' && script.cmdline.split(' ')).toEqual([
    'ipa-inspection-callback-url=http://pxe.example:5050/v1/continue',
    'ipa-inspection-collectors=default,logs',
    'BOOTIF=01-52-54-00-00-00-01',
    `ipa-agent-token=${'T'.repeat(43)}`,
    'initrd=initramfs',
  ]);
  expect(res.headers['cache-control']).toBe('no-store');
  await afterFinish();
  expect(served).toEqual([['node-with-run', 'script_fetched']]); // the node the script was for, looked up once
});

test('a MAC nobody enrolled boots the ramdisk without a token; a known node not being introspected boots from disk', async () => {
  const unknown = parseBootScript((await get('/boot/52:54:00:00:00:99.ipxe')).body);
  expect(unknown.boot === 'ramdisk' && unknown.cmdline).not.toMatch(/ipa-agent-token/);
  expect(parseBootScript((await get('/boot/01-52-54-00-00-00-02.ipxe')).body).boot).toBe('local-disk');
  expect((await get('/boot.ipxe')).body).toMatch(/^#!ipxe\nchain boot\/\$\{net0\/mac:hexhyp\}\.ipxe/);
  await afterFinish();
  expect(served).toEqual([]); // no run to tell
});

test('a script name that is no MAC, or a Host header that is no host, is a 400 naming it', async () => {
  const bad = await get('/boot/not-a-mac.ipxe');
  expect(bad.status).toBe(400);
  expect(JSON.parse(bad.body).error.message).toMatch(/^mac: /);
  const host = await get('/boot/52-54-00-00-00-01.ipxe', 'evil host ipa-agent-token=x');
  expect(host.status).toBe(400);
  expect(JSON.parse(host.body).error.message).toMatch(/^Host: /);
});

test('the kernel and ramdisk are served by their fixed names only; a missing one says how to build it', async () => {
  const kernel = await get('/ramdisk/vmlinuz');
  expect([kernel.status, kernel.body]).toEqual([200, 'kernel bytes']);
  const missing = await get('/ramdisk/initramfs');
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.body).error.message).toMatch(/npm run build:ramdisk/);
  for (const p of ['/ramdisk/secret', '/ramdisk/..%2fsecret', '/ramdisk/%2e%2e/secret']) expect((await get(p)).status).toBe(404);
});

test("under a MAC's path the files tell that node's run how far its boot got, when served whole", async () => {
  const kernel = await get('/ramdisk/52-54-00-00-00-01/vmlinuz');
  expect([kernel.status, kernel.body]).toEqual([200, 'kernel bytes']);
  expect((await get('/ramdisk/52-54-00-00-00-01/initramfs')).status).toBe(404);
  expect((await get('/ramdisk/not-a-mac/vmlinuz')).status).toBe(400);
  expect((await get('/ramdisk/52-54-00-00-00-01/secret')).status).toBe(404);
  await afterFinish();
  expect(served).toEqual([['52:54:00:00:00:01', 'kernel_fetched']]);
});
