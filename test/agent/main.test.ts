// The agent end to end: flags -> collection on a fake tree -> POST to a local
// server -> exit code.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { IntrospectionDataSchema } from '../../common/inventory';
import { EXIT, type MainDeps, main } from '../../agent/main';
import { SERVER_TREE, captureLogger, makeTree, removeTree } from './helpers';
import { type ScriptedServer, scriptedServer } from './server';

let root: string;
let cmdlineFile: string;
let server: ScriptedServer | null = null;

beforeAll(async () => {
  root = await makeTree(SERVER_TREE);
  cmdlineFile = path.join(root, 'cmdline');
  await fs.writeFile(cmdlineFile, 'BOOT_IMAGE=vmlinuz BOOTIF=01-aa-bb-cc-dd-ee-01 ipa-inspection-collectors=default,pci-devices\n');
});
afterAll(() => removeTree(root));
afterEach(async () => {
  await server?.close();
  server = null;
});

function deps(extra: Partial<MainDeps> = {}) {
  const log = captureLogger();
  let stdout = '';
  return {
    log,
    stdout: () => stdout,
    deps: {
      env: {},
      log,
      stdout: (text: string) => {
        stdout += text;
      },
      context: { root, hostname: () => 'node-7', machine: () => 'x86_64' },
      delivery: { baseDelayMs: 5, maxDelayMs: 20 },
      ...extra,
    } satisfies MainDeps,
  };
}

const argv = (...flags: string[]) => ['node', 'agent/main.ts', '--cmdline-file', cmdlineFile, ...flags];

test('delivered: exit 0, payload as the simulated rack sends it', async () => {
  server = await scriptedServer([{ status: 503 }, { status: 200, body: { uuid: 'c0ffee00-0000-4000-8000-000000000007' } }]);
  const t = deps();
  const code = await main(argv('--callback-url', server.url, '--bmc-address', '127.0.10.7'), t.deps);
  expect(code).toBe(EXIT.OK);
  expect(server.received).toHaveLength(2);
  const payload = JSON.parse(server.received[1].body);
  expect(IntrospectionDataSchema.safeParse(payload).success).toBe(true);
  expect(payload.inventory).toMatchObject({
    bmc_address: '127.0.10.7',
    hostname: 'node-7',
    boot: { current_boot_mode: 'uefi', pxe_interface: 'aa:bb:cc:dd:ee:01' },
  });
  expect(payload.boot_interface).toBe('aa:bb:cc:dd:ee:01');
  expect(payload.configuration.collectors).toEqual(['default', 'pci-devices']);
  expect(payload.pci_devices).toHaveLength(2);
  expect(payload.inventory.interfaces.find((i: { name: string }) => i.name === 'eno1').pxe_enabled).toBe(true);
  expect(t.log.text()).toContain('introspection data delivered');
});

test('environment settings are used when there are no flags', async () => {
  server = await scriptedServer([{ status: 200, body: {} }]);
  const t = deps({ env: { IPA_INSPECTION_CALLBACK_URL: server.url, INTROSPECTOR_AGENT_BMC_ADDRESS: '127.0.10.8' } });
  expect(await main(argv(), t.deps)).toBe(EXIT.OK);
  expect(JSON.parse(server.received[0].body).inventory.bmc_address).toBe('127.0.10.8');
});

test('rejected (400): exit 3, server message logged, no retry', async () => {
  server = await scriptedServer([{ status: 400, body: { error: { message: 'Could not find node for MACs aa:bb:cc:dd:ee:01' } } }]);
  const t = deps();
  expect(await main(argv('--callback-url', server.url), t.deps)).toBe(EXIT.REJECTED);
  expect(server.received).toHaveLength(1);
  expect(t.log.text()).toContain('Could not find node for MACs aa:bb:cc:dd:ee:01');
});

test('deadline exceeded: exit 4', async () => {
  server = await scriptedServer([{ status: 500, body: { error: { message: 'boom' } } }]);
  const t = deps();
  expect(await main(argv('--callback-url', server.url, '--deadline', '0.3'), t.deps)).toBe(EXIT.DEADLINE);
  expect(server.received.length).toBeGreaterThan(1);
});

test('collection broken: exit 1, the error is still reported', async () => {
  server = await scriptedServer([{ status: 200, body: {} }]);
  const t = deps();
  t.deps.context = {
    ...t.deps.context,
    hostname: () => {
      throw new Error('no hostname');
    },
  };
  expect(await main(argv('--callback-url', server.url), t.deps)).toBe(EXIT.COLLECTION_FAILED);
  expect(server.received).toHaveLength(1);
  // The error, and what identifies the machine so the server can record it against the node.
  expect(JSON.parse(server.received[0].body)).toEqual({
    error: 'inventory collection failed: no hostname',
    collector_errors: { default: 'no hostname' },
    boot_interface: 'aa:bb:cc:dd:ee:01',
  });
});

