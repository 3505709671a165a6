import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { findTool } from '../../common/tools';
import { startService, waitForPort, type Service } from '../../scripts/services';
import { startPostgres, type Postgres } from './postgres';

// A production-shaped Temporal cluster for tests: the server built from go.temporal.io/server
// (scripts/lib/temporal-server.sh) on PostgreSQL with SQL visibility, schemas set up by
// temporal-sql-tool; its frontend requires mTLS (CA, server and client certificates made with
// openssl) and authorizes with the default authorizer and JWT claim mapper, whose signing key
// a small local JWKS server publishes. An API key is then a JWT with a `permissions` claim,
// sent as `authorization: Bearer <key>`.

const run = promisify(execFile);
const TOOLS_DIR = process.env.INTROSPECTOR_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'introspector', 'bin');
const SERVICES = ['frontend', 'internal-frontend', 'history', 'matching', 'worker'] as const;
const KEY_ID = 'introspector-test';

/** Why the cluster cannot run here, or undefined when it can. */
export function temporalServerUnavailable(): string | undefined {
  for (const tool of ['temporal-server', 'temporal-sql-tool']) {
    try {
      findTool(tool, TOOLS_DIR);
    } catch {
      return `${tool} is not built (npm test's bootstrap builds it: scripts/lib/temporal-server.sh)`;
    }
  }
  return undefined;
}

export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A CA and, signed by it, a server certificate for 127.0.0.1 and localhost and a client certificate (EC P-256). */
export async function makeCertificates(dir: string): Promise<TlsFiles> {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Introspector test CA');
  const sign = async (name: string, subject: string, extensions: string) => {
    fs.writeFileSync(file(`${name}.ext`), extensions);
    await openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
  };
  await sign('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await sign('client', '/CN=introspector', 'subjectAltName=DNS:introspector\nextendedKeyUsage=clientAuth\n');
  return { ca: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key'), clientCert: file('client.pem'), clientKey: file('client.key') };
}

/** An RS256 signing key, its JWKS, and JWTs signed with it. */
export function jwtIssuer() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KEY_ID, alg: 'RS256', use: 'sig' }] };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    jwks,
    /** A JWT for `subject` with these permissions (`<namespace>:<read|write|worker|admin>`), valid for an hour. */
    sign(subject: string, permissions: string[]): string {
      const now = Math.floor(Date.now() / 1000);
      const input = `${encode({ alg: 'RS256', typ: 'JWT', kid: KEY_ID })}.${encode({ sub: subject, permissions, iat: now, exp: now + 3600 })}`;
      return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    },
  };
}

export interface TemporalClusterOptions {
  /** Ports basePort … basePort+11: frontend, internal-frontend, history, matching, worker (gRPC and membership each), JWKS, PostgreSQL. */
  basePort: number;
  /** Registered by the cluster's admin, as an operator would. */
  namespace: string;
}

export interface TemporalCluster {
  address: string;
  namespace: string;
  dir: string;
  tls: TlsFiles;
  logFile: string;
  /** A JWT (API key) this cluster accepts. */
  apiKey(subject: string, permissions: string[]): string;
  /** Writes an API key into a file of mode 0600 and returns its path. */
  apiKeyFile(name: string, permissions: string[]): string;
  /** A connection as the cluster's admin (mTLS and a system admin key). */
  adminConnection(): Promise<Connection>;
  /** A fresh database in the cluster's PostgreSQL, by URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function serverConfig(o: TemporalClusterOptions, tls: TlsFiles, postgresPort: number, jwksUrl: string) {
  const port = (service: (typeof SERVICES)[number]) => o.basePort + 2 * SERVICES.indexOf(service);
  const datastore = (databaseName: string) => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `127.0.0.1:${postgresPort}`, connectProtocol: 'tcp', user: 'postgres', password: '', maxConns: 10, maxIdleConns: 10, maxConnLifetime: '1h' },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: datastore('temporal'), visibility: datastore('temporal_visibility') },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      // Clients of the frontend need a certificate of this CA; the services talk to each other,
      // and the system worker to the internal frontend, on loopback without TLS.
      tls: { frontend: { server: { certFile: tls.serverCert, keyFile: tls.serverKey, clientCaFiles: [tls.ca], requireClientAuth: true }, client: { rootCaFiles: [tls.ca] } } },
      authorization: {
        jwtKeyProvider: { keySourceURIs: [jwksUrl], refreshInterval: '1m' },
        permissionsClaimName: 'permissions',
        authorizer: 'default',
        claimMapper: 'default',
      },
    },
    services: Object.fromEntries(
      SERVICES.map((service) => [service, { rpc: { grpcPort: port(service), membershipPort: port(service) + 1, bindOnIP: '127.0.0.1' } }]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${port('frontend')}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
  };
}

/** temporal-sql-tool: creates the database and sets up the embedded schema at its latest version. */
async function setUpSchema(postgresPort: number, database: string, schema: string): Promise<void> {
  const sqlTool = findTool('temporal-sql-tool', TOOLS_DIR);
  const common = ['--ep', '127.0.0.1', '-p', String(postgresPort), '-u', 'postgres', '--pl', 'postgres12', '--db', database];
  for (const command of [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '--schema-name', schema]]) {
    await run(sqlTool, [...common, ...command]);
  }
}

