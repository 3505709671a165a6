import { ramdiskErrorHook } from '../../activities/hooks/ramdisk_error';
import { HookError } from '../../activities/hooks/types';
import { makeCtx, makeData } from './helpers';

describe('ramdisk_error', () => {
  it('throws a HookError carrying the ramdisk error', () => {
    const ctx = makeCtx(makeData({}, { error: 'lshw failed: exit status 1' }));
    expect(() => ramdiskErrorHook.beforeProcessing!(ctx)).toThrow(HookError);
    expect(() => ramdiskErrorHook.beforeProcessing!(ctx)).toThrow('Ramdisk reported error: lshw failed: exit status 1');
  });

  it.each([undefined, null, ''])('does nothing when error is %p', (error) => {
    const ctx = makeCtx(makeData({}, { error }));
    expect(() => ramdiskErrorHook.beforeProcessing!(ctx)).not.toThrow();
    expect(ctx.patch.properties).toEqual({});
  });
});
