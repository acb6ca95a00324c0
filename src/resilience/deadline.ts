import { LinkedAbort } from './linked-abort.js';
import { systemTimers, type Timers } from './timers.js';

/**
 * A `LinkedAbort` that also aborts at a deadline, `ms` from now, with the reason `expired()`
 * builds (only if it fires). `clear()` drops the deadline and keeps the link to the parent
 * (a stream past its first part: the call may still abort it); `dispose()` drops both.
 */
export class Deadline extends LinkedAbort {
  #timer: unknown;
  readonly #timers: Timers;

  constructor(
    parent: AbortSignal | undefined,
    ms: number,
    expired: () => unknown,
    timers: Timers = systemTimers,
  ) {
    super(parent);
    this.#timers = timers;
    if (this.signal.aborted) return;
    this.#timer = timers.setTimeout(() => {
      this.#timer = undefined;
      this.dispose();
      this.abort(expired());
    }, ms);
  }

  /** Drops the deadline; the link to the parent stays. Idempotent. */
  clear(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Drops the deadline and the link to the parent. Idempotent. */
  override dispose(): void {
    this.clear();
    super.dispose();
  }
}