test('dry run prints the payload and posts nothing', async () => {
  const t = deps();
  expect(await main(argv('--dry-run', '--collectors', 'default'), t.deps)).toBe(EXIT.OK);
  const payload = JSON.parse(t.stdout());
  expect(IntrospectionDataSchema.safeParse(payload).success).toBe(true);
  expect(payload.configuration.collectors).toEqual(['default']);
});

test.each([
  ['no callback URL', ['--collectors', 'default']],
  ['unknown collector', ['--dry-run', '--collectors', 'default,bogus']],
  ['unknown flag', ['--dry-run', '--bogus']],
  ['bad deadline', ['--dry-run', '--deadline', '-1']],
])('bad settings (%s): exit 2', async (_name, flags) => {
  const t = deps();
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await main(argv(...flags), t.deps)).toBe(EXIT.BAD_SETTINGS);
  } finally {
    spy.mockRestore();
  }
});

test('unreadable --cmdline-file: exit 2', async () => {
  const t = deps();
  const missing = path.join(os.tmpdir(), 'definitely-missing-cmdline');
  expect(await main(['node', 'agent', '--dry-run', '--cmdline-file', missing], t.deps)).toBe(EXIT.BAD_SETTINGS);
});

describe('the run token', () => {
  const TOKEN = 'vfVLIs3WHyW8zfvDxJgRPR4RTjnxHxEia8vNrm9R1BA';
  let tokenCmdline: string;
  beforeAll(async () => {
    tokenCmdline = path.join(root, 'cmdline-token');
    await fs.writeFile(tokenCmdline, `BOOTIF=01-aa-bb-cc-dd-ee-01 ipa-inspection-collectors=default,logs ipa-agent-token=${TOKEN}\n`);
  });

  test('sent as X-Agent-Token, never in the body, the logs it reports or its own log', async () => {
    server = await scriptedServer([{ status: 200, body: {} }]);
    const t = deps();
    // dmesg carries the kernel command line; the journal here quotes the bare token too.
    t.deps.context = {
      ...t.deps.context,
      which: async (c: string) => `/bin/${c}`,
      exec: async (cmd: string) => {
        if (cmd.endsWith('dmesg')) return { code: 0, stdout: `[0.0] Kernel command line: ro ipa-agent-token=${TOKEN} quiet\n`, stderr: '' };
        if (cmd.endsWith('journalctl')) return { code: 0, stdout: `agent: token was ${TOKEN}\n`, stderr: '' };
        return { code: 1, stdout: '', stderr: '' };
      },
    };
    expect(await main(['node', 'agent', '--cmdline-file', tokenCmdline, '--callback-url', server.url], t.deps)).toBe(EXIT.OK);
    // First the start report, with the token and nothing else; then the data.
    const [started, request] = server.received;
    expect([started.url, started.headers['x-agent-token'], started.body]).toEqual(['/v1/continue/started', TOKEN, '']);
    expect(request.url).toBe('/v1/continue');
    expect(request.headers['x-agent-token']).toBe(TOKEN);
    expect(request.body).not.toContain(TOKEN);
    const archive = zlib.gunzipSync(Buffer.from(JSON.parse(request.body).logs, 'base64')).toString();
    expect(archive).toContain('ipa-agent-token=****** quiet');
    expect(archive).toContain('token was ******');
    expect(t.log.text()).not.toContain(TOKEN);
    expect(t.log.lines.find((l) => l.message === 'starting')?.fields?.agent_token).toBe('present (cmdline)');
  });

  test('from IPA_AGENT_TOKEN; no header without a token', async () => {
    server = await scriptedServer([{ status: 200, body: {} }]);
    expect(await main(argv('--callback-url', server.url), deps({ env: { IPA_AGENT_TOKEN: TOKEN } }).deps)).toBe(EXIT.OK);
    expect(server.received[1].headers['x-agent-token']).toBe(TOKEN);
    // Without a token there is no start report either: it could not say whose agent started.
    expect(await main(argv('--callback-url', server.url), deps().deps)).toBe(EXIT.OK);
    expect(server.received.slice(2).map((r) => [r.url, r.headers['x-agent-token']])).toEqual([['/v1/continue', undefined]]);
  });

  test('there is no flag for it (it would show in ps)', async () => {
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(argv('--dry-run', '--agent-token', TOKEN), deps().deps)).toBe(EXIT.BAD_SETTINGS);
    } finally {
      spy.mockRestore();
    }
  });
});
