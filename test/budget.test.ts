import { createMemoryStore, createRouter, type Router, RouterError, type Store } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { collect, useEmulator } from './support/harness.js';

const emu = useEmulator();

const ask = [{ role: 'user' as const, content: 'x' }];
const MAX_TOKENS = 100;
// $1 per million input tokens, $10 per million output: an estimate of ~ (input bound + 1000) µ$.
const meter = { inputPerMTok: 1, outputPerMTok: 10 };
const models = [
  {
    id: 'dear',
    provider: 'openai',
    model: 'dear-up',
    quality: 0.9,
    pricing: { inputPerMTok: 10, outputPerMTok: 100 },
  },
  { id: 'meter', provider: 'openai', model: 'meter-up', quality: 0.7, pricing: meter },
  {
    id: 'cheap',
    provider: 'mistral',
    model: 'cheap-up',
    quality: 0.5,
    pricing: { inputPerMTok: 0.1, outputPerMTok: 1 },
  },
];

/** The estimate the router reserves for one call on `model`, read from explain(). */
async function estimateOf(model: string): Promise<number> {
  const r = createRouter({ providers: emu.providers, models, tenants: { t: { model } } });
  const d = await r.explain({ tenant: 't', maxTokens: MAX_TOKENS, messages: ask });
  return d.candidates[0]!.estCostUsd;
}

const audits = (router: Router) => collect(router, 'audit');
const events = collect;

async function settleAll<T>(promises: Promise<T>[]) {
  return Promise.allSettled(promises);
}

describe('budgets under concurrency', () => {
  it('holds spent ≤ limit for 1,000 concurrent calls against a budget worth 50, and usage() equals the audit', async () => {
    const estimate = await estimateOf('meter');
    // Each call really costs 80% of its upper-bound estimate.
    const outputTokens = Math.floor(MAX_TOKENS * 0.8);
    const inputTokens = 10;
    const actual = (inputTokens * meter.inputPerMTok + outputTokens * meter.outputPerMTok) / 1e6;
    expect(actual).toBeLessThan(estimate);
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens, outputTokens } });
    const limitUsd = 50 * actual;
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', budget: { limitUsd, period: 'day' } } },
    });
    const records = audits(router);

    const results = await settleAll(
      Array.from({ length: 1_000 }, () =>
        router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const usage = await router.usage('acme');

    expect(usage.spentUsd).toBeLessThanOrEqual(limitUsd);
    expect(ok.length).toBeGreaterThanOrEqual(47);
    expect(ok.length).toBeLessThanOrEqual(50);
    expect(failed.every((f) => RouterError.isInstance(f.reason) && f.reason.code === 'budget_exceeded')).toBe(
      true,
    );
    expect(emu.hits('meter-up')).toBe(ok.length);
    expect(usage.requests).toBe(ok.length);
    expect(usage.reservedUsd).toBe(0);
    const audited = records.reduce((sum, r) => sum + r.costUsd, 0);
    expect(usage.spentUsd).toBeCloseTo(audited, 9);
    expect(records).toHaveLength(1_000);
  });

  it('downgrades to cheaper models that still fit instead of denying', async () => {
    const dear = await estimateOf('dear');
    for (const upstream of ['dear-up', 'meter-up', 'cheap-up']) {
      emu.respond(upstream, { text: 'ok', usage: { inputTokens: 10, outputTokens: 90 } });
    }
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: {
        acme: {
          strategy: 'max_reliability',
          allowedModels: ['dear', 'meter', 'cheap'],
          budget: { limitUsd: dear * 3, period: 'day', onExceeded: 'downgrade' },
        },
      },
    });
    const seen = events(router, 'budget.exceeded');
    const served: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await router
        .complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask })
        .catch((e: unknown) => e);
      if (RouterError.isInstance(r)) {
        expect(r.code).toBe('budget_exceeded');
        break;
      }
      served.push((r as { model: string }).model);
    }
    expect(served.slice(0, 3)).toEqual(['dear', 'dear', 'dear']);
    expect(served.slice(3)).toContain('meter');
    expect(served.at(-1)).toBe('cheap');
    expect(seen.some((e) => e.action === 'downgrade')).toBe(true);
    expect((await router.usage('acme')).spentUsd).toBeLessThanOrEqual(dear * 3);
  });

  it('makes concurrent downgraded calls respect the limit too', async () => {
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: {
        acme: {
          strategy: 'max_reliability',
          allowedModels: ['dear', 'meter', 'cheap'],
          budget: { limitUsd: 0.02, period: 'day', onExceeded: 'downgrade' },
        },
      },
    });
    await settleAll(
      Array.from({ length: 300 }, () =>
        router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask }),
      ),
    );
    const usage = await router.usage('acme');
    expect(usage.spentUsd).toBeLessThanOrEqual(0.02);
    expect(emu.hits('cheap-up')).toBeGreaterThan(0);
  });
});

