import type { Candidate, ModelHealth, Strategy } from './types.js';

/** Default weights of `balanced`. */
export const DEFAULT_BALANCED_WEIGHTS = { cost: 0.3, quality: 0.5, latency: 0.1, health: 0.1 } as const;

/**
 * `balanced`: a weighted mean of four scores, each 0..1 across the candidates of the call:
 * - cost: 1 for the cheapest, 0 for the dearest, on a log scale (prices span 1000×);
 * - quality: 1 for the best, 0 for the worst (min-max of `quality`);
 * - latency: the same over observed latency (0.5 for a model with no history);
 * - health: observed success rate (1 for a model with no history).
 * Ties go to the cheaper model, then the id.
 */
export const balanced: Strategy = ({ candidates, weights, health }) => {
  if (candidates.length === 0) return [];
  const logCost = (c: Candidate) => Math.log(c.estCostUsd + 1e-9);
  const costs = candidates.map(logCost);
  const qualities = candidates.map((c) => c.model.quality);
  const healths = candidates.map((c) => health(c.model.id));
  const latencies = healths
    .filter((h): h is ModelHealth => h !== undefined && h.samples > 0)
    .map((h) => h.latencyMs);
  const costRange = range(costs);
  const qualityRange = range(qualities);
  const latencyRange = range(latencies);
  const total = weights.cost + weights.quality + weights.latency + weights.health || 1;

  return candidates
    .map((candidate, i) => {
      const h = healths[i];
      const cost = costRange.span === 0 ? 1 : 1 - (costs[i]! - costRange.min) / costRange.span;
      const quality = qualityRange.span === 0 ? 1 : (qualities[i]! - qualityRange.min) / qualityRange.span;
      const latency =
        h === undefined || h.samples === 0
          ? 0.5
          : latencyRange.span === 0
            ? 1
            : 1 - (h.latencyMs - latencyRange.min) / latencyRange.span;
      const healthScore = h === undefined || h.samples === 0 ? 1 : h.successRate;
      const score =
        (weights.cost * cost +
          weights.quality * quality +
          weights.latency * latency +
          weights.health * healthScore) /
        total;
      return { candidate, score };
    })
    .sort(
      (a, b) =>
        b.score - a.score ||
        a.candidate.estCostUsd - b.candidate.estCostUsd ||
        a.candidate.model.id.localeCompare(b.candidate.model.id),
    );
};

function range(values: readonly number[]): { min: number; span: number } {
  if (values.length === 0) return { min: 0, span: 0 };
  const min = Math.min(...values);
  return { min, span: Math.max(...values) - min };
}
