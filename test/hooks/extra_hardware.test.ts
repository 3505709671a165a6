import { extraHardwareHook } from '../../activities/hooks/extra_hardware';
import { NODE_UUID, makeCtx, makeData } from './helpers';

const EDEPLOY = [
  ['cpu', 'logical', 'number', '32'],
  ['memory', 'total', 'size', '17179869184'],
  ['system', 'product', 'name', 'PowerEdge R640'],
  ['disk', 'sda', 'rotational', 0],
];

function run(extra: Record<string, unknown>) {
  const ctx = makeCtx(makeData({}, extra));
  extraHardwareHook.beforeUpdate!(ctx);
  return ctx;
}

describe('extra_hardware', () => {
  it('moves data into the extra_hardware object and points the node at it', () => {
    const ctx = run({ data: EDEPLOY });
    const name = `extra_hardware-${NODE_UUID}`;
    expect(ctx.objects).toEqual({ [name]: EDEPLOY });
    expect('data' in ctx.data).toBe(false);
    expect(ctx.patch.extra).toEqual({ hardware_swift_object: name });
  });

  it('converts eDeploy data for introspection rules', () => {
    expect(run({ data: EDEPLOY }).data.extra).toEqual({
      cpu: { logical: { number: 32 } },
      memory: { total: { size: 17179869184 } },
      system: { product: { name: 'PowerEdge R640' } },
      disk: { sda: { rotational: 0 } },
    });
  });

  it('stores data of another format without converting it', () => {
    const ctx = run({ data: { some: 'thing' } });
    expect(ctx.objects[`extra_hardware-${NODE_UUID}`]).toEqual({ some: 'thing' });
    expect(ctx.data.extra).toBeUndefined();
    expect(ctx.data.data).toBeUndefined();
  });

  it('does nothing without data', () => {
    const ctx = run({});
    expect(ctx.objects).toEqual({});
    expect(ctx.patch.extra).toEqual({});
  });
});
