// The parts of RMCP+ (IPMI v2.0 over LAN, as ipmitool -I lanplus speaks it) a proxy in front of
// a BMC needs to answer a request itself: session keys learnt from the session's setup (open
// session, RAKP 1 and 2) and the user's password, and sealing an IPMI response the way the BMC
// would (AES-CBC-128, HMAC-SHA1-96). IPMI v2.0 spec, chapter 13 (RMCP+ packets, RAKP, additional
// keying material); cipher suites 0–3 (RAKP-HMAC-SHA1 or none), which ipmi_sim offers.

import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const RMCP_HEADER = Buffer.from([0x06, 0x00, 0xff, 0x07]);
const AUTH_TYPE_RMCP_PLUS = 0x06;
const NEXT_HEADER = 0x07;

export const PAYLOAD = { ipmi: 0x00, openSessionResponse: 0x11, rakp1: 0x12, rakp2: 0x13 } as const;

export interface Packet {
  payloadType: number;
  encrypted: boolean;
  sessionId: number;
  payload: Buffer;
}

/** An RMCP+ packet; null for anything else (IPMI v1.5, ASF, OEM payloads, truncated). */
export function parsePacket(datagram: Buffer): Packet | null {
  if (datagram.length < 16 || !datagram.subarray(0, 4).equals(RMCP_HEADER) || datagram[4] !== AUTH_TYPE_RMCP_PLUS) return null;
  const type = datagram[5] & 0x3f;
  const length = datagram.readUInt16LE(14);
  if (type === 0x02 || datagram.length < 16 + length) return null;
  return { payloadType: type, encrypted: (datagram[5] & 0x80) !== 0, sessionId: datagram.readUInt32LE(6), payload: datagram.subarray(16, 16 + length) };
}

export interface Security {
  integrity: boolean;
  confidentiality: boolean;
  k1: Buffer;
  k2: Buffer;
}

interface Setup {
  consoleId: number;
  algorithms: { authentication: number; integrity: number; confidentiality: number };
  rakp1?: { rm: Buffer; role: number; username: Buffer };
}

export interface Session {
  consoleId: number;
  security: Security;
  sequence: number;
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha1', key).update(data).digest();

/**
 * The sessions set up through a proxy, by the BMC's (managed system's) session id, with their
 * keys once RAKP 2 has been seen. Only the BMC's one user is known: other users' sessions pass
 * through untouched.
 */
export class Sessions {
  private readonly setups = new Map<number, Setup>();
  private readonly sessions = new Map<number, Session>();

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  get(managedId: number): Session | undefined {
    return this.sessions.get(managedId);
  }

  fromConsole(packet: Packet): void {
    const p = packet.payload;
    if (packet.payloadType !== PAYLOAD.rakp1 || p.length < 28) return;
    const setup = this.setups.get(p.readUInt32LE(4));
    if (setup) setup.rakp1 = { rm: Buffer.from(p.subarray(8, 24)), role: p[24], username: Buffer.from(p.subarray(28, 28 + p[27])) };
  }

  fromBmc(packet: Packet): void {
    const p = packet.payload;
    if (packet.payloadType === PAYLOAD.openSessionResponse && p.length >= 36 && p[1] === 0) {
      this.remember(this.setups, p.readUInt32LE(8), {
        consoleId: p.readUInt32LE(4),
        algorithms: { authentication: p[16] & 0x3f, integrity: p[24] & 0x3f, confidentiality: p[32] & 0x3f },
      });
    } else if (packet.payloadType === PAYLOAD.rakp2 && p.length >= 24 && p[1] === 0) {
      const consoleId = p.readUInt32LE(4);
      for (const [managedId, setup] of this.setups) {
        if (setup.consoleId !== consoleId || !setup.rakp1) continue;
        this.setups.delete(managedId);
        const security = this.security(setup, Buffer.from(p.subarray(8, 24)));
        if (security) this.remember(this.sessions, managedId, { consoleId, security, sequence: 1 });
      }
    }
  }

