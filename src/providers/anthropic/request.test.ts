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
