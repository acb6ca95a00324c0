import { type ChatRequest, createRouter } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { drain, rejection, useEmulator, useRouters } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

const messages = [{ role: 'user' as const, content: 'Why is the sky blue?' }];
const ask = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  tenant: 'acme',
  messages,
  forceModel: model,
  ...extra,
});

function router(policy: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const r = createRouter({ providers: emu.providers, tenants: { acme: policy, globex: policy }, ...extra });
  routers.push(r);
  return r;
}

describe('reasoning', () => {
  it('reaches OpenAI as reasoning_effort, with reasoning tokens in the usage', async () => {
    emu.respond('gpt-6-luna', {
      text: 'Rayleigh scattering.',
      usage: { outputTokens: 400 },
      reasoningTokens: 300,
    });
    const result = await router().complete(ask('gpt-6-luna', { reasoning: { effort: 'high' } }));
    expect(emu.requests[0]!.body).toMatchObject({ reasoning_effort: 'high' });
    expect(result.usage.reasoningTokens).toBe(300);
  });

  it('reaches Claude 5.5 as adaptive thinking with output_config.effort; a stream reports thinking tokens', async () => {
    emu.respond('claude-opus-5-5', {
      text: 'Scattering.',
      usage: { outputTokens: 500 },
      reasoningTokens: 200,
    });
    const stream = router().stream(ask('claude-opus-5-5', { reasoning: { effort: 'medium' } }));
    const { parts } = await drain(stream);
    const result = await stream.result;
    expect(emu.requests[0]!.body).toMatchObject({
      thinking: { type: 'adaptive' },
      output_config: { effort: 'medium' },
    });
    // The thinking is not part of the answer; its tokens are in the usage (message_delta).
    expect(
      parts
        .filter((p) => p.type === 'text')
        .map((p) => (p as { text: string }).text)
        .join(''),
    ).toBe('Scattering.');
    expect(result.usage.reasoningTokens).toBe(200);
    expect(result.usage.outputTokens).toBe(500);
  });

  it('reaches an older Claude as a thinking budget below max_tokens, which grows by the budget', async () => {
    const r = router(
      {},
      {
        models: [
          {
            id: 'claude-37',
            provider: 'anthropic',
            model: 'claude-3-7-sonnet-20250219',
            pricing: { inputPerMTok: 3, outputPerMTok: 15 },
            maxOutputTokens: 64_000,
            capabilities: ['tools', 'reasoning'],
          },
        ],
      },
    );
    await r.complete(ask('claude-37', { reasoning: { budgetTokens: 8_000 } }));
    // The router's default output cap (4,096) plus the thinking budget.
    expect(emu.requests[0]!.body).toMatchObject({
      max_tokens: 4_096 + 8_000,
      thinking: { type: 'enabled', budget_tokens: 8_000 },
    });
  });

  it('reaches Gemini as thinkingBudget or thinkingLevel', async () => {
    if (!('gemini' in emu.providers)) return;
    const r = router();
    await r.complete(ask('gemini-3.8-flash', { reasoning: { budgetTokens: 2_048 } }));
    await r.complete(ask('gemini-3.8-flash', { reasoning: { effort: 'low' } }));
    expect(emu.requests[0]!.body).toMatchObject({
      generationConfig: { thinkingConfig: { thinkingBudget: 2_048 } },
    });
    expect(emu.requests[1]!.body).toMatchObject({
      generationConfig: { thinkingConfig: { thinkingLevel: 'LOW' } },
    });
  });

  it('reaches Mistral as reasoning_effort high, the level its reasoning models take', async () => {
    await router().complete(ask('mistral-medium-latest', { reasoning: { effort: 'low' } }));
    expect(emu.requests[0]!.body).toMatchObject({ reasoning_effort: 'high' });
  });

  it('sends nothing of reasoning when the call does not ask for it', async () => {
    await router().complete(ask('claude-opus-5-5'));
    await router().complete(ask('gpt-6-luna'));
    expect(emu.requests[0]!.body).not.toHaveProperty('thinking');
    expect(emu.requests[1]!.body).not.toHaveProperty('reasoning_effort');
  });

  it('routes a reasoning call only to models that declare reasoning, saying why the others are out', async () => {
    const r = router({ allowedModels: ['mistral-large-latest', 'codestral-latest', 'mistral-small-latest'] });
    const decision = await r.explain({ tenant: 'acme', messages, reasoning: { effort: 'low' } });
    expect(decision.candidates.map((c) => c.model)).toEqual(['mistral-small-latest']);
    expect(decision.excluded).toContainEqual({
      model: 'mistral-large-latest',
      reason: 'does not support reasoning',
    });
    expect(decision.excluded).toContainEqual({
      model: 'codestral-latest',
      reason: 'does not support reasoning',
    });
    const forced = await rejection(r.complete(ask('mistral-large-latest', { reasoning: {} })));
    expect(forced.code).toBe('no_eligible_model');
  });

  it('reserves the thinking budget: the estimate grows with budgetTokens by its output price', async () => {
    const r = router();
    const estimate = async (reasoning?: ChatRequest['reasoning']) =>
      (await r.explain(ask('gpt-6-luna', reasoning ? { reasoning } : {}))).candidates[0]!.estCostUsd;
    const none = await estimate();
    const small = await estimate({ budgetTokens: 2_000 });
    const large = await estimate({ budgetTokens: 20_000 });
    // gpt-6-luna outputs at $0.50 per million tokens: each budget token adds that much.
    expect(small - none).toBeCloseTo(2_000 * 0.5e-6, 9);
    expect(large - none).toBeCloseTo(20_000 * 0.5e-6, 9);
    // The cap sent is what was reserved for.
    await r.complete(ask('gpt-6-luna', { reasoning: { budgetTokens: 20_000 } }));
    expect(emu.requests[0]!.body).toMatchObject({ max_completion_tokens: 4_096 + 20_000 });
  });

  it('keeps a caller-set maxTokens as the cap of all output, thinking included', async () => {
    const r = router();
    await r.complete(ask('gpt-6-luna', { maxTokens: 3_000, reasoning: { budgetTokens: 20_000 } }));
    expect(emu.requests[0]!.body).toMatchObject({ max_completion_tokens: 3_000 });
  });

  it('refuses a malformed reasoning field, naming it', async () => {
    const error = await rejection(
      router().complete(ask('gpt-6-luna', { reasoning: { effort: 'extreme' as 'high' } })),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('reasoning.effort');
  });
});

describe('prompt caching', () => {
  const conversation = [
    { role: 'system' as const, content: 'You are a careful assistant. '.repeat(20) },
    { role: 'user' as const, content: 'First' },
    { role: 'assistant' as const, content: 'Answer one' },
    { role: 'user' as const, content: 'Second' },
  ];

  it('places Anthropic cache breakpoints on the system prompt and the stable prefix', async () => {
    await router({ promptCaching: '5m' }).complete({
      tenant: 'acme',
      forceModel: 'claude-sonnet-5-5',
      messages: conversation,
    });
    const body = emu.requests[0]!.body as { system: unknown; messages: { content: unknown }[] };
    expect(body.system).toEqual([
      { type: 'text', text: conversation[0]!.content, cache_control: { type: 'ephemeral' } },
    ]);
    expect(body.messages[1]!.content).toEqual([
      { type: 'text', text: 'Answer one', cache_control: { type: 'ephemeral' } },
    ]);
    expect(body.messages[2]!.content).toBe('Second');
  });

  it("sends ttl '1h' for the 1-hour cache and bills its writes at the 1-hour price", async () => {
    emu.respond('claude-sonnet-5-5', {
      text: 'ok',
      usage: { inputTokens: 2_000, outputTokens: 10 },
      cacheWriteTokens: 1_500,
      cacheWrite1hTokens: 1_500,
    });
    const result = await router({ promptCaching: '1h' }).complete({
      tenant: 'acme',
      forceModel: 'claude-sonnet-5-5',
      messages: conversation,
    });
    expect(JSON.stringify(emu.requests[0]!.body)).toContain('"ttl":"1h"');
    expect(result.usage.cacheWrite1hInputTokens).toBe(1_500);
    // Sonnet 5.5: $2 input, $4 per million for 1-hour writes, $10 output.
    expect(result.costUsd).toBeCloseTo(500 * 2e-6 + 1_500 * 4e-6 + 10 * 10e-6, 9);
  });

  it('reserves cache writes at their price: the estimate prices input as a write', async () => {
    const estimate = async (promptCaching: string) =>
      (
        await router({ promptCaching }).explain({
          tenant: 'acme',
          forceModel: 'claude-sonnet-5-5',
          messages: conversation,
        })
      ).candidates[0]!.estCostUsd;
    const off = await estimate('off');
    const fiveMinutes = await estimate('5m');
    const oneHour = await estimate('1h');
    expect(fiveMinutes).toBeGreaterThan(off);
    expect(oneHour).toBeGreaterThan(fiveMinutes);
  });

  it('sets a per-tenant prompt_cache_key on OpenAI that is not the tenant id', async () => {
    const r = router({ promptCaching: '5m' });
    await r.complete({ tenant: 'acme', forceModel: 'gpt-6-luna', messages });
    await r.complete({ tenant: 'acme', forceModel: 'gpt-6-luna', messages });
    await r.complete({ tenant: 'globex', forceModel: 'gpt-6-luna', messages });
    const keys = emu.requests.map((req) => (req.body as { prompt_cache_key?: string }).prompt_cache_key);
    expect(keys[0]).toMatch(/^rp-[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(keys[0]).not.toContain('acme');
  });

  it("sends nothing when caching is 'off' or unset, as before", async () => {
    await router().complete({ tenant: 'acme', forceModel: 'gpt-6-luna', messages });
    await router({ promptCaching: 'off' }).complete({
      tenant: 'acme',
      forceModel: 'claude-sonnet-5-5',
      messages: conversation,
    });
    expect(emu.requests[0]!.body).not.toHaveProperty('prompt_cache_key');
    expect(JSON.stringify(emu.requests[1]!.body)).not.toContain('cache_control');
  });

  it('refuses an unknown caching lifetime in a policy', () => {
    expect(() => router({ promptCaching: '24h' })).toThrow(/promptCaching/);
  });
});

describe('native structured output', () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' } },
    required: ['name', 'age'],
    additionalProperties: false,
  };
  const request = (model: string): ChatRequest => ({
    tenant: 'acme',
    forceModel: model,
    messages,
    responseFormat: { type: 'json_schema', name: 'person', schema },
  });

  it('asks OpenAI and Mistral for strict json_schema, and Claude for output_config.format', async () => {
    const r = router();
    await r.complete(request('gpt-6-luna'));
    await r.complete(request('mistral-small-latest'));
    await r.complete(request('claude-sonnet-5-5'));
    expect(emu.requests[0]!.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    expect(emu.requests[1]!.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    expect(emu.requests[2]!.body).toMatchObject({
      output_config: { format: { type: 'json_schema', schema } },
    });
  });

  it('sends Gemini the schema as responseJsonSchema', async () => {
    if (!('gemini' in emu.providers)) return;
    await router().complete(request('gemini-3.8-flash'));
    expect(emu.requests[0]!.body).toMatchObject({
      generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema },
    });
  });

  it('still validates a native structured answer with the outputSchema guardrail', async () => {
    const r = router({ guardrails: { outputSchema: schema } });
    emu.respond('gpt-6-luna', { text: '{"name":"Ada","age":36}' }, { text: '{"name":"Ada"}' });
    const ok = await r.complete(request('gpt-6-luna'));
    expect(JSON.parse(ok.text)).toEqual({ name: 'Ada', age: 36 });
    const mismatch = await rejection(r.complete(request('gpt-6-luna')));
    expect(mismatch.code).toBe('guardrail_blocked');
  });
});
