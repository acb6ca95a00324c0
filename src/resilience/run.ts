import type { LinkedAbort } from './linked-abort.js';

/** Something in flight that the chain can stop and account for at once (see `Run.current`). */
export interface Cancellable {
  cancel(): void;
}

/** One candidate's run (its attempt and retries), as an attempt sees it. */
export interface Run<C> {
  readonly candidate: C;
  /**
   * Aborts when the call does and, when hedging, when the chain stops this run (a hedge
   * that lost, or the call that ended): then its reason is a `RunCancelled`.
   */
  readonly signal: AbortSignal | undefined;
  /**
   * The attempt in flight, if any, set and cleared by the attempt: a run that the chain
   * stops has it cancelled first, synchronously, so that it is accounted for before the
   * winner's answer is handed back.
   */
  current: Cancellable | undefined;
  /** True once the chain has stopped this run. */
  readonly cancelled: boolean;
}

/** The reason a run's signal aborts with when the chain stops it. */
export class RunCancelled extends Error {
  override readonly name = 'RunCancelled';
}

/** A run's outcome as a value. */
export type Settled<C, T> =
  | { readonly run: RunState<C, T>; readonly ok: true; readonly value: T }
  | { readonly run: RunState<C, T>; readonly ok: false; readonly error: unknown };

/** The chain's side of a run: how to stop it, and its outcome. */
export class RunState<C, T> implements Run<C> {
  current: Cancellable | undefined = undefined;
  cancelled = false;
  /** Set right after construction (see `Chain`): the run's attempts and retries. */
  promise!: Promise<T>;
  #settled: Promise<Settled<C, T>> | undefined;

  constructor(
    readonly candidate: C,
    /** Present when the run can be stopped on its own (hedging); else the call's signal stops it. */
    readonly own: LinkedAbort | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  /**
   * Stops the run: its attempt in flight is cancelled now (so that it is accounted for
   * before the winner is returned), then its own signal aborts and is unlinked.
   */
  stop(why: string): void {
    this.cancelled = true;
    const attempt = this.current;
    this.current = undefined;
    attempt?.cancel();
    this.own?.abort(new RunCancelled(why));
    this.own?.dispose();
  }

  /** The run's outcome as a value, for a race that must not reject. */
  settled(): Promise<Settled<C, T>> {
    this.#settled ??= this.promise.then(
      (value) => ({ run: this, ok: true, value }),
      (error: unknown) => ({ run: this, ok: false, error }),
    );
    return this.#settled;
  }
}
