import Anthropic from '@anthropic-ai/sdk';
import { Mistral } from '@mistralai/mistralai';
import OpenAI from 'openai';
import { type AuditRecord, createMetrics, createRouter, type Router, RouterError } from 'routeplane';
import { createEmulator } from 'routeplane/testing';
import { describe, expect, it } from 'vitest';
import { recordEvents, rejection, useEmulator, waitFor } from './support/harness.js';

const emu = useEmulator();

const hello = [{ role: 'user' as const, content: 'Hello there' }];

function seedRouter(extra: Partial<Parameters<typeof createRouter>[0]> = {}): Router {
  return createRouter({
    providers: emu.providers,
    tenants: {
      acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
      globex: { strategy: 'lowest_cost' },
      initech: { strategy: 'balanced', maxCostPerRequest: 0.02 },
      eu: { allowedRegions: ['eu'], roles: { viewer: { allowedModels: ['mistral-small-latest'] } } },
    },
    ...extra,
  });
}

describe('createRouter', () => {
  it('routes each tenant by its own policy, across the three providers', async () => {
    const router = seedRouter();
    const acme = await router.complete({ tenant: 'acme', messages: hello });
    const globex = await router.complete({ tenant: 'globex', messages: hello });
    const initech = await router.complete({ tenant: 'initech', messages: hello });
    expect([acme.provider, globex.provider, initech.provider].sort()).toEqual([
      'anthropic',
      'mistral',
      'openai',
    ]);
    expect(acme.model).toBe('claude-sonnet-5-5');
    expect(emu.requests.map((r) => r.provider)).toEqual(['anthropic', 'mistral', 'openai']);
    await router.close();
  });

  it('returns a complete result: text, message, usage, cost, attempts', async () => {
    const router = seedRouter();
    emu.respond('claude-sonnet-5-5', {
      text: 'Hi from Claude',
      usage: { inputTokens: 1000, outputTokens: 100 },
    });
    const result = await router.complete({ tenant: 'acme', messages: hello });
    expect(result).toMatchObject({
      tenant: 'acme',
      text: 'Hi from Claude',
      message: { role: 'assistant', content: 'Hi from Claude' },
      finishReason: 'stop',
      model: 'claude-sonnet-5-5',
      provider: 'anthropic',
      region: 'us',
      usage: { inputTokens: 1000, outputTokens: 100, totalTokens: 1100 },
      cached: false,
      attempts: [{ model: 'claude-sonnet-5-5', provider: 'anthropic', ok: true }],
    });
    // $2 / MTok in, $10 / MTok out
    expect(result.costUsd).toBeCloseTo(1000 * 2e-6 + 100 * 10e-6, 12);
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.latencyMs).toBeGreaterThan(0);
  });

  it('lets a call override the strategy, force a model and cap the cost', async () => {
    const router = seedRouter();
    expect(
      (await router.complete({ tenant: 'acme', forceModel: 'gpt-6.2-sol', messages: hello })).model,
    ).toBe('gpt-6.2-sol');
    const cheap = await router.complete({ tenant: 'acme', strategy: 'lowest_cost', messages: hello });
    expect(cheap.model).toBe('ministral-8b-latest');
    const decision = await router.explain({ tenant: 'initech', maxCost: 0.001, messages: hello });
    expect(decision.candidates.every((c) => c.estCostUsd <= 0.001)).toBe(true);
    expect(decision.excluded.some((e) => e.reason.includes('above the cap of $0.001'))).toBe(true);
  });

  it('sends max_tokens within the model limit and the request maxTokens as given', async () => {
    const router = seedRouter({ defaultMaxTokens: 777 });
    await router.complete({ tenant: 'acme', messages: hello });
    await router.complete({ tenant: 'acme', maxTokens: 55, messages: hello });
    expect(emu.requests.map((r) => r.body.max_tokens)).toEqual([777, 55]);
  });

  it('explains the decision without calling a provider', async () => {
    const router = seedRouter();
    const decision = await router.explain({ tenant: 'eu', messages: hello });
    expect(emu.hits()).toBe(0);
    expect(decision.strategy).toBe('balanced');
    expect(decision.candidates.every((c) => c.region === 'eu')).toBe(true);
    expect(decision.chosen).toBe(decision.candidates[0]?.model);
    expect(decision.excluded).toContainEqual({
      model: 'gpt-6.2-sol',
      reason: "region 'us' is not in allowedRegions (eu)",
    });
  });

  it('narrows by role, and a role the policy does not name adds no restriction', async () => {
    const router = seedRouter();
    const viewer = await router.explain({ tenant: 'eu', role: 'viewer', messages: hello });
    expect(viewer.candidates.map((c) => c.model)).toEqual(['mistral-small-latest']);
    const other = await router.explain({ tenant: 'eu', role: 'admin', messages: hello });
    expect(other.candidates.length).toBeGreaterThan(1);
  });

  it('keeps models without a needed capability out, with the reason', async () => {
    const router = seedRouter();
    const decision = await router.explain({
      tenant: 'eu',
      messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.com/a.png' }] }],
    });
    expect(decision.excluded).toContainEqual({
      model: 'codestral-latest',
      reason: 'does not support vision',
    });
    expect(decision.candidates.some((c) => c.model === 'codestral-latest')).toBe(false);
  });
});

