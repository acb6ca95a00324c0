import Anthropic from '@anthropic-ai/sdk';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic/index.js';
import type { ProviderAdapter, ProviderRequest, ProviderStreamPart } from '../../src/providers/types.js';
import type { EmulatedFault } from '../../src/testing/emulator.js';
import { drain, readAll, requestBody, textOf, useEmulator } from '../support/harness.js';

// Not claude-sonnet-4-5: the SDK logs a deprecation warning for it on every call.
const MODEL = 'claude-sonnet-4-6';

const emu = useEmulator();
let adapter: ProviderAdapter;

beforeAll(() => {
  adapter = createAnthropicAdapter({ name: 'anthropic', ...emu.providers.anthropic });
});

function ask(text: string, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: MODEL, maxTokens: 256, messages: [{ role: 'user', content: text }], ...extra };
}

/** Collects a stream that must fail: the parts before the failure, and the error. */
async function collectFailure(parts: AsyncIterable<ProviderStreamPart>) {
  const read = await drain(parts);
  if (!('error' in read))
    throw new Error(`the stream did not fail; it yielded ${JSON.stringify(read.parts)}`);
  return { parts: read.parts, error: read.error };
}

const body = (index = 0) => requestBody(emu, index);

describe('anthropic adapter: requests and answers', () => {
  it('answers a plain question with text, a stop and the usage the API reported', async () => {
    const answer = await adapter.complete(ask('What is the capital of France?'));

    expect(answer.content).toBe(`Emulated answer from ${MODEL} to: What is the capital of France?`);
    expect(answer.finishReason).toBe('stop');
    expect(answer.toolCalls).toBeUndefined();
    expect(answer.usage.outputTokens).toBe(answer.content.split(' ').length);
    expect(answer.usage.inputTokens).toBeGreaterThan(0);
    expect(answer.usage.totalTokens).toBe(answer.usage.inputTokens + answer.usage.outputTokens);
    expect(emu.requests[0]).toMatchObject({ provider: 'anthropic', model: MODEL, stream: false });
  });

  it('lifts system messages out of the conversation into `system`, joined by a blank line', async () => {
    await adapter.complete({
      model: MODEL,
      maxTokens: 100,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'Answer in French.' },
      ],
    });

    expect(body().system).toBe('You are terse.\n\nAnswer in French.');
    expect(body().messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('always sends max_tokens, the bound the router reserved budget for', async () => {
    await adapter.complete(ask('Hi', { maxTokens: 77 }));
    await readAll(adapter.stream(ask('Hi', { maxTokens: 3 })));

    expect(body(0).max_tokens).toBe(77);
    expect(body(1).max_tokens).toBe(3);
  });

  it('sends a non-streaming call with a max_tokens the SDK alone would refuse to send unstreamed', async () => {
    const answer = await adapter.complete(ask('Hi', { maxTokens: 64_000 }));

    expect(answer.finishReason).toBe('stop');
    expect(body().max_tokens).toBe(64_000);
  });

  it('stops with length when the answer reaches max_tokens', async () => {
    emu.respond(MODEL, { text: 'one two three four five six' });

    const answer = await adapter.complete(ask('Count', { maxTokens: 3 }));

    expect(answer).toMatchObject({ content: 'one two three ', finishReason: 'length' });
  });

  it('leaves temperature out, which the API version of SDK 1.x rejects', async () => {
    const answer = await adapter.complete(ask('Hi', { temperature: 0.2 }));

    expect(answer.finishReason).toBe('stop');
    expect(body()).not.toHaveProperty('temperature');
  });

  it('sends image parts as url and base64 sources, a data: URL as base64', async () => {
    await adapter.complete({
      model: MODEL,
      maxTokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these' },
            { type: 'image', url: 'https://example.com/cat.png' },
            { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' },
            { type: 'image', url: 'data:image/jpeg;base64,/9j/4AAQ' },
          ],
        },
      ],
    });

    expect(body().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
        ],
      },
    ]);
  });

  it('asks for JSON in the system prompt, and gets an answer that parses', async () => {
    const schema = { type: 'object', properties: { echo: { type: 'string' } } };

    const json = await adapter.complete(ask('Hello', { responseFormat: { type: 'json' } }));
    await adapter.complete(
      ask('Hello', {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello' },
        ],
        responseFormat: { type: 'json_schema', name: 'Echo', schema },
      }),
    );

    expect(JSON.parse(json.content)).toMatchObject({ echo: 'Hello' });
    expect(body(0).system).toMatch(/^Respond with a single JSON object/);
    expect(body(1).system).toMatch(/^Be brief\.\n\nRespond with a single JSON object/);
    expect(body(1).system).toContain(JSON.stringify(schema));
    expect(body(1)).not.toHaveProperty('output_config');
  });

  it('reports cache reads as cachedInputTokens, counted inside inputTokens', async () => {
    const usage = { inputTokens: 1000, cachedInputTokens: 800, outputTokens: 5 };
    emu.respond(MODEL, { text: 'Cached answer', usage });

    const answer = await adapter.complete(ask('Hi'));
    const parts = await readAll(adapter.stream(ask('Hi')));

    const expected = { inputTokens: 1000, cachedInputTokens: 800, outputTokens: 5, totalTokens: 1005 };
    expect(answer.usage).toEqual(expected);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', usage: expected });
  });
});

