import { randomUUID } from 'node:crypto';
import { InspectionRuleRecords } from './inspection-rules';
import { sql, type Insertable, type Kysely } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import type { NodePatch } from '../activities/hooks/types';
import type { JsonPatch } from './json-patch';
import { nextDriverInfo, patchNode } from './node-patch';
import { patchPort } from './port-patch';
import { parseInput } from '../common/validation';
import { isTransient, nextStep, OUTCOMES, type ProvisionTarget, type TransientState } from './provision-states';
import { newNodeRecord, toNode, toNodeColumns, toPort, toRule, type NodeChanges, type NodeRecord, type PortRecord, type RuleRecord } from './records';
import {
  driverInfoSchema,
  MAX_TRAITS,
  NodeCreateSchema,
  partialDriverInfoSchema,
  PortCreateSchema,
  TraitListSchema,
  TraitSchema,
  UUID_RE,
  type NodeFilter,
} from './schema';
import { backoff, now, uniqueViolation } from './db';
import { AcceptanceRecords } from './acceptance';
import { BulkRecords } from './bulk-records';
import { Discoveries } from './discovery';
import { FleetViews } from './fleet';
import { IntrospectionRecords } from './introspection-records';
import { IntrospectionHistory } from './history';
import { IntrospectionRuns } from './runs';
import type { Database, NodesTable } from './tables';

const MAX_WRITE_ATTEMPTS = 30;

const identColumn = (ident: string) => (UUID_RE.test(ident) ? 'uuid' : 'name');

export interface PortQuery {
  address?: string;
  limit?: number;
  marker?: string;
}

/** The node registry: nodes, their BMC driver_info, properties, traits, provision state and ports, and introspection rules. */
export class NodeRegistry {
  readonly runs: IntrospectionRuns;
  readonly discoveries: Discoveries;
  /** Each node's latest introspection, for the list. */
  readonly introspections: IntrospectionRecords;
  readonly bulks: BulkRecords;
  /** Ironic's inspection rules (inspection-rules.ts). */
  readonly inspectionRules: InspectionRuleRecords;
  /** Each introspection's acceptance against what was ordered, and bulk reports (acceptance.ts). */
  readonly acceptance: AcceptanceRecords;
  /** Every accepted introspection of each node (history.ts). */
  readonly history: IntrospectionHistory;
  /** Each processed node's fleet view, for fleet queries (fleet.ts). */
  readonly fleet: FleetViews;

  constructor(private readonly db: Kysely<Database>) {
    this.runs = new IntrospectionRuns(db);
    this.discoveries = new Discoveries(db);
    this.introspections = new IntrospectionRecords(db);
    this.bulks = new BulkRecords(db, (filter) => this.listNodes(filter));
    this.inspectionRules = new InspectionRuleRecords(db);
    this.fleet = new FleetViews(db);
    this.acceptance = new AcceptanceRecords(db);
    this.history = new IntrospectionHistory(db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Resolves when the database answers (readiness). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async createNode(input: unknown): Promise<NodeRecord> {
    const body = parseInput(NodeCreateSchema, input);
    const driverInfo = parseInput(driverInfoSchema(body.driver), body.driver_info, 'driver_info');
    const uuid = body.uuid ?? randomUUID();
    const record = newNodeRecord(
      {
        uuid,
        name: body.name ?? null,
        driver: body.driver,
        driver_info: driverInfo,
        properties: body.properties,
        extra: body.extra,
        resource_class: body.resource_class ?? null,
        inspect_interface: body.inspect_interface,
      },
      now(),
    );
    try {
      await this.db.insertInto('nodes').values(toNodeColumns(record) as Insertable<NodesTable>).execute();
    } catch (err) {
      const column = uniqueViolation(err);
      if (column === 'name') throw new ConflictError(`name: a node named ${body.name} already exists`);
      if (column) throw new ConflictError(`uuid: a node with uuid ${uuid} already exists`);
      throw err;
    }
    return this.getNodeOrThrow(uuid);
  }

  /** By uuid or by name. */
  async getNode(ident: string): Promise<NodeRecord | undefined> {
    const row = await this.db.selectFrom('nodes').selectAll().where(identColumn(ident), '=', ident).executeTakeFirst();
    return row && toNode(row);
  }

  async getNodeOrThrow(ident: string): Promise<NodeRecord> {
    const node = await this.getNode(ident);
    if (!node) throw new NotFoundError(`Node ${ident} could not be found.`);
    return node;
  }

  /** Nodes in uuid order; `marker` is the last uuid of the previous page. */
  async listNodes(filter: NodeFilter = {}): Promise<NodeRecord[]> {
    let q = this.db.selectFrom('nodes').selectAll().orderBy('uuid');
    if (filter.provision_state) q = q.where('provision_state', '=', filter.provision_state);
    if (filter.driver) q = q.where('driver', '=', filter.driver);
    if (filter.resource_class) q = q.where('resource_class', '=', filter.resource_class);
    if (filter.maintenance !== undefined) q = q.where('maintenance', '=', filter.maintenance ? 1 : 0);
    // substr, not LIKE: LIKE ignores case on SQLite and not on PostgreSQL
    if (filter.name_prefix) q = q.where(sql<string>`substr(name, 1, ${filter.name_prefix.length})`, '=', filter.name_prefix);
    if (filter.marker) q = q.where('uuid', '>', filter.marker);
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map(toNode);
  }

  /**
   * Deletes a node and its ports; refused while the node is verifying or inspecting, unless it is in maintenance.
   * Answers its uuid and the runs of its history entries, which name its data in S3 (api/node-data.ts deletes that).
   */
  async deleteNode(ident: string): Promise<{ uuid: string; historyRunIds: string[] }> {
    const node = await this.getNodeOrThrow(ident);
    const busy = () => new ConflictError(`Can not delete node ${node.uuid} while it is in provision state "${node.provision_state}"; set maintenance to force it`);
    if (isTransient(node.provision_state) && !node.maintenance) throw busy();
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('ports').where('node_uuid', '=', node.uuid).execute();
      // its runs, introspections, fleet view and acceptance go by ON DELETE CASCADE; its history here, to name its objects
      const history = await tx.deleteFrom('introspection_history').where('node_uuid', '=', node.uuid).returning('run_id').execute();
      // the state is checked again in the statement, in case the node moved on meanwhile
      const deleted = await tx
        .deleteFrom('nodes')
        .where('uuid', '=', node.uuid)
        .where((eb) => eb.or([eb('maintenance', '=', 1), eb('provision_state', 'not in', Object.keys(OUTCOMES))]))
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw busy();
      return { uuid: node.uuid, historyRunIds: history.map((h) => h.run_id) };
    });
  }

