import OpenAI from 'openai';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createOpenAIAdapter } from '../../src/providers/openai/index.js';
import type { ProviderAdapter, ProviderRequest, ProviderStreamPart } from '../../src/providers/types.js';
import type { EmulatedFault } from '../../src/testing/emulator.js';
import { readAll, rejectionOf, requestBody, useEmulator } from '../support/harness.js';

const MODEL = 'gpt-4o';

const emu = useEmulator();
let adapter: ProviderAdapter;

beforeAll(() => {
  adapter = createOpenAIAdapter({ name: 'openai', ...emu.providers.openai });
});

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: MODEL, messages: [{ role: 'user', content: 'Hello there' }], maxTokens: 256, ...overrides };
}

/** The body the emulator received for request `index`. */
const sent = (index = 0) => requestBody(emu, index);

/** Runs `run` and returns what it threw, failing the test when it threw nothing or not a ProviderError. */
async function failure(run: () => Promise<unknown>): Promise<ProviderError> {
  const error = await rejectionOf(run);
  expect(ProviderError.isInstance(error)).toBe(true);
  return error as ProviderError;
}

describe('OpenAI adapter, complete()', () => {
  it('answers a plain prompt with text, a stop reason and the reported usage', async () => {
    emu.respond(MODEL, { text: 'Hi! How can I help?', usage: { inputTokens: 11, outputTokens: 6 } });
    const response = await adapter.complete(request());
    expect(response).toEqual({
      content: 'Hi! How can I help?',
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 6, cachedInputTokens: 0, totalTokens: 17 },
    });
    expect(emu.requests[0]?.stream).toBe(false);
  });

  it('reports cached prompt tokens from prompt_tokens_details', async () => {
    emu.respond(MODEL, {
      text: 'ok',
      usage: { inputTokens: 2048, outputTokens: 1, cachedInputTokens: 1024 },
    });
    const { usage } = await adapter.complete(request());
    expect(usage).toEqual({ inputTokens: 2048, outputTokens: 1, cachedInputTokens: 1024, totalTokens: 2049 });
  });

  it('sends the system prompt as a system message before the conversation', async () => {
    await adapter.complete(
      request({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hi' },
        ],
        temperature: 0.2,
      }),
    );
    expect(sent()).toMatchObject({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.2,
    });
  });

  it('caps output with max_completion_tokens for OpenAI', async () => {
    await adapter.complete(request({ maxTokens: 77 }));
    expect(sent().max_completion_tokens).toBe(77);
    expect(sent()).not.toHaveProperty('max_tokens');
  });

  it('caps output with max_tokens for openai-compatible servers, which know only that name', async () => {
    const compatible = createOpenAIAdapter({
      name: 'my-vllm',
      type: 'openai-compatible',
      ...emu.providers.openai,
    });
    expect(compatible.type).toBe('openai-compatible');
    await compatible.complete(request({ maxTokens: 77 }));
    expect(sent().max_tokens).toBe(77);
    expect(sent()).not.toHaveProperty('max_completion_tokens');
  });

  it('reports length when the answer hits the output cap', async () => {
    emu.respond(MODEL, { text: 'one two three four five' });
    const response = await adapter.complete(request({ maxTokens: 2 }));
    expect(response.content).toBe('one two ');
    expect(response.finishReason).toBe('length');
  });

  it('sends image parts as image_url, base64 data as a data: URL', async () => {
    await adapter.complete(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'image', url: 'https://example.com/cat.png' },
              { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' },
            ],
          },
        ],
      }),
    );
    expect(sent().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
    ]);
  });

  it('asks for a JSON object with response_format json_object', async () => {
    const response = await adapter.complete(request({ responseFormat: { type: 'json' } }));
    expect(sent().response_format).toEqual({ type: 'json_object' });
    expect(JSON.parse(response.content)).toMatchObject({ model: MODEL });
  });

  it('sends a JSON schema under its name, or "response" when it has none; strict only when it fits', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const closed = { ...schema, additionalProperties: false };
    await adapter.complete(request({ responseFormat: { type: 'json_schema', schema } }));
    await adapter.complete(
      request({ responseFormat: { type: 'json_schema', name: 'place', schema: closed } }),
    );
    expect(sent(0).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema, strict: false },
    });
    expect(sent(1).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'place', schema: closed, strict: true },
    });
  });

  it('sends no response_format for plain text', async () => {
    await adapter.complete(request({ responseFormat: { type: 'text' } }));
    expect(sent()).not.toHaveProperty('response_format');
  });
});

