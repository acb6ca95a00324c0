import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RouteContext } from '../../pipeline/context.js';
import type { ChatRequest, Message, ResponseFormat } from '../../types.js';
import { cacheKey, scopeKey, sharedKey } from './key.js';

function ctx(
  over: {
    tenant?: string;
    version?: number;
    request?: Partial<ChatRequest>;
    messages?: Message[];
    responseFormat?: ResponseFormat;
  } = {},
): RouteContext {
  const messages = over.messages ?? [{ role: 'user', content: 'hi' }];
  return {
    tenant: over.tenant ?? 't',
    policy: { fingerprint: String(over.version ?? 1) },
    request: { tenant: over.tenant ?? 't', messages, ...over.request },
    messages,
    responseFormat: over.responseFormat,
  } as unknown as RouteContext;
}

describe('cacheKey', () => {
  const base = cacheKey(ctx());

  it('is stable for the same inputs, and not what the request carries besides', () => {
    expect(cacheKey(ctx())).toBe(base);
    expect(cacheKey(ctx({ request: { tags: { feature: 'x' }, timeoutMs: 5, vars: { a: 'b' } } }))).toBe(base);
  });

  it.each<[string, Parameters<typeof ctx>[0]]>([
    ['tenant', { tenant: 'u' }],
    ['policy version', { version: 2 }],
    ['strategy', { request: { strategy: 'lowest_cost' } }],
    ['forceModel', { request: { forceModel: 'm' } }],
    ['maxCost', { request: { maxCost: 0.01 } }],
    ['role', { request: { role: 'viewer' } }],
    ['user', { request: { user: 'u1' } }],
    ['maxTokens', { request: { maxTokens: 10 } }],
    ['temperature', { request: { temperature: 0 } }],
    ['tools', { request: { tools: [{ name: 'f', parameters: {} }] } }],
    ['toolChoice', { request: { toolChoice: 'required' } }],
    ['responseFormat', { responseFormat: { type: 'json' } }],
    ['messages', { messages: [{ role: 'user', content: 'hi!' }] }],
    [
      'system prompt',
      {
        messages: [
          { role: 'system', content: 'x' },
          { role: 'user', content: 'hi' },
        ],
      },
    ],
  ])('changes with %s', (_name, over) => {
    expect(cacheKey(ctx(over))).not.toBe(base);
  });

  it('is the text itself up to 512 characters, its SHA-256 beyond; a shared key is always a SHA-256', () => {
    expect(base.charAt(2)).toBe('|');
    expect(sharedKey(base)).toMatch(/^[\w-]{43}$/);
    const long = cacheKey(ctx({ messages: [{ role: 'user', content: 'x'.repeat(600) }] }));
    expect(long).toMatch(/^[\w-]{43}$/);
    expect(sharedKey(long)).toBe(long);
  });

  it('never gives two different calls one key (strings that look like the encoding included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ role: fc.constantFrom('user', 'system'), content: fc.string() }), {
          maxLength: 3,
        }),
        fc.array(fc.record({ role: fc.constantFrom('user', 'system'), content: fc.string() }), {
          maxLength: 3,
        }),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        (a, b, userA, userB) => {
          const one = ctx({ messages: a as Message[], request: { user: userA } });
          const two = ctx({ messages: b as Message[], request: { user: userB } });
          const same = JSON.stringify([a, userA ?? null]) === JSON.stringify([b, userB ?? null]);
          expect(cacheKey(one) === cacheKey(two)).toBe(same);
        },
      ),
      { numRuns: 2000 },
    );
    // Hand-made near misses: a delimiter inside a text, a text that spells the next item.
    const keys = [
      [{ role: 'user', content: 's1:a' }],
      [
        { role: 'user', content: 's1:' },
        { role: 'user', content: 'a' },
      ],
      [
        { role: 'user', content: '' },
        { role: 'user', content: 's1:a' },
      ],
      [{ role: 'user', content: 'a', name: 'x' }],
      [{ role: 'user', content: [{ type: 'text', text: 'a' }] }],
      [{ role: 'user', content: 'a' }],
    ].map((messages) => cacheKey(ctx({ messages: messages as Message[] })));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('scopeKey ignores the messages only', () => {
    expect(scopeKey(ctx({ messages: [{ role: 'user', content: 'other' }] }))).toBe(scopeKey(ctx()));
    expect(scopeKey(ctx({ tenant: 'u' }))).not.toBe(scopeKey(ctx()));
  });
});
