import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { parseKernelCmdline } from '../../agent/settings';
import { main as cli } from '../../cli/main';
import { diffHardware } from '../../common/hardware-diff';
import type { SimNode } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, type Stack } from '../support/stack';

// A node's history against the real stack: a simulated node introspected twice and reapplied
// once keeps each run's raw and processed data under names of its own (HISTORY_KEEP=2: the
// third run lets the first go), each readable back with the hash the list gives, diffed, and
// shown by the CLI; neither the agent's token nor the BMC password is in any of it.

const BASE_PORT = 19513; // Temporal 19513-19515, S3 19523
const BMC_PASSWORD = 'Hist0ry-bmc-secret';

let env: StackWithRack;
let stack: Stack;
let node: SimNode;
let uuid: string;
let s3: S3Client;
/** The run token each boot's kernel command line carried. */
const tokens: string[] = [];

beforeAll(async () => {
  env = await startStackWithRack(BASE_PORT, { INTROSPECTION_TIMEOUT: '90', HISTORY_KEEP: '2' }, { count: 1, prefix: 'hist', net: 98, password: BMC_PASSWORD });
  stack = env.stack;
  node = env.rack.nodes[0];
  const { config } = stack;
  s3 = new S3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: config.S3_ACCESS_KEY, secretAccessKey: config.S3_SECRET_KEY },
  });
}, 180000);

afterAll(async () => {
  s3?.destroy();
  await env?.stop();
});

const inspector = (suffix: string) => http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}${suffix}`);

/** An object's bytes as S3 holds them; undefined when there is none. */
async function objectText(key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: stack.config.S3_BUCKET, Key: key }));
    return await out.Body!.transformToString();
  } catch (err) {
    if (err instanceof NoSuchKey) return undefined;
    throw err;
  }
}

const historyKeys = (runId: string) => [`inspector_data-${uuid}-history/${runId}`, `inspector_data-${uuid}-history/${runId}-UNPROCESSED`];

async function introspect(): Promise<void> {
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  expect(await introspectionEnded(stack, uuid, 90000, 100)).toMatchObject({ state: 'finished', error: null });
  const token = parseKernelCmdline(fs.readFileSync(path.join(node.dir, 'cmdline'), 'utf8'))['ipa-agent-token'];
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  tokens.push(token);
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(BMC_PASSWORD);
  for (const token of tokens) expect(text).not.toContain(token);
}

/** The runs whose data the node's history prefix holds, from the S3 listing. */
async function runIds(): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: stack.config.S3_BUCKET, Prefix: `inspector_data-${uuid}-history/` }));
  return [...new Set((out.Contents ?? []).map((o) => o.Key!.split('/')[1].replace(/-UNPROCESSED$/, '')))];
}

test('two introspections: two entries, newest first, each read back with the hash and sizes listed; the latest is inspector_data-<uuid>', async () => {
  uuid = await enrollSimNode(stack, node, { port: true }); // its MAC known: the boot script gives its agent the run's token
  await introspect();
  const one = await inspector('/diff');
  expect([one.status, one.body.error.message]).toEqual([409, `node ${uuid} has one introspection in its history: a diff needs two (introspect or reapply it again)`]);
  await introspect();

  const listed = await inspector('/history');
  expect(listed.status).toBe(200);
  const entries = listed.body.history;
  expect(entries.map((e: any) => [e.id, e.source, e.uuid])).toEqual([
    [2, 'introspection', uuid],
    [1, 'introspection', uuid],
  ]);
  expect(Date.parse(entries[0].started_at)).toBeGreaterThan(Date.parse(entries[1].finished_at));
  expect(Date.parse(entries[0].finished_at)).toBeGreaterThan(Date.parse(entries[0].started_at));

  expect((await runIds()).sort()).toEqual(entries.map((e: any) => e.run_id).sort());
  // Each accepted post went once it was the node's raw data and in its history.
  expect((await s3.send(new ListObjectsV2Command({ Bucket: stack.config.S3_BUCKET, Prefix: `received/${uuid}/` }))).KeyCount ?? 0).toBe(0);
  for (const entry of entries) {
    const [processed, raw] = await Promise.all(historyKeys(entry.run_id).map(async (key) => (await objectText(key))!));
    expect(createHash('sha256').update(processed).digest('hex')).toBe(entry.sha256);
    expect(Buffer.byteLength(processed)).toBe(entry.processed_bytes);
    expect(Buffer.byteLength(raw)).toBe(entry.unprocessed_bytes);
    expect((await inspector(`/history/${entry.id}`)).body).toEqual(JSON.parse(processed));
    expect((await inspector(`/history/${entry.id}/unprocessed`)).body).toEqual(JSON.parse(raw));
    expectNoSecret(processed);
    expectNoSecret(raw);
  }
  expectNoSecret(JSON.stringify(listed.body));
  const latest = await inspector('/history/2');
  expect((await inspector('/data')).body).toEqual(latest.body);
  expect(latest.body.inventory.interfaces.map((i: any) => i.mac_address)).toContain(node.mac);
  expect((await inspector('/data/unprocessed')).body).toEqual((await inspector('/history/2/unprocessed')).body);
}, 240000);

test('ids and queries are checked: 400 naming the parameter, 404 for an id the node has not', async () => {
  for (const [suffix, status, message] of [
    ['/history/abc', 400, /^id: must be the id of an introspection/],
    ['/history/0/unprocessed', 400, /^id: /],
    ['/history/9', 404, new RegExp(`^id: node ${uuid} has no introspection 9 in its history`)],
    ['/history?marker=7', 404, /^marker: /],
    ['/history?limit=2&marker=2', 200, undefined],
    ['/history?sort=id', 400, /sort/],
    ['/diff?from=x', 400, /^from: /],
    ['/diff?from=1&to=8', 404, /^to: node .* has no introspection 8/],
  ] as const) {
    const res = await inspector(suffix);
    expect([suffix, res.status]).toEqual([suffix, status]);
    if (message) expect(res.body.error.message).toMatch(message);
  }
  expect((await inspector('/history?limit=2&marker=2')).body.history.map((e: any) => e.id)).toEqual([1]);

  const other = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: 'never-introspected', driver: 'fake' });
  const none = await http('GET', `${stack.inspectorUrl}/v1/introspection/${other.body.uuid}/diff`);
  expect(none.status).toBe(409);
  expect(none.body.error.message).toBe(`node ${other.body.uuid} has no introspection in its history yet: a diff needs two`);
  const before = await inspector('/diff?to=1');
  expect(before.status).toBe(409);
  expect(before.body.error.message).toBe(`node ${uuid} has no introspection before 1 in its history: name one with from`);
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/${other.body.uuid}/history`)).body).toEqual({ history: [] });
});

