import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

// CPU time of a process and everything under it, from /proc/<pid>/stat: utime + stime of every
// thread (the process's line sums them), plus cutime + cstime (children that ended and were
// waited for), for the process and each live descendant.

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

interface Stat {
  ppid: number;
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  // The command name (2nd field) may hold spaces and parentheses: the fields that follow start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** CPU milliseconds used so far by each root pid's process tree. */
export function treeCpuMs(roots: number[]): Map<number, number> {
  const stats = new Map<number, Stat>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const total = (pid: number): number => (stats.get(pid)?.ticks ?? 0) + (children.get(pid) ?? []).reduce((sum, child) => sum + total(child), 0);
  return new Map(roots.map((pid) => [pid, (total(pid) * 1000) / TICKS_PER_SECOND]));
}
