import { estimateInputTokens, hasImages } from '../catalog/estimate.js';
import type { RouteContext } from './context.js';

/**
 * A capability a request needs from its model: tools, vision (an image part), json (a JSON
 * response format), reasoning (a `reasoning` request).
 */
export type RequiredCapability = 'tools' | 'vision' | 'json' | 'reasoning';

/**
 * The input-token bound of the call's messages as they are now, computed once per message
 * list: several stages need it (guardrails, rate limit, strategy), and a stage that
 * rewrites `ctx.messages` gets a fresh estimate. A replayed call (`ctx.replay`) has no
 * prompt: its recorded bound is the answer.
 */
export function inputTokensOf(ctx: RouteContext): number {
  if (ctx.replay !== undefined) return ctx.replay.inputTokens;
  const memo = ctx.inputEstimate;
  if (memo !== undefined && memo.messages === ctx.messages) return memo.tokens;
  const tokens = estimateInputTokens(ctx.messages, ctx.request.tools);
  ctx.inputEstimate = { messages: ctx.messages, tokens };
  return tokens;
}

/** The capabilities the call needs from its model (a replayed call: the recorded ones). */
export function requiredCapabilities(ctx: RouteContext): readonly RequiredCapability[] {
  if (ctx.replay !== undefined) return ctx.replay.needs;
  const needs: RequiredCapability[] = [];
  if (ctx.request.tools && ctx.request.tools.length > 0) needs.push('tools');
  if (hasImages(ctx.messages)) needs.push('vision');
  const format = ctx.responseFormat?.type;
  if (format === 'json' || format === 'json_schema') needs.push('json');
  if (ctx.request.reasoning !== undefined) needs.push('reasoning');
  return needs;
}
