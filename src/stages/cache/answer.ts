import { actualCostUsd } from '../../catalog/estimate.js';
import { onAnswer } from '../../pipeline/answer.js';
import type { RouteContext } from '../../pipeline/context.js';
import type { ProviderResponse, ProviderStreamPart } from '../../providers/types.js';
import type { FinishReason, ToolCall, Usage } from '../../types.js';

/** What a cache keeps of an answer: enough to rebuild the call's result. */
export interface CachedAnswer {
  /** The catalog id of the model that answered; resolved again through the tenant's catalog on a hit. */
  model: string;
  content: string;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** What the answer cost when it was made, in USD: the `savedUsd` of each hit. */
  costUsd: number;
  /** The vectors of a `router.embed()` answer (whose `content` is `''`). */
  embeddings?: number[][];
}

/** Only complete, successful answers are cached: not `length` (cut) nor `content_filter`. */
export function isCacheable(finishReason: FinishReason): boolean {
  return finishReason === 'stop' || finishReason === 'tool_calls';
}

/**
 * Answers the call from a cached answer: sets `ctx.cached`, `ctx.served` and `ctx.response`
 * (complete) or `ctx.stream` (stream, replayed as parts), and emits `cache.hit`. Returns
 * false, changing nothing, when the model that made the answer is no longer one the
 * tenant may use for this call (no longer in its catalog, or excluded): treat it as a miss.
 */
export function serveCached(ctx: RouteContext, answer: CachedAnswer): boolean {
  const model = ctx.catalog.get(answer.model);
  if (!model || !ctx.eligible.some((m) => m.id === model.id)) return false;
  // An embed call is answered with vectors only, a chat call never with them.
  if ((ctx.mode === 'embed') !== (answer.embeddings !== undefined)) return false;
  if (answer.embeddings) ctx.embeddings = answer.embeddings;
  ctx.cached = true;
  ctx.served = { candidate: { model, inputTokens: 0, maxTokens: 0, estCostUsd: 0 } };
  const response: ProviderResponse = {
    content: answer.content,
    ...(answer.toolCalls && answer.toolCalls.length > 0 && { toolCalls: answer.toolCalls }),
    finishReason: answer.finishReason,
    usage: answer.usage,
  };
  if (ctx.mode === 'stream') {
    const parts = replayParts(response);
    ctx.stream = {
      async *[Symbol.asyncIterator]() {
        yield* parts;
      },
    };
  } else ctx.response = response;
  ctx.services.emit('cache.hit', () => ({
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.services.now(),
    model: model.id,
    provider: model.provider,
    savedUsd: answer.costUsd,
  }));
  return true;
}

/** A cached answer as stream parts: the text word by word (whitespace kept), the tool calls, the finish. */
export function replayParts(response: ProviderResponse): ProviderStreamPart[] {
  const parts: ProviderStreamPart[] = [];
  for (const word of response.content.split(/(?<=\s)(?=\S)/))
    if (word) parts.push({ type: 'text', text: word });
  for (const toolCall of response.toolCalls ?? []) parts.push({ type: 'tool-call', toolCall });
  parts.push({ type: 'finish', finishReason: response.finishReason, usage: response.usage });
  return parts;
}

/**
 * Call after `next()` returned: hands `save` the call's answer if it is complete and
 * successful; for a stream, when it has finished (not when it failed or its consumer
 * stopped early). A failing `save` never fails the call.
 */
export function captureAnswer(ctx: RouteContext, save: (answer: CachedAnswer) => void): void {
  const keep = (response: ProviderResponse) => {
    const served = ctx.served;
    if (ctx.cached || !served || !isCacheable(response.finishReason)) return;
    try {
      save({
        model: served.candidate.model.id,
        content: response.content,
        ...(response.toolCalls && response.toolCalls.length > 0 && { toolCalls: response.toolCalls }),
        finishReason: response.finishReason,
        usage: response.usage,
        costUsd: actualCostUsd(served.candidate.model, response.usage),
        ...(ctx.embeddings && { embeddings: ctx.embeddings }),
      });
    } catch {
      // A cache is an optimization: an answer it cannot keep is simply not cached.
    }
  };
  onAnswer(ctx, { end: (answer) => answer && keep(answer) });
}
