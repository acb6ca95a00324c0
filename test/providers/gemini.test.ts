import { GoogleGenAI } from '@google/genai';
import { createRouter } from 'routeplane';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createGeminiAdapter } from '../../src/providers/gemini/index.js';
import { createAdapter } from '../../src/providers/index.js';
import type { ProviderAdapter, ProviderRequest, ProviderStreamPart } from '../../src/providers/types.js';
import type { Tool } from '../../src/types.js';
import {
  drain,
  recordAll,
  rejectionOf,
  requestBody,
  rejection as routerRejection,
  useEmulator,
  useRouters,
} from '../support/harness.js';

const MODEL = 'gemini-3.8-flash';

const weatherTool: Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const emu = useEmulator();
const routers = useRouters();
let gemini: ProviderAdapter;

beforeAll(() => {
  gemini = createGeminiAdapter({ name: 'gemini', ...emu.providers.gemini! });
});

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: MODEL, messages: [{ role: 'user', content: 'Hello there' }], maxTokens: 256, ...overrides };
}

const body = (index = 0) => requestBody(emu, index);
const collect = (stream: AsyncIterable<ProviderStreamPart>) => drain(stream, ProviderError.isInstance);

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await rejectionOf(promise);
  if (!ProviderError.isInstance(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('Gemini adapter: answers through @google/genai', () => {
  it('returns the text, the stop reason and usage with thinking tokens as reasoning', async () => {
    emu.respond(MODEL, {
      text: 'Bonjour le monde',
      usage: { inputTokens: 11, outputTokens: 9 },
      reasoningTokens: 6,
    });

    const answer = await gemini.complete(request({ temperature: 0.2 }));

    expect(answer).toEqual({
      content: 'Bonjour le monde',
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 9, reasoningTokens: 6, totalTokens: 20 },
    });
    expect(emu.requests[0]).toMatchObject({
      provider: 'gemini',
      model: MODEL,
      stream: false,
      apiKey: 'emu-gemini-key',
    });
    expect(body().generationConfig).toMatchObject({ maxOutputTokens: 256, temperature: 0.2 });
  });

  it('sends system messages as systemInstruction and assistant turns with the model role', async () => {
    await gemini.complete(
      request({
        messages: [
          { role: 'system', content: 'Answer in one word.' },
          { role: 'user', content: 'Capital of France?' },
          { role: 'assistant', content: 'Paris.' },
          { role: 'user', content: 'And Italy?' },
        ],
      }),
    );

    expect(body().systemInstruction).toMatchObject({ parts: [{ text: 'Answer in one word.' }] });
    expect(body().contents).toEqual([
      { role: 'user', parts: [{ text: 'Capital of France?' }] },
      { role: 'model', parts: [{ text: 'Paris.' }] },
      { role: 'user', parts: [{ text: 'And Italy?' }] },
    ]);
  });

  it('reads cached prompt tokens and reports length when maxOutputTokens cuts the answer', async () => {
    emu.respond(MODEL, { text: 'one two three four five', cacheReadTokens: 4, usage: { inputTokens: 10 } });

    const answer = await gemini.complete(request({ maxTokens: 2 }));

    expect(answer.content).toBe('one two ');
    expect(answer.finishReason).toBe('length');
    expect(answer.usage).toMatchObject({ inputTokens: 10, cachedInputTokens: 4 });
  });

  it('streams one text part per chunk, then one finish with the usage of the last chunk', async () => {
    emu.respond(MODEL, { text: 'one two three', usage: { inputTokens: 7, outputTokens: 3 } });

    const { parts, error } = await collect(gemini.stream(request()));

    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two ' },
      { type: 'text', text: 'three' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } },
    ]);
    expect(emu.requests[0]?.stream).toBe(true);
  });

  it('round-trips a tool call: an id made for it, the call with its thought signature and the result back by name and id', async () => {
    emu.respond(
      MODEL,
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'Sunny.' },
    );
    const question = { role: 'user' as const, content: 'Weather in Paris?' };

    const first = await gemini.complete(
      request({ messages: [question], tools: [weatherTool], toolChoice: 'required' }),
    );
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_/), name: 'get_weather', arguments: { city: 'Paris' } },
    ]);
    expect(body(0).tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Current weather in a city',
            parametersJsonSchema: weatherTool.parameters,
          },
        ],
      },
    ]);
    expect(body(0).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });

    const id = first.toolCalls![0]!.id;
    const second = await gemini.complete(
      request({
        messages: [
          question,
          { role: 'assistant', content: '', toolCalls: first.toolCalls! },
          { role: 'tool', toolCallId: id, content: '{"sky":"sunny"}' },
        ],
        tools: [weatherTool],
      }),
    );
    expect(second.content).toBe('Sunny.');
    const [, model, tool] = body(1).contents as Array<{ role: string; parts: Record<string, unknown>[] }>;
    expect(model?.role).toBe('model');
    expect(model?.parts[0]).toMatchObject({
      functionCall: { id, name: 'get_weather', args: { city: 'Paris' } },
      thoughtSignature: expect.stringMatching(/^[A-Za-z0-9+/=]{20,}$/),
    });
    expect(model?.parts[0]?.thoughtSignature).not.toBe('skip_thought_signature_validator');
    expect(tool).toEqual({
      role: 'user',
      parts: [{ functionResponse: { id, name: 'get_weather', response: { sky: 'sunny' } } }],
    });
  });

  it('keeps an id Gemini gave, streams calls whole, and sends the placeholder signature for an unknown call', async () => {
    emu.respond(MODEL, { toolCalls: [{ id: 'gem-1', name: 'get_weather', arguments: { city: 'Lyon' } }] });

    const { parts } = await collect(
      gemini.stream(
        request({
          messages: [
            { role: 'user', content: 'Earlier?' },
            {
              role: 'assistant',
              toolCalls: [{ id: 'toolu_other', name: 'get_weather', arguments: { city: 'Nice' } }],
            },
            { role: 'tool', toolCallId: 'toolu_other', content: 'rain' },
          ],
          tools: [weatherTool],
          toolChoice: { name: 'get_weather' },
        }),
      ),
    );

    expect(parts).toEqual([
      { type: 'tool-call', toolCall: { id: 'gem-1', name: 'get_weather', arguments: { city: 'Lyon' } } },
      expect.objectContaining({ type: 'finish', finishReason: 'tool_calls' }),
    ]);
    const contents = body().contents as Array<{ parts: Record<string, unknown>[] }>;
    expect(contents[1]?.parts[0]?.thoughtSignature).toBe('skip_thought_signature_validator');
    expect(contents[2]?.parts[0]).toEqual({
      functionResponse: { id: 'toolu_other', name: 'get_weather', response: { output: 'rain' } },
    });
    expect(body().toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
  });

  it('asks for JSON with responseMimeType, and for a schema with responseJsonSchema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    const answer = await gemini.complete(request({ responseFormat: { type: 'json_schema', schema } }));

    expect(JSON.parse(answer.content)).toMatchObject({ model: MODEL });
    expect(body().generationConfig).toMatchObject({
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    });

    await gemini.complete(request({ responseFormat: { type: 'json' } }));
    expect(body(1).generationConfig).toMatchObject({ responseMimeType: 'application/json' });
    expect(body(1).generationConfig).not.toHaveProperty('responseJsonSchema');
  });

  it('sends inline images as inlineData and URLs as fileData, fetching nothing', async () => {
    await gemini.complete(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' },
              { type: 'image', url: 'data:image/jpeg;base64,/9j/4AAQ' },
              { type: 'image', url: 'https://example.com/cat.webp?size=2' },
            ],
          },
        ],
      }),
    );

    expect((body().contents as Array<{ parts: unknown[] }>)[0]?.parts).toEqual([
      { text: 'What is in these?' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } },
      { fileData: { fileUri: 'https://example.com/cat.webp?size=2', mimeType: 'image/webp' } },
    ]);
  });

  it('maps a SAFETY stop to content_filter, and a blocked prompt to a content_filter failure', async () => {
    emu.fail(MODEL, { refusal: 'no' });
    const answer = await gemini.complete(request());
    expect(answer).toMatchObject({ content: '', finishReason: 'content_filter' });

    emu.fail(MODEL, { policyFlag: true });
    const error = await rejection(gemini.complete(request()));
    expect(error).toMatchObject({
      code: 'content_filter',
      retryable: false,
      providerCode: 'PROHIBITED_CONTENT',
    });
  });
});

