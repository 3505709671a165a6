import type { BmcDriver, BootDevice, PowerState } from './driver';

/** Ironic's `fake` driver: accepts every command and remembers the state, touching no hardware. */
export class FakeDriver implements BmcDriver {
  private static readonly states = new Map<string, { power: PowerState; boot: BootDevice }>();

  constructor(private readonly nodeUuid: string) {}

  private get state() {
    let s = FakeDriver.states.get(this.nodeUuid);
    if (!s) FakeDriver.states.set(this.nodeUuid, (s = { power: 'power off', boot: 'disk' }));
    return s;
  }

  async powerStatus(): Promise<PowerState> {
    return this.state.power;
  }
  async powerOn(): Promise<void> {
    this.state.power = 'power on';
  }
  async powerOff(): Promise<void> {
    this.state.power = 'power off';
  }
  async powerCycle(): Promise<void> {
    this.state.power = 'power on';
  }
  async setBootDevice(device: BootDevice): Promise<void> {
    this.state.boot = device;
  }
}
