import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { FinishReason, Usage } from '../../types.js';
import { IncompleteStreamError } from '../classify.js';
import { parseToolArguments } from '../shared.js';
import type { ProviderStreamPart } from '../types.js';
import { toFinishReason, toUsage } from './response.js';

/** A tool call whose pieces are still arriving. */
interface PendingToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A tool-call delta as OpenAI sends it; compatible servers sometimes leave out `index`. */
type ToolCallDelta = Omit<ChatCompletionChunk.Choice.Delta.ToolCall, 'index'> & { index?: number };

/**
 * Maps `chat.completion.chunk`s to provider stream parts: a `text` part per content delta
 * as it arrives, one `tool-call` part per call once the finish reason says its arguments
 * are complete, then exactly one `finish` with the usage of the final chunk (zero when the
 * server sent none).
 *
 * Throws `IncompleteStreamError` when the chunks end before a finish reason: the
 * connection was cut, or the request was aborted (the SDK ends the iteration silently).
 * Throws the signal's reason as soon as `signal` fires, even when the rest of the answer
 * is already buffered: the SDK checks its signal only while it waits for bytes.
 */
export async function* fromChunks(
  chunks: AsyncIterable<ChatCompletionChunk>,
  signal?: AbortSignal,
): AsyncGenerator<ProviderStreamPart> {
  const pending = new Map<number, PendingToolCall>();
  let finishReason: FinishReason | undefined;
  let usage: Usage | undefined;
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    if (chunk.usage) usage = toUsage(chunk.usage);
    // The usage chunk has no choices; routeplane never asks for n > 1.
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const delta = choice.delta;
    if (delta?.content) yield { type: 'text', text: delta.content };
    for (const call of delta?.tool_calls ?? []) addToolCallDelta(pending, call);
    if (choice.finish_reason) {
      finishReason = toFinishReason(choice.finish_reason);
      yield* completeToolCalls(pending);
    }
  }
  if (finishReason === undefined) throw new IncompleteStreamError('the stream ended before a finish_reason');
  yield { type: 'finish', finishReason, usage: usage ?? toUsage(undefined) };
}

function addToolCallDelta(pending: Map<number, PendingToolCall>, delta: ToolCallDelta): void {
  // Without an index, a delta with an id opens a new call and one without continues the last.
  const index = delta.index ?? (delta.id ? pending.size : Math.max(0, pending.size - 1));
  let call = pending.get(index);
  if (!call) {
    call = { id: '', name: '', arguments: '' };
    pending.set(index, call);
  }
  if (delta.id) call.id = delta.id;
  if (delta.function?.name) call.name = delta.function.name;
  if (delta.function?.arguments) call.arguments += delta.function.arguments;
}

function* completeToolCalls(pending: Map<number, PendingToolCall>): Generator<ProviderStreamPart> {
  const ordered = [...pending.entries()].sort(([a], [b]) => a - b);
  pending.clear();
  for (const [, call] of ordered) {
    yield {
      type: 'tool-call',
      toolCall: { id: call.id, name: call.name, arguments: parseToolArguments(call.arguments) },
    };
  }
}
