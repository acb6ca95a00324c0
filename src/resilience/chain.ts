import { delay } from './delay.js';
import { LinkedAbort } from './linked-abort.js';
import { type Run, RunState } from './run.js';
import { systemTimers, type Timers } from './timers.js';

export type { Cancellable, Run } from './run.js';
export { RunCancelled } from './run.js';

/**
 * What a candidate's final failure (its retries spent) means for the rest of the chain:
 * `'stop'` ends it (no other candidate may cure it); otherwise the next candidate starts,
 * `reason` goes to the `fallback` hook, and every later candidate `skip` returns true for
 * is passed over.
 */
export type Verdict<C> = 'stop' | { readonly reason: string; readonly skip?: (candidate: C) => boolean };

/**
 * The rules of a chain, built once and shared by every call; `call` (`X`) is whatever the
 * host keeps per call, handed back to every hook, so that a call needs no closures.
 */
export interface ChainPolicy<X, C, T> {
  /** One attempt on `run.candidate`: resolves with the answer, or rejects with the failure. */
  attempt(call: X, run: Run<C>): Promise<T>;
  /**
   * The wait before retry number `retry` (1 for the first) of a failed attempt on the same
   * candidate, or undefined to give up on it. Not asked once the run's signal has aborted.
   */
  retryDelay(call: X, failure: unknown, retry: number, candidate: C): number | undefined;
  /** What a candidate's final failure means for the chain. Throw to end the call with an error. */
  verdict(call: X, failure: unknown, failed: C): Verdict<C>;
  /**
   * Asked before a candidate starts (not before its retries); false passes it over.
   * `concurrent` is true for a hedge, which runs beside the attempt in flight.
   */
  admit?(call: X, candidate: C, concurrent: boolean): boolean | Promise<boolean>;
  /** A candidate the chain would have started next was refused by `admit`. */
  refused?(call: X, candidate: C): void;
  /** The chain moved on from `from` to `to`: a fallback after a failure, or a hedge. */
  fallback?(call: X, from: C, to: C, reason: string): void;
}

/** Per call: hedging, the call's signal, and the timers to wait with. */
export interface ChainOptions {
  /**
   * When the attempt in flight has not answered after this long, the next candidate starts
   * beside it; the first answer wins and the other is stopped. Undefined: no hedging.
   */
  hedgeAfterMs?: number | undefined;
  /** The call's signal: it stops every run, and every wait. */
  signal?: AbortSignal | undefined;
  /** Default: `setTimeout` / `clearTimeout`. */
  timers?: Timers;
}

/** How a chain ended: a candidate's answer, or the last failure of a chain that ran out. */
export type ChainResult<C, T> =
  | { readonly ok: true; readonly candidate: C; readonly value: T }
  | { readonly ok: false; readonly failure: unknown };

/**
 * Tries `candidates` in order until one answers, under `policy`:
 *
 * - Each candidate is started only if `admit` lets it; then it is attempted, and retried
 *   after each failure for which `retryDelay` gives a wait (the wait aborts with the call).
 * - Once a candidate gives up, `verdict` says whether the chain stops or which candidates
 *   to pass over, and the next candidate starts (`fallback` is told).
 * - With `hedgeAfterMs`, when the one run in flight has not answered in time, the next
 *   candidate starts beside it (if `admit` holds it as concurrent; if not, it stays next in
 *   line and is asked again after another `hedgeAfterMs`). The first answer wins; the other
 *   run is stopped: its attempt in flight is cancelled (`Run.current`), its signal aborted.
 *
 * Resolves with the winner, or with the last failure when no candidate is left; rejects
 * with whatever `verdict` throws. Whatever is still running when it settles is stopped.
 *
 * @example
 * ```ts
 * const result = await runChain(policy, ctx, [primary, secondary], { hedgeAfterMs: 500, signal });
 * if (!result.ok) throw exhausted(result.failure);
 * ```
 */
export function runChain<X, C extends object, T>(
  policy: ChainPolicy<X, C, T>,
  call: X,
  candidates: readonly C[],
  options: ChainOptions = {},
): Promise<ChainResult<C, T>> {
  return new Chain(policy, call, candidates, options).run();
}