test('the diff route compares the previous and the latest by default, or the two named', async () => {
  const res = await inspector('/diff');
  expect(res.status).toBe(200);
  expect([res.body.from.id, res.body.to.id]).toEqual([1, 2]);
  const [one, two] = [(await inspector('/history/1')).body, (await inspector('/history/2')).body];
  expect(res.body.diff).toEqual(diffHardware(one, two));
  const reversed = await inspector('/diff?from=2&to=1');
  expect([reversed.body.from.id, reversed.body.to.id]).toEqual([2, 1]);
  expect((await inspector('/diff?to=2')).body.from.id).toBe(1);
  expectNoSecret(JSON.stringify(res.body));
});

test('a reapply is a third entry; HISTORY_KEEP=2 lets the first go (its objects and its row), the latest data stays', async () => {
  const before = await runIds();
  const first = (await inspector('/history')).body.history[1];
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`)).status).toBe(202);
  expect(await introspectionEnded(stack, uuid, 60000, 100)).toMatchObject({ state: 'finished', error: null });

  const entries = (await inspector('/history')).body.history;
  expect(entries.map((e: any) => [e.id, e.source])).toEqual([
    [3, 'reapply'],
    [2, 'introspection'],
  ]);
  expect((await runIds()).sort()).toEqual(entries.map((e: any) => e.run_id).sort());
  // Each accepted post went once it was the node's raw data and in its history.
  expect((await s3.send(new ListObjectsV2Command({ Bucket: stack.config.S3_BUCKET, Prefix: `received/${uuid}/` }))).KeyCount ?? 0).toBe(0);
  expect(before).toContain(first.run_id);
  for (const key of historyKeys(first.run_id)) expect(await objectText(key)).toBeUndefined();
  expect((await inspector(`/history/${first.id}`)).status).toBe(404);
  expect((await inspector('/diff')).body.from.id).toBe(2);
  // The latest is still what a reapply made.
  expect(createHash('sha256').update((await objectText(`inspector_data-${uuid}`))!).digest('hex')).toBe(entries[0].sha256);
}, 120000);

test('the CLI lists the history as a table and prints the diff', async () => {
  const cliEnv = { PATH: process.env.PATH, INTROSPECTOR_DATA_DIR: stack.dataDir };
  const capture = () => ({ text: '', write(t: string) { this.text += t; return true; } });
  const urls = ['--inspector-url', stack.inspectorUrl, '--node-url', stack.nodeUrl];
  const entries = (await inspector('/history')).body.history;

  const out = capture();
  expect(await cli([...urls, 'introspection', 'history', node.name], { stdout: out, stderr: capture(), env: cliEnv })).toBe(0);
  const lines = out.text.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^ID\s+FINISHED\s+SOURCE\s+SHA256$/);
  expect(lines.slice(1)).toEqual(entries.map((e: any) => expect.stringMatching(new RegExp(`^${e.id}\\s+${e.finished_at}\\s+${e.source}\\s+${e.sha256}$`))));

  const diff = capture();
  expect(await cli([...urls, 'introspection', 'diff', node.name, '--from', '2', '--to', '3'], { stdout: diff, stderr: capture(), env: cliEnv })).toBe(0);
  expect(diff.text).toMatch(new RegExp(`^${node.name}: from introspection 2 \\(introspection, \\S+\\) to 3 \\(reapply, \\S+\\)\n`));
  // the same raw data processed again: no hardware change
  expect(diff.text).toContain('no hardware change');

  const json = capture();
  expect(await cli([...urls, 'introspection', 'diff', node.name, '--json'], { stdout: json, stderr: capture(), env: cliEnv })).toBe(0);
  expect(JSON.parse(json.text)).toMatchObject({ from: { id: 2 }, to: { id: 3 }, diff: { changes: [] } });
});
