import { sortInPlace } from './sort.js';
import type { Strategy } from './types.js';

/**
 * `lowest_cost`: cheapest estimated cost first; ties go to the higher quality, then the id.
 * Score is cheapest / this cost, so the cheapest scores 1.
 */
export const lowestCost: Strategy = ({ candidates }) => {
  const sorted = sortInPlace(
    [...candidates],
    (a, b) =>
      a.estCostUsd - b.estCostUsd ||
      b.model.quality - a.model.quality ||
      a.model.id.localeCompare(b.model.id),
  );
  const cheapest = sorted[0]?.estCostUsd ?? 0;
  return sorted.map((candidate) => ({
    candidate,
    score: candidate.estCostUsd === 0 ? 1 : cheapest / candidate.estCostUsd,
  }));
};
