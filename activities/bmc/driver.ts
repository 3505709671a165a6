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
