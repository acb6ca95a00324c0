import { describe, expect, it } from 'vitest';
import type { ResolvedAnswer, WireRequest } from '../wire.js';
import { anthropicWire } from './anthropic.js';

const request: WireRequest = {
  model: 'claude-sonnet-4-6',
  stream: true,
  maxTokens: 100,
  promptText: 'Hi',
  messageCount: 1,
  lastUserText: 'Hi',
  wantsJson: false,
};

function answer(overrides: Partial<ResolvedAnswer> = {}): ResolvedAnswer {
  return {
    text: 'Hello there',
    textChunks: ['Hello ', 'there'],
    toolCalls: [],
    finishReason: 'stop',
    usage: { inputTokens: 120, outputTokens: 2, cachedInputTokens: 100 },
    ...overrides,
  };
}

/** The parsed data of each SSE block, checking that its event name matches its type. */
function events(blocks: string[]): Array<Record<string, unknown>> {
  return blocks.map((block) => {
    const match = /^event: (\S+)\ndata: (.*)\n\n$/s.exec(block);
    if (!match) throw new Error(`not an SSE block: ${JSON.stringify(block)}`);
    const data = JSON.parse(match[2]!) as Record<string, unknown>;
    expect(data.type).toBe(match[1]);
    return data;
  });
}

describe('anthropic wire format', () => {
  it('refuses a request without max_tokens, as the API does', () => {
    const read = anthropicWire.read({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] });

    expect(read).toEqual({ invalid: 'max_tokens: Field required' });
  });

  it('refuses sampling parameters, which API version 2026-10-21 rejects', () => {
    const read = anthropicWire.read({
      model: 'm',
      max_tokens: 10,
      temperature: 1,
      messages: [{ role: 'user', content: 'Hi' }],
    });

    expect(read).toEqual({ invalid: 'temperature: Extra inputs are not permitted' });
  });

  it('reads system blocks, text, tool use and tool results into the prompt text', () => {
    const read = anthropicWire.read({
      model: 'm',
      max_tokens: 10,
      stream: true,
      system: [{ type: 'text', text: 'Be brief. Respond with JSON only.' }],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Oslo' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'snow' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });

    expect(read).toEqual({
      model: 'm',
      stream: true,
      maxTokens: 10,
      promptText:
        'Be brief. Respond with JSON only.\nWeather?\nget_weather {"city":"Oslo"}\nsnow\nAnd tomorrow?',
      messageCount: 3,
      lastUserText: 'And tomorrow?',
      wantsJson: true,
    });
  });

  it('renders a message whose input_tokens excludes the cache reads reported beside it', () => {
    const toolCalls = [{ id: 'toolu_1', name: 'f', arguments: { a: 1 } }];

    const json = anthropicWire.json(answer({ toolCalls, finishReason: 'tool_calls' }), request, 'emu-1');

    expect(json).toEqual({
      id: 'msg_emu-1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [
        { type: 'text', text: 'Hello there' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 20,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 100,
        output_tokens: 2,
        service_tier: 'standard',
      },
    });
  });

  it('streams the event sequence of the API, with tool input in JSON pieces', () => {
    const toolCalls = [{ id: 'toolu_1', name: 'f', arguments: { city: 'Saint-Étienne' } }];

    const streamed = events(
      anthropicWire.sse(answer({ toolCalls, finishReason: 'tool_calls' }), request, 'emu-2'),
    );

    expect(streamed.map((event) => event.type)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      ...Array(streamed.length - 10).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(streamed[0]).toMatchObject({
      message: {
        id: 'msg_emu-2',
        usage: { input_tokens: 20, cache_read_input_tokens: 100, output_tokens: 1 },
      },
    });
    const json = streamed
      .filter((event) => event.index === 1 && event.type === 'content_block_delta')
      .map((event) => (event.delta as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ city: 'Saint-Étienne' });
    expect(streamed.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 2 },
    });
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [503, 'api_error'],
    [529, 'overloaded_error'],
  ])('answers status %i with an error of type %s', (status, type) => {
    expect(anthropicWire.errorBody(status, 'boom')).toEqual({
      type: 'error',
      error: { type, message: 'boom' },
    });
  });
});