const HEDGE = Symbol('hedge');
const STOP = Symbol('stop');

class Chain<X, C extends object, T> {
  readonly #queue: readonly C[];
  /** Index of the next candidate in `#queue`. */
  #next = 0;
  #skips: ((candidate: C) => boolean)[] | undefined;
  readonly #running: RunState<C, T>[] = [];
  #previous: C | undefined;
  #failure: unknown;
  readonly #timers: Timers;

  constructor(
    readonly policy: ChainPolicy<X, C, T>,
    readonly call: X,
    candidates: readonly C[],
    readonly options: ChainOptions,
  ) {
    this.#queue = candidates;
    this.#timers = options.timers ?? systemTimers;
  }

  async run(): Promise<ChainResult<C, T>> {
    const running = this.#running;
    try {
      let reason: string | undefined;
      for (;;) {
        if (running.length === 0) {
          const next = this.#nextAdmitted();
          const candidate = next instanceof Promise ? await next : next;
          if (candidate === undefined) break;
          this.#start(candidate, reason);
        }
        const hedge = this.#hedgeWait();
        if (hedge === undefined && running.length === 1) {
          // One run, nothing to race it against: await it directly.
          const run = running[0]!;
          let value: T;
          try {
            value = await run.promise;
          } catch (error) {
            const next = this.#lost(run, error);
            if (next === STOP) break;
            reason = next;
            continue;
          }
          return this.#won(run, value);
        }
        const settled = await Promise.race(
          hedge === undefined
            ? running.map((r) => r.settled())
            : [...running.map((r) => r.settled()), hedge.promise],
        );
        hedge?.stop.abort();
        if (settled === HEDGE) {
          const candidate = await this.#nextHedge();
          if (candidate !== undefined) this.#start(candidate, `hedge after ${this.options.hedgeAfterMs} ms`);
          continue;
        }
        if (settled.ok) return this.#won(settled.run, settled.value);
        const next = this.#lost(settled.run, settled.error);
        if (next === STOP) break;
        reason = next;
      }
    } finally {
      for (const run of running) run.stop('the call ended');
    }
    return { ok: false, failure: this.#failure };
  }

  /**
   * A run answered. The others are stopped; the winner's own signal stays linked to the
   * call's for as long as the call lives, since its answer (a stream) may outlive the chain.
   */
  #won(run: RunState<C, T>, value: T): ChainResult<C, T> {
    this.#remove(run);
    for (const other of this.#running) other.stop('another candidate answered first');
    this.#running.length = 0;
    return { ok: true, candidate: run.candidate, value };
  }

  /** A run gave up: its verdict, as the reason of the next fallback, or STOP. */
  #lost(run: RunState<C, T>, error: unknown): string | typeof STOP {
    this.#remove(run);
    run.own?.dispose();
    const verdict = this.policy.verdict(this.call, error, run.candidate);
    this.#failure = error;
    if (verdict === 'stop') return STOP;
    if (verdict.skip) {
      this.#skips ??= [];
      this.#skips.push(verdict.skip);
    }
    return verdict.reason;
  }

