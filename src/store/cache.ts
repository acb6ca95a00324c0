/**
 * An exact-match answer cache shared by every router on one store (`Store.answers`): an
 * answer cached by one instance answers the same call of the same tenant on another.
 *
 * The values are opaque text to the store: the router writes the JSON of a cached answer,
 * and validates what it reads back (a value it cannot read is a miss), so a store only keeps
 * strings with a time to live, in a namespace per tenant. `createRedisStore` provides one.
 *
 * The cache is an optimization, never a dependency: the router reads a `get` that rejects
 * or takes too long as a miss, and never waits for a `set`. An implementation should report
 * its own failures (the store's `onError` listeners, the router's `store.error` event) and
 * resolve: `get` to undefined, `set` to nothing. A rejection is also a miss, which the router
 * reports as a `store.error` on every call that meets it (no rate limit), and `get` must
 * bound its own latency (the router does not time it out).
 *
 * @example
 * ```ts
 * // A shared cache of your own, on any key-value store with a TTL:
 * const answers: SharedAnswerCache = {
 *   async get(tenant, key) {
 *     const hit = await kv.getWithTtl(`${encodeURIComponent(tenant)}/${key}`);
 *     return hit && { value: hit.value, ttlMs: hit.ttlMs };
 *   },
 *   async set(tenant, key, value, ttlMs) {
 *     await kv.set(`${encodeURIComponent(tenant)}/${key}`, value, { ttlMs });
 *   },
 * };
 * const router = createRouter({ providers, store: { ...createMemoryStore(), answers } });
 * ```
 */
export interface SharedAnswerCache {
  /**
   * The entry kept for `key` in `tenant`'s namespace, with the time it has left, or
   * undefined. One round trip: it runs before the call goes to a provider. Entries of one
   * tenant must never be visible to another, whatever characters the tenant id holds.
   */
  get(tenant: string, key: string): Promise<SharedCacheEntry | undefined>;
  /**
   * Keeps `value` for `key` in `tenant`'s namespace for `ttlMs`, replacing any entry of
   * that key. The store may refuse to keep it (too large, the tenant's bound) or evict it
   * early; it must never keep it longer than `ttlMs`.
   */
  set(tenant: string, key: string, value: string, ttlMs: number): Promise<void>;
}

/** An entry of a `SharedAnswerCache`. */
export interface SharedCacheEntry {
  /** The text written by `set`. */
  value: string;
  /**
   * Milliseconds the entry has left: the router keeps its own copy no longer than this.
   * Negative or absent when unknown (the router's copy then lives the tenant's `ttlMs`).
   */
  ttlMs?: number;
}
