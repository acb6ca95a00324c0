import { createRouter, type ModelSpec, type RouterConfig } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { collect, rejection, useEmulator, useRouters } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

const ask = [{ role: 'user' as const, content: 'hello' }];
const pricing = { inputPerMTok: 1, outputPerMTok: 2 };
const usage = { inputTokens: 3, outputTokens: 4 };

/** Provider entries on the emulator's OpenAI wire: each its own key and region. */
function entries(spec: Record<string, { region?: string; key?: string }>): RouterConfig['providers'] {
  const out: RouterConfig['providers'] = {};
  for (const [name, { region, key }] of Object.entries(spec)) {
    out[name] = {
      type: 'openai',
      apiKey: key ?? `key-${name}`,
      baseURL: emu.providers.openai.baseURL,
      ...(region !== undefined && { region }),
    };
  }
  return out;
}

function routerWith(config: Omit<RouterConfig, 'providers'> & { providers: RouterConfig['providers'] }) {
  const router = createRouter({ retry: { retries: 1, minDelayMs: 1, maxDelayMs: 5 }, ...config });
  routers.push(router);
  return router;
}

/** Runs `n` calls, `width` at a time; returns the settled outcomes. */
async function calls<T>(n: number, width: number, call: (i: number) => Promise<T>) {
  const out: PromiseSettledResult<T>[] = [];
  for (let i = 0; i < n; i += width) {
    out.push(
      ...(await Promise.allSettled(Array.from({ length: Math.min(width, n - i) }, (_, j) => call(i + j)))),
    );
  }
  return out;
}

