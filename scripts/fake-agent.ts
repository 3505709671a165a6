import fs from 'node:fs';
import path from 'node:path';

const template = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'hooks', 'ipa-payload.json'), 'utf8'));

/** What an agent posts for a `fake`-driver node with this MAC: an IPA-shaped inventory, its one NIC the node's. */
export function fakeAgentPayload(mac: string) {
  const data = structuredClone(template);
  data.inventory.interfaces = [{ ...template.inventory.interfaces[0], name: 'eth0', mac_address: mac }];
  data.inventory.bmc_address = null;
  data.boot_interface = mac;
  return data;
}
