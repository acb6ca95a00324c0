import { describe, expect, it } from 'vitest';
import type { ProviderRequest } from '../types.js';
import { toChatParams, toStreamParams } from './request.js';

const base: ProviderRequest = {
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'hi' }],
  maxTokens: 100,
};

describe('toChatParams', () => {
  it('sends the output cap as max_completion_tokens to OpenAI and max_tokens to compatible servers', () => {
    expect(toChatParams(base, 'openai')).toEqual({ ...omitMessages(base), max_completion_tokens: 100 });
    expect(toChatParams(base, 'openai-compatible')).toEqual({ ...omitMessages(base), max_tokens: 100 });
  });

  it("sends an assistant message's text alongside its tool calls, and '' when it has neither", () => {
    const params = toChatParams(
      {
        ...base,
        messages: [
          {
            role: 'assistant',
            content: 'Let me check.',
            toolCalls: [{ id: 'c1', name: 'f', arguments: { a: 1 } }],
          },
          { role: 'assistant' },
        ],
      },
      'openai',
    );
    expect(params.messages).toEqual([
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'assistant', content: '' },
    ]);
  });

  it('leaves out tool_choice when there are no tools, which OpenAI would refuse', () => {
    expect(toChatParams({ ...base, toolChoice: 'none' }, 'openai')).not.toHaveProperty('tool_choice');
  });

  it('always asks a stream for usage', () => {
    expect(toStreamParams(base, 'openai-compatible')).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

function omitMessages(request: ProviderRequest) {
  return { model: request.model, messages: [{ role: 'user', content: 'hi' }] };
}
