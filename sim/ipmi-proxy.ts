import dgram from 'node:dgram';
import { ipmiResponse, openPayload, parseIpmiRequest, parsePacket, sealPacket, Sessions, type Packet } from './rmcp-plus';
import type { Temper } from './unkind';

const NODE_BUSY = 0xc0;
/** How long a console's port keeps its own socket towards the BMC after its last datagram. */
const IDLE_MS = 60000;

export interface IpmiProxyOptions {
  /** Where consoles (ipmitool) send their datagrams: the node's BMC address. */
  listen: { address: string; port: number };
  /** The ipmi_sim behind it. */
  bmc: { address: string; port: number };
  /** The BMC's user, to learn the keys of its sessions. */
  username: string;
  password: string;
  temper: Temper;
  log: (line: string) => void;
}

interface Upstream {
  socket: dgram.Socket;
  idle: NodeJS.Timeout;
}

// Busy BMCs refuse chassis requests (power control, boot options, status) while they are busy
// with the host; ipmitool's own probes (Get Device ID, DCMI, PICMG) still get their answers.
const CHASSIS_NETFN = 0x00;

/**
 * An unkind IPMI BMC: a UDP proxy in front of ipmi_sim. Every request datagram waits `slowMs`;
 * a flaky share is dropped; busy chassis requests are answered by the proxy itself with
 * completion code 0xC0 "node busy" (ipmi_sim cannot produce it: a failing chassis_control
 * becomes 0xFF), sealed with the session's keys, and never reach ipmi_sim. Each console
 * address:port gets its own socket towards ipmi_sim, so answers find their way back.
 */
export class IpmiProxy {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly sessions: Sessions;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly options: IpmiProxyOptions,
  ) {
    this.sessions = new Sessions(options.username, options.password);
    socket.on('message', (datagram, from) => this.fromConsole(datagram, from));
    socket.on('error', (error) => options.log(`proxy: ${error.message}`));
  }

  static async start(options: IpmiProxyOptions): Promise<IpmiProxy> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.listen.port, options.listen.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new IpmiProxy(socket, options);
  }

  private fromConsole(datagram: Buffer, from: dgram.RemoteInfo): void {
    const { temper, log } = this.options;
    if (temper.drops()) {
      log(`flaky: dropped a datagram from ${from.address}:${from.port}`);
      return;
    }
    const packet = parsePacket(datagram);
    if (packet) this.sessions.fromConsole(packet);
    const busy = packet && this.busyAnswer(packet);
    setTimeout(() => {
      if (this.closed) return;
      if (busy) this.socket.send(busy, from.port, from.address);
      else this.upstream(from).send(datagram, this.options.bmc.port, this.options.bmc.address);
    }, temper.delayMs);
  }

  /** The "node busy" answer to a request in a known session, when the temper says so. */
  private busyAnswer(packet: Packet): Buffer | null {
    const session = packet.payloadType === 0 && packet.sessionId !== 0 ? this.sessions.get(packet.sessionId) : undefined;
    const message = session && openPayload(packet, session.security);
    const request = message && parseIpmiRequest(message);
    if (!session || !request || request.netFn !== CHASSIS_NETFN || !this.options.temper.busy()) return null;
    this.options.log(`busy: answered netfn 0x${request.netFn.toString(16)} cmd 0x${request.cmd.toString(16)} with 0xc0`);
    return sealPacket(session, ipmiResponse(request, NODE_BUSY));
  }

  private upstream(from: dgram.RemoteInfo): dgram.Socket {
    const key = `${from.address}:${from.port}`;
    let upstream = this.upstreams.get(key);
    if (upstream) {
      upstream.idle.refresh();
    } else {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (reply) => {
        const packet = parsePacket(reply);
        if (packet) this.sessions.fromBmc(packet);
        if (!this.closed) this.socket.send(reply, from.port, from.address);
      });
      socket.on('error', (error) => this.options.log(`proxy: ${error.message}`));
      const idle = setTimeout(() => {
        this.upstreams.delete(key);
        socket.close();
      }, IDLE_MS).unref();
      upstream = { socket, idle };
      this.upstreams.set(key, upstream);
    }
    return upstream.socket;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { socket, idle } of this.upstreams.values()) {
      clearTimeout(idle);
      socket.close();
    }
    this.upstreams.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
