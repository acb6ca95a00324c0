import type { RouteContext } from '../../pipeline/context.js';

/** How often the first waiting call looks again, besides being woken by a local settle. */
const POLL_MS = 50;

/** A waiting call: `wake` ends its wait; `arm` starts its poll once it is first in line. */
interface Waiter {
  wake(): void;
  arm(): void;
}

/*
 * Waiting for room. Calls that wait on one budget key queue in arrival order; a settle or
 * release of that key (in this process) wakes the first, which tries again and, whatever
 * happens, passes the turn on. Only the first in line polls, to catch settles made by other
 * processes (and leases that lapsed): one store read per key and poll, however many wait.
 * Whenever the first leaves the line, the next one starts polling.
 */
export class RoomWaiters {
  private readonly waiters = new Map<string, Waiter[]>();

  /** Wakes the first call waiting on `key`, which tries again and passes the turn on. */
  wake(key: string): void {
    this.waiters.get(key)?.[0]?.wake();
  }

  /** Waits until `key` is woken, the poll passes (first in line only), or the call's signal aborts. */
  wait(ctx: RouteContext, key: string, front: boolean): Promise<void> {
    const waiters = this.waiters;
    const signal = ctx.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const queue = waiters.get(key) ?? [];
      waiters.set(key, queue);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && waiters.get(key) === queue) waiters.delete(key);
        // The first in line was the one polling: the next one takes over.
        if (at === 0) queue[0]?.arm();
      };
      const waiter: Waiter = {
        wake: () => {
          leave();
          resolve();
        },
        arm: () => {
          timer ??= setTimeout(waiter.wake, POLL_MS);
        },
      };
      const onAbort = () => {
        leave();
        reject(signal!.reason);
      };
      // A waiter put back at the front keeps its place; the one it displaces may keep a poll
      // already armed (at most one extra store read).
      if (front) queue.unshift(waiter);
      else queue.push(waiter);
      if (queue[0] === waiter) waiter.arm();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
