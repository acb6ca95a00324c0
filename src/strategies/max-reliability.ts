import { sortInPlace } from './sort.js';
import type { Strategy } from './types.js';

/**
 * `max_reliability`: models with observed history rank by success rate; with no history,
 * or equal rates, by quality, then cost. Score is the success rate (1 with no history);
 * equal scores are ordered by quality, then cost.
 */
export const maxReliability: Strategy = ({ candidates, health }) => {
  const rate = (id: string) => {
    const h = health(id);
    return h === undefined || h.samples === 0 ? 1 : h.successRate;
  };
  return sortInPlace(
    candidates.map((candidate) => ({ candidate, rate: rate(candidate.model.id) })),
    (a, b) =>
      b.rate - a.rate ||
      b.candidate.model.quality - a.candidate.model.quality ||
      a.candidate.estCostUsd - b.candidate.estCostUsd ||
      a.candidate.model.id.localeCompare(b.candidate.model.id),
  ).map(({ candidate, rate: score }) => ({ candidate, score }));
};
