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

describe('toChatParams: reasoning, prompt caching, structured output', () => {
  it('sends reasoning_effort, derived from budgetTokens when no effort is given', () => {
    expect(toChatParams({ ...base, reasoning: { effort: 'minimal' } }, 'openai').reasoning_effort).toBe(
      'minimal',
    );
    expect(toChatParams({ ...base, reasoning: { budgetTokens: 1_000 } }, 'openai').reasoning_effort).toBe(
      'low',
    );
    expect(toChatParams({ ...base, reasoning: { budgetTokens: 4_096 } }, 'openai').reasoning_effort).toBe(
      'medium',
    );
    expect(toChatParams({ ...base, reasoning: { budgetTokens: 20_000 } }, 'openai').reasoning_effort).toBe(
      'high',
    );
    expect(toChatParams({ ...base, reasoning: {} }, 'openai').reasoning_effort).toBe('medium');
    expect(toChatParams(base, 'openai')).not.toHaveProperty('reasoning_effort');
  });

  it('leaves temperature out of an OpenAI reasoning call, which reasoning models refuse', () => {
    const params = toChatParams({ ...base, temperature: 0.2, reasoning: { effort: 'low' } }, 'openai');
    expect(params).not.toHaveProperty('temperature');
    expect(toChatParams({ ...base, temperature: 0.2 }, 'openai').temperature).toBe(0.2);
  });

  it('sends prompt_cache_key to OpenAI only', () => {
    const request = { ...base, promptCache: { ttl: '5m' as const, key: 'rp-abc' } };
    expect(toChatParams(request, 'openai').prompt_cache_key).toBe('rp-abc');
    expect(toChatParams(request, 'openai-compatible')).not.toHaveProperty('prompt_cache_key');
  });

  it('asks for strict json_schema when the schema fits the strict subset, else strict: false', () => {
    const strict = {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    };
    const loose = { type: 'object', properties: { city: { type: 'string' } } };
    const format = (schema: Record<string, unknown>) =>
      toChatParams({ ...base, responseFormat: { type: 'json_schema', name: 'place', schema } }, 'openai')
        .response_format;
    expect(format(strict)).toEqual({
      type: 'json_schema',
      json_schema: { name: 'place', schema: strict, strict: true },
    });
    expect(format(loose)).toEqual({
      type: 'json_schema',
      json_schema: { name: 'place', schema: loose, strict: false },
    });
    // The caller's schema is sent as given, not rewritten.
    expect(loose).toEqual({ type: 'object', properties: { city: { type: 'string' } } });
  });
});