describe('OpenAI adapter, tools', () => {
  const weather = {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };

  it('sends tools as functions and a named tool choice as a function choice', async () => {
    await adapter.complete(request({ tools: [weather], toolChoice: { name: 'get_weather' } }));
    await adapter.complete(request({ tools: [weather], toolChoice: 'required' }));
    expect(sent(0).tools).toEqual([{ type: 'function', function: weather }]);
    expect(sent(0).tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(sent(1).tool_choice).toBe('required');
  });

  it('completes a tool call round trip: parsed arguments out, JSON-string arguments back', async () => {
    emu.respond(
      MODEL,
      { toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny in Paris.' },
    );
    const first = await adapter.complete(request({ tools: [weather] }));
    expect(first).toMatchObject({
      content: '',
      finishReason: 'tool_calls',
      toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: { city: 'Paris' } }],
    });

    const second = await adapter.complete(
      request({
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content, toolCalls: first.toolCalls! },
          { role: 'tool', toolCallId: 'call_abc', content: '{"sky":"sunny"}' },
        ],
      }),
    );
    expect(second.content).toBe('It is sunny in Paris.');
    expect(sent(1).messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_abc',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"sky":"sunny"}' },
    ]);
  });

  it('streams each tool call once, whole, before the finish part', async () => {
    emu.respond(MODEL, {
      toolCalls: [
        { id: 'call_1', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { id: 'call_2', name: 'get_weather', arguments: { city: 'Oslo' } },
      ],
    });
    const parts = await readAll(adapter.stream(request({ tools: [weather] })));
    expect(parts.map((part) => part.type)).toEqual(['tool-call', 'tool-call', 'finish']);
    expect(parts[0]).toEqual({
      type: 'tool-call',
      toolCall: { id: 'call_1', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
    });
    expect(parts[1]).toMatchObject({ toolCall: { id: 'call_2', arguments: { city: 'Oslo' } } });
    expect(parts[2]).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });
});

describe('OpenAI adapter, stream()', () => {
  it('yields text as it arrives and ends with one finish carrying the usage', async () => {
    emu.respond(MODEL, { text: 'Streaming works fine', usage: { inputTokens: 9, outputTokens: 3 } });
    const parts = await readAll(adapter.stream(request()));
    expect(parts).toEqual([
      { type: 'text', text: 'Streaming ' },
      { type: 'text', text: 'works ' },
      { type: 'text', text: 'fine' },
      {
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: 9, outputTokens: 3, cachedInputTokens: 0, totalTokens: 12 },
      },
    ]);
    expect(sent()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('fails with connection when the stream is cut, after yielding the text before the cut', async () => {
    emu.respond(MODEL, { text: 'one two three four five' });
    // Event 0 is the role chunk, events 1 and 2 are the first two words.
    emu.fail(MODEL, { cutAfter: 3 });
    const parts: ProviderStreamPart[] = [];
    const error = await failure(async () => {
      for await (const part of adapter.stream(request())) parts.push(part);
    });
    expect(error.code).toBe('connection');
    expect(error.retryable).toBe(true);
    expect(parts).toEqual([
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two ' },
    ]);
  });

  it('fails with server_error when a stream event is not JSON', async () => {
    emu.fail(MODEL, { malformed: true });
    const error = await failure(() => readAll(adapter.stream(request())));
    expect(error.code).toBe('server_error');
  });

  it('fails with the classified HTTP error when the stream is refused', async () => {
    emu.fail(MODEL, { status: 429, headers: { 'retry-after': '3' } });
    const error = await failure(() => readAll(adapter.stream(request())));
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 3000 });
  });

  it('fails with timeout and closes the connection when the signal fires mid-stream', async () => {
    emu.respond(MODEL, { text: 'a b c d e f g h i j k l m n o p' });
    const controller = new AbortController();
    const parts: ProviderStreamPart[] = [];
    const error = await failure(async () => {
      for await (const part of adapter.stream(request({ signal: controller.signal }))) {
        parts.push(part);
        controller.abort();
      }
    });
    expect(error.code).toBe('timeout');
    expect(parts).toEqual([{ type: 'text', text: 'a ' }]);
  });

  it('fails with timeout when the provider hangs before the stream, and closes the connection', async () => {
    emu.fail(MODEL, { hangMs: 5_000 });
    const error = await failure(() => readAll(adapter.stream(request({ signal: AbortSignal.timeout(100) }))));
    expect(error.code).toBe('timeout');
    await vi.waitFor(() => expect(emu.requests[0]?.clientClosed).toBe(true));
  });
});

