import { ProviderError } from '../errors.js';
import type { Attempt, Layer } from './attempt.js';
import { Deadline } from './deadline.js';
import type { Limiter } from './limiter.js';
import { systemTimers, type Timers } from './timers.js';

// The attempt layers, outermost first: `limit` → `breaker` → `deadline` → `record` → the
// provider call. Each is built once per router; per attempt, a layer allocates only what it
// holds (a deadline and its timer, the records); only `record`, which awaits the provider,
// and a limiter that makes the attempt wait add a promise.

/**
 * Waits for a place under the candidate's limiter (a provider's concurrency cap), if it has
 * one, before anything else: a call waiting there holds no half-open probe. The wait
 * aborts with the attempt's signal. The place is given back by `attempt.end()`.
 */
export function limit<X, C, T>(
  limiterOf: (attempt: Attempt<X, C>) => Limiter | undefined,
): Layer<Attempt<X, C>, T> {
  return (inner) => (attempt) => {
    const limiter = limiterOf(attempt);
    if (limiter === undefined) return inner(attempt);
    const place = limiter.acquire(attempt.signal);
    if (typeof place === 'function') {
      attempt.hold(place);
      return inner(attempt);
    }
    return place.then((release) => {
      attempt.hold(release);
      return inner(attempt);
    });
  };
}

/** A circuit breaker, as the `breaker` layer asks it. */
export interface Circuit<A> {
  /**
   * True to let the attempt through (and take the half-open probe, if that is the state). A
   * promise when the answer is not known here (a shared circuit's probe, asked of the store).
   */
  tryAcquire(attempt: A): boolean | Promise<boolean>;
  /** The failure of an attempt the circuit refused; usually a `CircuitOpenError`. */
  refused(attempt: A): unknown;
}

/**
 * Asks the attempt's circuit to let it through; a refusal is no attempt (nothing is sent,
 * nothing recorded) and fails at once with `circuit.refused()`.
 */
export function breaker<X, C, T>(circuit: Circuit<Attempt<X, C>>): Layer<Attempt<X, C>, T> {
  return (inner) => (attempt) => {
    const granted = circuit.tryAcquire(attempt);
    if (granted === true) return inner(attempt);
    if (granted === false) {
      attempt.end();
      return Promise.reject(circuit.refused(attempt));
    }
    return granted.then((ok) => {
      if (ok) return inner(attempt);
      attempt.end();
      throw circuit.refused(attempt);
    });
  };
}

/**
 * The breaker refused an attempt: the deployment's circuit is open (or its one half-open
 * probe is out). No attempt was made, so none is recorded and none is retried (see
 * `isRetryable`); for the chain it is an `overloaded` failure that moves on.
 */
export class CircuitOpenError extends ProviderError {
  constructor(modelId: string, provider: string, upstream: string) {
    super('overloaded', `${modelId} on ${provider}: circuit open, skipped`, { provider, model: upstream });
  }
}

/**
 * Puts the attempt under its own deadline, `timeoutOf(attempt)` ms (none when undefined):
 * the attempt's signal becomes a child of the run's that also aborts then, with the reason
 * `expired()` builds. Disposed by `attempt.end()`; a stream clears it at its first part.
 */
export function deadline<X, C, T>(
  timeoutOf: (attempt: Attempt<X, C>) => number | undefined,
  expired: (attempt: Attempt<X, C>, ms: number) => unknown,
  timers: Timers = systemTimers,
): Layer<Attempt<X, C>, T> {
  return (inner) => (attempt) => {
    const ms = timeoutOf(attempt);
    if (ms !== undefined) attempt.limitTo(new Deadline(attempt.signal, ms, attempt, expired, timers));
    return inner(attempt);
  };
}

/**
 * Records the attempt's outcome with its recorder, and ends it. While it is in flight the
 * attempt is the run's `current`, so that a chain that stops the run cancels it (recorded
 * by the recorder then, not again when the provider call fails).
 *
 * With `answerOutlives` (a stream, whose answer is the stream at its first part), success
 * is left to the answer: it calls `recorder.success()` or `failure()` and `end()` when it
 * ends.
 */
export function record<X, C, T>(options: { answerOutlives?: boolean } = {}): Layer<Attempt<X, C>, T> {
  const outlives = options.answerOutlives === true;
  // Callbacks on the inner promise rather than an async function: one frame fewer a call.
  return (inner) => (attempt) => {
    const { run } = attempt;
    run.current = attempt;
    attempt.started = performance.now();
    let answer: Promise<T>;
    try {
      answer = Promise.resolve(inner(attempt));
    } catch (error) {
      answer = Promise.reject(error);
    }
    return answer.then(
      (value) => {
        run.current = undefined;
        if (!outlives) {
          attempt.recorder.success(attempt);
          attempt.end();
        }
        return value;
      },
      (error: unknown) => {
        attempt.end();
        if (attempt.cancelled) throw error;
        run.current = undefined;
        throw attempt.recorder.failure(attempt, error);
      },
    );
  };
}
