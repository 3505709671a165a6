import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import express from 'express';
import { errorHandler } from '../../api/errors';
import { NodePowerRequests, nodeManagementRoutes } from '../../api/node-management-routes';
import { nodeRoutes } from '../../api/node-routes';
import { loadConfig } from '../../common/config';
import type { NodeRegistry } from '../../nodes';
import type { NodePowerOutcome, NodePowerRequest } from '../../workflows/node-power-request';
import { describeEachDatabase } from '../nodes/databases';

// The validate, power and boot-device routes and port `extra` on both databases. Temporal is a
// stand-in here that records the workflows started (the workflow itself runs against simulated
// BMCs in test/e2e/ironic-inspector-defaults.test.ts).

interface Started {
  workflowId: string;
  args: unknown[];
}

/**
 * Starts nothing. Like Temporal, refuses a second start of a workflow id still running: a power
 * request's stays running until the test ends it, a boot-device request's ends with `outcome`.
 */
function standInClient(started: Started[], running: Set<string>, outcome: () => NodePowerOutcome): Client {
  const workflow = {
    async start(_type: string, o: { workflowId: string; args: [string, NodePowerRequest] }) {
      if (running.has(o.workflowId)) throw new WorkflowExecutionAlreadyStartedError('already started', o.workflowId, 'nodePower');
      started.push({ workflowId: o.workflowId, args: o.args });
      if ('power' in o.args[1]) running.add(o.workflowId);
      return { result: async () => outcome() };
    },
  };
  return { workflow } as unknown as Client;
}

describeEachDatabase('node validate, power and boot-device routes', (db) => {
  let registry: NodeRegistry;
  let url: string;
  let close: () => Promise<void>;
  const started: Started[] = [];
  const running = new Set<string>();
  let outcome: NodePowerOutcome = { error: null };

  beforeAll(async () => {
    registry = await db.openRegistry();
    const requests = new NodePowerRequests(standInClient(started, running, () => outcome), registry, loadConfig({ TEMPORAL_TASK_QUEUE: 'unit' }));
    const app = express();
    app.use(nodeManagementRoutes(registry, requests, (_req, _res, next) => next()));
    app.use(nodeRoutes(registry));
    app.use(errorHandler('ironic'));
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
    await enroll('mgmt-bad');
  });
  afterAll(() => close?.());

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  const fault = (res: { body: { error_message: string } }) => JSON.parse(res.body.error_message).faultstring as string;
  const enroll = async (name: string) =>
    (await call('POST', '/v1/nodes', { name, driver: 'ipmi', driver_info: { ipmi_address: '192.0.2.60', ipmi_username: 'admin', ipmi_password: 'pw' } })).body;

  test('validate: power, management and inspect from driver_info, per interface', async () => {
    const node = await enroll('mgmt-validate');
    const res = await call('GET', `/v1/nodes/${node.uuid}/validate`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-openstack-ironic-api-version')).toBeTruthy();
    expect(res.body).toMatchObject({ power: { result: true, reason: null }, management: { result: true, reason: null }, inspect: { result: true }, deploy: { result: null } });
    // a discovered node may lack what its driver needs
    await registry.updateNode(node.uuid, () => ({ driver_info: { ipmi_username: 'admin' } }));
    const incomplete = (await call('GET', '/v1/nodes/mgmt-validate/validate')).body;
    expect(incomplete.power).toEqual({ result: false, reason: expect.stringMatching(/driver_info of node .* ipmi_address/) });
    expect((await call('PUT', '/v1/nodes/mgmt-validate/states/power', { target: 'power on' })).status).toBe(400);
    expect((await call('GET', '/v1/nodes/nobody/validate')).status).toBe(404);
  });

  test('power: 202 and a workflow per request, one at a time per node (409)', async () => {
    const node = await enroll('mgmt-power');
    const res = await call('PUT', `/v1/nodes/${node.uuid}/states/power`, { target: 'rebooting' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`${url}/v1/nodes/${node.uuid}/states`);
    expect(started.at(-1)).toEqual({ workflowId: `power-${node.uuid}`, args: [node.uuid, { power: 'rebooting' }] });
    const again = await call('PUT', '/v1/nodes/mgmt-power/states/power', { target: 'power off' });
    expect(again.status).toBe(409);
    expect(fault(again)).toMatch(/is locked by a power or boot device request in progress/);
    expect((await call('PUT', '/v1/nodes/mgmt-power/management/boot_device', { boot_device: 'pxe' })).status).toBe(409);
    running.delete(`power-${node.uuid}`);
    expect((await call('PUT', '/v1/nodes/mgmt-power/states/power', { target: 'power off' })).status).toBe(202);
    expect(started.at(-1)).toEqual({ workflowId: `power-${node.uuid}`, args: [node.uuid, { power: 'power off' }] });
  });

  test.each([
    [{ target: 'soft power off' }, /^target: /],
    [{ target: 'power on', timeout: 30 }, /Unrecognized key: "timeout"/],
    [{}, /^target: /],
  ])('power %j answers 400 naming the field', async (body, message) => {
    const res = await call('PUT', '/v1/nodes/mgmt-bad/states/power', body);
    expect(res.status).toBe(400);
    expect(fault(res)).toMatch(message);
  });

  test('boot device: 204 once the BMC took it, 503 with its error, GET and supported', async () => {
    const node = await enroll('mgmt-boot');
    outcome = { error: null };
    expect((await call('PUT', '/v1/nodes/mgmt-boot/management/boot_device', { boot_device: 'pxe', persistent: false })).status).toBe(204);
    expect(started.at(-1)).toEqual({ workflowId: `power-${node.uuid}`, args: [node.uuid, { bootDevice: 'pxe' }] });
    outcome = { error: 'Failed to set the boot device to disk: the BMC said no' };
    const failed = await call('PUT', '/v1/nodes/mgmt-boot/management/boot_device', { boot_device: 'disk' });
    expect(failed.status).toBe(503);
    expect(fault(failed)).toMatch(/the BMC said no; check the BMC and driver_info/);
    const persistent = await call('PUT', '/v1/nodes/mgmt-boot/management/boot_device', { boot_device: 'pxe', persistent: true });
    expect(persistent.status).toBe(400);
    expect(fault(persistent)).toMatch(/^persistent: must be false/);
    expect((await call('PUT', '/v1/nodes/mgmt-boot/management/boot_device', { boot_device: 'floppy' })).status).toBe(400);
    expect((await call('GET', '/v1/nodes/mgmt-boot/management/boot_device')).body).toEqual({ boot_device: null, persistent: null });
    expect((await call('GET', '/v1/nodes/mgmt-boot/management/boot_device/supported')).body).toEqual({ supported_boot_devices: ['pxe', 'disk'] });
  });

  test('ports keep Ironic\'s extra: created with it, changed by JSON Patch', async () => {
    const node = await enroll('mgmt-port');
    const created = await call('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:ee:00:01', extra: { 'client-id': 'ff:00:00:00:00' } });
    expect(created.status).toBe(201);
    expect(created.body.extra).toEqual({ 'client-id': 'ff:00:00:00:00' });
    const patched = await call('PATCH', `/v1/ports/${created.body.uuid}`, [{ op: 'add', path: '/extra/vif', value: 'x' }]);
    expect(patched.body.extra).toEqual({ 'client-id': 'ff:00:00:00:00', vif: 'x' });
    const plain = await call('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:ee:00:02' });
    expect(plain.body.extra).toEqual({});
    expect((await call('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:ee:00:03', extra: 'no' })).status).toBe(400);
  });
});
