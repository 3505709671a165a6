import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './tables';

const migrations: Record<string, Migration> = {
  '0001_nodes_ports_rules': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('nodes')
        .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.unique())
        .addColumn('driver', 'varchar(32)', (c) => c.notNull())
        .addColumn('driver_info', 'text', (c) => c.notNull())
        .addColumn('bmc_address', 'varchar(255)')
        .addColumn('properties', 'text', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .addColumn('traits', 'text', (c) => c.notNull())
        .addColumn('resource_class', 'varchar(80)')
        .addColumn('power_state', 'varchar(15)')
        .addColumn('provision_state', 'varchar(32)', (c) => c.notNull())
        .addColumn('target_provision_state', 'varchar(32)')
        .addColumn('last_error', 'text')
        .addColumn('maintenance', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('inspection_started_at', 'varchar(32)')
        .addColumn('inspection_finished_at', 'varchar(32)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)')
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('nodes_bmc_address').on('nodes').column('bmc_address').execute();
      await db.schema
        .createTable('ports')
        .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('node_uuid', 'varchar(36)', (c) => c.notNull().references('nodes.uuid').onDelete('cascade'))
        .addColumn('address', 'varchar(18)', (c) => c.notNull().unique())
        .addColumn('pxe_enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('local_link_connection', 'text', (c) => c.notNull())
        .addColumn('physical_network', 'varchar(64)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)')
        .execute();
      await db.schema.createIndex('ports_node_uuid').on('ports').column('node_uuid').execute();
      await db.schema
        .createTable('rules')
        .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('description', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
  },
  '0002_provision_updated_at_maintenance_reason': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('nodes').addColumn('provision_updated_at', 'varchar(32)').execute();
      await db.schema.alterTable('nodes').addColumn('maintenance_reason', 'text').execute();
    },
  },
  '0003_introspection_runs': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('introspection_runs')
        .addColumn('node_uuid', 'varchar(36)', (c) => c.primaryKey().references('nodes.uuid').onDelete('cascade'))
        .addColumn('token', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('opened_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
  },
  '0004_introspections_and_bulks': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('introspections')
        .addColumn('node_uuid', 'varchar(36)', (c) => c.primaryKey().references('nodes.uuid').onDelete('cascade'))
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('bulk_id', 'varchar(36)')
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('finished_at', 'varchar(32)')
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('introspections_started').on('introspections').columns(['started_at', 'node_uuid']).execute();
      await db.schema.createIndex('introspections_bulk').on('introspections').column('bulk_id').execute();
      await db.schema
        .createTable('bulks')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('selector', 'text', (c) => c.notNull())
        .addColumn('total', 'integer')
        .addColumn('next_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('select_after', 'varchar(36)')
        .addColumn('select_done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('finished_at', 'varchar(32)')
        .execute();
      await db.schema.createIndex('bulks_started').on('bulks').columns(['started_at', 'id']).execute();
      await db.schema
        .createTable('bulk_names')
        .addColumn('bulk_id', 'varchar(36)', (c) => c.notNull().references('bulks.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('ident', 'varchar(255)', (c) => c.notNull())
        .addPrimaryKeyConstraint('bulk_names_pk', ['bulk_id', 'seq'])
        .execute();
      await db.schema
        .createTable('bulk_nodes')
        .addColumn('bulk_id', 'varchar(36)', (c) => c.notNull().references('bulks.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('node_uuid', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('boot_phase', 'varchar(32)')
        .addColumn('started_at', 'varchar(32)')
        .addColumn('finished_at', 'varchar(32)')
        .addPrimaryKeyConstraint('bulk_nodes_pk', ['bulk_id', 'seq'])
        .execute();
      await db.schema.createIndex('bulk_nodes_node').on('bulk_nodes').columns(['bulk_id', 'node_uuid']).unique().execute();
      await db.schema.createIndex('bulk_nodes_state').on('bulk_nodes').columns(['bulk_id', 'state', 'seq']).execute();
    },
  },
  '0005_port_extra_target_power_state': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('ports').addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}')).execute();
      await db.schema.alterTable('nodes').addColumn('target_power_state', 'varchar(15)').execute();
    },
  },
  '0007_node_inspect_interface': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('nodes').addColumn('inspect_interface', 'varchar(16)', (c) => c.notNull().defaultTo('agent')).execute();
    },
  },
  '0006_inspection_rules': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('inspection_rules')
        .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('description', 'varchar(255)')
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('sensitive', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('phase', 'varchar(16)', (c) => c.notNull().defaultTo('main'))
        .addColumn('conditions', 'text', (c) => c.notNull())
        .addColumn('actions', 'text', (c) => c.notNull())
        .addColumn('built_in', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)')
        .execute();
    },
  },
  '0010_fleet_views': {
    async up(db: Kysely<unknown>) {
      // Each node's fleet view (common/expr/fleet-view.ts) and its scalars indexed for fleet queries (nodes/fleet.ts).
      await db.schema
        .createTable('fleet_views')
        .addColumn('node_uuid', 'varchar(36)', (c) => c.primaryKey().references('nodes.uuid').onDelete('cascade'))
        .addColumn('view', 'text', (c) => c.notNull())
        .addColumn('memory_mb', 'double precision')
        .addColumn('cpu_count', 'double precision')
        .addColumn('cpu_model_name', 'text')
        .addColumn('disk_count', 'integer', (c) => c.notNull())
        .addColumn('interface_count', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      for (const column of ['memory_mb', 'cpu_count', 'cpu_model_name', 'disk_count', 'interface_count']) {
        await db.schema.createIndex(`fleet_views_${column}`).on('fleet_views').column(column).execute();
      }
    },
  },
  '0008_introspection_history': {
    async up(db: Kysely<unknown>) {
      // Every accepted introspection of a node (nodes/history.ts); its data is in S3 under names of its run.
      await db.schema
        .createTable('introspection_history')
        .addColumn('node_uuid', 'varchar(36)', (c) => c.notNull().references('nodes.uuid').onDelete('cascade'))
        .addColumn('id', 'integer', (c) => c.notNull())
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('bulk_id', 'varchar(36)')
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('finished_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('processed_bytes', 'integer', (c) => c.notNull())
        .addColumn('unprocessed_bytes', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('introspection_history_pk', ['node_uuid', 'id'])
        .addUniqueConstraint('introspection_history_run', ['node_uuid', 'run_id'])
        .execute();
    },
  },
  '0009_acceptance': {
    async up(db: Kysely<unknown>) {
      // Each introspection's acceptance against its profile and cabling plan (nodes/acceptance.ts).
      await db.schema
        .createTable('acceptance')
        .addColumn('node_uuid', 'varchar(36)', (c) => c.notNull().references('nodes.uuid').onDelete('cascade'))
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('bulk_id', 'varchar(36)')
        .addColumn('rack', 'varchar(255)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('profile', 'varchar(255)')
        .addColumn('differences', 'text', (c) => c.notNull())
        .addColumn('miscabled', 'text', (c) => c.notNull())
        .addColumn('checked_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('acceptance_pk', ['node_uuid', 'started_at'])
        .execute();
      await db.schema.createIndex('acceptance_bulk').on('acceptance').columns(['bulk_id', 'node_uuid', 'started_at']).execute();
    },
  },
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; runs on every start, and does nothing when it is current. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
}
