import { EventStreamCodec } from '@smithy/eventstream-codec';
import { createRouter, RouterError } from 'routeplane';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createBedrockAdapter } from '../../src/providers/anthropic-cloud/bedrock.js';
import type { ProviderAdapter, ProviderRequest, ProviderStreamPart } from '../../src/providers/types.js';
import { bedrockChunk } from '../../src/testing/wire/event-stream.js';
import { drain, readAll, recordAll, requestBody, useEmulator, useRouters } from '../support/harness.js';

const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const EU_PROFILE = 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0';

const emu = useEmulator();
const routers = useRouters();
let adapter: ProviderAdapter;

beforeAll(() => {
  adapter = createBedrockAdapter({ name: 'bedrock', ...emu.providers.bedrock! });
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

describe('anthropic-bedrock: the event-stream framing of the emulator', () => {
  it('encodes frames that the AWS codec decodes, checksums and headers included', () => {
    const codec = new EventStreamCodec(
      (bytes) => Buffer.from(bytes).toString('utf8'),
      (text) => Buffer.from(text, 'utf8'),
    );
    const data = JSON.stringify({ type: 'ping' });

    const message = codec.decode(bedrockChunk(data));

    expect(message.headers).toEqual({
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    });
    const payload = JSON.parse(Buffer.from(message.body).toString('utf8'));
    expect(Buffer.from(payload.bytes, 'base64').toString('utf8')).toBe(data);
  });
});

describe('anthropic-bedrock: requests and answers through @anthropic-ai/bedrock-sdk', () => {
  it('answers on /model/{id}/invoke, the model in the path, the API version in the body, signed with SigV4', async () => {
    const answer = await adapter.complete(ask('What is the capital of France?'));

    expect(answer).toMatchObject({
      content: `Emulated answer from ${MODEL} to: What is the capital of France?`,
      finishReason: 'stop',
    });
    expect(answer.usage.totalTokens).toBe(answer.usage.inputTokens + answer.usage.outputTokens);
    expect(emu.requests[0]).toMatchObject({
      provider: 'bedrock',
      model: MODEL,
      stream: false,
      apiKey: 'AKIAEMULATOR00000000',
    });
    expect(requestBody(emu)).not.toHaveProperty('model');
    expect(requestBody(emu).anthropic_version).toBe('bedrock-2023-05-31');
    expect(requestBody(emu).max_tokens).toBe(256);
  });

  it("sends bedrock-2023-05-31, which the SDK left to itself replaces with its own version that Bedrock's ARN-versioned models refuse", async () => {
    const { AnthropicBedrock } = await import('@anthropic-ai/bedrock-sdk');
    const bare = new AnthropicBedrock({ ...emu.providers.bedrock!, maxRetries: 0 });

    const refused = await bare.messages
      .create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const answer = await adapter.complete(ask('Hi'));

    expect(refused).toMatchObject({ status: 400 });
    expect(String(refused)).toContain('use bedrock-2023-05-31');
    expect(answer.finishReason).toBe('stop');
    // The refused request never reached a model: only the adapter's is logged.
    expect(emu.requests).toHaveLength(1);
    expect(requestBody(emu, 0).anthropic_version).toBe('bedrock-2023-05-31');
  });

  it('reaches a regional inference profile by its id', async () => {
    const answer = await adapter.complete(ask('Hi', { model: EU_PROFILE }));

    expect(answer.content).toContain(EU_PROFILE);
    expect(emu.requests[0]?.model).toBe(EU_PROFILE);
  });

  it('streams text and the usage, cache reads and writes included, from the event-stream framing', async () => {
    emu.respond(MODEL, {
      text: 'Cached and streamed',
      usage: { inputTokens: 1000, outputTokens: 3 },
      cacheReadTokens: 600,
      cacheWriteTokens: 300,
    });

    const parts = await readAll(adapter.stream(ask('Hi')));

    expect(
      parts
        .filter((p) => p.type === 'text')
        .map((p) => (p as { text: string }).text)
        .join(''),
    ).toBe('Cached and streamed');
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 1000, outputTokens: 3, cachedInputTokens: 600, cacheWriteInputTokens: 300 },
    });
    expect(emu.requests[0]).toMatchObject({ stream: true, answered: true });
  });

  it('calls tools, complete and streamed, and sends tool results back', async () => {
    const call = { id: 'toolu_bdrk_1', name: 'get_weather', arguments: { city: 'Paris' } };
    emu.respond(MODEL, { toolCalls: [call] }, { toolCalls: [call] }, { text: 'Sunny.' });

    const first = await adapter.complete(ask('Weather in Paris?', { tools, toolChoice: 'required' }));
    const streamed = await readAll(adapter.stream(ask('Weather in Paris?', { tools })));
    const second = await adapter.complete({
      model: MODEL,
      maxTokens: 256,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', toolCallId: 'toolu_bdrk_1', content: 'sunny' },
      ],
    });

    expect(first).toMatchObject({ content: '', finishReason: 'tool_calls', toolCalls: [call] });
    expect(streamed).toContainEqual({ type: 'tool-call', toolCall: call });
    expect(streamed.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
    expect(second.content).toBe('Sunny.');
    expect(requestBody(emu, 0).tool_choice).toEqual({ type: 'any' });
    expect(requestBody(emu, 2).messages).toContainEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_bdrk_1', content: 'sunny' }],
    });
  });

  it('asks for JSON and gets an answer that parses', async () => {
    const answer = await adapter.complete(ask('Hello', { responseFormat: { type: 'json' } }));

    expect(JSON.parse(answer.content)).toMatchObject({ echo: 'Hello' });
  });

  it('sends images as base64 sources', async () => {
    await adapter.complete({
      model: MODEL,
      maxTokens: 64,
      messages: [
        { role: 'user', content: [{ type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' }] },
      ],
    });

    expect(requestBody(emu).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
    ]);
  });
});

