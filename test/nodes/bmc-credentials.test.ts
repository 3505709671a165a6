import { InvalidInputError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import { patchNode } from '../../nodes/node-patch';
import { RedfishDriverInfoSchema } from '../../nodes/schema';
import { SECRET_MASK } from '../../nodes/secrets';
import type { NodeRecord } from '../../nodes/records';
import { nodeRecord } from '../support/records';

// A node's BMC password is write-only: whoever may edit the node must not be able to send the
// stored password to a BMC of their choosing by changing the driver or the BMC's address.


const ipmi = nodeRecord('ipmi', { ipmi_address: '10.0.0.5', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'Stored-Pass-1' });
const redfish = nodeRecord('redfish', {
  redfish_address: 'https://10.0.0.6',
  redfish_system_id: '/redfish/v1/Systems/1',
  redfish_username: 'root',
  redfish_password: 'Stored-Pass-2',
});

/** The message of the 400 a patch answers. */
function refusal(node: NodeRecord, patch: Parameters<typeof patchNode>[1]): string {
  try {
    patchNode(node, patch);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as Error).message;
  }
  throw new Error('the patch was accepted');
}

describe('a write that points a node at another BMC', () => {
  test.each([
    ['ipmi_address', '203.0.113.9', ipmi, 'ipmi_password'],
    ['ipmi_port', 6230, ipmi, 'ipmi_password'],
    ['redfish_address', 'https://203.0.113.9', redfish, 'redfish_password'],
    ['redfish_system_id', '2', redfish, 'redfish_password'],
  ] as const)('a new %s (%j) keeps no password', (field, value, node, secret) => {
    const changes = patchNode(node, [{ op: 'replace', path: `/driver_info/${field}`, value }]);
    expect(changes.driver_info).toMatchObject({ [field]: value, [secret]: '' });
    expect(JSON.stringify(changes)).not.toMatch(/Stored-Pass/);
  });

  test.each([
    ['ipmi_address', '203.0.113.9', ipmi, 'ipmi_password'],
    ['ipmi_port', 6230, ipmi, 'ipmi_password'],
    ['redfish_address', 'https://203.0.113.9', redfish, 'redfish_password'],
    ['redfish_system_id', '/redfish/v1/Systems/2', redfish, 'redfish_password'],
  ] as const)('****** with a new %s (%j) is refused, naming the password field', (field, value, node, secret) => {
    const message = refusal(node, [
      { op: 'replace', path: `/driver_info/${field}`, value },
      { op: 'replace', path: `/driver_info/${secret}`, value: SECRET_MASK },
    ]);
    expect(message).toBe(
      `driver_info.${secret}: the BMC address changed (driver_info.${field}), so the password must be given again (${SECRET_MASK} would hand the stored one to the new BMC)`,
    );
  });

  test('driver_info written back whole as read (masked) with a new address is refused too', () => {
    const asRead = { ...ipmi.driver_info, ipmi_password: SECRET_MASK, ipmi_address: '203.0.113.9' };
    expect(refusal(ipmi, [{ op: 'replace', path: '/driver_info', value: asRead }])).toMatch(/^driver_info\.ipmi_password: the BMC address changed/);
  });

  test('the same write may give the password again, or a new one', () => {
    const again = patchNode(ipmi, [
      { op: 'replace', path: '/driver_info/ipmi_address', value: '203.0.113.9' },
      { op: 'replace', path: '/driver_info/ipmi_password', value: 'Stored-Pass-1' },
    ]);
    expect(again.driver_info).toMatchObject({ ipmi_address: '203.0.113.9', ipmi_password: 'Stored-Pass-1' });
    const whole = patchNode(ipmi, [{ op: 'replace', path: '/driver_info', value: { ipmi_address: '203.0.113.9', ipmi_password: 'New-Pass' } }]);
    expect(whole.driver_info).toMatchObject({ ipmi_address: '203.0.113.9', ipmi_password: 'New-Pass' });
  });

  test('a new driver is another BMC: the password is dropped, and ****** refused', () => {
    const toRedfish = { redfish_address: 'https://10.0.0.5', redfish_system_id: '1', redfish_username: 'admin' };
    const changed = patchNode(ipmi, [
      { op: 'replace', path: '/driver', value: 'redfish' },
      { op: 'replace', path: '/driver_info', value: { ...toRedfish, redfish_password: 'For-Redfish' } },
    ]);
    expect(changed).toEqual({ driver: 'redfish', driver_info: { ...toRedfish, redfish_password: 'For-Redfish' } });
    const message = refusal(ipmi, [
      { op: 'replace', path: '/driver', value: 'fake' },
      { op: 'replace', path: '/driver_info/ipmi_password', value: SECRET_MASK },
    ]);
    expect(message).toMatch(/^driver_info\.ipmi_password: the driver changed, so the password must be given again/);
  });

  test('every secret goes, not only passwords', () => {
    const fake = nodeRecord('fake', { ipmi_address: '10.0.0.7', api_token: 'Stored-Token', bmc_key: 'Stored-Key', note: 'kept' });
    const changes = patchNode(fake, [{ op: 'replace', path: '/driver_info/ipmi_address', value: '203.0.113.9' }]);
    expect(changes.driver_info).toEqual({ ipmi_address: '203.0.113.9', note: 'kept' });
  });

  test('writes that leave the BMC where it is keep the password', () => {
    for (const patch of [
      [{ op: 'replace', path: '/driver_info/ipmi_username', value: 'operator' }],
      [{ op: 'replace', path: '/driver_info/ipmi_port', value: '623' }], // the same port, as a string
      [{ op: 'replace', path: '/driver_info/ipmi_address', value: '10.0.0.5' }],
      [{ op: 'replace', path: '/driver', value: 'ipmi' }],
      [{ op: 'replace', path: '/driver_info', value: { ...ipmi.driver_info, ipmi_password: SECRET_MASK } }],
    ] as const) {
      expect([patch, patchNode(ipmi, [...patch]).driver_info?.ipmi_password]).toEqual([patch, 'Stored-Pass-1']);
    }
  });
});

