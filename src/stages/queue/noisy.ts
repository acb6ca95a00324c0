import { LRUCache } from 'lru-cache';
/** When a tenant counts as noisy. */
export interface NoisyOptions {
  /** Share (0..1] of in-flight plus queued calls above which a tenant is noisy. */
  share: number;
  /** A request rate above this many times the tenant's own baseline is noisy. */
  rateFactor: number;
  /** Bucket of the rate averages, and the least time between two events of one kind for one tenant. */
  windowMs: number;
}

/** The share test needs at least this many calls in flight plus queued: one call of one is not a crowd. */
export const MIN_SHARE_CALLS = 4;

/** Smoothing per closed window: the recent rate, and the slower baseline it is compared to. */
const FAST_ALPHA = 0.5;
const SLOW_ALPHA = 0.1;

interface TenantRate {
  /** Start of the window in progress. */
  windowStart: number;
  /** Requests in the window in progress. */
  count: number;
  /** EWMAs of requests per minute over closed windows. */
  fast: number;
  slow: number;
  /** Closed windows seen. */
  windows: number;
  lastShareAt: number;
  lastRateAt: number;
}

/**
 * Noisy-neighbour detection, per tenant:
 *
 * - `share`: the tenant holds more than `share` of the router's calls in flight plus
 *   queued, with at least `MIN_SHARE_CALLS` of them.
 * - `rate`: its request rate passes `rateFactor` times its own baseline. Requests are
 *   counted in windows of `windowMs`; per closed window, requests per minute feed a fast
 *   EWMA (α 0.5, the recent rate) and a slow one (α 0.1, the baseline). The rate is the
 *   larger of the fast EWMA and the window in progress so far (so a surge is seen before
 *   its window closes). It needs one closed window of history, and the baseline counts as
 *   at least one request per window (a tenant back from idle is not noisy for a few calls).
 *
 * Each kind fires at most once per tenant per `windowMs`. The caller asks only while
 * other tenants are crowded out (see the queue stage): a tenant alone on an idle router
 * is never noisy, however fast it calls.
 */
export class NoisyNeighbors {
  // Bounded: a tenant that has been idle longest loses its baseline, which a window rebuilds.
  private readonly tenants = new LRUCache<string, TenantRate>({ max: 10_000 });
  private readonly perMinute: number;

  constructor(
    private readonly options: NoisyOptions,
    private readonly now: () => number,
  ) {
    this.perMinute = 60_000 / options.windowMs;
  }

  /** Counts one request of the tenant, closing the windows that have passed. */
  count(tenant: string): void {
    const now = this.now();
    const { windowMs } = this.options;
    const state = this.stateOf(tenant, now);
    const elapsed = Math.floor((now - state.windowStart) / windowMs);
    if (elapsed >= 1) {
      // Close the window in progress, then any empty ones after it.
      const rpm = state.count * this.perMinute;
      if (state.windows === 0) {
        state.fast = rpm;
        state.slow = rpm;
      } else {
        state.fast += FAST_ALPHA * (rpm - state.fast);
        state.slow += SLOW_ALPHA * (rpm - state.slow);
      }
      const empty = elapsed - 1;
      state.fast *= (1 - FAST_ALPHA) ** empty;
      state.slow *= (1 - SLOW_ALPHA) ** empty;
      state.windows += elapsed;
      state.windowStart += elapsed * windowMs;
      state.count = 0;
    }
    state.count++;
  }

  /** Tests the tenant's request rate against its baseline; returns both when it just became noisy. */
  surge(tenant: string): { rate: number; baseline: number } | undefined {
    const state = this.tenants.get(tenant);
    const now = this.now();
    if (!state || state.windows === 0 || now - state.lastRateAt < this.options.windowMs) return undefined;
    const rate = Math.max(state.fast, state.count * this.perMinute);
    const baseline = Math.max(state.slow, this.perMinute);
    if (rate <= this.options.rateFactor * baseline) return undefined;
    state.lastRateAt = now;
    return { rate, baseline: state.slow };
  }

  /** Tests the tenant's share of `total` calls; returns the share when it just became noisy. */
  share(tenant: string, load: number, total: number): number | undefined {
    if (total < MIN_SHARE_CALLS) return undefined;
    const share = load / total;
    if (share <= this.options.share) return undefined;
    const now = this.now();
    const state = this.stateOf(tenant, now);
    if (now - state.lastShareAt < this.options.windowMs) return undefined;
    state.lastShareAt = now;
    return share;
  }

  private stateOf(tenant: string, now: number): TenantRate {
    let state = this.tenants.get(tenant);
    if (!state) {
      state = {
        windowStart: now,
        count: 0,
        fast: 0,
        slow: 0,
        windows: 0,
        lastShareAt: Number.NEGATIVE_INFINITY,
        lastRateAt: Number.NEGATIVE_INFINITY,
      };
      this.tenants.set(tenant, state);
    }
    return state;
  }
}
