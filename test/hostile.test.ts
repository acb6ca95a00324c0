import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import { createRouter, type Router, RouterError } from 'routeplane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection, useEmulator } from './support/harness.js';

const emu = useEmulator();
let router: Router;
beforeAll(() => {
  router = createRouter({ providers: emu.providers, tenants: { acme: { model: 'claude-sonnet-5-5' } } });
});
afterAll(() => router.close());

const hello = [{ role: 'user' as const, content: 'hi' }];

/** A JSON Schema nested `levels` deep. */
function nested(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { a: schema } };
  return schema;
}

/** The code and message of the RouterError `run` throws or rejects with. */
async function codeOf(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  const { code, message } = await rejection(run);
  return { code, message };
}

describe('deep and cyclic JSON in a request', () => {
  const deep = nested(5_000);
  const cyclic: Record<string, unknown> = { type: 'object' };
  cyclic.properties = { self: cyclic };

  it.each([
    ['tools[0].parameters', { tools: [{ name: 'f', parameters: deep }] }],
    ['responseFormat.schema', { responseFormat: { type: 'json_schema' as const, schema: deep } }],
    ['tools[0].parameters', { tools: [{ name: 'f', parameters: cyclic }] }],
  ])(
    'refuses %s nested past the limit as invalid_request naming the field, not a RangeError',
    async (field, extra) => {
      const failure = await codeOf(() => router.complete({ tenant: 'acme', messages: hello, ...extra }));
      expect(failure.code).toBe('invalid_request');
      expect(failure.message).toContain(`${field}: nests deeper than 64 levels`);
    },
  );

  it('refuses tool-call arguments nested past the limit, in a message sent back', async () => {
    const failure = await codeOf(() =>
      router.complete({
        tenant: 'acme',
        messages: [
          ...hello,
          { role: 'assistant', toolCalls: [{ id: 'c1', name: 'f', arguments: deep }] },
          { role: 'tool', toolCallId: 'c1', content: 'done' },
        ],
      }),
    );
    expect(failure).toMatchObject({ code: 'invalid_request' });
    expect(failure.message).toContain('messages[1].toolCalls[0].arguments: nests deeper than 64 levels');
  });

  it('accepts a schema at the limit (64 levels of objects)', async () => {
    const result = await router.complete({
      tenant: 'acme',
      messages: hello,
      tools: [{ name: 'f', parameters: nested(31) }],
    });
    expect(result.finishReason).toBeDefined();
  });

  it('refuses a JSON value with more than 100,000 values', async () => {
    const wide = { type: 'object', enum: Array.from({ length: 100_001 }, (_, i) => i) };
    const failure = await codeOf(() =>
      router.complete({ tenant: 'acme', messages: hello, tools: [{ name: 'f', parameters: wide }] }),
    );
    expect(failure.message).toContain('tools[0].parameters: holds more than 100000 values');
  });
});

/** Every code a RouterError may carry (errors.ts, README "Errors"). */
const DOCUMENTED_CODES = new Set([
  'invalid_config',
  'invalid_request',
  'tenant_not_found',
  'policy_denied',
  'guardrail_blocked',
  'rate_limited',
  'budget_exceeded',
  'no_eligible_model',
  'providers_exhausted',
  'timeout',
  'aborted',
  'store_unavailable',
]);
// `internal` is documented too, but it means host code (a middleware, a hook) broke the
// call: with none configured, a tenant's input must never produce it.

/** The longest the event loop may be held by one call of the hostile suite (README "Limits"). */
const MAX_EVENT_LOOP_DELAY_MS = 250;