describe('budget periods and thresholds', () => {
  it('rolls over at the UTC period boundary, with a controllable clock', async () => {
    let now = Date.UTC(2026, 10, 23, 23, 59, 0);
    const estimate = await estimateOf('meter');
    const router = createRouter({
      providers: emu.providers,
      models,
      clock: () => now,
      tenants: { acme: { model: 'meter', budget: { limitUsd: estimate * 2.5, period: 'day' } } },
    });
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 10, outputTokens: MAX_TOKENS } });
    const call = () => router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask });
    await call();
    await call();
    await expect(call()).rejects.toMatchObject({ code: 'budget_exceeded' });
    expect((await router.usage('acme')).period).toBe('2026-11-23');
    now = Date.UTC(2026, 10, 24, 0, 0, 1);
    await call();
    const usage = await router.usage('acme');
    expect(usage.period).toBe('2026-11-24');
    expect(usage.requests).toBe(1);
  });

  it('fires each alertAt threshold once per period', async () => {
    let now = Date.UTC(2026, 10, 23, 12);
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 0, outputTokens: 100 } }); // $0.001 a call
    const router = createRouter({
      providers: emu.providers,
      models,
      clock: () => now,
      tenants: { acme: { model: 'meter', budget: { limitUsd: 0.01, period: 'hour', alertAt: [0.5, 0.8] } } },
    });
    const seen = events(router, 'budget.threshold');
    const call = () =>
      router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask }).catch(() => undefined);
    for (let i = 0; i < 12; i++) await call();
    expect(seen.map((e) => e.threshold)).toEqual([0.5, 0.8]);
    expect(seen[0]).toMatchObject({ scope: 'tenant', period: '2026-11-23T12', limitUsd: 0.01 });
    now += 3_600_000;
    for (let i = 0; i < 6; i++) await call();
    expect(seen.map((e) => e.threshold)).toEqual([0.5, 0.8, 0.5]);
  });

  it('keeps a separate budget per user within the tenant', async () => {
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 0, outputTokens: 100 } });
    const estimate = await estimateOf('meter');
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', userBudget: { limitUsd: estimate * 1.5, period: 'month' } } },
    });
    const call = (user: string) =>
      router.complete({ tenant: 'acme', user, maxTokens: MAX_TOKENS, messages: ask });
    await call('ann');
    await expect(call('ann')).rejects.toMatchObject({
      code: 'budget_exceeded',
      message: expect.stringContaining("user 'ann'"),
    });
    await call('bob');
  });
});