describe('errors', () => {
  it('rejects an invalid config with invalid_config naming the path', () => {
    expect(() => createRouter({ providers: {} })).toThrow(/providers: configure at least one provider/);
    const error = (() => {
      try {
        createRouter({ providers: emu.providers, tenants: { t: { minQuality: 3 } } });
      } catch (e) {
        return e as RouterError;
      }
    })();
    expect(error?.code).toBe('invalid_config');
    expect(error?.message).toContain('tenants.t.minQuality');
    expect(() => createRouter({ providers: { vllm: { baseURL: 'http://127.0.0.1:1/v1' } } })).toThrow(
      /providers\.vllm\.type is required/,
    );
    expect(() =>
      createRouter({
        providers: emu.providers,
        models: [{ id: 'x', provider: 'nope', pricing: { inputPerMTok: 0, outputPerMTok: 0 } }],
      }),
    ).toThrow(/models\[0\]\.provider 'nope' is not a configured provider/);
  });

  it('rejects an invalid request with invalid_request naming the field, and audits it', async () => {
    const router = seedRouter();
    const events = recordEvents(router);
    const error = await rejection(router.complete({ tenant: 'acme', messages: [] }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('messages: needs at least one message');
    const typed = await rejection(
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 42 }] } as never),
    );
    expect(typed.message).toContain('messages[0]');
    expect(events.audit?.map((a) => [a.outcome, a.errorCode])).toEqual([
      ['denied', 'invalid_request'],
      ['denied', 'invalid_request'],
    ]);
  });

  it('rejects an unknown tenant with tenant_not_found, unless a default tenant is set', async () => {
    const router = seedRouter();
    expect((await rejection(router.complete({ tenant: 'nobody', messages: hello }))).code).toBe(
      'tenant_not_found',
    );
    const withDefault = seedRouter({ defaultTenant: 'globex' });
    const result = await withDefault.complete({ tenant: 'nobody', messages: hello });
    expect(result.tenant).toBe('nobody');
    expect(result.model).toBe('ministral-8b-latest');
  });

  it('denies a forced model the policy forbids, and never swaps it silently', async () => {
    const router = seedRouter();
    const error = await rejection(
      router.complete({ tenant: 'eu', forceModel: 'gpt-6.2-sol', messages: hello }),
    );
    expect(error.code).toBe('policy_denied');
    expect(error.message).toBe(
      "tenant 'eu' may not use model 'gpt-6.2-sol': region 'us' is not in allowedRegions (eu)",
    );
    const byRole = await rejection(
      router.complete({ tenant: 'eu', role: 'viewer', forceModel: 'mistral-large-latest', messages: hello }),
    );
    expect(byRole.message).toContain("role 'viewer' allows only: mistral-small-latest");
    expect(emu.hits()).toBe(0);
  });

  it('refuses a call that forces a model under another strategy, instead of ignoring one of them', async () => {
    const router = seedRouter();
    const error = await rejection(
      router.complete({
        tenant: 'acme',
        forceModel: 'gpt-6.2-sol',
        strategy: 'lowest_cost',
        messages: hello,
      }),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain("goes with strategy 'force_model'");
  });

  it('lists every model the forced chain leaves out, with the reason', async () => {
    const decision = await seedRouter().explain({ tenant: 'acme', messages: hello });
    expect(decision.candidates.map((c) => c.model)).toEqual(['claude-sonnet-5-5']);
    expect(decision.excluded).toContainEqual({
      model: 'gpt-6.2-sol',
      reason: 'not the forced model or one of its fallbacks',
    });
  });

  it('fails with no_eligible_model when the cap leaves nothing', async () => {
    const router = seedRouter();
    const error = await rejection(router.complete({ tenant: 'globex', maxCost: 0.0000001, messages: hello }));
    expect(error.code).toBe('no_eligible_model');
    expect(error.message).toMatch(/above the cap/);
    // The error carries every exclusion; explain() returns the same decision, with no choice.
    const decision = await router.explain({ tenant: 'globex', maxCost: 0.0000001, messages: hello });
    expect(decision.chosen).toBeUndefined();
    expect(decision.candidates).toEqual([]);
    expect(error.excluded).toEqual(decision.excluded);
    expect(error.excluded?.length).toBeGreaterThan(5);
  });

  it("makes the README's explain example's choice", async () => {
    const router = seedRouter({ defaultMaxTokens: 1024 });
    const decision = await router.explain({
      tenant: 'initech',
      messages: [{ role: 'user', content: 'Summarize this contract in three bullets.' }],
    });
    expect(decision).toMatchObject({ tenant: 'initech', strategy: 'balanced', chosen: 'gpt-6.2-sol' });
    expect(decision.candidates[0]).toMatchObject({
      model: 'gpt-6.2-sol',
      provider: 'openai',
      estCostUsd: 0.010346,
    });
    // The built-in embedding models are out of every chat call (access, in id order), then cost.
    const embedding = 'an embedding model: use router.embed()';
    expect(decision.excluded).toEqual([
      { model: 'gemini-embedding-001', reason: embedding },
      { model: 'mistral-embed', reason: embedding },
      { model: 'text-embedding-3-large', reason: embedding },
      { model: 'text-embedding-3-small', reason: embedding },
      { model: 'claude-opus-5-5', reason: 'estimated cost $0.020692 is above the cap of $0.02' },
      { model: 'gpt-6.2-astra', reason: 'estimated cost $0.041384 is above the cap of $0.02' },
    ]);
  });

  it('fails with providers_exhausted carrying the attempt and the classified cause, after one upstream hit', async () => {
    const router = seedRouter({ retry: { retries: 0 } });
    const events = recordEvents(router);
    emu.fail('claude-sonnet-5-5', { status: 529 });
    const error = await rejection(router.complete({ tenant: 'acme', messages: hello }));
    expect(error.code).toBe('providers_exhausted');
    expect(error.attempts).toEqual([
      expect.objectContaining({
        model: 'claude-sonnet-5-5',
        ok: false,
        errorCode: 'overloaded',
        status: 529,
      }),
    ]);
    expect(error.cause).toMatchObject({ name: 'ProviderError', code: 'overloaded', status: 529 });
    expect(error.retryable).toBe(true);
    expect(emu.hits()).toBe(1);
    expect(events['attempt.failed']).toHaveLength(1);
    expect(events.audit).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        errorCode: 'providers_exhausted',
        model: 'claude-sonnet-5-5',
      }),
    ]);
  });

  it('ends an aborted call with aborted and closes the upstream connection', async () => {
    const router = seedRouter();
    emu.fail('claude-sonnet-5-5', { hangMs: 5_000 });
    const controller = new AbortController();
    const pending = router.complete({ tenant: 'acme', messages: hello, signal: controller.signal });
    await waitFor(() => emu.hits() === 1);
    controller.abort();
    expect((await rejection(pending)).code).toBe('aborted');
    await waitFor(() => emu.requests[0]!.clientClosed);
  });

  it('ends a call past its deadline with timeout', async () => {
    const router = seedRouter();
    emu.fail('claude-sonnet-5-5', { hangMs: 5_000 });
    const error = await rejection(router.complete({ tenant: 'acme', messages: hello, timeoutMs: 50 }));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('50 ms');
  });

  it('refuses calls after close()', async () => {
    const router = seedRouter();
    await router.close();
    expect((await rejection(router.complete({ tenant: 'acme', messages: hello }))).code).toBe('aborted');
  });
});

