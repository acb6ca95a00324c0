import { LRUCache } from 'lru-cache';
import type { CachedAnswer } from './answer.js';

/** Where exact-match answers are kept. Entries are per key; the key already scopes the tenant. */
export interface AnswerCache {
  get(key: string): CachedAnswer | undefined;
  set(key: string, answer: CachedAnswer, ttlMs: number): void;
  /** Entries held (expired ones may count until they are next looked up or evicted). */
  readonly size: number;
  /** Bytes held: the UTF-8 length of each entry's stored JSON. */
  readonly bytes: number;
}

export interface MemoryCacheOptions {
  /** At most this many entries; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /** At most this many bytes of stored JSON. Default 64 MiB. An entry larger than this is not kept. */
  maxBytes?: number;
  /** The clock (ms) entries expire by; the router passes its own. Default `performance.now`. */
  now?: () => number;
}

export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * An in-memory answer cache: an LRU bounded by entries and by bytes, each entry kept for
 * its own TTL. Answers are stored as JSON and parsed on each hit, so a caller that
 * mutates a result cannot change what the next hit gets.
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): AnswerCache {
  const now = options.now;
  // lru-cache reads a start time of 0 as "no TTL": count from 1 at creation instead.
  const origin = now?.();
  const lru = new LRUCache<string, string>({
    max: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxSize: options.maxBytes ?? DEFAULT_MAX_BYTES,
    sizeCalculation: (json) => Math.max(1, Buffer.byteLength(json, 'utf8')),
    // Expired entries go on their next lookup or by LRU eviction: no timers.
    ttlAutopurge: false,
    // No cached clock reading (lru-cache keeps one for ttlResolution ms of real time otherwise).
    ttlResolution: 0,
    ...(now && { perf: { now: () => now() - origin! + 1 } }),
  });
  return {
    get(key) {
      const json = lru.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as CachedAnswer);
    },
    set(key, answer, ttlMs) {
      lru.set(key, JSON.stringify(answer), { ttl: ttlMs });
    },
    get size() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
  };
}
