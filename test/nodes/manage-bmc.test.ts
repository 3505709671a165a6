import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimRack } from '../../sim/rack';
import { describeEachDatabase } from './databases';
import { startNodeApi, type NodeApi } from './http';

// `manage` asks a real BMC (ipmi_sim, through ipmitool) for its power state with the stored
// credentials: right ones make the node manageable, wrong ones send it back to enroll with
// the reason in last_error.

const PASSWORD = 'Rack-Secret-7';
const simulator = ['/usr/bin/ipmi_sim', '/usr/local/bin/ipmi_sim'].some((p) => fs.existsSync(p));
if (!simulator) console.warn('SKIPPING manage against a real BMC: ipmi_sim is not installed (apt-get install openipmi ipmitool)');
const describeWithBmc = simulator ? describe : describe.skip;

describeWithBmc('manage against a simulated IPMI BMC', () => {
  let rack: SimRack;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-manage-'));
    rack = await SimRack.start({ dir, count: 1, prefix: 'nmgt', net: 47, inspectorPort: 9, password: PASSWORD });
  }, 60000);
  afterAll(async () => {
    await rack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describeEachDatabase('manage', (db) => {
    let api: NodeApi;
    beforeAll(async () => {
      api = await startNodeApi(await db.openRegistry(), { bmc: { defaultCipherSuite: 3, retryDelayMs: 10 }, verifyWaitMs: 300 });
    });
    afterAll(() => api?.close());

    const enroll = async (name: string, driverInfo: Record<string, unknown>) => {
      const res = await api.call('POST', '/v1/nodes', { name, driver: 'ipmi', driver_info: driverInfo });
      expect(res.status).toBe(201);
    };
    const bmc = (password: string) => {
      const node = rack.nodes[0];
      return { ipmi_address: node.bmcAddress, ipmi_port: node.bmcPort, ipmi_username: node.username, ipmi_password: password };
    };
    const manage = (name: string) => api.call('PUT', `/v1/nodes/${name}/states/provision`, { target: 'manage' });
    const settled = async (name: string) => {
      for (let i = 0; i < 100; i++) {
        const states = (await api.call('GET', `/v1/nodes/${name}/states`)).body;
        if (states.provision_state !== 'verifying') return states;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${name} is still verifying`);
    };

    test('the right credentials make the node manageable and record its power state', async () => {
      await enroll(`${db.kind}-good`, bmc(PASSWORD));
      expect((await manage(`${db.kind}-good`)).status).toBe(202);
      expect(await settled(`${db.kind}-good`)).toMatchObject({ provision_state: 'manageable', power_state: 'power off', last_error: null });
    });

    test('a wrong password sends the node back to enroll with a clear last_error, and the password is nowhere', async () => {
      await enroll(`${db.kind}-bad`, bmc('Wrong-Password'));
      expect((await manage(`${db.kind}-bad`)).status).toBe(202);
      const states = await settled(`${db.kind}-bad`);
      expect(states).toMatchObject({ provision_state: 'enroll', target_provision_state: null });
      expect(states.last_error).toMatch(/^Failed to verify the BMC credentials with a power status call: .*ipmitool power status against .* failed: .*RAKP/);
      expect(states.last_error).not.toContain('Wrong-Password');

      // fixed credentials, manage again
      const fixed = await api.call('PATCH', `/v1/nodes/${db.kind}-bad`, [{ op: 'replace', path: '/driver_info/ipmi_password', value: PASSWORD }]);
      expect(fixed.status).toBe(200);
      await manage(`${db.kind}-bad`);
      expect(await settled(`${db.kind}-bad`)).toMatchObject({ provision_state: 'manageable', last_error: null });
    });

    test('a BMC that does not answer: 202 while verifying, then enroll with the reason', async () => {
      await enroll(`${db.kind}-dead`, { ...bmc(PASSWORD), ipmi_address: '127.0.47.99', ipmi_timeout: 1 });
      expect((await manage(`${db.kind}-dead`)).status).toBe(202);
      expect((await api.call('GET', `/v1/nodes/${db.kind}-dead/states`)).body.provision_state).toBe('verifying');
      const states = await settled(`${db.kind}-dead`);
      expect(states.provision_state).toBe('enroll');
      expect(states.last_error).toMatch(/127\.0\.47\.99.*(no answer within 1 s|after 3 attempts)/);
    }, 30000);
  });
});