describe('streaming', () => {
  it('streams text parts and resolves the result with usage and time to first token', async () => {
    const router = seedRouter();
    emu.respond('claude-sonnet-5-5', {
      text: 'one two three four',
      usage: { inputTokens: 10, outputTokens: 4 },
    });
    const stream = router.stream({ tenant: 'acme', messages: hello });
    const texts: string[] = [];
    let finish: unknown;
    for await (const part of stream) {
      if (part.type === 'text') texts.push(part.text);
      if (part.type === 'finish') finish = part;
    }
    const result = await stream.result;
    expect(texts.join('')).toBe('one two three four');
    expect(texts.length).toBe(4);
    expect(finish).toMatchObject({ finishReason: 'stop', usage: { inputTokens: 10, outputTokens: 4 } });
    expect(result).toMatchObject({ id: stream.id, text: 'one two three four', model: 'claude-sonnet-5-5' });
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.ttftMs).toBeGreaterThan(0);
    expect(result.ttftMs!).toBeLessThanOrEqual(result.latencyMs);
  });

  it('streams tool calls, and the result message can be sent back as the next assistant message', async () => {
    const router = seedRouter();
    emu.respond(
      'gpt-6.2-sol',
      { toolCalls: [{ id: 'c1', name: 'lookup', arguments: { q: 'x' } }] },
      { text: 'done' },
    );
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }];
    const stream = router.stream({ tenant: 'globex', forceModel: 'gpt-6.2-sol', tools, messages: hello });
    const parts = [];
    for await (const part of stream) parts.push(part.type);
    const first = await stream.result;
    expect(parts).toEqual(['tool-call', 'finish']);
    expect(first.message).toEqual({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'c1', name: 'lookup', arguments: { q: 'x' } }],
    });
    const second = await router.complete({
      tenant: 'globex',
      forceModel: 'gpt-6.2-sol',
      tools,
      messages: [...hello, first.message, { role: 'tool', toolCallId: 'c1', content: '{"hit":true}' }],
    });
    expect(second.text).toBe('done');
  });

  it('ends the stream with an error part and a RouterError when the provider fails', async () => {
    const router = seedRouter({ retry: { retries: 0 } });
    const events = recordEvents(router);
    emu.fail('claude-sonnet-5-5', { status: 500 });
    const stream = router.stream({ tenant: 'acme', messages: hello });
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const part of stream) seen.push(part.type);
      })(),
    );
    expect(error.code).toBe('providers_exhausted');
    expect(seen).toEqual(['error']);
    expect((await rejection(stream.result)).code).toBe('providers_exhausted');
    expect(events.audit).toEqual([expect.objectContaining({ outcome: 'failed', stream: true })]);
  });

  it('fails after the first token without switching models: error part, failed audit', async () => {
    const router = seedRouter();
    const events = recordEvents(router);
    emu.respond('claude-sonnet-5-5', { text: 'a b c d e f g h' });
    emu.fail('claude-sonnet-5-5', { cutAfter: 4 });
    const stream = router.stream({ tenant: 'acme', messages: hello });
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const part of stream) seen.push(part.type);
      })(),
    );
    expect(error.code).toBe('providers_exhausted');
    expect(seen[0]).toBe('text');
    expect(seen.at(-1)).toBe('error');
    expect(emu.hits()).toBe(1);
    expect(events.audit?.[0]).toMatchObject({ outcome: 'failed', errorCode: 'providers_exhausted' });
  });

  it('rejects the result of a stream whose request is invalid, and iteration throws', async () => {
    const router = seedRouter();
    const stream = router.stream({ tenant: 'acme', messages: [] });
    expect((await rejection(stream.result)).code).toBe('invalid_request');
    await expect(
      (async () => {
        for await (const _ of stream) {
          // nothing arrives
        }
      })(),
    ).rejects.toThrow(/needs at least one message/);
  });

  it('refuses a second iteration of a stream with invalid_request, and leaves the first whole', async () => {
    const router = seedRouter();
    emu.respond('claude-sonnet-5-5', { text: 'one two three' });
    const stream = router.stream({ tenant: 'acme', messages: hello });
    const texts: string[] = [];
    for await (const part of stream) if (part.type === 'text') texts.push(part.text);
    let second: unknown;
    try {
      for await (const _ of stream) {
        // never reached
      }
    } catch (error) {
      second = error;
    }
    expect(RouterError.isInstance(second)).toBe(true);
    expect(second).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('iterated once'),
    });
    expect(texts.join('')).toBe('one two three');
    expect((await stream.result).text).toBe('one two three');
  });

  it('cancels the upstream request when the consumer stops early', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
    });
    const slow = await createEmulator({ perTokenMs: 20 });
    const slowRouter = createRouter({
      providers: slow.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
    });
    slow.respond('claude-sonnet-5-5', { text: Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ') });
    const stream = slowRouter.stream({ tenant: 'acme', messages: hello });
    for await (const part of stream) if (part.type === 'text') break;
    expect((await rejection(stream.result)).code).toBe('aborted');
    await waitFor(() => slow.requests[0]!.clientClosed);
    await Promise.all([router.close(), slowRouter.close(), slow.close()]);
  });
});

