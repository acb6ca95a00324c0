import {
  type BudgetState,
  CLOCK_STEP_MS,
  type RateResult,
  type ReserveResult,
  SETTLEMENT_ID_TTL_MS,
  type SettleUsage,
  type Store,
} from './types.js';

/** The settlement ids a memory store remembers at most (see `SettleUsage.id`). */
const MAX_SETTLED_IDS = 100_000;

interface Entry extends BudgetState {
  expiresAt: number | undefined;
}

/**
 * The default store: in this process's memory, so limits hold across the calls of one
 * router (use `createRedisStore` to share them across instances). Each method runs to its
 * end without awaiting, which makes it atomic on Node's single thread. Expired period keys
 * are dropped as they are touched and by a sweep every `sweepEvery` writes.
 */
export function createMemoryStore(options: { now?: () => number; sweepEvery?: number } = {}): Store {
  const now = options.now ?? Date.now;
  const sweepEvery = options.sweepEvery ?? 10_000;
  const budgets = new Map<string, Entry>();
  /** GCRA per key: the theoretical arrival time, and the clock when it was written. */
  const rates = new Map<string, { tat: number; at: number }>();
  /**
   * A key's arrival time on the clock `t`. When the clock went back by more than
   * `CLOCK_STEP_MS` since the key's last write, the key is moved back by the step and stays
   * as it was at that write (refused takes included: the move is kept).
   */
  const arrival = (key: string, t: number): number | undefined => {
    const rate = rates.get(key);
    if (rate && rate.at - t > CLOCK_STEP_MS) {
      rate.tat -= rate.at - t;
      rate.at = t;
    }
    return rate?.tat;
  };
  const write = (key: string, tat: number, t: number): void => {
    const rate = rates.get(key);
    if (rate) {
      rate.tat = tat;
      rate.at = Math.max(rate.at, t);
    } else rates.set(key, { tat, at: t });
  };
  let writes = 0;
  /** Settlement ids applied, by `key + id`, with when they may be forgotten. */
  const settledIds = new Map<string, number>();

  const entry = (key: string, ttlMs: number | undefined): Entry => {
    let e = budgets.get(key);
    if (e && e.expiresAt !== undefined && e.expiresAt <= now()) e = undefined;
    if (!e) {
      e = { spent: 0, reserved: 0, inputTokens: 0, outputTokens: 0, requests: 0, expiresAt: undefined };
      budgets.set(key, e);
    }
    if (ttlMs !== undefined) e.expiresAt = now() + ttlMs;
    if (++writes % sweepEvery === 0) sweep();
    return e;
  };
  const sweep = () => {
    const t = now();
    for (const [key, e] of budgets) if (e.expiresAt !== undefined && e.expiresAt <= t) budgets.delete(key);
    // In the order they were set, which is the order they expire.
    for (const [id, until] of settledIds) {
      if (until > t) break;
      settledIds.delete(id);
    }
  };
  const snapshot = (e: Entry | undefined): BudgetState =>
    e
      ? {
          spent: e.spent,
          reserved: e.reserved,
          inputTokens: e.inputTokens,
          outputTokens: e.outputTokens,
          requests: e.requests,
        }
      : { spent: 0, reserved: 0, inputTokens: 0, outputTokens: 0, requests: 0 };

  return {
    async reserve(key, amount, limit, ttlMs): Promise<ReserveResult> {
      const e = entry(key, ttlMs);
      const ok = e.spent + e.reserved + amount <= limit;
      if (ok) e.reserved += amount;
      return { ok, state: snapshot(e) };
    },
    async settle(key, reservedAmount, actual: SettleUsage, ttlMs) {
      if (actual.id !== undefined) {
        const marker = `${key}\n${actual.id}`;
        const until = settledIds.get(marker);
        if (until !== undefined && until > now()) return snapshot(budgets.get(key));
        settledIds.set(marker, now() + SETTLEMENT_ID_TTL_MS);
        // Bounded: a memory store's settle cannot time out after applying, so old ids matter
        // only to a wrapper that fails after the fact; keep the newest.
        if (settledIds.size > MAX_SETTLED_IDS) settledIds.delete(settledIds.keys().next().value!);
      }
      const e = entry(key, ttlMs);
      e.reserved = Math.max(0, e.reserved - reservedAmount);
      e.spent += actual.cost;
      e.inputTokens += actual.inputTokens;
      e.outputTokens += actual.outputTokens;
      e.requests += 1;
      return snapshot(e);
    },
    async release(key, amount) {
      const e = budgets.get(key);
      if (e) e.reserved = Math.max(0, e.reserved - amount);
      return snapshot(e);
    },
    async read(key) {
      const e = budgets.get(key);
      return snapshot(e && (e.expiresAt === undefined || e.expiresAt > now()) ? e : undefined);
    },
    async rateTake(key, cost, limit, windowMs, t): Promise<RateResult> {
      const interval = windowMs / limit;
      // Idle time, or a clock stepped forward, refills at most an empty bucket: one burst.
      const tat = Math.max(arrival(key, t) ?? t, t);
      const newTat = tat + cost * interval;
      // Allowed while the new arrival time is within one window of now (a burst of `limit`).
      const allowAt = newTat - windowMs;
      if (allowAt > t) return { ok: false, retryAfterMs: Math.ceil(allowAt - t) };
      write(key, newTat, t);
      return { ok: true, retryAfterMs: 0 };
    },
    async rateAdjust(key, delta, limit, windowMs, t) {
      const tat = arrival(key, t);
      if (tat === undefined) return;
      write(key, Math.max(t, tat + (delta * windowMs) / limit), t);
    },
  };
}
