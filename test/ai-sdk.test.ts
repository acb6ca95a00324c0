import { inspect } from 'node:util';
import {
  APICallError,
  InvalidArgumentError,
  type LanguageModelV3StreamPart,
  UnsupportedFunctionalityError,
} from '@ai-sdk/provider';
import { generateObject, generateText, jsonSchema, Output, stepCountIs, streamText, tool } from 'ai';
import { createRouter, type Router, RouterError } from 'routeplane';
import { aiSdkModel } from 'routeplane/ai-sdk';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { collect, rejectionOf, requestBody, useEmulator, useRouters } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

const CLAUDE = 'claude-sonnet-5-5';
const SECRET = 'sk-ant-tenant-secret-0123456789abcdef';

function seedRouter(): Router {
  const router = createRouter({
    providers: emu.providers,
    tenants: {
      acme: { strategy: 'force_model', model: CLAUDE },
      globex: { strategy: 'lowest_cost' },
      eu: { roles: { viewer: { allowedModels: ['mistral-small-latest'] } } },
      keyed: { model: CLAUDE, credentials: { anthropic: { id: 'keyed-1', apiKey: SECRET } } },
    },
  });
  routers.push(router);
  return router;
}

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, sky: 'sunny' }),
});

describe('aiSdkModel with generateText', () => {
  it('answers through the router, with its usage, finish reason and route in providerMetadata', async () => {
    const router = seedRouter();
    const started = collect(router, 'request.started');
    const audits = collect(router, 'audit');
    emu.respond(CLAUDE, { text: 'Hi from Claude', usage: { inputTokens: 1000, outputTokens: 100 } });
    const model = aiSdkModel(router, { tenant: 'acme', user: 'u-42', tags: { feature: 'chat' } });
    const result = await generateText({ model, prompt: 'Hello' });

    expect(model).toMatchObject({
      specificationVersion: 'v3',
      provider: 'routeplane',
      modelId: 'routeplane',
    });
    expect(result.text).toBe('Hi from Claude');
    expect(result.finishReason).toBe('stop');
    expect(result.rawFinishReason).toBe('stop');
    expect(result.usage).toMatchObject({
      inputTokens: 1000,
      outputTokens: 100,
      totalTokens: 1100,
      inputTokenDetails: { noCacheTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0 },
      outputTokenDetails: { textTokens: 100, reasoningTokens: 0 },
    });
    const meta = result.providerMetadata?.routeplane;
    expect(meta).toMatchObject({
      tenant: 'acme',
      model: CLAUDE,
      provider: 'anthropic',
      deployment: 'anthropic',
      region: 'us',
      cached: false,
      fallbacks: [],
      attempts: [{ model: CLAUDE, provider: 'anthropic', ok: true }],
    });
    expect(meta?.costUsd).toBeCloseTo(1000 * 2e-6 + 100 * 10e-6, 12);
    expect(result.response).toMatchObject({ id: meta?.requestId, modelId: CLAUDE });
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ tenant: 'acme', user: 'u-42' });
    expect(audits[0]).toMatchObject({ tenant: 'acme', user: 'u-42', tags: { feature: 'chat' } });
  });

  it('routes each call by the tenant and options of its providerOptions.routeplane', async () => {
    const router = seedRouter();
    const model = aiSdkModel(router, { tenant: 'acme' });
    const globex = await generateText({
      model,
      prompt: 'Hi',
      providerOptions: { routeplane: { tenant: 'globex' } },
    });
    expect(globex.providerMetadata?.routeplane).toMatchObject({
      tenant: 'globex',
      model: 'ministral-8b-latest',
    });
    const forced = await generateText({
      model,
      prompt: 'Hi',
      providerOptions: { routeplane: { model: 'gpt-6.2-sol' } },
    });
    expect(forced.providerMetadata?.routeplane).toMatchObject({ tenant: 'acme', model: 'gpt-6.2-sol' });
    expect(aiSdkModel(router, { tenant: 'acme', forceModel: 'gpt-6.2-sol' }).modelId).toBe('gpt-6.2-sol');
  });

  it('refuses a bad per-call option with an InvalidArgumentError naming the field, before any router call', async () => {
    const router = seedRouter();
    const started = collect(router, 'request.started');
    const model = aiSdkModel(router, { tenant: 'acme' });
    const bad = [
      [{ strategy: 'cheapest' }, 'providerOptions.routeplane.strategy'],
      [{ maxCost: -1 }, 'providerOptions.routeplane.maxCost'],
      [{ tennant: 'globex' }, 'providerOptions.routeplane.tennant'],
      [{ tags: { team: 7 } }, 'providerOptions.routeplane.tags.team'],
    ] as const;
    for (const [options, field] of bad) {
      const error = await rejectionOf(
        generateText({ model, prompt: 'Hi', providerOptions: { routeplane: options as never } }),
      );
      expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
      expect((error as InvalidArgumentError).argument).toBe(field);
      expect((error as Error).message).toContain(field);
    }
    const noTenant = await rejectionOf(generateText({ model: aiSdkModel(router), prompt: 'Hi' }));
    expect((noTenant as InvalidArgumentError).argument).toBe('providerOptions.routeplane.tenant');
    expect(started).toHaveLength(0);
    expect(() => aiSdkModel(router, { tenant: 'acme', strategy: 'cheapest' as never })).toThrow(
      /options\.strategy must be one of/,
    );
  });

  it('maps the prompt: system, user text and images, assistant text and tool calls, tool results', async () => {
    const router = seedRouter();
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    await generateText({
      model: aiSdkModel(router, { tenant: 'acme', forceModel: 'gpt-6.2-sol' }),
      system: 'Be brief.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', image: png },
            { type: 'image', image: new URL('https://example.com/cat.jpg') },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 'call_1',
              toolName: 'weather',
              output: { type: 'json', value: { sky: 'sunny' } },
            },
          ],
        },
      ],
    });
    const body = requestBody(emu);
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          {
            type: 'image_url',
            image_url: { url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` },
          },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"sunny"}' },
    ]);
  });

  it('refuses files the router cannot carry, and types an image given without its media type', async () => {
    const router = seedRouter();
    const started = collect(router, 'request.started');
    const model = aiSdkModel(router, { tenant: 'acme', forceModel: 'gpt-6.2-sol' });
    const pdf = await rejectionOf(
      generateText({
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'file', data: Uint8Array.from([0x25, 0x50, 0x44, 0x46]), mediaType: 'application/pdf' },
            ],
          },
        ],
      }),
    );
    expect(UnsupportedFunctionalityError.isInstance(pdf)).toBe(true);
    expect((pdf as Error).message).toContain('application/pdf');
    expect(started).toHaveLength(0);

    const gif = Buffer.from('GIF89a-pixels').toString('base64');
    await model.doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'file', data: gif, mediaType: 'image/*' }] }],
    });
    expect(JSON.stringify(requestBody(emu).messages)).toContain(`data:image/gif;base64,${gif}`);
  });

  it('sends maxOutputTokens and temperature, and warns of each setting the router does not carry', async () => {
    const router = seedRouter();
    const result = await generateText({
      model: aiSdkModel(router, { tenant: 'acme', forceModel: 'gpt-6.2-sol' }),
      prompt: 'Hi',
      maxOutputTokens: 321,
      temperature: 0.3,
      topP: 0.9,
      seed: 7,
      stopSequences: ['END'],
      headers: { 'x-trace': '1' },
    });
    expect(requestBody(emu)).toMatchObject({ temperature: 0.3 });
    expect(JSON.stringify(requestBody(emu))).toMatch(/"max_(completion_)?tokens":321/);
    expect(result.warnings?.map((w) => (w.type === 'other' ? w.message : w.feature)).sort()).toEqual([
      'headers',
      'seed',
      'stopSequences',
      'topP',
    ]);
    expect(result.warnings?.every((w) => w.type === 'unsupported')).toBe(true);
  });

  it('maps cache reads and writes, reasoning tokens and the length finish reason', async () => {
    const router = seedRouter();
    const answer = {
      text: 'Cut short',
      finishReason: 'length' as const,
      usage: { inputTokens: 4000, outputTokens: 500 },
      cacheReadTokens: 2048,
      cacheWriteTokens: 512,
      reasoningTokens: 300,
    };
    emu.respond('*', answer);
    // Anthropic reports cache writes, OpenAI reasoning tokens.
    const claude = await generateText({ model: aiSdkModel(router, { tenant: 'acme' }), prompt: 'Hi' });
    expect(claude.finishReason).toBe('length');
    expect(claude.rawFinishReason).toBe('length');
    expect(claude.usage).toMatchObject({
      inputTokens: 4000,
      outputTokens: 500,
      inputTokenDetails: { noCacheTokens: 4000 - 2048 - 512, cacheReadTokens: 2048, cacheWriteTokens: 512 },
    });
    const gpt = await generateText({
      model: aiSdkModel(router, { tenant: 'acme', forceModel: 'gpt-6.2-sol' }),
      prompt: 'Hi',
    });
    expect(gpt.usage).toMatchObject({
      inputTokens: 4000,
      outputTokens: 500,
      inputTokenDetails: { noCacheTokens: 4000 - 2048, cacheReadTokens: 2048, cacheWriteTokens: 0 },
      outputTokenDetails: { textTokens: 200, reasoningTokens: 300 },
    });
  });

  it('runs a multi-step tool round trip: tool call, execute, answer', async () => {
    const router = seedRouter();
    const started = collect(router, 'request.started');
    emu.respond(
      CLAUDE,
      { toolCalls: [{ id: 'toolu_1', name: 'weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny in Paris.' },
    );
    const result = await generateText({
      model: aiSdkModel(router, { tenant: 'acme' }),
      prompt: 'Weather in Paris?',
      tools: { weather },
      toolChoice: 'auto',
      stopWhen: stepCountIs(3),
    });
    expect(result.text).toBe('It is sunny in Paris.');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.finishReason).toBe('tool-calls');
    expect(result.steps[0]?.toolCalls).toMatchObject([
      { toolCallId: 'toolu_1', toolName: 'weather', input: { city: 'Paris' } },
    ]);
    expect(result.steps[0]?.toolResults).toMatchObject([{ output: { city: 'Paris', sky: 'sunny' } }]);
    expect(started).toHaveLength(2);
    const first = requestBody(emu, 0);
    expect(first.tools).toMatchObject([{ name: 'weather', description: 'The weather in a city' }]);
    expect(first.tool_choice).toEqual({ type: 'auto' });
    expect(JSON.stringify(requestBody(emu, 1).messages)).toContain('"tool_use_id":"toolu_1"');
    expect(JSON.stringify(requestBody(emu, 1).messages)).toContain('sunny');
  });

  it('forces a named tool with toolChoice', async () => {
    const router = seedRouter();
    emu.respond(CLAUDE, { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] });
    const result = await generateText({
      model: aiSdkModel(router, { tenant: 'acme' }),
      prompt: 'Weather?',
      tools: { weather: tool({ inputSchema: z.object({ city: z.string() }) }) },
      toolChoice: { type: 'tool', toolName: 'weather' },
    });
    expect(requestBody(emu).tool_choice).toEqual({ type: 'tool', name: 'weather' });
    expect(result.toolCalls).toMatchObject([{ toolName: 'weather', input: { city: 'Oslo' } }]);
    expect(result.finishReason).toBe('tool-calls');
  });
});

describe('aiSdkModel with structured output', () => {
  const schema = z.object({ name: z.string(), age: z.number() });

  it('generateObject sends the schema as json_schema and parses the answer', async () => {
    const router = seedRouter();
    emu.respond('gpt-6.2-sol', { text: '{"name":"Ada","age":36}' });
    const { object } = await generateObject({
      model: aiSdkModel(router, { tenant: 'acme', forceModel: 'gpt-6.2-sol' }),
      schema,
      schemaName: 'person',
      prompt: 'Who?',
    });
    expect(object).toEqual({ name: 'Ada', age: 36 });
    expect(requestBody(emu).response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'person', schema: { type: 'object', required: ['name', 'age'] } },
    });
  });

  it('generateText with Output.object and a JSON schema parses the answer', async () => {
    const router = seedRouter();
    emu.respond('gpt-6.2-sol', { text: '{"name":"Grace","age":85}' });
    const { output } = await generateText({
      model: aiSdkModel(router, { tenant: 'acme', forceModel: 'gpt-6.2-sol' }),
      output: Output.object({
        schema: jsonSchema<{ name: string; age: number }>({
          type: 'object',
          properties: { name: { type: 'string' }, age: { type: 'number' } },
          required: ['name', 'age'],
          additionalProperties: false,
        }),
      }),
      prompt: 'Who?',
    });
    expect(output).toEqual({ name: 'Grace', age: 85 });
    expect((requestBody(emu).response_format as { type: string }).type).toBe('json_schema');
  });
});

describe('aiSdkModel with streamText', () => {
  it('streams text deltas that concatenate to the router text, then usage, finish reason and route', async () => {
    const router = seedRouter();
    const completed = collect(router, 'request.completed');
    emu.respond(CLAUDE, { text: 'one two three four five', usage: { inputTokens: 10, outputTokens: 5 } });
    const result = streamText({ model: aiSdkModel(router, { tenant: 'acme' }), prompt: 'Count' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('one two three four five');
    expect(await result.finishReason).toBe('stop');
    expect(await result.usage).toMatchObject({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    const meta = (await result.providerMetadata)?.routeplane;
    expect(meta).toMatchObject({ tenant: 'acme', model: CLAUDE, provider: 'anthropic' });
    expect(meta?.ttftMs).toBeGreaterThan(0);
    expect((await result.response).modelId).toBe(CLAUDE);
    expect(completed).toHaveLength(1);
  });

  it('streams the V3 parts in order: stream-start, text blocks, tool input and call, finish', async () => {
    const router = seedRouter();
    emu.respond(CLAUDE, {
      text: 'Checking',
      toolCalls: [{ id: 'toolu_9', name: 'weather', arguments: { city: 'Rome' } }],
    });
    const model = aiSdkModel(router, { tenant: 'acme' });
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    const parts: LanguageModelV3StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    const types = parts
      .map((p) => p.type)
      .filter((t, i, all) => t !== 'text-delta' || all[i - 1] !== 'text-delta');
    expect(types).toEqual([
      'stream-start',
      'response-metadata',
      'text-start',
      'text-delta',
      'text-end',
      'tool-input-start',
      'tool-input-delta',
      'tool-input-end',
      'tool-call',
      'response-metadata',
      'finish',
    ]);
    expect(parts.find((p) => p.type === 'tool-call')).toMatchObject({
      toolCallId: 'toolu_9',
      toolName: 'weather',
      input: '{"city":"Rome"}',
    });
    expect(parts.at(-1)).toMatchObject({ finishReason: { unified: 'tool-calls', raw: 'tool_calls' } });
  });

  it('runs a tool round trip in a stream', async () => {
    const router = seedRouter();
    emu.respond(
      CLAUDE,
      { toolCalls: [{ name: 'weather', arguments: { city: 'Lima' } }] },
      { text: 'Sunny in Lima.' },
    );
    const result = streamText({
      model: aiSdkModel(router, { tenant: 'acme' }),
      prompt: 'Weather in Lima?',
      tools: { weather },
      stopWhen: stepCountIs(3),
    });
    expect(await result.text).toBe('Sunny in Lima.');
    const steps = await result.steps;
    expect(steps[0]?.toolResults).toMatchObject([
      { toolName: 'weather', output: { city: 'Lima', sky: 'sunny' } },
    ]);
  });

  it('ends a stream that fails after its first token with an error part and an error finish', async () => {
    const router = seedRouter();
    emu.respond(CLAUDE, { text: 'one two three four five' });
    emu.fail(CLAUDE, { errorEvent: 'overloaded', afterParts: 2 });
    const model = aiSdkModel(router, { tenant: 'acme' });
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    const parts: LanguageModelV3StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    const error = parts.find((p) => p.type === 'error')?.error;
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      isRetryable: false,
      data: { code: 'providers_exhausted', tenant: 'acme' },
    });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: { unified: 'error' } });
  });
});

describe('aiSdkModel errors', () => {
  it('a policy denial is an APICallError 403, not retried: exactly one router call', async () => {
    const router = seedRouter();
    const started = collect(router, 'request.started');
    const model = aiSdkModel(router, { tenant: 'eu', role: 'viewer', forceModel: 'gpt-6.2-sol' });
    const error = await rejectionOf(generateText({ model, prompt: 'Hi' }));
    expect(APICallError.isInstance(error), String(error)).toBe(true);
    const apiError = error as APICallError;
    expect(apiError.statusCode).toBe(403);
    expect(apiError.isRetryable).toBe(false);
    expect(apiError.data).toMatchObject({
      code: 'policy_denied',
      tenant: 'eu',
      requestId: started[0]?.requestId,
    });
    expect(RouterError.isInstance(apiError.cause)).toBe(true);
    expect(apiError.message).toContain('gpt-6.2-sol');
    expect(started).toHaveLength(1);
    expect(emu.requests).toHaveLength(0);
  });

  it('providers exhausted is a 502 the AI SDK does not retry, however many retries it is given', async () => {
    const router = seedRouter();
    const started = collect(router, 'request.started');
    emu.fail('*', ...Array.from({ length: 40 }, () => ({ status: 500 })));
    const error = await rejectionOf(
      generateText({ model: aiSdkModel(router, { tenant: 'acme' }), prompt: 'Hi', maxRetries: 5 }),
    );
    expect(error).toMatchObject({
      statusCode: 502,
      isRetryable: false,
      data: { code: 'providers_exhausted' },
    });
    expect(started).toHaveLength(1);
    const streamStarted = started.length;
    const errors: unknown[] = [];
    const stream = streamText({
      model: aiSdkModel(router, { tenant: 'acme' }),
      prompt: 'Hi',
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    await stream.consumeStream();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ statusCode: 502, isRetryable: false });
    expect(started).toHaveLength(streamStarted + 1);
  });

  it('maps each router code to its status: unknown tenant 401, over budget 429', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: { poor: { model: CLAUDE, budget: { limitUsd: 0.000001, period: 'month' } } },
    });
    routers.push(router);
    const unknown = await rejectionOf(
      generateText({ model: aiSdkModel(router, { tenant: 'nobody' }), prompt: 'Hi' }),
    );
    expect(unknown).toMatchObject({ statusCode: 401, data: { code: 'tenant_not_found', tenant: 'nobody' } });
    const broke = await rejectionOf(
      generateText({ model: aiSdkModel(router, { tenant: 'poor' }), prompt: 'Hi' }),
    );
    expect(broke).toMatchObject({ statusCode: 429, isRetryable: false, data: { code: 'budget_exceeded' } });
  });

  it('puts no API key in any error, its cause chain or its request values', async () => {
    const router = seedRouter();
    emu.fail(CLAUDE, {
      status: 401,
      body: {
        type: 'error',
        error: { type: 'authentication_error', message: `invalid x-api-key: ${SECRET}` },
      },
    });
    const error = await rejectionOf(
      generateText({ model: aiSdkModel(router, { tenant: 'keyed' }), prompt: 'Hi' }),
    );
    expect(APICallError.isInstance(error)).toBe(true);
    const everything = `${inspect(error, { depth: Number.POSITIVE_INFINITY })}${JSON.stringify(error)}`;
    expect(everything).toContain('authentication_error');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('tenant-secret');
    for (const entry of Object.values(emu.providers)) {
      if ('apiKey' in entry) expect(everything).not.toContain(entry.apiKey);
    }
  });

  it('an abort rejects with the signal reason and closes the provider request', async () => {
    const router = seedRouter();
    emu.fail(CLAUDE, { hangMs: 5_000 });
    const controller = new AbortController();
    const call = generateText({
      model: aiSdkModel(router, { tenant: 'acme' }),
      prompt: 'Hi',
      abortSignal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const error = await rejectionOf(call);
    expect((error as Error).name).toBe('AbortError');
    await expect.poll(() => emu.requests[0]?.clientClosed).toBe(true);
  });

  it('an abort during a stream stops the router call', async () => {
    const router = seedRouter();
    const failed = collect(router, 'request.failed');
    emu.respond(CLAUDE, { text: Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ') });
    emu.fail(CLAUDE, { hangMs: 0 });
    const controller = new AbortController();
    const result = streamText({
      model: aiSdkModel(router, { tenant: 'acme' }),
      prompt: 'Hi',
      abortSignal: controller.signal,
      onError: () => {},
    });
    let seen = '';
    for await (const delta of result.textStream) {
      seen += delta;
      if (seen.length > 10) controller.abort();
    }
    expect(seen.length).toBeLessThan(200 * 4);
    await expect.poll(() => failed.length).toBe(1);
    expect(failed[0]).toMatchObject({ code: 'aborted' });
  });
});
