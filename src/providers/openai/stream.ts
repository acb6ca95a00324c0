import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { FinishReason, Usage } from '../../types.js';
import { IncompleteStreamError } from '../classify.js';
import { ToolCallAssembler } from '../shared.js';
import type { ProviderStreamPart } from '../types.js';
import { toFinishReason, toUsage } from './response.js';

/**
 * Maps `chat.completion.chunk`s to provider stream parts: a `text` part per content delta
 * as it arrives, one `tool-call` part per call once the finish reason says its arguments
 * are complete (pieces joined by index, see `ToolCallAssembler`), then exactly one `finish`
 * with the usage of the final chunk (`stream_options.include_usage`: a chunk with empty
 * `choices`). `delta.refusal` pieces are the model declining: they make the finish reason
 * `content_filter`, with the joined text as `refusal`, whatever `finish_reason` said.
 *
 * A stream that ends normally without a usage chunk (a server that ignores
 * `include_usage`) finishes with zero usage marked `usageReported: false`.
 *
 * Throws `IncompleteStreamError` when the chunks end before a finish reason: the
 * connection was cut, or the request was aborted (the SDK ends the iteration silently).
 * A connection cut after the finish reason, before the usage chunk, fails in the SDK's
 * iteration (the body ends with an error), so it never passes for a finished stream.
 * Throws the signal's reason as soon as `signal` fires, even when the rest of the answer
 * is already buffered: the SDK checks its signal only while it waits for bytes.
 */
export async function* fromChunks(
  chunks: AsyncIterable<ChatCompletionChunk>,
  signal?: AbortSignal,
): AsyncGenerator<ProviderStreamPart> {
  const toolCalls = new ToolCallAssembler();
  let finishReason: FinishReason | undefined;
  let usage: Usage | undefined;
  let refusal = '';
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    if (chunk.usage) usage = toUsage(chunk.usage);
    // The usage chunk has no choices; routeplane never asks for n > 1.
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const delta = choice.delta;
    if (delta?.content) yield { type: 'text', text: delta.content };
    if (delta?.refusal) refusal += delta.refusal;
    for (const call of delta?.tool_calls ?? []) {
      toolCalls.add({
        index: call.index,
        id: call.id,
        name: call.function?.name,
        arguments: call.function?.arguments,
      });
    }
    if (choice.finish_reason) {
      finishReason = toFinishReason(choice.finish_reason);
      for (const toolCall of toolCalls.complete()) yield { type: 'tool-call', toolCall };
    }
  }
  if (finishReason === undefined) throw new IncompleteStreamError('the stream ended before a finish_reason');
  yield {
    type: 'finish',
    finishReason: refusal === '' ? finishReason : 'content_filter',
    usage: usage ?? toUsage(undefined),
    ...(refusal !== '' && { refusal }),
    ...(usage === undefined && { usageReported: false }),
  };
}
