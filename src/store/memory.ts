import { IdHashSet } from './id-set.js';
import { flatString } from './keys.js';
import {
  type BudgetLine,
  type BudgetState,
  CLOCK_STEP_MS,
  type Lease,
  offerSyncStore,
  type RateResult,
  type ReserveResult,
  SETTLEMENT_ID_TTL_MS,
  type SettleUsage,
  type Store,
  type SyncStore,
} from './types.js';

/** The settled lease ids a memory store remembers at most (see `Store.settle`). */
const MAX_SETTLED_IDS = 100_000;

/**
 * A budget key's counters. What only calls in flight need is in `held`, there only while
 * some lease holds an amount: most entries, most of the time, are five numbers.
 */
interface Entry extends Omit<BudgetState, 'reserved'> {
  expiresAt: number | undefined;
  held: Held | undefined;
}

/** The reservations of a budget key, while there are some. */
interface Held {
  /** The sum of the leases' amounts. */
  reserved: number;
  /** Reservations by lease id: the amount held and when it lapses. */
  leases: Map<string, { amount: number; until: number }>;
  /** No lease lapses before this (a lower bound): the next reap. */
  nextLapse: number;
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
  /**
   * GCRA per key: the theoretical arrival time, and the clock when it was written. A key is
   * forgotten once its bucket is full and a window has passed since its last write, as the
   * Redis store's key expires: it then reads as a full bucket, which it is.
   */
  const rates = new Map<string, { tat: number; at: number }>();
  /** The longest GCRA window asked for: how long after its last write a full bucket is kept. */
  let rateWindowMs = 0;
  /** The latest clock a rate write gave: rate keys are on the callers' clock, not `now()`. */
  let rateNow = Number.NEGATIVE_INFINITY;
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
    if (t > rateNow) rateNow = t;
    const rate = rates.get(key);
    if (rate) {
      rate.tat = tat;
      rate.at = Math.max(rate.at, t);
    } else {
      rates.set(flatString(key), { tat, at: t });
      if (++writes % sweepEvery === 0) sweep();
    }
  };
  let writes = 0;
  /**
   * Lease ids settled, with when they may be forgotten, in two generations of at most
   * MAX_SETTLED_IDS / 2: the newer fills, then becomes the older and the older is dropped, so
   * a lookup or an insert is O(1) and nothing is iterated. By id alone: a lease id (the
   * call's requestId) is unique, and one settle covers all of the call's lines. Held as
   * hashes, not strings (see `IdHashSet`): the garbage collector never walks them.
   */
  let settledNew = new IdHashSet(MAX_SETTLED_IDS / 2);
  let settledOld = new IdHashSet(MAX_SETTLED_IDS / 2);
  /** When the newest id of each generation may be forgotten (the whole generation then). */
  let newUntil = 0;
  let oldUntil = 0;
  /** True when `id` was settled and may not be forgotten yet at `at`. */
  const settled = (id: string, at: number): boolean =>
    (newUntil > at && settledNew.has(id)) || (oldUntil > at && settledOld.has(id));
  const rememberSettled = (id: string, until: number): void => {
    if (!settledNew.add(id)) {
      settledOld = settledNew;
      oldUntil = newUntil;
      settledNew = new IdHashSet(MAX_SETTLED_IDS / 2);
      settledNew.add(id);
    }
    newUntil = until;
  };

  const entry = (key: string, ttlMs: number | undefined): Entry => {
    let e = budgets.get(key);
    if (e && e.expiresAt !== undefined && e.expiresAt <= now()) e = undefined;
    if (!e) {
      e = { spent: 0, inputTokens: 0, outputTokens: 0, requests: 0, expiresAt: undefined, held: undefined };
      budgets.set(flatString(key), e);
    }
    if (ttlMs !== undefined) e.expiresAt = now() + ttlMs;
    if (++writes % sweepEvery === 0) sweep();
    return e;
  };
  const sweep = () => {
    const t = now();
    for (const [key, e] of budgets) if (e.expiresAt !== undefined && e.expiresAt <= t) budgets.delete(key);
    for (const [key, r] of rates) if (r.tat <= rateNow && r.at + rateWindowMs <= rateNow) rates.delete(key);
    // A generation goes once its newest id may be forgotten.
    if (oldUntil <= t && settledOld.size > 0) settledOld = new IdHashSet(MAX_SETTLED_IDS / 2);
    if (newUntil <= t && settledNew.size > 0) settledNew = new IdHashSet(MAX_SETTLED_IDS / 2);
  };
  /** The key's entry if it has not expired, its lapsed leases reaped at `t`. */
  const live = (key: string, t: number): Entry | undefined => {
    const e = budgets.get(key);
    if (!e || (e.expiresAt !== undefined && e.expiresAt <= now())) return undefined;
    const h = e.held;
    if (h && h.nextLapse <= t) {
      let next = Number.POSITIVE_INFINITY;
      for (const [id, lease] of h.leases) {
        if (lease.until <= t) {
          h.leases.delete(id);
          h.reserved = Math.max(0, h.reserved - lease.amount);
        } else if (lease.until < next) next = lease.until;
      }
      h.nextLapse = next;
      if (h.leases.size === 0) e.held = undefined;
    }
    return e;
  };
  /** Ends a lease: what it holds is no longer reserved. The last one takes `held` along. */
  const end = (e: Entry, id: string): void => {
    const h = e.held;
    const lease = h?.leases.get(id);
    if (!lease) return;
    h!.leases.delete(id);
    h!.reserved = Math.max(0, h!.reserved - lease.amount);
    if (h!.leases.size === 0) e.held = undefined;
  };
  const snapshot = (e: Entry | undefined): BudgetState =>
    e
      ? {
          spent: e.spent,
          reserved: e.held?.reserved ?? 0,
          inputTokens: e.inputTokens,
          outputTokens: e.outputTokens,
          requests: e.requests,
        }
      : { spent: 0, reserved: 0, inputTokens: 0, outputTokens: 0, requests: 0 };

  /** Applies a settle: each line's lease ends and its usage is counted. */
  const apply = (lines: readonly BudgetLine[], lease: Lease, actual: SettleUsage, t: number): BudgetState[] =>
    lines.map((line) => {
      live(line.key, t);
      const e = entry(line.key, line.ttlMs);
      end(e, lease.id);
      e.spent += actual.cost;
      e.inputTokens += actual.inputTokens;
      e.outputTokens += actual.outputTokens;
      e.requests += 1;
      return snapshot(e);
    });

  const sync: SyncStore = {
    reserve(lines, amount, lease, t): ReserveResult {
      for (let index = 0; index < lines.length; index++) {
        const line = lines[index]!;
        const e = live(line.key, t);
        if ((e ? e.spent + (e.held?.reserved ?? 0) : 0) + amount > line.limit)
          return { ok: false, index, state: snapshot(e) };
      }
      let first: Entry | undefined;
      for (const line of lines) {
        const e = entry(line.key, line.ttlMs);
        first ??= e;
        e.held ??= { reserved: 0, leases: new Map(), nextLapse: Number.POSITIVE_INFINITY };
        const h = e.held;
        h.reserved += amount;
        const held = h.leases.get(lease.id);
        const until = t + lease.ttlMs;
        if (held) {
          held.amount += amount;
          held.until = until;
        } else h.leases.set(lease.id, { amount, until });
        if (until < h.nextLapse) h.nextLapse = until;
      }
      return { ok: true, index: 0, state: snapshot(first) };
    },
    settle(lines, lease, actual: SettleUsage, t) {
      const at = now();
      // A lease still held has not been settled (a settle ends it): only a settle without
      // one (a retry, or a lease that lapsed) asks the settled ids.
      const first = lines[0] === undefined ? undefined : live(lines[0].key, t);
      const held = first?.held?.leases.has(lease.id) === true;
      if (!held && settled(lease.id, at)) return lines.map((line) => snapshot(live(line.key, t)));
      return apply(lines, lease, actual, t);
    },
    rateTake(key, cost, limit, windowMs, t): RateResult {
      if (windowMs > rateWindowMs) rateWindowMs = windowMs;
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
    rateAdjust(key, delta, limit, windowMs, t) {
      const tat = arrival(key, t);
      if (tat === undefined) return;
      write(key, Math.max(t, tat + (delta * windowMs) / limit), t);
    },
  };

  const store: Store = {
    async reserve(lines, amount, lease, t) {
      return sync.reserve(lines, amount, lease, t);
    },
    async settle(lines, lease, actual, t) {
      // The caller may retry a settle it did not see answer (a wrapper that failed after
      // it): remember the id, so the retry changes nothing. Bounded (see settledNew): the
      // newest are kept.
      const at = now();
      const states = sync.settle(lines, lease, actual, t);
      rememberSettled(lease.id, at + SETTLEMENT_ID_TTL_MS);
      return states;
    },
    async release(lines, lease, t) {
      for (const line of lines) {
        const e = live(line.key, t);
        if (e) end(e, lease.id);
      }
    },
    async renew(lines, lease, t) {
      for (const line of lines) {
        const held = live(line.key, t)?.held?.leases.get(lease.id);
        if (held) held.until = t + lease.ttlMs;
      }
    },
    async read(key, t) {
      return snapshot(live(key, t));
    },
    async rateTake(key, cost, limit, windowMs, t) {
      return sync.rateTake(key, cost, limit, windowMs, t);
    },
    async rateAdjust(key, delta, limit, windowMs, t) {
      sync.rateAdjust(key, delta, limit, windowMs, t);
    },
  };
  offerSyncStore(store, sync);
  return store;
}
