import path from 'node:path';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase, type SqliteDialectConfig, type SqliteStatement } from 'kysely';

// better-sqlite3 is synchronous: when two connections to one file live in one process (the API
// and the worker in one process, or two registries in a test) and one holds a write transaction
// across an await, the other's write would block the whole thread until busy_timeout, and an
// upgrade from a read to a write transaction fails at once ("database is locked"). So every
// connection to a file takes that file's in-process lock for as long as it is acquired, and
// transactions start with BEGIN IMMEDIATE, which waits (busy_timeout) for writers in other
// processes instead of failing half-way.

/** A FIFO async mutex. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    await previous;
    return release;
  }
}

const fileLocks = new Map<string, Mutex>();

function lockFor(file: string): Mutex {
  const key = path.resolve(file);
  let lock = fileLocks.get(key);
  if (!lock) fileLocks.set(key, (lock = new Mutex()));
  return lock;
}

class FileLockedSqliteDriver extends SqliteDriver {
  private release: (() => void) | undefined;

  constructor(
    config: SqliteDialectConfig,
    private readonly fileLock: Mutex,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.fileLock.lock();
    try {
      const connection = await super.acquireConnection();
      this.release = release;
      return connection;
    } catch (err) {
      release();
      throw err;
    }
  }

  override async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await super.releaseConnection();
    release?.();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite on a file, safe for several connections to that file in one process and across processes. */
export class FileLockedSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly file: string,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new FileLockedSqliteDriver(this.config, lockFor(this.file));
  }
}

/** Statements kept prepared per connection: the registry's queries are a few hundred shapes at most. */
const PREPARED_STATEMENTS = 500;

/**
 * The database with its statements kept prepared by SQL text: Kysely prepares every query
 * afresh, which costs more than running most of ours. A connection runs one query at a time (the
 * file lock above), so a statement is never used twice at once.
 */
export function withPreparedStatements(database: SqliteDatabase): SqliteDatabase {
  const prepared = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare: (sql) => {
      let statement = prepared.get(sql);
      if (!statement) {
        if (prepared.size >= PREPARED_STATEMENTS) prepared.delete(prepared.keys().next().value!);
        prepared.set(sql, (statement = database.prepare(sql)));
      }
      return statement;
    },
  };
}
