import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastChatRequest } from './fast-request.js';
import { ChatRequestSchema } from './schema.js';

const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'other'), fc.anything()),
    content: fc.oneof(fc.string(), fc.anything()),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
const request = fc.record(
  {
    tenant: fc.oneof(fc.string(), fc.anything()),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.anything()),
    user: fc.oneof(fc.string(), fc.anything()),
    role: fc.string(),
    strategy: fc.oneof(fc.constantFrom('balanced', 'lowest_cost', 'nope'), fc.anything()),
    forceModel: fc.string(),
    maxTokens: fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 60), fc.anything()),
    temperature: fc.oneof(fc.double(), fc.anything()),
    maxCost: fc.oneof(fc.double(), fc.constant(2e9), fc.anything()),
    timeoutMs: fc.oneof(fc.integer({ min: -5, max: 2 ** 32 }), fc.double(), fc.anything()),
    signal: fc.oneof(fc.constant(new AbortController().signal), fc.anything()),
    tags: fc.dictionary(fc.string(), fc.string()),
    unknown: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('fastChatRequest', () => {
  it('answers as zod does, or leaves the request to zod', () => {
    let taken = 0;
    const valid = fc.record({
      tenant: fc.string({ minLength: 1 }),
      messages: fc.array(
        fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string() }),
        { minLength: 1, maxLength: 3 },
      ),
    });
    const mixed = fc.oneof(
      request,
      fc.tuple(valid, request).map(([v, r]) => ({ ...r, ...v })),
      valid,
    );
    fc.assert(
      fc.property(mixed, (input) => {
        const fast = fastChatRequest(input);
        if (fast === undefined) return;
        taken++;
        const zod = ChatRequestSchema.safeParse(input);
        expect(zod.success).toBe(true);
        expect(fast).toStrictEqual(zod.data);
      }),
      { numRuns: 3_000 },
    );
    // The fast path was taken often enough for the comparison to mean something.
    expect(taken).toBeGreaterThan(500);
  });

  it('takes the common request, and copies it', () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hi', name: 'stripped' },
    ];
    const input = { tenant: 'acme', messages, maxTokens: 64, temperature: 0.2, user: 'u1' };
    const fast = fastChatRequest(input);
    expect(fast).toEqual(ChatRequestSchema.parse(input));
    expect(fast?.messages).not.toBe(messages);
    expect(fast?.messages[1]).toEqual({ role: 'user', content: 'Hi' });
  });

  it('leaves tools, parts, tags, undefined fields and unknown fields to zod', () => {
    const base = { tenant: 't', messages: [{ role: 'user', content: 'x' }] };
    expect(fastChatRequest({ ...base, tools: [] })).toBeUndefined();
    expect(fastChatRequest({ ...base, tags: { a: 'b' } })).toBeUndefined();
    expect(fastChatRequest({ ...base, user: undefined })).toBeUndefined();
    expect(fastChatRequest({ ...base, nope: 1 })).toBeUndefined();
    expect(
      fastChatRequest({ tenant: 't', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }),
    ).toBeUndefined();
    expect(fastChatRequest({ ...base, maxTokens: 1.5 })).toBeUndefined();
  });
});