describe('hostile input (property-based)', () => {
  // Strings a hostile tenant would try: any Unicode, regex and template syntax, lone surrogates.
  const hostileString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      'self-harm',
      '[',
      '\\',
      '(?<',
      '{{tenant}}',
      '{{vars.x}}',
      '{{',
      '$&',
      '\u202e',
      '\ud800',
      '*',
      '?',
      'a'.repeat(300),
    ),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
  );
  const number = fc.oneof(
    fc.integer({ min: -5, max: 5_000 }),
    fc.double(),
    fc.constantFrom(2 ** 31, 2 ** 53, Number.MAX_VALUE, -0),
  );
  const json = fc.jsonValue({ maxDepth: 4 });
  const message = fc.oneof(
    fc.record({ role: fc.constant('user'), content: hostileString }),
    fc.record({ role: fc.constant('system'), content: hostileString }),
    fc.record({
      role: fc.constant('assistant'),
      content: fc.option(hostileString, { nil: undefined }),
      toolCalls: fc.option(
        fc.array(fc.record({ id: hostileString, name: hostileString, arguments: json }), { maxLength: 2 }),
        { nil: undefined },
      ),
    }),
    fc.record({ role: fc.constant('tool'), toolCallId: hostileString, content: hostileString }),
    fc.record({ role: hostileString, content: json }),
  );
  const request = fc.record(
    {
      tenant: fc.oneof(fc.constant('acme'), hostileString),
      user: hostileString,
      role: hostileString,
      messages: fc.array(message, { maxLength: 4 }),
      maxTokens: number,
      temperature: number,
      maxCost: number,
      timeoutMs: number,
      forceModel: fc.oneof(fc.constantFrom('claude-sonnet-5-5', 'gpt-6.2-sol'), hostileString),
      tools: fc.array(fc.record({ name: hostileString, parameters: json }), { maxLength: 2 }),
      toolChoice: fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.record({ name: hostileString })),
      responseFormat: fc.oneof(
        fc.constant({ type: 'json' }),
        fc.record({ type: fc.constant('json_schema'), schema: json }),
      ),
      vars: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
      tags: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
    },
    { requiredKeys: ['tenant', 'messages'] },
  );
  // Well-formed calls whose content is hostile: they reach the guardrails, the prompt
  // template, the estimate, the cache key and the provider.
  const wellFormed = fc.record(
    {
      tenant: fc.constant('acme'),
      user: hostileString,
      messages: fc.array(fc.record({ role: fc.constant('user' as const), content: hostileString }), {
        minLength: 1,
        maxLength: 3,
      }),
      vars: fc.dictionary(fc.constantFrom('x', 'name'), hostileString, { maxKeys: 2 }),
      tags: fc.dictionary(hostileString, hostileString, { maxKeys: 2 }),
      tools: fc.array(
        fc.record({ name: fc.constantFrom('lookup', 'f_1'), parameters: fc.constant({ type: 'object' }) }),
        { maxLength: 1 },
      ),
    },
    { requiredKeys: ['tenant', 'messages'] },
  );
  const policy = fc.record(
    {
      model: fc.constant('claude-sonnet-5-5'),
      guardrails: fc.record(
        {
          blockedTerms: fc.array(hostileString, { maxLength: 3 }),
          pii: fc.record({ action: fc.constantFrom('redact', 'deny') }),
          maxInputTokens: number,
        },
        { requiredKeys: [] },
      ),
      systemPrompt: hostileString,
      allowedModels: fc.array(
        fc.oneof(fc.constantFrom('claude-*', 'claude-sonnet-?-5', '*'), hostileString),
        {
          minLength: 1,
          maxLength: 2,
        },
      ),
      rateLimit: fc.record({ requestsPerMinute: number }, { requiredKeys: [] }),
      budget: fc.record({ limitUsd: number, period: fc.constantFrom('day', 'total', 'eon') }),
    },
    { requiredKeys: ['model'] },
  );

  it('answers every request and policy with a result or a coded RouterError, never blocking the event loop', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    await fc.assert(
      fc.asyncProperty(policy, fc.oneof(wellFormed, request), async (tenantPolicy, call) => {
        try {
          router.tenants.set('acme', tenantPolicy as never);
        } catch (error) {
          expect(RouterError.isInstance(error) && error.code).toBe('invalid_config');
          router.tenants.set('acme', { model: 'claude-sonnet-5-5' });
        }
        try {
          await router.complete(call as never);
        } catch (error) {
          expect(RouterError.isInstance(error), String(error)).toBe(true);
          expect(DOCUMENTED_CODES).toContain((error as RouterError).code);
        }
      }),
      { numRuns: 300 },
    );
    delay.disable();
    expect(delay.max / 1e6).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
    router.tenants.set('acme', { model: 'claude-sonnet-5-5' });
  });
});