describe('anthropic adapter: tools', () => {
  const tools = [
    {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ];

  it('round-trips a tool call: tool_use out, tool_result back in one user turn', async () => {
    emu.respond(
      MODEL,
      {
        toolCalls: [
          { id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'toolu_2', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { text: 'Sunny in Paris, rainy in Rome.' },
    );

    const first = await adapter.complete(
      ask('Weather in Paris and Rome?', { tools, toolChoice: 'required' }),
    );
    expect(first).toMatchObject({ content: '', finishReason: 'tool_calls' });
    expect(first.toolCalls).toEqual([
      { id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } },
      { id: 'toolu_2', name: 'get_weather', arguments: { city: 'Rome' } },
    ]);

    const second = await adapter.complete({
      model: MODEL,
      maxTokens: 256,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { role: 'assistant', content: first.content, ...(first.toolCalls && { toolCalls: first.toolCalls }) },
        { role: 'tool', toolCallId: 'toolu_1', content: 'sunny' },
        { role: 'tool', toolCallId: 'toolu_2', content: 'rainy' },
      ],
    });

    expect(second).toMatchObject({ content: 'Sunny in Paris, rainy in Rome.', finishReason: 'stop' });
    expect(body(0).tools).toEqual([
      {
        name: 'get_weather',
        description: 'Current weather in a city',
        input_schema: tools[0]!.parameters,
      },
    ]);
    expect(body(0).tool_choice).toEqual({ type: 'any' });
    expect(body(1).messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'rainy' },
        ],
      },
    ]);
  });

  it('streams each tool call as one part, its input assembled from the JSON deltas', async () => {
    const args = { city: 'Saint-Étienne', units: 'metric', days: [1, 2, 3] };
    emu.respond(MODEL, {
      text: 'Let me check.',
      toolCalls: [{ id: 'toolu_9', name: 'get_weather', arguments: args }],
    });

    const parts = await readAll(
      adapter.stream(ask('Weather?', { tools, toolChoice: { name: 'get_weather' } })),
    );

    expect(textOf(parts)).toBe('Let me check.');
    expect(parts.filter((part) => part.type === 'tool-call')).toEqual([
      { type: 'tool-call', toolCall: { id: 'toolu_9', name: 'get_weather', arguments: args } },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
    expect(body().tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
  });
});

describe('anthropic adapter: streaming', () => {
  it('streams one text part per token, then exactly one finish with the usage', async () => {
    emu.respond(MODEL, { text: 'The quick brown fox', usage: { inputTokens: 40, outputTokens: 4 } });

    const parts = await readAll(adapter.stream(ask('Tell me')));

    expect(parts.map((part) => part.type)).toEqual(['text', 'text', 'text', 'text', 'finish']);
    expect(textOf(parts)).toBe('The quick brown fox');
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 40, outputTokens: 4, cachedInputTokens: 0, totalTokens: 44 },
    });
    expect(emu.requests[0]?.stream).toBe(true);
  });

  it('fails a stream cut after some events with connection, after yielding the text before the cut', async () => {
    emu.respond(MODEL, { text: 'one two three four five' });
    // message_start, ping, content_block_start, then two text deltas
    emu.fail(MODEL, { cutAfter: 5 });

    const { parts, error } = await collectFailure(adapter.stream(ask('Count')));

    expect(textOf(parts)).toBe('one two ');
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(error).toMatchObject({ code: 'connection', retryable: true });
    expect(ProviderError.isInstance(error)).toBe(true);
  });

  it('fails a stream whose first event is not JSON with server_error, in one request', async () => {
    emu.fail(MODEL, { malformed: true });

    const { parts, error } = await collectFailure(adapter.stream(ask('Hi')));

    expect(parts).toEqual([]);
    expect(error).toMatchObject({ code: 'server_error', retryable: true });
    expect(emu.hits()).toBe(1);
  });

  it('classifies an overloaded_error event in the middle of a stream as overloaded', async () => {
    const sse = [
      'event: message_start',
      `data: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } })}`,
      '',
      'event: content_block_start',
      `data: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}`,
      '',
      'event: content_block_delta',
      `data: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } })}`,
      '',
      'event: error',
      `data: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}`,
      '',
      '',
    ].join('\n');
    const client = new Anthropic({
      apiKey: 'sk-ant-test-key-123456',
      baseURL: 'http://anthropic.invalid',
      fetch: async () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    });
    const overloaded = createAnthropicAdapter({ name: 'anthropic', client });

    const { parts, error } = await collectFailure(overloaded.stream(ask('Hi')));

    expect(textOf(parts)).toBe('Hel');
    expect(error).toMatchObject({ code: 'overloaded', providerCode: 'overloaded_error', retryable: true });
  });

  it('fails a stream refused with 529 before its first event as overloaded', async () => {
    emu.fail(MODEL, { status: 529 });

    const { parts, error } = await collectFailure(adapter.stream(ask('Hi')));

    expect(parts).toEqual([]);
    expect(error).toMatchObject({ code: 'overloaded', status: 529 });
  });

  it('ends a stream aborted midway with timeout, never a silent end', async () => {
    emu.respond(MODEL, { text: Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ') });
    const controller = new AbortController();
    const parts: ProviderStreamPart[] = [];

    const failure = (async () => {
      for await (const part of adapter.stream(ask('Long', { maxTokens: 4000, signal: controller.signal }))) {
        parts.push(part);
        if (parts.length === 1) controller.abort();
      }
    })();

    await expect(failure).rejects.toMatchObject({ code: 'timeout' });
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
  });
});

