import { Mistral } from '@mistralai/mistralai';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderError, type ProviderErrorCode } from '../../src/errors.js';
import { createMistralAdapter } from '../../src/providers/mistral/index.js';
import type { ProviderAdapter, ProviderRequest, ProviderStreamPart } from '../../src/providers/types.js';
import type { Tool } from '../../src/types.js';
import { drain, rejectionOf, requestBody, useEmulator } from '../support/harness.js';

const MODEL = 'mistral-small-latest';
const TOOL_MODEL = 'mistral-large-latest';

const weatherTool: Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const emu = useEmulator();
let mistral: ProviderAdapter;

beforeAll(() => {
  mistral = createMistralAdapter({ name: 'mistral', ...emu.providers.mistral });
});

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: MODEL, messages: [{ role: 'user', content: 'Hello there' }], maxTokens: 256, ...overrides };
}

const body = (index = 0) => requestBody(emu, index);

/** Reads a stream to its end: its parts, and the ProviderError it threw (anything else is rethrown). */
const collect = (stream: AsyncIterable<ProviderStreamPart>) => drain(stream, ProviderError.isInstance);

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await rejectionOf(promise);
  if (!ProviderError.isInstance(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

function texts(parts: ProviderStreamPart[]): string[] {
  return parts.flatMap((part) => (part.type === 'text' ? [part.text] : []));
}

// A client as a user might build it: SDK retries on, fast backoff, connection errors too.
function retryingClient(): Mistral {
  return new Mistral({
    apiKey: emu.providers.mistral.apiKey,
    serverURL: emu.providers.mistral.baseURL,
    retryConfig: {
      strategy: 'backoff',
      backoff: { initialInterval: 1, maxInterval: 5, exponent: 1.1, maxElapsedTime: 5_000 },
      retryConnectionErrors: true,
    },
  });
}

describe('Mistral adapter: answers', () => {
  it('returns the text, the stop reason and the reported usage', async () => {
    emu.respond(MODEL, { text: 'Bonjour le monde', usage: { inputTokens: 11, outputTokens: 3 } });

    const answer = await mistral.complete(request());

    expect(answer).toEqual({
      content: 'Bonjour le monde',
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 3, totalTokens: 14 },
    });
    expect(body()).toMatchObject({ model: MODEL, max_tokens: 256, stream: false });
    expect(emu.requests[0]?.apiKey).toBe('emu-mistral-key');
  });

  it('sends the system prompt and the temperature as Mistral expects them', async () => {
    await mistral.complete(
      request({
        messages: [
          { role: 'system', content: 'Answer in one word.' },
          { role: 'user', content: 'Capital of France?' },
        ],
        temperature: 0.2,
      }),
    );

    expect(body().messages).toEqual([
      { role: 'system', content: 'Answer in one word.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    expect(body().temperature).toBe(0.2);
  });

  it('reports length when max_tokens cuts the answer short', async () => {
    emu.respond(MODEL, { text: 'one two three four five' });

    const answer = await mistral.complete(request({ maxTokens: 2 }));

    expect(answer.content).toBe('one two ');
    expect(answer.finishReason).toBe('length');
  });

  it('streams one text part per token, then one finish part with the usage', async () => {
    emu.respond(MODEL, { text: 'one two three', usage: { inputTokens: 7, outputTokens: 3 } });

    const { parts, error } = await collect(mistral.stream(request()));

    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two ' },
      { type: 'text', text: 'three' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } },
    ]);
    expect(body().stream).toBe(true);
  });

  it('round-trips a tool call: parsed arguments out, the assistant call and the tool result back in', async () => {
    emu.respond(
      TOOL_MODEL,
      { toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny in Paris.' },
    );
    const question = { role: 'user' as const, content: 'Weather in Paris?' };

    const first = await mistral.complete(
      request({ model: TOOL_MODEL, messages: [question], tools: [weatherTool], toolChoice: 'required' }),
    );
    expect(first).toMatchObject({
      content: '',
      finishReason: 'tool_calls',
      toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } }],
    });
    expect(body(0).tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather in a city',
          parameters: weatherTool.parameters,
        },
      },
    ]);
    expect(body(0).tool_choice).toBe('any');

    const second = await mistral.complete(
      request({
        model: TOOL_MODEL,
        messages: [
          question,
          { role: 'assistant', content: first.content, toolCalls: first.toolCalls! },
          { role: 'tool', toolCallId: 'call_w1', content: '{"sky":"sunny"}' },
        ],
        tools: [weatherTool],
      }),
    );
    expect(second.content).toBe('It is sunny in Paris.');
    const [, assistant, tool] = body(1).messages as Record<string, unknown>[];
    expect(assistant).toMatchObject({
      role: 'assistant',
      tool_calls: [
        { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    });
    expect(assistant).not.toHaveProperty('content');
    expect(tool).toEqual({
      role: 'tool',
      tool_call_id: 'call_w1',
      name: 'get_weather',
      content: '{"sky":"sunny"}',
    });
  });

  it('streams a tool call whole and finishes with tool_calls', async () => {
    emu.respond(TOOL_MODEL, {
      toolCalls: [{ id: 'call_s1', name: 'get_weather', arguments: { city: 'Lyon' } }],
    });

    const { parts } = await collect(
      mistral.stream(
        request({ model: TOOL_MODEL, tools: [weatherTool], toolChoice: { name: 'get_weather' } }),
      ),
    );

    expect(parts.map((part) => part.type)).toEqual(['tool-call', 'finish']);
    expect(parts[0]).toEqual({
      type: 'tool-call',
      toolCall: { id: 'call_s1', name: 'get_weather', arguments: { city: 'Lyon' } },
    });
    expect(parts[1]).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
    expect(body().tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
  });

  it('sends image parts as image_url chunks, inline data as a data: URL', async () => {
    await mistral.complete(
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

    expect(body().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: 'https://example.com/cat.png' },
          { type: 'image_url', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
        ],
      },
    ]);
  });

  it('asks for JSON mode with json_object and gets JSON back', async () => {
    const answer = await mistral.complete(request({ responseFormat: { type: 'json' } }));

    expect(body().response_format).toEqual({ type: 'json_object' });
    expect(JSON.parse(answer.content)).toMatchObject({ model: MODEL });
  });

  it('sends a json_schema format with its name and schema, strict only when the schema fits strict mode', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } };

    await mistral.complete(request({ responseFormat: { type: 'json_schema', name: 'place', schema } }));

    expect(body().response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'place', schema, strict: false },
    });
  });
});

