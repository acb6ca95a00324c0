import type { RouteContext } from '../../pipeline/context.js';

/** How often a waiting call looks again, besides being woken by a local settle. */
const POLL_MS = 50;

/*
 * Waiting for room. Calls that wait on one budget key queue in arrival order; a settle or
 * release of that key (in this process) wakes the first, which tries again and, whatever
 * happens, passes the turn on. A poll catches settles made by other processes.
 */
export class RoomWaiters {
  private readonly waiters = new Map<string, (() => void)[]>();

  /** Wakes the first call waiting on `key`, which tries again and passes the turn on. */
  wake(key: string): void {
    const queue = this.waiters.get(key);
    const first = queue?.shift();
    if (queue && queue.length === 0) this.waiters.delete(key);
    first?.();
  }

  /** Waits until `key` is woken, the poll passes, or the call's signal aborts. */
  wait(ctx: RouteContext, key: string, front: boolean): Promise<void> {
    const waiters = this.waiters;
    const signal = ctx.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const queue = waiters.get(key) ?? [];
      waiters.set(key, queue);
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = queue.indexOf(waker);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && waiters.get(key) === queue) waiters.delete(key);
      };
      const waker = () => {
        leave();
        resolve();
      };
      const onAbort = () => {
        leave();
        reject(signal!.reason);
      };
      const timer = setTimeout(waker, POLL_MS);
      if (front) queue.unshift(waker);
      else queue.push(waker);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