describe('deployments: one model, many deployments', () => {
  const gpt: ModelSpec = {
    id: 'gpt-multi',
    pricing,
    capabilities: ['tools', 'json'],
    deployments: [
      { provider: 'us', model: 'gpt-us' },
      { provider: 'eu1', model: 'gpt-eu1' },
      { provider: 'eu2', model: 'gpt-eu2', region: 'eu' },
    ],
  };
  const providers = () => entries({ us: { region: 'us' }, eu1: { region: 'eu' }, eu2: {} });

  it('an EU-only tenant never reaches a US deployment, over 1,000 calls with faults on the EU ones', async () => {
    emu.respond('*', { text: 'ok', usage });
    emu.failRandomly('gpt-eu1', {
      rate: 0.15,
      seed: 7,
      faults: [{ status: 500 }, { status: 429 }, { status: 503 }],
    });
    emu.failRandomly('gpt-eu2', { rate: 0.15, seed: 8, faults: [{ status: 500 }, { reset: true }] });
    const router = routerWith({
      providers: providers(),
      models: [gpt],
      tenants: { eu: { model: 'gpt-multi', allowedRegions: ['eu'] }, us: { model: 'gpt-multi' } },
    });
    const outcomes = await calls(1_000, 50, () => router.complete({ tenant: 'eu', messages: ask }));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    for (const o of outcomes) {
      if (o.status === 'fulfilled') expect(o.value.region).toBe('eu');
      // Both EU deployments failing (or their circuits open): the call fails, never goes to the US.
      else
        expect(['providers_exhausted', 'no_eligible_model']).toContain((o.reason as { code: string }).code);
    }
    expect(emu.hits('gpt-us')).toBe(0);
    // With two EU deployments standing in for each other, faults at 15% rarely end a call.
    console.log(
      `EU-only tenant: ${ok.length} of 1000 answered, ${emu.hits('gpt-eu1')} + ${emu.hits('gpt-eu2')} EU requests, ${emu.hits('gpt-us')} US`,
    );
    expect(ok.length).toBeGreaterThan(950);
    // The same model, unrestricted, is served by the US deployment too.
    await calls(60, 20, () => router.complete({ tenant: 'us', messages: ask }));
    expect(emu.hits('gpt-us')).toBeGreaterThan(0);
  }, 60_000);

  it('shares load by weight: two keys at 2:1 split within ±5%', async () => {
    emu.respond('*', { text: 'ok', usage });
    const router = routerWith({
      providers: entries({ a: { key: 'key-a' }, b: { key: 'key-b' } }),
      models: [
        {
          id: 'gpt-keys',
          pricing,
          deployments: [
            { provider: 'a', model: 'gpt-x', weight: 2 },
            { provider: 'b', model: 'gpt-x', weight: 1 },
          ],
        },
      ],
      tenants: { t: { model: 'gpt-keys' } },
    });
    const results = await calls(3_000, 100, () => router.complete({ tenant: 't', messages: ask }));
    const served = results.map((r) => (r.status === 'fulfilled' ? r.value.deployment : 'failed'));
    const shareA = served.filter((d) => d === 'a').length / served.length;
    expect(served.filter((d) => d === 'failed')).toHaveLength(0);
    expect(Math.abs(shareA - 2 / 3) / (2 / 3)).toBeLessThan(0.05);
    // The emulator saw each key in the same proportion.
    const keyA = emu.requests.filter((r) => r.apiKey === 'key-a').length;
    expect(keyA).toBe(served.filter((d) => d === 'a').length);
  }, 60_000);

  it('a key that answers 429 moves its share to the other key at once, until its retry-after', async () => {
    emu.respond('*', { text: 'ok', usage });
    const router = routerWith({
      providers: entries({ a: { key: 'key-a' }, b: { key: 'key-b' } }),
      models: [
        {
          id: 'gpt-keys',
          pricing,
          deployments: [
            { provider: 'a', model: 'gpt-x' },
            { provider: 'b', model: 'gpt-x' },
          ],
        },
      ],
      tenants: { t: { model: 'gpt-keys' } },
    });
    const fallbacks = collect(router, 'fallback');
    emu.fail('gpt-x', { status: 429, headers: { 'retry-after': '30' } });
    const t = performance.now();
    const first = await router.complete({ tenant: 't', messages: ask });
    // No wait for the retry-after: the other key answered at once.
    expect(performance.now() - t).toBeLessThan(1_000);
    const limitedKey = emu.requests[0]!.apiKey;
    const other = limitedKey === 'key-a' ? 'b' : 'a';
    expect(first.deployment).toBe(other);
    expect(fallbacks).toEqual([
      expect.objectContaining({
        from: 'gpt-keys',
        to: 'gpt-keys',
        reason: 'rate_limited',
        fromDeployment: other === 'a' ? 'b' : 'a',
        toDeployment: other,
      }),
    ]);
    // Every later call within the retry-after goes to the other key, first time.
    const later = await calls(50, 10, () => router.complete({ tenant: 't', messages: ask }));
    for (const r of later) expect(r.status === 'fulfilled' && r.value.deployment).toBe(other);
    expect(emu.requests.slice(2).every((r) => r.apiKey !== limitedKey)).toBe(true);
    // explain() says why the limited key is passed over.
    const decision = await router.explain({ tenant: 't', messages: ask });
    const limited = decision.candidates[0]!.deployments!.find((d) => d.provider !== other)!;
    expect(limited).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^rate limited for \d+ ms$/),
    });
  });

  it('explain() lists each deployment with its region, weight and why it is out; results and audit name the deployment', async () => {
    emu.respond('*', { text: 'ok', usage });
    const router = routerWith({
      providers: providers(),
      models: [gpt],
      tenants: { eu: { model: 'gpt-multi', allowedRegions: ['eu'] } },
    });
    const decision = await router.explain({ tenant: 'eu', messages: ask });
    expect(decision.candidates[0]!.deployments).toEqual([
      { provider: 'us', region: 'us', weight: 1, available: false, reason: 'region not in allowedRegions' },
      { provider: 'eu1', region: 'eu', weight: 1, available: true },
      { provider: 'eu2', region: 'eu', weight: 1, available: true },
    ]);
    const audits = collect(router, 'audit');
    const result = await router.complete({ tenant: 'eu', messages: ask });
    expect(['eu1', 'eu2']).toContain(result.deployment);
    expect(result).toMatchObject({ provider: result.deployment, region: 'eu', model: 'gpt-multi' });
    expect(audits[0]).toMatchObject({ deployment: result.deployment, region: 'eu' });
  });

  it('a tenant whose regions no deployment serves is denied the model, naming the regions', async () => {
    const router = routerWith({
      providers: providers(),
      models: [gpt],
      tenants: { ap: { model: 'gpt-multi', allowedRegions: ['eu'] } },
    });
    router.tenants.set('ap', { model: 'gpt-multi', allowedRegions: ['us'] });
    const d = await router.explain({ tenant: 'ap', messages: ask });
    expect(d.candidates[0]!.deployments!.map((x) => x.available)).toEqual([true, false, false]);
  });
});

