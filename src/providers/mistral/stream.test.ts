import type { CompletionChunk, CompletionEvent } from '@mistralai/mistralai/models/components';
import { describe, expect, it } from 'vitest';
import { drain } from '../../../test/support/harness.js';
import { ProviderError } from '../../errors.js';
import type { FailureContext } from '../classify.js';
import type { ProviderStreamPart } from '../types.js';
import { mapMistralStream } from './stream.js';

const context: FailureContext = { provider: 'mistral', model: 'm', secrets: [] };

type Choice = CompletionChunk['choices'][number];

function chunk(
  delta: Choice['delta'],
  finishReason: Choice['finishReason'] = null,
  usage?: CompletionChunk['usage'],
) {
  const data: CompletionChunk = { id: 'c', model: 'm', choices: [{ index: 0, delta, finishReason }] };
  if (usage) data.usage = usage;
  return { data };
}

async function* events(...list: CompletionEvent[]): AsyncGenerator<CompletionEvent> {
  yield* list;
}

function run(list: CompletionEvent[]): Promise<{ parts: ProviderStreamPart[]; error?: ProviderError }> {
  return drain(mapMistralStream(events(...list), context), ProviderError.isInstance);
}

describe('mapMistralStream', () => {
  it('yields text deltas, tool calls from the last chunk, and one finish with its usage', async () => {
    const { parts, error } = await run([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hi' }),
      chunk(
        { content: '', toolCalls: [{ id: 't1', function: { name: 'f', arguments: '{"a":1}' } }] },
        'tool_calls',
        { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
      ),
    ]);

    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'text', text: 'Hi' },
      { type: 'tool-call', toolCall: { id: 't1', name: 'f', arguments: { a: 1 } } },
      {
        type: 'finish',
        finishReason: 'tool_calls',
        usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
      },
    ]);
  });

  it('fails with connection when the stream ends without a finish reason', async () => {
    const { parts, error } = await run([chunk({ content: 'partial' })]);

    expect(parts).toEqual([{ type: 'text', text: 'partial' }]);
    expect(error?.code).toBe('connection');
  });

  it('fails with server_error when Mistral finishes with error, after the text before it', async () => {
    const { parts, error } = await run([chunk({ content: 'so far' }), chunk({ content: '' }, 'error')]);

    expect(parts).toEqual([{ type: 'text', text: 'so far' }]);
    expect(error?.code).toBe('server_error');
  });

  it('finishes with zero usage, marked unreported, when Mistral reports none', async () => {
    const { parts } = await run([chunk({ content: 'x' }, 'stop')]);

    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      usageReported: false,
    });
  });

  it('throws the abort reason at the next event once the signal fires, even when the SDK keeps reading', async () => {
    const controller = new AbortController();
    const parts: ProviderStreamPart[] = [];
    const stream = mapMistralStream(
      events(chunk({ content: 'a' }), chunk({ content: 'b' }), chunk({ content: 'c' }, 'stop')),
      context,
      controller.signal,
    );
    const run = async () => {
      for await (const part of stream) {
        parts.push(part);
        controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(parts).toEqual([{ type: 'text', text: 'a' }]);
  });
});
