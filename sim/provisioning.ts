import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { provisioningBridgeName, tapName } from './cleanup';

// A rack's provisioning network, for VM nodes that PXE boot as real servers do: a bridge on the
// host (an L2 segment of its own, 10.N.0.0/24, the host at 10.N.0.1) with a tap per VM, where
// the VMs' DHCP reaches whatever serves that bridge (Introspector's dnsmasq with PXE_INTERFACE
// set to it) instead of qemu's built-in DHCP. Everything stays in the host's namespace: the
// VMs' boards reach their BMCs (ipmi_sim) on the host's loopback. cleanup.ts removes it by name.

const run = promisify(execFile);

export interface ProvisioningNetwork {
  /** The bridge: PXE_INTERFACE for Introspector's dnsmasq. */
  interface: string;
  /** The host's address on it, where the VMs reach the boot service. */
  address: string;
  /** A PXE_DHCP_RANGE for it. */
  dhcpRange: string;
}

export function provisioningNetwork(prefix: string, net: number): ProvisioningNetwork {
  return {
    interface: provisioningBridgeName(prefix),
    address: `10.${net}.0.1`,
    dhcpRange: `10.${net}.0.100,10.${net}.0.200,255.255.255.0,10m`,
  };
}

/** Creates the bridge, up with its address (dnsmasq binds to it at once), and a tap on it for each of these nodes. */
export async function createProvisioningNetwork(prefix: string, net: number, vmIndexes: number[]): Promise<ProvisioningNetwork> {
  const network = provisioningNetwork(prefix, net);
  const bridge = network.interface;
  await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${network.address}/24`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
  for (const index of vmIndexes) {
    const tap = tapName(prefix, index);
    await run('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    await run('ip', ['link', 'set', tap, 'master', bridge]);
    await run('ip', ['link', 'set', tap, 'up']);
  }
  return network;
}
