import type { ResolvedModel } from '../catalog/types.js';

/** A model eligible for the call, with what it would cost at most. */
export interface Candidate {
  readonly model: ResolvedModel;
  /** Upper bound of the input tokens (see `estimateInputTokens`). */
  readonly inputTokens: number;
  /** The `max_tokens` that will be sent to the provider. */
  readonly maxTokens: number;
  /** Upper bound of the call's cost in USD. */
  readonly estCostUsd: number;
}

/** What the router has observed of a model; absent before its first call. */
export interface ModelHealth {
  /** Share of recent attempts that succeeded, 0..1 (EWMA). */
  readonly successRate: number;
  /** Recent latency in ms (EWMA). */
  readonly latencyMs: number;
  readonly samples: number;
  /** The model's circuit is open: it is skipped until its cooldown ends. */
  readonly open: boolean;
}

/** Read-only health by model id. */
export type HealthView = (modelId: string) => ModelHealth | undefined;

/** Weights of the `balanced` score; they need not sum to 1. */
export interface BalancedWeights {
  cost: number;
  quality: number;
  latency: number;
  health: number;
}

/** Everything a strategy may look at. Strategies are pure: no I/O, no clock. */
export interface StrategyInput {
  readonly candidates: readonly Candidate[];
  /** The forced model id, for `force_model`. */
  readonly forced?: string;
  /** The policy's explicit fallbacks, in order. */
  readonly fallbacks?: readonly string[];
  readonly weights: BalancedWeights;
  readonly health: HealthView;
}

/** A candidate with its score; higher ranks first. */
export interface Ranked {
  readonly candidate: Candidate;
  readonly score: number;
}

/** Ranks candidates; the result is the fallback order. Never adds a candidate. */
export type Strategy = (input: StrategyInput) => Ranked[];