describe('Gemini adapter: faults', () => {
  it('a 429 is rate_limited and waits the RetryInfo delay', async () => {
    emu.fail(MODEL, { status: 429 });
    const error = await rejection(gemini.complete(request()));
    expect(error).toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 1000,
      retryable: true,
      providerCode: 'RESOURCE_EXHAUSTED',
    });
    expect(error.message).toContain('You exceeded your current quota');
  });

  it('a spent prepaid balance is quota_exceeded, not rate_limited', async () => {
    emu.fail(MODEL, { quota: true });
    expect((await rejection(gemini.complete(request()))).code).toBe('quota_exceeded');
  });

  it.each([
    [500, 'server_error'],
    [503, 'overloaded'],
    [404, 'not_found'],
    [403, 'auth'],
    [400, 'bad_request'],
  ] as const)('a %i is %s', async (status, code) => {
    emu.fail(MODEL, { status });
    expect((await rejection(gemini.complete(request()))).code).toBe(code);
  });

  it('sends exactly one request on a 500, even from a client built with SDK retries', async () => {
    const retrying = new GoogleGenAI({
      apiKey: 'emu-gemini-key',
      httpOptions: {
        baseUrl: emu.providers.gemini!.baseURL,
        retryOptions: { attempts: 4, initialDelay: 0.001, maxDelay: 0.002 },
      },
    });
    const adapter = createGeminiAdapter({ name: 'gemini', client: retrying });
    emu.fail(MODEL, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });

    expect((await rejection(adapter.complete(request()))).code).toBe('server_error');
    expect(emu.hits(MODEL)).toBe(1);

    // Without our per-request override that client does retry: the test can fail.
    emu.reset();
    emu.fail(MODEL, { status: 500 }, { status: 500 });
    await retrying.models.generateContent({ model: MODEL, contents: 'hi' });
    expect(emu.hits(MODEL)).toBe(3);
  });

  it('a malformed body is server_error, complete or streamed', async () => {
    emu.fail(MODEL, { malformed: true }, { malformed: true });
    expect((await rejection(gemini.complete(request()))).code).toBe('server_error');
    const { error } = await collect(gemini.stream(request()));
    expect(error?.code).toBe('server_error');
  });

  it('a stream cut midway is connection, after the parts that came', async () => {
    emu.respond(MODEL, { text: 'one two three four' });
    emu.fail(MODEL, { cutAfter: 2 });
    const { parts, error } = await collect(gemini.stream(request()));
    expect(parts).toEqual([
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two ' },
    ]);
    expect(error?.code).toBe('connection');
  });

  it('an error event mid-stream is classified by its code', async () => {
    emu.respond(MODEL, { text: 'one two three' });
    emu.fail(MODEL, { errorEvent: 'overloaded', afterParts: 1 });
    const { parts, error } = await collect(gemini.stream(request()));
    expect(parts).toEqual([{ type: 'text', text: 'one ' }]);
    expect(error).toMatchObject({ code: 'overloaded', status: 503 });
  });

  it("the caller's signal aborts the request: timeout, and the emulator sees the connection close", async () => {
    emu.fail(MODEL, { hangMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(gemini.complete(request({ signal: controller.signal })));
    expect(error.code).toBe('timeout');
    await expect.poll(() => emu.requests[0]?.clientClosed).toBe(true);
  });
});