function serveJwks(port: number, jwks: object): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Starts PostgreSQL, the JWKS server and the Temporal server, and registers the namespace. */
export async function startTemporalCluster(o: TemporalClusterOptions): Promise<TemporalCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-temporal-'));
  const logFile = path.join(dir, 'temporal.log');
  const issuer = jwtIssuer();
  let postgres: Postgres | undefined;
  let jwksServer: http.Server | undefined;
  let server: Service | undefined;
  const stop = async () => {
    await server?.stop();
    await new Promise((resolve) => (jwksServer ? jwksServer.close(resolve) : resolve(undefined)));
    await postgres?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const tls = await makeCertificates(dir);
    const jwksPort = o.basePort + 2 * SERVICES.length;
    jwksServer = await serveJwks(jwksPort, issuer.jwks);
    const pg = (postgres = await startPostgres({ port: jwksPort + 1 }));
    await setUpSchema(jwksPort + 1, 'temporal', 'postgresql/v12/temporal');
    await setUpSchema(jwksPort + 1, 'temporal_visibility', 'postgresql/v12/visibility');
    // YAML is a superset of JSON.
    const configFile = path.join(dir, 'temporal.yaml');
    fs.writeFileSync(configFile, JSON.stringify(serverConfig(o, tls, jwksPort + 1, `http://127.0.0.1:${jwksPort}/jwks.json`), null, 2));
    const args = ['--config-file', configFile, 'start', ...SERVICES.flatMap((service) => ['--service', service])];
    server = startService('temporal-server', findTool('temporal-server', TOOLS_DIR), args, logFile);
    await waitForPort('Temporal server', '127.0.0.1', o.basePort, server.child, 60_000, logFile);

    const address = `127.0.0.1:${o.basePort}`;
    const adminConnection = () =>
      Connection.connect({
        address,
        tls: { serverNameOverride: 'localhost', serverRootCACertificate: fs.readFileSync(tls.ca), clientCertPair: { crt: fs.readFileSync(tls.clientCert), key: fs.readFileSync(tls.clientKey) } },
        apiKey: issuer.sign('cluster-admin', ['temporal-system:admin']),
      });
    const admin = await adminConnection();
    try {
      await admin.workflowService.registerNamespace({ namespace: o.namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      // Registered in the database, the namespace reaches the services' caches within seconds.
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await admin.workflowService.countWorkflowExecutions({ namespace: o.namespace });
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    } finally {
      await admin.close();
    }
    return {
      address,
      namespace: o.namespace,
      dir,
      tls,
      logFile,
      apiKey: issuer.sign,
      apiKeyFile(name, permissions) {
        const file = path.join(dir, `${name}.jwt`);
        fs.writeFileSync(file, `${issuer.sign(name, permissions)}\n`, { mode: 0o600 });
        return file;
      },
      adminConnection,
      createDatabase: (name) => pg.createDatabase(name),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
