export type PowerState = 'power on' | 'power off';
export type BootDevice = 'pxe' | 'disk';

/** What introspection needs from a BMC. Every call has its own timeout and bounded retries. */
export interface BmcDriver {
  powerStatus(): Promise<PowerState>;
  powerOn(): Promise<void>;
  powerOff(): Promise<void>;
  powerCycle(): Promise<void>;
  setBootDevice(device: BootDevice): Promise<void>;
}

const COMMANDS = ['powerStatus', 'powerOn', 'powerOff', 'powerCycle', 'setBootDevice'] as const;
export type BmcCommand = (typeof COMMANDS)[number];

/** The driver with `around` wrapped around each of its commands (on top of it: still an instance of its class). */
export function aroundEachCommand(driver: BmcDriver, around: <R>(command: BmcCommand, run: () => Promise<R>) => Promise<R>): BmcDriver {
  const wrapped = Object.create(driver) as BmcDriver;
  for (const name of COMMANDS) {
    const command = driver[name] as (...args: unknown[]) => Promise<unknown>;
    Object.assign(wrapped, { [name]: (...args: unknown[]) => around(name, () => command.apply(driver, args)) });
  }
  return wrapped;
}

/** A BMC call failed. `retryable` is false when trying again cannot help (bad credentials, refused command). */
export class BmcError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'BmcError';
  }
}
