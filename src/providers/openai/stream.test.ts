import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { readAll } from '../../../test/support/harness.js';
import { IncompleteStreamError } from '../classify.js';
import type { ProviderStreamPart } from '../types.js';
import { fromChunks } from './stream.js';

type Choice = ChatCompletionChunk.Choice;

function chunk(delta: Choice['delta'], finishReason: Choice['finish_reason'] = null): ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

async function* from(...chunks: ChatCompletionChunk[]): AsyncGenerator<ChatCompletionChunk> {
  yield* chunks;
}

describe('fromChunks', () => {
  it('ends with zero usage marked unreported when the server sends no usage chunk', async () => {
    const parts = await readAll(fromChunks(from(chunk({ content: 'hi' }), chunk({}, 'stop'))));
    expect(parts).toEqual([
      { type: 'text', text: 'hi' },
      {
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        usageReported: false,
      },
    ]);
  });

  it('joins argument pieces of calls whose deltas carry no index, as some compatible servers send them', async () => {
    const noIndex = (call: object) => ({ tool_calls: [call as ChatCompletionChunk.Choice.Delta.ToolCall] });
    const parts = await readAll(
      fromChunks(
        from(
          chunk(noIndex({ id: 'a', function: { name: 'f', arguments: '{"x":' } })),
          chunk(noIndex({ function: { arguments: '1}' } })),
          chunk(noIndex({ id: 'b', function: { name: 'g', arguments: '{}' } })),
          chunk({}, 'tool_calls'),
        ),
      ),
    );
    expect(parts.slice(0, 2)).toEqual([
      { type: 'tool-call', toolCall: { id: 'a', name: 'f', arguments: { x: 1 } } },
      { type: 'tool-call', toolCall: { id: 'b', name: 'g', arguments: {} } },
    ]);
  });

  it('keeps arguments that are not a JSON object as _raw', async () => {
    const parts = await readAll(
      fromChunks(
        from(
          chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{"x": tru' } }] }),
          chunk({}, 'function_call'),
        ),
      ),
    );
    expect(parts).toContainEqual({
      type: 'tool-call',
      toolCall: { id: 'a', name: 'f', arguments: { _raw: '{"x": tru' } },
    });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('throws IncompleteStreamError when the chunks end before a finish reason', async () => {
    await expect(readAll(fromChunks(from(chunk({ content: 'half' }))))).rejects.toBeInstanceOf(
      IncompleteStreamError,
    );
  });

  it('throws the abort reason at the next chunk once the signal fires', async () => {
    const controller = new AbortController();
    const parts: ProviderStreamPart[] = [];
    const run = async () => {
      for await (const part of fromChunks(
        from(chunk({ content: 'a' }), chunk({ content: 'b' }), chunk({}, 'stop')),
        controller.signal,
      )) {
        parts.push(part);
        controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(parts).toEqual([{ type: 'text', text: 'a' }]);
  });
});
