import { openDatabase } from './db';
import { migrate } from './migrations';
import { NodeRegistry } from './registry';

export { NodeRegistry, maskSecrets } from './registry';
export type { NodeRecord, PortRecord, RuleRecord, NodeFilter } from './registry';

/** Opens the registry at DATABASE_URL and brings its schema up to date. */
export async function openRegistry(url: string): Promise<NodeRegistry> {
  const db = openDatabase(url);
  await migrate(db);
  return new NodeRegistry(db);
}
