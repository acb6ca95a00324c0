import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CachedAnswer } from './answer.js';
import { createMemoryCache } from './memory-cache.js';

const answer = (content: string): CachedAnswer => ({
  model: 'm',
  content,
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  costUsd: 0.001,
});

describe('createMemoryCache', () => {
  it('returns a fresh copy of what was stored', () => {
    const cache = createMemoryCache();
    cache.set('k', answer('hi'), 1000);
    const got = cache.get('k')!;
    expect(got).toEqual(answer('hi'));
    got.content = 'mutated';
    expect(cache.get('k')!.content).toBe('hi');
    expect(cache.get('other')).toBeUndefined();
  });

  it('expires each entry after its own ttl, on the injected clock', () => {
    let now = 0;
    const cache = createMemoryCache({ now: () => now });
    cache.set('short', answer('a'), 100);
    cache.set('long', answer('b'), 1000);
    now = 100;
    expect(cache.get('short')).toBeDefined();
    now = 101;
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('long')).toBeDefined();
    now = 1001;
    expect(cache.get('long')).toBeUndefined();
  });

  it('is bounded by entries, evicting the least recently used', () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    cache.set('a', answer('a'), 1000);
    cache.set('b', answer('b'), 1000);
    cache.get('a');
    cache.set('c', answer('c'), 1000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('is bounded by the bytes its entries hold, and does not keep an entry larger than the bound', () => {
    const one = createMemoryCache();
    one.set(keyOf('a'), answer('é'.repeat(2_000)), 1000);
    const size = one.bytes;
    const cache = createMemoryCache({ maxBytes: size * 3 });
    for (const key of ['a', 'b', 'c']) cache.set(keyOf(key), answer('é'.repeat(2_000)), 1000);
    expect(cache.bytes).toBe(size * 3);
    cache.set(keyOf('d'), answer('é'.repeat(2_000)), 1000);
    expect(cache.get(keyOf('a'))).toBeUndefined();
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBeLessThanOrEqual(size * 3);
    cache.set(keyOf('huge'), answer('x'.repeat(size * 3)), 1000);
    expect(cache.get(keyOf('huge'))).toBeUndefined();
    expect(cache.get(keyOf('d'))).toBeDefined();
  });

  it('counts what an entry holds in the heap: its key, and 2 bytes a character once one is outside Latin-1', () => {
    const bytesOf = (content: string, key = keyOf('k')) => {
      const cache = createMemoryCache();
      cache.set(key, answer(content), 1000);
      return cache.bytes;
    };
    const ascii = 'x'.repeat(20_000);
    // One byte a character, plus the key (64 hex digits: 80 bytes) and the entry's overhead.
    expect(bytesOf(ascii)).toBeGreaterThanOrEqual(ascii.length + 80);
    expect(bytesOf(ascii)).toBeLessThan(ascii.length + 400);
    // One emoji makes the whole string two-byte: twice its UTF-8 length, which the count used to be.
    const emoji = `${ascii}😀`;
    expect(bytesOf(emoji)).toBeGreaterThanOrEqual(2 * emoji.length + 80);
    expect(Buffer.byteLength(emoji)).toBeLessThan(emoji.length + 10);
    // CJK: 2 bytes a character in the heap (3 in UTF-8: never under the heap).
    const cjk = '漢字'.repeat(10_000);
    expect(bytesOf(cjk)).toBeGreaterThanOrEqual(2 * cjk.length + 80);
    // A key that is not a digest (base64url or hex, up to 64 characters) counts at 2 bytes a
    // character, the most V8 can keep it in.
    expect(bytesOf(ascii, 'k_'.repeat(500)) - bytesOf(ascii, 'k_'.repeat(250))).toBeGreaterThanOrEqual(1_000);
    expect(bytesOf(ascii, 'k:'.repeat(20)) - bytesOf(ascii, 'k_'.repeat(20))).toBeGreaterThanOrEqual(40);
  });

  it('keeps tool calls and vectors, each hit a new copy', () => {
    const cache = createMemoryCache();
    const toolCalls = [{ id: 'c1', name: 'f', arguments: { a: [1, 2] } }];
    cache.set('k', { ...answer(''), toolCalls, embeddings: [[0.1, -2e-7]] }, 1000);
    const got = cache.get('k')!;
    expect(got.toolCalls).toEqual(toolCalls);
    expect(got.embeddings).toEqual([[0.1, -2e-7]]);
    (got.toolCalls![0]!.arguments.a as number[]).push(3);
    got.embeddings![0]![0] = 9;
    got.usage.inputTokens = 99;
    const again = cache.get('k')!;
    expect(again.toolCalls).toEqual(toolCalls);
    expect(again.embeddings).toEqual([[0.1, -2e-7]]);
    expect(again.usage.inputTokens).toBe(1);
    toolCalls[0]!.arguments.a.push(4);
    expect(cache.get('k')!.toolCalls![0]!.arguments.a).toEqual([1, 2]);
  });

  it('keeps an ASCII answer that arrived in a two-byte string at one byte a character', () => {
    const cache = createMemoryCache();
    // A slice of a string with a wide character is kept in two bytes a character by V8 (and
    // keeps its parent alive), though it is all ASCII: the cache keeps a one-byte copy.
    const wide = `€${'x'.repeat(20_000)}`.slice(1);
    cache.set(keyOf('k'), answer(wide), 1000);
    expect(cache.bytes).toBeLessThan(wide.length + 400);
    expect(cache.get(keyOf('k'))!.content).toBe(wide);
  });
});

/** A digest key (hex; the router's are base64url). */
function keyOf(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}
