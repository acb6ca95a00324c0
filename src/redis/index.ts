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
  type BudgetLine,
  type BudgetState,
  type RateResult,
  type ReserveResult,
  SETTLEMENT_ID_TTL_MS,
  type SettleUsage,
  type Store,
} from '../store/types.js';
import { createRedisAuditChain } from './audit.js';
import { createRedisAnswerCache, type RedisCacheOptions } from './cache.js';
import { createRedisCircuits } from './circuits.js';
import { RATE_ADJUST, RATE_TAKE, READ_BUDGET, RELEASE, RENEW, RESERVE, SETTLE } from './scripts.js';

export type { SharedAnswerCache, SharedCacheEntry } from '../store/cache.js';
export type { Store } from '../store/types.js';
export type { RedisCacheOptions } from './cache.js';

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
  /**
   * The clock of rate-limit windows and reservation leases. `'redis'` (default): the Redis
   * server's `TIME`, read inside each script, so instances whose clocks disagree (or step)
   * share exact windows; the store's `now()` follows it, and the router takes budget
   * periods from it. `'caller'`: the `now` the router passes (its `now` option), for tests
   * that drive time.
   */
  clock?: 'redis' | 'caller';
  /**
   * The exact-match answer cache shared by every router on this Redis (`Store.answers`):
   * bounds per tenant, or `false` for none (each router then caches in its own memory
   * only). Its failures are always fail-open: a cache that cannot be read is a miss.
   * Default `{}`: 1000 entries per tenant, answers up to 256 KiB.
   */
  cache?: RedisCacheOptions | false;
}