describe('Gemini through the router', () => {
  it("sends a tenant's own key, and keeps every key out of events and errors", async () => {
    const tenantKey = 'AIzaTenantSecretKey0123456789abcdef';
    const router = createRouter({
      providers: { gemini: emu.providers.gemini! },
      tenants: { acme: { model: MODEL, credentials: { gemini: { id: 'acme-gemini', apiKey: tenantKey } } } },
      retry: { retries: 0 },
    });
    routers.push(router);
    const events = recordAll(router);

    const result = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hi' }] });
    expect(result.provider).toBe('gemini');
    expect(emu.requests[0]?.apiKey).toBe(tenantKey);

    // Gemini echoes a bad key in its 400; the message must not carry it.
    emu.fail(MODEL, {
      status: 400,
      body: {
        error: {
          code: 400,
          message: `API key not valid. Please pass a valid API key. (key=${tenantKey})`,
          status: 'INVALID_ARGUMENT',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
        },
      },
    });
    const error = await routerRejection(
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    const cause = (error as { cause?: unknown }).cause;
    expect(cause).toMatchObject({ code: 'auth' });
    const seen = JSON.stringify([events.all, error.message, String(cause), (cause as Error).message]);
    expect(seen).not.toContain(tenantKey);
    expect(seen).not.toContain('emu-gemini-key');
    expect(seen).toContain('acme-gemini');
  });

  it('validates the entry: Vertex AI options without vertexai, a wrong client', () => {
    expect(() => createAdapter('g', { type: 'gemini', apiKey: 'k', project: 'p' })).toThrow(
      /providers\.g\.project is for Gemini on Vertex AI/,
    );
    expect(() => createAdapter('g', { type: 'gemini', client: {} })).toThrow(
      /providers\.g\.client is not a GoogleGenAI client/,
    );
    expect(() => createAdapter('g', { type: 'gemini' })).toThrow(/needs an apiKey/);
    expect(
      createAdapter('g', { type: 'gemini', vertexai: true, project: 'p', location: 'europe-west4' }).type,
    ).toBe('gemini');
  });
});
