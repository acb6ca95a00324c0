import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai';
import { classifyFailure, contextFacts, type FailureContext, IncompleteStreamError } from '../classify.js';
import type { ProviderStreamPart } from '../types.js';
import {
  blockedPrompt,
  fromGeminiFinishReason,
  fromGeminiUsage,
  readParts,
  type SignatureStore,
} from './response.js';

/**
 * Maps `generateContentStream` chunks to provider stream parts: a `text` part per piece of
 * answer text (thoughts left out), a `tool-call` part per `functionCall` (Gemini sends each
 * call whole), and one `finish` when the stream ends, with the last finish reason and the
 * last `usageMetadata` seen (Gemini repeats usage on chunks; the last one is the total).
 *
 * A stream that ends without a finish reason was cut: it throws `IncompleteStreamError`
 * (`connection`). A blocked prompt (`promptFeedback.blockReason`) throws `content_filter`.
 * Once `signal` fires, the next chunk throws the abort reason, whatever the SDK does.
 */
export async function* mapGeminiStream(
  chunks: AsyncIterable<GenerateContentResponse>,
  model: string,
  context: FailureContext,
  keep: SignatureStore,
  signal?: AbortSignal,
): AsyncGenerator<ProviderStreamPart, void, undefined> {
  let finishReason: string | undefined;
  let usage: GenerateContentResponseUsageMetadata | undefined;
  let calledTools = false;
  let sawChunk = false;
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    sawChunk = true;
    const blocked = blockedPrompt(chunk, model, context);
    if (blocked) throw blocked;
    if (chunk.usageMetadata) usage = chunk.usageMetadata;
    const candidate = chunk.candidates?.[0];
    if (!candidate) continue;
    const { text, toolCalls } = readParts(candidate.content?.parts, keep);
    if (text !== '') yield { type: 'text', text };
    for (const toolCall of toolCalls) {
      calledTools = true;
      yield { type: 'tool-call', toolCall };
    }
    if (candidate.finishReason) finishReason = candidate.finishReason;
  }
  signal?.throwIfAborted();
  if (finishReason === undefined) {
    if (!sawChunk) {
      throw classifyFailure({
        ...contextFacts(context),
        model,
        message: 'malformed response: an empty stream',
        malformed: true,
      });
    }
    throw new IncompleteStreamError('the stream ended before a finish reason');
  }
  yield {
    type: 'finish',
    finishReason: fromGeminiFinishReason(finishReason, calledTools),
    usage: fromGeminiUsage(usage),
    ...(!usage && { usageReported: false }),
  };
}
