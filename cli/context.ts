// What every command gets: the streams, the clock, the two API clients (built
// from the global options on first use, sharing one set of credentials) and the output mode.

import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { Auth } from './auth';
import { toJson } from './format';
import { ApiClient, InterruptedError, type FetchLike } from './http';
import { readTerminalLine } from './prompt';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

export const DEFAULT_INSPECTOR_URL = 'http://127.0.0.1:5050';
export const DEFAULT_NODE_URL = 'http://127.0.0.1:6385';
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything the CLI touches outside itself; tests replace any of it. */
export interface CliIO {
  stdout: CliStream;
  stderr: CliStream;
  /** Credentials are asked for only when stdin is a terminal. */
  stdin: { isTTY?: boolean };
  /** Reads a line typed on the terminal; echo false for passwords. */
  prompt: (question: string, echo: boolean) => Promise<string>;
  env: Record<string, string | undefined>;
  now: () => number;
  /** Resolves after ms, or early when the signal aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Calls handler on Ctrl-C until the returned function is called. */
  onInterrupt: (handler: () => void) => () => void;
  fetch?: FetchLike;
}

/** Bad flags or arguments: exit 2 with the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that failed in a way already explained: exit 1 with this message. */
export class CommandFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailed';
  }
}

export async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks its signal
  }
}

export function defaultIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    prompt: (question, echo) => readTerminalLine(question, echo),
    env: process.env,
    now: () => Date.now(),
    sleep: defaultSleep,
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}

interface GlobalOptions {
  inspectorUrl?: string;
  nodeUrl?: string;
  json?: boolean;
  timeout?: number;
}

function checkedUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source}: "${value}" is not a URL (expected e.g. http://127.0.0.1:5050)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source}: "${value}" must be an http:// or https:// URL`);
  }
  return value;
}

export class Context {
  exitCode: number = EXIT.OK;
  private inspectorClient: ApiClient | undefined;
  private nodeClient: ApiClient | undefined;
  private auth: Auth | undefined;

  constructor(
    private readonly program: Command,
    readonly io: CliIO,
  ) {}

  private get globals(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  get json(): boolean {
    return this.globals.json === true;
  }

  private get timeoutMs(): number {
    return (this.globals.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  }

  /** The inspector API (introspection, bulk, rules). */
  get inspector(): ApiClient {
    this.inspectorClient ??= this.client('inspector API', this.globals.inspectorUrl, '--inspector-url', 'INTROSPECTOR_URL', DEFAULT_INSPECTOR_URL);
    return this.inspectorClient;
  }

  /** The node API (Ironic-shaped: nodes, ports, provision states). */
  get nodes(): ApiClient {
    this.nodeClient ??= this.client('node API', this.globals.nodeUrl, '--node-url', 'INTROSPECTOR_NODE_URL', DEFAULT_NODE_URL);
    return this.nodeClient;
  }

  /** A client for one API at the URL from its flag, else its env variable, else the default. */
  private client(label: string, flagValue: string | undefined, flag: string, envName: string, fallback: string): ApiClient {
    const env = this.io.env[envName];
    const url = flagValue ? checkedUrl(flagValue, flag) : env ? checkedUrl(env, envName) : fallback;
    this.auth ??= new Auth(this.io.env, this.io.stdin.isTTY ? (api) => this.askCredentials(api) : undefined);
    return new ApiClient(url, { label, hint: `${flag} or ${envName}`, timeoutMs: this.timeoutMs, fetch: this.io.fetch, auth: this.auth });
  }

  private async askCredentials(api: string): Promise<{ username: string; password: string }> {
    this.err(`The ${api} asks for a user name and password.`);
    const username = await this.io.prompt('User name: ', true);
    const password = await this.io.prompt('Password: ', false);
    return { username, password };
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  printJson(value: unknown): void {
    this.io.stdout.write(toJson(value));
  }

  /** Marks the run as failed (exit 1) without stopping it. */
  fail(): void {
    if (this.exitCode === EXIT.OK) this.exitCode = EXIT.FAILED;
  }

  /**
   * Runs `body` with a signal that aborts on Ctrl-C; resolves to true when it
   * was interrupted. Only while waiting: elsewhere Ctrl-C ends the process as usual.
   */
  async interruptible(body: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
    const controller = new AbortController();
    const dispose = this.io.onInterrupt(() => controller.abort());
    try {
      await body(controller.signal);
    } catch (err) {
      if (!(controller.signal.aborted && err instanceof InterruptedError)) throw err;
    } finally {
      dispose();
    }
    return controller.signal.aborted;
  }
}
