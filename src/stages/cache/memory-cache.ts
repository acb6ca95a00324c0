import { LRUCache } from 'lru-cache';
import type { CachedAnswer } from './answer.js';

/** Where exact-match answers are kept. Entries are per key; the key already scopes the tenant. */
export interface AnswerCache {
  get(key: string): CachedAnswer | undefined;
  set(key: string, answer: CachedAnswer, ttlMs: number): void;
  /** Entries held (expired ones may count until they are next looked up or evicted). */
  readonly size: number;
  /** Bytes held: what the entries retain in the heap, as `entryBytes` counts it. */
  readonly bytes: number;
}

export interface MemoryCacheOptions {
  /** At most this many entries; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /**
   * At most this many bytes held by the entries (see `entryBytes`). Default 64 MiB. An entry
   * larger than this is not kept.
   */
  maxBytes?: number;
  /** The clock (ms) entries expire by; the router passes its own. Default `performance.now`. */
  now?: () => number;
}

export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** The most entries a cache may be given: lru-cache allocates every slot when it is created. */
export const MAX_ENTRIES = 1_000_000;

/**
 * What an entry costs beyond its two strings: its slot in the LRU's key map (a `Map` entry,
 * about 40 bytes with the table's slack), rounded up.
 */
const ENTRY_OVERHEAD_BYTES = 64;
/**
 * What the LRU allocates per entry slot when it is created, `maxEntries` of them: key and
 * value lists (8 bytes each), next and previous links (4 each), TTL start and length and
 * size (8 each), the free list (4).
 */
export const SLOT_BYTES = 56;
/** A JSON of Latin-1 characters only up to this length is counted at 2 bytes a character rather than copied (see `stored`). */
const COUNT_SHORT_AS_TWO_BYTE = 1_024;

/** A character V8 cannot keep in a one-byte string. */
const WIDE = /[\u0100-\uffff]/;

/**
 * Bytes of a flat V8 string of `length` characters: a 16-byte header (map, hash, length),
 * then 1 byte a character in a one-byte string (Latin-1 only) or 2 in a two-byte one,
 * rounded up to 8.
 */
function stringBytes(length: number, twoByte: boolean): number {
  return (16 + length * (twoByte ? 2 : 1) + 7) & ~7;
}

/**
 * The JSON to keep and what it costs in the heap. V8 keeps a string in one byte a character
 * only when all of its characters are Latin-1, and `JSON.stringify` writes two bytes a
 * character as soon as one of its input strings is kept in two (even if it holds only
 * ASCII), so a character count alone under-counts: a mostly-ASCII answer with one emoji
 * costs twice its UTF-8 length. So:
 *
 * - with a character outside Latin-1: kept as is, 2 bytes a character;
 * - Latin-1 only, long: kept as a one-byte copy (`latin1` round trip, exact for these
 *   characters), 1 byte a character;
 * - Latin-1 only, short (up to `COUNT_SHORT_AS_TWO_BYTE` characters): kept as is and counted
 *   at 2 bytes a character, an upper bound that spares a copy on every small answer.
 */
function stored(json: string): { json: string; bytes: number } {
  if (WIDE.test(json)) return { json, bytes: stringBytes(json.length, true) };
  if (json.length <= COUNT_SHORT_AS_TWO_BYTE) return { json, bytes: stringBytes(json.length, true) };
  return { json: Buffer.from(json, 'latin1').toString('latin1'), bytes: stringBytes(json.length, false) };
}

/** A digest key: SHA-256 in base64url (or hex), which Node returns as a one-byte string. */
const DIGEST = /^[A-Za-z0-9_-]*$/;
/** The longest digest key (SHA-256 in hex); a longer key is counted at 2 bytes a character without a scan. */
const DIGEST_CHARS = 64;

/**
 * What an entry holds, in bytes: its stored JSON (`jsonBytes`, see `stored`) and its key as
 * V8 keeps them, and its place in the LRU. An upper bound: removing the entry frees no more
 * (a key that is not a digest counts at 2 bytes a character).
 */
export function entryBytes(key: string, jsonBytes: number): number {
  const digest = key.length <= DIGEST_CHARS && DIGEST.test(key);
  return jsonBytes + stringBytes(key.length, !digest) + ENTRY_OVERHEAD_BYTES;
}

/**
 * An in-memory answer cache: an LRU bounded by entries and by the bytes the entries hold in
 * the heap, each entry kept for its own TTL. Answers are stored as JSON and parsed on each
 * hit, so a caller that mutates a result cannot change what the next hit gets.
 *
 * Memory: at most `maxBytes` held by entries (their JSON and key strings as V8 keeps them,
 * and their map entry), plus `SLOT_BYTES` (56) per `maxEntries` allocated at creation.
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): AnswerCache {
  const now = options.now;
  // lru-cache reads a start time of 0 as "no TTL": count from 1 at creation instead.
  const origin = now?.();
  const lru = new LRUCache<string, string>({
    max: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxSize: options.maxBytes ?? DEFAULT_MAX_BYTES,
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
      const value = stored(JSON.stringify(answer));
      lru.set(key, value.json, { ttl: ttlMs, size: entryBytes(key, value.bytes) });
    },
    get size() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
  };
}
