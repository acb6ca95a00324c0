import { systemTimers, type Timers } from './timers.js';

/**
 * Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts (at once
 * if it already has). Either way the timer and the listener are gone when it settles.
 *
 * @example
 * ```ts
 * await delay(250, call.signal); // throws the call's abort reason if it aborts first
 * ```
 */
export function delay(ms: number, signal?: AbortSignal, timers: Timers = systemTimers): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timers.clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
