import Anthropic from '@anthropic-ai/sdk';
import { Mistral } from '@mistralai/mistralai';
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { drain, readAll, rejectionOf, useEmulator } from './support/harness.js';

/*
 * The answers and faults of routeplane/testing as the official SDKs see them: what they
 * parse, what they return and what they throw. Nothing here goes through routeplane's
 * adapters, so these tests say what the emulator sends, not how the router classifies it.
 */

const GPT = 'gpt-emulated';
const CLAUDE = 'claude-emulated';
const MISTRAL = 'mistral-emulated';

const emu = useEmulator();
let openai: OpenAI;
let anthropic: Anthropic;
let mistral: Mistral;

beforeAll(() => {
  openai = new OpenAI({ ...emu.providers.openai, maxRetries: 0 });
  anthropic = new Anthropic({ ...emu.providers.anthropic, maxRetries: 0 });
  mistral = new Mistral({ apiKey: emu.providers.mistral.apiKey, serverURL: emu.providers.mistral.baseURL });
});

const hello = [{ role: 'user' as const, content: 'Hello there' }];

type AnthropicError = InstanceType<typeof Anthropic.APIError>;

/** The request id the SDKs attach to a parsed body (non-enumerable, and not in every return type). */
function requestIdOf(data: object): unknown {
  return (data as { _request_id?: unknown })._request_id;
}

/** Reads an async iterable until it throws: what it yielded, and the error. */
async function readUntilFailure<T>(items: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const read = await drain(items);
  if (!('error' in read)) throw new Error(`the stream did not fail after ${read.parts.length} items`);
  return { items: read.parts, error: read.error };
}

describe('OpenAI SDK against the emulator', () => {
  const ask = (extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) =>
    openai.chat.completions.create({ model: GPT, messages: hello, ...extra });
  const askStream = () =>
    openai.chat.completions.create({
      model: GPT,
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });

  it('gets ids in the API formats and the request id of the x-request-id header', async () => {
    emu.respond(GPT, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });

    const { data, response } = await ask().withResponse();

    expect(data.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(data.choices[0]?.message.tool_calls?.[0]?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(requestIdOf(data)).toBe(response.headers.get('x-request-id'));
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('499');
  });

  it('reads cache reads and reasoning tokens, reasoning counted in completion_tokens', async () => {
    emu.respond(GPT, {
      text: 'one two three',
      cacheReadTokens: 1024,
      reasoningTokens: 200,
      usage: { inputTokens: 1500 },
    });

    const { usage } = await ask();

    expect(usage).toEqual({
      prompt_tokens: 1500,
      completion_tokens: 203,
      total_tokens: 1703,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 200,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
  });

  it('sees a refusal in message.refusal, with null content and finish_reason stop', async () => {
    emu.fail(GPT, { refusal: "I'm sorry, I can't help with that." });

    const completion = await ask();

    expect(completion.choices[0]).toMatchObject({
      message: { role: 'assistant', content: null, refusal: "I'm sorry, I can't help with that." },
      finish_reason: 'stop',
    });
  });

  it('streams a refusal as delta.refusal pieces that the stream helper assembles', async () => {
    emu.fail(GPT, { refusal: "I'm sorry, I can't help with that." }, { refusal: 'No.' });

    const chunks = await readAll(await askStream());
    const final = await openai.chat.completions
      .stream({ model: GPT, messages: hello, stream_options: { include_usage: true } })
      .finalChatCompletion();

    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: null, refusal: '' });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.refusal ?? '').join('')).toBe(
      "I'm sorry, I can't help with that.",
    );
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(final.choices[0]?.message).toMatchObject({ content: null, refusal: 'No.' });
  });

  it('throws a RateLimitError with code insufficient_quota on { quota: true }', async () => {
    emu.fail(GPT, { quota: true });

    const error = await rejectionOf(ask());

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
  });

  it('throws a BadRequestError with code invalid_prompt on { policyFlag: true }', async () => {
    emu.fail(GPT, { policyFlag: true });

    const error = await rejectionOf(ask());

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_prompt', type: 'invalid_request_error' });
    expect((error as Error).message).toMatch(/flagged as potentially violating our usage policy/);
  });

  it('throws the error chunk of { errorEvent } after the parts before it', async () => {
    emu.respond(GPT, { text: 'one two three four' });
    emu.fail(GPT, { errorEvent: 'overloaded', afterParts: 2 });

    const { items, error } = await readUntilFailure(await askStream());

    expect(items.map((chunk) => chunk.choices[0]?.delta.content)).toEqual(['', 'one ', 'two ']);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: undefined, type: 'server_error', code: null });
    expect((error as Error).message).toMatch(/currently overloaded/);
  });

  it('answers { errorEvent } on a call that is not streamed with the same failure as a 503', async () => {
    emu.fail(GPT, { errorEvent: 'overloaded' });

    const error = await rejectionOf(ask());

    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, type: 'server_error' });
  });

  it('gets no usage on { noUsage }: none in the JSON, no usage chunk and no usage: null in a stream', async () => {
    emu.fail(GPT, { noUsage: true }, { noUsage: true });

    const completion = await ask();
    const chunks = await readAll(await askStream());

    expect(completion).not.toHaveProperty('usage');
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((chunk) => !('usage' in chunk) && chunk.choices.length === 1)).toBe(true);
  });

  it('reads the rate-limit headers of a 429', async () => {
    emu.fail(GPT, { status: 429 });

    const error = (await rejectionOf(ask())) as InstanceType<typeof OpenAI.APIError>;

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(error.headers?.get('x-ratelimit-reset-requests')).toBe('174ms');
    expect(error.headers?.get('x-request-id')).toMatch(/^req_/);
  });
});