describe('events', () => {
  it('emits started, decided, completed and exactly one audit record per call', async () => {
    const router = seedRouter();
    const events = recordEvents(router);
    await router.complete({
      tenant: 'globex',
      user: 'u-1',
      role: 'analyst',
      tags: { feature: 'chat' },
      messages: hello,
    });
    await rejection(router.complete({ tenant: 'eu', forceModel: 'gpt-6.2-sol', messages: hello }));
    expect(events['request.started']).toHaveLength(2);
    expect(events['route.decided']?.[0]).toMatchObject({ tenant: 'globex', strategy: 'lowest_cost' });
    expect(events['route.decided']?.[0]?.candidates[0]).toMatchObject({
      model: 'ministral-8b-latest',
      provider: 'mistral',
    });
    expect(events['request.completed']).toHaveLength(1);
    expect(events['policy.denied']).toEqual([
      expect.objectContaining({ tenant: 'eu', code: 'policy_denied' }),
    ]);
    const [success, denied] = events.audit as AuditRecord[];
    expect(events.audit).toHaveLength(2);
    expect(success).toMatchObject({
      tenant: 'globex',
      user: 'u-1',
      role: 'analyst',
      tags: { feature: 'chat' },
      outcome: 'success',
      strategy: 'lowest_cost',
      model: 'ministral-8b-latest',
      provider: 'mistral',
      region: 'eu',
      cached: false,
      fallbacks: [],
    });
    expect(success!.costUsd).toBeGreaterThan(0);
    expect(success!.requestId).toBe(events['request.started']?.[0]?.requestId);
    expect(denied).toMatchObject({ tenant: 'eu', outcome: 'denied', errorCode: 'policy_denied', costUsd: 0 });
  });

  it('records the credential id, never the key, and no key reaches any event or error', async () => {
    const secret = 'sk-ant-tenant-secret-0123456789abcdef';
    const router = seedRouter({
      tenants: {
        acme: {
          model: 'claude-sonnet-5-5',
          credentials: { anthropic: { id: 'acme-anthropic-1', apiKey: secret } },
        },
      },
    });
    const payloads: unknown[] = [];
    for (const name of [
      'request.started',
      'route.decided',
      'request.completed',
      'request.failed',
      'audit',
    ] as const) {
      router.on(name, (p: unknown) => payloads.push(p));
    }
    await router.complete({ tenant: 'acme', messages: hello });
    expect(emu.requests[0]!.apiKey).toBe(secret);
    emu.fail('claude-sonnet-5-5', {
      status: 401,
      body: {
        type: 'error',
        error: { type: 'authentication_error', message: `invalid x-api-key: ${secret}` },
      },
    });
    const error = await rejection(router.complete({ tenant: 'acme', messages: hello }));
    expect(error.attempts?.[0]?.errorCode).toBe('auth');
    const audit = payloads.find((p) => (p as AuditRecord).outcome === 'success') as AuditRecord;
    expect(audit.credentialId).toBe('acme-anthropic-1');
    const everything = JSON.stringify(payloads) + error.message + String((error.cause as Error).message);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('tenant-secret');
  });

  it('builds no payload when nobody listens, and a throwing listener does not fail the call', async () => {
    const router = seedRouter();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    router.on('audit', () => {
      throw new Error('sink down');
    });
    const result = await router.complete({ tenant: 'globex', messages: hello });
    expect(result.text).toContain('Emulated answer');
    await new Promise((r) => setTimeout(r, 10));
    process.off('warning', onWarning);
    expect(warnings.some((w) => w.includes("'audit' listener threw: Error: sink down"))).toBe(true);
  });
});

