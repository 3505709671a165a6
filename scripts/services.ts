import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../common/config';
import { devServerSearchAttributes } from '../common/search-attributes';
import { findTool } from '../common/tools';

const ROOT = path.resolve(__dirname, '..');

/**
 * Node arguments that run one of this project's TypeScript entry points in a single process
 * (tsx as a loader, not its CLI, which would leave the real program as a grandchild that a
 * SIGKILL of the child does not reach).
 */
export function tsEntry(relativePath: string): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href, path.join(ROOT, relativePath)];
}

/** A child process this program started and stops. */
export interface Service {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `host:port` or a URL → its host and port. */
export function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(name: string, host: string, port: number, child: ChildProcess | null, timeoutMs: number, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(host, port)) return;
    if (child && child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = logFile && fs.existsSync(logFile) ? `\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}` : '';
  throw new Error(`${name} did not start listening on ${host}:${port}${tail}`);
}

/** Waits until a service's readiness URL (/readyz) answers 200; gives up early when its process (if it has one) exits. */
export async function waitForReady(name: string, url: string, child: ChildProcess | null, timeoutMs: number, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline && (child === null || child.exitCode === null)) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = logFile && fs.existsSync(logFile) ? `\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}` : '';
  throw new Error(`${name} is not ready at ${url} (${last})${tail}`);
}

/** Starts a long-running child with its output in logFile; stop() sends SIGTERM, then SIGKILL. */
export function startService(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Service {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { name, child, stop };
}

export interface TemporalOptions {
  binary: string;
  host: string;
  port: number;
  /** 0 runs headless. */
  uiPort: number;
  dbFile: string;
  logFile: string;
}

/** The Temporal dev server (SQLite file, the project's search attributes registered). */
export async function startTemporal(o: TemporalOptions): Promise<Service> {
  fs.mkdirSync(path.dirname(o.dbFile), { recursive: true });
  const args = ['server', 'start-dev', '--ip', o.host, '--port', String(o.port), '--db-filename', o.dbFile, '--log-level', 'warn'];
  args.push(...(o.uiPort ? ['--ui-port', String(o.uiPort)] : ['--headless']));
  // Avoid the default metrics/HTTP ports so several dev servers can run side by side.
  args.push('--http-port', String(o.port + 1), '--metrics-port', String(o.port + 2));
  for (const attribute of devServerSearchAttributes()) args.push('--search-attribute', attribute);
  // The dev server has one history shard, whose queues are read at most 20 times a second by
  // default: each activity, child or signal then waits 40-50 ms for its turn, and a bulk run tops
  // out at about 25 such tasks a second (bench/vs-ironic-inspector.ts, bench/bulk.ts).
  for (const queue of ['transfer', 'visibility', 'timer']) args.push('--dynamic-config-value', `history.${queue}ProcessorMaxPollRPS=10000`);
  // One SQLite connection serves every write; with the default rollback journal each commit
  // waits for two fsyncs. A write-ahead log synced at checkpoints survives a crash of any
  // process (it loses at most the last commits on a power cut, never the file).
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  const service = startService('temporal', o.binary, args, o.logFile);
  await waitForPort('Temporal dev server', o.host, o.port, service.child, 60000, o.logFile);
  return service;
}

export interface VersitygwOptions {
  binary: string;
  host: string;
  port: number;
  dir: string;
  accessKey: string;
  secretKey: string;
  logFile: string;
}

/** versitygw serving S3 from a local directory (posix backend). */
export async function startVersitygw(o: VersitygwOptions): Promise<Service> {
  fs.mkdirSync(o.dir, { recursive: true });
  // Credentials go through the environment, not argv, so `ps` does not show the secret.
  const env = { ...process.env, ROOT_ACCESS_KEY: o.accessKey, ROOT_SECRET_KEY: o.secretKey };
  // Without --keep-alive it closes every connection after one request (a TCP connect per S3
  // call); --quiet leaves out its line per request (the API and the worker log their own).
  const args = ['--keep-alive', '--quiet', '--port', `${o.host}:${o.port}`, 'posix', o.dir];
  const service = startService('versitygw', o.binary, args, o.logFile, env);
  await waitForPort('versitygw', o.host, o.port, service.child, 30000, o.logFile);
  return service;
}

/** How to start each backing service this config asks for: the Temporal dev server and versitygw, their files under INTROSPECTOR_DATA_DIR. */
export function backingServiceStarters(
  config: Config,
  options: { uiPort: number; temporal: boolean; s3: boolean },
): { name: string; start: () => Promise<Service> }[] {
  const dataDir = config.INTROSPECTOR_DATA_DIR;
  const starters = [];
  if (options.temporal) {
    starters.push({
      name: 'Temporal dev server',
      start: () =>
        startTemporal({
          binary: findTool('temporal', config.INTROSPECTOR_TOOLS_DIR),
          ...hostPort(config.TEMPORAL_ADDRESS),
          uiPort: options.uiPort,
          dbFile: path.join(dataDir, 'temporal.sqlite'),
          logFile: path.join(dataDir, 'logs', 'temporal.log'),
        }),
    });
  }
  if (options.s3) {
    starters.push({
      name: 'versitygw (S3)',
      start: () =>
        startVersitygw({
          binary: findTool('versitygw', config.INTROSPECTOR_TOOLS_DIR),
          ...hostPort(config.S3_ENDPOINT),
          dir: path.join(dataDir, 's3'),
          accessKey: config.S3_ACCESS_KEY,
          secretKey: config.S3_SECRET_KEY,
          logFile: path.join(dataDir, 'logs', 'versitygw.log'),
        }),
    });
  }
  return starters;
}

/** The backing services this config asks for, started in order (and all stopped if one fails). */
export async function startBackingServices(config: Config, options: { uiPort: number; temporal: boolean; s3: boolean }): Promise<Service[]> {
  const services: Service[] = [];
  try {
    for (const { start } of backingServiceStarters(config, options)) services.push(await start());
  } catch (err) {
    for (const s of services.reverse()) await s.stop();
    throw err;
  }
  return services;
}
