import { createMemoryStore, createRouter } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { rejection, sleep, useEmulator, useRouters, waitFor } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

const ask = [{ role: 'user' as const, content: 'x' }];
const meter = { inputPerMTok: 1, outputPerMTok: 10 };
const models = [{ id: 'meter', provider: 'openai', model: 'meter-up', quality: 0.7, pricing: meter }];
const usage = { inputTokens: 10, outputTokens: 80 };

/** One call's reservation on `meter` with maxTokens 100, read from explain(). */
async function estimate(): Promise<number> {
  const r = createRouter({ providers: emu.providers, models, tenants: { t: { model: 'meter' } } });
  return (await r.explain({ tenant: 't', maxTokens: 100, messages: ask })).candidates[0]!.estCostUsd;
}

describe('reservations are leases', () => {
  it('a call longer than its lease renews it: the reservation holds until the call settles', async () => {
    emu.respond('meter-up', { text: 'slow', usage });
    emu.fail('meter-up', { hangMs: 700 }); // holds the answer 700 ms
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', budget: { limitUsd: 10, period: 'day' } } },
      leaseMs: 200,
    });
    routers.push(router);
    const call = router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    await waitFor(() => emu.hits('meter-up') === 1, { what: 'the call at the provider' });
    await sleep(500); // more than two leases
    expect((await router.usage('acme')).reservedUsd).toBeCloseTo(await estimate(), 12);
    expect((await call).text).toBe('slow');
    const after = await router.usage('acme');
    expect(after.reservedUsd).toBe(0);
    expect(after.requests).toBe(1);
  });

  it('a reservation whose holder is gone lapses after its lease, and a waiting call then goes on', async () => {
    emu.respond('meter-up', { text: 'ok', usage });
    const store = createMemoryStore();
    const est = await estimate();
    const limitUsd = est * 1.5;
    const router = createRouter({
      providers: emu.providers,
      models,
      store,
      tenants: { acme: { model: 'meter', budget: { limitUsd, period: 'total' } } },
      leaseMs: 10_000,
    });
    routers.push(router);
    // A dead instance's reservation, with a 300 ms lease nobody will renew or end.
    const key = 'budget:{acme}:tenant:total';
    await store.reserve([{ key, limit: 1e15 }], Math.ceil(est * 1e9), { id: 'dead', ttlMs: 300 }, Date.now());
    const t = performance.now();
    const result = await router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    expect(result.text).toBe('ok');
    expect(performance.now() - t).toBeGreaterThanOrEqual(250);
    expect((await router.usage('acme')).reservedUsd).toBe(0);
  });

  it('a budget wait is bounded by leaseMs: then budget_exceeded, naming the wait', async () => {
    emu.respond('meter-up', { text: 'ok', usage });
    emu.fail('meter-up', { hangMs: 1_500 });
    const est = await estimate();
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', budget: { limitUsd: est * 1.5, period: 'day' } } },
      leaseMs: 300,
    });
    routers.push(router);
    const first = router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    await waitFor(() => emu.hits('meter-up') === 1, { what: 'the first call at the provider' });
    const t = performance.now();
    const error = await rejection(router.complete({ tenant: 'acme', maxTokens: 100, messages: ask }));
    const waited = performance.now() - t;
    expect(error).toMatchObject({ code: 'budget_exceeded' });
    expect(error.message).toMatch(/after waiting \d+ ms \(leaseMs\)/);
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(2_500);
    expect((await first).text).toBe('ok');
  });

  it('leaseMs is validated', () => {
    expect(() => createRouter({ providers: emu.providers, models, tenants: {}, leaseMs: 5 })).toThrow(
      /leaseMs/,
    );
  });
});