describe('Anthropic SDK against the emulator', () => {
  const ask = () => anthropic.messages.create({ model: CLAUDE, max_tokens: 1024, messages: hello });
  const askStream = () =>
    anthropic.messages.create({ model: CLAUDE, max_tokens: 1024, messages: hello, stream: true });

  it('gets ids in the API formats and the request id of the request-id header', async () => {
    emu.respond(CLAUDE, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });

    const { data, response } = await ask().withResponse();

    expect(data.id).toMatch(/^msg_01[A-Za-z0-9]{22}$/);
    expect(data.content[0]).toMatchObject({
      type: 'tool_use',
      id: expect.stringMatching(/^toolu_01[A-Za-z0-9]{22}$/),
    });
    expect(response.headers.get('request-id')).toMatch(/^req_011C[A-Za-z0-9]{20}$/);
    expect(requestIdOf(data)).toBe(response.headers.get('request-id'));
    expect(response.headers.get('anthropic-ratelimit-requests-reset')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  it('reads cache reads and writes (5-minute and 1-hour) and a thinking block whose tokens count as output', async () => {
    emu.respond(CLAUDE, {
      text: 'Done.',
      cacheReadTokens: 1000,
      cacheWriteTokens: 600,
      cacheWrite1hTokens: 200,
      reasoningTokens: 50,
      usage: { inputTokens: 2000 },
    });

    const message = await ask();

    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(message.content[0]).toMatchObject({ thinking: expect.any(String), signature: expect.any(String) });
    expect(message.usage).toMatchObject({
      input_tokens: 400,
      cache_read_input_tokens: 1000,
      cache_creation_input_tokens: 600,
      cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 200 },
      output_tokens: 51,
    });
  });

  it('streams the thinking block with thinking and signature deltas, which the stream helper assembles', async () => {
    emu.respond(CLAUDE, { text: 'Done.', reasoningTokens: 50 });

    const stream = anthropic.messages.stream({ model: CLAUDE, max_tokens: 1024, messages: hello });
    let thinking = '';
    stream.on('thinking', (delta) => {
      thinking += delta;
    });
    const message = await stream.finalMessage();

    expect(message.content[0]).toMatchObject({
      type: 'thinking',
      thinking,
      signature: expect.stringMatching(/^Ev/),
    });
    expect(thinking).not.toBe('');
    expect(message.content[1]).toMatchObject({ type: 'text', text: 'Done.' });
    expect(message.usage.output_tokens).toBe(51);
  });

  it('sees a refusal as stop_reason refusal, explained in stop_details, streamed or not', async () => {
    emu.fail(CLAUDE, { refusal: 'This request was blocked.' }, { refusal: 'This request was blocked.' });

    const message = await ask();
    const streamed = await anthropic.messages
      .stream({ model: CLAUDE, max_tokens: 1024, messages: hello })
      .finalMessage();

    for (const answer of [message, streamed]) {
      expect(answer).toMatchObject({
        content: [],
        stop_reason: 'refusal',
        stop_details: { type: 'refusal', category: null, explanation: 'This request was blocked.' },
      });
    }
  });

  it('throws a BadRequestError about the credit balance on { quota: true }', async () => {
    emu.fail(CLAUDE, { quota: true });

    const error = await rejectionOf(ask());

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect((error as AnthropicError).apiMessage).toMatch(/^Your credit balance is too low/);
    expect((error as AnthropicError).requestID).toMatch(/^req_011C/);
  });

  it('throws a BadRequestError "Output blocked by content filtering policy" on { policyFlag: true }', async () => {
    emu.fail(CLAUDE, { policyFlag: true });

    const error = await rejectionOf(ask());

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as AnthropicError).apiMessage).toBe('Output blocked by content filtering policy');
  });

  it('raises the event: error of { errorEvent } after the parts before it, as an overloaded_error', async () => {
    emu.respond(CLAUDE, { text: 'one two three four' });
    emu.fail(CLAUDE, { errorEvent: 'overloaded', afterParts: 2 });

    const { items, error } = await readUntilFailure(await askStream());

    expect(items.map((event) => event.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
    ]);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ status: undefined, type: 'overloaded_error', apiMessage: 'Overloaded' });
    expect((error as AnthropicError).requestID).toMatch(/^req_011C/);
  });

  it('answers { errorEvent } on a call that is not streamed with a 529', async () => {
    emu.fail(CLAUDE, { errorEvent: 'overloaded' });

    const error = await rejectionOf(ask());

    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect((error as AnthropicError).headers?.get('retry-after')).toBe('1');
  });

  it('gets no usage on { noUsage }: not in the message, not in message_start nor message_delta', async () => {
    emu.fail(CLAUDE, { noUsage: true }, { noUsage: true });

    const message = await ask();
    const events = await readAll(await askStream());

    expect(message.usage).toBeUndefined();
    const start = events.find((event) => event.type === 'message_start');
    const delta = events.find((event) => event.type === 'message_delta');
    expect(start?.message).not.toHaveProperty('usage');
    expect(delta).not.toHaveProperty('usage');
    expect(events.at(-1)?.type).toBe('message_stop');
  });

  it('reads retry-after and x-should-retry on a 429', async () => {
    emu.fail(CLAUDE, { status: 429 });

    const error = (await rejectionOf(ask())) as AnthropicError;

    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.headers?.get('retry-after')).toBe('1');
    expect(error.headers?.get('x-should-retry')).toBe('true');
    expect(error.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
  });
});

