import { ApplicationFailure } from '@temporalio/common';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { BmcError } from './bmc';


/**
 * Failures that another attempt of the activity cannot fix are non-retryable: an unknown node,
 * bad driver_info, and any BMC error, because the driver has already spent its own bounded
 * retries (the one layer that retries BMC commands). Temporal's retries are left for a lost
 * worker and passing trouble such as a locked database.
 */
export function asActivityFailure(err: unknown): unknown {
  if (err instanceof NotFoundError) return ApplicationFailure.nonRetryable(err.message, 'NotFound');
  if (err instanceof InvalidInputError) return ApplicationFailure.nonRetryable(err.message, 'InvalidNode');
  if (err instanceof BmcError) return ApplicationFailure.nonRetryable(err.message, 'BmcError');
  return err;
}

/** Runs an activity body, classifying what it throws. */
export async function classified<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw asActivityFailure(err);
  }
}
