import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { z } from 'zod';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import { describeZodError } from '../common/validation';
import type { NodePatch } from '../activities/hooks/types';
import { driverInfoSchema, isSecretKey, NodeCreateSchema, PortCreateSchema, SECRET_MASK } from './schema';
import type { Database, NodesTable, PortsTable } from './tables';

export interface NodeRecord {
  uuid: string;
  name: string | null;
  driver: string;
  driver_info: Record<string, unknown>;
  properties: Record<string, unknown>;
  extra: Record<string, unknown>;
  traits: string[];
  resource_class: string | null;
  power_state: string | null;
  provision_state: string;
  target_provision_state: string | null;
  last_error: string | null;
  maintenance: boolean;
  inspection_started_at: string | null;
  inspection_finished_at: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface PortRecord {
  uuid: string;
  node_uuid: string;
  address: string;
  pxe_enabled: boolean;
  local_link_connection: Record<string, string>;
  physical_network: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface RuleRecord {
  uuid: string;
  description: string | null;
  body: Record<string, unknown>;
  created_at: string;
}

export interface NodeFilter {
  provision_state?: string;
  driver?: string;
  resource_class?: string;
  name_prefix?: string;
  limit?: number;
  marker?: string;
}

type Mutable = Partial<Omit<NodeRecord, 'uuid' | 'created_at' | 'updated_at' | 'driver'>>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_WRITE_ATTEMPTS = 20;

function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, prefix = ''): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(describeZodError(parsed.error, prefix ? [prefix] : []));
  }
  return parsed.data;
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

function now(): string {
  return new Date().toISOString();
}