describe('Mistral SDK against the emulator', () => {
  const ask = () => mistral.chat.complete({ model: MISTRAL, messages: hello });
  const askStream = () => mistral.chat.stream({ model: MISTRAL, messages: hello });

  it('gets a 32-hex completion id and 9-character tool call ids', async () => {
    emu.respond(MISTRAL, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });

    const answer = await ask();

    expect(answer.id).toMatch(/^[0-9a-f]{32}$/);
    expect(answer.choices[0]?.message?.toolCalls?.[0]?.id).toMatch(/^[A-Za-z0-9]{9}$/);
  });

  it('streams an incremental tool call: id and name first, then argument pieces the SDK gives the id "null"', async () => {
    const args = { city: 'Saint-Étienne', days: [1, 2] };
    emu.respond(MISTRAL, {
      toolCalls: [{ name: 'get_weather', arguments: args }],
      mistralToolCalls: 'incremental',
    });

    const events = await readAll(await askStream());
    const calls = events.flatMap((event) => event.data.choices[0]?.delta.toolCalls ?? []);

    expect(calls[0]).toMatchObject({
      id: expect.stringMatching(/^[A-Za-z0-9]{9}$/),
      function: { name: 'get_weather', arguments: '' },
    });
    expect(calls.length).toBeGreaterThan(2);
    for (const piece of calls.slice(1)) expect(piece).toMatchObject({ id: 'null', function: { name: '' } });
    expect(JSON.parse(calls.map((call) => call.function.arguments).join(''))).toEqual(args);
    expect(events.at(-1)?.data.choices[0]?.finishReason).toBe('tool_calls');
  });

  it('streams a tool call whole in the last chunk by default', async () => {
    emu.respond(MISTRAL, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });

    const events = await readAll(await askStream());
    const withCalls = events.filter((event) => event.data.choices[0]?.delta.toolCalls);

    expect(withCalls).toHaveLength(1);
    expect(withCalls[0]?.data.choices[0]).toMatchObject({
      finishReason: 'tool_calls',
      delta: { toolCalls: [{ function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
    });
  });

  it('answers reasoning in thinking chunks before the text, the tokens counted as completion', async () => {
    emu.respond(MISTRAL, {
      text: '2 + 2 = 4',
      reasoningTokens: 30,
      cacheReadTokens: 4,
      usage: { inputTokens: 10 },
    });

    const answer = await ask();

    const content = answer.choices[0]?.message?.content;
    expect(Array.isArray(content) && content.map((chunk) => chunk.type)).toEqual(['thinking', 'text']);
    expect(answer.usage).toMatchObject({ promptTokens: 10, completionTokens: 35, totalTokens: 45 });
    expect(answer.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: 4 } });
  });

  it('gets a refusal as the text of an ordinary answer: Mistral has no refusal field', async () => {
    emu.fail(MISTRAL, { refusal: "I can't help with that." });

    const answer = await ask();

    expect(answer.choices[0]).toMatchObject({
      finishReason: 'stop',
      message: { content: "I can't help with that." },
    });
  });

  it('answers { policyFlag: true } with a declining text: Mistral rejects no prompt for its usage policy', async () => {
    emu.fail(MISTRAL, { policyFlag: true });

    const answer = await ask();

    expect(answer.choices[0]?.message?.content).toMatch(/^I'm sorry, but I can't help/);
  });

  it('throws a 429 in the rate_limited shape, about the monthly limit, on { quota: true }', async () => {
    emu.fail(MISTRAL, { quota: true });

    const error = (await rejectionOf(ask())) as { statusCode: number; body: string };

    expect(error.statusCode).toBe(429);
    expect(JSON.parse(error.body)).toMatchObject({ object: 'error', type: 'rate_limited', code: '1300' });
    expect(JSON.parse(error.body).message).toMatch(/monthly usage limit/);
  });

  it('ends a stream with finish_reason "error" on { errorEvent }, after the parts before it', async () => {
    emu.respond(MISTRAL, { text: 'one two three four' });
    emu.fail(MISTRAL, { errorEvent: 'overloaded', afterParts: 2 });

    const events = await readAll(await askStream());

    expect(events.map((event) => event.data.choices[0]?.delta.content)).toEqual(['', 'one ', 'two ', '']);
    expect(events.at(-1)?.data.choices[0]?.finishReason).toBe('error');
  });

  it('answers { errorEvent } on a call that is not streamed with a 503 "Service tier capacity exceeded"', async () => {
    emu.fail(MISTRAL, { errorEvent: 'overloaded' });

    const error = (await rejectionOf(ask())) as { statusCode: number; body: string };

    expect(error.statusCode).toBe(503);
    expect(JSON.parse(error.body).message).toBe('Service tier capacity exceeded for this model.');
  });

  it('gets no usage on a streamed { noUsage }; the SDK rejects a complete answer without it', async () => {
    emu.fail(MISTRAL, { noUsage: true }, { noUsage: true });

    const events = await readAll(await askStream());
    const error = await rejectionOf(ask());

    expect(events.at(-1)?.data.choices[0]?.finishReason).toBe('stop');
    expect(events.every((event) => event.data.usage === undefined)).toBe(true);
    expect((error as Error).name).toBe('ResponseValidationError');
  });
});