describe('tenants and middleware', () => {
  it('replaces a tenant policy at run time, validated, without a restart', async () => {
    const router = seedRouter();
    router.tenants.set('acme', { strategy: 'lowest_cost' });
    expect((await router.complete({ tenant: 'acme', messages: hello })).model).toBe('ministral-8b-latest');
    expect(await router.tenants.get('acme')).toEqual({ strategy: 'lowest_cost' });
    expect(() => router.tenants.set('acme', { strategy: 'fastest' } as never)).toThrow(
      /tenants\.acme\.strategy/,
    );
    router.tenants.delete('acme');
    expect((await rejection(router.complete({ tenant: 'acme', messages: hello }))).code).toBe(
      'tenant_not_found',
    );
  });

  it('merges defaults, tier and tenant, in that order', async () => {
    const router = createRouter({
      providers: emu.providers,
      defaults: { strategy: 'lowest_cost', allowedRegions: ['us', 'eu'] },
      tiers: { enterprise: { strategy: 'max_reliability' } },
      tenants: { big: { tier: 'enterprise', allowedRegions: ['us'] }, small: {} },
    });
    const big = await router.explain({ tenant: 'big', messages: hello });
    expect(big.strategy).toBe('max_reliability');
    expect(big.candidates.every((c) => c.region === 'us')).toBe(true);
    expect((await router.explain({ tenant: 'small', messages: hello })).strategy).toBe('lowest_cost');
  });

  it('loads tenants from an async source', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: {
        get: async (id: string) => (id === 'remote' ? { strategy: 'lowest_cost' as const } : undefined),
      },
    });
    expect((await router.complete({ tenant: 'remote', messages: hello })).model).toBe('ministral-8b-latest');
    expect((await rejection(router.complete({ tenant: 'other', messages: hello }))).code).toBe(
      'tenant_not_found',
    );
  });

  it('runs custom middleware at its named point of the pipeline', async () => {
    const order: string[] = [];
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
      middleware: [
        async (ctx, next) => {
          order.push(`before-execute:${ctx.decision?.chosen}`);
          await next();
          order.push(`after-execute:${ctx.response?.content.length ? 'answered' : 'empty'}`);
        },
        {
          after: 'tenant',
          handle: (ctx, next) => {
            order.push(`after-tenant:${ctx.policy?.strategy}`);
            ctx.messages = [{ role: 'system', content: 'Be brief.' }, ...ctx.messages];
            return next();
          },
        },
      ],
    });
    await router.complete({ tenant: 'acme', messages: hello });
    expect(order).toEqual([
      'after-tenant:force_model',
      'before-execute:claude-sonnet-5-5',
      'after-execute:answered',
    ]);
    expect(emu.requests[0]!.body.system).toBe('Be brief.');
  });
});

