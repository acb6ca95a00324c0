import { createRouter } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../../../test/support/harness.js';
import type { CachedAnswer } from './answer.js';
import { createMemorySemanticIndex, createSemanticCacheMiddleware } from './semantic.js';

/** A toy embedder: a bag of words, hashed into 64 buckets. */
function bagOfWords(text: string): number[] {
  const v = new Array<number>(64).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 0;
    for (const c of word) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % 64]! += 1;
  }
  return v;
}

const emu = useEmulator();

const models = [
  { id: 'm', provider: 'openai', model: 'm-up', pricing: { inputPerMTok: 1, outputPerMTok: 10 } },
];

describe('createSemanticCacheMiddleware', () => {
  it('serves a near-duplicate prompt within the tenant, never across tenants or parameters', async () => {
    let n = 0;
    emu.respond('*', () => ({ text: `answer ${++n}` }));
    const embedded: string[] = [];
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: {
        a: { model: 'm', cache: { ttlMs: 60_000 } },
        b: { model: 'm', cache: { ttlMs: 60_000 } },
        off: { model: 'm' },
      },
      middleware: [
        createSemanticCacheMiddleware({
          embed: (text) => {
            embedded.push(text);
            return bagOfWords(text);
          },
          threshold: 0.9,
        }),
      ],
    });
    const hits: string[] = [];
    router.on('cache.hit', (e) => hits.push(e.tenant));
    const ask = (tenant: string, content: string, temperature?: number) =>
      router.complete({
        tenant,
        messages: [{ role: 'user', content }],
        ...(temperature !== undefined && { temperature }),
      });

    const first = await ask('a', 'What is the capital of France?');
    expect(first.cached).toBe(false);
    const calls = emu.hits();
    const near = await ask('a', 'what is the capital of france');
    expect(near).toMatchObject({ cached: true, costUsd: 0, text: first.text });
    expect(emu.hits()).toBe(calls);
    expect(hits).toEqual(['a']);

    // Another tenant, other parameters, another question, a tenant without a cache: misses.
    const other = await ask('b', 'what is the capital of france');
    expect(other.cached).toBe(false);
    expect(other.text).not.toBe(first.text);
    expect((await ask('a', 'what is the capital of france', 0.5)).cached).toBe(false);
    expect((await ask('a', 'How do I bake sourdough bread?')).cached).toBe(false);
    const count = embedded.length;
    expect((await ask('off', 'What is the capital of France?')).cached).toBe(false);
    expect(embedded).toHaveLength(count); // not even embedded

    // b now has its own entry, and gets its own answer back.
    expect(await ask('b', 'What is the capital of France')).toMatchObject({ cached: true, text: other.text });

    // An exact repeat is answered by the exact-match cache first: no embedding at all.
    const before = embedded.length;
    expect((await ask('a', 'What is the capital of France?')).cached).toBe(true);
    expect(embedded).toHaveLength(before);
  });
});

describe('createMemorySemanticIndex', () => {
  const answer = (content: string): CachedAnswer => ({
    model: 'm',
    content,
    finishReason: 'stop',
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    costUsd: 0,
  });

  it('keeps tenants apart even for the same scope and vector, and picks the most similar entry', () => {
    const index = createMemorySemanticIndex();
    index.store('a', 's', [1, 0], answer('x'), 100, 0);
    index.store('a', 's', [0.8, 0.6], answer('y'), 100, 0);
    expect(index.lookup('b', 's', [1, 0], 0.5, 0)).toBeUndefined();
    expect(index.lookup('a', 's', [1, 0.1], 0.5, 0)!.content).toBe('x');
    expect(index.lookup('a', 's', [0.7, 0.7], 0.5, 0)!.content).toBe('y');
    expect(index.lookup('a', 'other', [1, 0], 0.5, 0)).toBeUndefined();
    expect(index.lookup('a', 's', [0, 1], 0.9, 0)).toBeUndefined();
  });

  it('expires entries and keeps at most maxEntriesPerTenant, dropping the oldest', () => {
    const index = createMemorySemanticIndex({ maxEntriesPerTenant: 2 });
    index.store('a', 's', [1, 0, 0], answer('1'), 50, 0);
    index.store('a', 's', [0, 1, 0], answer('2'), 1000, 0);
    expect(index.lookup('a', 's', [1, 0, 0], 0.99, 49)!.content).toBe('1');
    expect(index.lookup('a', 's', [1, 0, 0], 0.99, 50)).toBeUndefined();
    index.store('a', 's', [0, 0, 1], answer('3'), 1000, 0);
    index.store('a', 's', [1, 1, 1], answer('4'), 1000, 0);
    expect(index.lookup('a', 's', [0, 1, 0], 0.99, 0)).toBeUndefined();
    expect(index.lookup('a', 's', [0, 0, 1], 0.99, 0)!.content).toBe('3');
  });
});
