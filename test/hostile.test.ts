import { createRouter, type Router, RouterError } from 'routeplane';
import { createEmulator, type Emulator } from 'routeplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emu: Emulator;
let router: Router;
beforeAll(async () => {
  emu = await createEmulator();
  router = createRouter({ providers: emu.providers, tenants: { acme: { model: 'claude-sonnet-5-5' } } });
});
afterAll(async () => {
  await router.close();
  await emu.close();
});

const hello = [{ role: 'user' as const, content: 'hi' }];

/** A JSON Schema nested `levels` deep. */
function nested(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { a: schema } };
  return schema;
}

async function codeOf(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (error) {
    if (RouterError.isInstance(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a RouterError');
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
