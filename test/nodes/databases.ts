import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRegistry, type NodeRegistry } from '../../nodes';
import { postgresUnavailable, startPostgres, type Postgres } from '../support/postgres';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface TestDatabase {
  kind: DatabaseKind;
  /** The URL of a fresh, empty database of this kind. */
  newUrl(): Promise<string>;
  /** A registry on a fresh database (or on `url`), closed after the suite. */
  openRegistry(url?: string): Promise<NodeRegistry>;
}

/**
 * Declares the suite once per database: SQLite (files in a temp dir) and PostgreSQL (a
 * throwaway cluster per suite). Where PostgreSQL cannot run, its suite is skipped with a warning.
 */
export function describeEachDatabase(title: string, body: (db: TestDatabase) => void): void {
  for (const kind of ['sqlite', 'postgres'] as const) {
    const unavailable = kind === 'postgres' ? postgresUnavailable() : undefined;
    if (unavailable) {
      console.warn(`SKIPPING "${title}" on PostgreSQL: ${unavailable}`);
      describe.skip(`${title} (postgres)`, () => body(unusable(kind)));
      continue;
    }
    describe(`${title} (${kind})`, () => {
      let postgres: Postgres | undefined;
      let dir = '';
      let count = 0;
      const opened: NodeRegistry[] = [];
      beforeAll(async () => {
        if (kind === 'postgres') postgres = await startPostgres();
        else dir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-sqlite-'));
      }, 120000);
      afterAll(async () => {
        await Promise.all(opened.splice(0).map((r) => r.close()));
        await postgres?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      });
      const newUrl = async () => {
        count += 1;
        return kind === 'postgres' ? postgres!.createDatabase(`test_${count}`) : `sqlite://${path.join(dir, `test-${count}.sqlite`)}`;
      };
      body({
        kind,
        newUrl,
        async openRegistry(url) {
          const registry = await openRegistry(url ?? (await newUrl()));
          opened.push(registry);
          return registry;
        },
      });
    });
  }
}

function unusable(kind: DatabaseKind): TestDatabase {
  const fail = () => Promise.reject(new Error(`${kind} is not available`));
  return { kind, newUrl: fail, openRegistry: fail };
}
