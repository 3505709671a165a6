// Commands run as an operator runs them, inside a network namespace of the test's own: a bash
// session that keeps its variables and aliases from one command to the next, and long-running
// commands (`npm start`) in a process group of their own, as a terminal's foreground job, to be
// stopped with Ctrl-C.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A network namespace with its loopback up (and extra local addresses on it); remove() ends what runs in it. */
export class TestNetns {
  private constructor(readonly name: string) {}

  static async create(name: string, localAddresses: string[] = []): Promise<TestNetns> {
    const netns = new TestNetns(name);
    await netns.remove(); // what a killed run left
    await run('ip', ['netns', 'add', name]);
    const ip = (...args: string[]) => run('ip', ['-n', name, ...args]);
    await ip('link', 'set', 'lo', 'up');
    for (const address of localAddresses) await ip('addr', 'add', address, 'dev', 'lo');
    // Links 2 and 3 taken, as on a host: a simulated node's veth whose ends were both link 2 would
    // look to its agent like a device without a lower link, and go unreported.
    await ip('link', 'add', 'spare0', 'type', 'veth', 'peer', 'name', 'spare1');
    return netns;
  }

  /** The command and arguments that run argv inside the namespace. */
  exec(argv: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, ...argv]];
  }

  /** Kills every process still in the namespace (all started by this test), then deletes it. */
  async remove(): Promise<void> {
    const pids = await run('ip', ['netns', 'pids', this.name]).then(
      ({ stdout }) => stdout.split(/\s+/).filter(Boolean).map(Number),
      () => [],
    );
    for (const pid of pids) signal(pid, 'SIGKILL');
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/** The live (not zombie) processes of a process group, as `pid name`. */
export function processGroup(pgid: number): string[] {
  const members: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(`${pid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
  }
  return members;
}

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One bash, as an operator's terminal: each command sees the variables and aliases the ones before it set. */
export class ShellSession {
  private readonly child: ChildProcess;
  private count = 0;
  private lines = '';
  private waiting: { id: number; resolve: (code: number) => void } | null = null;
  /** What bash itself said (a command it could not parse). */
  private errors = '';

  constructor(
    netns: TestNetns,
    readonly cwd: string,
    env: NodeJS.ProcessEnv,
    private readonly outputDir: string,
  ) {
    fs.mkdirSync(outputDir, { recursive: true });
    const [command, args] = netns.exec(['bash', '--noprofile', '--norc']);
    this.child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.read(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.errors += chunk));
    this.child.stdin!.write('shopt -s expand_aliases\n'); // as in an interactive shell
  }

  /** Runs one command (stdin from /dev/null); its output is kept apart from the session's. */
  async run(command: string, timeoutMs = 120_000): Promise<ShellResult> {
    if (this.waiting) throw new Error('one command at a time');
    const id = ++this.count;
    const out = path.join(this.outputDir, `${id}.out`);
    const err = path.join(this.outputDir, `${id}.err`);
    const done = new Promise<number>((resolve) => (this.waiting = { id, resolve }));
    // A group, not a subshell: `export` and `alias` stay in the session.
    this.child.stdin!.write(`{\n${command}\n} </dev/null >'${out}' 2>'${err}'; echo "__done__ ${id} $?"\n`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`\`${command}\` did not end within ${timeoutMs / 1000} s${this.errors ? `; bash said: ${this.errors}` : ''}`)), timeoutMs);
    });
    try {
      const code = await Promise.race([done, timeout]);
      return { code, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.child.stdin!.end();
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private read(chunk: string): void {
    this.lines += chunk;
    let newline: number;
    while ((newline = this.lines.indexOf('\n')) >= 0) {
      const match = /^__done__ (\d+) (\d+)$/.exec(this.lines.slice(0, newline));
      this.lines = this.lines.slice(newline + 1);
      if (match && this.waiting && Number(match[1]) === this.waiting.id) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve(Number(match[2]));
      }
    }
  }
}

/** A command that runs until it is stopped, its output in a file. */
export class BackgroundCommand {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  /** argv runs in the namespace; `ip netns exec` becomes it, the group's leader, as a terminal's foreground job. */
  constructor(
    netns: TestNetns,
    private readonly argv: string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
  ) {
    const log = fs.openSync(logFile, 'w');
    const [program, args] = netns.exec(argv);
    this.child = spawn(program, args, { cwd, env, detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pgid(): number {
    return this.child.pid!;
  }

  output(): string {
    return fs.readFileSync(this.logFile, 'utf8');
  }

  /** Waits until its output says this; fails at once when it has ended without. */
  async waitForOutput(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output().includes(text)) {
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`\`${this.argv.join(' ')}\` ${this.child.exitCode !== null ? `exited ${this.child.exitCode}` : 'is still running'} without saying "${text}":\n${this.output().slice(-3000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Ctrl-C: SIGINT to the whole foreground job. */
  interrupt(): void {
    signal(-this.pgid, 'SIGINT');
  }

  /** Waits until no process of its group is left; returns those left at the deadline. */
  async groupEnded(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let left = processGroup(this.pgid);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      left = processGroup(this.pgid);
    }
    return left;
  }

  kill(): void {
    signal(-this.pgid, 'SIGKILL');
  }
}
