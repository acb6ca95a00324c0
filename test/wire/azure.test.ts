import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createAzureOpenAIAdapter } from '../../src/providers/azure-openai/index.js';
import { cause, hello, rejection, streamed, textOf, useReplay } from './harness.js';

const replay = useReplay();
const call = { tenant: 't', messages: hello };
const pricing = { inputPerMTok: 2.5, outputPerMTok: 10 };

/** A router whose tenant is pinned to an Azure deployment, with no retries. */
function router() {
  return replay.router(['gpt-4o-azure'], {
    providers: { 'azure-eu': replay.server.azure },
    models: [
      { id: 'gpt-4o-azure', provider: 'azure-eu', model: 'openllmetry-testing', region: 'eu', pricing },
    ],
    retry: { retries: 0 },
  });
}

async function adapterFailure(fixture: string): Promise<ProviderError> {
  replay.server.script('azure', fixture);
  const { type: _type, ...options } = replay.server.azure;
  try {
    await createAzureOpenAIAdapter({ name: 'azure-eu', ...options }).complete({
      model: 'openllmetry-testing',
      messages: hello,
      maxTokens: 64,
    });
  } catch (error) {
    if (ProviderError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('Azure answers replayed through the AzureOpenAI client', () => {
  it('text.json: content_filter_results and prompt_filter_results are ignored, the text and usage kept', async () => {
    replay.server.script('azure', 'text.json');
    const result = await router().complete(call);
    expect(result.text).toMatch(/^Why did the developer bring OpenTelemetry to the party\?/);
    expect(result).toMatchObject({ finishReason: 'stop', provider: 'azure-eu' });
    expect(result.usage).toEqual({
      inputTokens: 16,
      outputTokens: 24,
      cachedInputTokens: 0,
      totalTokens: 40,
    });
    expect(replay.server.requests[0]?.path).toBe(
      '/azure/openai/deployments/openllmetry-testing/chat/completions?api-version=2024-10-21',
    );
  });

  it('content-filter-answer.json: a choice with no message and finish_reason content_filter is an empty content_filter answer, not a malformed one', async () => {
    replay.server.script('azure', 'content-filter-answer.json');
    const result = await router().complete(call);
    expect(result).toMatchObject({ text: '', finishReason: 'content_filter' });
    expect(result.usage).toMatchObject({ inputTokens: 15, outputTokens: 19 });
    expect(replay.server.hits('azure')).toBe(1);
  });

  it('prompt-filter-first-chunk.sse: the first chunk without choices is skipped, and no usage chunk means estimated usage', async () => {
    replay.server.script('azure', 'prompt-filter-first-chunk.sse');
    const { parts, result } = await streamed(router(), call);
    expect(textOf(parts)).toBe(
      "Hello! I'm just a computer program, so I don't have feelings, but I'm here and ready to help you. How can I assist you today?",
    );
    expect(result?.finishReason).toBe('stop');
  });
});

describe('Azure errors replayed through the AzureOpenAI client', () => {
  it.each([
    ['error-400-content-filter.json', 'content_filter', 400, false],
    ['error-401-access-denied.json', 'auth', 401, false],
    ['error-404-deployment-not-found.json', 'not_found', 404, false],
    ['error-404-missing-api-version.json', 'not_found', 404, false],
    ['error-429-token-rate-limit.json', 'rate_limited', 429, true],
  ] as const)('%s is %s', async (fixture, code, status, retryable) => {
    const error = await adapterFailure(fixture);
    expect(error).toMatchObject({ code, status, retryable });
  });

  it('error-429-token-rate-limit.json: retry-after in seconds is the wait, and the quotaincrease link is no spent quota', async () => {
    const error = await adapterFailure('error-429-token-rate-limit.json');
    expect(error.retryAfterMs).toBe(86_400_000);
  });

  it('error-400-content-filter.json: ends the call at once, never routed around', async () => {
    replay.server.script('azure', 'error-400-content-filter.json');
    const error = await rejection(router().complete(call));
    expect(cause(error).code).toBe('content_filter');
    expect(replay.server.hits('azure')).toBe(1);
  });
});
