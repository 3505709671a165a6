// Small helpers to read /sys and /proc under a configurable root, and to run
// host tools. Reads never throw: unreadable or empty values come back as null.

import { execFile } from 'node:child_process';
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';

/** Join a root (usually '/') with an absolute system path like '/sys/block'. */
export function under(root: string, ...parts: string[]): string {
  return path.join(root, ...parts);
}

/** File contents trimmed; null when missing, unreadable or empty. */
export async function readText(file: string): Promise<string | null> {
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

/** Decimal integer file; null when missing or not a number. */
export async function readInt(file: string): Promise<number | null> {
  const text = await readText(file);
  if (text === null || !/^-?\d+$/.test(text)) return null;
  return Number.parseInt(text, 10);
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

export async function isDir(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isDirectory();
  } catch {
    return false;
  }
}

/** Directory entries sorted naturally (sda before sdb, cpu2 before cpu10); [] when unreadable. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    const names = await fs.readdir(dir);
    return names.sort(naturalCompare);
  } catch {
    return [];
  }
}

export async function readLink(file: string): Promise<string | null> {
  try {
    return await fs.readlink(file);
  } catch {
    return null;
  }
}

/** The path with every symlink resolved; null when it does not exist. */
export async function realPath(file: string): Promise<string | null> {
  try {
    return await fs.realpath(file);
  } catch {
    return null;
  }
}

export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export interface ExecResult {
  /** Exit code; null when the process could not start or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not run at all (ENOENT, timeout, ...). */
  error?: string;
}

export type Exec = (command: string, args: string[], options?: { timeoutMs?: number }) => Promise<ExecResult>;

/** Run a command without a shell; never throws. */
export const execCommand: Exec = (command, args, options = {}) =>
  new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 15000, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const err = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        if (typeof err.code === 'number') {
          resolve({ code: err.code, stdout, stderr });
        } else {
          resolve({ code: null, stdout, stderr, error: err.killed ? 'timed out' : err.message });
        }
      },
    );
  });

export type Which = (command: string) => Promise<string | null>;

/** Find an executable on PATH without spawning a shell. */
export const whichCommand: Which = async (command) => {
  const dirs = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(path.delimiter)
    .filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    try {
      await fs.access(candidate, fsConstants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
};
