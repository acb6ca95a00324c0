import { AzureOpenAI } from 'openai';
import { createRouter, RouterError } from 'routeplane';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createAzureOpenAIAdapter } from '../../src/providers/azure-openai/index.js';
import type { ProviderAdapter, ProviderRequest } from '../../src/providers/types.js';
import {
  drain,
  readAll,
  recordAll,
  rejection,
  rejectionOf,
  requestBody,
  useEmulator,
  useRouters,
  waitFor,
} from '../support/harness.js';

/** On Azure the upstream model is the deployment name. */
const DEPLOYMENT = 'gpt-4o-eu-deployment';
const pricing = { inputPerMTok: 2.5, outputPerMTok: 10 };

const emu = useEmulator();
const routers = useRouters();
let adapter: ProviderAdapter;

beforeAll(() => {
  const { type: _type, ...options } = emu.providers.azure;
  adapter = createAzureOpenAIAdapter({ name: 'azure', ...options });
});

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    model: DEPLOYMENT,
    messages: [{ role: 'user', content: 'Hello there' }],
    maxTokens: 256,
    ...overrides,
  };
}

async function failure(run: () => Promise<unknown>): Promise<ProviderError> {
  const error = await rejectionOf(run);
  expect(ProviderError.isInstance(error)).toBe(true);
  return error as ProviderError;
}

describe('Azure OpenAI adapter, answers', () => {
  it('sends the model as the deployment in the path, with the api-version and the api-key header', async () => {
    emu.respond(DEPLOYMENT, { text: 'Hi from Sweden Central', usage: { inputTokens: 12, outputTokens: 4 } });
    const response = await adapter.complete(request());
    expect(response).toEqual({
      content: 'Hi from Sweden Central',
      finishReason: 'stop',
      usage: { inputTokens: 12, outputTokens: 4, cachedInputTokens: 0, totalTokens: 16 },
    });
    expect(emu.requests[0]).toMatchObject({ provider: 'azure', model: DEPLOYMENT, apiKey: 'emu-azure-key' });
    expect(requestBody(emu).max_completion_tokens).toBe(256);
  });

  it('streams text and ends with the usage, through the first chunk that has only prompt_filter_results', async () => {
    emu.respond(DEPLOYMENT, { text: 'Streaming from Azure', usage: { inputTokens: 9, outputTokens: 3 } });
    const parts = await readAll(adapter.stream(request()));
    expect(parts).toEqual([
      { type: 'text', text: 'Streaming ' },
      { type: 'text', text: 'from ' },
      { type: 'text', text: 'Azure' },
      {
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: 9, outputTokens: 3, cachedInputTokens: 0, totalTokens: 12 },
      },
    ]);
    expect(requestBody(emu)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('calls tools, complete and streamed, with parsed arguments', async () => {
    const weather = {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    };
    const call = { id: 'call_eu1', name: 'get_weather', arguments: { city: 'Stockholm' } };
    emu.respond(DEPLOYMENT, { toolCalls: [call] });
    const answer = await adapter.complete(request({ tools: [weather] }));
    expect(answer).toMatchObject({ content: '', finishReason: 'tool_calls', toolCalls: [call] });
    const parts = await readAll(adapter.stream(request({ tools: [weather] })));
    expect(parts.map((part) => part.type)).toEqual(['tool-call', 'finish']);
    expect(parts[0]).toEqual({ type: 'tool-call', toolCall: call });
  });

  it('asks for JSON with response_format and returns the JSON text', async () => {
    const response = await adapter.complete(request({ responseFormat: { type: 'json' } }));
    expect(requestBody(emu).response_format).toEqual({ type: 'json_object' });
    expect(JSON.parse(response.content)).toMatchObject({ model: DEPLOYMENT });
  });
});

describe('Azure OpenAI adapter, content filter', () => {
  it('an answer the output filter stopped, without a message, is an empty content_filter answer', async () => {
    emu.respond(DEPLOYMENT, { text: '', finishReason: 'content_filter' });
    const response = await adapter.complete(request());
    expect(response).toMatchObject({ content: '', finishReason: 'content_filter' });
    const parts = await readAll(adapter.stream(request()));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'content_filter' });
  });

  it('a prompt the filter flags (400 content_filter) is content_filter, final', async () => {
    emu.fail(DEPLOYMENT, { policyFlag: true });
    const error = await failure(() => adapter.complete(request()));
    expect(error).toMatchObject({
      code: 'content_filter',
      status: 400,
      providerCode: 'content_filter',
      retryable: false,
    });
  });
});

