import type Anthropic from '@anthropic-ai/sdk';
import { EFFORT_BUDGETS, effortOf } from '../../catalog/reasoning.js';
import type { ReasoningOptions, ToolChoice } from '../../types.js';

/** Anthropic's floor for a manual thinking budget. */
export const MIN_THINKING_BUDGET = 1_024;

/**
 * The Claude version a model name carries, after the family (`claude-sonnet-4-6`) or, in
 * older names, before it; with a Bedrock prefix (`eu.anthropic.…-v1:0`) or a Vertex `@date`
 * suffix as well. Undefined for a name without one. A trailing 8-digit date is not a minor
 * version.
 */
export function claudeVersion(model: string): { major: number; minor: number } | undefined {
  const match = /claude-(?:[a-z]+-)?(\d{1,2})(?:-(\d{1,2}))?(?!\d)/.exec(model);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: match[2] === undefined ? 0 : Number(match[2]) };
}

function atLeast(model: string, major: number, minor: number): boolean {
  const version = claudeVersion(model);
  if (version === undefined) return false;
  return version.major > major || (version.major === major && version.minor >= minor);
}

/**
 * Claude 4.6 and later think adaptively (`thinking: { type: 'adaptive' }` with
 * `output_config.effort`); 4.7 and later refuse the manual budget form with a 400, and it is
 * deprecated on 4.6. Older models, and names without a version, take the budget form.
 */
export function usesAdaptiveThinking(model: string): boolean {
  return atLeast(model, 4, 6);
}

/**
 * Claude 4.5 and later take a JSON Schema in `output_config.format` (structured outputs);
 * for older models, and names without a version, the schema goes in the system prompt.
 */
export function supportsStructuredOutput(model: string): boolean {
  return atLeast(model, 4, 5);
}

/** The thinking fields of a request body: `thinking`, and `output_config.effort` for adaptive models. */
export interface ThinkingParams {
  thinking: Anthropic.ThinkingConfigParam;
  effort?: 'low' | 'medium' | 'high';
}

/**
 * Maps `reasoning` for `model` with output cap `maxTokens`, or undefined when thinking is
 * not sent:
 * - adaptive models: `{ type: 'adaptive' }` and the effort (`minimal` is `low`, the lowest
 *   level Claude takes; a budget alone picks the level that holds it);
 * - older models: `{ type: 'enabled', budget_tokens }` with `budgetTokens`, else the
 *   effort's budget (1,024 / 4,096 / 16,384), raised to Anthropic's floor of 1,024 and
 *   lowered below `maxTokens` (the API requires `max_tokens > budget_tokens`; thinking
 *   counts against `max_tokens`). With `maxTokens` at 1,024 or less no budget fits, and
 *   the call is sent without thinking.
 * Thinking is also left out when `toolChoice` forces a tool, which the API refuses with it.
 */
export function thinkingParams(
  model: string,
  reasoning: ReasoningOptions | undefined,
  maxTokens: number,
  toolChoice: ToolChoice | undefined,
): ThinkingParams | undefined {
  if (reasoning === undefined) return undefined;
  if (toolChoice === 'required' || typeof toolChoice === 'object') return undefined;
  if (usesAdaptiveThinking(model)) {
    const effort = effortOf(reasoning);
    return { thinking: { type: 'adaptive' }, effort: effort === 'minimal' ? 'low' : effort };
  }
  const asked = reasoning.budgetTokens ?? EFFORT_BUDGETS[reasoning.effort ?? 'medium'];
  const budget = Math.min(Math.max(asked, MIN_THINKING_BUDGET), maxTokens - 1);
  if (budget < MIN_THINKING_BUDGET) return undefined;
  return { thinking: { type: 'enabled', budget_tokens: budget } };
}
