import type { CompletionEvent, UsageInfo } from '@mistralai/mistralai/models/components';
import type { FinishReason } from '../../types.js';
import { classifyFailure, contextFacts, type FailureContext } from '../classify.js';
import { ToolCallAssembler } from '../shared.js';
import type { ProviderStreamPart } from '../types.js';
import { contentText, fromMistralFinishReason, fromMistralUsage } from './mapping.js';

/**
 * Maps the SDK's chat stream to provider stream parts: a `text` part per content delta, the
 * `tool-call` parts when the finish reason comes, and one `finish` part when the stream ends,
 * carrying the finish reason and the usage (Mistral puts usage on its last chunk unasked; a
 * stream without it finishes with `usageReported: false`).
 *
 * Tool calls arrive whole in one delta (Mistral's own models) or in pieces: the id and name
 * first, then argument deltas without an id (the SDK fills the missing id with the string
 * `'null'`), as OpenAI-compatible models served by Mistral send them. Both are assembled by
 * index (`ToolCallAssembler`), so a call split in pieces is one call.
 *
 * Throws a `connection` ProviderError when the stream ends without a finish reason (the
 * connection was cut), and a `server_error` when Mistral reports `finish_reason: 'error'`.
 * Errors of the SDK's stream itself pass through unclassified, for the adapter.
 *
 * Throws the signal's reason at the next event once `signal` fires: the SDK can lose its
 * abort (after a garbage collection between events it has been seen to run the stream to
 * its end), so the mapper checks for itself, as the OpenAI one does.
 */
export async function* mapMistralStream(
  events: AsyncIterable<CompletionEvent>,
  context: FailureContext,
  signal?: AbortSignal,
): AsyncGenerator<ProviderStreamPart, void, undefined> {
  const toolCalls = new ToolCallAssembler();
  let finishReason: FinishReason | undefined;
  let usage: UsageInfo | undefined;
  for await (const { data: chunk } of events) {
    signal?.throwIfAborted();
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const text = contentText(choice.delta.content);
    if (text !== '') yield { type: 'text', text };
    for (const call of choice.delta.toolCalls ?? []) {
      toolCalls.add({
        index: call.index,
        id: call.id,
        name: call.function.name,
        arguments: call.function.arguments,
      });
    }
    if (choice.finishReason === null || choice.finishReason === undefined) continue;
    const reason = fromMistralFinishReason(choice.finishReason);
    if (reason === 'error') {
      throw classifyFailure({
        ...contextFacts(context),
        message: 'the generation stopped with an error',
        malformed: true,
      });
    }
    finishReason = reason;
    for (const toolCall of toolCalls.complete()) yield { type: 'tool-call', toolCall };
  }
  // Read to the end ([DONE]) rather than stopping at the finish chunk, so the connection
  // closes cleanly and a usage-only chunk after it would still be counted.
  if (finishReason === undefined) {
    throw classifyFailure({
      ...contextFacts(context),
      message: 'the stream ended before a finish reason',
      connection: true,
    });
  }
  yield {
    type: 'finish',
    finishReason,
    usage: fromMistralUsage(usage),
    ...(usage === undefined && { usageReported: false }),
  };
}
