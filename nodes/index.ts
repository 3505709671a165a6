import { openDatabase } from './db';
import { migrate } from './migrations';
import { NodeRegistry } from './registry';

export { NodeRegistry } from './registry';
export type { PortQuery } from './registry';
export { maskSecrets, SECRET_MASK } from './secrets';
export type { NodeRecord, PortRecord, RuleRecord, NodeChanges } from './records';
export type { NodeFilter, PortFilter } from './schema';

/** Opens the registry at DATABASE_URL and brings its schema up to date. */
export async function openRegistry(url: string): Promise<NodeRegistry> {
  const db = openDatabase(url);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new NodeRegistry(db);
}
