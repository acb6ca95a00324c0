import type { ProviderResponse, ProviderStreamPart } from '../providers/types.js';
import type { ToolCall, Usage } from '../types.js';
import type { RouteContext } from './context.js';

type FinishPart = Extract<ProviderStreamPart, { type: 'finish' }>;

/** What a stage does with the call's answer. See `onAnswer()`. */
export interface AnswerHandlers {
  /** Each streamed part as it passes, before the consumer sees it; throwing ends the stream with that error. */
  part?(part: ProviderStreamPart): void;
  /**
   * The complete answer: at once for `complete`; for a stream when its finish part arrives,
   * before the consumer sees it (the text joined and the tool calls, as the call's result
   * has them). Undefined when a stream failed or its consumer stopped before the finish.
   * Throwing fails the call (for a stream: ends it with that error).
   */
  end(answer: ProviderResponse | undefined): void | Promise<void>;
}

/**
 * The one way a stage acts on the answer after `next()` returned, whatever the mode: for
 * `complete` it runs `end` with the response at once; for a stream it registers the
 * handlers on the call, and the router's loop over the stream runs `part` as parts pass
 * (`answerPart`) and `end` at the finish (`answerEnd`), or with undefined if the stream
 * never finished. No stage wraps the stream: a part crosses one loop, whatever the stages.
 * Handlers run in the order they were registered, innermost stage first (the order in which
 * the stages' `next()` returned). `explain()` has no answer: nothing runs.
 */
export function onAnswer(ctx: RouteContext, handlers: AnswerHandlers): void | Promise<void> {
  // An embed call's `response` carries its usage (no text): stages settle it as a complete answer.
  if (ctx.mode === 'complete' || ctx.mode === 'embed') return handlers.end(ctx.response);
  if (ctx.mode !== 'stream' || !ctx.stream) return;
  if (ctx.answerHandlers) ctx.answerHandlers.push(handlers);
  else ctx.answerHandlers = [handlers];
}

/** A streamed part (not the finish) passing: each stage's `part` handler, in order. */
export function answerPart(ctx: RouteContext, part: ProviderStreamPart): void {
  const handlers = ctx.answerHandlers;
  if (handlers === undefined) return;
  for (let i = 0; i < handlers.length; i++) handlers[i]!.part?.(part);
}

/**
 * The stream's end: each stage's `end` handler, in order, once. `answer` is undefined when
 * the stream failed or was stopped before its finish. When one throws, the handlers after
 * it see a stream that did not finish (`end(undefined)`) and the first error is thrown.
 */
export async function answerEnd(ctx: RouteContext, answer: ProviderResponse | undefined): Promise<void> {
  const handlers = ctx.answerHandlers;
  if (handlers === undefined) return;
  ctx.answerHandlers = undefined;
  let failure: { error: unknown } | undefined;
  for (const handler of handlers) {
    try {
      const out = handler.end(failure ? undefined : answer);
      if (out !== undefined) await out;
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

/** Rebuilds a complete answer from stream parts: the text joined, the tool calls, the finish. */
export class AnswerBuilder {
  private readonly text: string[] = [];
  private readonly toolCalls: ToolCall[] = [];

  add(part: Exclude<ProviderStreamPart, FinishPart>): void {
    if (part.type === 'text') this.text.push(part.text);
    else this.toolCalls.push(part.toolCall);
  }

  /** The answer; `finish` undefined (a stream with no finish part) reads as a stop with unknown usage. */
  build(finish: FinishPart | undefined): ProviderResponse {
    return responseOf(finish, this.text.join(''), this.toolCalls.length > 0 ? this.toolCalls : undefined);
  }
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };

function responseOf(
  finish: FinishPart | undefined,
  content: string,
  toolCalls: ToolCall[] | undefined,
): ProviderResponse {
  return {
    content,
    ...(toolCalls && { toolCalls }),
    finishReason: finish?.finishReason ?? 'stop',
    usage: finish?.usage ?? NO_USAGE,
    ...(finish?.refusal !== undefined && { refusal: finish.refusal }),
    ...((finish === undefined || finish.usageReported === false) && { usageReported: false }),
  };
}

/** The usage to settle: undefined when unknown (no answer, or the provider reported none). */
export function settledUsage(answer: ProviderResponse | undefined): Usage | undefined {
  return answer && answer.usageReported !== false ? answer.usage : undefined;
}
