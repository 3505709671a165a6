// Raw LLDP frames off one interface, as IPA reads them with an AF_PACKET socket
// (ethertype 0x88cc, promiscuous, the first frame per interface, lldp_timeout).
// Node has no AF_PACKET, so tcpdump (shipped in the ramdisk) captures one frame
// and prints it as hex (-xx: link header included); we split it into TLVs.

import { type LldpTlv, frameToTlvs, hexToBytes } from '../../common/lldp-tlv';
import type { CollectorContext } from '../context';

/** IPA reads 1600 bytes per frame. */
const SNAPLEN = 1600;
/** More than tcpdump prints for one frame of SNAPLEN bytes (about 5 characters per byte). */
const MAX_OUTPUT_CHARS = 16 * 1024;

/**
 * The first frame in tcpdump -xx output ("\t0x0010:  0180 c200 000e ..." lines after
 * a summary line); null when there is none, a group is not hex or it exceeds SNAPLEN.
 */
export function tcpdumpHexFrame(output: string): Uint8Array | null {
  const bytes: number[] = [];
  let started = false;
  for (const raw of output.slice(0, MAX_OUTPUT_CHARS).split('\n')) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    if (!line.startsWith('0x') || colon < 3) {
      if (started) break; // the next frame's summary line
      continue;
    }
    started = true;
    for (const group of line.slice(colon + 1).split(' ')) {
      if (group === '') continue;
      const chunk = hexToBytes(group);
      if (!chunk || group.length > 4) return null;
      bytes.push(...chunk);
    }
    if (bytes.length > SNAPLEN) return null;
  }
  return bytes.length > 0 ? Uint8Array.from(bytes) : null;
}

/**
 * The TLVs of the first LLDP frame `ifname` receives within `timeoutMs`; [] when none came
 * (or tcpdump could not listen, which is logged).
 */
export async function captureLldp(ctx: CollectorContext, tcpdump: string, ifname: string, timeoutMs: number): Promise<LldpTlv[]> {
  // -Z root: the ramdisk has no tcpdump user to drop privileges to.
  const args = ['-Z', 'root', '-i', ifname, '-c', '1', '-s', String(SNAPLEN), '--immediate-mode', '-nn', '-t', '-xx', 'ether', 'proto', '0x88cc'];
  const out = await ctx.exec(tcpdump, args, { timeoutMs });
  const frame = tcpdumpHexFrame(out.stdout);
  if (!frame) {
    if (out.code !== 0 && out.error !== 'timed out') {
      const why = (out.error ?? out.stderr).trim().split('\n').pop() || `exit ${out.code}`;
      ctx.log.warn('LLDP capture failed', { interface: ifname, error: why });
    }
    return [];
  }
  const tlvs = frameToTlvs(frame);
  if (!tlvs) ctx.log.warn('LLDP frame malformed, ignored', { interface: ifname, bytes: frame.length });
  return tlvs ?? [];
}
