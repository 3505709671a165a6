// The "PXE firmware" of a simulated node, started by chassis-control.sh on power on (inside
// the node's network namespace). It asks the boot service for the node's iPXE script, as a
// real server's firmware does after DHCP, then either boots the "ramdisk" or, told to exit,
// boots from the local disk: it logs that and ends, leaving nothing running (power off has
// nothing to stop; the chassis still says the power is on). Booting the ramdisk, it downloads
// the script's kernel and initrd as iPXE does (a failed download fails the boot) and throws
// them away: what it runs is the agent bundle, with the script's kernel command line as its
// /proc/cmdline. A boot service without a built ramdisk (404) is no failure: the simulated
// node carries its own. Bundled into one file for a bare `node`:
//   node firmware.js --script-url http://10.60.1.1:5050/boot/52-54-00-3c-00-01.ipxe \
//     --cmdline-file NODE_DIR/cmdline -- node agent.js --bmc-address 127.0.60.11
// The ramdisk command gets `--cmdline-file FILE` appended. Exit status: the ramdisk's, 0 for a
// local-disk boot, 1 when no script could be had.

import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBootScript } from './ipxe';

export interface FirmwareOptions {
  scriptUrl: string;
  cmdlineFile: string;
  /** The ramdisk's init: a command and its arguments. */
  ramdisk: string[];
  /** Tries while the boot service cannot be reached or fails (5xx). */
  attempts?: number;
  attemptTimeoutMs?: number;
  retryDelayMs?: number;
  /** For each of the kernel and the initrd (one try each). */
  imageTimeoutMs?: number;
  log?: (message: string) => void;
}

const stderrLog = (message: string) => process.stderr.write(`${new Date().toISOString()} pxe-firmware: ${message}\n`);

class NoScript extends Error {}

/** fetch's own message is "fetch failed"; the cause says why (ECONNREFUSED, timeout). */
function problemOf(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string } };
  return e.cause?.message ?? e.message ?? String(error);
}

async function fetchScript(o: Required<Omit<FirmwareOptions, 'ramdisk' | 'cmdlineFile'>>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    let problem: string;
    try {
      const response = await fetch(o.scriptUrl, { signal: AbortSignal.timeout(o.attemptTimeoutMs) });
      const text = await response.text();
      if (response.ok) return text;
      problem = `HTTP ${response.status}`;
      if (response.status < 500) throw new NoScript(`${o.scriptUrl} answered ${problem}`);
    } catch (error) {
      if (error instanceof NoScript) throw error;
      problem = problemOf(error);
    }
    if (attempt >= o.attempts) throw new NoScript(`no boot script from ${o.scriptUrl} after ${attempt} tries: ${problem}`);
    o.log(`no boot script yet (${problem}), trying again`);
    await new Promise((resolve) => setTimeout(resolve, o.retryDelayMs));
  }
}

/** Downloads a boot image to the end and drops it; 'not built' for a 404. */
async function fetchImage(url: string, timeoutMs: number): Promise<'fetched' | 'not built'> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (response.status === 404) {
    await response.body?.cancel();
    return 'not built';
  }
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  const reader = response.body.getReader();
  while (!(await reader.read()).done);
  return 'fetched';
}

/** Boots once; resolves to the exit status. */
export async function pxeBoot(options: FirmwareOptions): Promise<number> {
  const o = { attempts: 5, attemptTimeoutMs: 3000, retryDelayMs: 2000, imageTimeoutMs: 60000, log: stderrLog, ...options };
  let script;
  try {
    script = parseBootScript(await fetchScript(o));
  } catch (error) {
    o.log(`PXE boot failed: ${(error as Error).message}; no bootable device`);
    return 1;
  }
  if (script.boot === 'local-disk') {
    o.log(`no ramdisk to boot: booting from local disk${script.message ? ` (${script.message})` : ''}`);
    return 0;
  }
  for (const image of [script.kernel, script.initrd]) {
    if (!image) continue;
    try {
      if ((await fetchImage(image, o.imageTimeoutMs)) === 'not built') o.log(`${image} is not built on the boot service: booting without it`);
    } catch (error) {
      o.log(`could not boot: ${image}: ${problemOf(error)}; no bootable device`);
      return 1;
    }
  }
  // The command line carries the run's agent token: readable by this node's ramdisk only.
  await fs.writeFile(o.cmdlineFile, `${script.cmdline}\n`, { mode: 0o600 });
  const token = /(^|\s)ipa-agent-token=/.test(script.cmdline);
  o.log(`booting ${script.kernel} (command line in ${o.cmdlineFile}${token ? ', with an agent token' : ''})`);
  const [command, ...args] = o.ramdisk;
  const child = spawn(command, [...args, '--cmdline-file', o.cmdlineFile], { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', (error) => {
      o.log(`the ramdisk did not start: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    options: { 'script-url': { type: 'string' }, 'cmdline-file': { type: 'string' } },
    allowPositionals: true,
  });
  if (!values['script-url'] || !values['cmdline-file'] || positionals.length === 0) {
    stderrLog('usage: firmware.js --script-url URL --cmdline-file FILE -- RAMDISK COMMAND...');
    process.exit(2);
  }
  pxeBoot({ scriptUrl: values['script-url'], cmdlineFile: values['cmdline-file'], ramdisk: positionals }).then((code) => {
    process.exitCode = code;
  });
}