describe('anthropic adapter: failures', () => {
  const faults: Array<[string, EmulatedFault, Record<string, unknown>]> = [
    [
      '429 with retry-after → rate_limited with retryAfterMs',
      { status: 429, headers: { 'retry-after': '7' } },
      { code: 'rate_limited', status: 429, retryAfterMs: 7000, providerCode: 'rate_limit_error' },
    ],
    ['400 → bad_request', { status: 400 }, { code: 'bad_request', status: 400, retryable: false }],
    [
      "400 'prompt is too long' → context_length",
      {
        status: 400,
        body: {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: 'prompt is too long: 208310 tokens > 200000 maximum',
          },
        },
      },
      { code: 'context_length', status: 400 },
    ],
    ['413 request_too_large → context_length', { status: 413 }, { code: 'context_length', status: 413 }],
    ['401 → auth', { status: 401 }, { code: 'auth', status: 401, providerCode: 'authentication_error' }],
    ['403 → auth', { status: 403 }, { code: 'auth', status: 403 }],
    ['404 → not_found', { status: 404 }, { code: 'not_found', status: 404, providerCode: 'not_found_error' }],
    ['500 → server_error', { status: 500 }, { code: 'server_error', status: 500, retryable: true }],
    [
      '529 → overloaded',
      { status: 529 },
      { code: 'overloaded', status: 529, providerCode: 'overloaded_error' },
    ],
    ['503 → overloaded', { status: 503 }, { code: 'overloaded', status: 503 }],
    ['reset → connection', { reset: true }, { code: 'connection', retryable: true }],
    ['malformed body → server_error', { malformed: true }, { code: 'server_error', retryable: true }],
    ['body cut halfway → connection', { cutAfter: 1 }, { code: 'connection' }],
  ];

  it.each(faults)('maps %s, in exactly one request', async (_name, fault, expected) => {
    emu.fail(MODEL, fault);

    const error = await adapter.complete(ask('Hi')).catch((caught: unknown) => caught);

    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ provider: 'anthropic', model: MODEL, ...expected });
    expect(emu.hits()).toBe(1);
  });

  it('says what failed in the message, without the status prefix of the SDK doubled', async () => {
    emu.fail(MODEL, { status: 529 });

    const error = await adapter.complete(ask('Hi')).catch((caught: unknown) => caught);

    expect((error as Error).message).toBe(`anthropic (${MODEL}) failed with overloaded 529: Overloaded`);
  });

  it('times out a hanging call at the AbortSignal deadline, and the emulator sees the connection closed', async () => {
    emu.fail(MODEL, { hangMs: 5_000 });
    const started = Date.now();

    const error = await adapter
      .complete(ask('Hi', { signal: AbortSignal.timeout(100) }))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    await vi.waitFor(() => expect(emu.requests[0]?.clientClosed).toBe(true));
  });

  it('sends one request per failed call even through a client built with the default maxRetries', async () => {
    const client = new Anthropic({ ...emu.providers.anthropic });
    expect(client.maxRetries).toBe(2);
    const given = createAnthropicAdapter({ name: 'anthropic', client });

    for (const fault of [
      { status: 529 },
      { status: 429, headers: { 'retry-after': '0' } },
      { reset: true },
    ] as const) {
      emu.reset();
      emu.fail(MODEL, fault, fault, fault);
      await expect(given.complete(ask('Hi'))).rejects.toBeInstanceOf(ProviderError);
      expect(emu.hits()).toBe(1);
    }
    emu.reset();
    emu.fail(MODEL, { status: 500 }, { status: 500 });
    await expect(readAll(given.stream(ask('Hi')))).rejects.toMatchObject({ code: 'server_error' });
    expect(emu.hits()).toBe(1);
  });
});