describe('anthropic-bedrock: failures', () => {
  it('classifies a ThrottlingException 429 as rate_limited, with the wait of its retry-after', async () => {
    emu.fail(MODEL, { status: 429, headers: { 'retry-after': '2' } });

    const error = await rejected(adapter.complete(ask('Hi')));

    expect(error).toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 2000,
      providerCode: 'ThrottlingException',
      retryable: true,
    });
    expect(error.message).toContain('Too many requests');
  });

  it.each([
    [{ status: 503 }, 'overloaded', 'ServiceUnavailableException'],
    [{ status: 529 }, 'overloaded', 'ServiceUnavailableException'],
    [{ status: 500 }, 'server_error', 'InternalServerException'],
    [{ status: 400 }, 'bad_request', 'ValidationException'],
    [{ status: 403 }, 'auth', 'AccessDeniedException'],
    [{ status: 404 }, 'not_found', 'ResourceNotFoundException'],
    [{ status: 408 }, 'timeout', 'ModelTimeoutException'],
    [{ quota: true as const }, 'quota_exceeded', 'ServiceQuotaExceededException'],
    [
      {
        status: 429,
        headers: {
          'x-amzn-errortype': 'ModelNotReadyException:http://internal.amazon.com/coral/com.amazon.bedrock/',
        },
        body: { message: 'Model is not ready to serve inference requests.' },
      },
      'overloaded',
      'ModelNotReadyException',
    ],
    [
      { status: 400, body: { message: 'Input is too long for requested model.' } },
      'context_length',
      'ValidationException',
    ],
  ])('classifies %j as %s (%s)', async (fault, code, providerCode) => {
    emu.fail(MODEL, fault);

    const error = await rejected(adapter.complete(ask('Hi')));

    expect(error).toMatchObject({ code, providerCode });
  });

  it('sends exactly one request on a 500: the SDK does not retry', async () => {
    emu.fail(MODEL, { status: 500 });

    await rejected(adapter.complete(ask('Hi')));
    emu.fail(MODEL, { status: 500 });
    await failure(adapter.stream(ask('Hi')));

    expect(emu.hits(MODEL)).toBe(2);
  });

  it('classifies a malformed body or chunk as server_error', async () => {
    emu.fail(MODEL, { malformed: true }, { malformed: true });

    const complete = await rejected(adapter.complete(ask('Hi')));
    const streamed = await failure(adapter.stream(ask('Hi')));

    expect(complete.code).toBe('server_error');
    expect(streamed.error.code).toBe('server_error');
  });

  it('classifies a stream cut midway as connection, after the parts already read', async () => {
    emu.respond(MODEL, { text: 'one two three four five six' });
    emu.fail(MODEL, { cutAfter: 5 });

    const { parts, error } = await failure(adapter.stream(ask('Hi')));

    expect(parts.length).toBeGreaterThan(0);
    expect(error.code).toBe('connection');
  });

  it.each([
    ['overloaded' as const, 'overloaded', 'ServiceUnavailableException'],
    ['server_error' as const, 'server_error', 'InternalServerException'],
  ])(
    'classifies a %s exception frame mid-stream as %s, without a status',
    async (kind, code, providerCode) => {
      emu.respond(MODEL, { text: 'one two three four' });
      emu.fail(MODEL, { errorEvent: kind, afterParts: 2 });

      const { parts, error } = await failure(adapter.stream(ask('Hi')));

      expect(parts).toEqual([
        { type: 'text', text: 'one ' },
        { type: 'text', text: 'two ' },
      ]);
      expect(error).toMatchObject({ code, providerCode, status: undefined });
    },
  );

  it("aborts the request when the caller's signal fires, as timeout", async () => {
    emu.fail(MODEL, { hangMs: 5_000 });
    const controller = new AbortController();
    const call = adapter.complete(ask('Hi', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);

    const error = await rejected(call);

    expect(error.code).toBe('timeout');
    await expect.poll(() => emu.requests[0]?.clientClosed).toBe(true);
  });

  it('fails with auth, final, saying what to configure, when no AWS credentials can be resolved', async () => {
    const keyless = createBedrockAdapter({
      name: 'bedrock-keyless',
      baseURL: emu.providers.bedrock!.baseURL,
      awsRegion: 'eu-central-1',
      awsCredentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
    });

    const error = await rejected(keyless.complete(ask('Hi')));

    expect(error).toMatchObject({ code: 'auth', retryable: false });
    expect(error.message).toContain('no AWS credentials could be resolved');
    expect(error.message).toContain('awsAccessKey and awsSecretKey');
    expect(emu.requests).toHaveLength(0);
  });

  it('keeps the AWS secret key and session token out of an error whose SDK message holds them', () => {
    const secretive = createBedrockAdapter({
      name: 'bedrock-secret',
      baseURL: emu.providers.bedrock!.baseURL,
      awsAccessKey: 'AKIATESTTESTTESTTEST',
      awsSecretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      awsSessionToken: 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN',
    });

    const error = secretive.classify(
      new Error(
        'signature mismatch for wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY with IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN',
      ),
      MODEL,
    );

    expect(error.message).not.toContain('wJalrXUtnFEMI');
    expect(error.message).not.toContain('IQoJb3JpZ2lu');
    expect(error.message).toContain('[REDACTED]');
  });
});

