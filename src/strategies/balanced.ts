import { sortInPlace } from './sort.js';
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
  const n = candidates.length;
  if (n === 0) return [];
  // One pass for the ranges: log cost, quality, and latency of models with history.
  const costs = new Array<number>(n);
  const healths = new Array<ModelHealth | undefined>(n);
  let costMin = Number.POSITIVE_INFINITY;
  let costMax = Number.NEGATIVE_INFINITY;
  let qualityMin = Number.POSITIVE_INFINITY;
  let qualityMax = Number.NEGATIVE_INFINITY;
  let latencyMin = Number.POSITIVE_INFINITY;
  let latencyMax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const c = candidates[i]!;
    const cost = Math.log(c.estCostUsd + 1e-9);
    costs[i] = cost;
    if (cost < costMin) costMin = cost;
    if (cost > costMax) costMax = cost;
    const quality = c.model.quality;
    if (quality < qualityMin) qualityMin = quality;
    if (quality > qualityMax) qualityMax = quality;
    const h = health(c.model.id);
    healths[i] = h;
    if (h !== undefined && h.samples > 0) {
      if (h.latencyMs < latencyMin) latencyMin = h.latencyMs;
      if (h.latencyMs > latencyMax) latencyMax = h.latencyMs;
    }
  }
  const costSpan = costMax - costMin;
  const qualitySpan = qualityMax - qualityMin;
  const latencySpan = latencyMax > latencyMin ? latencyMax - latencyMin : 0;
  const total = weights.cost + weights.quality + weights.latency + weights.health || 1;

  const ranked = new Array<{ candidate: Candidate; score: number }>(n);
  for (let i = 0; i < n; i++) {
    const candidate = candidates[i]!;
    const h = healths[i];
    const cost = costSpan === 0 ? 1 : 1 - (costs[i]! - costMin) / costSpan;
    const quality = qualitySpan === 0 ? 1 : (candidate.model.quality - qualityMin) / qualitySpan;
    const known = h !== undefined && h.samples > 0;
    const latency = !known ? 0.5 : latencySpan === 0 ? 1 : 1 - (h.latencyMs - latencyMin) / latencySpan;
    const healthScore = known ? h.successRate : 1;
    const score =
      (weights.cost * cost +
        weights.quality * quality +
        weights.latency * latency +
        weights.health * healthScore) /
      total;
    ranked[i] = { candidate, score };
  }
  return sortInPlace(
    ranked,
    (a, b) =>
      b.score - a.score ||
      a.candidate.estCostUsd - b.candidate.estCostUsd ||
      a.candidate.model.id.localeCompare(b.candidate.model.id),
  );
};
