import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface Postgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  databaseUrl: string;
  /** A fresh, empty database in the cluster, by URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Why a throwaway cluster cannot run here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (initdb must run as the postgres user, via runuser)';
  if (!fs.existsSync(path.join(POSTGRES_BIN, 'initdb'))) return `no PostgreSQL binaries in ${POSTGRES_BIN} (set POSTGRES_BIN)`;
  if (!['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].some((p) => fs.existsSync(p))) return 'runuser is missing';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const asPostgres = (bin: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(POSTGRES_BIN, bin), ...args]);

/**
 * A throwaway PostgreSQL cluster in a temp dir: trust auth, TCP on 127.0.0.1 on the given or a free port,
 * its unix socket in the temp dir, fsync off. stop() shuts it down and removes the dir.
 */
export async function startPostgres({ port: fixedPort }: { port?: number } = {}): Promise<Postgres> {
  const why = postgresUnavailable();
  if (why) throw new Error(`cannot start PostgreSQL: ${why}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-pg-'));
  const data = path.join(dir, 'data');
  const socketDir = path.join(dir, 'socket');
  fs.mkdirSync(socketDir);
  await run('chown', ['-R', 'postgres:postgres', dir]);
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = fixedPort ?? (await freePort());
    const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    try {
      await asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
      break;
    } catch (err) {
      // another process took the port between the probe and the start
      if (attempt >= 3) {
        const log = fs.readFileSync(path.join(dir, 'postgres.log'), 'utf8').slice(-2000);
        throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
      }
    }
  }
  const databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    databaseUrl,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
