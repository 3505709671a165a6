import { main as cli } from '../../cli/main';
import { applyChange, defaultHardware, readHardware, writeHardware } from '../../sim/hardware';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, type Stack } from '../support/stack';

// Fleet queries over really introspected nodes: two simulated servers with boards of their own
// (DIMMs, disks, a cable to the rack's leaf switch sending LLDP), one with a DIMM removed before
// its introspection; the API and the CLI find the right one by memory, by switch port, and both
// by disk count.

const NET = 101;
const PREFIX = 'fq';
const hw = [1, 2].map((i) => defaultHardware(PREFIX, NET, i));
const fullMib = hw[0].dimm_slots.reduce((sum, s) => sum + (s.dimm?.size_mb ?? 0), 0);

let env: StackWithRack;
let stack: Stack;
let uuids: string[];
let names: string[];

beforeAll(async () => {
  env = await startStackWithRack(19603, { INTROSPECTION_TIMEOUT: '120', AGENT_COLLECTORS: 'default,lldp' }, { count: 2, prefix: PREFIX, net: NET, boards: true, lldpIntervalSeconds: 0.5 });
  stack = env.stack;
  const second = env.rack.nodes[1];
  writeHardware(second.dir, applyChange(readHardware(second.dir), { op: 'remove-dimm', locator: 'A1' }).hardware);
  names = env.rack.nodes.map((n) => n.name);
  uuids = [];
  for (const node of env.rack.nodes) uuids.push(await enrollSimNode(stack, node, { port: true }));
}, 180000);

afterAll(() => env?.stop());

const query = async (expr: string, extra = '') => http('GET', `${stack.inspectorUrl}/v1/fleet/query?expr=${encodeURIComponent(expr)}${extra}`);

async function run(...args: string[]) {
  const out = { text: '', write(t: string) { this.text += t; return true; } };
  const err = { text: '', write(t: string) { this.text += t; return true; } };
  const code = await cli(['--inspector-url', stack.inspectorUrl, ...args], { stdout: out, stderr: err, env: { PATH: process.env.PATH, INTROSPECTOR_DATA_DIR: stack.dataDir } });
  return { code, out: out.text, err: err.text };
}

test('after introspecting two nodes, the API and the CLI find the right ones', async () => {
  for (const uuid of uuids) expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  for (const uuid of uuids) expect(await introspectionEnded(stack, uuid, 240000, 200)).toMatchObject({ state: 'finished', error: null });

  const small = await query(`memory_mb < ${fullMib}`);
  expect(small.status).toBe(200);
  expect(small.body).toEqual({ nodes: [{ uuid: uuids[1], name: names[1], fields: { memory_mb: fullMib - 16384 } }] });

  const onPort = await query(`any(interfaces, lldp.switch_port == ${JSON.stringify(hw[0].cable!.port)})`);
  expect(onPort.body.nodes.map((n: { uuid: string }) => n.uuid)).toEqual([uuids[0]]);
  expect(onPort.body.nodes[0].fields['interfaces[].lldp.switch_port']).toContain(hw[0].cable!.port);

  const both = await query(`count(disks) >= ${hw[0].disks.length} and cpus >= 1`);
  expect(both.body.nodes.map((n: { uuid: string }) => n.uuid).sort()).toEqual([...uuids].sort());
  const page = await query('count(disks) >= 1', '&limit=1');
  expect(page.body.nodes).toHaveLength(1);
  expect(page.body.next).toBe(page.body.nodes[0].uuid);

  const bad = await query('memory_mb <');
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toBe('expr: at position 11: expected a value, a field or "(", found the end of the expression');
  const hostile = await query('('.repeat(3000));
  expect(hostile.status).toBe(400);
  expect(hostile.body.error.message).toMatch(/nested deeper than/);

  const table = await run('nodes', 'query', `memory_mb < ${fullMib}`);
  expect(table.code).toBe(0);
  expect(table.out).toMatch(new RegExp(`^UUID\\s+NAME\\s+MEMORY_MB\\n${uuids[1]}\\s+${names[1]}\\s+${fullMib - 16384}\\n$`));
  const json = await run('--json', 'nodes', 'query', `any(interfaces, lldp.switch_port == ${JSON.stringify(hw[1].cable!.port)})`);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.out).nodes.map((n: { name: string }) => n.name)).toEqual([names[1]]);
  const error = await run('nodes', 'query', 'cpus >');
  expect(error.code).toBe(1);
  expect(error.err).toContain('at position 6');
}, 400000);
