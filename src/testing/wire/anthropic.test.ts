import { describe, expect, it } from 'vitest';
import { createIdSource, mulberry32 } from '../ids.js';
import type { ResolvedAnswer, SseStream, WireRequest } from '../wire.js';
import { anthropicWire } from './anthropic.js';

const ids = createIdSource(mulberry32(1));
const context = { model: 'claude-sonnet-4-6', apiKey: 'k', requestId: 'req_011CTEST', ids };

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
    reasoningChunks: [],
    usage: {
      inputTokens: 120,
      outputTokens: 2,
      cacheReadTokens: 100,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
    },
    reportUsage: true,
    mistralToolCalls: 'whole',
    ...overrides,
  };
}

/** The parsed data of each SSE block, checking that its event name matches its type. */
function events(stream: SseStream): Array<Record<string, unknown>> {
  return stream.events.map(({ data: block }) => {
    const match = /^event: (\S+)\ndata: (.*)\n\n$/s.exec(String(block));
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

    const json = anthropicWire.json(answer({ toolCalls, finishReason: 'tool_calls' }), request, ids);

    expect(json).toEqual({
      id: expect.stringMatching(/^msg_01[A-Za-z0-9]{22}$/),
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [
        { type: 'text', text: 'Hello there' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      stop_details: null,
      usage: {
        input_tokens: 20,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 100,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens: 2,
        service_tier: 'standard',
        inference_geo: 'global',
      },
    });
  });

  it('splits cache writes by lifetime and leaves them out of input_tokens', () => {
    const usage = {
      inputTokens: 4000,
      outputTokens: 9,
      cacheReadTokens: 1000,
      cacheWriteTokens: 2500,
      cacheWrite1hTokens: 2000,
      reasoningTokens: 0,
    };

    const json = anthropicWire.json(answer({ usage }), request, ids) as { usage: unknown };

    expect(json.usage).toMatchObject({
      input_tokens: 500,
      cache_creation_input_tokens: 2500,
      cache_read_input_tokens: 1000,
      cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 2000 },
    });
  });

  it('streams the event sequence of the API, with tool input in JSON pieces', () => {
    const toolCalls = [{ id: 'toolu_1', name: 'f', arguments: { city: 'Saint-Étienne' } }];

    const streamed = events(
      anthropicWire.sse(answer({ toolCalls, finishReason: 'tool_calls' }), request, ids),
    );

    expect(streamed.map((event) => event.type)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
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
        id: expect.stringMatching(/^msg_01/),
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
      delta: { stop_reason: 'tool_use', stop_sequence: null, stop_details: null },
      usage: {
        input_tokens: 20,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 100,
        output_tokens: 2,
        output_tokens_details: { thinking_tokens: 0 },
      },
    });
  });

  it('streams reasoning as a thinking block first: thinking deltas, then its signature', () => {
    const streamed = events(
      anthropicWire.sse(answer({ reasoningChunks: ['Let ', 'me ', 'think'] }), request, ids),
    );

    expect(
      streamed.slice(0, 9).map((event) => [event.type, (event.delta as { type?: string })?.type]),
    ).toEqual([
      ['message_start', undefined],
      ['content_block_start', undefined],
      ['ping', undefined],
      ['content_block_delta', 'thinking_delta'],
      ['content_block_delta', 'thinking_delta'],
      ['content_block_delta', 'thinking_delta'],
      ['content_block_delta', 'signature_delta'],
      ['content_block_stop', undefined],
      ['content_block_start', undefined],
    ]);
    expect(streamed[1]).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'thinking', thinking: '', signature: '' },
    });
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [503, 'api_error'],
    [529, 'overloaded_error'],
  ])('answers status %i with an error of type %s and the request id', (status, type) => {
    expect(anthropicWire.error(status, context, 'boom')).toEqual({
      status,
      body: { type: 'error', error: { type, message: 'boom' }, request_id: 'req_011CTEST' },
    });
  });

  it('answers 413 as the edge in front of the API does: no outer type, no request id', () => {
    expect(anthropicWire.error(413, context).body).toEqual({
      error: { type: 'request_too_large', message: 'Request exceeds the maximum size' },
    });
  });
});