  /**
   * Read-modify-write with optimistic locking: `mutate` sees the current record and returns
   * the fields to change (null: nothing to change); when another writer got in between, it
   * runs again on the fresh record, so no writer's change is lost.
   */
  async updateNode(ident: string, mutate: (node: NodeRecord) => NodeChanges | null): Promise<NodeRecord> {
    return this.updateNodeIn(this.db, ident, mutate);
  }

  private async updateNodeIn(db: Kysely<Database>, ident: string, mutate: (node: NodeRecord) => NodeChanges | null): Promise<NodeRecord> {
    let key = ident; // after the first read, the uuid: a concurrent rename must not lose the node
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const row = await db.selectFrom('nodes').selectAll().where(identColumn(key), '=', key).executeTakeFirst();
      if (!row) throw new NotFoundError(`Node ${ident} could not be found.`);
      key = row.uuid;
      const current = toNode(row);
      const changes = mutate(current);
      if (!changes) return current;
      const at = now();
      const moved = changes.provision_state !== undefined && changes.provision_state !== row.provision_state;
      try {
        const result = await db
          .updateTable('nodes')
          .set({ ...toNodeColumns(changes), updated_at: at, version: row.version + 1, ...(moved ? { provision_updated_at: at } : {}) })
          .where('uuid', '=', row.uuid)
          .where('version', '=', row.version)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) {
          const updated = await db.selectFrom('nodes').selectAll().where('uuid', '=', row.uuid).executeTakeFirstOrThrow();
          return toNode(updated);
        }
      } catch (err) {
        if (uniqueViolation(err) === 'name') throw new ConflictError(`name: a node named ${String(changes.name)} already exists`);
        throw err;
      }
    }
    throw new ConflictError(`node ${ident} is being updated by too many writers at once; try again`);
  }

  /** An operator's JSON Patch (Ironic's PATCH /v1/nodes/<node>), applied without losing concurrent writes. */
  async patchNode(ident: string, patch: JsonPatch): Promise<NodeRecord> {
    return this.updateNode(ident, (node) => patchNode(node, patch));
  }

  /** Starts a provision action: checks it is allowed from the node's current state and moves the node on. */
  async beginProvision(ident: string, target: ProvisionTarget): Promise<NodeRecord> {
    return this.updateNode(ident, (node) => {
      if (node.maintenance && target !== 'manage') throw new InvalidInputError(`node ${node.uuid} is in maintenance mode; "${target}" is refused`);
      const step = nextStep(node.uuid, node.provision_state, target);
      return {
        ...step,
        last_error: null,
        ...(step.provision_state === 'inspecting' ? { inspection_started_at: now(), inspection_finished_at: null } : {}),
      };
    });
  }

  /**
   * Ends an asynchronous provision step (verifying, inspecting) with its outcome; a node that
   * has meanwhile left that state is left alone.
   */
  async finishProvision(uuid: string, from: TransientState, outcome: { error: string | null; power_state?: string }): Promise<NodeRecord> {
    return this.updateNode(uuid, (node) => {
      if (node.provision_state !== from) return null;
      return {
        provision_state: outcome.error ? OUTCOMES[from].failure : OUTCOMES[from].success,
        target_provision_state: null,
        last_error: outcome.error,
        ...(outcome.power_state ? { power_state: outcome.power_state } : {}),
        ...(from === 'inspecting' ? { inspection_finished_at: now() } : {}),
      };
    });
  }

  /** Ironic's PUT/DELETE /v1/nodes/<node>/maintenance: in maintenance with a reason, or out of it. */
  async setMaintenance(ident: string, on: boolean, reason: string | null = null): Promise<NodeRecord> {
    return this.updateNode(ident, () => ({ maintenance: on, maintenance_reason: on ? reason : null }));
  }

  async setTraits(ident: string, traits: unknown): Promise<NodeRecord> {
    const parsed = parseInput(TraitListSchema, traits, 'traits');
    return this.updateNode(ident, () => ({ traits: parsed }));
  }

  async addTrait(ident: string, trait: string): Promise<NodeRecord> {
    const parsed = parseInput(TraitSchema, trait, 'trait');
    return this.updateNode(ident, (node) => {
      if (node.traits.includes(parsed)) return null;
      if (node.traits.length >= MAX_TRAITS) throw new InvalidInputError(`traits: node ${node.uuid} has ${MAX_TRAITS} traits, the most a node may have`);
      return { traits: [...node.traits, parsed].sort() };
    });
  }

  async removeTrait(ident: string, trait: string): Promise<NodeRecord> {
    return this.updateNode(ident, (node) => {
      if (!node.traits.includes(trait)) throw new NotFoundError(`Node ${node.uuid} doesn't have a trait ${trait}`);
      return { traits: node.traits.filter((t) => t !== trait) };
    });
  }

  /**
   * Applies the processing pipeline's changes: properties, extra, traits, driver_info keys rules
   * set, and ports, in one transaction. A MAC that belongs to another node fails it all with a 409.
   */
  async applyPatch(nodeUuid: string, patch: NodePatch): Promise<NodeRecord> {
    return this.db.transaction().execute(async (tx) => {
      const node = await this.updateNodeIn(tx, nodeUuid, (current) => {
        const traits = new Set(current.traits);
        patch.addTraits.forEach((t) => traits.add(t));
        patch.removeTraits.forEach((t) => traits.delete(t));
        return {
          properties: { ...current.properties, ...patch.properties },
          extra: { ...current.extra, ...patch.extra },
          traits: [...traits].sort(),
          // Checked field by field only: a discovered node's driver_info may still lack what its driver needs.
          ...(patch.driverInfo && {
            driver_info: nextDriverInfo(
              current,
              { driver: current.driver, driver_info: { ...current.driver_info, ...patch.driverInfo } },
              new Set(Object.keys(patch.driverInfo)),
              partialDriverInfoSchema(current.driver),
            ),
          }),
        };
      });
      if (patch.removePorts.length) {
        await tx.deleteFrom('ports').where('node_uuid', '=', node.uuid).where('address', 'in', patch.removePorts).execute();
      }
      for (const port of patch.ports) {
        const at = now();
        const kept = {
          pxe_enabled: port.pxe_enabled ? 1 : 0,
          ...(port.local_link_connection ? { local_link_connection: JSON.stringify(port.local_link_connection) } : {}),
          ...(port.physical_network !== undefined ? { physical_network: port.physical_network } : {}),
        };
        // One statement, so racing writers cannot both insert: an existing port of this node is updated,
        // one of another node is left alone (no row written).
        const result = await tx
          .insertInto('ports')
          .values({
            uuid: randomUUID(),
            node_uuid: node.uuid,
            address: port.address,
            local_link_connection: '{}',
            physical_network: null,
            ...kept,
            created_at: at,
            updated_at: null,
          })
          .onConflict((oc) => oc.column('address').doUpdateSet({ ...kept, updated_at: at }).where('ports.node_uuid', '=', node.uuid))
          .executeTakeFirst();
        if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
          const owner = await tx.selectFrom('ports').select('node_uuid').where('address', '=', port.address).executeTakeFirst();
          throw new ConflictError(`MAC ${port.address} already belongs to node ${owner?.node_uuid ?? 'another node'}`);
        }
      }
      return node;
    });
  }

  async createPort(input: unknown): Promise<PortRecord> {
    const body = parseInput(PortCreateSchema, input);
    const node = await this.getNode(body.node_uuid);
    if (!node) throw new InvalidInputError(`node_uuid: node ${body.node_uuid} does not exist`);
    const uuid = randomUUID();
    try {
      await this.db
        .insertInto('ports')
        .values({
          uuid,
          node_uuid: node.uuid,
          address: body.address,
          pxe_enabled: body.pxe_enabled ? 1 : 0,
          local_link_connection: JSON.stringify(body.local_link_connection),
          physical_network: body.physical_network ?? null,
          extra: JSON.stringify(body.extra),
          created_at: now(),
          updated_at: null,
        })
        .execute();
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError(`address: a port with MAC address ${body.address} already exists`);
      // the node was deleted between the check and the insert
      if (/FOREIGN KEY|foreign key/.test(String(err))) throw new InvalidInputError(`node_uuid: node ${body.node_uuid} does not exist`);
      throw err;
    }
    return this.getPortOrThrow(uuid);
  }

  async getPortOrThrow(uuid: string): Promise<PortRecord> {
    const row = UUID_RE.test(uuid) ? await this.db.selectFrom('ports').selectAll().where('uuid', '=', uuid).executeTakeFirst() : undefined;
    if (!row) throw new NotFoundError(`Port ${uuid} could not be found.`);
    return toPort(row);
  }

  /** A node's ports (all ports without a node), in uuid order; `marker` is the last uuid of the previous page. */
  async listPorts(nodeUuid?: string, query: PortQuery = {}): Promise<PortRecord[]> {
    let q = this.db.selectFrom('ports').selectAll().orderBy('uuid');
    if (nodeUuid) q = q.where('node_uuid', '=', nodeUuid);
    if (query.address) q = q.where('address', '=', query.address);
    if (query.marker) q = q.where('uuid', '>', query.marker);
    if (query.limit) q = q.limit(query.limit);
    return (await q.execute()).map(toPort);
  }

  /** An operator's JSON Patch of a port (Ironic's PATCH /v1/ports/<port>), applied without losing concurrent writes. */
  async patchPort(uuid: string, patch: JsonPatch): Promise<PortRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const port = await this.getPortOrThrow(uuid);
      const next = patchPort(port, patch);
      try {
        // Written only if no other writer changed the port since it was read (ports have no version column).
        const result = await this.db
          .updateTable('ports')
          .set({ ...next, pxe_enabled: next.pxe_enabled ? 1 : 0, local_link_connection: JSON.stringify(next.local_link_connection), extra: JSON.stringify(next.extra), updated_at: now() })
          .where('uuid', '=', port.uuid)
          .where('address', '=', port.address)
          .where('pxe_enabled', '=', port.pxe_enabled ? 1 : 0)
          .where('local_link_connection', '=', JSON.stringify(port.local_link_connection))
          .where('extra', '=', JSON.stringify(port.extra))
          .where((eb) => (port.physical_network === null ? eb('physical_network', 'is', null) : eb('physical_network', '=', port.physical_network)))
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) return this.getPortOrThrow(uuid);
      } catch (err) {
        if (uniqueViolation(err)) throw new ConflictError(`address: a port with MAC address ${next.address} already exists`);
        throw err;
      }
    }
    throw new ConflictError(`port ${uuid} is being updated by too many writers at once; try again`);
  }

  async deletePort(uuid: string): Promise<void> {
    const result = UUID_RE.test(uuid) ? await this.db.deleteFrom('ports').where('uuid', '=', uuid).executeTakeFirst() : undefined;
    if (!result || Number(result.numDeletedRows) === 0) throw new NotFoundError(`Port ${uuid} could not be found.`);
  }

  async createRule(uuid: string, description: string | null, body: Record<string, unknown>): Promise<RuleRecord> {
    const created_at = now();
    try {
      await this.db.insertInto('rules').values({ uuid, description, body: JSON.stringify(body), created_at }).execute();
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError(`uuid: rule ${uuid} already exists`);
      throw err;
    }
    return { uuid, description, body, created_at };
  }

  async listRules(): Promise<RuleRecord[]> {
    const rows = await this.db.selectFrom('rules').selectAll().orderBy('created_at').orderBy('uuid').execute();
    return rows.map(toRule);
  }

  async getRuleOrThrow(uuid: string): Promise<RuleRecord> {
    const row = await this.db.selectFrom('rules').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    if (!row) throw new NotFoundError(`Rule ${uuid} could not be found.`);
    return toRule(row);
  }

  async deleteRule(uuid: string): Promise<void> {
    const result = await this.db.deleteFrom('rules').where('uuid', '=', uuid).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFoundError(`Rule ${uuid} could not be found.`);
  }

  async deleteAllRules(): Promise<void> {
    await this.db.deleteFrom('rules').execute();
  }
}
