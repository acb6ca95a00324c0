import type { SharedCircuits } from './circuits.js';

/**
 * Shared state behind budgets, rate limits and the cache. Every method is one atomic step
 * (one Lua script on Redis), so concurrent calls, in one process or many, cannot
 * interleave inside it. Amounts of money are integers of nano-USD (1e-9 USD), so sums are
 * exact and `spent ≤ limit` holds to the last digit.
 */
export interface Store {
  /**
   * Reserves `amount` in the budget `key` if `spent + reserved + amount ≤ limit`; returns
   * whether it did and the state after. `ttlMs` keeps a period's key until it ends.
   */
  reserve(key: string, amount: number, limit: number, ttlMs: number | undefined): Promise<ReserveResult>;
  /**
   * Replaces a reservation by the actual cost and usage: `reserved -= reservedAmount; spent += cost`.
   * With `actual.id`, idempotent: a settle whose id was already applied to `key` within
   * `SETTLEMENT_ID_TTL_MS` changes nothing and returns the state as it is (the router
   * retries a settle that failed or timed out, which may have applied).
   */
  settle(
    key: string,
    reservedAmount: number,
    actual: SettleUsage,
    ttlMs: number | undefined,
  ): Promise<BudgetState>;
  /** Gives a reservation back: `reserved -= amount`. */
  release(key: string, amount: number): Promise<BudgetState>;
  /** The budget's state (zeros for an unknown key). */
  read(key: string): Promise<BudgetState>;
  /**
   * Generic cell rate algorithm: takes `cost` units from a limit of `limit` units per
   * `windowMs` (bursts up to `limit`). `now` is the caller's clock. Refused: how long
   * until it would fit.
   *
   * Clock steps: a `now` more than `CLOCK_STEP_MS` (1 s) before the key's last write is a
   * clock stepped back, and the key is taken as it was at that write (its arrival time moved
   * back by the step), so a step back never locks a key out; a `now` stepped forward refills
   * at most one burst, as any idle time does.
   */
  rateTake(key: string, cost: number, limit: number, windowMs: number, now: number): Promise<RateResult>;
  /**
   * Gives back (negative) or charges (positive) units already taken: a token estimate
   * settled. Never below an empty bucket; clock steps as in `rateTake`.
   */
  rateAdjust(key: string, delta: number, limit: number, windowMs: number, now: number): Promise<void>;
  /** Releases connections and timers. */
  close?(): Promise<void>;
  /** Subscribes to failures the store handled itself (fail-open), for the router's `store.error` event. */
  onError?(listener: (error: Error, failOpen: boolean) => void): void;
  /**
   * Circuit breakers shared by every router on this store (see `SharedCircuits`): a
   * deployment that keeps failing opens for all of them, and after its cooldown one of
   * them takes the half-open probe. Left out (the memory store), each router keeps its
   * circuits to itself. `createRedisStore` provides it.
   */
  circuits?: SharedCircuits;
}

/**
 * How far back a rate key's clock may go before it counts as a clock step (see
 * `Store.rateTake`): more than the skew between instances' clocks on one Redis, which
 * must not move arrival times (each lagging call would give capacity back).
 */
export const CLOCK_STEP_MS = 1_000;

/** A budget's counters. Money in nano-USD. */
export interface BudgetState {
  spent: number;
  reserved: number;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

export interface ReserveResult {
  ok: boolean;
  state: BudgetState;
}

export interface SettleUsage {
  cost: number;
  inputTokens: number;
  outputTokens: number;
  /**
   * The settlement's id (the router sends the call's `requestId`): a second settle of the
   * same key with the same id is not counted again. Stores written before it ignore it.
   */
  id?: string;
}

/**
 * How long a store remembers a settlement id (`SettleUsage.id`): longer than the router
 * retries a settlement (`settleRetry`, about 2.5 minutes by default), short enough that
 * the markers (one small Redis key per settled budget, `<prefix>settled:<key>:<id>`) stay
 * few. A retry later than this (a `settleRetry` stretched past 10 minutes) could count a
 * settle that had applied twice.
 */
export const SETTLEMENT_ID_TTL_MS = 600_000;

export interface RateResult {
  ok: boolean;
  /** When refused: ms until `cost` units would fit. 0 when taken. */
  retryAfterMs: number;
}

/** USD to the store's integer nano-USD, rounded up: what a reservation must cover. */
export function toNanoCeil(usd: number): number {
  return Math.ceil(usd * 1e9 - 1e-6);
}

/** USD to nano-USD, rounded to nearest: an actual cost. */
export function toNano(usd: number): number {
  return Math.round(usd * 1e9);
}

/** Nano-USD to USD. */
export function fromNano(nano: number): number {
  return nano / 1e9;
}
