import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The program that is a node's chassis (power, boot override, what runs), for ipmi_sim and the Redfish simulator alike. */
export const CHASSIS_CONTROL = path.join(__dirname, 'chassis-control.sh');
/** ipmi_sim's lan_config_program: the BMC's own LAN address, as `lan print` reports it. */
export const LAN_CONFIG = path.join(__dirname, 'lan-config.sh');

/** Boot devices as ipmi_sim names them (`none`: no override). */
export type BootDevice = 'none' | 'pxe' | 'default' | 'cdrom' | 'bios';

export interface ChassisState {
  power: 'on' | 'off';
  /** Where a power change on its way will take the chassis. */
  pending: 'on' | 'off' | null;
  boot: BootDevice;
  /** Whether the override is consumed by the next boot or kept for every boot. */
  bootMode: 'once' | 'continuous';
}

export interface ChassisSettings {
  powerDelaySeconds: number;
  /** 0: an override nobody booted from never expires. */
  bootOverrideExpirySeconds: number;
}

const onOff = (value: string | undefined) => (value === '1' ? 'on' : value === '0' ? 'off' : null);

/** One node's chassis: its state lives in files of the node's dir, changed only through chassis-control.sh. */
export class Chassis {
  constructor(readonly dir: string) {}

  /** Writes the settings chassis-control.sh reads on every call. */
  configure(settings: ChassisSettings): void {
    const conf = [`power_delay=${settings.powerDelaySeconds}`, `boot_override_expiry_ms=${Math.round(settings.bootOverrideExpirySeconds * 1000)}`];
    fs.writeFileSync(path.join(this.dir, 'chassis.conf'), `${conf.join('\n')}\n`);
  }

  async state(): Promise<ChassisState> {
    const { stdout } = await run(CHASSIS_CONTROL, [this.dir, 'get', 'power', 'pending', 'boot', 'boot_mode']);
    const values = new Map(stdout.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]));
    return {
      power: onOff(values.get('power')) ?? 'off',
      pending: onOff(values.get('pending')),
      boot: (values.get('boot') ?? 'none') as BootDevice,
      bootMode: values.get('boot_mode') === 'continuous' ? 'continuous' : 'once',
    };
  }

  async power(target: 'on' | 'off'): Promise<void> {
    await this.set('power', target === 'on' ? '1' : '0');
  }

  /** Off, then on again; a chassis that is off is just powered on. */
  async cycle(): Promise<void> {
    await this.set('cycle', '1');
  }

  /** A hard reset: the node boots again at once; nothing happens while it is off. */
  async reset(): Promise<void> {
    await this.set('reset', '1');
  }

  async bootOverride(device: BootDevice, mode: 'once' | 'continuous'): Promise<void> {
    await this.set('boot', device, mode);
  }

  private async set(...args: string[]): Promise<void> {
    await run(CHASSIS_CONTROL, [this.dir, 'set', ...args]);
  }

  /** The power state the chassis holds now (a change on its way not yet applied). */
  powerState(): 'on' | 'off' {
    return onOff(this.readFile('power')) ?? 'off';
  }

  /** The process group the node's firmware runs in, while it runs. */
  firmwareGroup(): number | null {
    const pgid = Number(this.readFile('boot.pid'));
    return pgid > 0 && isRunning(pgid) ? pgid : null;
  }

  private readFile(name: string): string | undefined {
    try {
      return fs.readFileSync(path.join(this.dir, name), 'utf8').trim();
    } catch {
      return undefined;
    }
  }
}

/**
 * Whether a process exists and has not ended. A killed process can linger as a zombie where
 * pid 1 reaps lazily (containers): its state in /proc says so.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
