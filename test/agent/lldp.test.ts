import { collectLldp, lldpTimeoutMs, lldpctlToTlvs } from '../../agent/collectors/lldp';
import { createContext } from '../../agent/context';
import { captureLldp, tcpdumpHexFrame } from '../../agent/hw/lldp-capture';
import type { Exec, ExecResult } from '../../agent/sys';
import { captureLogger } from './helpers';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

// A frame as `tcpdump -nn -t -xx` prints it: 16 bytes per line, in groups of two.
function tcpdumpOutput(frameHex: string): string {
  const lines = ['LLDP, length 26'];
  for (let i = 0; i < frameHex.length; i += 32) {
    const chunk = frameHex.slice(i, i + 32).match(/.{1,4}/g)!.join(' ');
    lines.push(`\t0x${(i / 2).toString(16).padStart(4, '0')}:  ${chunk}`);
  }
  return lines.join('\n') + '\n';
}

const FRAME =
  '0180c200000e' + '641e81f41a20' + '88cc' +
  '0207' + '04641e81f41a20' + // chassis ID, MAC
  '040c' + '05' + hex('Ethernet1/7') + // port ID, ifName (11 bytes + subtype = 0x0c)
  '0602' + '0078' + // TTL
  '0000' + '0000'; // End, then padding

const LLDPCTL = {
  lldp: {
    interface: [
      {
        eno1: {
          via: 'LLDP',
          chassis: {
            'leaf-01': {
              id: { type: 'mac', value: '00:1c:73:aa:bb:cc' },
              descr: 'Arista Networks EOS',
              'mgmt-ip': '10.1.1.1',
            },
          },
          port: { id: { type: 'ifname', value: 'Ethernet12' }, descr: 'node-1 eno1', ttl: '120' },
          vlan: { 'vlan-id': '100', pvid: true, value: 'prov' },
        },
      },
      {
        eno2: {
          via: 'LLDP',
          chassis: { id: { type: 'ip', value: '10.9.8.7' } },
          port: { id: { type: 'local', value: '7' } },
        },
      },
    ],
  },
};

const INVENTORY = { interfaces: [{ name: 'lo' }, { name: 'eno1' }, { name: 'eno2' }] };

function ctxWith(tools: Record<string, (args: string[]) => ExecResult>, kernelParams: Record<string, string> = {}) {
  const calls: { command: string; args: string[]; timeoutMs?: number }[] = [];
  const exec: Exec = async (command, args, options) => {
    calls.push({ command, args, timeoutMs: options?.timeoutMs });
    return tools[command](args);
  };
  const log = captureLogger();
  const ctx = createContext({ root: '/nonexistent', exec, which: async (c) => (c in tools ? c : null), log, kernelParams });
  return { ctx, calls, log };
}

describe('tcpdump -xx output', () => {
  it('reads the first frame and stops at the next summary line', () => {
    const two = tcpdumpOutput(FRAME) + tcpdumpOutput('ffff');
    expect(Buffer.from(tcpdumpHexFrame(two)!).toString('hex')).toBe(FRAME);
  });

  it.each([
    ['no frame', 'tcpdump: listening on eth0\n'],
    ['a group that is not hex', '\t0x0000:  0180 c2zz\n'],
    ['a group longer than two bytes', '\t0x0000:  0180c200\n'],
    ['more than 1600 bytes', tcpdumpOutput('00'.repeat(1601))],
  ])('rejects %s', (_label, output) => {
    expect(tcpdumpHexFrame(output)).toBeNull();
  });
});

describe('captureLldp', () => {
  it('runs tcpdump for one LLDP frame, bounded by the timeout, and splits it into TLVs', async () => {
    const { ctx, calls } = ctxWith({ tcpdump: () => ({ code: 0, stdout: tcpdumpOutput(FRAME), stderr: '' }) });
    expect(await captureLldp(ctx, 'tcpdump', 'eno1', 5000)).toEqual([
      [1, '04641e81f41a20'],
      [2, '05' + hex('Ethernet1/7')],
      [3, '0078'],
      [0, ''],
    ]);
    expect(calls).toEqual([
      {
        command: 'tcpdump',
        args: ['-Z', 'root', '-i', 'eno1', '-c', '1', '-s', '1600', '--immediate-mode', '-nn', '-t', '-xx', 'ether', 'proto', '0x88cc'],
        timeoutMs: 5000,
      },
    ]);
  });

  it('[] on timeout (quietly), on failure (logged) and for a malformed frame (logged)', async () => {
    const timedOut = ctxWith({ tcpdump: () => ({ code: null, stdout: '', stderr: '', error: 'timed out' }) });
    expect(await captureLldp(timedOut.ctx, 'tcpdump', 'eno1', 10)).toEqual([]);
    expect(timedOut.log.lines).toEqual([]);

    const failed = ctxWith({ tcpdump: () => ({ code: 1, stdout: '', stderr: 'tcpdump: eno9: No such device exists\n' }) });
    expect(await captureLldp(failed.ctx, 'tcpdump', 'eno9', 10)).toEqual([]);
    expect(failed.log.text()).toContain('No such device exists');

    const truncated = ctxWith({ tcpdump: () => ({ code: 0, stdout: tcpdumpOutput(FRAME.slice(0, 40)), stderr: '' }) });
    expect(await captureLldp(truncated.ctx, 'tcpdump', 'eno1', 10)).toEqual([]);
    expect(truncated.log.text()).toContain('LLDP frame malformed');
  });
});

