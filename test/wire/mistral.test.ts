import { describe, expect, it } from 'vitest';
import { createMistralAdapter } from '../../src/providers/mistral/index.js';
import { adapterStream, cause, hello, MODEL, rejection, streamed, textOf, useReplay } from './harness.js';

const replay = useReplay();
const call = { tenant: 't', messages: hello };
const chain = [MODEL.mistral, MODEL.anthropic];

function adapter() {
  return createMistralAdapter({ name: 'mistral', ...replay.server.providers.mistral });
}

describe('Mistral answers replayed through the SDK', () => {
  it('text.json: the text, the stop and the usage', async () => {
    replay.server.script('mistral', 'text.json');
    const result = await replay.router([MODEL.mistral]).complete(call);
    expect(result.text).toMatch(/^\*\*Holiday Name: "World Kindness Day of Sharing"\*\*/);
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: 13, outputTokens: 434, totalTokens: 447 });
  });

  it('text.sse: the usage on the last chunk', async () => {
    replay.server.script('mistral', 'text.sse');
    const { parts, result } = await streamed(replay.router([MODEL.mistral]), call);
    expect(textOf(parts)).toBe('Hello, world! This is a test response.');
    expect(result?.usage).toEqual({ inputTokens: 13, outputTokens: 8, totalTokens: 21 });
  });

  it('tool-call.json and .sse: a whole call in one delta', async () => {
    const expected = [{ id: 'gSIMJiOkT', name: 'weather', arguments: { location: 'San Francisco' } }];
    replay.server.script('mistral', 'tool-call.sse');
    const { result } = await streamed(replay.router([MODEL.mistral]), call);
    expect(result?.message.toolCalls).toEqual(expected);
    expect(result?.finishReason).toBe('tool_calls');
    expect(result?.usage).toEqual({ inputTokens: 124, outputTokens: 22, totalTokens: 146 });

    replay.server.reset();
    replay.server.script('mistral', 'tool-call.json');
    const complete = await replay.router([MODEL.mistral]).complete(call);
    expect(complete.finishReason).toBe('tool_calls');
    expect(complete.message.toolCalls).toHaveLength(1);
  });

  it('incremental-tool-call.sse: the id and name, then arguments without an id, make one call (not one named "null")', async () => {
    replay.server.script('mistral', 'incremental-tool-call.sse');
    const { parts, result } = await streamed(replay.router([MODEL.mistral]), call);
    expect(parts.filter((part) => part.type === 'tool-call')).toEqual([
      {
        type: 'tool-call',
        toolCall: {
          id: 'chatcmpl-tool-9f149c74c42f265b',
          name: 'webSearchTool',
          arguments: { query: 'current Berlin weather' },
        },
      },
    ]);
    expect(result?.finishReason).toBe('tool_calls');
    expect(result?.usage).toEqual({
      inputTokens: 171,
      outputTokens: 14,
      cachedInputTokens: 128,
      totalTokens: 185,
    });
  });

  it('reasoning.json and .sse: thinking chunks are not part of the answer', async () => {
    replay.server.script('mistral', 'reasoning.json');
    const result = await replay.router([MODEL.mistral]).complete(call);
    expect(result.text).toBe('2 + 2 = 4');
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 46, totalTokens: 56 });

    replay.server.reset();
    replay.server.script('mistral', 'reasoning.sse');
    const { parts } = await streamed(replay.router([MODEL.mistral]), call);
    expect(textOf(parts)).toBe('2 + 2 = 4');
  });

  it('no-usage.sse: a stream without usage says so', async () => {
    replay.server.script('mistral', 'no-usage.sse');
    const { parts, error } = await adapterStream(adapter(), 'mistral-small-latest');
    expect(error).toBeUndefined();
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      usageReported: false,
    });

    replay.server.reset();
    replay.server.script('mistral', 'text.sse');
    const reported = await adapterStream(adapter(), 'mistral-small-latest');
    expect(reported.parts.at(-1)).not.toHaveProperty('usageReported');
  });
});

describe('Mistral errors', () => {
  it.each([
    ['error-429-rate-limited.json', 'rate_limited', 429],
    ['error-429-requests-rate-limit.json', 'rate_limited', 429],
    ['error-503-service-tier-capacity.json', 'overloaded', 503],
  ])('%s: %s, retried (1 + 2 tries)', async (fixture, code, status) => {
    replay.server.script('mistral', fixture);
    const error = await rejection(replay.router([MODEL.mistral]).complete(call));
    expect(cause(error)).toMatchObject({ code, status, retryable: true });
    expect(replay.server.hits('mistral')).toBe(3);
  });

  it('error-429-rate-limited.json then text.json: answered on the retry', async () => {
    replay.server.script('mistral', 'error-429-rate-limited.json', 'text.json');
    const result = await replay.router([MODEL.mistral]).complete(call);
    expect(result.attempts.map((a) => a.errorCode ?? 'ok')).toEqual(['rate_limited', 'ok']);
  });

  it.each([
    ['error-401-unauthorized.json', 'auth', 401],
    ['error-401-detail.json', 'auth', 401],
    ['error-400-invalid-model.json', 'bad_request', 400],
    ['error-422-extra-forbidden.json', 'bad_request', 422],
  ])('%s: %s, asked once, then the next provider', async (fixture, code, status) => {
    replay.server.script('mistral', fixture);
    replay.server.script('anthropic', 'text.json');
    const result = await replay.router(chain).complete(call);
    expect(result.attempts[0]).toMatchObject({ provider: 'mistral', errorCode: code, status });
    expect(result.provider).toBe('anthropic');
    expect(replay.server.hits('mistral')).toBe(1);
  });

  it('error-422-extra-forbidden.json: the validation details reach the message', async () => {
    replay.server.script('mistral', 'error-422-extra-forbidden.json');
    const error = await rejection(replay.router([MODEL.mistral]).complete(call));
    expect(cause(error).message).toContain('body.store: Extra inputs are not permitted');
  });
});
