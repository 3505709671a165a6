import { randomUUID } from 'node:crypto';
import { isIP, isIPv6 } from 'node:net';
import type { Insertable, Kysely } from 'kysely';
import { ConflictError, InvalidInputError } from '../common/errors';
import { parseInput } from '../common/validation';
import { backoff, now, serializationFailure, uniqueViolation } from './db';
import { newNodeRecord, normalizeHost, toNodeColumns } from './records';
import { IntrospectionRuns, type AgentIdentity } from './runs';
import { partialDriverInfoSchema, type Driver, type JsonObject } from './schema';
import type { Database, NodesTable } from './tables';

// Discovery of servers nobody enrolled, as ironic-inspector's enroll hook: the callback of a
// server that no node matches (by MAC or BMC address) enrolls a node for it, in `enroll`, marked
// extra.auto_discovered, with a port per MAC and the BMC address its agent read from the BMC;
// credentials come from introspection rules, the rest from an operator. One server is one node
// however its callbacks race: the check and the inserts are one serializable transaction
// (PostgreSQL aborts the later of two that overlap, SQLite runs them one after the other), and
// a MAC is never the port of two nodes (ports.address is unique).

export type DiscoveryDriver = Extract<Driver, 'ipmi' | 'redfish'>;

/** What the agent's callback says about the server. */
export interface DiscoveredServer extends AgentIdentity {
  /** The MAC it booted from, when the agent said. */
  bootMac: string | null;
}

export interface Discovery {
  uuid: string;
  /** False: the server has a node already (another of its callbacks enrolled it a moment before). */
  enrolled: boolean;
}

const MAX_ATTEMPTS = 10;
const NO_MAC = '00:00:00:00:00:00';

/** The BMC address to enroll: the first IP address reported (the agent's IPv4 one before its IPv6 one). */
function discoveredBmcAddress(server: AgentIdentity): string | undefined {
  return server.bmcAddresses.map(normalizeHost).find((a) => isIP(a) !== 0 && a !== '0.0.0.0' && a !== '::');
}

/** Where the driver finds the BMC; nothing when the agent could not read its address. */
function discoveredDriverInfo(driver: DiscoveryDriver, bmcAddress: string | undefined): JsonObject {
  const host = bmcAddress && isIPv6(bmcAddress) ? `[${bmcAddress}]` : bmcAddress;
  const given = !bmcAddress ? {} : driver === 'ipmi' ? { ipmi_address: bmcAddress } : { redfish_address: `https://${host}` };
  return parseInput(partialDriverInfoSchema(driver), given, 'driver_info');
}

export class Discoveries {
  constructor(private readonly db: Kysely<Database>) {}

  /** Whether no node has one of these MACs as a port or this BMC address. */
  async unknown(server: AgentIdentity): Promise<boolean> {
    const { byMac, byBmc } = await new IntrospectionRuns(this.db).nodesMatching(server, false);
    return byMac.size + byBmc.size === 0;
  }

  /** Enrolls the server unless a node matches it by then; either way, names its node. */
  async enroll(server: DiscoveredServer, driver: DiscoveryDriver): Promise<Discovery> {
    const macs = server.macs.filter((mac) => mac !== NO_MAC);
    const bmcAddress = discoveredBmcAddress(server);
    if (!macs.length && !bmcAddress) throw new InvalidInputError('the server reported neither a MAC nor a BMC address: nothing identifies it to enroll it');
    const driverInfo = discoveredDriverInfo(driver, bmcAddress);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        return await this.db
          .transaction()
          .setIsolationLevel('serializable')
          .execute(async (tx) => {
            const { byMac, byBmc } = await new IntrospectionRuns(tx).nodesMatching({ macs, bmcAddresses: server.bmcAddresses }, false);
            const known = [...byMac, ...byBmc][0];
            if (known) return { uuid: known, enrolled: false };
            const uuid = randomUUID();
            const at = now();
            const node = newNodeRecord(
              { uuid, name: null, driver, driver_info: driverInfo, properties: {}, extra: { auto_discovered: true }, resource_class: null },
              at,
            );
            await tx.insertInto('nodes').values(toNodeColumns({ ...node, inspection_started_at: at }) as Insertable<NodesTable>).execute();
            const pxe = (mac: string) => (server.bootMac ? mac === server.bootMac : true);
            const ports = macs.map((address) => ({
              uuid: randomUUID(),
              node_uuid: uuid,
              address,
              pxe_enabled: pxe(address) ? 1 : 0,
              local_link_connection: '{}',
              physical_network: null,
              created_at: at,
              updated_at: null,
            }));
            if (ports.length) await tx.insertInto('ports').values(ports).execute();
            return { uuid, enrolled: true };
          });
      } catch (err) {
        // The winner of a race committed meanwhile: the next attempt finds its node.
        if (!serializationFailure(err) && !uniqueViolation(err)) throw err;
        await backoff(attempt);
      }
    }
    throw new ConflictError('the server could not be enrolled: too many writers at once; try again');
  }
}