describe('lldp collector', () => {
  it('lldp_raw per interface (not lo) from captured frames, [] where none came', async () => {
    const { ctx, calls } = ctxWith(
      {
        tcpdump: (args) =>
          args[3] === 'eno1' ? { code: 0, stdout: tcpdumpOutput(FRAME), stderr: '' } : { code: null, stdout: '', stderr: '', error: 'timed out' },
      },
      { 'ipa-lldp-timeout': '3' },
    );
    const data: Record<string, unknown> = { inventory: structuredClone(INVENTORY) };
    await collectLldp(data, ctx);
    expect(data.lldp_raw).toEqual({ eno1: [[1, '04641e81f41a20'], [2, '05' + hex('Ethernet1/7')], [3, '0078'], [0, '']], eno2: [] });
    expect(calls.map((c) => [c.args[3], c.timeoutMs])).toEqual([
      ['eno1', 3000],
      ['eno2', 3000],
    ]);
    // IPA's current form: the inventory's interfaces keep no lldp of their own
    expect((data.inventory as typeof INVENTORY).interfaces.every((i) => !('lldp' in i))).toBe(true);
  });

  it('prefers lldpd, falls back to capturing when lldpctl fails, and sends nothing without tools', async () => {
    const lldpd = ctxWith({ lldpctl: () => ({ code: 0, stdout: JSON.stringify(LLDPCTL), stderr: '' }), tcpdump: () => ({ code: 0, stdout: '', stderr: '' }) });
    const fromLldpd: Record<string, unknown> = { inventory: { interfaces: [{ name: 'eno1' }, { name: 'veth0' }] } };
    await collectLldp(fromLldpd, lldpd.ctx);
    expect((fromLldpd.lldp_raw as Record<string, unknown[]>).eno1).toHaveLength(7);
    expect((fromLldpd.lldp_raw as Record<string, unknown[]>).veth0).toEqual([]);
    expect(lldpd.calls.map((c) => c.command)).toEqual(['lldpctl']);

    const broken = ctxWith({
      lldpctl: () => ({ code: 1, stdout: '', stderr: 'lldpctl: unable to connect to socket /run/lldpd.socket\n' }),
      tcpdump: () => ({ code: 0, stdout: tcpdumpOutput(FRAME), stderr: '' }),
    });
    const fromCapture: Record<string, unknown> = { inventory: structuredClone(INVENTORY) };
    await collectLldp(fromCapture, broken.ctx);
    expect((fromCapture.lldp_raw as Record<string, unknown[]>).eno2).toHaveLength(4);
    expect(broken.log.text()).toContain('unable to connect');

    const none = ctxWith({});
    const nothing: Record<string, unknown> = { inventory: structuredClone(INVENTORY) };
    await collectLldp(nothing, none.ctx);
    expect(nothing).not.toHaveProperty('lldp_raw');
    expect(none.log.text()).toContain('neither lldpctl nor tcpdump');
  });

  it('ipa-lldp-timeout: seconds, 30 by default, at most 300', () => {
    expect(lldpTimeoutMs({})).toBe(30000);
    expect(lldpTimeoutMs({ 'ipa-lldp-timeout': '5' })).toBe(5000);
    expect(lldpTimeoutMs({ 'ipa-lldp-timeout': '100000' })).toBe(300000);
    expect(lldpTimeoutMs({ 'ipa-lldp-timeout': 'soon' })).toBe(30000);
    expect(lldpTimeoutMs({ 'ipa-lldp-timeout': '0' })).toBe(30000);
  });
});

describe('lldpd output turned back into TLVs', () => {

  test('lldpctl JSON to [type, hex] TLVs', () => {
    const tlvs = lldpctlToTlvs(LLDPCTL);
    expect(tlvs.get('eno1')).toEqual([
      [1, '04001c73aabbcc'],
      [2, '05' + Buffer.from('Ethernet12').toString('hex')],
      [4, Buffer.from('node-1 eno1').toString('hex')],
      [5, Buffer.from('leaf-01').toString('hex')],
      [6, Buffer.from('Arista Networks EOS').toString('hex')],
      [127, '0080c2010064'],
      [127, '0080c20300640470726f76'],
    ]);
    expect(tlvs.get('eno2')).toEqual([
      [1, '05010a090807'],
      [2, '0737'],
    ]);
    // a single interface comes as an object, not a list
    expect(lldpctlToTlvs({ lldp: { interface: LLDPCTL.lldp.interface[1] } }).get('eno2')).toHaveLength(2);
    expect(lldpctlToTlvs({ lldp: {} }).size).toBe(0);
  });
});
