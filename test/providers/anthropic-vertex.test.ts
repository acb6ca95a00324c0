import { createRouter, RouterError } from 'routeplane';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createVertexAdapter } from '../../src/providers/anthropic-cloud/vertex.js';
import type { ProviderAdapter, ProviderRequest, ProviderStreamPart } from '../../src/providers/types.js';
import { drain, readAll, recordAll, requestBody, useEmulator, useRouters } from '../support/harness.js';

const MODEL = 'claude-sonnet-4-5@20250929';

const emu = useEmulator();
const routers = useRouters();
let adapter: ProviderAdapter;

beforeAll(() => {
  adapter = createVertexAdapter({ name: 'vertex', ...emu.providers.vertex! });
});

function ask(text: string, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: MODEL, maxTokens: 256, messages: [{ role: 'user', content: text }], ...extra };
}

async function failure(parts: AsyncIterable<ProviderStreamPart>) {
  const read = await drain(parts);
  if (!('error' in read) || read.error === undefined) throw new Error('the stream did not fail');
  return { parts: read.parts, error: read.error as ProviderError };
}

async function rejected(call: Promise<unknown>): Promise<ProviderError> {
  try {
    await call;
  } catch (error) {
    if (ProviderError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const tools = [
  {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

describe('anthropic-vertex: requests and answers through @anthropic-ai/vertex-sdk', () => {
  it('answers on :rawPredict, the model in the path, the API version in the body, with the bearer token', async () => {
    const answer = await adapter.complete(ask('What is the capital of France?'));

    expect(answer).toMatchObject({
      content: `Emulated answer from ${MODEL} to: What is the capital of France?`,
      finishReason: 'stop',
    });
    expect(emu.requests[0]).toMatchObject({
      provider: 'vertex',
      model: MODEL,
      stream: false,
      apiKey: 'emu-vertex-access-token',
    });
    expect(requestBody(emu)).not.toHaveProperty('model');
    expect(requestBody(emu).anthropic_version).toBe('vertex-2023-10-16');
  });

  it('streams text, tool calls and the usage with cache reads and writes on :streamRawPredict', async () => {
    const call = { id: 'toolu_vrtx_1', name: 'get_weather', arguments: { city: 'Rome' } };
    emu.respond(MODEL, {
      text: 'Let me check.',
      toolCalls: [call],
      usage: { inputTokens: 500, outputTokens: 9 },
      cacheReadTokens: 200,
      cacheWriteTokens: 100,
    });

    const parts = await readAll(adapter.stream(ask('Weather in Rome?', { tools })));

    expect(
      parts
        .filter((p) => p.type === 'text')
        .map((p) => (p as { text: string }).text)
        .join(''),
    ).toBe('Let me check.');
    expect(parts).toContainEqual({ type: 'tool-call', toolCall: call });
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'tool_calls',
      usage: { inputTokens: 500, outputTokens: 9, cachedInputTokens: 200, cacheWriteInputTokens: 100 },
    });
    expect(emu.requests[0]).toMatchObject({ stream: true, answered: true });
  });

  it('calls tools in a complete answer and asks for JSON', async () => {
    const call = { id: 'toolu_vrtx_2', name: 'get_weather', arguments: { city: 'Oslo' } };
    emu.respond(MODEL, { toolCalls: [call] });

    const answer = await adapter.complete(ask('Weather in Oslo?', { tools, toolChoice: 'required' }));
    emu.reset();
    const json = await adapter.complete(ask('Hello', { responseFormat: { type: 'json' } }));

    expect(answer).toMatchObject({ finishReason: 'tool_calls', toolCalls: [call] });
    expect(JSON.parse(json.content)).toMatchObject({ echo: 'Hello' });
  });
});

describe('anthropic-vertex: failures', () => {
  it.each([
    [{ status: 429 }, 'rate_limited', 'RESOURCE_EXHAUSTED'],
    [{ status: 403 }, 'auth', 'PERMISSION_DENIED'],
    [{ status: 401 }, 'auth', 'UNAUTHENTICATED'],
    [{ status: 404 }, 'not_found', 'NOT_FOUND'],
    [{ status: 529 }, 'overloaded', 'overloaded_error'],
    [{ status: 500 }, 'server_error', 'api_error'],
    [{ status: 400 }, 'bad_request', 'invalid_request_error'],
  ])('classifies %j as %s (%s)', async (fault, code, providerCode) => {
    emu.fail(MODEL, fault);

    const error = await rejected(adapter.complete(ask('Hi')));

    expect(error).toMatchObject({ code, providerCode });
  });

  it('takes the wait of a 429 from its retry-after', async () => {
    emu.fail(MODEL, { status: 429, headers: { 'retry-after': '3' } });

    const error = await rejected(adapter.complete(ask('Hi')));

    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 3000, status: 429 });
    expect(error.message).toContain('Quota exceeded for aiplatform.googleapis.com');
  });

  it('sends exactly one request on a 500: the SDK does not retry', async () => {
    emu.fail(MODEL, { status: 500 }, { status: 500 });

    await rejected(adapter.complete(ask('Hi')));
    await failure(adapter.stream(ask('Hi')));

    expect(emu.hits(MODEL)).toBe(2);
  });

  it('classifies a malformed answer as server_error and a cut stream as connection', async () => {
    emu.respond(MODEL, { text: 'one two three four five' });
    emu.fail(MODEL, { malformed: true }, { cutAfter: 5 });

    const malformed = await rejected(adapter.complete(ask('Hi')));
    const cut = await failure(adapter.stream(ask('Hi')));

    expect(malformed.code).toBe('server_error');
    expect(cut.error.code).toBe('connection');
  });

  it('classifies an overloaded error event mid-stream as overloaded, after the parts before it', async () => {
    emu.respond(MODEL, { text: 'one two three' });
    emu.fail(MODEL, { errorEvent: 'overloaded', afterParts: 1 });

    const { parts, error } = await failure(adapter.stream(ask('Hi')));

    expect(parts).toEqual([{ type: 'text', text: 'one ' }]);
    expect(error).toMatchObject({ code: 'overloaded', status: undefined });
  });

  it("aborts the request when the caller's signal fires, as timeout", async () => {
    emu.fail(MODEL, { hangMs: 5_000 });
    const controller = new AbortController();
    const call = adapter.complete(ask('Hi', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);

    expect((await rejected(call)).code).toBe('timeout');
    await expect.poll(() => emu.requests[0]?.clientClosed).toBe(true);
  });

  it('fails with auth, final, saying what to configure, when Google credentials cannot be acquired', async () => {
    const failing = createVertexAdapter({
      name: 'vertex-adc',
      baseURL: emu.providers.vertex!.baseURL,
      projectId: 'p',
      location: 'europe-west1',
      googleAuth: { getClient: () => Promise.reject(new Error('Could not load the default credentials.')) },
    });

    const error = await rejected(failing.complete(ask('Hi')));

    expect(error).toMatchObject({ code: 'auth', retryable: false });
    expect(error.message).toContain('no Google credentials could be acquired');
    expect(error.message).toContain('set accessToken (or googleAuth) on providers.vertex-adc');
    expect(emu.requests).toHaveLength(0);
  });

  it('keeps the access token out of an error whose SDK message holds it', () => {
    const error = adapter.classify(new Error('token emu-vertex-access-token was refused'), MODEL);

    expect(error.message).not.toContain('emu-vertex-access-token');
    expect(error.message).toContain('[REDACTED]');
  });
});

describe('anthropic-vertex: through the router, with per-tenant access tokens', () => {
  const models = [
    {
      id: 'claude-vertex',
      provider: 'vertex',
      model: MODEL,
      region: 'eu',
      pricing: { inputPerMTok: 3, outputPerMTok: 15 },
    },
  ];

  it("sends a tenant's own access token, and never shows it in events or errors", async () => {
    const token = 'ya29.tenantAccessTokenAbCdEfGhIjKlMnOp';
    const router = createRouter({
      providers: { vertex: emu.providers.vertex! },
      models,
      retry: { retries: 0 },
      tenants: {
        acme: { model: 'claude-vertex', credentials: { vertex: { id: 'acme-gcp', apiKey: token } } },
      },
    });
    routers.push(router);
    const events = recordAll(router);

    const result = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hi' }] });
    emu.fail(MODEL, {
      status: 403,
      body: { error: { code: 403, message: `token ${token} denied`, status: 'PERMISSION_DENIED' } },
    });
    const error = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hi' }] }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(result.message.content).toContain(MODEL);
    expect(emu.requests.map((r) => r.apiKey)).toEqual([token, token]);
    expect(RouterError.isInstance(error)).toBe(true);
    const seen = JSON.stringify([events.all, String(error), (error as RouterError).cause?.toString()]);
    expect(seen).not.toContain('tenantAccessToken');
    expect(seen).toContain('denied');
    expect(seen).toContain('acme-gcp');
  });
});