describe('Mistral adapter: failures', () => {
  it.each<[number, ProviderErrorCode, string]>([
    [400, 'bad_request', `emulated 400 for ${MODEL}`],
    [401, 'auth', 'Unauthorized'],
    [404, 'not_found', `emulated 404 for ${MODEL}`],
    [422, 'bad_request', `emulated 422 for ${MODEL}`],
    [429, 'rate_limited', 'Rate limit exceeded'],
    [500, 'server_error', `emulated 500 for ${MODEL}`],
    [503, 'overloaded', 'Service tier capacity exceeded for this model.'],
  ])('classifies an HTTP %i as %s', async (status, code, said) => {
    emu.fail(MODEL, { status });

    const error = await rejection(mistral.complete(request()));

    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.provider).toBe('mistral');
    expect(error.message).toContain(said);
  });

  it('reads a 429 retry-after into retryAfterMs and keeps Mistral type as the provider code', async () => {
    emu.fail(MODEL, { status: 429, headers: { 'retry-after': '2' } });

    const error = await rejection(mistral.complete(request()));

    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 2000, providerCode: 'rate_limited' });
  });

  it('classifies a 400 about the context window as context_length', async () => {
    emu.fail(MODEL, {
      status: 400,
      body: {
        object: 'error',
        message: 'Prompt contains 40000 tokens, too large for model with 32768 maximum context length',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });

    expect((await rejection(mistral.complete(request()))).code).toBe('context_length');
  });

  it('words a 422 validation error from its detail list', async () => {
    emu.fail(MODEL, {
      status: 422,
      body: {
        object: 'error',
        message: { detail: [{ type: 'missing', loc: ['body', 'messages'], msg: 'Field required' }] },
        type: 'invalid_request_message_error',
        param: null,
        code: null,
      },
    });

    const error = await rejection(mistral.complete(request()));

    expect(error.code).toBe('bad_request');
    expect(error.message).toContain('body.messages: Field required');
  });

  it('classifies a reset connection as connection, called or streamed', async () => {
    emu.fail(MODEL, { reset: true }, { reset: true });

    expect((await rejection(mistral.complete(request()))).code).toBe('connection');
    const { parts, error } = await collect(mistral.stream(request()));
    expect(parts).toEqual([]);
    expect(error?.code).toBe('connection');
  });

  it('classifies a malformed 200 as server_error, called or streamed', async () => {
    emu.fail(MODEL, { malformed: true }, { malformed: true });

    expect((await rejection(mistral.complete(request()))).code).toBe('server_error');
    const { error } = await collect(mistral.stream(request()));
    expect(error?.code).toBe('server_error');
  });

  it('classifies a body cut halfway as connection', async () => {
    emu.fail(MODEL, { cutAfter: 1 });

    expect((await rejection(mistral.complete(request()))).code).toBe('connection');
  });

  it('yields the text sent before a stream is cut, then fails with connection', async () => {
    emu.respond(MODEL, { text: 'alpha beta gamma delta' });
    emu.fail(MODEL, { cutAfter: 3 }); // the role chunk and two tokens

    const { parts, error } = await collect(mistral.stream(request()));

    expect(texts(parts)).toEqual(['alpha ', 'beta ']);
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(error?.code).toBe('connection');
  });

  it('classifies a provider that hangs past the signal deadline as timeout', async () => {
    emu.fail(MODEL, { hangMs: 5_000 }, { hangMs: 5_000 });

    const error = await rejection(mistral.complete(request({ signal: AbortSignal.timeout(100) })));
    expect(error.code).toBe('timeout');
    const streamed = await collect(mistral.stream(request({ signal: AbortSignal.timeout(100) })));
    expect(streamed.error?.code).toBe('timeout');
  });

  it('closes the connection when the call is aborted', async () => {
    emu.fail(MODEL, { hangMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const error = await rejection(mistral.complete(request({ signal: controller.signal })));

    expect(error.code).toBe('timeout');
    await vi.waitFor(() => expect(emu.requests[0]?.clientClosed).toBe(true));
  });

  it('never puts the API key in an error message, even when the provider echoes it', async () => {
    const key = emu.providers.mistral.apiKey;
    emu.fail(MODEL, {
      status: 401,
      body: {
        object: 'error',
        message: `Invalid API key ${key}`,
        type: 'unauthorized',
        param: null,
        code: null,
      },
    });

    const error = await rejection(mistral.complete(request()));

    expect(error.code).toBe('auth');
    expect(error.message).not.toContain(key);
    expect(error.message).toContain('[REDACTED]');
  });

  it('keeps the key of a user-supplied client out of error messages too', async () => {
    const key = 'user-client-key-42';
    const adapter = createMistralAdapter({
      name: 'mistral',
      client: new Mistral({ apiKey: key, serverURL: emu.providers.mistral.baseURL }),
    });
    emu.fail(MODEL, {
      status: 401,
      body: { object: 'error', message: `Invalid API key ${key}`, type: 'unauthorized' },
    });

    const error = await rejection(adapter.complete(request()));

    expect(emu.requests[0]?.apiKey).toBe(key);
    expect(error.message).not.toContain(key);
  });
});

describe('Mistral adapter: retries and credentials', () => {
  it('would let a client built with retries retry on its own (the control case)', async () => {
    emu.fail(MODEL, { status: 500 }, { status: 500 });

    await retryingClient().chat.complete({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });

    expect(emu.hits()).toBe(3);
  });

  it('makes exactly one HTTP call per failed attempt, even through a client built with retries', async () => {
    const adapter = createMistralAdapter({ name: 'mistral', client: retryingClient() });
    emu.fail(MODEL, { status: 500 }, { status: 500 });

    expect((await rejection(adapter.complete(request()))).code).toBe('server_error');
    expect(emu.hits()).toBe(1);
  });

  it('makes exactly one HTTP call per failed stream, connection errors included', async () => {
    const adapter = createMistralAdapter({ name: 'mistral', client: retryingClient() });
    emu.fail(MODEL, { reset: true }, { reset: true });

    const { error } = await collect(adapter.stream(request()));

    expect(error?.code).toBe('connection');
    expect(emu.hits()).toBe(1);
  });

  it('sends a tenant credential key instead of the entry key', async () => {
    await mistral.complete(request({ credential: { id: 't1', apiKey: 'tenant-key-1' } }));
    await mistral.complete(request());
    await mistral.complete(request({ credential: { id: 't1', apiKey: 'tenant-key-1' } }));

    expect(emu.requests.map((received) => received.apiKey)).toEqual([
      'tenant-key-1',
      'emu-mistral-key',
      'tenant-key-1',
    ]);
  });

  it('keeps a tenant key out of the error message when the provider echoes it', async () => {
    emu.fail(MODEL, {
      status: 401,
      body: {
        object: 'error',
        message: 'Invalid API key tenant-key-2',
        type: 'unauthorized',
        param: null,
        code: null,
      },
    });

    const error = await rejection(
      mistral.complete(request({ credential: { id: 't2', apiKey: 'tenant-key-2' } })),
    );

    expect(error.message).not.toContain('tenant-key-2');
  });
});
