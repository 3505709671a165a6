import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main as cli } from '../../cli/main';
import { nodeDirName } from '../../sim/cleanup';
import { driverFor } from '../../sim/rack';
import { defaultHardware, readHardware, switchChassisId } from '../../sim/hardware';
import { startStackWithRack, type StackWithRack } from '../support/rack';
import { http, waitFor, type Stack } from '../support/stack';

// Acceptance of a small simulated rack against what was ordered: nodes with boards of their own
// (DIMMs, disks, BIOS, a cable to the rack's leaf switch sending LLDP). The rack's profile orders
// what the sim builds; a more specific one (rack + resource class) orders more memory than node 2
// has; the cabling plan puts node 2 on a port its cable is not on; node 3's rack has neither.
// A bulk run, then its report in the API and the CLI.

const NET = 100;
const PREFIX = 'acc';
// What the sim builds for each node, read from the sim's own definition (the stack reads the
// profiles when it starts, before the rack exists; the nodes' hardware files are checked against it).
const hw = [1, 2, 3].map((i) => defaultHardware(PREFIX, NET, i));
const installedMib = (i: number) => hw[i].dimm_slots.reduce((sum, s) => sum + (s.dimm?.size_mb ?? 0), 0);
const WRONG_PORT = `${hw[1].cable!.port}0`;

let env: StackWithRack;
let stack: Stack;
let dir: string;
let names: string[];
let uuids: string[];
let bulkId: string;

function writeOrder() {
  const profiles = path.join(dir, 'profiles');
  fs.mkdirSync(profiles);
  fs.writeFileSync(
    path.join(profiles, 'rack.yaml'),
    [
      'name: as ordered',
      'match: {rack: r-acc}',
      'cpu: {min_count: 1}',
      `memory: {min_mib: ${installedMib(0)}}`,
      `disks: {count: ${hw[0].disks.length}}`,
      `firmware: {bios_min: "${hw[0].bios.version}"}`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(profiles, 'big.json'), JSON.stringify({ name: 'big memory', match: { rack: 'r-acc', resource_class: 'big' }, memory: { min_mib: installedMib(1) + 16384 } }));
  const plan = path.join(dir, 'cabling.csv');
  fs.writeFileSync(
    plan,
    [
      'node,nic,switch,port',
      `${nodeDirName(PREFIX, 1)},eth0,${hw[0].cable!.switch},${hw[0].cable!.port}`, // by switch name: as cabled
      `${nodeDirName(PREFIX, 2)},52:54:00:${NET.toString(16)}:00:02,${switchChassisId(hw[1].cable!.switch)},${WRONG_PORT}`, // by MAC and chassis id: another port
      '',
    ].join('\n'),
  );
  return { ACCEPTANCE_PROFILES_DIR: profiles, CABLING_PLAN_FILE: plan };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acceptance-e2e-'));
  env = await startStackWithRack(
    19573,
    { INTROSPECTION_TIMEOUT: '120', AGENT_COLLECTORS: 'default,lldp', ...writeOrder() },
    { count: 3, prefix: PREFIX, net: NET, boards: true, lldpIntervalSeconds: 0.5 },
  );
  stack = env.stack;
  names = env.rack.nodes.map((n) => n.name);
  const extras = [{ rack: 'r-acc' }, { rack: 'r-acc' }, { rack: 'r-other' }];
  uuids = [];
  for (const [i, node] of env.rack.nodes.entries()) {
    const created = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: node.name, ...driverFor(node), extra: extras[i], ...(i === 1 ? { resource_class: 'big' } : {}) });
    expect(created.status).toBe(201);
    uuids.push(created.body.uuid);
  }
}, 180000);

afterAll(async () => {
  await env?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the rack is what the sim was told to build', () => {
  expect(names).toEqual([1, 2, 3].map((i) => nodeDirName(PREFIX, i)));
  expect(env.rack.nodes[1].mac).toBe(`52:54:00:${NET.toString(16)}:00:02`);
  env.rack.nodes.forEach((node, i) => expect(readHardware(node.dir)).toEqual(hw[i]));
});