describe('misbehaving middleware and hooks', () => {
  it('fails with a coded error naming the middleware that returned without await next(), and audits it', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
      middleware: [
        {
          name: 'forgetful',
          after: 'tenant',
          handle: (_ctx, next) => {
            void next(); // called, never awaited: the pipeline returns before the answer
          },
        },
      ],
    });
    const events = recordEvents(router);
    const error = await rejection(router.complete({ tenant: 'acme', messages: hello }));
    expect(error.code).toBe('internal');
    expect(error.message).toBe(
      'the pipeline ended without an answer: a custom middleware probably called `next()` without awaiting it (middleware[0] (forgetful))',
    );
    expect(events.audit).toEqual([expect.objectContaining({ outcome: 'failed', errorCode: 'internal' })]);
    expect(events['request.failed']?.[0]?.code).toBe('internal');
  });

  it('does the same for a stream and for explain()', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
      middleware: [{ before: 'strategy', handle: async () => {} }],
    });
    await expect(router.complete({ tenant: 'acme', messages: hello })).rejects.toMatchObject({
      code: 'internal',
      message: 'the pipeline ended without an answer: middleware[0] returned without calling `await next()`',
    });
    const stream = router.stream({ tenant: 'acme', messages: hello });
    await expect(stream.result).rejects.toMatchObject({ code: 'internal' });
    await expect(router.explain({ tenant: 'acme', messages: hello })).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('without a route decision'),
    });
  });

  it('wraps anything but a RouterError thrown by host code as internal, with the original as cause', async () => {
    const boom = new TypeError("Cannot read properties of undefined (reading 'id')");
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
      middleware: [
        async () => {
          throw boom;
        },
      ],
    });
    const audits: AuditRecord[] = [];
    router.on('audit', (record) => audits.push(record));
    const error = await rejection(router.complete({ tenant: 'acme', messages: hello }));
    expect(error).toMatchObject({ code: 'internal', cause: boom });
    expect(error.message).toContain("TypeError: Cannot read properties of undefined (reading 'id')");
    expect(audits.map((a) => a.errorCode)).toEqual(['internal']);
  });

  it('lets a RouterError thrown by a middleware through as it is', async () => {
    const denied = new RouterError('policy_denied', 'not on Sundays');
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
      middleware: [
        async () => {
          throw denied;
        },
      ],
    });
    await expect(router.complete({ tenant: 'acme', messages: hello })).rejects.toBe(denied);
  });
});

