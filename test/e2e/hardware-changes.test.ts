import fs from 'node:fs';
import path from 'node:path';
import type { SimNode } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, waitFor, type Stack } from '../support/stack';

// What changed since the previous run, through the real processing path: the simulated node's
// agent reports it once; then, its boots starting nothing, the test posts what an agent would
// (the same data, then with a disk swapped) and a rule fails the node whose disk serial changed.

let env: StackWithRack;
let stack: Stack;
let node: SimNode;
let uuid: string;

beforeAll(async () => {
  env = await startStackWithRack(19543, { INTROSPECTION_TIMEOUT: '60' }, { count: 1, prefix: 'hwc', net: 99 });
  stack = env.stack;
  node = env.rack.nodes[0];
}, 180000);

afterAll(() => env?.stop());

const processed = async () => (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body;

/** An introspection whose agent is the test: the node's next boot starts nothing, the body is posted once the run waits. */
async function introspectWith(body: unknown) {
  fs.writeFileSync(path.join(node.dir, 'fail-boots'), '1');
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  await waitFor('the run to wait for the agent', async () => ((await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).body.state === 'waiting' ? true : undefined), 30000, 100);
  expect((await http('POST', `${stack.inspectorUrl}/v1/continue`, body, { auth: null })).status).toBe(200);
  return introspectionEnded(stack, uuid, 90000, 100);
}

test('each run records what changed since the previous one; a rule fails the node whose disk serial changed', async () => {
  const rule = await http('POST', `${stack.inspectorUrl}/v1/rules`, {
    description: 'a disk was replaced',
    conditions: [{ op: 'gt', field: 'data://hardware_changes.disks.replaced', value: 0 }],
    actions: [{ action: 'fail', message: 'disk replaced: check the RMA before use' }],
  });
  expect(rule.status).toBe(201);

  uuid = await enrollSimNode(stack, node, { port: true });
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  expect(await introspectionEnded(stack, uuid, 120000, 100)).toMatchObject({ state: 'finished', error: null });
  expect((await processed()).hardware_changes).toMatchObject({ changed: false, total: 0, text: 'no previous introspection to compare with' });
  const raw = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`)).body;
  expect(raw.inventory.disks.length).toBeGreaterThan(0);

  // The same machine again: compared, nothing changed, the rule does not fire.
  expect(await introspectWith(raw)).toMatchObject({ state: 'finished', error: null });
  const again = (await processed()).hardware_changes;
  expect(again).toMatchObject({ changed: false, total: 0, text: 'no hardware change', disks: { replaced: 0 } });
  expect(again.unknown).not.toContain('disks');

  // A disk swapped in the same slot (and half the memory gone): the rule fails the node.
  const swapped = structuredClone(raw);
  const disk = swapped.inventory.disks[0];
  const oldSerial = disk.serial ?? disk.wwn ?? disk.name.replace('/dev/', '');
  Object.assign(disk, { serial: 'RMA-0001', wwn: null, wwn_with_extension: null });
  swapped.inventory.memory.physical_mb = Math.floor(raw.inventory.memory.physical_mb / 2);
  const failed = await introspectWith(swapped);
  expect(failed.state).toBe('error');
  expect(failed.error).toMatch(/disk replaced: check the RMA before use/);
  const shown = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body;
  expect(shown.provision_state).toBe('inspect failed');

  // Without the rule the same data is accepted, and its summary says what changed.
  expect((await http('DELETE', `${stack.inspectorUrl}/v1/rules/${rule.body.uuid}`)).status).toBe(204);
  expect(await introspectWith(swapped)).toMatchObject({ state: 'finished', error: null });
  const changes = (await processed()).hardware_changes;
  expect(changes).toMatchObject({ changed: true, total: 2, disks: { replaced: 1 }, memory: { changed: 1 } });
  expect(changes.text).toContain(`disk ${disk.name.replace('/dev/', '')} serial ${oldSerial}->RMA-0001 replaced`);
}, 400000);
