import { estimateInputTokens } from '../catalog/estimate.js';
import type { RouteContext } from './context.js';

/**
 * The input-token bound of the call's messages as they are now, computed once per message
 * list: several stages need it (guardrails, rate limit, strategy), and a stage that
 * rewrites `ctx.messages` gets a fresh estimate.
 */
export function inputTokensOf(ctx: RouteContext): number {
  const memo = ctx.inputEstimate;
  if (memo !== undefined && memo.messages === ctx.messages) return memo.tokens;
  const tokens = estimateInputTokens(ctx.messages, ctx.request.tools);
  ctx.inputEstimate = { messages: ctx.messages, tokens };
  return tokens;
}
