import { describe, expect, it } from 'vitest';
import type { ProviderRequest } from '../types.js';
import { toMessageParams, toMessages } from './request.js';

const base: ProviderRequest = { model: 'claude-sonnet-4-6', maxTokens: 64, messages: [] };

describe('anthropic request mapping', () => {
  it('merges consecutive messages of one role, since the API requires turns to alternate', () => {
    const messages = toMessages([
      { role: 'user', content: 'First' },
      { role: 'user', content: [{ type: 'text', text: 'Second' }] },
      { role: 'assistant', content: 'Calling', toolCalls: [{ id: 't1', name: 'f', arguments: { x: 1 } }] },
      { role: 'tool', toolCallId: 't1', content: '42' },
      { role: 'user', content: 'Thanks' },
    ]);

    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'First' },
          { type: 'text', text: 'Second' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Calling' },
          { type: 'tool_use', id: 't1', name: 'f', input: { x: 1 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: '42' },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  it('drops empty text, which the API rejects, and an assistant turn left with nothing', () => {
    const messages = toMessages([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '' },
      {
        role: 'user',
        content: [
          { type: 'text', text: '' },
          { type: 'text', text: 'Again' },
        ],
      },
    ]);

    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hi' },
          { type: 'text', text: 'Again' },
        ],
      },
    ]);
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [{ name: 'f' }, { type: 'tool', name: 'f' }],
  ] as const)('maps tool choice %j to %j', (choice, expected) => {
    const params = toMessageParams({
      ...base,
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      toolChoice: choice,
    });

    expect(params.tool_choice).toEqual(expected);
    expect(params.tools).toEqual([{ name: 'f', input_schema: { type: 'object' } }]);
  });

  it('sends no tool_choice without tools, and no system when there is none', () => {
    const params = toMessageParams({
      ...base,
      messages: [{ role: 'user', content: 'Hi' }],
      toolChoice: 'required',
    });

    expect(params).toEqual({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
  });

  it('appends the JSON instruction after the system messages, and only for a JSON format', () => {
    const messages: ProviderRequest['messages'] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ];

    expect(toMessageParams({ ...base, messages, responseFormat: { type: 'text' } }).system).toBe('Be brief.');
    expect(toMessageParams({ ...base, messages, responseFormat: { type: 'json' } }).system).toBe(
      'Be brief.\n\nRespond with a single JSON object and nothing else: no prose, no Markdown code fences.',
    );
  });
});