describe('Redfish driver_info', () => {
  const parse = (overrides: Record<string, unknown>) =>
    parseInput(RedfishDriverInfoSchema, { redfish_address: 'https://10.0.0.6', redfish_system_id: '1', ...overrides }, 'driver_info');

  test.each(['1', 'System.Embedded.1', '437XR1138R2', 'a-b_c~d:e', '1f0b8e6c-5a3d-4c2e-9b7a-000000000001', '/redfish/v1/Systems/1', '/redfish/v1/Systems/self/'])(
    'redfish_system_id %j is a system',
    (id) => {
      expect(parse({ redfish_system_id: id }).redfish_system_id).toBe(id);
    },
  );

  test.each([
    '',
    '//evil.example/x',
    '//127.0.0.1:9/redfish/v1/Systems/1',
    '../Managers/1',
    '.',
    '..',
    '/redfish/v1/Systems/..',
    '/redfish/v1/Systems/1/../../Managers',
    '/redfish/v1/Systems/1/Bios',
    '/redfish/v1/Systems/',
    '/redfish/v1/Managers/1',
    'http://evil.example/redfish/v1/Systems/1',
    '1?x=y',
    '1#frag',
    '%2e%2e',
    'a\\b',
    'a b',
    'sys/1',
    `${'/'.repeat(40)}~`,
    'x'.repeat(256),
  ])('redfish_system_id %j is refused, naming the field', (id) => {
    expect(() => parse({ redfish_system_id: id })).toThrow(/^driver_info\.redfish_system_id: /);
  });

  test.each([
    ['ftp://10.0.0.6', /must be an http:\/\/ or https:\/\/ URL/],
    ['https://root:Secret-9@10.0.0.6', /must not carry credentials/],
    ['https://root@10.0.0.6', /must not carry credentials/],
    ['https://10.0.0.6/?next=http://evil', /must not have a query or fragment/],
    ['https://10.0.0.6?', /must not have a query or fragment/],
    ['https://10.0.0.6/#x', /must not have a query or fragment/],
    ['10.0.0.6', /must be a URL/],
  ])('redfish_address %j is refused, naming the field', (address, message) => {
    let thrown: Error | undefined;
    try {
      parse({ redfish_address: address });
    } catch (err) {
      thrown = err as Error;
    }
    expect(thrown?.message).toMatch(/^driver_info\.redfish_address: /);
    expect(thrown?.message).toMatch(message);
    expect(thrown?.message).not.toContain('Secret-9');
  });

  test.each(['http://10.0.0.6', 'https://bmc.example:8443', 'https://[2001:db8::5]:8443', 'https://10.0.0.6/'])('redfish_address %j is an address', (address) => {
    expect(parse({ redfish_address: address }).redfish_address).toBe(address);
  });
});
