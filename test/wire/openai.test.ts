import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createOpenAIAdapter } from '../../src/providers/openai/index.js';
import { adapterStream, cause, hello, MODEL, rejection, streamed, textOf, useReplay } from './harness.js';

const replay = useReplay();
const call = { tenant: 't', messages: hello };
const chain = [MODEL.openai, MODEL.mistral];

function adapter() {
  return createOpenAIAdapter({ name: 'openai', ...replay.server.providers.openai });
}

describe('OpenAI answers replayed through the SDK', () => {
  it('text.json: the text, the stop and the usage as reported', async () => {
    replay.server.script('openai', 'text.json');
    const result = await replay.router([MODEL.openai]).complete(call);
    expect(result.text).toMatch(/^\*\*Holiday Name:\*\* Galaxy Day/);
    expect(result.finishReason).toBe('stop');
    expect(result.refusal).toBeUndefined();
    expect(result.usage).toEqual({
      inputTokens: 16,
      outputTokens: 363,
      cachedInputTokens: 0,
      totalTokens: 379,
    });
  });

  it('text-obfuscation.sse: obfuscation fields and usage: null chunks are ignored, the usage chunk counted', async () => {
    replay.server.script('openai', 'text-obfuscation.sse');
    const { parts, result } = await streamed(replay.router([MODEL.openai]), call);
    expect(textOf(parts)).toMatch(/^\*\*Holiday Name:\*\* Harmony Day/);
    expect(result?.text).toBe(textOf(parts));
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 16, outputTokens: 300, cachedInputTokens: 0, totalTokens: 316 },
    });
    expect(result?.usage).toEqual({
      inputTokens: 16,
      outputTokens: 300,
      cachedInputTokens: 0,
      totalTokens: 316,
    });
  });

  it('structured.sse: the usage chunk with empty choices after the finish chunk is the usage', async () => {
    replay.server.script('openai', 'structured.sse');
    const { parts, result } = await streamed(replay.router([MODEL.openai]), call);
    expect(textOf(parts)).toBe('{"city":"San Francisco","units":"c"}');
    expect(result?.finishReason).toBe('stop');
    expect(result?.usage).toEqual({ inputTokens: 17, outputTokens: 10, totalTokens: 27 });
  });

  it('tool-call.sse: the id and name first, then argument pieces without an id, make one call', async () => {
    replay.server.script('openai', 'tool-call.sse');
    const { parts, result } = await streamed(replay.router([MODEL.openai]), call);
    const calls = parts.filter((part) => part.type === 'tool-call');
    expect(calls).toEqual([
      {
        type: 'tool-call',
        toolCall: {
          id: 'call_PieqNSej6kM9hgYbcQdbZSaC',
          name: 'get_weather',
          arguments: { location: 'Tokyo' },
        },
      },
    ]);
    expect(result?.finishReason).toBe('tool_calls');
    expect(result?.message).toEqual({ role: 'assistant', content: '', toolCalls: [calls[0]!.toolCall] });
    expect(result?.usage).toEqual({
      inputTokens: 67,
      outputTokens: 31,
      cachedInputTokens: 0,
      totalTokens: 98,
    });
  });

  it('reasoning-deepseek.json: reasoning tokens are reported inside the output tokens', async () => {
    replay.server.script('openai', 'reasoning-deepseek.json');
    const result = await replay.router([MODEL.openai]).complete(call);
    expect(result.text).toContain('"location": "San Francisco"');
    expect(result.usage).toEqual({
      inputTokens: 495,
      outputTokens: 144,
      cachedInputTokens: 320,
      reasoningTokens: 118,
      totalTokens: 639,
    });
  });
});

