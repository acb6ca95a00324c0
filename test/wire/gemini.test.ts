import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createGeminiAdapter } from '../../src/providers/gemini/index.js';
import { drain, rejectionOf } from '../support/harness.js';
import { useReplay } from './harness.js';

const replay = useReplay();
const request = {
  model: 'gemini-3.8-flash',
  messages: [{ role: 'user' as const, content: 'Hello there' }],
  maxTokens: 256,
};

function adapter() {
  return createGeminiAdapter({ name: 'gemini', ...replay.server.providers.gemini });
}

describe('Gemini answers replayed through @google/genai', () => {
  it('text.json: the text without its signature, thinking tokens in the output as reasoning', async () => {
    replay.server.script('gemini', 'text.json');
    const answer = await adapter().complete(request);
    expect(answer).toEqual({
      content: "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.",
      finishReason: 'stop',
      usage: { inputTokens: 9, outputTokens: 272, reasoningTokens: 244, totalTokens: 281 },
    });
    expect(replay.server.requests[0]?.path).toBe('/gemini/v1beta/models/gemini-3.8-flash:generateContent');
  });

  it('text-3.7-flash.sse: the text, then one finish with the usage of the last event', async () => {
    replay.server.script('gemini', 'text-3.7-flash.sse');
    const { parts, error } = await drain(adapter().stream(request));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'text', text: 'fixture ok' },
      {
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: 7, outputTokens: 96, reasoningTokens: 94, totalTokens: 103 },
      },
    ]);
  });

  it('prompt-block.json: a blocked prompt is a final content_filter failure', async () => {
    replay.server.script('gemini', 'prompt-block.json');
    const error = await rejectionOf(adapter().complete(request));
    expect(ProviderError.isInstance(error) && error).toMatchObject({
      code: 'content_filter',
      retryable: false,
      providerCode: 'PROHIBITED_CONTENT',
    });
  });

  it('error-429-retry-info.json: rate_limited, waiting the RetryInfo delay, one request', async () => {
    replay.server.script('gemini', 'error-429-retry-info.json');
    const error = await rejectionOf(adapter().complete(request));
    expect(ProviderError.isInstance(error) && error).toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 34_400,
    });
    expect(replay.server.hits('gemini')).toBe(1);
  });
});
