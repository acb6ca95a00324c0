import type { ProviderResponse, ProviderStreamPart } from '../providers/types.js';
import type { ToolCall, Usage } from '../types.js';
import type { RouteContext } from './context.js';

type FinishPart = Extract<ProviderStreamPart, { type: 'finish' }>;

/** What a stage does with the call's answer. See `onAnswer()`. */
export interface AnswerHandlers {
  /**
   * Keep the answer's text and tool calls for `end`. Off by default: stages that only settle
   * usage get an answer whose `content` is `''`, with no copy of a long stream's text.
   */
  collect?: boolean;
  /** Each streamed part as it passes, before the consumer sees it; throwing ends the stream with that error. */
  part?(part: ProviderStreamPart): void;
  /**
   * The complete answer: at once for `complete`; for a stream when its finish part arrives,
   * before the consumer sees it. Undefined when a stream failed or its consumer stopped
   * before the finish. Throwing fails the call (for a stream: ends it with that error).
   */
  end(answer: ProviderResponse | undefined): void | Promise<void>;
}

/**
 * The one way a stage acts on the answer after `next()` returned, whatever the mode: for
 * `complete` it runs `end` with the response at once; for a stream it wraps `ctx.stream`
 * once, runs `part` as parts pass and `end` at the finish (or with undefined if the stream
 * never finished). `explain()` has no answer: nothing runs.
 */
export function onAnswer(ctx: RouteContext, handlers: AnswerHandlers): void | Promise<void> {
  // An embed call's `response` carries its usage (no text): stages settle it as a complete answer.
  if (ctx.mode === 'complete' || ctx.mode === 'embed') return handlers.end(ctx.response);
  const inner = ctx.stream;
  if (ctx.mode === 'stream' && inner) ctx.stream = watched(inner, handlers);
}

async function* watched(
  inner: AsyncIterable<ProviderStreamPart>,
  handlers: AnswerHandlers,
): AsyncGenerator<ProviderStreamPart> {
  const answer = handlers.collect ? new AnswerBuilder() : undefined;
  let ended = false;
  try {
    for await (const part of inner) {
      if (part.type === 'finish') {
        ended = true;
        await handlers.end(answer ? answer.build(part) : responseOf(part, '', undefined));
      } else {
        answer?.add(part);
        handlers.part?.(part);
      }
      yield part;
    }
  } finally {
    if (!ended) await handlers.end(undefined);
  }
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