describe('money', () => {
  it('reports costs exact to the nano-dollar in the result, the audit, usage() and the metrics', async () => {
    const router = seedRouter();
    const metrics = createMetrics(router);
    const audits: AuditRecord[] = [];
    router.on('audit', (record) => audits.push(record));
    emu.respond('claude-sonnet-5-5', { text: 'ok', usage: { inputTokens: 6, outputTokens: 6 } });
    // $2 and $10 per million: 6 × 0.000002 + 6 × 0.00001, which floats make 0.00007200000000000002.
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await router.complete({ tenant: 'acme', messages: hello }));
    expect(results.map((r) => r.costUsd)).toEqual([0.000072, 0.000072, 0.000072]);
    expect(audits.map((a) => a.costUsd)).toEqual([0.000072, 0.000072, 0.000072]);
    expect((await router.usage('acme')).spentUsd).toBe(0.000216);
    expect(metrics.snapshot('acme')?.spendUsd).toBe(0.000216);
  });
});

describe('books that agree', () => {
  it('charges a stream stopped early its reservation, in the budget and in the audit alike', async () => {
    const slow = await createEmulator({ perTokenMs: 5 });
    const router = createRouter({
      providers: slow.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5', budget: { limitUsd: 10, period: 'day' } } },
    });
    const audits: AuditRecord[] = [];
    router.on('audit', (record) => audits.push(record));
    slow.respond('claude-sonnet-5-5', { text: Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ') });
    const stream = router.stream({ tenant: 'acme', messages: hello });
    for await (const part of stream) if (part.type === 'text') break;
    expect((await rejection(stream.result)).code).toBe('aborted');
    const { spentUsd } = await router.usage('acme');
    expect(spentUsd).toBeGreaterThan(0);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ outcome: 'failed', errorCode: 'aborted', costUsd: spentUsd });
    await router.close();
    await slow.close();
  });

  it.each([
    ['gpt-6.2-sol', 'complete'],
    ['gpt-6.2-sol', 'stream'],
    ['claude-sonnet-5-5', 'complete'],
    ['claude-sonnet-5-5', 'stream'],
    ['mistral-small-latest', 'stream'],
  ] as const)(
    'charges %s (%s) answered without usage its reservation, never nothing, and says so',
    async (model, mode) => {
      const router = createRouter({
        providers: emu.providers,
        tenants: { acme: { model, budget: { limitUsd: 10, period: 'day' } } },
      });
      const audits: AuditRecord[] = [];
      router.on('audit', (record) => audits.push(record));
      emu.fail(model, { noUsage: true });
      const request = { tenant: 'acme', messages: hello, maxTokens: 100 };
      const result =
        mode === 'complete' ? await router.complete(request) : await router.stream(request).result;
      const decision = await router.explain(request);
      const reservation = decision.candidates[0]!.estCostUsd;
      expect(result.usageEstimated).toBe(true);
      expect(result.costUsd).toBeGreaterThan(0);
      expect(result.costUsd).toBeCloseTo(reservation, 6);
      expect(audits[0]).toMatchObject({ outcome: 'success', usageEstimated: true, costUsd: result.costUsd });
      expect((await router.usage('acme')).spentUsd).toBe(result.costUsd);
      await router.close();
    },
  );

  it('leaves no timer behind for a call whose signal was aborted before it started', async () => {
    const router = seedRouter();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const signal = AbortSignal.abort();
    for (let i = 0; i < 5; i++) {
      await rejection(router.complete({ tenant: 'acme', messages: hello, signal, timeoutMs: 60_000 }));
      await rejection(router.stream({ tenant: 'acme', messages: hello, signal, timeoutMs: 60_000 }).result);
    }
    expect(timers()).toBe(before);
  });
});

describe('prompt-cache pricing', () => {
  it('bills Anthropic cache writes at 1.25x (5 minutes) and 2x (1 hour) input, in the result and the budget', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5', budget: { limitUsd: 10, period: 'day' } } },
    });
    emu.respond('claude-sonnet-5-5', {
      text: 'ok',
      usage: { inputTokens: 10_000, outputTokens: 100 },
      cacheReadTokens: 2_000,
      cacheWriteTokens: 5_000,
      cacheWrite1hTokens: 1_000,
    });
    const result = await router.complete({ tenant: 'acme', messages: hello });
    expect(result.usage).toMatchObject({
      inputTokens: 10_000,
      cachedInputTokens: 2_000,
      cacheWriteInputTokens: 5_000,
      cacheWrite1hInputTokens: 1_000,
    });
    // $2 input, $0.10 cache read, $2.50 and $4 cache writes, $10 output, per million tokens.
    const expected = (3_000 * 2 + 2_000 * 0.1 + 4_000 * 2.5 + 1_000 * 4 + 100 * 10) / 1e6;
    expect(result.costUsd).toBe(Number(expected.toFixed(9)));
    expect((await router.usage('acme')).spentUsd).toBe(result.costUsd);
    await router.close();
  });
});

