/**
 * Shared state on Redis for many router instances: budgets and rate limits hold across
 * every process that uses the same Redis. (Longer than most files: the store contract,
 * the outage policy and the error reporting of one store.)
 *
 * @module routeplane/redis
 */
import type { Cluster, Redis } from 'ioredis';
import { RouterError } from '../errors.js';
import { createMemoryStore } from '../store/memory.js';
import {
  type BudgetState,
  type RateResult,
  type ReserveResult,
  SETTLEMENT_ID_TTL_MS,
  type SettleUsage,
  type Store,
} from '../store/types.js';
import { createRedisCircuits } from './circuits.js';
import { RATE_ADJUST, RATE_TAKE, READ_BUDGET, RELEASE, RESERVE, SETTLE } from './scripts.js';

export type { Store } from '../store/types.js';

/** Options of `createRedisStore`. */
export interface RedisStoreOptions {
  /** Prepended to every key (the router's keys keep their `{tenant}` hash tag). Default `'routeplane:'`. */
  prefix?: string;
  /**
   * When Redis cannot be reached. `'fail-closed'` (default): the operation rejects with a
   * retryable `RouterError` (`store_unavailable`, `retryAfterMs` 1000, message "shared store
   * unavailable (fail-closed): …"), so no call goes past a limit nobody can check.
   * `'fail-open'`: the operation goes to `fallback` instead, so calls go on with this
   * process's own limits only.
   */
  onError?: 'fail-closed' | 'fail-open';
  /** The store of `'fail-open'`. Default: `createMemoryStore()`. */
  fallback?: Store;
  /**
   * An operation that has no answer after this long counts as failed. Default 1000 ms.
   * (A command already sent may still run on Redis after that.)
   */
  timeoutMs?: number;
}

/** The scripts, as ioredis commands (defined with `defineCommand`: EVALSHA, EVAL on NOSCRIPT). */
interface Scripts {
  routeplaneReserve(key: string, amount: number, limit: string, ttl: string): Promise<number[]>;
  routeplaneSettle(
    key: string,
    marker: string,
    reserved: number,
    cost: number,
    inputTokens: number,
    outputTokens: number,
    ttl: string,
    markerTtl: string,
  ): Promise<number[]>;
  routeplaneRelease(key: string, amount: number): Promise<number[]>;
  routeplaneRead(key: string): Promise<number[]>;
  routeplaneRateTake(
    key: string,
    cost: number,
    limit: number,
    windowMs: number,
    now: number,
  ): Promise<number[]>;
  routeplaneRateAdjust(
    key: string,
    delta: number,
    limit: number,
    windowMs: number,
    now: number,
  ): Promise<number>;
}

const FAILURE_REPORT_INTERVAL_MS = 1_000;

/**
 * A `Store` on Redis (ioredis `Redis` or `Cluster`), for `createRouter({ store })`. Every
 * operation is one Lua script: atomic, one round trip. Budgets are hashes of integer
 * nano-USD and token counts that expire with their period; rate limits are GCRA arrival
 * times that expire after a window. Keys are `prefix + key`, and every key of a tenant
 * carries its `{tenant}` hash tag, so on a Cluster they share a slot.
 *
 * Configure the client to fail fast while disconnected, so no command waits in ioredis's
 * offline queue and runs late: `new Redis(url, { enableOfflineQueue: false,
 * maxRetriesPerRequest: 1 })`, and attach `redis.on('error', …)`. The store also refuses
 * to send while the client is not `ready` (after it has once been), and gives up on an
 * operation after `timeoutMs`. Reconnecting is ioredis's; operations go back to Redis as
 * soon as it is ready again.
 *
 * Failures are reported to `onError` listeners (the router's `store.error` event) with
 * `failOpen`, at most once per second per kind of error.
 *
 * The store does not own the client: `close()` leaves it open (call `redis.quit()`).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRouter } from 'routeplane';
 * import { createRedisStore } from 'routeplane/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
 * redis.on('error', () => {}); // reported through the router's `store.error` event
 * const router = createRouter({ providers, store: createRedisStore(redis, { onError: 'fail-open' }) });
 * ```
 */
