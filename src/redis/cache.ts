import type { Cluster, Redis } from 'ioredis';
import { RouterError } from '../errors.js';
import type { SharedAnswerCache } from '../store/cache.js';

/** The shared answer cache of `createRedisStore` (its `cache` option). */
export interface RedisCacheOptions {
  /**
   * Entries kept per tenant. Over it, a write evicts the tenant's entries that expire
   * first (with one TTL per tenant, the oldest); other tenants' entries are untouched.
   * Default 1000.
   */
  maxEntriesPerTenant?: number;
  /**
   * The largest answer shared, in bytes of its JSON (UTF-8). A larger one is kept in the
   * answering router's own cache only. Default 262 144 (256 KiB).
   */
  maxEntryBytes?: number;
}

export const DEFAULT_MAX_ENTRIES_PER_TENANT = 1_000;
export const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;

/**
 * KEYS[1] the entry. Its value and the milliseconds it has left (-1: no expiry), or nil.
 * One script, so the two are read at one instant.
 */
export const CACHE_GET = `
local value = redis.call('GET', KEYS[1])
if not value then return nil end
return {value, redis.call('PTTL', KEYS[1])}
`;

/**
 * KEYS[1] the tenant's index: a sorted set of its entries' keys (the part after the index
 * key and ':'), scored by when they expire on the Redis clock, in microseconds (so entries
 * written in one millisecond keep their order); entry key = index .. ':' .. member.
 * ARGV: member, value, ttl ms, max entries, max bytes. Returns 1 if kept, 0 if too large.
 *
 * Drops the members whose entries expired (their keys went by PX), keeps the entry, then
 * evicts the members that expire first over the bound, with their entries. The index
 * expires with its last entry.
 */
export const CACHE_SET = `
local index = KEYS[1]
local member, value = ARGV[1], ARGV[2]
local ttl, max, maxBytes = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if #value > maxBytes then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local expires = now + ttl * 1000
redis.call('ZREMRANGEBYSCORE', index, '-inf', string.format('%.0f', now))
redis.call('SET', index .. ':' .. member, value, 'PX', ttl)
redis.call('ZADD', index, string.format('%.0f', expires), member)
local over = redis.call('ZCARD', index) - max
if over > 0 then
  local evicted = redis.call('ZRANGE', index, 0, over - 1)
  for _, m in ipairs(evicted) do redis.call('DEL', index .. ':' .. m) end
  redis.call('ZREMRANGEBYRANK', index, 0, over - 1)
end
local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', index, string.format('%.0f', math.ceil(tonumber(last[2]) / 1000)))
return 1
`;

interface CacheScripts {
  routeplaneCacheGet(key: string): Promise<[string, number] | null>;
  routeplaneCacheSet(
    index: string,
    member: string,
    value: string,
    ttl: number,
    max: number,
    maxBytes: number,
  ): Promise<number>;
}

/** What the cache borrows from its store: the key prefix, and the store's way to call Redis and report failures. */
export interface RedisCacheDeps {
  prefix: string;
  /** Runs a command within the store's timeout; rejects at once while the client is down. */
  call<T>(send: () => Promise<T>): Promise<T>;
  /** Reports a handled failure to the store's `onError` listeners (rate-limited), as fail-open. */
  report(error: Error): void;
}

/**
 * The `SharedAnswerCache` of `createRedisStore`. An entry is the string
 * `<prefix>cache:{<tenant>}:<key>` (PX its TTL), and each tenant has an index
 * `<prefix>cache:{<tenant>}` that bounds its entries; `<tenant>` is
 * `encodeURIComponent(tenant)`, so it holds no brace nor colon: the hash tag is the whole
 * tenant, and no tenant id can reach into another tenant's keys. A get is one GET and PTTL
 * (one script); a set is one script. A failure is reported (fail-open: the call goes on as
 * a miss) and resolves.
 */
export function createRedisAnswerCache(
  redis: Redis | Cluster,
  deps: RedisCacheDeps,
  options: RedisCacheOptions = {},
): SharedAnswerCache {
  if (typeof options !== 'object' || options === null) {
    throw new RouterError(
      'invalid_config',
      `createRedisStore: cache must be an object ({ maxEntriesPerTenant?, maxEntryBytes? }) or false, got ${JSON.stringify(options)}`,
    );
  }
  const max = positiveInteger(
    options.maxEntriesPerTenant,
    'maxEntriesPerTenant',
    DEFAULT_MAX_ENTRIES_PER_TENANT,
  );
  const maxBytes = positiveInteger(options.maxEntryBytes, 'maxEntryBytes', DEFAULT_MAX_ENTRY_BYTES);
  redis.defineCommand('routeplaneCacheGet', { numberOfKeys: 1, lua: CACHE_GET, readOnly: true });
  redis.defineCommand('routeplaneCacheSet', { numberOfKeys: 1, lua: CACHE_SET });
  const scripts = redis as unknown as CacheScripts;
  const { prefix, call, report } = deps;
  const indexKey = (tenant: string) => `${prefix}cache:{${encodeURIComponent(tenant)}}`;
  const failed = (op: string, tenant: string, cause: unknown) =>
    report(
      new Error(
        `shared answer cache: ${op} for tenant '${tenant}' failed: ${cause instanceof Error ? cause.message : String(cause)}; the call went on as a cache miss`,
      ),
    );

  return {
    async get(tenant, key) {
      try {
        const reply = await call(() => scripts.routeplaneCacheGet(`${indexKey(tenant)}:${key}`));
        return reply ? { value: reply[0], ttlMs: reply[1] } : undefined;
      } catch (cause) {
        failed('get', tenant, cause);
        return undefined;
      }
    },
    async set(tenant, key, value, ttlMs) {
      if (Buffer.byteLength(value, 'utf8') > maxBytes) return;
      try {
        await call(() =>
          scripts.routeplaneCacheSet(
            indexKey(tenant),
            key,
            value,
            Math.max(1, Math.ceil(ttlMs)),
            max,
            maxBytes,
          ),
        );
      } catch (cause) {
        failed('set', tenant, cause);
      }
    },
  };
}

function positiveInteger(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RouterError(
      'invalid_config',
      `createRedisStore: cache.${field} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
