import { type ChildProcess, spawn } from 'node:child_process';
import { hostLinkName } from '../../sim/cleanup';
import type { SimNode } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, type Stack } from '../support/stack';

// LLDP as a switch sends it: the host end of the simulated node's veth (the "switch port")
// sends real LLDP frames; the node's agent (collector `lldp`) captures one with tcpdump and
// posts its TLVs as IPA does (lldp_raw); lldp_basic decodes them into the interface's
// lldp_processed and local_link_connection puts the switch and its port on the node's port.

const PREFIX = 'lldp';
const SWITCH_MAC = '64:1e:81:f4:1a:20';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const tlv = (type: number, value: string) => ((type << 9) | (value.length / 2)).toString(16).padStart(4, '0') + value;

const FRAME = [
  '0180c200000e', // nearest-bridge multicast
  SWITCH_MAC.replace(/:/g, ''),
  '88cc',
  tlv(1, '04' + SWITCH_MAC.replace(/:/g, '')), // chassis ID: MAC
  tlv(2, '05' + hex('Ethernet1/7')), // port ID: interface name
  tlv(3, '0078'), // TTL 120 s
  tlv(4, hex('to compute eth0')),
  tlv(5, hex('leaf-e2e-01')),
  tlv(6, hex('Simulated switch 1.0')),
  tlv(7, '00140014'), // bridge, router
  tlv(8, '05' + '01' + '0a5c0001' + '02' + '00000002' + '00'), // management address 10.92.0.1
  tlv(127, '0080c2' + '01' + '0064'), // PVID 100
  tlv(127, '0080c2' + '03' + '0064' + '04' + hex('prov')), // VLAN 100 "prov"
  tlv(127, '00120f' + '01' + '03' + '6c01' + '001e'), // MAC/PHY: autoneg, 1000BASE-T full duplex
  tlv(127, '00120f' + '04' + '2400'), // max frame size 9216
  tlv(0, ''),
].join('');

// A few lines of Python: Node has no AF_PACKET. Sends the frame every half second, for at most `seconds`.
const SENDER = `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = bytes.fromhex(sys.argv[2])
end = time.time() + float(sys.argv[3])
while time.time() < end:
    s.send(frame)
    time.sleep(0.5)
`;

let env: StackWithRack;
let stack: Stack;
let node: SimNode;
let sender: ChildProcess | undefined;

beforeAll(async () => {
  env = await startStackWithRack(19333, { INTROSPECTION_TIMEOUT: '90', AGENT_COLLECTORS: 'default,lldp' }, { count: 1, prefix: PREFIX, net: 92 });
  stack = env.stack;
  node = env.rack.nodes[0];
}, 180000);

afterAll(async () => {
  sender?.kill();
  await env?.stop();
});

test('the switch and its port seen by LLDP end up in the data and on the port', async () => {
  expect(node.netns).toBeTruthy(); // needs root: a network namespace and a veth per node
  sender = spawn('python3', ['-c', SENDER, hostLinkName(PREFIX, node.index), FRAME, '150'], { stdio: ['ignore', 'ignore', 'inherit'] });

  const uuid = await enrollSimNode(stack, node, { port: true });
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  expect(await introspectionEnded(stack, uuid, 120000)).toMatchObject({ state: 'finished', error: null });

  const raw = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`)).body;
  expect(raw.lldp_raw.eth0[0]).toEqual([1, '04' + SWITCH_MAC.replace(/:/g, '')]);
  expect(raw.inventory.interfaces.find((i: { name: string }) => i.name === 'eth0').lldp).toBeNull();

  const data = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body;
  expect(data.all_interfaces.eth0.lldp_processed).toEqual({
    switch_chassis_id: SWITCH_MAC,
    switch_port_id: 'Ethernet1/7',
    switch_port_description: 'to compute eth0',
    switch_system_name: 'leaf-e2e-01',
    switch_system_description: 'Simulated switch 1.0',
    switch_capabilities_support: ['Bridge', 'Router'],
    switch_capabilities_enabled: ['Bridge', 'Router'],
    switch_mgmt_addresses: ['10.92.0.1'],
    switch_port_untagged_vlan_id: 100,
    switch_port_vlans: [{ name: 'prov', id: 100 }],
    switch_port_autonegotiation_enabled: true,
    switch_port_autonegotiation_support: true,
    switch_port_physical_capabilities: ['1000BASE-T fdx', '100BASE-TX fdx', '100BASE-TX hdx', '10BASE-T fdx', '10BASE-T hdx'],
    switch_port_mau_type: '1000BASE-T full duplex',
    switch_port_mtu: 9216,
  });

  const ports = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/ports/detail`)).body.ports;
  expect(ports.map((p: { address: string; local_link_connection: unknown }) => [p.address, p.local_link_connection])).toEqual([
    [node.mac, { switch_id: SWITCH_MAC, port_id: 'Ethernet1/7', switch_info: 'leaf-e2e-01' }],
  ]);
}, 200000);