describe('OpenAI refusals', () => {
  it('refusal.json: message.refusal with finish_reason "stop" is content_filter with the refusal text, answered once', async () => {
    replay.server.script('openai', 'refusal.json');
    replay.server.script('mistral', 'text.json');
    const result = await replay.router(chain).complete(call);
    expect(result).toMatchObject({
      text: '',
      finishReason: 'content_filter',
      refusal: "I'm sorry, I cannot assist with that request.",
      provider: 'openai',
      usage: { inputTokens: 81, outputTokens: 11, totalTokens: 92 },
    });
    expect(result.attempts).toEqual([expect.objectContaining({ provider: 'openai', ok: true })]);
    expect(replay.server.hits('openai')).toBe(1);
    expect(replay.server.hits('mistral')).toBe(0);
  });

  it('refusal.sse: delta.refusal pieces are the refusal, not an empty successful answer', async () => {
    replay.server.script('openai', 'refusal.sse');
    replay.server.script('mistral', 'text.json');
    const { parts, result } = await streamed(replay.router(chain), call);
    const refusal = "I'm very sorry, but I can't assist with that request.";
    expect(textOf(parts)).toBe('');
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'content_filter',
      refusal,
      usage: { inputTokens: 17, outputTokens: 13, totalTokens: 30 },
    });
    expect(result).toMatchObject({ text: '', finishReason: 'content_filter', refusal, provider: 'openai' });
    expect(replay.server.hits('mistral')).toBe(0);
  });
});

describe('OpenAI streams without their usage', () => {
  it('no-usage.sse: a stream that finishes without a usage chunk says its usage was not reported', async () => {
    replay.server.script('openai', 'no-usage.sse');
    const { parts, error } = await adapterStream(adapter(), 'gpt-3.5-turbo');
    expect(error).toBeUndefined();
    expect(textOf(parts)).toBe('xxxxxx');
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      usageReported: false,
    });
  });

  it('no-usage.sse: the flag stays internal, out of the caller stream', async () => {
    replay.server.script('openai', 'no-usage.sse');
    const { parts, result } = await streamed(replay.router([MODEL.openai]), call);
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    });
    expect(result?.text).toBe('xxxxxx');
  });

  it('text.json: a completion with usage is not marked', async () => {
    replay.server.script('openai', 'text.json');
    const response = await adapter().complete({ model: 'gpt-4.1-nano', messages: hello, maxTokens: 512 });
    expect(response).not.toHaveProperty('usageReported');
  });

  it('cut-before-usage.sse: a connection cut after the finish reason, before the usage chunk, is a failed stream', async () => {
    replay.server.script('openai', 'cut-before-usage.sse');
    const { parts, error } = await adapterStream(adapter(), 'gpt-4o');
    expect(textOf(parts)).toBe('{"city":"San Francisco","units":"c"}');
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(ProviderError.isInstance(error) && error.code).toBe('connection');
  });

  it('cut-before-usage.sse: through the router, the stream ends in error after its text, with no switch', async () => {
    replay.server.script('openai', 'cut-before-usage.sse');
    replay.server.script('mistral', 'text.sse');
    const { parts, error } = await streamed(replay.router(chain), call);
    expect(textOf(parts)).toBe('{"city":"San Francisco","units":"c"}');
    expect(parts.at(-1)?.type).toBe('error');
    expect(RouterError_code(error)).toBe('providers_exhausted');
    expect(replay.server.hits('openai')).toBe(1);
    expect(replay.server.hits('mistral')).toBe(0);
  });
});

