import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatOpenAI } from '@langchain/openai';
import fc from 'fast-check';
import { Hono } from 'hono';
import OpenAI from 'openai';
import { createRouter, type Router } from 'routeplane';
import { createHandler, type HandlerOptions, toNodeListener } from 'routeplane/http';
import { afterEach, describe, expect, it } from 'vitest';
import { useEmulator, waitFor } from './support/harness.js';

const emu = useEmulator();

const KEYS: Record<string, string> = {
  'key-acme': 'acme',
  'key-locked': 'locked',
  'key-ghost': 'ghost',
  'key-tight': 'tight',
};
const tenantOf: HandlerOptions['tenantOf'] = (req) =>
  KEYS[req.headers.get('authorization')?.replace(/^Bearer /, '') ?? ''];

function newRouter(): Router {
  return createRouter({
    providers: emu.providers,
    tenants: {
      acme: { strategy: 'lowest_cost' },
      locked: { allowedModels: ['claude-sonnet-5-5', 'gpt-6.1-terra'], strategy: 'balanced' },
      tight: { strategy: 'lowest_cost', rateLimit: { requestsPerMinute: 1 } },
    },
  });
}

const servers: Server[] = [];
const routers: Router[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  for (const router of routers.splice(0)) await router.close();
});

/** The handler on node:http on a free loopback port; returns its `/v1` base URL. */
async function serve(router = newRouter(), options: Partial<HandlerOptions> = {}): Promise<string> {
  routers.push(router);
  const server = createServer(toNodeListener(createHandler(router, { tenantOf, ...options })));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const client = (baseURL: string, apiKey = 'key-acme') => new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const hello = [{ role: 'user' as const, content: 'Hello there' }];

describe('routeplane/http with the openai SDK', () => {
  it('answers a chat completion with the served catalog id and routeplane headers', async () => {
    const openai = client(await serve());
    emu.respond('*', { text: 'Hi from the router', usage: { inputTokens: 12, outputTokens: 5 } });
    const { data, response } = await openai.chat.completions
      .create({ model: 'claude-sonnet-5-5', messages: hello, max_tokens: 64 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('claude-sonnet-5-5');
    expect(data.choices[0]!.message.content).toBe('Hi from the router');
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(response.headers.get('x-routeplane-model')).toBe('claude-sonnet-5-5');
    expect(response.headers.get('x-routeplane-deployment')).toBe('anthropic');
    expect(Number(response.headers.get('x-routeplane-cost-usd'))).toBeGreaterThan(0);
    expect(response.headers.get('x-routeplane-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(emu.requests[0]!.body.max_tokens).toBe(64);
  });

  it('lets the tenant strategy choose for model "auto"', async () => {
    const router = newRouter();
    const openai = client(await serve(router));
    const answer = await openai.chat.completions.create({ model: 'auto', messages: hello });
    // acme is lowest_cost: the cheapest model for this call, as explain() says.
    const { chosen } = await router.explain({ tenant: 'acme', messages: hello });
    expect(answer.model).toBe(chosen);
    expect(emu.requests[0]!.model).toBe(chosen);
  });

  it('streams chunks, a finish chunk with the served model, a usage chunk and [DONE]', async () => {
    const openai = client(await serve());
    emu.respond('*', { text: 'one two three', usage: { inputTokens: 7, outputTokens: 3 } });
    const stream = await openai.chat.completions.create({
      model: 'auto',
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3 });
    expect(last.model).toBe(emu.requests[0]!.model);
    // Every chunk names the model that serves, from the first one on.
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([last.model]));
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('accumulates a stream into a completion with the SDK stream helper', async () => {
    const openai = client(await serve());
    emu.respond('*', { text: 'streamed answer' });
    const runner = openai.chat.completions.stream({ model: 'gpt-6.1-terra', messages: hello });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe('streamed answer');
    expect(final.model).toBe('gpt-6.1-terra');
  });

  it('round-trips a tool call: tools in, tool_calls out, the tool result back in', async () => {
    const openai = client(await serve());
    emu.respond(
      '*',
      { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }], finishReason: 'tool_calls' },
      { text: 'It is sunny in Paris.' },
    );
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'weather',
          description: 'The weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await openai.chat.completions.create({
      model: 'gpt-6.1-terra',
      messages,
      tools,
      tool_choice: 'required',
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(emu.requests[0]!.body.tool_choice).toBe('required');
    messages.push(first.choices[0]!.message, {
      role: 'tool',
      tool_call_id: call.id,
      content: '{"sky":"sunny"}',
    });
    const second = await openai.chat.completions.create({ model: 'gpt-6.1-terra', messages, tools });
    expect(second.choices[0]!.message.content).toBe('It is sunny in Paris.');
    const sent = emu.requests[1]!.body.messages as { role: string; tool_call_id?: string }[];
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent[2]!.tool_call_id).toBe(call.id);
  });

  it('streams tool calls that the SDK accumulates', async () => {
    const openai = client(await serve());
    emu.respond('*', {
      toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }],
      finishReason: 'tool_calls',
    });
    const runner = openai.chat.completions.stream({
      model: 'claude-sonnet-5-5',
      messages: hello,
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && [call.function.name, JSON.parse(call.function.arguments)]).toEqual([
      'weather',
      { city: 'Oslo' },
    ]);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('passes json_schema and image parts to the provider', async () => {
    const openai = client(await serve());
    emu.respond('*', { text: '{"name":"Ada"}' });
    const answer = await openai.chat.completions.create({
      model: 'gpt-6.1-terra',
      messages: [
        { role: 'system', content: 'Extract the person.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Who is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/ada.png' } },
          ],
        },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'person', schema: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    });
    expect(JSON.parse(answer.choices[0]!.message.content!)).toEqual({ name: 'Ada' });
    const body = emu.requests[0]!.body as {
      response_format: { type: string };
      messages: { content: unknown }[];
    };
    expect(body.response_format.type).toBe('json_schema');
    expect(JSON.stringify(body.messages[1]!.content)).toContain('https://example.com/ada.png');
  });

  it('answers 401 for no credentials and for a tenant the router does not know', async () => {
    const base = await serve();
    const none = await client(base, 'key-nobody')
      .chat.completions.create({ model: 'auto', messages: hello })
      .catch((e) => e);
    expect(none).toBeInstanceOf(OpenAI.AuthenticationError);
    const ghost = await client(base, 'key-ghost')
      .chat.completions.create({ model: 'auto', messages: hello })
      .catch((e) => e);
    expect(ghost).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(ghost.status).toBe(401);
    expect(ghost.code).toBe('tenant_not_found');
  });

  it('answers 403 for a model the tenant may not use, 404 for one the catalog lacks', async () => {
    const openai = client(await serve(), 'key-locked');
    const denied = await openai.chat.completions
      .create({ model: 'gpt-6.2-astra', messages: hello })
      .catch((e) => e);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(denied.code).toBe('policy_denied');
    expect(denied.param).toBe('model');
    const unknown = await openai.chat.completions
      .create({ model: 'gpt-0-nope', messages: hello })
      .catch((e) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown.code).toBe('model_not_found');
    expect(emu.requests).toHaveLength(0);
  });

  it('answers 429 with retry-after, and a client with maxRetries 0 sends one request', async () => {
    const base = await serve();
    const openai = client(base, 'key-tight');
    await openai.chat.completions.create({ model: 'auto', messages: hello });
    const limited = await openai.chat.completions.create({ model: 'auto', messages: hello }).catch((e) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.code).toBe('rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(emu.requests).toHaveLength(1);
  });

  it('answers 429 to a streaming call as an error status, not a 200 stream', async () => {
    const openai = client(await serve(), 'key-tight');
    await openai.chat.completions.create({ model: 'auto', messages: hello });
    const limited = await openai.chat.completions
      .create({ model: 'auto', messages: hello, stream: true })
      .catch((e) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('answers 502 when every provider failed, and 400 content_filter for a flagged prompt', async () => {
    const openai = client(await serve());
    emu.fail(
      '*',
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
    );
    const exhausted = await openai.chat.completions
      .create({ model: 'gpt-6.1-terra', messages: hello })
      .catch((e) => e);
    expect(exhausted).toBeInstanceOf(OpenAI.APIError);
    expect(exhausted.status).toBe(502);
    expect(exhausted.code).toBe('providers_exhausted');
    emu.reset();
    emu.fail('gpt-6.1-terra', { policyFlag: true });
    const flagged = await openai.chat.completions
      .create({ model: 'gpt-6.1-terra', messages: hello })
      .catch((e) => e);
    expect(flagged).toBeInstanceOf(OpenAI.BadRequestError);
    expect(flagged.code).toBe('content_filter');
  });

  it('sends an error chunk when the stream fails after its first token', async () => {
    const openai = client(await serve());
    emu.fail('gpt-6.1-terra', { errorEvent: 'server_error', afterParts: 2 });
    const stream = await openai.chat.completions.create({
      model: 'gpt-6.1-terra',
      messages: hello,
      stream: true,
    });
    const error = await (async () => {
      for await (const _ of stream) {
      }
    })().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
  });

  it('lists the models the tenant may use', async () => {
    const base = await serve();
    const locked = await client(base, 'key-locked').models.list();
    expect(locked.data.map((m) => m.id)).toEqual(['claude-sonnet-5-5', 'gpt-6.1-terra']);
    expect(locked.data[0]).toMatchObject({ object: 'model', owned_by: 'anthropic' });
    const all = await client(base).models.list();
    expect(all.data.map((m) => m.id)).toContain('mistral-small-latest');
    const one = await client(base, 'key-locked').models.retrieve('gpt-6.1-terra');
    expect(one.owned_by).toBe('openai');
    const hidden = await client(base, 'key-locked')
      .models.retrieve('gpt-6.2-astra')
      .catch((e) => e);
    expect(hidden).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('hides models by role and region as the policy does', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: {
        eu: { allowedRegions: ['eu'], roles: { viewer: { allowedModels: ['mistral-small-latest'] } } },
      },
    });
    const base = await serve(router, {
      tenantOf: (req) => ({
        tenant: 'eu',
        ...(req.headers.get('x-role') && { role: req.headers.get('x-role')! }),
      }),
    });
    const all = await new OpenAI({ baseURL: base, apiKey: 'x', maxRetries: 0 }).models.list();
    expect(all.data.every((m) => m.owned_by === 'mistral')).toBe(true);
    expect(all.data.length).toBeGreaterThan(1);
    const viewer = await new OpenAI({
      baseURL: base,
      apiKey: 'x',
      maxRetries: 0,
      defaultHeaders: { 'x-role': 'viewer' },
    }).models.list();
    expect(viewer.data.map((m) => m.id)).toEqual(['mistral-small-latest']);
  });

  it('aborts the router call when the client goes away mid-stream', async () => {
    const slow = await (async () => {
      const { createEmulator } = await import('routeplane/testing');
      return createEmulator({ perTokenMs: 30 });
    })();
    try {
      const router = createRouter({
        providers: slow.providers,
        tenants: { acme: { strategy: 'lowest_cost' } },
      });
      const failed: string[] = [];
      router.on('request.failed', (e) => failed.push(e.code));
      slow.respond('*', { text: Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ') });
      const openai = client(await serve(router));
      const controller = new AbortController();
      const stream = await openai.chat.completions.create(
        { model: 'auto', messages: hello, stream: true },
        { signal: controller.signal },
      );
      let seen = 0;
      await (async () => {
        for await (const _ of stream) if (++seen === 3) controller.abort();
      })().catch(() => {});
      await waitFor(() => failed.length === 1);
      expect(failed).toEqual(['aborted']);
      await waitFor(() => slow.requests[0]?.clientClosed === true);
    } finally {
      await slow.close();
    }
  });
});

describe('routeplane/http request handling', () => {
  const handler = () => {
    const router = newRouter();
    routers.push(router);
    return createHandler(router, { tenantOf, maxBodyBytes: 1024 });
  };
  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    new Request(`http://gw.test/v1${path}`, {
      method: 'POST',
      body,
      headers: { authorization: 'Bearer key-acme', 'content-type': 'application/json', ...headers },
    });

  it('answers 404 for unknown routes and 405 for a wrong method', async () => {
    const h = handler();
    const missing = await h(new Request('http://gw.test/v1/completions', { method: 'POST' }));
    expect(missing.status).toBe(404);
    const wrong = await h(new Request('http://gw.test/v1/chat/completions'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toMatchObject({
      error: { code: 'method_not_allowed', type: 'invalid_request_error' },
    });
  });

  it('answers 413 for a body over the cap, declared or streamed, without reading it all', async () => {
    const h = handler();
    const declared = await h(post('/chat/completions', 'x'.repeat(2000)));
    expect(declared.status).toBe(413);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(512));
      },
    });
    const streamed = await h(
      new Request('http://gw.test/v1/chat/completions', {
        method: 'POST',
        body: endless,
        headers: { authorization: 'Bearer key-acme' },
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(6);
  });

  it('answers 400 naming the field for invalid JSON and invalid shapes', async () => {
    const h = handler();
    const broken = await h(post('/chat/completions', '{"model":'));
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.code).toBe('invalid_json');
    const shape = await h(
      post('/chat/completions', JSON.stringify({ model: 'auto', messages: [{ role: 'user' }] })),
    );
    expect(shape.status).toBe(400);
    const { error } = await shape.json();
    expect(error.param).toBe('messages[0].content');
    expect(error.message).toContain('messages[0].content');
    const args = await h(
      post(
        '/chat/completions',
        JSON.stringify({
          model: 'auto',
          messages: [
            {
              role: 'assistant',
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{' } }],
            },
          ],
        }),
      ),
    );
    expect((await args.json()).error.param).toBe('messages[0].tool_calls[0].function.arguments');
  });

  it('answers 500 without details when tenantOf throws', async () => {
    const router = newRouter();
    routers.push(router);
    const h = createHandler(router, {
      tenantOf: () => {
        throw new Error('db password is hunter2');
      },
    });
    const response = await h(new Request('http://gw.test/v1/models'));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('hunter2');
  });

  it('never throws and always answers a JSON error for random bodies', async () => {
    const h = handler();
    const bodies = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          model: fc.oneof(fc.constant('auto'), fc.string()),
          messages: fc.anything(),
          stream: fc.anything(),
          tools: fc.anything(),
          response_format: fc.anything(),
          max_tokens: fc.anything(),
        })
        .map((o) => JSON.stringify(o)),
      fc.uint8Array({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom('/chat/completions', '/embeddings'), async (body, path) => {
        const response = await h(post(path, body as BodyInit));
        if (response.status === 200) {
          await response.body?.cancel();
          return;
        }
        const parsed = await response.json();
        expect(typeof parsed.error.message).toBe('string');
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});

describe('routeplane/http embeddings, through router.embed()', () => {
  it('serves float and base64 embeddings to the openai SDK, from an embedding model the tenant may use', async () => {
    const openai = client(await serve());
    const floats = await openai.embeddings.create({
      model: 'auto',
      input: ['a', 'bb'],
      encoding_format: 'float',
    });
    expect(floats.object).toBe('list');
    expect(floats.data).toHaveLength(2);
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    const model = floats.model;
    expect([
      'text-embedding-3-small',
      'text-embedding-3-large',
      'mistral-embed',
      'gemini-embedding-001',
    ]).toContain(model);
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
    // The SDK asks for base64 by default and decodes it: the same vectors.
    const decoded = await openai.embeddings.create({ model, input: ['a', 'bb'] });
    expect(decoded.data.map((d) => d.embedding.length)).toEqual(floats.data.map((d) => d.embedding.length));
    for (const [i, d] of decoded.data.entries()) {
      for (const [j, x] of d.embedding.entries()) expect(x).toBeCloseTo(floats.data[i]!.embedding[j]!, 6);
    }
    // dimensions reach the model, which answers vectors of that length.
    const short = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'abc',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(short.data[0]!.embedding).toHaveLength(8);
  });

  it('answers 401 for an unknown tenant and a 4xx naming a chat model forced for embeddings', async () => {
    const base = await serve();
    const ghost = await client(base, 'key-ghost')
      .embeddings.create({ model: 'auto', input: 'x' })
      .catch((e) => e);
    expect(ghost).toBeInstanceOf(OpenAI.AuthenticationError);
    const chat = await client(base)
      .embeddings.create({ model: 'gpt-6.1-terra', input: 'x' })
      .catch((e) => e);
    expect(chat.status).toBeGreaterThanOrEqual(400);
    expect(chat.status).toBeLessThan(500);
  });

  it('answers 501 on a router without embed()', async () => {
    const router = newRouter();
    const openai = client(await serve(Object.assign(Object.create(router) as Router, { embed: undefined })));
    routers.push(router);
    const error = await openai.embeddings.create({ model: 'auto', input: 'x' }).catch((e) => e);
    expect(error.status).toBe(501);
    expect(error.code).toBe('not_implemented');
  });
});

describe('routeplane/http with other clients', () => {
  it('serves @langchain/openai ChatOpenAI: invoke, stream and bindTools', async () => {
    const base = await serve();
    const model = new ChatOpenAI({
      model: 'gpt-6.1-terra',
      apiKey: 'key-acme',
      configuration: { baseURL: base },
      maxRetries: 0,
    });
    emu.respond('*', { text: 'hello from langchain' });
    const answer = await model.invoke('Hi');
    expect(answer.content).toBe('hello from langchain');
    let streamed = '';
    for await (const chunk of await model.stream('Hi')) streamed += chunk.content as string;
    expect(streamed).toBe('hello from langchain');
    emu.respond('*', {
      toolCalls: [{ name: 'weather', arguments: { city: 'Rome' } }],
      finishReason: 'tool_calls',
    });
    const withTools = model.bindTools([
      {
        type: 'function',
        function: {
          name: 'weather',
          description: 'weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]);
    const called = await withTools.invoke('Weather in Rome?');
    expect(called.tool_calls?.[0]).toMatchObject({ name: 'weather', args: { city: 'Rome' } });
  });

  it('mounts in Hono with app.all("/v1/*")', async () => {
    const router = newRouter();
    routers.push(router);
    const handler = createHandler(router, { tenantOf });
    const app = new Hono();
    app.all('/v1/*', (c) => handler(c.req.raw));
    const response = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: 'Bearer key-acme', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: hello }),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).object).toBe('chat.completion');
    const models = await app.request('/v1/models', { headers: { authorization: 'Bearer key-acme' } });
    expect((await models.json()).object).toBe('list');
  });
});