describe('anthropic adapter: credentials and secrets', () => {
  it("uses a tenant's own key for its calls, and the entry's key otherwise", async () => {
    await adapter.complete(ask('Hi', { credential: { id: 't1', apiKey: 'tenant-key-1' } }));
    await adapter.complete(ask('Hi'));
    await readAll(adapter.stream(ask('Hi', { credential: { id: 't1', apiKey: 'tenant-key-1' } })));

    expect(emu.requests.map((request) => request.apiKey)).toEqual([
      'tenant-key-1',
      emu.providers.anthropic.apiKey,
      'tenant-key-1',
    ]);
  });

  it("sends a tenant's key to the host of a client it was given", async () => {
    const client = new Anthropic({ apiKey: 'given-client-key', baseURL: emu.providers.anthropic.baseURL });
    const given = createAnthropicAdapter({ name: 'anthropic', client });

    await given.complete(ask('Hi', { credential: { id: 't2', apiKey: 'tenant-key-2' } }));
    await given.complete(ask('Hi'));

    expect(emu.requests.map((request) => request.apiKey)).toEqual(['tenant-key-2', 'given-client-key']);
  });

  it('never puts an API key in an error message, even when the provider echoes it', async () => {
    const echo = (key: string): EmulatedFault => ({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${key}` } },
    });
    emu.fail(MODEL, echo(emu.providers.anthropic.apiKey), echo('tenant-key-1'));

    const entryError = await adapter.complete(ask('Hi')).catch((caught: unknown) => caught);
    const tenantError = await adapter
      .complete(ask('Hi', { credential: { id: 't1', apiKey: 'tenant-key-1' } }))
      .catch((caught: unknown) => caught);

    expect(entryError).toMatchObject({ code: 'auth' });
    expect((entryError as Error).message).toContain('invalid x-api-key: [REDACTED]');
    expect((entryError as Error).message).not.toContain(emu.providers.anthropic.apiKey);
    expect(tenantError).toMatchObject({ code: 'auth' });
    expect((tenantError as Error).message).not.toContain('tenant-key-1');
  });

  it('cleans the key of a client it was given from error messages', async () => {
    const client = new Anthropic({ apiKey: 'given-client-key', baseURL: emu.providers.anthropic.baseURL });
    const given = createAnthropicAdapter({ name: 'anthropic', client });
    emu.fail(MODEL, {
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: 'bad key given-client-key' } },
    });

    const error = await given.complete(ask('Hi')).catch((caught: unknown) => caught);

    expect((error as Error).message).not.toContain('given-client-key');
    expect(emu.requests[0]?.apiKey).toBe('given-client-key');
  });
});
