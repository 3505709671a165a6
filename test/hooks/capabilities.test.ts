import { capabilitiesHook } from '../../activities/hooks/capabilities';
import { mergeCapabilities, parseCapabilities, serializeCapabilities } from '../../activities/hooks/capabilities-string';
import { makeCtx, makeData } from './helpers';

function run(inventory: Record<string, unknown>, nodeCaps?: unknown, cpuFlags?: Record<string, string>) {
  const ctx = makeCtx(makeData(inventory), {
    node: { properties: nodeCaps === undefined ? {} : { capabilities: nodeCaps } },
    config: cpuFlags ? { cpuFlags } : {},
  });
  capabilitiesHook.beforeUpdate!(ctx);
  return ctx;
}

const cpu = (flags: string[]) => ({ cpu: { count: 4, architecture: 'x86_64', flags } });

describe('capabilities', () => {
  it('maps CPU flags with the default flag map and records the boot mode', () => {
    const ctx = run({ ...cpu(['fpu', 'vmx', 'aes', 'pse', 'pdpe1gb', 'smx', 'sse2']), boot: { current_boot_mode: 'uefi' } });
    expect(ctx.patch.properties.capabilities).toBe(
      'boot_mode:uefi,cpu_vt:true,cpu_aes:true,cpu_hugepages:true,cpu_hugepages_1g:true,cpu_txt:true',
    );
  });

  it('svm (AMD) also means cpu_vt', () => {
    expect(run(cpu(['svm'])).patch.properties.capabilities).toBe('cpu_vt:true');
  });

  it('sets only what is present', () => {
    expect(run({ ...cpu(['vmx', 'pse36', 'aes-ni']), boot: { current_boot_mode: 'bios' } }).patch.properties.capabilities).toBe(
      'boot_mode:bios,cpu_vt:true',
    );
  });

  it('leaves capabilities alone when nothing is detected', () => {
    expect(run(cpu(['fpu']), 'boot_option:local').patch.properties).toEqual({});
  });

  it('merges with the node capabilities: keeps, overwrites, appends', () => {
    const ctx = run({ ...cpu(['vmx']), boot: { current_boot_mode: 'uefi' } }, 'boot_option:local,boot_mode:bios,cpu_vt:false');
    expect(ctx.patch.properties.capabilities).toBe('boot_option:local,boot_mode:uefi,cpu_vt:true');
  });

  it('maps with the configured flag map instead of the default', () => {
    const ctx = run(cpu(['vmx', 'avx512f', 'aes']), undefined, { avx512f: 'cpu_avx512', vmx: 'virt' });
    expect(ctx.patch.properties.capabilities).toBe('cpu_avx512:true,virt:true');
  });

  it('accepts node capabilities given as an object', () => {
    expect(run(cpu(['aes']), { boot_option: 'netboot' }).patch.properties.capabilities).toBe('boot_option:netboot,cpu_aes:true');
  });
});

describe('capabilities string', () => {
  it('parses key:value pairs, trimming and keeping bare keys', () => {
    expect([...parseCapabilities('a:1, b : 2,,bare,c:x:y')]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['bare', null],
      ['c', 'x:y'],
    ]);
    expect([...parseCapabilities(undefined)]).toEqual([]);
    expect([...parseCapabilities('')]).toEqual([]);
  });

  it('round-trips', () => {
    expect(serializeCapabilities(parseCapabilities('boot_option:local,bare,c:x:y'))).toBe('boot_option:local,bare,c:x:y');
    expect(serializeCapabilities({ a: 1, b: true, c: 'x' })).toBe('a:1,b:true,c:x');
  });

  it('merges into what the pipeline already decided before the node value', () => {
    const ctx = makeCtx(makeData(), { node: { properties: { capabilities: 'a:1' } } });
    mergeCapabilities(ctx, { b: 2 });
    mergeCapabilities(ctx, { a: 3, c: 'z' });
    expect(ctx.patch.properties.capabilities).toBe('a:3,b:2,c:z');
  });
});
