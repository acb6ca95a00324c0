import {
  createRouter,
  type ProviderAdapter,
  ProviderError,
  type Router,
  type RouterConfig,
  RouterError,
} from 'routeplane';
import { afterEach, describe, expect, it } from 'vitest';

// The answer cache's memory is bounded in bytes, whatever the answers hold: measured as heap
// growth after forced GCs (vitest runs with --expose-gc), the answers much larger in all than
// the bound. UTF-8 length, which the cache used to count, is half the heap of a mostly-ASCII
// answer with one emoji, and of an ASCII answer that V8 keeps in a two-byte string.

const gc = (globalThis as { gc?: () => void }).gc;

async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

function adapterAnswering(content: string): ProviderAdapter {
  return {
    name: 'mem',
    type: 'openai-compatible',
    complete: () =>
      Promise.resolve({
        content,
        finishReason: 'stop',
        usage: { inputTokens: 20, outputTokens: 5, totalTokens: 25 },
      }),
    async *stream() {
      yield { type: 'text', text: content };
    },
    classify: (error) => new ProviderError('server_error', String(error), { provider: 'mem' }),
  };
}

const MiB = 1024 * 1024;
const routers: Router[] = [];
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

function routerWith(content: string, cache: RouterConfig['cache']): Router {
  const router = createRouter({
    providers: { mem: { adapter: adapterAnswering(content) } },
    models: [{ id: 'mem-a', provider: 'mem', pricing: { inputPerMTok: 1, outputPerMTok: 2 } }],
    tenants: { acme: { cache: { ttlMs: 3_600_000 } }, globex: { cache: { ttlMs: 3_600_000 } } },
    cache,
  });
  routers.push(router);
  return router;
}

let n = 0;
const ask = (router: Router, tenant = 'acme') =>
  router.complete({ tenant, messages: [{ role: 'user', content: `question ${n++}` }] });

const ANSWERS = {
  'mostly ASCII with one emoji': `${'x'.repeat(12_000)}😀`,
  CJK: '漢字かな'.repeat(1_500),
  'ASCII kept by V8 in a two-byte string': `€${'x'.repeat(12_000)}`.slice(1),
};

describe.skipIf(!gc)('the answer cache is bounded in bytes', () => {
  for (const [kind, content] of Object.entries(ANSWERS)) {
    it(`holds at most cache.maxBytes of heap with ${kind} answers`, async () => {
      const maxBytes = 4 * MiB;
      const maxEntries = 10_000;
      // Warm the call path on a router of its own, so compiled code is not counted.
      const warm = routerWith(content, { maxBytes: MiB });
      for (let i = 0; i < 500; i++) await ask(warm);
      await warm.close();

      const before = await heap();
      const router = routerWith(content, { maxBytes, maxEntries });
      // About 24 MB of answers in all, six times the bound.
      for (let i = 0; i < 1_000; i++) await ask(router, i % 2 ? 'acme' : 'globex');
      const grown = (await heap()) - before;
      // The bound, the entry slots allocated up front (56 bytes each), and 512 KiB of slack
      // (the router's own state, the heap's noise).
      expect(grown).toBeLessThan(maxBytes + 56 * maxEntries + 512 * 1024);
      // And it does hold answers, up to its bound: the newest one (call 999, acme's) is a hit.
      const last = n - 1;
      const hit = await router.complete({
        tenant: 'acme',
        messages: [{ role: 'user', content: `question ${last}` }],
      });
      expect(hit.cached).toBe(true);
      expect(grown).toBeGreaterThan(maxBytes / 2);
    });
  }

  it('keeps maxEntries answers at most', async () => {
    const router = routerWith('ok', { maxEntries: 3 });
    const first = n;
    for (let i = 0; i < 5; i++) await ask(router);
    const again = (i: number) =>
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: `question ${i}` }] });
    expect((await again(first + 4)).cached).toBe(true);
    expect((await again(first + 2)).cached).toBe(true);
    expect((await again(first + 1)).cached).toBe(false);
  });
});

describe('cache options', () => {
  const configError = (cache: unknown): RouterError => {
    try {
      createRouter({ providers: { mem: { adapter: adapterAnswering('ok') } }, cache } as RouterConfig);
    } catch (error) {
      if (RouterError.isInstance(error)) return error;
      throw error;
    }
    throw new Error('expected createRouter to throw');
  };

  it('refuses bounds that are not whole, positive and in range, naming the field', () => {
    for (const [cache, field, says] of [
      [{ maxEntries: 0 }, 'cache.maxEntries', 'at least 1'],
      [{ maxEntries: 2.5 }, 'cache.maxEntries', 'whole number'],
      [{ maxEntries: 2_000_000 }, 'cache.maxEntries', 'at most 1,000,000'],
      [{ maxBytes: 100 }, 'cache.maxBytes', 'at least 1024'],
      [{ maxBytes: Number.POSITIVE_INFINITY }, 'cache.maxBytes', ''],
      [{ maxBytes: '64MB' }, 'cache.maxBytes', ''],
      [{ ttlMs: 1000 }, 'cache', 'ttlMs'],
    ] as const) {
      const error = configError(cache);
      expect(error.code).toBe('invalid_config');
      expect(error.message).toContain(field);
      expect(error.message).toContain(says);
    }
  });
});