/** The scripts, as ioredis commands (defined with `defineCommand`: EVALSHA, EVAL on NOSCRIPT). */
interface Scripts {
  routeplaneReserve(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  routeplaneSettle(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  routeplaneRelease(numKeys: number, ...args: (string | number)[]): Promise<number>;
  routeplaneRenew(numKeys: number, ...args: (string | number)[]): Promise<number>;
  routeplaneRead(budget: string, leases: string, now: string): Promise<number[]>;
  routeplaneRateTake(
    key: string,
    now: string,
    cost: number,
    limit: number,
    windowMs: number,
  ): Promise<number[]>;
  routeplaneRateAdjust(
    key: string,
    now: string,
    delta: number,
    limit: number,
    windowMs: number,
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

  if (options.clock !== undefined && options.clock !== 'redis' && options.clock !== 'caller') {
    throw new RouterError(
      'invalid_config',
      `createRedisStore: clock must be 'redis' or 'caller', got ${JSON.stringify(options.clock)}`,
    );
  }
  const serverClock = options.clock !== 'caller';

  // Budget scripts take their keys' count first (a call's budget lines vary).
  redis.defineCommand('routeplaneReserve', { lua: RESERVE });
  redis.defineCommand('routeplaneSettle', { lua: SETTLE });
  redis.defineCommand('routeplaneRelease', { lua: RELEASE });
  redis.defineCommand('routeplaneRenew', { lua: RENEW });
  redis.defineCommand('routeplaneRead', { numberOfKeys: 2, lua: READ_BUDGET });
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
    try {
      return await call(send);
    } catch (cause) {
      return fail(op, key, cause, local);
    }
  };

  /** A failed operation: reported, then run on the fallback (fail-open) or thrown (fail-closed). */
  const fail = <T>(
    op: string,
    key: string,
    cause: unknown,
    local: (store: Store) => Promise<T>,
  ): Promise<T> => {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    report(error);
    if (fallback) return local(fallback);
    const tag = /\{([^}]*)\}/.exec(key)?.[1];
    const tenant = tag === undefined ? undefined : safeDecode(tag);
    throw new RouterError(
      'store_unavailable',
      `shared store unavailable (fail-closed): ${op} on '${key}' failed: ${error.message}; retry when Redis is reachable, or create the store with onError: 'fail-open'`,
      { retryable: true, retryAfterMs: 1_000, cause: error, ...(tenant !== undefined && { tenant }) },
    );
  };

  /** The Redis server's clock minus ours, from the last reply (server clock only). */
  let offset = 0;
  const clockArg = (now: number): string => (serverClock ? '' : String(now));
  const heard = (serverNow: number | undefined): void => {
    if (serverClock && serverNow !== undefined) offset = serverNow - Date.now();
  };

  /** The keys and arguments of a budget script's lines: `b, z` per line. */
  const keysOf = (lines: readonly BudgetLine[]): string[] => {
    const keys: string[] = [];
    for (const line of lines) keys.push(prefix + line.key, `${prefix + line.key}:leases`);
    return keys;
  };

  /*
   * Fail-open bookkeeping: a lease taken on the fallback is settled or released there too
   * (and one taken on Redis, on Redis), so an outage neither leaks nor steals reservations
   * across the two. A lease with parts on both sides (a dearer fallback reserved during an
   * outage) is settled where it began and released on the other side.
   */
  const sides = new Map<string, 'redis' | 'local' | 'both'>();
  const tookOn = (id: string, side: 'redis' | 'local'): void => {
    const was = sides.get(id);
    sides.set(id, was === undefined || was === side ? side : 'both');
  };

  /*
   * Compensation: a reserve that failed or timed out may still run on Redis later (the
   * script was sent; ioredis resends unanswered commands after a reconnect). Its lease is
   * released by id once Redis answers again, after it on the same connection, so a late
   * script leaves nothing behind; the lease's expiry is the backstop.
   */
  const compensate = new Map<string, readonly BudgetLine[]>();
  const flushCompensations = (): void => {
    if (redis.status !== 'ready') return;
    for (const [id, lines] of compensate) {
      compensate.delete(id);
      scripts.routeplaneRelease(lines.length * 2, ...keysOf(lines), '', id).catch(() => {
        if (compensate.size < 10_000) compensate.set(id, lines);
      });
    }
  };
  redis.on('ready', flushCompensations);

  const budgetArgs = (lines: readonly BudgetLine[]): string[] => keysOf(lines);

  const answers =
    options.cache === false
      ? undefined
      : createRedisAnswerCache(
          redis,
          { prefix, call, report: (error) => report(error, true) },
          options.cache,
        );

  return {
    ...(answers && { answers }),
    async reserve(lines, amount, lease, now): Promise<ReserveResult> {
      try {
        const reply = await call(() => {
          const args: (string | number)[] = budgetArgs(lines);
          args.push(clockArg(now), amount, lease.id, Math.max(1, Math.ceil(lease.ttlMs)));
          for (const line of lines) args.push(limitArg(line.limit), ttlArg(line.ttlMs));
          return scripts.routeplaneReserve(lines.length * 2, ...args);
        });
        heard(reply[7]);
        const ok = reply[0] === 1;
        if (ok) tookOn(lease.id, 'redis');
        return { ok, index: reply[1] ?? 0, state: toState(reply.slice(2, 7)) };
      } catch (cause) {
        // The script may still run: give back whatever it takes, unless the lease holds
        // more on Redis (then its settle or release, sent later, ends all of it).
        if (!sides.has(lease.id)) {
          if (compensate.size < 10_000) compensate.set(lease.id, lines);
          flushCompensations();
        }
        const result = await fail('reserve', lines[0]?.key ?? '', cause, (store) =>
          store.reserve(lines, amount, lease, now),
        );
        if (result.ok) tookOn(lease.id, 'local');
        return result;
      }
    },
    async settle(lines, lease, actual: SettleUsage, now) {
      const side = sides.get(lease.id);
      if (fallback && (side === 'local' || side === 'both')) {
        sides.delete(lease.id);
        const states = await fallback.settle(lines, lease, actual, now);
        if (side === 'both') await this.release(lines, lease, now).catch(() => {});
        return states;
      }
      const states = await run(
        'settle',
        lines[0]?.key ?? '',
        async () => {
          const args: (string | number)[] = [
            // The settlement marker, apart from the budget keys; it keeps the first key's
            // {tenant} hash tag (the first braces), so it is in the same Cluster slot.
            `${prefix}settled:${lines[0]?.key ?? ''}:${lease.id}`,
            ...budgetArgs(lines),
            clockArg(now),
            lease.id,
            actual.cost,
            actual.inputTokens,
            actual.outputTokens,
            SETTLEMENT_ID_TTL_MS,
          ];
          for (const line of lines) args.push(ttlArg(line.ttlMs));
          const reply = await scripts.routeplaneSettle(1 + lines.length * 2, ...args);
          heard(reply[0]);
          const out: BudgetState[] = [];
          for (let i = 0; i < lines.length; i++) out.push(toState(reply.slice(1 + 5 * i, 6 + 5 * i)));
          return out;
        },
        (store) => store.settle(lines, lease, actual, now),
      );
      sides.delete(lease.id);
      return states;
    },
    async release(lines, lease, now) {
      const side = sides.get(lease.id);
      sides.delete(lease.id);
      if (fallback && (side === 'local' || side === 'both')) {
        await fallback.release(lines, lease, now);
        if (side === 'local') return;
      }
      await run(
        'release',
        lines[0]?.key ?? '',
        async () =>
          heard(
            await scripts.routeplaneRelease(lines.length * 2, ...budgetArgs(lines), clockArg(now), lease.id),
          ),
        (store) => store.release(lines, lease, now),
      );
    },
    async renew(lines, lease, now) {
      const side = sides.get(lease.id);
      if (fallback && (side === 'local' || side === 'both')) await fallback.renew(lines, lease, now);
      if (side === 'local') return;
      await run(
        'renew',
        lines[0]?.key ?? '',
        async () =>
          heard(
            await scripts.routeplaneRenew(
              lines.length * 2,
              ...budgetArgs(lines),
              clockArg(now),
              lease.id,
              Math.max(1, Math.ceil(lease.ttlMs)),
            ),
          ),
        (store) => store.renew(lines, lease, now),
      );
    },
    read(key, now) {
      return run(
        'read',
        key,
        async () => {
          const reply = await scripts.routeplaneRead(prefix + key, `${prefix + key}:leases`, clockArg(now));
          heard(reply[5]);
          return toState(reply);
        },
        (store) => store.read(key, now),
      );
    },
    rateTake(key, cost, limit, windowMs, now): Promise<RateResult> {
      return run(
        'rateTake',
        key,
        async () => {
          const [ok, retryAfterMs, serverNow] = await scripts.routeplaneRateTake(
            prefix + key,
            clockArg(now),
            cost,
            limit,
            windowMs,
          );
          heard(serverNow);
          return { ok: ok === 1, retryAfterMs: retryAfterMs ?? 0 };
        },
        (store) => store.rateTake(key, cost, limit, windowMs, now),
      );
    },
    async rateAdjust(key, delta, limit, windowMs, now) {
      await run(
        'rateAdjust',
        key,
        async () =>
          heard(await scripts.routeplaneRateAdjust(prefix + key, clockArg(now), delta, limit, windowMs)),
        (store) => store.rateAdjust(key, delta, limit, windowMs, now),
      );
    },
    ...(serverClock && { now: () => Date.now() + offset }),
    // Audit chain heads: a failure rejects (never the fallback), and the router reports it.
    auditChain: createRedisAuditChain(redis, prefix, call),
    async close() {
      redis.off('ready', flushCompensations);
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

/** A key's hash tag back to the tenant id (see `keyPart`). */
function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
