import type { Cancellable, Run } from './chain.js';
import type { Deadline } from './deadline.js';

/**
 * One attempt on one candidate, as the attempt layers see it (see `layers.ts`). Each layer
 * keeps what it holds here (a limiter place, a deadline) and `end()` gives it all back,
 * once: when the attempt answers or fails, or, for an answer that outlives the attempt (a
 * stream), when that answer ends.
 *
 * `X` is the host's per-call state, `C` the candidate.
 */
export class Attempt<X, C> implements Cancellable {
  /** `performance.now()` when the provider was called. */
  started = 0;
  /** True once the chain has cancelled the attempt in flight (and the recorder has counted it). */
  cancelled = false;
  #place: (() => void) | undefined;
  #deadline: Deadline<Attempt<X, C>> | undefined = undefined;

  constructor(
    readonly call: X,
    readonly run: Run<C>,
    readonly recorder: AttemptRecorder<X, C>,
    /** The deployment the attempt goes to: the key of its circuit. */
    readonly key: string,
  ) {}

  /**
   * The signal the provider gets: the run's, or, under a deadline, the deadline's child of
   * it (made when first read: see `Deadline`).
   */
  get signal(): AbortSignal | undefined {
    return this.#deadline === undefined ? this.run.signal : this.#deadline.signal;
  }

  /** True when the attempt has a signal (`signal` would make it, if not made yet). */
  get signalled(): boolean {
    return this.#deadline !== undefined || this.run.signal !== undefined;
  }

  get candidate(): C {
    return this.run.candidate;
  }

  /** Keeps a limiter place, given back by `end()`. */
  hold(release: () => void): void {
    this.#place = release;
  }

  /** Puts the attempt under `deadline`, whose signal becomes the attempt's; disposed by `end()`. */
  limitTo(deadline: Deadline<Attempt<X, C>>): void {
    this.#deadline = deadline;
  }

  /** Drops the deadline but keeps the signal (a stream past its first part). */
  clearDeadline(): void {
    this.#deadline?.clear();
  }

  /** Gives back what the attempt holds. Idempotent. */
  end(): void {
    this.#deadline?.dispose();
    this.#deadline = undefined;
    const place = this.#place;
    this.#place = undefined;
    place?.();
  }

  /** The chain stopped the attempt in flight: the recorder accounts for it now. */
  cancel(): void {
    this.cancelled = true;
    this.recorder.cancelled(this);
  }
}

/** What becomes of an attempt's outcome: the host's records, health and events. */
export interface AttemptRecorder<X, C> {
  /** The attempt answered (for an answer that outlives it: the answer ended well). */
  success(attempt: Attempt<X, C>): void;
  /** The attempt failed: record it, and return the failure as the chain should see it. */
  failure(attempt: Attempt<X, C>, error: unknown): unknown;
  /** The chain cancelled the attempt in flight (a hedge that lost, a call that ended). */
  cancelled(attempt: Attempt<X, C>): void;
}

/** The attempt from some layer inwards: resolves with the answer or rejects with the failure. */
export type Step<A, T> = (attempt: A) => Promise<T>;

/** One concern around the steps inside it (a limiter, a breaker, a deadline, the records). */
export type Layer<A, T> = (inner: Step<A, T>) => Step<A, T>;

/**
 * Composes layers, outermost first, around an innermost step, once (per router, not per
 * call), in the way cockatiel's `wrap()` composes policies.
 *
 * @example
 * ```ts
 * const attempt = wrap(limit(limiterOf), breaker(circuit), deadline(timeoutOf, expired), record())(callProvider);
 * ```
 */
export function wrap<A, T>(...layers: Layer<A, T>[]): (step: Step<A, T>) => Step<A, T> {
  return (step) => layers.reduceRight<Step<A, T>>((inner, layer) => layer(inner), step);
}
