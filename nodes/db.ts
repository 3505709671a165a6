import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { FileLockedSqliteDialect, withPreparedStatements } from './sqlite-dialect';
import type { Database } from './tables';

/** Opens the registry database: `sqlite:///abs/path.sqlite` (embedded default) or `postgres://...`. */
export function openDatabase(url: string): Kysely<Database> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 10 }) }) });
  }
  if (!url.startsWith('sqlite://')) throw new Error(`DATABASE_URL must start with sqlite:// or postgres://, got ${url.split(':')[0]}:`);
  const file = url.slice('sqlite://'.length);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // The API and the worker share the file: WAL lets readers run beside a writer, and
  // busy_timeout makes a writer wait for the other process instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new FileLockedSqliteDialect({ database: withPreparedStatements(sqlite) }, file) });
}

/** A random pause that grows with the attempt, so writers that keep colliding drift apart. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Which column a unique constraint failed on, from PostgreSQL's or SQLite's error; undefined for other errors. */
export function uniqueViolation(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string; detail?: string };
  if (e?.code === '23505') return /Key \(([^)]+)\)/.exec(e.detail ?? '')?.[1] ?? 'unknown';
  return /UNIQUE constraint failed: \w+\.(\w+)/.exec(e?.message ?? '')?.[1];
}

/** PostgreSQL aborted a serializable transaction that overlapped another: run it again. */
export function serializationFailure(err: unknown): boolean {
  return (err as { code?: string })?.code === '40001';
}

export function now(): string {
  return new Date().toISOString();
}