function toNode(row: Selectable<NodesTable>): NodeRecord {
  return {
    uuid: row.uuid,
    name: row.name,
    driver: row.driver,
    driver_info: JSON.parse(row.driver_info),
    properties: JSON.parse(row.properties),
    extra: JSON.parse(row.extra),
    traits: JSON.parse(row.traits),
    resource_class: row.resource_class,
    power_state: row.power_state,
    provision_state: row.provision_state,
    target_provision_state: row.target_provision_state,
    last_error: row.last_error,
    maintenance: Boolean(row.maintenance),
    inspection_started_at: row.inspection_started_at,
    inspection_finished_at: row.inspection_finished_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toPort(row: Selectable<PortsTable>): PortRecord {
  return {
    uuid: row.uuid,
    node_uuid: row.node_uuid,
    address: row.address,
    pxe_enabled: Boolean(row.pxe_enabled),
    local_link_connection: JSON.parse(row.local_link_connection),
    physical_network: row.physical_network,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The node with every secret in driver_info replaced by ******, for API answers and logs. */
export function maskSecrets(node: NodeRecord): NodeRecord {
  const driver_info = Object.fromEntries(
    Object.entries(node.driver_info).map(([k, v]) => [k, isSecretKey(k) && v !== '' ? SECRET_MASK : v]),
  );
  return { ...node, driver_info };
}

function bmcAddressOf(driverInfo: Record<string, unknown>): string | null {
  const address = driverInfo.ipmi_address ?? driverInfo.redfish_address;
  if (typeof address !== 'string') return null;
  try {
    return new URL(address).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return address;
  }
}

/** The node registry: nodes, their BMC driver_info, properties and ports, and introspection rules. */
export class NodeRegistry {
  constructor(private readonly db: Kysely<Database>) {}

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async createNode(input: unknown): Promise<NodeRecord> {
    const body = parseOrThrow(NodeCreateSchema, input);
    const driverInfo = parseOrThrow(driverInfoSchema(body.driver), body.driver_info, 'driver_info');
    const uuid = body.uuid ?? randomUUID();
    try {
      await this.db
        .insertInto('nodes')
        .values({
          uuid,
          name: body.name ?? null,
          driver: body.driver,
          driver_info: JSON.stringify(driverInfo),
          bmc_address: bmcAddressOf(driverInfo),
          properties: JSON.stringify(body.properties),
          extra: JSON.stringify(body.extra),
          traits: '[]',
          resource_class: body.resource_class ?? null,
          power_state: null,
          provision_state: 'enroll',
          target_provision_state: null,
          last_error: null,
          maintenance: 0,
          inspection_started_at: null,
          inspection_finished_at: null,
          created_at: now(),
          updated_at: null,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a node with name ${body.name} or uuid ${uuid} already exists`);
      throw err;
    }
    return this.getNodeOrThrow(uuid);
  }

  /** By uuid or by name. */
  async getNode(ident: string): Promise<NodeRecord | undefined> {
    const column = UUID_RE.test(ident) ? 'uuid' : 'name';
    const row = await this.db.selectFrom('nodes').selectAll().where(column, '=', ident).executeTakeFirst();
    return row && toNode(row);
  }

  async getNodeOrThrow(ident: string): Promise<NodeRecord> {
    const node = await this.getNode(ident);
    if (!node) throw new NotFoundError(`Node ${ident} could not be found.`);
    return node;
  }

  async listNodes(filter: NodeFilter = {}): Promise<NodeRecord[]> {
    let q = this.db.selectFrom('nodes').selectAll().orderBy('uuid');
    if (filter.provision_state) q = q.where('provision_state', '=', filter.provision_state);
    if (filter.driver) q = q.where('driver', '=', filter.driver);
    if (filter.resource_class) q = q.where('resource_class', '=', filter.resource_class);
    if (filter.name_prefix) q = q.where('name', 'like', `${filter.name_prefix.replace(/[%_]/g, '')}%`);
    if (filter.marker) q = q.where('uuid', '>', filter.marker);
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map(toNode);
  }

  async deleteNode(ident: string): Promise<void> {
    const node = await this.getNodeOrThrow(ident);
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('ports').where('node_uuid', '=', node.uuid).execute();
      await tx.deleteFrom('nodes').where('uuid', '=', node.uuid).execute();
    });
  }

  /**
   * Read-modify-write with optimistic locking: `mutate` sees the current record and
   * returns the fields to change; when another writer got in between, it runs again
   * on the fresh record, so no writer's change is lost.
   */
  async updateNode(ident: string, mutate: (node: NodeRecord) => Mutable): Promise<NodeRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const row = await this.db.selectFrom('nodes').selectAll().where(UUID_RE.test(ident) ? 'uuid' : 'name', '=', ident).executeTakeFirst();
      if (!row) throw new NotFoundError(`Node ${ident} could not be found.`);
      const changes = mutate(toNode(row));
      const values: Record<string, unknown> = { updated_at: now(), version: row.version + 1 };
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) continue;
        if (key === 'properties' || key === 'extra' || key === 'traits') values[key] = JSON.stringify(value);
        else if (key === 'driver_info') {
          values.driver_info = JSON.stringify(value);
          values.bmc_address = bmcAddressOf(value as Record<string, unknown>);
        } else if (key === 'maintenance') values.maintenance = value ? 1 : 0;
        else values[key] = value;
      }
      try {
        const result = await this.db
          .updateTable('nodes')
          .set(values)
          .where('uuid', '=', row.uuid)
          .where('version', '=', row.version)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) return this.getNodeOrThrow(row.uuid);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`a node named ${String(changes.name)} already exists`);
        throw err;
      }
    }
    throw new ConflictError(`node ${ident} is being updated by too many writers at once; try again`);
  }

  /** Applies the processing pipeline's changes: properties, extra, traits and ports, as one transaction. */
  async applyPatch(nodeUuid: string, patch: NodePatch): Promise<NodeRecord> {
    const node = await this.updateNode(nodeUuid, (current) => {
      const traits = new Set(current.traits);
      patch.addTraits.forEach((t) => traits.add(t));
      patch.removeTraits.forEach((t) => traits.delete(t));
      return {
        properties: { ...current.properties, ...patch.properties },
        extra: { ...current.extra, ...patch.extra },
        traits: [...traits].sort(),
      };
    });
    await this.db.transaction().execute(async (tx) => {
      if (patch.removePorts.length) {
        await tx.deleteFrom('ports').where('node_uuid', '=', nodeUuid).where('address', 'in', patch.removePorts).execute();
      }
      for (const port of patch.ports) {
        const existing = await tx.selectFrom('ports').selectAll().where('address', '=', port.address).executeTakeFirst();
        if (existing && existing.node_uuid !== nodeUuid) {
          throw new ConflictError(`MAC ${port.address} already belongs to node ${existing.node_uuid}`);
        }
        const values = {
          pxe_enabled: port.pxe_enabled ? 1 : 0,
          local_link_connection: JSON.stringify(port.local_link_connection ?? (existing ? JSON.parse(existing.local_link_connection) : {})),
          physical_network: port.physical_network ?? existing?.physical_network ?? null,
        };
        if (existing) {
          await tx.updateTable('ports').set({ ...values, updated_at: now() }).where('uuid', '=', existing.uuid).execute();
        } else {
          await tx
            .insertInto('ports')
            .values({ uuid: randomUUID(), node_uuid: nodeUuid, address: port.address, ...values, created_at: now(), updated_at: null })
            .execute();
        }
      }
    });
    return node;
  }

  async createPort(input: unknown): Promise<PortRecord> {
    const body = parseOrThrow(PortCreateSchema, input);
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
          created_at: now(),
          updated_at: null,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`address: a port with MAC address ${body.address} already exists`);
      throw err;
    }
    return this.getPortOrThrow(uuid);
  }

  async getPortOrThrow(uuid: string): Promise<PortRecord> {
    const row = await this.db.selectFrom('ports').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    if (!row) throw new NotFoundError(`Port ${uuid} could not be found.`);
    return toPort(row);
  }

  async listPorts(nodeUuid?: string): Promise<PortRecord[]> {
    let q = this.db.selectFrom('ports').selectAll().orderBy('address');
    if (nodeUuid) q = q.where('node_uuid', '=', nodeUuid);
    return (await q.execute()).map(toPort);
  }

  async deletePort(uuid: string): Promise<void> {
    const result = await this.db.deleteFrom('ports').where('uuid', '=', uuid).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFoundError(`Port ${uuid} could not be found.`);
  }

  /**
   * Finds the node an agent reports for, by any of its MACs or its BMC address.
   * More than one candidate is an error, never a guess.
   */
  async lookup(macs: string[], bmcAddresses: string[]): Promise<NodeRecord> {
    const uuids = new Set<string>();
    if (macs.length) {
      const rows = await this.db.selectFrom('ports').select('node_uuid').where('address', 'in', macs).execute();
      rows.forEach((r) => uuids.add(r.node_uuid));
    }
    const addresses = bmcAddresses.filter((a) => a && a !== '0.0.0.0' && a !== '::');
    if (addresses.length) {
      const rows = await this.db.selectFrom('nodes').select('uuid').where('bmc_address', 'in', addresses).execute();
      rows.forEach((r) => uuids.add(r.uuid));
    }
    const described = `MACs [${macs.join(', ')}], BMC addresses [${addresses.join(', ')}]`;
    if (uuids.size === 0) throw new NotFoundError(`no node matches ${described}`);
    if (uuids.size > 1) throw new ConflictError(`${described} match several nodes: ${[...uuids].sort().join(', ')}`);
    return this.getNodeOrThrow([...uuids][0]);
  }

  async createRule(uuid: string, description: string | null, body: Record<string, unknown>): Promise<RuleRecord> {
    const created_at = now();
    try {
      await this.db.insertInto('rules').values({ uuid, description, body: JSON.stringify(body), created_at }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`uuid: rule ${uuid} already exists`);
      throw err;
    }
    return { uuid, description, body, created_at };
  }

  async listRules(): Promise<RuleRecord[]> {
    const rows = await this.db.selectFrom('rules').selectAll().orderBy('created_at').orderBy('uuid').execute();
    return rows.map((r) => ({ ...r, body: JSON.parse(r.body) }));
  }

  async getRuleOrThrow(uuid: string): Promise<RuleRecord> {
    const row = await this.db.selectFrom('rules').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    if (!row) throw new NotFoundError(`Rule ${uuid} could not be found.`);
    return { ...row, body: JSON.parse(row.body) };
  }

  async deleteRule(uuid: string): Promise<void> {
    const result = await this.db.deleteFrom('rules').where('uuid', '=', uuid).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFoundError(`Rule ${uuid} could not be found.`);
  }

  async deleteAllRules(): Promise<void> {
    await this.db.deleteFrom('rules').execute();
  }
}