describe('anthropic-bedrock: through the router, with per-tenant AWS keys', () => {
  const models = [
    {
      id: 'claude-bedrock',
      provider: 'bedrock',
      model: EU_PROFILE,
      region: 'eu',
      pricing: { inputPerMTok: 3, outputPerMTok: 15 },
    },
  ];

  it("signs a tenant's calls with its own AWS keys, and never shows its secrets in events or errors", async () => {
    const secret = 'tenantSecretKeyAbCdEfGhIjKlMnOpQrStUvWxYz';
    const session = 'tenantSessionTokenFwoGZXIvYXdzEXAMPLE';
    const router = createRouter({
      providers: { bedrock: emu.providers.bedrock! },
      models,
      retry: { retries: 0 },
      tenants: {
        acme: {
          model: 'claude-bedrock',
          credentials: {
            bedrock: {
              id: 'acme-aws',
              apiKey: 'AKIAACMETENANT000000',
              awsSecretKey: secret,
              awsSessionToken: session,
            },
          },
        },
        globex: { model: 'claude-bedrock' },
      },
    });
    routers.push(router);
    const events = recordAll(router);

    const result = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hi' }] });
    await router.complete({ tenant: 'globex', messages: [{ role: 'user', content: 'Hi' }] });
    emu.fail(EU_PROFILE, {
      status: 400,
      body: { message: `The security token ${session} with ${secret} is invalid` },
    });
    const error = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hi' }] }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(result.message.content).toContain(EU_PROFILE);
    expect(emu.requests.map((r) => r.apiKey)).toEqual([
      'AKIAACMETENANT000000',
      'AKIAEMULATOR00000000',
      'AKIAACMETENANT000000',
    ]);
    expect(RouterError.isInstance(error)).toBe(true);
    const seen = JSON.stringify([events.all, String(error), (error as RouterError).cause?.toString()]);
    expect(seen).not.toContain(secret);
    expect(seen).not.toContain(session);
    expect(seen).toContain('acme-aws');
    // The message did reach the error, with the secrets taken out.
    expect(seen).toContain('The security token [REDACTED] with [REDACTED] is invalid');
  });

  it('routes Claude through emu.providers offline', async () => {
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { eu: { model: 'claude-bedrock' } },
    });
    routers.push(router);

    const result = await router.complete({ tenant: 'eu', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.message.content).toBe(`Emulated answer from ${EU_PROFILE} to: Hi`);
  });
});