describe('reservations', () => {
  it('releases the reservation of an aborted call', async () => {
    const estimate = await estimateOf('meter');
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', budget: { limitUsd: estimate * 1.5, period: 'total' } } },
    });
    emu.fail('meter-up', { hangMs: 5_000 });
    const controller = new AbortController();
    const pending = router.complete({
      tenant: 'acme',
      maxTokens: MAX_TOKENS,
      messages: ask,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 50));
    expect((await router.usage('acme')).reservedUsd).toBeGreaterThan(0);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    const usage = await router.usage('acme');
    expect(usage.reservedUsd).toBe(0);
    expect(usage.spentUsd).toBe(0);
    await router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask });
  });

  it('lets a waiting call through when an in-flight call settles below its reservation', async () => {
    const estimate = await estimateOf('meter');
    // Two calls' estimates do not fit at once; the first settles at a tenth of its estimate.
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', budget: { limitUsd: estimate * 1.5, period: 'total' } } },
    });
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 0, outputTokens: 10 } });
    const [a, b] = await settleAll([
      router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask }),
      router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask }),
    ]);
    expect([a!.status, b!.status]).toEqual(['fulfilled', 'fulfilled']);
  });

  it('re-reserves for a dearer fallback, and skips one that does not fit', async () => {
    const meterEst = await estimateOf('meter');
    const router = createRouter({
      providers: emu.providers,
      models,
      retry: { retries: 0 },
      tenants: {
        acme: {
          model: 'cheap',
          fallbacks: ['dear', 'meter'],
          budget: { limitUsd: meterEst * 1.2, period: 'total' },
        },
      },
    });
    emu.fail('cheap-up', { status: 500 });
    const result = await router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask });
    expect(result.model).toBe('meter');
    expect(emu.hits('dear-up')).toBe(0);
    expect((await router.usage('acme')).reservedUsd).toBe(0);
  });

  it('charges a stream that fails after its first part its whole reservation, and settles a full stream at its end', async () => {
    const estimate = await estimateOf('meter');
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', budget: { limitUsd: 1, period: 'total' } } },
    });
    emu.respond('meter-up', { text: 'a b c d e f', usage: { inputTokens: 0, outputTokens: 6 } });
    const full = router.stream({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask });
    for await (const _ of full) {
      // consume
    }
    const done = await full.result;
    expect((await router.usage('acme')).spentUsd).toBeCloseTo(done.costUsd, 12);

    emu.fail('meter-up', { cutAfter: 3 });
    const cut = router.stream({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask });
    await expect(
      (async () => {
        for await (const _ of cut) {
          // consume until it fails
        }
      })(),
    ).rejects.toMatchObject({ code: 'providers_exhausted' });
    const usage = await router.usage('acme');
    expect(usage.spentUsd).toBeCloseTo(done.costUsd + estimate, 6);
    expect(usage.reservedUsd).toBe(0);
  });
});

describe('bounds', () => {
  it('keeps cost and usage finite and exact at the largest accepted price and limit', async () => {
    const router = createRouter({
      providers: emu.providers,
      models: [
        {
          id: 'pricey',
          provider: 'openai',
          model: 'pricey-up',
          pricing: { inputPerMTok: 1_000_000, outputPerMTok: 1_000_000 },
        },
      ],
      tenants: { t: { model: 'pricey', budget: { limitUsd: 1_000_000_000, period: 'total' } } },
    });
    emu.respond('pricey-up', { text: 'ok', usage: { inputTokens: 10, outputTokens: 5 } });
    const result = await router.complete({ tenant: 't', messages: ask, maxTokens: 10 });
    expect(result.costUsd).toBe(15);
    const usage = await router.usage('t');
    expect(usage.spentUsd).toBe(15);
    expect(usage.reservedUsd).toBe(0);
  });
});

