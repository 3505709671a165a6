import { HookError, type ProcessingHook } from './types';

/** Ends the introspection when the ramdisk itself reported a failure. */
export const ramdiskErrorHook: ProcessingHook = {
  name: 'ramdisk_error',
  beforeProcessing(ctx) {
    const error = ctx.data.error;
    if (error) throw new HookError(`Ramdisk reported error: ${error}`);
  },
};