describe('anthropic-bedrock and anthropic-vertex entries: configuration', () => {
  it.each([
    [
      { type: 'anthropic-bedrock' as const, awsAccessKey: 'AKIAONLYTHEID0000000' },
      'providers.b.awsSecretKey is required with awsAccessKey',
    ],
    [
      { type: 'anthropic-bedrock' as const, awsSessionToken: 'token-alone' },
      'providers.b.awsSessionToken needs awsAccessKey and awsSecretKey',
    ],
    [
      { type: 'anthropic-bedrock' as const, bedrockApi: 'messages' as const },
      "providers.b.awsRegion is required with bedrockApi: 'messages'",
    ],
    [
      { type: 'anthropic-vertex' as const, projectId: 'p' },
      "providers.b.location is required for an 'anthropic-vertex' provider",
    ],
    [
      { type: 'anthropic-vertex' as const, location: 'us-east5' },
      "providers.b.projectId is required for an 'anthropic-vertex' provider",
    ],
  ])('refuses %j with invalid_config naming the field', (entry, message) => {
    let caught: unknown;
    try {
      createRouter({ providers: { b: entry }, tenants: { acme: {} } });
    } catch (error) {
      caught = error;
    }

    expect(caught).toMatchObject({ code: 'invalid_config' });
    expect((caught as Error).message).toContain(message);
  });

  it('needs no apiKey: a Bedrock entry with only a region uses the default AWS chain', () => {
    const router = createRouter({
      providers: { b: { type: 'anthropic-bedrock', awsRegion: 'eu-west-3' } },
      tenants: { acme: {} },
    });
    routers.push(router);

    expect(router).toBeDefined();
  });

  it("builds a new client when a tenant's AWS secret changes under the same id and access key", async () => {
    const credential = {
      id: 'acme-aws',
      apiKey: 'AKIAROTATING00000000',
      awsSecretKey: 'first-secret-key-0001',
    };
    await adapter.complete(ask('Hi', { credential }));
    const rotated = { ...credential, awsSecretKey: 'second-secret-key-0002' };
    await adapter.complete(ask('Hi', { credential: rotated }));

    // Both signed with the tenant's key id, and the old secret is still known to redaction.
    expect(emu.requests.map((r) => r.apiKey)).toEqual(['AKIAROTATING00000000', 'AKIAROTATING00000000']);
    const error = adapter.classify(new Error('bad signature second-secret-key-0002'), MODEL);
    expect(error.message).not.toContain('second-secret-key-0002');
  });
});

