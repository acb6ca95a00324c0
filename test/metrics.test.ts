import { type ChatResult, createRouter, type Router } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { LogHistogram } from '../src/observability/histogram.js';
import { createMetrics } from '../src/observability/metrics.js';
import { rejection, useEmulator, useRouters } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

const hello = [{ role: 'user' as const, content: 'Hello there' }];

function makeRouter(): Router {
  const router = createRouter({
    providers: emu.providers,
    tenants: {
      acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
      fb: { model: 'claude-sonnet-5-5', fallbacks: ['mistral-large-latest'] },
      cachey: { model: 'gpt-6.2-sol', cache: { ttlMs: 60_000 } },
    },
    retry: { retries: 0 },
  });
  routers.push(router);
  return router;
}

const codeOf = async (promise: Promise<unknown>) => (await rejection(promise)).code;

const sum = (results: ChatResult[]) => results.reduce((total, r) => total + r.costUsd, 0);

describe('createMetrics', () => {
  it('counts outcomes, error codes, fallbacks, cache hits, spend and tokens per tenant', async () => {
    const router = makeRouter();
    const metrics = createMetrics(router);
    const acme: ChatResult[] = [];
    for (let i = 0; i < 4; i++) acme.push(await router.complete({ tenant: 'acme', messages: hello }));
    const stream = router.stream({ tenant: 'acme', messages: hello });
    for await (const _ of stream);
    acme.push(await stream.result);
    emu.fail('claude-sonnet-5-5', { status: 400 });
    expect(await codeOf(router.complete({ tenant: 'acme', messages: hello }))).toBe('providers_exhausted');
    expect(await codeOf(router.complete({ tenant: 'acme', messages: hello, maxCost: 1e-12 }))).toBe(
      'no_eligible_model',
    );

    emu.fail('claude-sonnet-5-5', { status: 529 });
    const fb = [await router.complete({ tenant: 'fb', messages: hello })];
    expect(fb[0]!.model).toBe('mistral-large-latest');

    const cachey = [
      await router.complete({ tenant: 'cachey', messages: hello }),
      await router.complete({ tenant: 'cachey', messages: hello }),
      await router.complete({ tenant: 'cachey', messages: hello }),
    ];
    expect(cachey.map((r) => r.cached)).toEqual([false, true, true]);

    const a = metrics.snapshot('acme');
    expect(a).toMatchObject({
      tenant: 'acme',
      requests: 7,
      successes: 5,
      failures: 1,
      denials: 1,
      errors: { providers_exhausted: 1, no_eligible_model: 1 },
      fallbacks: 0,
      cacheHits: 0,
      cacheHitRate: 0,
    });
    expect(a.spendUsd).toBeCloseTo(sum(acme), 12);
    expect(a.inputTokens).toBe(acme.reduce((t, r) => t + r.usage.inputTokens, 0));
    expect(a.outputTokens).toBe(acme.reduce((t, r) => t + r.usage.outputTokens, 0));
    // Latency of the 6 calls that were not denied; TTFT of the one stream.
    expect(a.latencyMs.count).toBe(6);
    expect(a.ttftMs.count).toBe(1);
    expect(a.queueWaitMs).toMatchObject({ count: 6, p50: 0, p99: 0 });
    const { latencyMs: l } = a;
    expect(l.min).toBeGreaterThan(0);
    expect(l.min).toBeLessThanOrEqual(l.p50);
    expect(l.p50).toBeLessThanOrEqual(l.p95);
    expect(l.p95).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);

    const f = metrics.snapshot('fb');
    expect(f).toMatchObject({ requests: 1, successes: 1, fallbacks: 1, callsWithFallback: 1, errors: {} });
    expect(f.spendUsd).toBeCloseTo(sum(fb), 12);

    const c = metrics.snapshot('cachey');
    expect(c).toMatchObject({ requests: 3, successes: 3, cacheHits: 2 });
    expect(c.cacheHitRate).toBeCloseTo(2 / 3, 12);
    expect(c.cacheSavedUsd).toBeCloseTo(2 * cachey[0]!.costUsd, 12);
    expect(c.spendUsd).toBeCloseTo(sum(cachey), 12);
    // Cache hits used no provider tokens.
    expect(c.inputTokens).toBe(cachey[0]!.usage.inputTokens);

    const all = metrics.snapshot();
    expect(all.tenants.map((t) => t.tenant).sort()).toEqual(['acme', 'cachey', 'fb']);
    expect(all.evictedTenants).toBe(0);
    const total = all.tenants.reduce((t, m) => t + m.spendUsd, 0);
    expect(total).toBeCloseTo(sum([...acme, ...fb, ...cachey]), 12);
    metrics.close();
  });

  it("scopes a tenant's snapshot to that tenant", async () => {
    const router = makeRouter();
    const metrics = createMetrics(router);
    await router.complete({ tenant: 'acme', messages: hello });
    await router.complete({ tenant: 'cachey', messages: hello });
    const view = metrics.snapshot('cachey');
    expect(JSON.stringify(view)).not.toContain('acme');
    expect(JSON.stringify(view)).not.toContain('claude');
    expect(view).not.toHaveProperty('tenants');
    expect(view).not.toHaveProperty('evictedTenants');
    expect(view.requests).toBe(1);
    // A tenant never seen: zeroed, not another tenant's data.
    expect(metrics.snapshot('nobody')).toMatchObject({ tenant: 'nobody', requests: 0, spendUsd: 0 });
    metrics.close();
  });

  it('tracks at most maxTenants, dropping the least recently active', async () => {
    const router = makeRouter();
    const metrics = createMetrics(router, { maxTenants: 3 });
    // Unknown tenants are denied (tenant_not_found) and audited under their own id.
    for (const tenant of ['t1', 't2', 't3']) await codeOf(router.complete({ tenant, messages: hello }));
    await codeOf(router.complete({ tenant: 't1', messages: hello })); // t1 is now the most recent
    for (const tenant of ['t4', 't5']) await codeOf(router.complete({ tenant, messages: hello }));
    const all = metrics.snapshot();
    expect(all.tenants.map((t) => t.tenant).sort()).toEqual(['t1', 't4', 't5']);
    expect(all.evictedTenants).toBe(2);
    expect(metrics.snapshot('t1')).toMatchObject({
      requests: 2,
      denials: 2,
      errors: { tenant_not_found: 2 },
    });
    metrics.close();
  });

  it('reset() forgets, close() stops listening', async () => {
    const router = makeRouter();
    const metrics = createMetrics(router);
    await router.complete({ tenant: 'acme', messages: hello });
    metrics.reset();
    expect(metrics.snapshot().tenants).toEqual([]);
    await router.complete({ tenant: 'acme', messages: hello });
    metrics.close();
    await router.complete({ tenant: 'acme', messages: hello });
    expect(metrics.snapshot('acme').requests).toBe(1);
  });
});

describe('LogHistogram', () => {
  it('keeps every percentile within its relative accuracy of the exact nearest-rank value', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const h = new LogHistogram(0.02, 256);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Log-normal-ish latencies between ~5 ms and ~20 s.
      const v = Math.exp(Math.log(5) + random() * Math.log(4000));
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.02 + 1e-9);
    }
    expect(h.buckets).toBeLessThanOrEqual(256);
  });

  it('stays within maxBuckets over any range, keeping the high quantiles', () => {
    const h = new LogHistogram(0.02, 64);
    for (let i = 0; i < 10_000; i++) h.record(10 ** ((i % 12) - 3)); // 1e-3 … 1e8
    h.record(0);
    expect(h.buckets).toBeLessThanOrEqual(64);
    expect(h.count).toBe(10_001);
    expect(Math.abs(h.quantile(1) - 1e8) / 1e8).toBeLessThanOrEqual(0.02);
    expect(h.quantile(0)).toBe(0);
  });
});
