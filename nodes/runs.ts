import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '../common/errors';
import { normalizeHost } from './records';
import type { Database } from './tables';

// The introspection runs that may receive an agent's data, and how a callback finds its run:
// by the run's token, or (without one) by the MACs and BMC address the agent reports.

export interface AgentIdentity {
  /** Normalized MACs (aa:bb:cc:dd:ee:ff). */
  macs: string[];
  bmcAddresses: string[];
}

/** 32 random bytes as base64url: 43 characters, safe on a kernel command line. */
const newToken = () => randomBytes(32).toString('base64url');

const usableAddresses = (addresses: string[]) =>
  [...new Set(addresses.filter((a) => a).map(normalizeHost))].filter((a) => a !== '0.0.0.0' && a !== '::');

export class IntrospectionRuns {
  constructor(private readonly db: Kysely<Database>) {}

  /** Opens the node's run with a fresh token (replacing an earlier run's); returns the token. */
  async open(nodeUuid: string): Promise<string> {
    const token = newToken();
    const opened_at = new Date().toISOString();
    await this.db
      .insertInto('introspection_runs')
      .values({ node_uuid: nodeUuid, token, opened_at })
      .onConflict((oc) => oc.column('node_uuid').doUpdateSet({ token, opened_at }))
      .execute();
    return token;
  }

  async close(nodeUuid: string): Promise<void> {
    await this.db.deleteFrom('introspection_runs').where('node_uuid', '=', nodeUuid).execute();
  }

  async tokenOf(nodeUuid: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('introspection_runs').select('token').where('node_uuid', '=', nodeUuid).executeTakeFirst();
    return row?.token;
  }

  /** The node whose open run has this token. */
  async nodeOfToken(token: string): Promise<string | undefined> {
    if (token.length > 64) return undefined;
    const row = await this.db.selectFrom('introspection_runs').select('node_uuid').where('token', '=', token).executeTakeFirst();
    return row?.node_uuid;
  }

  /** Every port's MAC (one node's, given its uuid), and whether its node has an open run (what the PXE filter lets through). */
  async portMacs(nodeUuid?: string): Promise<{ address: string; open: boolean }[]> {
    const rows = await this.db
      .selectFrom('ports')
      .leftJoin('introspection_runs', 'introspection_runs.node_uuid', 'ports.node_uuid')
      .select(['ports.address', 'introspection_runs.node_uuid as run'])
      .$if(nodeUuid !== undefined, (q) => q.where('ports.node_uuid', '=', nodeUuid!))
      .execute();
    return rows.map((r) => ({ address: r.address, open: r.run !== null }));
  }

  /** Whether a node being introspected has no PXE-enabled port: its PXE NIC is one nobody enrolled. */
  async anyOpenWithoutPxePort(): Promise<boolean> {
    const row = await this.db
      .selectFrom('introspection_runs as r')
      .select('r.node_uuid')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('ports as p').select('p.uuid').whereRef('p.node_uuid', '=', 'r.node_uuid').where('p.pxe_enabled', '=', 1))),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Every node (with an open run, when `openOnly`) that one of the MACs or BMC addresses names. */
  async nodesMatching(identity: AgentIdentity, openOnly: boolean): Promise<{ byMac: Set<string>; byBmc: Set<string> }> {
    const open = this.db.selectFrom('introspection_runs').select('node_uuid');
    const byMac = new Set<string>();
    const byBmc = new Set<string>();
    if (identity.macs.length) {
      let q = this.db.selectFrom('ports').select('node_uuid').where('address', 'in', identity.macs);
      if (openOnly) q = q.where('node_uuid', 'in', open);
      (await q.execute()).forEach((r) => byMac.add(r.node_uuid));
    }
    const addresses = usableAddresses(identity.bmcAddresses);
    if (addresses.length) {
      let q = this.db.selectFrom('nodes').select('uuid').where('bmc_address', 'in', addresses);
      if (openOnly) q = q.where('uuid', 'in', open);
      (await q.execute()).forEach((r) => byBmc.add(r.uuid));
    }
    return { byMac, byBmc };
  }

  /**
   * The one node with an open run that the agent's MACs and BMC address name. A miss names no
   * node; so does a match of several (MACs and BMC address naming different nodes): never a guess.
   */
  async findWaiting(identity: AgentIdentity): Promise<string> {
    const { byMac, byBmc } = await this.nodesMatching(identity, true);
    const all = new Set([...byMac, ...byBmc]);
    if (all.size === 0) throw new NotFoundError('no introspection is waiting for a node with these MACs or BMC address');
    if (all.size > 1) throw new ConflictError('the MACs and BMC address sent match more than one node being introspected; enroll each NIC as a port of one node only');
    return [...all][0];
  }
}