describe('tenant credentials with a given client', () => {
  it.each([
    ['openai', 'gpt-6.2-sol'],
    ['anthropic', 'claude-sonnet-5-5'],
    ['mistral', 'mistral-small-latest'],
  ] as const)(
    'sends a %s tenant key through a client made from the given one, to its host',
    async (provider, model) => {
      const { baseURL } = emu.providers[provider];
      const client =
        provider === 'openai'
          ? new OpenAI({ apiKey: 'entry-key', baseURL })
          : provider === 'anthropic'
            ? new Anthropic({ apiKey: 'entry-key', baseURL })
            : new Mistral({ apiKey: 'entry-key', serverURL: baseURL });
      const router = createRouter({
        providers: { [provider]: { client } },
        tenants: {
          acme: { model, credentials: { [provider]: { id: 'acme-1', apiKey: 'tenant-key-0001' } } },
        },
      });
      const result = await router.complete({ tenant: 'acme', messages: hello });
      expect(result.provider).toBe(provider);
      expect(emu.requests.at(-1)?.apiKey).toBe('tenant-key-0001');
      await router.close();
    },
  );
});

describe('clock', () => {
  it('stamps every event and the audit record with the injected clock', async () => {
    const at = Date.parse('2030-01-02T03:04:05Z');
    const router = seedRouter({ clock: () => at });
    const events = recordEvents(router);
    await router.complete({ tenant: 'globex', messages: hello });
    await rejection(router.complete({ tenant: 'eu', forceModel: 'gpt-6.2-sol', messages: hello }));
    await rejection(router.complete({ tenant: 'acme', messages: [] }));
    const stamped = Object.values(events).flatMap((list) => (list ?? []) as { timestamp: number }[]);
    expect(stamped.length).toBeGreaterThanOrEqual(9);
    expect(new Set(stamped.map((e) => e.timestamp))).toEqual(new Set([at]));
  });
});

describe('system prompt templates', () => {
  it("put the tenant's rendered system prompt before the caller's messages", async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: {
        acme: {
          model: 'gpt-6-luna',
          systemPrompt: 'You assist {{user}} at {{tenant}}. Answer in {{vars.lang}}.',
        },
      },
    });
    await router.complete({
      tenant: 'acme',
      user: 'u-7',
      vars: { lang: 'French' },
      messages: [{ role: 'system', content: 'Be brief.' }, ...hello],
    });
    const sent = emu.requests[0]!.body.messages as { role: string; content: string }[];
    expect(sent.slice(0, 2)).toEqual([
      { role: 'system', content: 'You assist u-7 at acme. Answer in French.' },
      { role: 'system', content: 'Be brief.' },
    ]);
  });

  it('count the system prompt in the estimate', async () => {
    const long = 'x'.repeat(10_000);
    const router = createRouter({ providers: emu.providers, tenants: { a: { systemPrompt: long }, b: {} } });
    const withPrompt = await router.explain({ tenant: 'a', strategy: 'lowest_cost', messages: hello });
    const without = await router.explain({ tenant: 'b', strategy: 'lowest_cost', messages: hello });
    expect(withPrompt.candidates[0]!.estCostUsd).toBeGreaterThan(without.candidates[0]!.estCostUsd);
  });

  it('refuse a call that leaves a placeholder empty, naming it', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { systemPrompt: 'In {{vars.lang}}' } },
    });
    const error = await rejection(router.complete({ tenant: 'acme', messages: hello }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain("needs vars.lang: pass vars: { lang: '…' }");
    expect(emu.hits()).toBe(0);
  });

  it('refuse an unknown placeholder when the policy is set', () => {
    expect(() =>
      createRouter({ providers: emu.providers, tenants: { acme: { systemPrompt: '{{tenantt}}' } } }),
    ).toThrow('tenants.acme.systemPrompt: unknown placeholder {{tenantt}}');
    const router = createRouter({ providers: emu.providers, tenants: {} });
    expect(() => router.tenants.set('x', { systemPrompt: '{{foo}}' })).toThrow(/tenants\.x\.systemPrompt/);
  });

  it('refuse a misspelled option, naming it, instead of ignoring it', () => {
    expect(() =>
      createRouter({ providers: emu.providers, tenants: { acme: { budgett: { limitUsd: 1 } } as never } }),
    ).toThrow(/tenants\.acme: Unrecognized key: "budgett"/);
    expect(() => createRouter({ providers: emu.providers, tenant: {} } as never)).toThrow(
      /Unrecognized key: "tenant"/,
    );
  });
});