describe('deployments: configuration', () => {
  it('extends a built-in model by id with deployments (no pricing needed)', async () => {
    emu.respond('*', { text: 'ok', usage });
    const router = routerWith({
      providers: { ...entries({ 'openai-eu': { region: 'eu' } }), openai: emu.providers.openai },
      models: [
        {
          id: 'gpt-6.2-sol',
          deployments: [{ provider: 'openai', region: 'us' }, { provider: 'openai-eu' }],
        },
      ],
      tenants: { eu: { model: 'gpt-6.2-sol', allowedRegions: ['eu'] } },
    });
    const d = await router.explain({ tenant: 'eu', messages: ask });
    expect(d.candidates[0]).toMatchObject({ model: 'gpt-6.2-sol', provider: 'openai-eu', region: 'eu' });
    const result = await router.complete({ tenant: 'eu', messages: ask });
    expect(result).toMatchObject({ deployment: 'openai-eu', region: 'eu' });
    // The built-in price still applies.
    expect(d.candidates[0]!.estCostUsd).toBeGreaterThan(0);
  });

  it('refuses specs that cannot be served, naming the field', () => {
    const make = (models: ModelSpec[]) => () =>
      createRouter({ providers: entries({ us: {}, eu: {} }), models, tenants: {} });
    expect(make([{ id: 'x', pricing, provider: 'us', deployments: [{ provider: 'eu' }] }])).toThrow(
      /models\[0\] gives both provider and deployments/,
    );
    expect(make([{ id: 'x', pricing, deployments: [{ provider: 'us' }, { provider: 'nope' }] }])).toThrow(
      /models\[0\]\.deployments\[1\]\.provider 'nope' is not a configured provider/,
    );
    expect(make([{ id: 'my-model', provider: 'us' }])).toThrow(
      /models\[0\]\.pricing is required: 'my-model' is not a built-in model/,
    );
    expect(make([{ id: 'x', pricing, deployments: [{ provider: 'us', weight: 0 }] }])).toThrow(
      /models\[0\]\.deployments\[0\]\.weight/,
    );
    expect(make([{ id: 'x', pricing, deployments: [] }])).toThrow(/models\[0\]\.deployments/);
  });

  it('a deployment takes its provider entry region unless it names its own', async () => {
    const router = routerWith({
      providers: entries({ us: { region: 'us' }, eu: { region: 'eu' } }),
      models: [
        {
          id: 'x',
          pricing,
          deployments: [
            { provider: 'us' },
            { provider: 'eu' },
            { provider: 'eu', model: 'x-ch', region: 'ch' },
          ],
        },
      ],
      tenants: { t: { model: 'x' } },
    });
    const d = await router.explain({ tenant: 't', messages: ask });
    expect(d.candidates[0]!.deployments!.map((x) => x.region)).toEqual(['us', 'eu', 'ch']);
    expect(await rejection(router.complete({ tenant: 'nobody', messages: ask }))).toMatchObject({
      code: 'tenant_not_found',
    });
  });
});

describe('deployments: concurrency caps', () => {
  it('a provider entry at its concurrency cap passes its share to the model’s other deployment', async () => {
    emu.respond('*', { text: 'ok', usage });
    emu.fail('gpt-a', { hangMs: 300 }, { hangMs: 300 });
    const router = routerWith({
      providers: entries({ a: {}, b: {} }),
      concurrency: { perProvider: { a: 2 } },
      models: [
        {
          id: 'm',
          pricing,
          deployments: [
            { provider: 'a', model: 'gpt-a', weight: 1_000 },
            { provider: 'b', model: 'gpt-b', weight: 1 },
          ],
        },
      ],
      tenants: { t: { model: 'm' } },
    });
    // Two slow calls fill a's cap; the next calls go to b at once instead of queueing.
    const slow = [0, 1].map(() => router.complete({ tenant: 't', messages: ask }));
    await new Promise((r) => setTimeout(r, 100));
    const t = performance.now();
    const fast = await Promise.all([0, 1, 2].map(() => router.complete({ tenant: 't', messages: ask })));
    expect(fast.map((r) => r.deployment)).toEqual(['b', 'b', 'b']);
    expect(performance.now() - t).toBeLessThan(250);
    expect((await Promise.all(slow)).map((r) => r.deployment)).toEqual(['a', 'a']);
  });
});

describe('ChatStream.served', () => {
  it('names the model, deployment and region serving a stream once its first part arrived', async () => {
    emu.respond('*', { text: 'one two', usage });
    const router = routerWith({
      providers: entries({ eu: { region: 'eu' } }),
      models: [{ id: 'm', pricing, deployments: [{ provider: 'eu', model: 'gpt-eu' }] }],
      tenants: { t: { model: 'm' } },
    });
    const stream = router.stream({ tenant: 't', messages: ask });
    expect(stream.served).toBeUndefined();
    const parts = stream[Symbol.asyncIterator]();
    await parts.next();
    expect(stream.served).toEqual({ model: 'm', deployment: 'eu', region: 'eu' });
    while (!(await parts.next()).done);
    expect((await stream.result).deployment).toBe('eu');
  });
});
