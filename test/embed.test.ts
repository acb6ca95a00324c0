import { createRouter, type EmbedRequest, type RouterConfig, type TenantPolicy } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { collect, rejection, useEmulator, useRouters } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

function router(tenants: Record<string, TenantPolicy>, more: Partial<RouterConfig> = {}) {
  const r = createRouter({
    providers: emu.providers,
    tenants,
    retry: { retries: 0 },
    ...more,
  });
  routers.push(r);
  return r;
}

/** The emulator's input tokens of a text: a quarter of its UTF-8 bytes, rounded up. */
const tokensOf = (texts: string[]) => texts.reduce((sum, t) => sum + Math.ceil(Buffer.byteLength(t) / 4), 0);
const norm = (v: number[]) => Math.hypot(...v);
const embedCalls = (model?: string) => emu.requests.filter((r) => r.embed && (!model || r.model === model));

describe('router.embed()', () => {
  it('embeds through OpenAI, Mistral, Gemini and Azure with their SDKs, one unit vector per text in order', async () => {
    const r = router(
      { acme: {} },
      {
        models: [
          {
            id: 'azure-embed',
            deployments: [{ provider: 'azure', model: 'my-embedding-deployment' }],
            pricing: { inputPerMTok: 0.02, outputPerMTok: 0 },
            capabilities: ['embeddings'],
            embedding: { dimensions: 1536, customDimensions: true },
          },
        ],
      },
    );
    const input = ['first text', 'second text', 'first text'];
    for (const [model, provider, dimensions, length] of [
      ['text-embedding-3-small', 'openai', 16, 16],
      ['mistral-embed', 'mistral', undefined, 1024],
      ['gemini-embedding-001', 'gemini', 32, 32],
      ['azure-embed', 'azure', 12, 12],
    ] as const) {
      const result = await r.embed({
        tenant: 'acme',
        input,
        forceModel: model,
        ...(dimensions !== undefined && { dimensions }),
      });
      expect(result).toMatchObject({ tenant: 'acme', model, provider, deployment: provider, cached: false });
      expect(result.embeddings).toHaveLength(3);
      for (const vector of result.embeddings) {
        expect(vector).toHaveLength(length);
        expect(norm(vector)).toBeCloseTo(1, 5);
      }
      expect(result.embeddings[0]).toEqual(result.embeddings[2]);
      expect(result.embeddings[0]).not.toEqual(result.embeddings[1]);
      expect(result.attempts).toEqual([expect.objectContaining({ model, ok: true })]);
    }
    expect(embedCalls().map((c) => [c.provider, c.model])).toEqual([
      ['openai', 'text-embedding-3-small'],
      ['mistral', 'mistral-embed'],
      ['gemini', 'gemini-embedding-001'],
      ['azure', 'my-embedding-deployment'],
    ]);
    // The SDKs' retries are off and every call carried the entry's key.
    expect(emu.requests).toHaveLength(4);
    expect(embedCalls('mistral-embed')[0]!.body.output_dimension).toBeUndefined();
  });

  it('a single string gives one vector, and the same text gives the same vector on every call', async () => {
    const r = router({ acme: { strategy: 'force_model', model: 'text-embedding-3-small' } });
    const one = await r.embed({ tenant: 'acme', input: 'hello', dimensions: 8 });
    const many = await r.embed({ tenant: 'acme', input: ['x', 'hello'], dimensions: 8 });
    expect(one.embeddings).toHaveLength(1);
    expect(many.embeddings[1]).toEqual(one.embeddings[0]);
  });

  it('charges the reported input tokens at the input price and settles the budget with them', async () => {
    const r = router({
      acme: {
        strategy: 'force_model',
        model: 'text-embedding-3-large',
        budget: { limitUsd: 10, period: 'total' },
      },
    });
    const input = ['a text of some length', 'another one'];
    const result = await r.embed({ tenant: 'acme', input, dimensions: 8 });
    const tokens = tokensOf(input);
    expect(result.usage).toEqual({ inputTokens: tokens });
    expect(result.costUsd).toBe((tokens * 0.13) / 1e6);
    const usage = await r.usage('acme');
    expect(usage).toMatchObject({
      spentUsd: result.costUsd,
      inputTokens: tokens,
      outputTokens: 0,
      requests: 1,
    });
    expect(usage.reservedUsd).toBe(0);
  });

  it('reserves the input bound: a call whose bound does not fit the budget is budget_exceeded before any provider', async () => {
    const r = router({
      acme: {
        strategy: 'force_model',
        model: 'text-embedding-3-small',
        budget: { limitUsd: 0.0001, period: 'day' },
      },
    });
    const exceeded = collect(r, 'budget.exceeded');
    // A 1,000-byte bound at $0.02/MTok ($0.00002) fits $0.0001; 1,000,000 bytes ($0.02) does not.
    await r.embed({ tenant: 'acme', input: 'a'.repeat(1_000), dimensions: 8 });
    const big = Array.from({ length: 200 }, () => 'a'.repeat(5_000));
    const error = await rejection(r.embed({ tenant: 'acme', input: big, dimensions: 8 }));
    expect(error.code).toBe('budget_exceeded');
    expect(exceeded).toHaveLength(1);
    expect(exceeded[0]!.estCostUsd).toBeGreaterThanOrEqual((1_000_000 * 0.02) / 1e6);
    expect(embedCalls()).toHaveLength(1);
  });

  it('a provider without usage (Gemini) is charged at the input bound, and the audit says it was estimated', async () => {
    const r = router({ acme: { strategy: 'force_model', model: 'gemini-embedding-001' } });
    const audits = collect(r, 'audit');
    const input = ['twelve bytes', 'more'];
    const result = await r.embed({ tenant: 'acme', input, dimensions: 8 });
    const bound = 8 + input.reduce((sum, t) => sum + 4 + Buffer.byteLength(t), 0);
    expect(result.usage.inputTokens).toBe(bound);
    // $0.15/MTok is 150 nano-USD a token.
    expect(result.costUsd).toBe((bound * 150) / 1e9);
    expect(audits[0]).toMatchObject({ outcome: 'success', embed: true, usageEstimated: true });
    expect((await r.usage('acme')).spentUsd).toBe(result.costUsd);
  });

  it('applies the tenant policy: allowed models, roles and regions, and a forbidden forced model is policy_denied', async () => {
    const r = router({
      listed: { allowedModels: ['mistral-embed', 'gpt-*'] },
      eu: { allowedRegions: ['eu'], strategy: 'lowest_cost' },
      roles: { strategy: 'lowest_cost', roles: { intern: { allowedModels: ['gemini-embedding-001'] } } },
    });
    expect((await r.embed({ tenant: 'listed', input: 'x' })).model).toBe('mistral-embed');
    const denied = await rejection(
      r.embed({ tenant: 'listed', input: 'x', forceModel: 'text-embedding-3-small' }),
    );
    expect(denied.code).toBe('policy_denied');
    expect(denied.message).toContain('not in allowedModels');
    expect((await r.embed({ tenant: 'eu', input: 'x' })).model).toBe('mistral-embed');
    expect((await r.embed({ tenant: 'roles', input: 'x', dimensions: 8 })).model).toBe(
      'text-embedding-3-small',
    );
    expect((await r.embed({ tenant: 'roles', role: 'intern', input: 'x', dimensions: 8 })).model).toBe(
      'gemini-embedding-001',
    );
  });

  it('chat calls never go to an embedding model, and embed calls never to a chat model', async () => {
    const r = router({ acme: { strategy: 'lowest_cost' } });
    const decision = await r.explain({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] });
    for (const id of [
      'text-embedding-3-small',
      'text-embedding-3-large',
      'mistral-embed',
      'gemini-embedding-001',
    ]) {
      expect(decision.excluded).toContainEqual({
        model: id,
        reason: 'an embedding model: use router.embed()',
      });
      expect(decision.candidates.map((c) => c.model)).not.toContain(id);
    }
    const chat = await rejection(
      r.complete({
        tenant: 'acme',
        forceModel: 'text-embedding-3-small',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(chat.code).toBe('no_eligible_model');

    const decided = collect(r, 'route.decided');
    const result = await r.embed({ tenant: 'acme', input: 'h'.repeat(20_000) });
    expect(result.model).toBe('text-embedding-3-small');
    const embedDecision = decided.at(-1)!;
    // Gemini takes 2,048 tokens a text: ~6,667 is too many.
    expect(embedDecision.excluded).toContainEqual({
      model: 'gemini-embedding-001',
      reason: 'the longest text (~6667 tokens) is above its limit of 2048 tokens per text',
    });
    expect(embedDecision.candidates.map((c) => c.model).sort()).toEqual([
      'mistral-embed',
      'text-embedding-3-large',
      'text-embedding-3-small',
    ]);
    expect(embedDecision.excluded).toContainEqual({
      model: 'gpt-6-luna',
      reason: 'not an embedding model (its capabilities do not list embeddings)',
    });
    // Candidates are ranked by the input bound only: no output is reserved.
    const small = embedDecision.candidates.find((c) => c.model === 'text-embedding-3-small')!;
    expect(small.estCostUsd).toBeCloseTo(((8 + 4 + 20_000) * 0.02) / 1e6, 6);
    const forced = await rejection(r.embed({ tenant: 'acme', input: 'hi', forceModel: 'gpt-6-luna' }));
    expect(forced.code).toBe('no_eligible_model');
    expect(forced.message).toContain('not an embedding model');
    expect(emu.requests.filter((q) => !q.embed)).toHaveLength(0);
  });

  it('dimensions: models that cannot give that length are excluded with the reason; it is sent only to models that take it', async () => {
    const r = router({
      acme: { strategy: 'lowest_cost', allowedModels: ['mistral-embed', 'text-embedding-3-*'] },
    });
    const decided = collect(r, 'route.decided');
    const short = await r.embed({ tenant: 'acme', input: 'x', dimensions: 256 });
    expect(short.model).toBe('text-embedding-3-small');
    expect(short.embeddings[0]).toHaveLength(256);
    expect(embedCalls()[0]!.body.dimensions).toBe(256);
    expect(decided[0]!.excluded).toContainEqual({
      model: 'mistral-embed',
      reason: 'gives 1024 dimensions only, not 256',
    });
    await r.embed({ tenant: 'acme', input: 'x', dimensions: 2048 });
    expect(decided[1]!.excluded).toContainEqual({
      model: 'text-embedding-3-small',
      reason: 'gives at most 1536 dimensions, not 2048',
    });
    expect(decided[1]!.chosen).toBe('text-embedding-3-large');
    const exact = await r.embed({
      tenant: 'acme',
      input: 'x',
      dimensions: 1024,
      forceModel: 'mistral-embed',
    });
    expect(exact.embeddings[0]).toHaveLength(1024);
    expect(embedCalls('mistral-embed')[0]!.body.output_dimension).toBeUndefined();
  });

  it('falls back to another embedding model on a 500, with the failed attempt recorded', async () => {
    const r = router({
      acme: { strategy: 'lowest_cost', allowedModels: ['text-embedding-3-small', 'mistral-embed'] },
    });
    const fallbacks = collect(r, 'fallback');
    emu.fail('text-embedding-3-small', { status: 500 });
    const result = await r.embed({ tenant: 'acme', input: ['a', 'b'] });
    expect(result.model).toBe('mistral-embed');
    expect(result.embeddings).toHaveLength(2);
    expect(result.attempts).toMatchObject([
      { model: 'text-embedding-3-small', ok: false, errorCode: 'server_error', status: 500 },
      { model: 'mistral-embed', ok: true },
    ]);
    expect(fallbacks).toMatchObject([{ from: 'text-embedding-3-small', to: 'mistral-embed' }]);
  });

  it('splits 5,000 texts into ordered requests within OpenAI batch limit, vectors in order and usage summed', async () => {
    const r = router({ acme: { strategy: 'force_model', model: 'text-embedding-3-small' } });
    const input = Array.from({ length: 5_000 }, (_, i) => `text number ${i}`);
    const result = await r.embed({ tenant: 'acme', input, dimensions: 4 });
    const calls = embedCalls();
    expect(calls.map((c) => (c.body.input as string[]).length)).toEqual([2_048, 2_048, 904]);
    expect(calls.flatMap((c) => c.body.input as string[])).toEqual(input);
    expect(result.embeddings).toHaveLength(5_000);
    expect(result.usage.inputTokens).toBe(tokensOf(input));
    expect(result.attempts).toHaveLength(1);
    const last = await r.embed({ tenant: 'acme', input: input[4_999]!, dimensions: 4 });
    expect(result.embeddings[4_999]).toEqual(last.embeddings[0]);
    const middle = await r.embed({ tenant: 'acme', input: input[2_048]!, dimensions: 4 });
    expect(result.embeddings[2_048]).toEqual(middle.embeddings[0]);
  });

  it('splits Gemini batches at 100 texts', async () => {
    const r = router({ acme: { strategy: 'force_model', model: 'gemini-embedding-001' } });
    const input = Array.from({ length: 250 }, (_, i) => `g${i}`);
    const result = await r.embed({ tenant: 'acme', input, dimensions: 4 });
    expect(embedCalls().map((c) => (c.body.requests as unknown[]).length)).toEqual([100, 100, 50]);
    expect(result.embeddings).toHaveLength(250);
  });

  it('counts against the rate limit like any call', async () => {
    const r = router({ acme: { model: 'text-embedding-3-small', rateLimit: { requestsPerMinute: 1 } } });
    await r.embed({ tenant: 'acme', input: 'x', dimensions: 4 });
    const error = await rejection(r.embed({ tenant: 'acme', input: 'y', dimensions: 4 }));
    expect(error.code).toBe('rate_limited');
    expect(embedCalls()).toHaveLength(1);
  });

  it('caches per tenant: the same texts hit, another tenant, other texts or other dimensions miss', async () => {
    const r = router({
      a: { model: 'text-embedding-3-small', cache: { ttlMs: 60_000 } },
      b: { model: 'text-embedding-3-small', cache: { ttlMs: 60_000 } },
    });
    const hits = collect(r, 'cache.hit');
    const ask = (tenant: string, more: Partial<EmbedRequest> = {}) =>
      r.embed({ tenant, input: ['p', 'q'], dimensions: 8, ...more });
    const first = await ask('a');
    const again = await ask('a');
    expect(again).toMatchObject({ cached: true, costUsd: 0, model: 'text-embedding-3-small' });
    expect(again.embeddings).toEqual(first.embeddings);
    expect((await ask('b')).cached).toBe(false);
    expect((await ask('a', { dimensions: 16 })).cached).toBe(false);
    expect((await ask('a', { input: ['q', 'p'] })).cached).toBe(false);
    expect(hits).toHaveLength(1);
    expect(embedCalls()).toHaveLength(4);
    // A chat call with the same text is not answered from the embed entry.
    const chat = await rejection(r.complete({ tenant: 'a', messages: [{ role: 'user', content: 'p' }] }));
    expect(chat.code).toBe('no_eligible_model');
  });

  it('input guardrails apply to each text: PII is redacted before the provider, a blocked term denies the call', async () => {
    const r = router({
      acme: {
        model: 'text-embedding-3-small',
        guardrails: { pii: { action: 'redact' }, blockedTerms: ['forbidden'] },
      },
    });
    const result = await r.embed({
      tenant: 'acme',
      input: ['write to jane@example.com', 'plain'],
      dimensions: 4,
    });
    expect(result.embeddings).toHaveLength(2);
    expect(embedCalls()[0]!.body.input).toEqual(['write to [EMAIL]', 'plain']);
    const blocked = await rejection(
      r.embed({ tenant: 'acme', input: ['ok', 'a Forbidden word'], dimensions: 4 }),
    );
    expect(blocked.code).toBe('guardrail_blocked');
    expect(embedCalls()).toHaveLength(1);
  });

  it('writes one audit record per call and keeps keys out of errors', async () => {
    const r = router({ acme: { model: 'text-embedding-3-small' } });
    const audits = collect(r, 'audit');
    const completed = collect(r, 'request.completed');
    await r.embed({ tenant: 'acme', input: 'x', dimensions: 4, tags: { job: 'index' }, user: 'u1' });
    emu.fail('text-embedding-3-small', { status: 401 });
    const error = await rejection(r.embed({ tenant: 'acme', input: 'x', dimensions: 4 }));
    expect(error.code).toBe('providers_exhausted');
    expect(error.message).not.toContain(emu.providers.openai.apiKey);
    expect(JSON.stringify(audits)).not.toContain(emu.providers.openai.apiKey);
    expect(audits).toMatchObject([
      {
        outcome: 'success',
        embed: true,
        tenant: 'acme',
        user: 'u1',
        tags: { job: 'index' },
        model: 'text-embedding-3-small',
        provider: 'openai',
        cached: false,
      },
      { outcome: 'failed', embed: true, errorCode: 'providers_exhausted' },
    ]);
    expect(audits[0]!.costUsd).toBeGreaterThan(0);
    expect(completed).toHaveLength(1);
  });

  it('a model on a provider without an embeddings API is excluded with the reason', async () => {
    const r = router(
      { acme: { strategy: 'force_model', model: 'claude-embed' } },
      {
        models: [
          {
            id: 'claude-embed',
            provider: 'anthropic',
            pricing: { inputPerMTok: 0.1, outputPerMTok: 0 },
            capabilities: ['embeddings'],
          },
        ],
      },
    );
    const error = await rejection(r.embed({ tenant: 'acme', input: 'x' }));
    expect(error.code).toBe('no_eligible_model');
    expect(error.excluded).toContainEqual({
      model: 'claude-embed',
      reason: 'provider anthropic has no embeddings API in routeplane',
    });
    expect(emu.requests).toHaveLength(0);
  });

  it('refuses bad input as invalid_request naming the field', async () => {
    const r = router({ acme: {} });
    for (const [input, field] of [
      [[], 'input'],
      ['', 'input'],
      [['ok', ''], 'input[1]'],
      [Array.from({ length: 10_001 }, () => 'x'), 'input'],
    ] as const) {
      const error = await rejection(r.embed({ tenant: 'acme', input: input as string[] }));
      expect(error.code).toBe('invalid_request');
      expect(error.message).toContain(field);
    }
    const dims = await rejection(r.embed({ tenant: 'acme', input: 'x', dimensions: 0 }));
    expect(dims.message).toContain('dimensions');
    expect(embedCalls()).toHaveLength(0);
  });
});
