import { LRUCache } from 'lru-cache';
import type { Usage } from '../../types.js';
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
/** A Latin-1 text up to this length is counted at 2 bytes a character rather than scanned (see `stored`). */
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
 * A text to keep and what it costs in the heap, as a string of the cache's own: never the
 * caller's string, which could be a slice of a larger one (V8 keeps the whole parent alive)
 * or shared with the caller (it would not be counted). V8 keeps a string in one byte a
 * character only when all of its characters are Latin-1, and a two-byte string stays two
 * bytes even if it holds only ASCII, so a character count alone under-counts. So:
 *
 * - with a character outside Latin-1: a copy, 2 bytes a character;
 * - Latin-1 only, long: a one-byte copy (`latin1` round trip, exact for these characters),
 *   1 byte a character;
 * - Latin-1 only, short (up to `COUNT_SHORT_AS_TWO_BYTE` characters): a copy as V8 makes it,
 *   counted at 2 bytes a character, an upper bound that spares a scan and a buffer.
 */
function stored(text: string): { text: string; bytes: number } {
  if (text.length <= COUNT_SHORT_AS_TWO_BYTE || WIDE.test(text))
    return { text: copyOf(text), bytes: stringBytes(text.length + 1, true) };
  return { text: Buffer.from(text, 'latin1').toString('latin1'), bytes: stringBytes(text.length, false) };
}

/**
 * A string with characters of its own. Joining a character in front makes a cons string,
 * which reading a character flattens into a new flat string (the text copied); the slice
 * after that character keeps that new string alone alive. Strings under 13 characters are
 * never slices nor cons strings in V8: they are kept as they are.
 */
function copyOf(text: string): string {
  if (text.length < 13) return text;
  const joined = `\u0000${text}`;
  joined.charCodeAt(0);
  return joined.slice(1);
}

/** What an entry keeps: the answer's scalars, its own copy of the text, the rest as JSON. */
interface Kept {
  readonly model: string;
  readonly content: string;
  readonly finishReason: CachedAnswer['finishReason'];
  readonly usage: Usage;
  readonly costUsd: number;
  /** `toolCalls` and `embeddings`, when the answer has them: parsed afresh on each hit. */
  readonly json: string | undefined;
}

/** The kept answer's object, its usage object and their slots, rounded up. */
const KEPT_BYTES = 160;

function keep(answer: CachedAnswer): { kept: Kept; bytes: number } {
  const content = stored(answer.content);
  const rest =
    answer.toolCalls !== undefined || answer.embeddings !== undefined
      ? stored(JSON.stringify({ toolCalls: answer.toolCalls, embeddings: answer.embeddings }))
      : undefined;
  const kept: Kept = {
    model: answer.model,
    content: content.text,
    finishReason: answer.finishReason,
    usage: { ...answer.usage },
    costUsd: answer.costUsd,
    json: rest?.text,
  };
  return { kept, bytes: KEPT_BYTES + content.bytes + (rest?.bytes ?? 0) };
}

/** A hit: a new answer every time, so a caller that mutates its result changes nothing kept. */
function answerOf(kept: Kept): CachedAnswer {
  const answer: CachedAnswer = {
    model: kept.model,
    content: kept.content,
    finishReason: kept.finishReason,
    usage: { ...kept.usage },
    costUsd: kept.costUsd,
  };
  if (kept.json !== undefined) {
    const { toolCalls, embeddings } = JSON.parse(kept.json) as Pick<CachedAnswer, 'toolCalls' | 'embeddings'>;
    if (toolCalls !== undefined) answer.toolCalls = toolCalls;
    if (embeddings !== undefined) answer.embeddings = embeddings;
  }
  return answer;
}

/** A digest key: SHA-256 in base64url (or hex), which Node returns as a one-byte string. */
const DIGEST = /^[A-Za-z0-9_-]*$/;
/** The longest digest key (SHA-256 in hex); a longer key is counted at 2 bytes a character without a scan. */
const DIGEST_CHARS = 64;

/**
 * What an entry holds, in bytes: its kept answer (`keptBytes`, see `keep`) and its key as
 * V8 keeps them, and its place in the LRU. An upper bound: removing the entry frees no more
 * (a key that is not a digest counts at 2 bytes a character).
 */
export function entryBytes(key: string, keptBytes: number): number {
  const digest = key.length <= DIGEST_CHARS && DIGEST.test(key);
  return keptBytes + stringBytes(key.length, !digest) + ENTRY_OVERHEAD_BYTES;
}

/**
 * An in-memory answer cache: an LRU bounded by entries and by the bytes the entries hold in
 * the heap, each entry kept for its own TTL. An answer is kept as an object with its own copy
 * of the text (see `keep`), and each hit gets a new one, so a caller that mutates a result
 * cannot change what the next hit gets. (Kept as JSON, it cost a `JSON.stringify` on every
 * miss and a `JSON.parse` on every hit: about 0.4 µs each on Node 20.)
 *
 * Memory: at most `maxBytes` held by entries (their objects, texts and keys as V8 keeps them,
 * and their map entry), plus `SLOT_BYTES` (56) per `maxEntries` allocated at creation.
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): AnswerCache {
  const now = options.now;
  // lru-cache reads a start time of 0 as "no TTL": count from 1 at creation instead.
  const origin = now?.();
  const lru = new LRUCache<string, Kept>({
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
      const kept = lru.get(key);
      return kept === undefined ? undefined : answerOf(kept);
    },
    set(key, answer, ttlMs) {
      const { kept, bytes } = keep(answer);
      lru.set(key, kept, { ttl: ttlMs, size: entryBytes(key, bytes) });
    },
    get size() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
  };
}