describe('anthropic reasoning, prompt caching and structured output', () => {
  const user = (content: string) => ({ role: 'user' as const, content });

  it('reads the Claude version from direct, Bedrock and Vertex model names', async () => {
    const { claudeVersion } = await import('./features.js');
    expect(claudeVersion('claude-sonnet-4-6')).toEqual({ major: 4, minor: 6 });
    expect(claudeVersion('claude-3-7-sonnet-20250219')).toEqual({ major: 3, minor: 7 });
    expect(claudeVersion('claude-opus-4-20250514')).toEqual({ major: 4, minor: 0 });
    expect(claudeVersion('eu.anthropic.claude-sonnet-5-5-v1:0')).toEqual({ major: 5, minor: 5 });
    expect(claudeVersion('claude-haiku-4-5@20251001')).toEqual({ major: 4, minor: 5 });
    expect(claudeVersion('house-model')).toBeUndefined();
  });

  it('sends adaptive thinking with output_config.effort to Claude 4.6 and later', () => {
    const params = toMessageParams({ ...base, model: 'claude-opus-5-5', reasoning: { effort: 'minimal' } });
    expect(params.thinking).toEqual({ type: 'adaptive' });
    expect(params.output_config).toEqual({ effort: 'low' });
    const byBudget = toMessageParams({
      ...base,
      model: 'claude-opus-5-5',
      reasoning: { budgetTokens: 10_000 },
    });
    expect(byBudget.output_config).toEqual({ effort: 'high' });
  });

  it('sends a manual thinking budget to older models, kept within Anthropic limits', () => {
    const old = { ...base, model: 'claude-3-7-sonnet-20250219', maxTokens: 20_000 };
    expect(toMessageParams({ ...old, reasoning: { budgetTokens: 8_000 } }).thinking).toEqual({
      type: 'enabled',
      budget_tokens: 8_000,
    });
    expect(toMessageParams({ ...old, reasoning: { effort: 'high' } }).thinking).toEqual({
      type: 'enabled',
      budget_tokens: 16_384,
    });
    // Raised to the 1,024 floor; lowered below max_tokens, which the API requires.
    expect(toMessageParams({ ...old, reasoning: { budgetTokens: 10 } }).thinking).toMatchObject({
      budget_tokens: 1_024,
    });
    expect(
      toMessageParams({ ...old, maxTokens: 5_000, reasoning: { budgetTokens: 8_000 } }).thinking,
    ).toMatchObject({
      budget_tokens: 4_999,
    });
    // No budget fits under 1,025 max tokens: no thinking rather than a 400.
    expect(toMessageParams({ ...old, maxTokens: 1_000, reasoning: { effort: 'low' } })).not.toHaveProperty(
      'thinking',
    );
  });

  it('sends no thinking with a forced tool choice, which the API refuses', () => {
    const params = toMessageParams({
      ...base,
      model: 'claude-opus-5-5',
      reasoning: { effort: 'high' },
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      toolChoice: 'required',
    });
    expect(params).not.toHaveProperty('thinking');
    expect(params).not.toHaveProperty('output_config');
  });

  it('places cache breakpoints on the system prompt, the last tool and the turn before the last', () => {
    const params = toMessageParams({
      ...base,
      messages: [
        { role: 'system', content: 'Long instructions' },
        user('First question'),
        { role: 'assistant', content: 'First answer' },
        user('Second question'),
      ],
      tools: [
        { name: 'a', parameters: { type: 'object' } },
        { name: 'b', parameters: { type: 'object' } },
      ],
      promptCache: { ttl: '1h', key: 'rp-x' },
    });
    const cache = { type: 'ephemeral', ttl: '1h' };
    expect(params.system).toEqual([{ type: 'text', text: 'Long instructions', cache_control: cache }]);
    expect(params.tools![0]).not.toHaveProperty('cache_control');
    expect(params.tools![1]).toMatchObject({ name: 'b', cache_control: cache });
    expect(params.messages).toEqual([
      { role: 'user', content: 'First question' },
      { role: 'assistant', content: [{ type: 'text', text: 'First answer', cache_control: cache }] },
      { role: 'user', content: 'Second question' },
    ]);
    const count = JSON.stringify(params).split('cache_control').length - 1;
    expect(count).toBeLessThanOrEqual(4);
  });

  it('sends no cache_control without prompt caching, and no ttl for the 5-minute cache', () => {
    const messages = [{ role: 'system' as const, content: 'S' }, user('Q')];
    expect(JSON.stringify(toMessageParams({ ...base, messages }))).not.toContain('cache_control');
    const params = toMessageParams({ ...base, messages, promptCache: { ttl: '5m', key: 'rp-x' } });
    expect(params.system).toEqual([{ type: 'text', text: 'S', cache_control: { type: 'ephemeral' } }]);
  });

  it('sends a strict schema as output_config.format to Claude 4.5+, else in the system prompt', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    };
    const native = toMessageParams({
      ...base,
      messages: [user('Q')],
      responseFormat: { type: 'json_schema', schema },
    });
    expect(native.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(native).not.toHaveProperty('system');
    const loose = { type: 'object', properties: { city: { type: 'string' } } };
    const prompted = toMessageParams({
      ...base,
      messages: [user('Q')],
      responseFormat: { type: 'json_schema', schema: loose },
    });
    expect(prompted).not.toHaveProperty('output_config');
    expect(prompted.system).toContain('JSON Schema');
    const older = toMessageParams({
      ...base,
      model: 'claude-3-7-sonnet-20250219',
      messages: [user('Q')],
      responseFormat: { type: 'json_schema', schema },
    });
    expect(older).not.toHaveProperty('output_config');
  });
});