  #remove(run: RunState<C, T>): void {
    const running = this.#running;
    if (running.length === 1 && running[0] === run) running.length = 0;
    else running.splice(running.indexOf(run), 1);
  }

  #start(candidate: C, reason: string | undefined): void {
    const previous = this.#previous;
    if (previous !== undefined && reason !== undefined)
      this.policy.fallback?.(this.call, previous, candidate, reason);
    this.#previous = candidate;
    const { signal, hedgeAfterMs } = this.options;
    // A run needs a way to be stopped on its own only when a hedge may race it; otherwise
    // the call's signal (abort, deadline, a consumer that stops reading) is its stop.
    const own = hedgeAfterMs === undefined ? undefined : new LinkedAbort(signal);
    const run = new RunState<C, T>(candidate, own, own?.signal ?? signal);
    run.promise = this.#attempts(run);
    this.#running.push(run);
  }

  /**
   * One candidate: its attempt, and a retry after each failure `retryDelay` gives a wait for.
   * The first attempt's promise is returned as it is (no async frame around it): most calls
   * make one attempt.
   */
  #attempts(run: RunState<C, T>): Promise<T> {
    const signal = run.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let first: Promise<T>;
    try {
      first = this.policy.attempt(this.call, run);
    } catch (failure) {
      first = Promise.reject(failure);
    }
    return first.then(undefined, (failure: unknown) => this.#retries(run, failure));
  }

  /** The attempts after a failed one, while `retryDelay` gives a wait for each. */
  async #retries(run: RunState<C, T>, failed: unknown): Promise<T> {
    const { policy, call } = this;
    const signal = run.signal;
    let failure = failed;
    for (let retry = 1; ; retry++) {
      if (run.cancelled || signal?.aborted) throw failure;
      const wait = policy.retryDelay(call, failure, retry, run.candidate);
      if (wait === undefined) throw failure;
      await delay(wait, signal, this.#timers);
      if (signal?.aborted) throw signal.reason;
      try {
        return await policy.attempt(call, run);
      } catch (error) {
        failure = error;
      }
    }
  }

  #skipped(candidate: C): boolean {
    return this.#skips?.some((skip) => skip(candidate)) === true;
  }

  #nextCandidate(): C | undefined {
    const queue = this.#queue;
    while (this.#next < queue.length) {
      const candidate = queue[this.#next++]!;
      if (!this.#skipped(candidate)) return candidate;
    }
    return undefined;
  }

  /** True when a candidate that is not skipped is left. */
  #anyLeft(): boolean {
    const queue = this.#queue;
    for (let i = this.#next; i < queue.length; i++) if (!this.#skipped(queue[i]!)) return true;
    return false;
  }

  /**
   * The next candidate that is not skipped and that `admit` lets start: at once while
   * `admit` answers at once (the usual case), a promise once it must wait.
   */
  #nextAdmitted(): C | undefined | Promise<C | undefined> {
    const { policy, call } = this;
    for (let candidate = this.#nextCandidate(); candidate !== undefined; candidate = this.#nextCandidate()) {
      const admitted = policy.admit ? policy.admit(call, candidate, false) : true;
      if (admitted === true) return candidate;
      if (admitted !== false) return this.#admittedLater(candidate, admitted);
      policy.refused?.(call, candidate);
    }
    return undefined;
  }

  async #admittedLater(candidate: C, admitted: Promise<boolean>): Promise<C | undefined> {
    if (await admitted) return candidate;
    this.policy.refused?.(this.call, candidate);
    const next = this.#nextAdmitted();
    return next instanceof Promise ? await next : next;
  }

  /**
   * The next candidate, to run as a hedge beside the run in flight, if `admit` holds both
   * at once. One it does not hold stays next in line: an ordinary fallback if the run in
   * flight fails.
   */
  async #nextHedge(): Promise<C | undefined> {
    const queue = this.#queue;
    while (this.#next < queue.length && this.#skipped(queue[this.#next]!)) this.#next++;
    const candidate = queue[this.#next];
    if (candidate === undefined) return undefined;
    if (this.policy.admit && !(await this.policy.admit(this.call, candidate, true))) return undefined;
    this.#next++;
    return candidate;
  }

  /** A wait of `hedgeAfterMs`, when a hedge could start: one run in flight, a candidate left. */
  #hedgeWait(): { promise: Promise<typeof HEDGE>; stop: AbortController } | undefined {
    const { hedgeAfterMs, signal } = this.options;
    if (hedgeAfterMs === undefined || this.#running.length !== 1 || signal?.aborted) return undefined;
    if (!this.#anyLeft()) return undefined;
    const stop = new AbortController();
    // Stopped only once the race is over: what it settles with then is never read.
    const hedge = (): typeof HEDGE => HEDGE;
    const promise = delay(hedgeAfterMs, stop.signal, this.#timers).then(hedge, hedge);
    return { promise, stop };
  }
}