export function createRedisStore(redis: Redis | Cluster, options: RedisStoreOptions = {}): Store {
  const prefix = options.prefix ?? 'routeplane:';
  const failOpen = options.onError === 'fail-open';
  if (options.onError !== undefined && options.onError !== 'fail-open' && options.onError !== 'fail-closed') {
    throw new RouterError(
      'invalid_config',
      `createRedisStore: onError must be 'fail-closed' or 'fail-open', got ${JSON.stringify(options.onError)}`,
    );
  }
  const fallback = failOpen ? (options.fallback ?? createMemoryStore()) : undefined;
  const timeoutMs = options.timeoutMs ?? 1_000;

  redis.defineCommand('routeplaneReserve', { numberOfKeys: 1, lua: RESERVE });
  redis.defineCommand('routeplaneSettle', { numberOfKeys: 2, lua: SETTLE });
  redis.defineCommand('routeplaneRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('routeplaneRead', { numberOfKeys: 1, lua: READ_BUDGET, readOnly: true });
  redis.defineCommand('routeplaneRateTake', { numberOfKeys: 1, lua: RATE_TAKE });
  redis.defineCommand('routeplaneRateAdjust', { numberOfKeys: 1, lua: RATE_ADJUST });
  const scripts = redis as unknown as Scripts;

  let everReady = redis.status === 'ready';
  /** The first connection (one listener, however many calls wait for it). */
  const firstReady = everReady
    ? Promise.resolve()
    : new Promise<void>((resolve) =>
        redis.once('ready', () => {
          everReady = true;
          resolve();
        }),
      );

  const listeners: ((error: Error, failOpen: boolean) => void)[] = [];
  const lastReported = new Map<string, number>();
  const report = (error: Error, open = failOpen) => {
    const kind = `${error.name}:${error.message.replace(/'[^']*'|\d+/g, '#').slice(0, 80)}`;
    const t = Date.now();
    const last = lastReported.get(kind);
    if (last !== undefined && t - last < FAILURE_REPORT_INTERVAL_MS) return;
    lastReported.set(kind, t);
    if (lastReported.size > 100) for (const k of lastReported.keys()) if (k !== kind) lastReported.delete(k);
    for (const listener of listeners) {
      try {
        listener(error, open);
      } catch {
        // A listener's failure is its own.
      }
    }
  };

  /** Runs `send` on Redis within `timeoutMs`; rejects at once when the client is down. */
  const call = <T>(send: () => Promise<T>): Promise<T> => {
    if (redis.status !== 'ready') {
      if (everReady || redis.status === 'end' || redis.status === 'close') {
        return Promise.reject(new Error(`Redis connection is not ready (status '${redis.status}')`));
      }
      // Never connected yet: wait for the first connection, within the timeout.
      if (redis.status === 'wait') redis.connect().catch(() => {});
      return withTimeout(firstReady.then(send), timeoutMs);
    }
    return withTimeout(send(), timeoutMs);
  };

  /**
   * One operation: on Redis, or on failure reported and then thrown as `RouterError`
   * (fail-closed) or run on the fallback (fail-open).
   */
  const run = async <T>(
    op: string,
    key: string,
    send: () => Promise<T>,
    local: (store: Store) => Promise<T>,
  ): Promise<T> => {
    let result: T;
    try {
      result = await call(send);
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      report(error);
      if (fallback) return local(fallback);
      const tenant = /\{([^}]*)\}/.exec(key)?.[1];
      throw new RouterError(
        'store_unavailable',
        `shared store unavailable (fail-closed): ${op} on '${key}' failed: ${error.message}; retry when Redis is reachable, or create the store with onError: 'fail-open'`,
        { retryable: true, retryAfterMs: 1_000, cause: error, ...(tenant !== undefined && { tenant }) },
      );
    }
    return result;
  };

  /*
   * Fail-open bookkeeping: a reservation made on the fallback is settled or released there
   * too (and one made on Redis, on Redis), so an outage neither leaks nor steals reservations
   * across the two.
   */
  const heldLocally = new Map<string, number>();
  const takeLocal = (key: string, amount: number): boolean => {
    const held = heldLocally.get(key) ?? 0;
    if (held <= 0 || amount <= 0) return false;
    if (held <= amount) heldLocally.delete(key);
    else heldLocally.set(key, held - amount);
    return true;
  };

  return {
    async reserve(key, amount, limit, ttlMs): Promise<ReserveResult> {
      let local = false;
      const result = await run(
        'reserve',
        key,
        async () =>
          toReserve(await scripts.routeplaneReserve(prefix + key, amount, limitArg(limit), ttlArg(ttlMs))),
        async (store) => {
          local = true;
          return store.reserve(key, amount, limit, ttlMs);
        },
      );
      if (local && result.ok) heldLocally.set(key, (heldLocally.get(key) ?? 0) + amount);
      return result;
    },
    settle(key, reservedAmount, actual: SettleUsage, ttlMs) {
      if (fallback && takeLocal(key, reservedAmount))
        return fallback.settle(key, reservedAmount, actual, ttlMs);
      return run(
        'settle',
        key,
        async () =>
          toState(
            await scripts.routeplaneSettle(
              prefix + key,
              // The settlement marker, apart from the budget keys; it keeps the key's
              // {tenant} hash tag (the first braces), so it is in the same Cluster slot.
              `${prefix}settled:${key}:${actual.id ?? ''}`,
              reservedAmount,
              actual.cost,
              actual.inputTokens,
              actual.outputTokens,
              ttlArg(ttlMs),
              actual.id === undefined ? '' : String(SETTLEMENT_ID_TTL_MS),
            ),
          ),
        (store) => store.settle(key, reservedAmount, actual, ttlMs),
      );
    },
    release(key, amount) {
      if (fallback && takeLocal(key, amount)) return fallback.release(key, amount);
      return run(
        'release',
        key,
        async () => toState(await scripts.routeplaneRelease(prefix + key, amount)),
        (store) => store.release(key, amount),
      );
    },
    read(key) {
      return run(
        'read',
        key,
        async () => toState(await scripts.routeplaneRead(prefix + key)),
        (store) => store.read(key),
      );
    },
    rateTake(key, cost, limit, windowMs, now): Promise<RateResult> {
      return run(
        'rateTake',
        key,
        async () => {
          const [ok, retryAfterMs] = await scripts.routeplaneRateTake(
            prefix + key,
            cost,
            limit,
            windowMs,
            now,
          );
          return { ok: ok === 1, retryAfterMs: retryAfterMs ?? 0 };
        },
        (store) => store.rateTake(key, cost, limit, windowMs, now),
      );
    },
    async rateAdjust(key, delta, limit, windowMs, now) {
      await run(
        'rateAdjust',
        key,
        async () => {
          await scripts.routeplaneRateAdjust(prefix + key, delta, limit, windowMs, now);
        },
        (store) => store.rateAdjust(key, delta, limit, windowMs, now),
      );
    },
    async close() {
      await fallback?.close?.();
    },
    onError(listener) {
      listeners.push(listener);
    },
    // Shared circuits: a failure is reported as fail-open, since the router then uses its own breaker.
    circuits: createRedisCircuits(redis, prefix, async (send) => {
      try {
        return await call(send);
      } catch (cause) {
        const error = cause instanceof Error ? cause : new Error(String(cause));
        report(error, true);
        throw error;
      }
    }),
  };
}

function limitArg(limit: number): string {
  return Number.isFinite(limit) ? String(limit) : '';
}

function ttlArg(ttlMs: number | undefined): string {
  return ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)));
}

function toState(reply: number[]): BudgetState {
  const [spent = 0, reserved = 0, inputTokens = 0, outputTokens = 0, requests = 0] = reply;
  return { spent, reserved, inputTokens, outputTokens, requests };
}

function toReserve(reply: number[]): ReserveResult {
  return { ok: reply[0] === 1, state: toState(reply.slice(1)) };
}

/** `promise`, or a rejection after `ms`; the promise's own later failure is swallowed. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms (timeoutMs)`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