describe('OpenAI errors', () => {
  it('error-429-insufficient-quota.json: quota_exceeded, asked once with retries: 2, then the next provider', async () => {
    replay.server.script('openai', 'error-429-insufficient-quota.json');
    replay.server.script('mistral', 'text.json');
    const result = await replay.router(chain).complete(call);
    expect(result.provider).toBe('mistral');
    expect(result.attempts).toEqual([
      expect.objectContaining({ provider: 'openai', ok: false, errorCode: 'quota_exceeded', status: 429 }),
      expect.objectContaining({ provider: 'mistral', ok: true }),
    ]);
    expect(replay.server.hits('openai')).toBe(1);
  });

  it('error-429-insufficient-quota-code-null.json: the older body (type only) is quota_exceeded too', async () => {
    replay.server.script('openai', 'error-429-insufficient-quota-code-null.json');
    const error = await rejection(replay.router([MODEL.openai]).complete(call));
    expect(cause(error)).toMatchObject({
      code: 'quota_exceeded',
      retryable: false,
      providerCode: 'insufficient_quota',
    });
    expect(replay.server.hits('openai')).toBe(1);
  });

  it('error-400-invalid-prompt.json: a prompt flagged by the usage policy is content_filter and ends the call', async () => {
    replay.server.script('openai', 'error-400-invalid-prompt.json');
    replay.server.script('mistral', 'text.json');
    const error = await rejection(replay.router(chain).complete(call));
    expect(error.code).toBe('providers_exhausted');
    expect(cause(error)).toMatchObject({
      code: 'content_filter',
      status: 400,
      providerCode: 'invalid_prompt',
    });
    expect(replay.server.hits('openai')).toBe(1);
    expect(replay.server.hits('mistral')).toBe(0);
  });

  it('error-400-context-length.json: context_length, not retried', async () => {
    replay.server.script('openai', 'error-400-context-length.json');
    const error = await rejection(replay.router([MODEL.openai]).complete(call));
    expect(cause(error)).toMatchObject({ code: 'context_length', providerCode: 'context_length_exceeded' });
    expect(replay.server.hits('openai')).toBe(1);
  });

  it('error-400-unsupported-parameter.json: bad_request, which moves on to another provider', async () => {
    replay.server.script('openai', 'error-400-unsupported-parameter.json');
    replay.server.script('mistral', 'text.json');
    const result = await replay.router(chain).complete(call);
    expect(result.attempts[0]).toMatchObject({ errorCode: 'bad_request', status: 400 });
    expect(result.provider).toBe('mistral');
    expect(replay.server.hits('openai')).toBe(1);
  });

  it('error-401-invalid-api-key.json: auth, asked once, the key shown in the message not repeated', async () => {
    replay.server.script('openai', 'error-401-invalid-api-key.json');
    const error = await rejection(replay.router([MODEL.openai]).complete(call));
    expect(cause(error)).toMatchObject({ code: 'auth', status: 401, providerCode: 'invalid_api_key' });
    expect(cause(error).message).not.toContain(replay.server.providers.openai.apiKey);
    expect(replay.server.hits('openai')).toBe(1);
  });

  it('error-429-requests-reset-174ms.json: without retry-after, x-ratelimit-reset-* gives the wait', async () => {
    replay.server.script('openai', 'error-429-requests-reset-174ms.json', 'text.json');
    const started = performance.now();
    const result = await replay.router([MODEL.openai]).complete(call);
    expect(performance.now() - started).toBeGreaterThanOrEqual(170);
    expect(result.attempts.map((a) => a.errorCode ?? 'ok')).toEqual(['rate_limited', 'ok']);
    expect(replay.server.hits('openai')).toBe(2);

    replay.server.reset();
    replay.server.script('openai', 'error-429-requests-reset-174ms.json');
    const error = await rejection(replay.router([MODEL.openai], { retry: { retries: 0 } }).complete(call));
    expect(cause(error)).toMatchObject({ code: 'rate_limited', retryAfterMs: 174 });
  });

  it('error-429-tokens-reset-headers.json: a reset of 6m0s is past maxRetryAfterMs, so the call moves on at once', async () => {
    replay.server.script('openai', 'error-429-tokens-reset-headers.json');
    replay.server.script('mistral', 'text.json');
    const result = await replay.router(chain).complete(call);
    expect(result.provider).toBe('mistral');
    expect(replay.server.hits('openai')).toBe(1);

    replay.server.reset();
    replay.server.script('openai', 'error-429-tokens-reset-headers.json');
    const error = await rejection(replay.router([MODEL.openai], { retry: { retries: 0 } }).complete(call));
    expect(cause(error)).toMatchObject({ code: 'rate_limited', retryAfterMs: 360_000 });
  });
});

function RouterError_code(error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code;
}
