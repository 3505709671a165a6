import fs from 'node:fs';

/**
 * Follows a log file another process appends to (inotify through fs.watch): waits for a line,
 * at no cost to the process that writes it. Lines already written before waitFor() do not count.
 */
export class LogWatcher {
  private offset: number;
  private partial = '';
  private readonly waiters = new Set<{ match: (line: string) => boolean; resolve: () => void }>();
  private readonly watcher: fs.FSWatcher;

  constructor(private readonly file: string) {
    this.offset = fs.statSync(file).size;
    this.watcher = fs.watch(file, () => this.read());
  }

  private read(): void {
    const size = fs.statSync(this.file).size;
    if (size <= this.offset) return;
    const fd = fs.openSync(this.file, 'r');
    const buffer = Buffer.alloc(size - this.offset);
    fs.readSync(fd, buffer, 0, buffer.length, this.offset);
    fs.closeSync(fd);
    this.offset = size;
    const lines = (this.partial + buffer.toString('utf8')).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      for (const waiter of this.waiters) {
        if (waiter.match(line)) {
          this.waiters.delete(waiter);
          waiter.resolve();
        }
      }
    }
  }

  waitFor(match: (line: string) => boolean, timeoutMs: number): Promise<void> {
    this.read(); // what was written before this call is not waited for
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no line of ${this.file} matched within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.watcher.close();
  }
}