describe('Azure OpenAI adapter, failures', () => {
  it('a 429 is rate_limited with retry-after-ms as the wait', async () => {
    emu.fail(DEPLOYMENT, { status: 429, headers: { 'retry-after': '2', 'retry-after-ms': '1500' } });
    const error = await failure(() => adapter.complete(request()));
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 1500, retryable: true });
  });

  it('a 500 is server_error after exactly one request: the SDK retries are off', async () => {
    emu.fail(DEPLOYMENT, { status: 500 }, { status: 500 }, { status: 500 });
    const error = await failure(() => adapter.complete(request()));
    expect(error.code).toBe('server_error');
    expect(emu.hits(DEPLOYMENT)).toBe(1);
  });

  it('a deployment that does not exist (404 DeploymentNotFound) is not_found', async () => {
    emu.fail(DEPLOYMENT, { status: 404 });
    const error = await failure(() => adapter.complete(request()));
    expect(error).toMatchObject({ code: 'not_found', providerCode: 'DeploymentNotFound' });
  });

  it("a spent call quota (403 'Out of call volume quota') is quota_exceeded", async () => {
    emu.fail(DEPLOYMENT, { quota: true });
    expect((await failure(() => adapter.complete(request()))).code).toBe('quota_exceeded');
  });

  it('a malformed body is server_error, and a stream cut midway is connection', async () => {
    emu.fail(DEPLOYMENT, { malformed: true });
    expect((await failure(() => adapter.complete(request()))).code).toBe('server_error');
    emu.respond(DEPLOYMENT, { text: 'one two three four' });
    emu.fail(DEPLOYMENT, { cutAfter: 3 });
    const { parts, error } = await drain(adapter.stream(request()));
    expect((error as ProviderError).code).toBe('connection');
    expect(parts).toEqual([{ type: 'text', text: 'one ' }]);
  });

  it('the caller’s signal aborts the request: timeout, and the emulator sees the client go', async () => {
    emu.fail(DEPLOYMENT, { hangMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await failure(() => adapter.complete(request({ signal: controller.signal })));
    expect(error.code).toBe('timeout');
    await waitFor(() => emu.requests[0]?.clientClosed === true, { what: 'the client to close' });
  });

  it('the 401 of a key Azure echoes back names no key', async () => {
    emu.fail(DEPLOYMENT, {
      status: 401,
      body: { error: { code: '401', message: 'Access denied for key emu-azure-key.' } },
    });
    const error = await failure(() => adapter.complete(request()));
    expect(error.code).toBe('auth');
    expect(error.message).not.toContain('emu-azure-key');
  });
});

