import type { AuditChainStore } from './audit.js';
import type { SharedAnswerCache } from './cache.js';
import type { SharedCircuits } from './circuits.js';

/**
 * Shared state behind budgets, rate limits and the cache. Every method is one atomic step
 * (one Lua script on Redis), so concurrent calls, in one process or many, cannot
 * interleave inside it. Amounts of money are integers of nano-USD (1e-9 USD), so sums are
 * exact and `spent ≤ limit` holds to the last digit.
 */
export interface Store {
  /**
   * Reserves `amount` in every budget of `lines`, or in none: all-or-nothing, one atomic
   * step, so `spent + reserved + amount ≤ limit` holds in each. The reservation is held by
   * `lease`: a second reserve with the same lease id adds to what it holds; it ends with
   * `settle` or `release` of that id, or by itself `lease.ttlMs` after it was last taken or
   * renewed (its holder died, or was cut off from the store), so nothing a dead process held
   * stays reserved. Refused: `index` is the first line that did not fit and `state` its
   * state; taken: `index` 0 and the first line's state after. `now` is the caller's clock
   * (epoch ms); a store with a clock of its own (the Redis server's) uses that instead.
   */
  reserve(lines: readonly BudgetLine[], amount: number, lease: Lease, now: number): Promise<ReserveResult>;
  /**
   * Ends the lease in every line and counts the call: each line's `reserved` loses what the
   * lease held there (nothing, if it expired), `spent` gains `actual.cost`, and the token
   * counts and `requests` grow. Idempotent by lease id: a settle of an id already applied
   * (within `SETTLEMENT_ID_TTL_MS`) changes nothing and returns the states as they are (the
   * router retries a settle that failed or timed out, which may have applied). Returns each
   * line's state after, in order.
   */
  settle(
    lines: readonly BudgetLine[],
    lease: Lease,
    actual: SettleUsage,
    now: number,
  ): Promise<BudgetState[]>;
  /** Ends the lease in every line without a charge: what it held is given back. Idempotent. */
  release(lines: readonly BudgetLine[], lease: Lease, now: number): Promise<void>;
  /** Extends the lease in every line to `lease.ttlMs` from now; a lease already ended stays ended. */
  renew(lines: readonly BudgetLine[], lease: Lease, now: number): Promise<void>;
  /** The budget's state (zeros for an unknown key); expired leases no longer count as reserved. */
  read(key: string, now: number): Promise<BudgetState>;
  /**
   * Generic cell rate algorithm: takes `cost` units from a limit of `limit` units per
   * `windowMs` (bursts up to `limit`). `now` is the caller's clock (a store with its own
   * clock uses that instead). Refused: how long until it would fit.
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
  /**
   * The store's own clock, when it has one (epoch ms): the Redis store's estimate of the
   * Redis server's time. The router takes budget periods from it, so every instance
   * changes day (or month) at the same moment whatever its own clock says.
   */
  now?(): number;
  /**
   * The exact-match answer cache shared by every router on this store, if it has one
   * (`createRedisStore` does; the memory store does not: each router's own cache is
   * enough in one process). The router's cache stage looks in its own memory first, then
   * here, and writes every new answer to both. See `SharedAnswerCache`.
   */
  answers?: SharedAnswerCache;
  /**
   * Shared audit chain heads, so every router on this store links a tenant's audit records
   * into one chain (`audit: { chain: true }`). Without it (the memory store) each router
   * links its own records in memory.
   */
  auditChain?: AuditChainStore;
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
 * A budget a call counts against: its store key, its cap in nano-USD (`Infinity` for none)
 * and, for a budget with periods, how long the key must live (until its period ends).
 */
export interface BudgetLine {
  readonly key: string;
  readonly limit: number;
  readonly ttlMs?: number | undefined;
}

/**
 * Who holds a reservation: an id (the router uses the call's `requestId`, which is also the
 * settlement id) and how long the reservation lives unless renewed.
 */
export interface Lease {
  readonly id: string;
  readonly ttlMs: number;
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
  /** The first line that refused; 0 when taken. */
  index: number;
  /** That line's state (after the reservation, when taken). */
  state: BudgetState;
}

export interface SettleUsage {
  cost: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * How long a store remembers a settled lease id (see `Store.settle`): longer than the router
 * retries a settlement (`settleRetry`, about 2.5 minutes by default), short enough that
 * the markers (one small Redis key per settled call, `<prefix>settled:<first key>:<id>`) stay
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

/**
 * Internal: the synchronous budget and rate-limit operations of stores whose operations
 * complete at once (the memory store), so the budget and rate-limit stages spend no promise
 * on them. Keyed by the
 * store object itself: a wrapper (`{ ...store, settle() {…} }`) is another object and takes
 * the asynchronous methods, as any store does, so its overrides always apply.
 */
const SYNC_STORES = new WeakMap<Store, SyncStore>();

/**
 * What a store offers through `SYNC_STORES`: these `Store` methods, but synchronous. The
 * caller of `settle` here has its answer at once and never retries it, so the store need
 * not remember the lease id as settled (the asynchronous `settle` does).
 */
export interface SyncStore {
  reserve(lines: readonly BudgetLine[], amount: number, lease: Lease, now: number): ReserveResult;
  settle(lines: readonly BudgetLine[], lease: Lease, actual: SettleUsage, now: number): BudgetState[];
  rateTake(key: string, cost: number, limit: number, windowMs: number, now: number): RateResult;
  rateAdjust(key: string, delta: number, limit: number, windowMs: number, now: number): void;
}

/** Registers `sync` as the synchronous operations of exactly `store`. */
export function offerSyncStore(store: Store, sync: SyncStore): void {
  SYNC_STORES.set(store, sync);
}

/** The synchronous operations of `store`, if it has them (see `SYNC_STORES`). */
export function syncStoreOf(store: Store): SyncStore | undefined {
  return SYNC_STORES.get(store);
}
