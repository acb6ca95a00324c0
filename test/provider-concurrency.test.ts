import { createRouter, type ProviderAdapter, ProviderError, type ProviderRequest } from 'routeplane';
import { describe, expect, it } from 'vitest';

/** An adapter that answers after `ms` and records how many of its requests were in flight at once. */
function countingAdapter(name: string, ms: number) {
  const stats = { inFlight: 0, peak: 0, calls: 0 };
  const adapter: ProviderAdapter = {
    name,
    type: 'openai-compatible',
    async complete(request: ProviderRequest) {
      stats.calls++;
      stats.inFlight++;
      stats.peak = Math.max(stats.peak, stats.inFlight);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          request.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error('aborted'));
          });
        });
        return {
          content: 'ok',
          finishReason: 'stop',
          usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
        };
      } finally {
        stats.inFlight--;
      }
    },
    async *stream() {
      yield {
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      };
    },
    classify: (error) => new ProviderError('timeout', String(error), { provider: name }),
  };
  return { adapter, stats };
}

const models = [{ id: 'm', provider: 'slow', pricing: { inputPerMTok: 1, outputPerMTok: 1 } }];
const ask = [{ role: 'user' as const, content: 'hi' }];

describe('per-provider concurrency caps', () => {
  it('never let more requests than the cap reach the provider at once, and every call completes', async () => {
    const { adapter, stats } = countingAdapter('slow', 10);
    const router = createRouter({
      providers: { slow: { adapter } },
      models,
      concurrency: { perProvider: { slow: 3 } },
      tenants: { t: { model: 'm' } },
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => router.complete({ tenant: 't', messages: ask })),
    );
    expect(results).toHaveLength(20);
    expect(stats.calls).toBe(20);
    expect(stats.peak).toBe(3);
  });

  it('let a call that times out while waiting leave the line without taking a place', async () => {
    const { adapter, stats } = countingAdapter('slow', 100);
    const router = createRouter({
      providers: { slow: { adapter } },
      models,
      retry: { retries: 0 },
      concurrency: { perProvider: { slow: 1 } },
      tenants: { t: { model: 'm' } },
    });
    const first = router.complete({ tenant: 't', messages: ask });
    const waiting = router.complete({ tenant: 't', messages: ask, timeoutMs: 20 });
    await expect(waiting).rejects.toMatchObject({ code: 'timeout' });
    await first;
    expect(stats.calls).toBe(1);
    await router.complete({ tenant: 't', messages: ask });
    expect(stats.calls).toBe(2);
  });

  it('refuse a cap on a provider that is not configured', () => {
    const { adapter } = countingAdapter('slow', 1);
    expect(() =>
      createRouter({ providers: { slow: { adapter } }, models, concurrency: { perProvider: { fast: 1 } } }),
    ).toThrow('concurrency.perProvider.fast names no configured provider');
  });
});
