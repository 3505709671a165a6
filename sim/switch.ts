// The rack's switch, as far as LLDP goes: each node's eth0 is cabled (hardware.ts) to a port of
// a switch, which advertises itself on that link every interval as a switch does (IEEE 802.1AB:
// chassis ID, port ID, TTL, port description, system name). The frame a node's port sends is
// NODE_DIR/switch-port.hex, written whenever its cable moves; lldp-switch.py sends it from the
// host end of the node's veth (Node has no AF_PACKET) and reads the file again every round.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type NodeHardware, switchChassisId } from './hardware';

const SENDER = path.join(__dirname, 'lldp-switch.py');
const LLDP_MULTICAST = '0180c200000e';
const LLDP_ETHERTYPE = '88cc';
const TTL_SECONDS = 120;

const text = (value: string) => Buffer.from(value, 'utf8').toString('hex');
const tlv = (type: number, valueHex: string) => ((type << 9) | (valueHex.length / 2)).toString(16).padStart(4, '0') + valueHex;

/** The LLDP frame (hex) the switch port at the other end of this cable sends; '' when unplugged. */
export function portFrame(cable: NodeHardware['cable']): string {
  if (!cable) return '';
  const chassis = switchChassisId(cable.switch).replace(/:/g, '');
  return [
    LLDP_MULTICAST,
    chassis,
    LLDP_ETHERTYPE,
    tlv(1, `04${chassis}`), // chassis ID: MAC address
    tlv(2, `05${text(cable.port)}`), // port ID: interface name
    tlv(3, TTL_SECONDS.toString(16).padStart(4, '0')),
    tlv(4, text(`${cable.port} of ${cable.switch}`)),
    tlv(5, text(cable.switch)),
    tlv(0, ''),
  ].join('');
}

export const portFrameFile = (nodeDir: string) => path.join(nodeDir, 'switch-port.hex');

/** What the node's switch port sends from now on. */
export function cablePort(nodeDir: string, cable: NodeHardware['cable']): void {
  const file = portFrameFile(nodeDir);
  fs.writeFileSync(`${file}.tmp`, portFrame(cable));
  fs.renameSync(`${file}.tmp`, file);
}

/** The switch's LLDP agent: one process for the rack, ended with it (it also ends when this process or the links go). */
export class LldpSwitch {
  private constructor(private readonly child: ChildProcess) {}

  /** `ports`: host-side link name -> node dir. */
  static start(ports: Map<string, string>, intervalSeconds: number, log: string): LldpSwitch {
    const out = fs.openSync(log, 'a');
    const args = [SENDER, String(intervalSeconds), String(process.pid), ...[...ports].map(([link, dir]) => `${link}=${portFrameFile(dir)}`)];
    const child = spawn('python3', args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.on('error', (error) => fs.appendFileSync(log, `the switch did not start (no LLDP): ${error.message}\n`));
    return new LldpSwitch(child);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
