import type { Service } from './services';

// `npm start`'s children kept running: one that dies is started again after a pause that
// doubles with each crash in a row (1 s up to 30 s; back to 1 s once it has run a minute), while
// the others keep serving, and each restart is said.

export interface Backoff {
  minMs: number;
  maxMs: number;
  /** A process that ran this long before dying starts the next pause from minMs again. */
  healthyAfterMs: number;
}

const DEFAULT_BACKOFF: Backoff = { minMs: 1000, maxMs: 30_000, healthyAfterMs: 60_000 };

interface Entry {
  name: string;
  start: () => Promise<Service>;
  service: Service;
  startedAt: number;
  delayMs: number;
  restarts: number;
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly say: (message: string) => void,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {}

  /** Starts a service (a failure to start is the caller's) and keeps it running from then on. */
  async add(name: string, start: () => Promise<Service>): Promise<Service> {
    const entry: Entry = { name, start, service: await start(), startedAt: Date.now(), delayMs: this.backoff.minMs, restarts: 0 };
    this.entries.push(entry);
    this.watch(entry);
    return entry.service;
  }

  /** How many times each service was started again. */
  restarts(): Record<string, number> {
    return Object.fromEntries(this.entries.map((e) => [e.name, e.restarts]));
  }

  /** Stops every service, the last started first; nothing is restarted any more. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const entry of [...this.entries].reverse()) await entry.service.stop();
  }

  private watch(entry: Entry): void {
    entry.service.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (Date.now() - entry.startedAt >= this.backoff.healthyAfterMs) entry.delayMs = this.backoff.minMs;
      this.say(`${entry.name} exited (${signal ?? `code ${code}`}); starting it again in ${entry.delayMs / 1000} s, the rest keeps serving`);
      this.restartLater(entry);
    });
  }

  private restartLater(entry: Entry): void {
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      if (this.stopping) return;
      try {
        entry.service = await entry.start();
      } catch (err) {
        this.say(`${entry.name} did not start again: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; trying again in ${entry.delayMs / 1000} s`);
        this.restartLater(entry);
        return;
      }
      if (this.stopping) return void entry.service.stop();
      entry.startedAt = Date.now();
      entry.restarts++;
      this.say(`${entry.name} started again (pid ${entry.service.child.pid})`);
      this.watch(entry);
    }, entry.delayMs);
    entry.delayMs = Math.min(entry.delayMs * 2, this.backoff.maxMs);
    this.timers.add(timer);
  }
}
