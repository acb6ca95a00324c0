import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { IncompleteStreamError } from '../classify.js';
import type { ProviderStreamPart } from '../types.js';
import { toFinishReason, toUsage } from './response.js';
import { AnthropicStreamMapper, fromEvents } from './stream.js';

/** Feeds events given as plain JSON, the way the SDK yields them. */
function run(events: unknown[]): { parts: ProviderStreamPart[]; finished: boolean } {
  const mapper = new AnthropicStreamMapper();
  const parts: ProviderStreamPart[] = [];
  for (const event of events) {
    const part = mapper.read(event as Anthropic.RawMessageStreamEvent);
    if (part) parts.push(part);
  }
  return { parts, finished: mapper.finished };
}

const start = {
  type: 'message_start',
  message: {
    usage: {
      input_tokens: 10,
      cache_read_input_tokens: 30,
      cache_creation_input_tokens: 5,
      output_tokens: 1,
    },
  },
};

describe('anthropic stream mapping', () => {
  it('finishes only at message_stop, with input usage from message_start and output from message_delta', () => {
    const before = run([
      start,
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } },
    ]);
    const after = run([
      start,
      {
        type: 'message_delta',
        delta: { stop_reason: 'max_tokens' },
        usage: { output_tokens: 7, input_tokens: null },
      },
      { type: 'message_stop' },
    ]);

    expect(before).toEqual({ parts: [], finished: false });
    expect(after.finished).toBe(true);
    expect(after.parts).toEqual([
      {
        type: 'finish',
        finishReason: 'length',
        usage: {
          inputTokens: 45,
          cachedInputTokens: 30,
          cacheWriteInputTokens: 5,
          outputTokens: 7,
          totalTokens: 52,
        },
      },
    ]);
  });

  it('keeps the input a tool_use block started with when no JSON delta follows', () => {
    const { parts } = run([
      start,
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } },
      },
      { type: 'content_block_stop', index: 0 },
    ]);

    expect(parts).toEqual([{ type: 'tool-call', toolCall: { id: 't1', name: 'f', arguments: { a: 1 } } }]);
  });

  it('keeps unparseable tool input as _raw rather than losing it', () => {
    const { parts } = run([
      {
        type: 'content_block_start',
        index: 2,
        content_block: { type: 'tool_use', id: 't1', name: 'f', input: {} },
      },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a": ' } },
      { type: 'content_block_stop', index: 2 },
    ]);

    expect(parts).toEqual([
      { type: 'tool-call', toolCall: { id: 't1', name: 'f', arguments: { _raw: '{"a": ' } } },
    ]);
  });

  it('yields nothing for thinking deltas, text blocks closing, and event types it does not know', () => {
    const { parts } = run([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: '' } },
      { type: 'brand_new_event' },
    ]);

    expect(parts).toEqual([]);
  });
});

describe('anthropic response normalization', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
  ])('maps stop reason %s to %s', (reason, expected) => {
    expect(toFinishReason(reason)).toBe(expected);
  });

  it('counts cache reads and writes inside inputTokens, and leaves cachedInputTokens out when unreported', () => {
    expect(
      toUsage({
        input_tokens: 3,
        cache_read_input_tokens: 4,
        cache_creation_input_tokens: 5,
        output_tokens: 6,
      }),
    ).toEqual({
      inputTokens: 12,
      cachedInputTokens: 4,
      cacheWriteInputTokens: 5,
      outputTokens: 6,
      totalTokens: 18,
    });
    expect(toUsage({ input_tokens: 3, output_tokens: 6 })).toEqual({
      inputTokens: 3,
      outputTokens: 6,
      totalTokens: 9,
    });
  });
});

describe('fromEvents', () => {
  /** The events as the SDK yields them, then `end`: a thrown error, or a quiet end. */
  async function* sdkStream(events: unknown[], end?: Error): AsyncGenerator<Anthropic.RawMessageStreamEvent> {
    for (const event of events) yield event as Anthropic.RawMessageStreamEvent;
    if (end) throw end;
  }
  const stop = [
    start,
    { type: 'message_delta', delta: { stop_reason: 'end_turn' } },
    { type: 'message_stop' },
  ];

  it('ends quietly when the connection fails after message_stop: the answer was complete', async () => {
    const parts: ProviderStreamPart[] = [];
    for await (const part of fromEvents(sdkStream(stop, new TypeError('terminated')))) parts.push(part);

    expect(parts.map((part) => part.type)).toEqual(['finish']);
  });

  it('fails a stream that fails or ends before message_stop, as a cut connection or a swallowed abort does', async () => {
    const cut = new TypeError('terminated');
    await expect(fromEvents(sdkStream(stop.slice(0, 2), cut)).next()).rejects.toBe(cut);
    await expect(fromEvents(sdkStream(stop.slice(0, 2))).next()).rejects.toBeInstanceOf(
      IncompleteStreamError,
    );
  });
});
