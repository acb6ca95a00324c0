import { createRouter, type RouterEvents } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { applySplit, splitPoint } from '../src/strategies/split.js';
import { useEmulator } from './support/harness.js';

const emu = useEmulator();

const hello = [{ role: 'user' as const, content: 'Hello' }];
const pricing = { inputPerMTok: 1, outputPerMTok: 2 };

describe('tenant-owned models', () => {
  const router = () =>
    createRouter({
      providers: emu.providers,
      tenants: {
        acme: {
          model: 'gpt-6.1-terra',
          models: [
            // acme's fine-tune, under the catalog id: acme's calls to it reach the fine-tune
            { id: 'gpt-6.1-terra', provider: 'openai', model: 'ft:gpt-6.1-terra:acme::x1', pricing },
            { id: 'acme-support', provider: 'openai', model: 'ft:acme-support', pricing },
          ],
        },
        globex: { model: 'gpt-6.1-terra' },
      },
    });

  it('send a tenant alias to its own upstream model, priced by its own entry', async () => {
    const r = router();
    const result = await r.complete({ tenant: 'acme', messages: hello });
    expect(emu.requests[0]!.model).toBe('ft:gpt-6.1-terra:acme::x1');
    expect(result.model).toBe('gpt-6.1-terra');
    expect(result.costUsd).toBeCloseTo(
      (result.usage.inputTokens * 1 + result.usage.outputTokens * 2) / 1e6,
      12,
    );
    await r.complete({ tenant: 'acme', forceModel: 'acme-support', messages: hello });
    expect(emu.requests[1]!.model).toBe('ft:acme-support');
  });

  it('are never reachable by another tenant', async () => {
    const r = router();
    await r.complete({ tenant: 'globex', messages: hello });
    expect(emu.requests[0]!.model).toBe('gpt-6.1-terra');
    await expect(
      r.complete({ tenant: 'globex', forceModel: 'acme-support', messages: hello }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
    const decision = await r.explain({ tenant: 'globex', strategy: 'lowest_cost', messages: hello });
    expect(decision.candidates.some((c) => c.model === 'acme-support')).toBe(false);
    expect(emu.requests.map((q) => q.model)).not.toContain('ft:acme-support');
  });

  it('refuse a policy that names an unknown model or provider, at configuration', () => {
    expect(() => createRouter({ providers: emu.providers, tenants: { a: { model: 'gpt-9' } } })).toThrow(
      "tenants.a.model 'gpt-9' is not in the model catalog",
    );
    expect(() =>
      createRouter({
        providers: emu.providers,
        tenants: { a: { fallbacks: ['claude-sonnet-5-5', 'nope'] } },
      }),
    ).toThrow("tenants.a.fallbacks[1] 'nope' is not in the model catalog");
    expect(() =>
      createRouter({
        providers: emu.providers,
        tenants: { a: { credentials: { openia: { id: 'k1', apiKey: 'sk-xxxxxxxx' } } } },
      }),
    ).toThrow('tenants.a.credentials.openia names no configured provider');
    const r = createRouter({ providers: emu.providers, tenants: {} });
    expect(() => r.tenants.set('b', { models: [{ id: 'x', provider: 'vllm', pricing }] })).toThrow(
      "tenants.b.models[0].provider 'vllm' is not a configured provider",
    );
  });
});

describe('traffic split', () => {
  it('keeps each user on one model and moves about the configured share', async () => {
    const r = createRouter({
      providers: emu.providers,
      tenants: {
        acme: {
          strategy: 'lowest_cost',
          split: [
            { model: 'claude-sonnet-5-5', weight: 80 },
            { model: 'gpt-6.2-sol', weight: 20 },
          ],
        },
      },
    });
    const byUser = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const user = `u-${i}`;
      const first = (await r.explain({ tenant: 'acme', user, messages: hello })).chosen!;
      const again = (await r.explain({ tenant: 'acme', user, messages: hello })).chosen!;
      expect(again).toBe(first);
      byUser.set(user, first);
    }
    const share = [...byUser.values()].filter((m) => m === 'gpt-6.2-sol').length / byUser.size;
    expect(share).toBeGreaterThan(0.13);
    expect(share).toBeLessThan(0.27);
  });

  it('ranks the fallbacks after the pick by the strategy, and never picks an ineligible arm', async () => {
    const r = createRouter({
      providers: emu.providers,
      tenants: {
        eu: {
          strategy: 'lowest_cost',
          allowedRegions: ['eu'],
          split: [
            { model: 'gpt-6.2-sol', weight: 100 },
            { model: 'mistral-large-latest', weight: 1 },
          ],
        },
      },
    });
    const decision = await r.explain({ tenant: 'eu', user: 'u-1', messages: hello });
    expect(decision.chosen).toBe('mistral-large-latest');
    const rest = decision.candidates.slice(1).map((c) => c.estCostUsd);
    expect(rest).toEqual([...rest].sort((a, b) => a - b));
  });

  it('does not split a call that forces a model', async () => {
    const r = createRouter({
      providers: emu.providers,
      tenants: { acme: { split: [{ model: 'gpt-6.2-sol', weight: 1 }] } },
    });
    expect(
      (await r.explain({ tenant: 'acme', forceModel: 'claude-sonnet-5-5', messages: hello })).chosen,
    ).toBe('claude-sonnet-5-5');
  });

  it('draws by weight at the point given', () => {
    const candidate = (id: string) => ({
      model: { id } as never,
      inputTokens: 1,
      maxTokens: 1,
      estCostUsd: 0,
    });
    const a = candidate('a');
    const b = candidate('b');
    const ranked = [
      { candidate: a, score: 1 },
      { candidate: b, score: 0.5 },
    ];
    const arms = [
      { model: 'a', weight: 1 },
      { model: 'b', weight: 3 },
    ];
    expect(applySplit(ranked, [a, b], arms, 0.2)[0]!.candidate).toBe(a);
    expect(applySplit(ranked, [a, b], arms, 0.3)[0]!.candidate).toBe(b);
    expect(applySplit(ranked, [a, b], arms, 0.3).map((r) => r.candidate)).toEqual([b, a]);
    expect(splitPoint('t', 'u', () => 0.5)).toBe(splitPoint('t', 'u', () => 0.9));
    expect(splitPoint('t', undefined, () => 0.25)).toBe(0.25);
  });
});

describe('tenant defaults and hooks', () => {
  it("apply the tenant's default response format, and a request's own format wins", async () => {
    const r = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'gpt-6.2-sol', responseFormat: { type: 'json' } } },
    });
    await r.complete({ tenant: 'acme', messages: hello });
    await r.complete({ tenant: 'acme', responseFormat: { type: 'text' }, messages: hello });
    expect(emu.requests[0]!.body.response_format).toEqual({ type: 'json_object' });
    expect(emu.requests[1]!.body.response_format).toBeUndefined();
  });

  it('let resolveTenant decide the tenant, for the policy, the result and every event', async () => {
    const orgs: Record<string, string> = { 'u-1': 'globex' };
    const r = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' }, globex: { strategy: 'lowest_cost' } },
      resolveTenant: async (request) => (request.user ? orgs[request.user] : undefined),
    });
    const tenants: string[] = [];
    for (const name of ['request.started', 'route.decided', 'request.completed', 'audit'] as const) {
      r.on(name, ((p: RouterEvents[typeof name][0]) => tenants.push(`${name}:${p.tenant}`)) as never);
    }
    const result = await r.complete({ tenant: 'acme', user: 'u-1', messages: hello });
    expect(result.tenant).toBe('globex');
    expect(result.provider).toBe('mistral');
    expect(tenants).toEqual([
      'request.started:globex',
      'route.decided:globex',
      'request.completed:globex',
      'audit:globex',
    ]);
    expect((await r.complete({ tenant: 'acme', messages: hello })).model).toBe('claude-sonnet-5-5');
  });
});

describe('guardrail configuration', () => {
  it('refuses an output JSON Schema that cannot be used, when the policy is set', () => {
    expect(() =>
      createRouter({
        providers: emu.providers,
        tenants: { acme: { guardrails: { outputSchema: { type: 'nonsense' } } } },
      }),
    ).toThrow(/tenants\.acme\.guardrails\.outputSchema cannot be used as a JSON Schema/);
  });
});
