/**
 * A FIFO concurrency limiter: at most `max` holders; others wait in arrival order, and a
 * waiter whose signal aborts leaves the line at once (rejecting with the signal's reason).
 */
export class Limiter {
  private held = 0;
  private readonly waiting: { grant: () => void; signal: AbortSignal | undefined; onAbort: () => void }[] =
    [];

  constructor(readonly max: number) {}

  /** Calls in flight. */
  get inFlight(): number {
    return this.held;
  }

  /** True when a new holder would have to wait. */
  get full(): boolean {
    return this.held >= this.max || this.waiting.length > 0;
  }

  /** Resolves with a release function, once a place is free. */
  acquire(signal: AbortSignal | undefined): Promise<() => void> | (() => void) {
    if (this.held < this.max && this.waiting.length === 0) {
      this.held++;
      return this.releaser();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = {
        signal,
        grant: () => {
          signal?.removeEventListener('abort', waiter.onAbort);
          resolve(this.releaser());
        },
        onAbort: () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** A release that works once, however often it is called. */
  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.held--;
    };
  }
}