describe('Azure OpenAI credentials', () => {
  it('an Entra ID token provider’s token reaches Azure as a bearer, and never a message', async () => {
    let calls = 0;
    const entra = createAzureOpenAIAdapter({
      name: 'azure-entra',
      endpoint: emu.providers.azure.endpoint,
      azureADTokenProvider: async () => `entra-token-${++calls}`,
    });
    await entra.complete(request());
    expect(emu.requests[0]?.apiKey).toBe('entra-token-1');
    emu.fail(DEPLOYMENT, {
      status: 401,
      body: { error: { code: '401', message: 'token entra-token-2 expired' } },
    });
    const error = await failure(() => entra.complete(request()));
    expect(error.message).not.toContain('entra-token-2');
  });

  it('a token provider that throws is auth, and no request is sent', async () => {
    const broken = createAzureOpenAIAdapter({
      name: 'azure-entra',
      endpoint: emu.providers.azure.endpoint,
      azureADTokenProvider: async () => {
        throw new Error('DefaultAzureCredential failed');
      },
    });
    const error = await failure(() => broken.complete(request()));
    expect(error).toMatchObject({ code: 'auth', retryable: false });
    expect(emu.hits()).toBe(0);
  });

  it('a ready AzureOpenAI client serves, its retries off, and a tenant key gets a client of its own', async () => {
    const client = new AzureOpenAI({ ...emu.providers.azure, maxRetries: 3 });
    const given = createAzureOpenAIAdapter({ name: 'azure', client });
    emu.fail(DEPLOYMENT, { status: 500 });
    await failure(() => given.complete(request()));
    expect(emu.hits()).toBe(1);
    await given.complete(request({ credential: { id: 'acme', apiKey: 'acme-azure-key' } }));
    expect(emu.requests[1]?.apiKey).toBe('acme-azure-key');
  });

  it("a tenant's Azure key reaches Azure and appears in no event, audit or error", async () => {
    const secret = 'acme-secret-azure-key-0123456789';
    const router = createRouter({
      providers: { 'azure-eu': emu.providers.azure },
      models: [{ id: 'gpt-4o-eu', provider: 'azure-eu', model: DEPLOYMENT, region: 'eu', pricing }],
      tenants: {
        acme: { model: 'gpt-4o-eu', credentials: { 'azure-eu': { id: 'acme-azure', apiKey: secret } } },
      },
      retry: { retries: 0 },
    });
    routers.push(router);
    const log = recordAll(router);
    const result = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hej' }] });
    expect(result.provider).toBe('azure-eu');
    expect(emu.requests[0]?.apiKey).toBe(secret);
    emu.fail(DEPLOYMENT, { status: 401, body: { error: { code: '401', message: `Invalid key ${secret}` } } });
    const error = await rejection(
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hej' }] }),
    );
    expect(error.code).toBe('providers_exhausted');
    const everything = JSON.stringify([log.all, error.message, String((error as { cause?: unknown }).cause)]);
    expect(everything).toContain('acme-azure');
    expect(everything).not.toContain(secret);
  });
});

describe('azure-openai entries in createRouter', () => {
  const entry = (extra: Record<string, unknown>) => () =>
    createRouter({ providers: { az: { type: 'azure-openai', ...extra } as never } });

  it.each([
    [{ apiKey: 'k' }, 'providers.az.endpoint is required'],
    [
      { endpoint: 'https://r.openai.azure.com', apiKey: 'k', azureADTokenProvider: async () => 't' },
      'has both apiKey and azureADTokenProvider',
    ],
    [{ endpoint: 'https://r.openai.azure.com' }, 'needs an apiKey or an azureADTokenProvider'],
    [{ endpoint: 'not a url', apiKey: 'k' }, 'providers.az.endpoint'],
  ])('refuses %o naming the field and what to do', (extra, message) => {
    const error = (() => {
      try {
        entry(extra)();
      } catch (caught) {
        return caught;
      }
      throw new Error('expected invalid_config');
    })();
    expect(RouterError.isInstance(error) && error.code).toBe('invalid_config');
    expect((error as Error).message).toContain(message);
  });

  it('refuses Azure options on another type rather than ignore them', () => {
    expect(() =>
      createRouter({ providers: { openai: { apiKey: 'k', endpoint: 'https://r.openai.azure.com' } } }),
    ).toThrow("providers.openai.endpoint is an Azure OpenAI option: set type: 'azure-openai'");
  });

  it('takes emu.providers as they are, Azure included, and routes a model to the deployment', async () => {
    const router = createRouter({
      providers: emu.providers,
      models: [{ id: 'gpt-4o-eu', provider: 'azure', model: DEPLOYMENT, region: 'eu', pricing }],
      tenants: { eu: { model: 'gpt-4o-eu', allowedRegions: ['eu'] } },
    });
    routers.push(router);
    const result = await router.complete({ tenant: 'eu', messages: [{ role: 'user', content: 'Hej' }] });
    expect(result).toMatchObject({ provider: 'azure', model: 'gpt-4o-eu' });
    expect(emu.requests[0]?.provider).toBe('azure');
  });
});