describe('anthropic-bedrock: error types in every form AWS writes them', () => {
  it.each([
    [{ 'x-amzn-errortype': 'com.amazon.bedrock#ThrottlingException' }, {}],
    [{ 'x-amzn-errortype': 'ThrottlingException' }, {}],
    // An empty header stands for none: the emulator always sends one.
    [{ 'x-amzn-errortype': '' }, { __type: 'com.amazon.coral.availability#ThrottlingException' }],
  ])('reads %j %j as a ThrottlingException', async (headers, extra) => {
    emu.fail(MODEL, { status: 400, headers, body: { message: 'Too many tokens', ...extra } });

    const error = await rejected(adapter.complete(ask('Hi')));

    expect(error).toMatchObject({ code: 'rate_limited', providerCode: 'ThrottlingException' });
  });
});

describe("anthropic-bedrock with bedrockApi: 'messages' (Claude in Amazon Bedrock, AnthropicBedrockMantle)", () => {
  // The Messages API on bedrock-mantle is the Anthropic wire itself: the emulator's /anthropic serves it.
  const mantle = () =>
    createBedrockAdapter({
      name: 'bedrock-mantle',
      bedrockApi: 'messages',
      baseURL: `${emu.url}/anthropic`,
      awsRegion: 'us-east-1',
      awsAccessKey: 'AKIAMANTLE0000000000',
      awsSecretKey: 'mantle-secret-access-key-0000',
    });

  it('answers and streams on /v1/messages, the model in the body, signed with SigV4', async () => {
    const adapter = mantle();
    emu.respond('anthropic.claude-opus-4-8', { text: 'From the Messages API' });

    const answer = await adapter.complete(ask('Hi', { model: 'anthropic.claude-opus-4-8' }));
    const parts = await readAll(adapter.stream(ask('Hi', { model: 'anthropic.claude-opus-4-8' })));

    expect(answer.content).toBe('From the Messages API');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
    expect(emu.requests.map((r) => [r.provider, r.model, r.stream, r.apiKey])).toEqual([
      ['anthropic', 'anthropic.claude-opus-4-8', false, 'AKIAMANTLE0000000000'],
      ['anthropic', 'anthropic.claude-opus-4-8', true, 'AKIAMANTLE0000000000'],
    ]);
    expect(requestBody(emu)).not.toHaveProperty('anthropic_version');
  });

  it('is chosen by the entry option through createRouter', async () => {
    const router = createRouter({
      providers: {
        mantle: {
          type: 'anthropic-bedrock',
          bedrockApi: 'messages',
          awsRegion: 'us-east-1',
          baseURL: `${emu.url}/anthropic`,
          awsAccessKey: 'AKIAMANTLE0000000000',
          awsSecretKey: 'mantle-secret-access-key-0000',
        },
      },
      models: [
        {
          id: 'claude-mantle',
          provider: 'mantle',
          model: 'anthropic.claude-opus-4-8',
          pricing: { inputPerMTok: 5, outputPerMTok: 25 },
        },
      ],
      tenants: { acme: { model: 'claude-mantle' } },
    });
    routers.push(router);

    await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hi' }] });

    expect(emu.requests[0]).toMatchObject({ provider: 'anthropic', model: 'anthropic.claude-opus-4-8' });
  });

  it("signs a tenant's calls with its own keys and keeps its secret out of errors", async () => {
    const adapter = mantle();
    const credential = {
      id: 'acme-aws',
      apiKey: 'AKIAMANTLETENANT0000',
      awsSecretKey: 'tenant-mantle-secret-0001',
    };
    await adapter.complete(ask('Hi', { model: 'anthropic.claude-opus-4-8', credential }));
    emu.fail('anthropic.claude-opus-4-8', { status: 529 });

    const error = await rejected(
      adapter.complete(ask('Hi', { model: 'anthropic.claude-opus-4-8', credential })),
    );

    expect(emu.requests.map((r) => r.apiKey)).toEqual(['AKIAMANTLETENANT0000', 'AKIAMANTLETENANT0000']);
    expect(error).toMatchObject({ code: 'overloaded', status: 529 });
    expect(adapter.classify(new Error('tenant-mantle-secret-0001'), 'm').message).not.toContain(
      'tenant-mantle',
    );
  });
});
