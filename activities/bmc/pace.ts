import { aroundEachCommand, type BmcDriver } from './driver';

// Ironic's ipmi_min_command_interval: a BMC gets at least this long between two commands from
// this worker, whatever else the worker runs; commands to one BMC also never overlap.

const lastCommand = new Map<string, Promise<number>>();

/** Waits for this BMC's turn; resolves with the release to call when the command is done. */
async function turn(bmc: string, minIntervalMs: number): Promise<() => void> {
  const previous = lastCommand.get(bmc) ?? Promise.resolve(0);
  let release!: (at: number) => void;
  const mine = new Promise<number>((resolve) => (release = resolve));
  lastCommand.set(bmc, mine);
  const endedAt = await previous;
  const wait = endedAt + minIntervalMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return () => {
    release(Date.now());
    if (lastCommand.get(bmc) === mine) setTimeout(() => lastCommand.get(bmc) === mine && lastCommand.delete(bmc), minIntervalMs).unref();
  };
}

/** The driver with every command paced per BMC (keyed by its address). */
export function paced(driver: BmcDriver, bmc: string, minIntervalMs: number): BmcDriver {
  return aroundEachCommand(driver, async (_command, run) => {
    const done = await turn(bmc, minIntervalMs);
    try {
      return await run();
    } finally {
      done();
    }
  });
}