describe('hedged calls', () => {
  it('keep a hedge the budget cannot hold beside the first attempt as an ordinary fallback', async () => {
    const dear = await estimateOf('dear');
    const cheap = await estimateOf('meter');
    expect(dear).toBeGreaterThan(cheap);
    const make = (hedgeAfterMs?: number) =>
      createRouter({
        providers: emu.providers,
        models,
        tenants: {
          bank: {
            strategy: 'max_reliability',
            ...(hedgeAfterMs !== undefined && { hedgeAfterMs }),
            allowedModels: ['dear', 'meter'],
            retries: 0,
            attemptTimeoutMs: 150,
            // Room for one call, not for two at once.
            budget: { limitUsd: dear + cheap / 2, period: 'total' },
          },
        },
      });
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 10, outputTokens: 10 } });
    for (const hedgeAfterMs of [undefined, 30]) {
      const router = make(hedgeAfterMs);
      const records = audits(router);
      // The first candidate is slow, then fails (its attempt times out).
      emu.fail('dear-up', { hangMs: 2_000 });
      const result = await router.complete({ tenant: 'bank', maxTokens: MAX_TOKENS, messages: ask });
      expect(result.model, `hedgeAfterMs ${hedgeAfterMs}`).toBe('meter');
      expect(result.attempts.map((a) => [a.model, a.errorCode ?? 'ok'])).toEqual([
        ['dear', 'timeout'],
        ['meter', 'ok'],
      ]);
      const usage = await router.usage('bank');
      expect(usage.spentUsd).toBeCloseTo(records[0]!.costUsd!, 9);
      expect(usage.spentUsd).toBeCloseTo(result.costUsd, 9);
      expect(usage.reservedUsd).toBe(0);
    }
  });

  it("count the losing hedge's input in the cost and the budget, within the reservation", async () => {
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: {
        bank: {
          strategy: 'max_reliability',
          hedgeAfterMs: 30,
          allowedModels: ['dear', 'meter'],
          budget: { limitUsd: 1, period: 'total' },
        },
      },
    });
    const decision = await router.explain({ tenant: 'bank', maxTokens: MAX_TOKENS, messages: ask });
    expect(decision.candidates.map((c) => c.model)).toEqual(['dear', 'meter']);
    emu.fail('dear-up', { hangMs: 2_000 });
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 10, outputTokens: 10 } });
    const result = await router.complete({ tenant: 'bank', maxTokens: MAX_TOKENS, messages: ask });
    expect(result.model).toBe('meter');
    const meterCost = (10 * meter.inputPerMTok + 10 * meter.outputPerMTok) / 1e6;
    // dear's input bound at $10 per million tokens: what the cancelled request may have cost.
    const dearInput = (decision.candidates[0]!.estCostUsd - MAX_TOKENS * 100e-6) as number;
    expect(result.costUsd).toBeCloseTo(meterCost + dearInput, 9);
    // In the order they ended: the winner, then the loser it cancelled.
    expect(result.attempts.map((a) => [a.model, a.errorCode ?? 'ok'])).toEqual([
      ['meter', 'ok'],
      ['dear', 'cancelled'],
    ]);
    const usage = await router.usage('bank');
    expect(usage.spentUsd).toBeCloseTo(result.costUsd, 9);
    expect(usage.reservedUsd).toBe(0);
  });
});

describe('budget keys', () => {
  it('a tenant, user or tag id cannot carry key delimiters: one hash tag, the whole tenant id', async () => {
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } });
    const inner = createMemoryStore();
    const keys = new Set<string>();
    const store: Store = {
      ...inner,
      reserve: (lines, ...rest) => {
        for (const l of lines) keys.add(l.key);
        return inner.reserve(lines, ...rest);
      },
    };
    const spec = { limitUsd: 1, period: 'total' as const };
    const router = createRouter({
      providers: emu.providers,
      models,
      store,
      tenants: { 'a}:x{': { model: 'meter', budget: spec, userBudget: spec, tagBudgets: { 't}': spec } } },
    });
    await router.complete({
      tenant: 'a}:x{',
      user: 'u}:1',
      tags: { 't}': 'v:{' },
      maxTokens: MAX_TOKENS,
      messages: ask,
    });
    expect([...keys].sort()).toEqual([
      'budget:{a%7D%3Ax%7B}:tag:t%7D=v%3A%7B:total',
      'budget:{a%7D%3Ax%7B}:tenant:total',
      'budget:{a%7D%3Ax%7B}:user:u%7D%3A1:total',
    ]);
    expect((await router.usage('a}:x{')).requests).toBe(1);
  });
});
