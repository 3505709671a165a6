// Polling that survives a short API outage (a restart, a proxy hiccup): transient
// errors are tolerated for a while, then the last one is thrown.

import { ApiError } from './http';

export const POLL_ERROR_BUDGET_MS = 30_000;

export class PollErrors {
  private since: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly budgetMs = POLL_ERROR_BUDGET_MS,
  ) {}

  /** A poll succeeded: the budget starts again. */
  ok(): void {
    this.since = undefined;
  }

  /**
   * A poll failed: rethrows unless the error is transient (no answer, 5xx, 429)
   * and the failures have lasted less than the budget; then a warning to show.
   */
  absorb(err: unknown): string {
    if (!(err instanceof ApiError) || !err.transient) throw err;
    const now = this.now();
    this.since ??= now;
    if (now - this.since >= this.budgetMs) throw err;
    return `warning: ${err.message}; retrying`;
  }
}
