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

  it('is bounded by bytes of stored JSON (UTF-8), and does not keep an entry larger than the bound', () => {
    const size = Buffer.byteLength(JSON.stringify(answer('é'.repeat(100))));
    const cache = createMemoryCache({ maxBytes: size * 3 });
    for (const key of ['a', 'b', 'c']) cache.set(key, answer('é'.repeat(100)), 1000);
    expect(cache.bytes).toBe(size * 3);
    cache.set('d', answer('é'.repeat(100)), 1000);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBeLessThanOrEqual(size * 3);
    cache.set('huge', answer('x'.repeat(size * 3)), 1000);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('d')).toBeDefined();
  });
});