test('a bulk run ends with a report per rack: conforming, not conforming and why, miscabled, not checked', async () => {
  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: names, concurrency: 3 });
  expect(started.status).toBe(202);
  bulkId = started.body.bulk_id;
  const final = await waitFor(`bulk ${bulkId} to end`, async () => {
    const b = (await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${bulkId}`)).body;
    return b.state === 'running' ? undefined : b;
  }, 240000, 500);
  expect(final).toMatchObject({ state: 'finished', finished: 3, failed: 0 });

  // The processed data carries each node's acceptance; its memory is what the report names.
  const data = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuids[1]}/data`)).body;
  expect(data.inventory.memory.physical_mb).toBe(installedMib(1));
  expect(data.acceptance).toMatchObject({ status: 'fail', profile: 'big memory', planned_ports: 1, rack: 'r-acc' });
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuids[0]}/data`)).body.acceptance).toMatchObject({ status: 'pass', profile: 'as ordered' });

  const report = await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${bulkId}/report`);
  expect(report.status).toBe(200);
  const seenSwitch = hw[1].cable!.switch;
  expect(report.body).toEqual({
    bulk_id: bulkId,
    state: 'finished',
    racks: [
      {
        rack: 'r-acc',
        conforming: 1,
        not_conforming: 1,
        not_checked: 0,
        failed_introspection: 0,
        skipped: 0,
        in_progress: 0,
        non_conforming_nodes: [
          {
            uuid: uuids[1],
            name: names[1],
            profile: 'big memory',
            differences: [
              { field: 'memory.mib', expected: `>= ${installedMib(1) + 16384}`, actual: String(installedMib(1)) },
              { field: 'nics[eth0].cabling', expected: `${switchChassisId(seenSwitch)} ${WRONG_PORT}`, actual: `${seenSwitch} ${hw[1].cable!.port}` },
            ],
          },
        ],
        failed_nodes: [],
        miscabled_ports: [
          { uuid: uuids[1], name: names[1], nic: 'eth0', expected_switch: switchChassisId(seenSwitch), expected_port: WRONG_PORT, seen_switch: seenSwitch, seen_port: hw[1].cable!.port },
        ],
      },
      expect.objectContaining({ rack: 'r-other', conforming: 0, not_conforming: 0, not_checked: 1, failed_introspection: 0 }),
    ],
  });
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/not-a-uuid/report`)).body.error.message).toMatch(/^id: must be a bulk id/);
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/00000000-0000-4000-8000-000000000000/report`)).status).toBe(404);
}, 300000);

test('introspector report --bulk: a table, --json and --csv of the same report', async () => {
  expect(bulkId).toBeDefined();
  const run = async (...args: string[]) => {
    const out = { text: '', write(t: string) { this.text += t; return true; } };
    const err = { text: '', write(t: string) { this.text += t; return true; } };
    const code = await cli(['--inspector-url', stack.inspectorUrl, ...args], { stdout: out, stderr: err, env: { PATH: process.env.PATH, INTROSPECTOR_DATA_DIR: stack.dataDir } });
    return { code, out: out.text, err: err.text };
  };
  const table = await run('report', '--bulk', bulkId);
  expect(table.code).toBe(1); // a node does not conform
  expect(table.out).toMatch(/\nr-acc\s+1\s+1\s+0\s+0\s+0\s+0\nr-other\s+0\s+0\s+1\s+0\s+0\s+0\n/);
  expect(table.out).toMatch(new RegExp(`${names[1]}\\s+big memory\\s+memory\\.mib\\s+>= ${installedMib(1) + 16384}\\s+${installedMib(1)}\\n`));
  expect(table.out).toContain(`Miscabled ports (1):`);
  expect(table.out).toMatch(new RegExp(`${names[1]}\\s+eth0\\s+${switchChassisId(hw[1].cable!.switch)} ${WRONG_PORT}\\s+${hw[1].cable!.switch} ${hw[1].cable!.port.replace('/', '\\/')}\\n`));

  const json = await run('--json', 'report', '--bulk', bulkId);
  expect(JSON.parse(json.out)).toEqual((await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${bulkId}/report`)).body);

  const csv = await run('report', '--bulk', bulkId, '--csv');
  expect(csv.out.split('\r\n')).toEqual([
    'rack,node,uuid,profile,field,expected,actual',
    `r-acc,${names[1]},${uuids[1]},big memory,memory.mib,>= ${installedMib(1) + 16384},${installedMib(1)}`,
    `r-acc,${names[1]},${uuids[1]},big memory,nics[eth0].cabling,${switchChassisId(hw[1].cable!.switch)} ${WRONG_PORT},${hw[1].cable!.switch} ${hw[1].cable!.port}`,
    '',
  ]);
}, 60000);
