import type { Middleware } from '../../pipeline/compose.js';
import type { RouteContext } from '../../pipeline/context.js';
import type { Store } from '../../store/types.js';
import { captureAnswer, serveCached } from './answer.js';
import { cacheKey, sharedKey } from './key.js';
import { type AnswerCache, createMemoryCache } from './memory-cache.js';
import { readShared, writeShared } from './shared.js';

/**
 * The exact-match answer cache, for tenants whose policy sets `cache: { ttlMs }`. The key
 * holds the tenant, its policy fingerprint, the messages as they will be sent and every
 * parameter that changes the answer (see `cacheKey` in ./key.ts); in a shared cache it is
 * their SHA-256. Entries live in this
 * router's memory: an LRU of at most `cache.maxEntries` entries holding at most
 * `cache.maxBytes` bytes (router options; 10 000 and 64 MiB by default), each kept `ttlMs`.
 *
 * With a store that shares a cache (`Store.answers`, as `createRedisStore` does), the
 * router's memory is looked in first, then the shared cache; a shared hit is kept in memory
 * too (no longer than it has left), and a new answer is written to both. The shared write
 * is not awaited, and a shared cache that fails or times out is a miss, reported as
 * `store.error`: the shared cache never fails nor delays a call beyond its own timeout.
 *
 * A hit answers at once: `cached: true`, cost 0, a `cache.hit` event, and for a stream the
 * answer replayed as parts; no later stage runs (no rate limit, budget or provider). A hit
 * is served only if the model that made it is still one the call may use. A
 * miss runs the rest of the pipeline and keeps the answer if it is complete and
 * successful (`stop` or `tool_calls`); a stream's answer is kept when it ended normally.
 * `explain()` never uses the cache. One per router: it owns the router's cache, on the
 * router's clock, gone with the router.
 */
export function createCacheStage(options: {
  now: () => number;
  maxEntries: number;
  maxBytes: number;
}): Middleware<RouteContext> {
  const cache: AnswerCache = createMemoryCache(options);
  // Not an async function: a tenant without a cache passes through without a promise of its
  // own, and a memory-only cache (hit or miss) needs no async frame either.
  return (ctx, next) => {
    const ttlMs = ctx.policy?.cache?.ttlMs;
    if (ttlMs === undefined || ctx.mode === 'explain') return next();
    const key = cacheKey(ctx);
    const hit = cache.get(key);
    if (hit && serveCached(ctx, hit)) return;
    const shared = ctx.services.store.answers;
    if (shared) return sharedToo(ctx, next, ttlMs, key, shared);
    return next().then(() => captureAnswer(ctx, (answer) => cache.set(key, answer, ttlMs)));
  };

  /** A miss in memory, with a shared cache: looked up there, and a new answer written to both. */
  async function sharedToo(
    ctx: RouteContext,
    next: () => Promise<void>,
    ttlMs: number,
    key: string,
    shared: NonNullable<Store['answers']>,
  ): Promise<void> {
    const digest = sharedKey(key);
    const sharedHit = await readShared(ctx, shared, digest, ttlMs);
    if (sharedHit) {
      cache.set(key, sharedHit.answer, sharedHit.ttlMs);
      if (serveCached(ctx, sharedHit.answer)) return;
    }
    await next();
    captureAnswer(ctx, (answer) => {
      cache.set(key, answer, ttlMs);
      writeShared(ctx, shared, digest, answer, ttlMs);
    });
  }
}
