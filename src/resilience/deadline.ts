import { LinkedAbort } from './linked-abort.js';
import { systemTimers, type Timers } from './timers.js';

/**
 * A deadline under a parent signal: its `signal` aborts when the parent does, or after
 * `ms` with the reason `expired(owner, ms)` builds then (no reason is built for a deadline
 * that does not pass).
 *
 * The signal is made when it is first read, not before: an `AbortSignal` costs about as
 * much as the rest of an attempt on Node 20 (it changes an object's prototype), and an
 * attempt whose provider never reads its signal cannot be stopped by one anyway. A signal
 * read after the deadline passed is aborted already. Until it is read, the deadline holds
 * one timer and no listener on the parent; the timer callback is shared (no closure).
 */
export class Deadline<O = unknown> implements Disposable {
  #parent: AbortSignal | undefined;
  #controller: LinkedAbort | undefined;
  #timer: unknown;
  /** Set once the deadline passed: the reason, built then. */
  #passed: { reason: unknown } | undefined;
  readonly #timers: Timers;
  readonly #owner: O;
  readonly #ms: number;
  readonly #expired: (owner: O, ms: number) => unknown;

  constructor(
    parent: AbortSignal | undefined,
    ms: number,
    owner: O,
    expired: (owner: O, ms: number) => unknown,
    timers: Timers = systemTimers,
  ) {
    this.#parent = parent;
    this.#timers = timers;
    this.#owner = owner;
    this.#ms = ms;
    this.#expired = expired;
    if (parent?.aborted) return;
    this.#timer =
      timers === systemTimers ? setTimeout(pass, ms, this) : timers.setTimeout(() => pass(this), ms);
  }

  /** The deadline's signal (made now if it was not read before). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const passed = this.#passed;
      this.#controller = new LinkedAbort(passed === undefined ? this.#parent : undefined);
      if (passed !== undefined) this.#controller.abort(passed.reason);
    }
    return this.#controller.signal;
  }

  /** The deadline passed: build its reason and abort the signal, if one was made. */
  expire(): void {
    this.#timer = undefined;
    if (this.#passed !== undefined) return;
    const reason = this.#expired(this.#owner, this.#ms);
    this.#passed = { reason };
    const controller = this.#controller;
    this.#parent = undefined;
    if (controller !== undefined) {
      controller.dispose();
      controller.abort(reason);
    }
  }

  /** Drops the deadline; the link to the parent stays. Idempotent. */
  clear(): void {
    if (this.#timer === undefined) return;
    if (this.#timers === systemTimers) clearTimeout(this.#timer as ReturnType<typeof setTimeout>);
    else this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Drops the deadline and the link to the parent. Idempotent. */
  dispose(): void {
    this.clear();
    this.#parent = undefined;
    this.#controller?.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The shared timer callback: `setTimeout(pass, ms, deadline)` allocates no closure. */
function pass(deadline: { expire(): void }): void {
  deadline.expire();
}