  /** Keys for RAKP-HMAC-SHA1 with HMAC-SHA1-96 and AES-CBC-128 (each or both may be off), or for RAKP-none without either. */
  private security(setup: Setup, rc: Buffer): Security | null {
    const { authentication, integrity, confidentiality } = setup.algorithms;
    const rakp1 = setup.rakp1!;
    if (integrity > 1 || confidentiality > 1 || authentication > 1 || rakp1.username.toString() !== this.username) return null;
    if (authentication === 0) return integrity || confidentiality ? null : { integrity: false, confidentiality: false, k1: Buffer.alloc(0), k2: Buffer.alloc(0) };
    // SIK = HMAC_KG(Rm | Rc | RoleM | ULengthM | UNameM), KG the user's password (no BMC key set).
    const sik = hmac(Buffer.from(this.password), Buffer.concat([rakp1.rm, rc, Buffer.from([rakp1.role, rakp1.username.length]), rakp1.username]));
    return { integrity: integrity === 1, confidentiality: confidentiality === 1, k1: hmac(sik, Buffer.alloc(20, 1)), k2: hmac(sik, Buffer.alloc(20, 2)) };
  }

  /** Keeps the newest few: ipmitool opens a session per call and often leaves without closing it. */
  private remember<T>(map: Map<number, T>, id: number, value: T): void {
    map.set(id, value);
    if (map.size > 64) map.delete(map.keys().next().value!);
  }
}

/** The IPMI message a packet carries, decrypted; null when it cannot be read. */
export function openPayload(packet: Packet, security: Security): Buffer | null {
  if (!packet.encrypted) return packet.payload;
  if (!security.confidentiality || packet.payload.length < 32 || packet.payload.length % 16) return null;
  const decipher = createDecipheriv('aes-128-cbc', security.k2.subarray(0, 16), packet.payload.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(packet.payload.subarray(16)), decipher.final()]);
  const padLength = plain[plain.length - 1];
  return padLength < 16 ? plain.subarray(0, plain.length - 1 - padLength) : null;
}

/** An IPMI payload in a session packet from the BMC to the console. */
export function sealPacket(session: Session, message: Buffer): Buffer {
  const { security } = session;
  let body = message;
  if (security.confidentiality) {
    const padLength = 15 - (message.length % 16);
    const trailer = Buffer.from([...Array.from({ length: padLength }, (_, i) => i + 1), padLength]);
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', security.k2.subarray(0, 16), iv).setAutoPadding(false);
    body = Buffer.concat([iv, cipher.update(Buffer.concat([message, trailer])), cipher.final()]);
  }
  const header = Buffer.alloc(12);
  header[0] = AUTH_TYPE_RMCP_PLUS;
  header[1] = PAYLOAD.ipmi | (security.confidentiality ? 0x80 : 0) | (security.integrity ? 0x40 : 0);
  header.writeUInt32LE(session.consoleId, 2);
  header.writeUInt32LE(session.sequence++, 6);
  header.writeUInt16LE(body.length, 10);
  let signed = Buffer.concat([header, body]);
  if (security.integrity) {
    const padLength = (4 - ((signed.length + 2) % 4)) % 4;
    signed = Buffer.concat([signed, Buffer.alloc(padLength, 0xff), Buffer.from([padLength, NEXT_HEADER])]);
    signed = Buffer.concat([signed, hmac(security.k1, signed).subarray(0, 12)]);
  }
  return Buffer.concat([RMCP_HEADER, signed]);
}

export interface IpmiRequest {
  rsAddr: number;
  netFn: number;
  rsLun: number;
  rqAddr: number;
  rqSeq: number;
  rqLun: number;
  cmd: number;
}

export function parseIpmiRequest(message: Buffer): IpmiRequest | null {
  if (message.length < 7) return null;
  return { rsAddr: message[0], netFn: message[1] >> 2, rsLun: message[1] & 3, rqAddr: message[3], rqSeq: message[4] >> 2, rqLun: message[4] & 3, cmd: message[5] };
}

const checksum = (bytes: number[]) => (0x100 - (bytes.reduce((sum, b) => sum + b, 0) & 0xff)) & 0xff;

/** The response to a request that carries only a completion code. */
export function ipmiResponse(request: IpmiRequest, completionCode: number): Buffer {
  const head = [request.rqAddr, ((request.netFn | 1) << 2) | request.rqLun];
  const rest = [request.rsAddr, (request.rqSeq << 2) | request.rsLun, request.cmd, completionCode];
  return Buffer.from([...head, checksum(head), ...rest, checksum(rest)]);
}
