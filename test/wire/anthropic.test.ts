import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic/index.js';
import { adapterStream, cause, hello, MODEL, rejection, streamed, textOf, useReplay } from './harness.js';

const replay = useReplay();
const call = { tenant: 't', messages: hello };
const chain = [MODEL.anthropic, MODEL.openai];

function adapter() {
  return createAnthropicAdapter({ name: 'anthropic', ...replay.server.providers.anthropic });
}

describe('Anthropic answers replayed through the SDK', () => {
  it('text.json: the text, the stop and the usage', async () => {
    replay.server.script('anthropic', 'text.json');
    const result = await replay.router([MODEL.anthropic]).complete(call);
    expect(result.text).toBe(
      "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({
      inputTokens: 12,
      outputTokens: 29,
      cachedInputTokens: 0,
      totalTokens: 41,
    });
  });

  it('text.sse: ping events are skipped; the usage is the final message_delta count', async () => {
    replay.server.script('anthropic', 'text.sse');
    const { parts, result } = await streamed(replay.router([MODEL.anthropic]), call);
    expect(textOf(parts)).toBe(
      "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(result?.usage).toEqual({
      inputTokens: 12,
      outputTokens: 30,
      cachedInputTokens: 0,
      totalTokens: 42,
    });
  });

  it('thinking-signature.sse: thinking and signature deltas are not part of the answer', async () => {
    replay.server.script('anthropic', 'thinking-signature.sse');
    const { parts, result } = await streamed(replay.router([MODEL.anthropic]), call);
    expect(textOf(parts)).toBe('925 ÷ 5 = 185');
    expect(result?.finishReason).toBe('stop');
    expect(result?.usage).toEqual({
      inputTokens: 69,
      outputTokens: 53,
      cachedInputTokens: 0,
      totalTokens: 122,
    });
  });

  it('tool-use-input-json.sse: input_json_delta pieces, a ping between them, make one call', async () => {
    replay.server.script('anthropic', 'tool-use-input-json.sse');
    const { parts, result } = await streamed(replay.router([MODEL.anthropic]), call);
    expect(parts.filter((part) => part.type === 'tool-call')).toEqual([
      {
        type: 'tool-call',
        toolCall: {
          id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA',
          name: 'json',
          arguments: { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] },
        },
      },
    ]);
    expect(result?.finishReason).toBe('tool_calls');
    expect(result?.usage).toMatchObject({ inputTokens: 849, outputTokens: 47 });
  });

  it('tool-no-args.json and .sse: a call without arguments, after text', async () => {
    replay.server.script('anthropic', 'tool-no-args.json');
    const result = await replay.router([MODEL.anthropic]).complete(call);
    expect(result.message.toolCalls).toEqual([
      { id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', arguments: {} },
    ]);
    expect(result.finishReason).toBe('tool_calls');

    replay.server.reset();
    replay.server.script('anthropic', 'tool-no-args.sse');
    const { result: streamedResult } = await streamed(replay.router([MODEL.anthropic]), call);
    expect(streamedResult?.text).toBe("I'll update the issue list for you.");
    expect(streamedResult?.message.toolCalls).toEqual([
      { id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP', name: 'updateIssueList', arguments: {} },
    ]);
    expect(streamedResult?.usage).toMatchObject({ inputTokens: 565, outputTokens: 48 });
  });
});

describe('Anthropic usage: all input, cache writes, revisions', () => {
  it('message-delta-input-tokens.sse: message_delta revises input_tokens; the final count wins', async () => {
    replay.server.script('anthropic', 'message-delta-input-tokens.sse');
    const { parts, result } = await streamed(replay.router([MODEL.anthropic]), call);
    expect(textOf(parts)).toBe('pong');
    expect(result?.usage).toEqual({ inputTokens: 61, outputTokens: 2, totalTokens: 63 });
  });

  it('prompt-cache-write.sse: input counts uncached, cache reads and cache writes, as revised at the end', async () => {
    replay.server.script('anthropic', 'prompt-cache-write.sse');
    const { result } = await streamed(replay.router([MODEL.anthropic]), call);
    expect(result?.text).toContain('sum of the squares of the numbers 1 through 12 is **650**.');
    expect(result?.usage).toEqual({
      inputTokens: 6 + 6289 + 3337,
      cachedInputTokens: 6289,
      cacheWriteInputTokens: 3337,
      outputTokens: 198,
      totalTokens: 6 + 6289 + 3337 + 198,
    });
  });

  it('cache-write-1h.json: the 1-hour part of the cache writes is kept apart', async () => {
    replay.server.script('anthropic', 'cache-write-1h.json');
    const result = await replay.router([MODEL.anthropic]).complete(call);
    expect(result.usage).toEqual({
      inputTokens: 12 + 1024 + 2048,
      cachedInputTokens: 1024,
      cacheWriteInputTokens: 2048,
      cacheWrite1hInputTokens: 1536,
      outputTokens: 29,
      totalTokens: 12 + 1024 + 2048 + 29,
    });
  });
});

