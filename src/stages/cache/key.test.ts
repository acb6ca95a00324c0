import { describe, expect, it } from 'vitest';
import type { RouteContext } from '../../pipeline/context.js';
import type { ChatRequest, Message, ResponseFormat } from '../../types.js';
import { cacheKey, scopeKey } from './key.js';

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

  it('is a SHA-256 in base64url, stable for the same inputs', () => {
    expect(base).toMatch(/^[\w-]{43}$/);
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

  it('scopeKey ignores the messages only', () => {
    expect(scopeKey(ctx({ messages: [{ role: 'user', content: 'other' }] }))).toBe(scopeKey(ctx()));
    expect(scopeKey(ctx({ tenant: 'u' }))).not.toBe(scopeKey(ctx()));
  });
});
