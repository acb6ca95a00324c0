import { describe, expect, it } from 'vitest';
import { createIdSource, mulberry32 } from '../ids.js';
import type { ResolvedAnswer, WireRequest } from '../wire.js';
import { mistralWire } from './mistral.js';

const ids = createIdSource(mulberry32(1));

const answer: ResolvedAnswer = {
  text: 'Hi there',
  textChunks: ['Hi ', 'there'],
  toolCalls: [],
  finishReason: 'stop',
  reasoningChunks: [],
  usage: {
    inputTokens: 9,
    outputTokens: 2,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
  },
  reportUsage: true,
  mistralToolCalls: 'whole',
};

function read(body: unknown): WireRequest {
  const parsed = mistralWire.read(body);
  if ('invalid' in parsed) throw new Error(parsed.invalid);
  return parsed;
}

describe('mistralWire', () => {
  it('reads text from string and chunk content, and JSON mode from response_format', () => {
    const request = read({
      model: 'mistral-small-latest',
      max_tokens: 100,
      stream: true,
      response_format: { type: 'json_object' },
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe ' },
            { type: 'image_url', image_url: 'https://example.com/a.png' },
            { type: 'text', text: 'this.' },
          ],
        },
        { role: 'assistant', tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c', content: 'done' },
      ],
    });

    expect(request).toEqual({
      model: 'mistral-small-latest',
      stream: true,
      maxTokens: 100,
      promptText: 'Be brief.\nDescribe this.\n\ndone',
      messageCount: 4,
      lastUserText: 'Describe this.',
      wantsJson: true,
    });
  });

  it('refuses a body without model or messages, or a tool message without its call id', () => {
    expect(mistralWire.read({ messages: [{ role: 'user', content: 'x' }] })).toHaveProperty('invalid');
    expect(mistralWire.read({ model: 'm', messages: [] })).toHaveProperty('invalid');
    expect(mistralWire.read({ model: 'm', messages: [{ role: 'tool', content: 'x' }] })).toHaveProperty(
      'invalid',
    );
  });

  it('ends a stream with a chunk carrying the finish reason and usage, then [DONE]', () => {
    const { events: blocks } = mistralWire.sse(
      answer,
      read({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      ids,
    );

    expect(blocks).toHaveLength(5);
    expect(blocks.at(-1)?.data).toBe('data: [DONE]\n\n');
    const last = JSON.parse(String(blocks.at(-2)!.data).slice('data: '.length));
    expect(last).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
    });
  });

  it('renders errors in Mistral flat error shape', () => {
    const context = { model: 'm', apiKey: 'k', requestId: 'r1', ids };

    expect(mistralWire.error(429, context)).toEqual({
      status: 429,
      body: {
        object: 'error',
        message: 'Rate limit exceeded',
        type: 'rate_limited',
        param: null,
        code: '1300',
      },
    });
    expect(mistralWire.error(401, context).body).toEqual({ message: 'Unauthorized', request_id: 'r1' });
  });
});
