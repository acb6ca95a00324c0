import type { ReasoningOptions } from '../types.js';

/** The thinking budget an effort level stands for, where a provider takes a number of tokens. */
export const EFFORT_BUDGETS = { minimal: 1_024, low: 1_024, medium: 4_096, high: 16_384 } as const;

/** The level a call without one thinks at: `medium`, the providers' usual default. */
const DEFAULT_EFFORT = 'medium';

/** The thinking budget of a call: `budgetTokens`, else its effort's (medium without either). */
export function thinkingBudget(reasoning: ReasoningOptions): number {
  return reasoning.budgetTokens ?? EFFORT_BUDGETS[reasoning.effort ?? DEFAULT_EFFORT];
}

/**
 * The effort level of a call, for providers that take only a level: `effort`, else the
 * smallest level whose budget holds `budgetTokens` (`high` above 4,096), else `medium`.
 */
export function effortOf(reasoning: ReasoningOptions): 'minimal' | 'low' | 'medium' | 'high' {
  if (reasoning.effort !== undefined) return reasoning.effort;
  const budget = reasoning.budgetTokens;
  if (budget === undefined) return DEFAULT_EFFORT;
  if (budget <= EFFORT_BUDGETS.low) return 'low';
  return budget <= EFFORT_BUDGETS.medium ? 'medium' : 'high';
}

/**
 * The output cap sent when the call sets none: the router's default, plus the thinking
 * budget when the call asks for reasoning (thinking tokens count against the cap on every
 * provider), at most the model's max output.
 */
export function defaultOutputTokens(
  reasoning: ReasoningOptions | undefined,
  defaultMaxTokens: number,
  modelMaxOutput: number = Number.POSITIVE_INFINITY,
): number {
  const wanted = reasoning === undefined ? defaultMaxTokens : defaultMaxTokens + thinkingBudget(reasoning);
  return Math.min(modelMaxOutput, wanted);
}