describe('Anthropic refusals', () => {
  const explanation =
    "This request triggered restrictions on violative cyber content and was blocked under Anthropic's Usage Policy.";

  it('refusal.json: stop_reason "refusal" is content_filter with the explanation, answered once', async () => {
    replay.server.script('anthropic', 'refusal.json');
    replay.server.script('openai', 'text.json');
    const result = await replay.router(chain).complete(call);
    expect(result).toMatchObject({
      text: '',
      finishReason: 'content_filter',
      refusal: explanation,
      provider: 'anthropic',
      usage: { inputTokens: 18, outputTokens: 5 },
    });
    expect(replay.server.hits('openai')).toBe(0);
  });

  it('refusal-no-details.json: content_filter without a refusal text', async () => {
    replay.server.script('anthropic', 'refusal-no-details.json');
    const result = await replay.router([MODEL.anthropic]).complete(call);
    expect(result.finishReason).toBe('content_filter');
    expect(result).not.toHaveProperty('refusal');
  });

  it('refusal.sse: the streamed refusal carries the explanation on the finish part', async () => {
    replay.server.script('anthropic', 'refusal.sse');
    replay.server.script('openai', 'text.json');
    const { parts, result } = await streamed(replay.router(chain), call);
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'content_filter',
      refusal: explanation,
      usage: { inputTokens: 18, outputTokens: 5, cachedInputTokens: 0, totalTokens: 23 },
    });
    expect(result).toMatchObject({
      finishReason: 'content_filter',
      refusal: explanation,
      provider: 'anthropic',
    });
    expect(replay.server.hits('openai')).toBe(0);
  });
});

describe('Anthropic errors', () => {
  it('error-event-mid-stream.sse: an error event after the first text ends the stream, with no switch', async () => {
    replay.server.script('anthropic', 'error-event-mid-stream.sse');
    const direct = await adapterStream(adapter(), 'claude-sonnet-5-5');
    expect(textOf(direct.parts)).toBe('Hello! I');
    expect(ProviderError.isInstance(direct.error) && direct.error.code).toBe('overloaded');

    replay.server.reset();
    replay.server.script('anthropic', 'error-event-mid-stream.sse');
    replay.server.script('openai', 'text.json');
    const { parts, error } = await streamed(replay.router(chain), call);
    expect(textOf(parts)).toBe('Hello! I');
    expect(parts.at(-1)?.type).toBe('error');
    expect((error as { code?: string }).code).toBe('providers_exhausted');
    expect(replay.server.hits('openai')).toBe(0);
  });

  it('error-529-overloaded.json: overloaded, retried, then answered', async () => {
    replay.server.script('anthropic', 'error-529-overloaded.json', 'text.json');
    const result = await replay.router([MODEL.anthropic]).complete(call);
    expect(result.attempts.map((a) => a.errorCode ?? 'ok')).toEqual(['overloaded', 'ok']);
    expect(replay.server.hits('anthropic')).toBe(2);
  });

  it('error-500-api-error.json: server_error, tried 1 + 2 retries', async () => {
    replay.server.script('anthropic', 'error-500-api-error.json');
    const error = await rejection(replay.router([MODEL.anthropic]).complete(call));
    expect(cause(error)).toMatchObject({ code: 'server_error', status: 500, providerCode: 'api_error' });
    expect(replay.server.hits('anthropic')).toBe(3);
  });

  it.each([
    ['error-413-request-too-large.json', 413],
    ['error-413-context-window.json', 413],
    ['error-400-prompt-too-long.json', 400],
  ])('%s: context_length, asked once', async (fixture, status) => {
    replay.server.script('anthropic', fixture);
    const error = await rejection(replay.router([MODEL.anthropic]).complete(call));
    expect(cause(error)).toMatchObject({ code: 'context_length', status });
    expect(replay.server.hits('anthropic')).toBe(1);
  });

  it('error-400-credit-balance.json: quota_exceeded, asked once, then the next provider', async () => {
    replay.server.script('anthropic', 'error-400-credit-balance.json');
    replay.server.script('openai', 'text.json');
    const result = await replay.router(chain).complete(call);
    expect(result.provider).toBe('openai');
    expect(result.attempts[0]).toMatchObject({
      provider: 'anthropic',
      errorCode: 'quota_exceeded',
      status: 400,
    });
    expect(replay.server.hits('anthropic')).toBe(1);
  });

  it('error-429-ratelimit-reset-headers.json: without retry-after, anthropic-ratelimit-*-reset gives the wait', async () => {
    replay.server.script('anthropic', 'error-429-ratelimit-reset-headers.json');
    const error = await rejection(replay.router([MODEL.anthropic], { retry: { retries: 0 } }).complete(call));
    // The exhausted limit (requests) resets at 20:00:00; the answer is dated 19:59:59.
    expect(cause(error)).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 1000 });
  });

  it('error-429-ratelimit-reset-headers.json: a reset past maxRetryAfterMs moves on instead of waiting', async () => {
    replay.server.script('anthropic', 'error-429-ratelimit-reset-headers.json');
    replay.server.script('openai', 'text.json');
    const router = replay.router(chain, {
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 500 },
    });
    const result = await router.complete(call);
    expect(result.provider).toBe('openai');
    expect(replay.server.hits('anthropic')).toBe(1);
  });
});
