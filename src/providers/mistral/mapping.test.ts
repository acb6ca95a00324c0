import type { ChatCompletionResponse } from '@mistralai/mistralai/models/components';
import { describe, expect, it } from 'vitest';
import {
  fromMistralFinishReason,
  fromMistralResponse,
  fromMistralUsage,
  toMistralRequest,
  toMistralResponseFormat,
  toMistralToolChoice,
} from './mapping.js';

function response(
  choice: Partial<ChatCompletionResponse['choices'][number]> | undefined,
): ChatCompletionResponse {
  return {
    id: 'r1',
    object: 'chat.completion',
    model: 'mistral-small-latest',
    created: 0,
    usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 },
    choices: choice ? [{ index: 0, finishReason: 'stop', ...choice }] : [],
  };
}

describe('toMistralRequest', () => {
  it('always sends maxTokens and leaves out what the request does not set', () => {
    const mapped = toMistralRequest({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      maxTokens: 64,
    });

    expect(mapped).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hi' }], maxTokens: 64 });
  });

  it('leaves out empty content next to tool calls and keeps it otherwise', () => {
    const call = { id: 'c1', name: 'f', arguments: { a: 1 } };
    const { messages } = toMistralRequest({
      model: 'm',
      maxTokens: 1,
      messages: [
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'assistant', content: 'Let me check.', toolCalls: [call] },
        { role: 'assistant' },
      ],
    });

    expect(messages[0]).not.toHaveProperty('content');
    expect(messages[1]).toMatchObject({ content: 'Let me check.' });
    expect(messages[2]).toEqual({ role: 'assistant', content: '' });
  });

  it('names a tool result after the call it answers, when the call is in the conversation', () => {
    const { messages } = toMistralRequest({
      model: 'm',
      maxTokens: 1,
      messages: [
        { role: 'assistant', toolCalls: [{ id: 'c1', name: 'lookup', arguments: {} }] },
        { role: 'tool', toolCallId: 'c1', content: 'found' },
        { role: 'tool', toolCallId: 'unknown', content: 'orphan' },
      ],
    });

    expect(messages[1]).toEqual({ role: 'tool', toolCallId: 'c1', name: 'lookup', content: 'found' });
    expect(messages[2]).toEqual({ role: 'tool', toolCallId: 'unknown', content: 'orphan' });
  });
});

describe('toMistralToolChoice', () => {
  it('maps required to any, a name to a function choice, and the rest as they are', () => {
    expect(toMistralToolChoice('required')).toBe('any');
    expect(toMistralToolChoice('auto')).toBe('auto');
    expect(toMistralToolChoice('none')).toBe('none');
    expect(toMistralToolChoice({ name: 'f' })).toEqual({ type: 'function', function: { name: 'f' } });
  });
});

describe('toMistralResponseFormat', () => {
  it('maps json to json_object and names an unnamed schema', () => {
    expect(toMistralResponseFormat({ type: 'json' })).toEqual({ type: 'json_object' });
    expect(toMistralResponseFormat({ type: 'json_schema', schema: { type: 'object' } })).toEqual({
      type: 'json_schema',
      jsonSchema: { name: 'response', schemaDefinition: { type: 'object' }, strict: false },
    });
  });
});

describe('fromMistralFinishReason', () => {
  it('treats model_length as length, keeps error for the caller, and takes unknown reasons for a stop', () => {
    expect(fromMistralFinishReason('model_length')).toBe('length');
    expect(fromMistralFinishReason('length')).toBe('length');
    expect(fromMistralFinishReason('tool_calls')).toBe('tool_calls');
    expect(fromMistralFinishReason('error')).toBe('error');
    expect(fromMistralFinishReason('something_new')).toBe('stop');
  });
});

describe('fromMistralResponse', () => {
  it('joins text chunks and skips thinking chunks', () => {
    const mapped = fromMistralResponse(
      response({
        message: {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] },
            { type: 'text', text: 'Hello ' },
            { type: 'text', text: 'world' },
          ],
        },
      }),
    );

    expect(mapped).toMatchObject({ content: 'Hello world', finishReason: 'stop' });
  });

  it('parses tool arguments sent as a string or as an object, with content an empty string', () => {
    const mapped = fromMistralResponse(
      response({
        finishReason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          toolCalls: [
            { id: 'a', function: { name: 'f', arguments: '{"x":1}' } },
            { id: 'b', function: { name: 'g', arguments: { y: 2 } } },
          ],
        },
      }),
    );

    expect(mapped).toEqual({
      content: '',
      finishReason: 'tool_calls',
      toolCalls: [
        { id: 'a', name: 'f', arguments: { x: 1 } },
        { id: 'b', name: 'g', arguments: { y: 2 } },
      ],
      usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 },
    });
  });

  it('reports a response without choices or with an error finish as a failure', () => {
    expect(fromMistralResponse(response(undefined))).toEqual({ failure: 'no_choice' });
    expect(fromMistralResponse(response({ finishReason: 'error' }))).toEqual({ failure: 'finish_error' });
  });
});

describe('fromMistralUsage', () => {
  it('reads cached prompt tokens and fills a missing total', () => {
    expect(
      fromMistralUsage({
        promptTokens: 10,
        completionTokens: 4,
        prompt_tokens_details: { cached_tokens: 6 },
      }),
    ).toEqual({ inputTokens: 10, outputTokens: 4, totalTokens: 14, cachedInputTokens: 6 });
    expect(fromMistralUsage(undefined)).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
  });
});

describe('toMistralRequest: reasoning', () => {
  it("asks for reasoning_effort 'high' whatever the level, the only one Mistral's models take", () => {
    const base = {
      model: 'mistral-small-latest',
      messages: [{ role: 'user' as const, content: 'hi' }],
      maxTokens: 10,
    };
    expect(toMistralRequest({ ...base, reasoning: { effort: 'low' } }).reasoningEffort).toBe('high');
    expect(toMistralRequest(base)).not.toHaveProperty('reasoningEffort');
  });
});