describe('OpenAI adapter, failures', () => {
  const cases: Array<[string, EmulatedFault, Partial<ProviderError>]> = [
    [
      '429 with retry-after',
      { status: 429, headers: { 'retry-after': '2' } },
      { code: 'rate_limited', status: 429, retryAfterMs: 2000, providerCode: 'rate_limit_exceeded' },
    ],
    [
      '429 with retry-after-ms',
      { status: 429, headers: { 'retry-after-ms': '1500', 'retry-after': '2' } },
      { code: 'rate_limited', retryAfterMs: 1500 },
    ],
    ['400', { status: 400 }, { code: 'bad_request', status: 400, retryable: false }],
    [
      '400 context_length_exceeded',
      {
        status: 400,
        body: {
          error: {
            message: "This model's maximum context length is 128000 tokens.",
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        },
      },
      { code: 'context_length', providerCode: 'context_length_exceeded' },
    ],
    [
      '400 content_policy_violation',
      {
        status: 400,
        body: {
          error: {
            message: 'Your request was rejected as a result of our safety system.',
            type: 'invalid_request_error',
            param: null,
            code: 'content_policy_violation',
          },
        },
      },
      { code: 'content_filter' },
    ],
    ['401', { status: 401 }, { code: 'auth', providerCode: 'invalid_api_key', retryable: false }],
    ['404', { status: 404 }, { code: 'not_found', providerCode: 'model_not_found' }],
    ['500', { status: 500 }, { code: 'server_error', status: 500, retryable: true }],
    ['503', { status: 503 }, { code: 'overloaded', status: 503 }],
    ['a reset connection', { reset: true }, { code: 'connection', retryable: true }],
    ['a malformed 200 body', { malformed: true }, { code: 'server_error', retryable: true }],
    ['a 200 body cut halfway', { cutAfter: 1 }, { code: 'connection' }],
  ];

  it.each(cases)('maps %s to its code', async (_name, fault, expected) => {
    emu.fail(MODEL, fault);
    const error = await failure(() => adapter.complete(request()));
    expect(error).toMatchObject({ provider: 'openai', model: MODEL, ...expected });
    expect(emu.hits()).toBe(1);
  });

  it('fails with timeout when the provider hangs past the signal, and closes the connection', async () => {
    emu.fail(MODEL, { hangMs: 5_000 });
    const started = Date.now();
    const error = await failure(() => adapter.complete(request({ signal: AbortSignal.timeout(100) })));
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
    await vi.waitFor(() => expect(emu.requests[0]?.clientClosed).toBe(true));
  });

  it('makes exactly one request per failed call, even through a client built with default retries', async () => {
    const client = new OpenAI({ apiKey: 'sk-user-client-key-123456', baseURL: emu.providers.openai.baseURL });
    expect(client.maxRetries).toBeGreaterThan(0);
    const withClient = createOpenAIAdapter({ name: 'openai', client });
    for (const fault of [{ status: 500 }, { status: 429 }, { reset: true }] satisfies EmulatedFault[]) {
      emu.reset();
      emu.fail(MODEL, fault);
      await failure(() => withClient.complete(request()));
      expect(emu.hits()).toBe(1);
    }
    emu.reset();
    emu.fail(MODEL, { status: 503 });
    await failure(() => readAll(withClient.stream(request())));
    expect(emu.hits()).toBe(1);
  });

  it('classifies anything thrown outside a response as server_error, and keeps its own errors', () => {
    const malformed = adapter.classify(new SyntaxError('Unexpected end of JSON input'), MODEL);
    expect(malformed).toMatchObject({ code: 'server_error', provider: 'openai', model: MODEL });
    expect(adapter.classify(malformed)).toBe(malformed);
  });
});

describe('OpenAI adapter, credentials', () => {
  it("sends a tenant credential's key, and the entry's key without one", async () => {
    await adapter.complete(request({ credential: { id: 't1', apiKey: 'tenant-key-1' } }));
    await adapter.complete(request());
    await adapter.complete(request({ credential: { id: 't1', apiKey: 'tenant-key-1' } }));
    expect(emu.requests.map((r) => r.apiKey)).toEqual([
      'tenant-key-1',
      emu.providers.openai.apiKey,
      'tenant-key-1',
    ]);
  });

  it('uses a new client when a credential id gets a new key', async () => {
    await adapter.complete(request({ credential: { id: 't2', apiKey: 'tenant-key-old' } }));
    await adapter.complete(request({ credential: { id: 't2', apiKey: 'tenant-key-new' } }));
    expect(emu.requests.map((r) => r.apiKey)).toEqual(['tenant-key-old', 'tenant-key-new']);
  });

  it('never puts an API key in an error message, even when the provider echoes it', async () => {
    const echo = (key: string): EmulatedFault => ({
      status: 401,
      body: {
        error: {
          message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    });
    const tenantKey = 'tenant-key-1';
    emu.fail(MODEL, echo(tenantKey), echo(emu.providers.openai.apiKey));
    const tenantError = await failure(() =>
      adapter.complete(request({ credential: { id: 't1', apiKey: tenantKey } })),
    );
    const entryError = await failure(() => adapter.complete(request()));

    const userKey = 'user-client-key-42';
    const withClient = createOpenAIAdapter({
      name: 'openai',
      client: new OpenAI({ apiKey: userKey, baseURL: emu.providers.openai.baseURL }),
    });
    emu.fail(MODEL, echo(userKey));
    const clientError = await failure(() => withClient.complete(request()));

    expect(tenantError.code).toBe('auth');
    expect(tenantError.message).toContain('Incorrect API key provided');
    expect(tenantError.message).not.toContain(tenantKey);
    expect(entryError.message).not.toContain(emu.providers.openai.apiKey);
    expect(clientError.message).not.toContain(userKey);
  });
});

describe('emulator, OpenAI wire format', () => {
  it('sends a final usage chunk only when include_usage is asked, then [DONE]', async () => {
    const post = (body: Record<string, unknown>) =>
      fetch(`${emu.providers.openai.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          ...body,
        }),
      }).then((res) => res.text());
    const without = await post({});
    const withUsage = await post({ stream_options: { include_usage: true } });
    const dataLines = (text: string) => text.split('\n\n').filter(Boolean);
    expect(dataLines(without).at(-1)).toBe('data: [DONE]');
    expect(without).not.toContain('"prompt_tokens"');
    const usageChunk = JSON.parse(dataLines(withUsage).at(-2)!.slice('data: '.length));
    expect(usageChunk).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 5 },
    });
  });

  it('answers an invalid body with an OpenAI-shaped 400', async () => {
    const res = await fetch(`${emu.providers.openai.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: null, code: null },
    });
  });
});
