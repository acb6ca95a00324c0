import type { Ranked, Strategy } from './types.js';

/**
 * `force_model`: the forced model, then the policy's `fallbacks` in their order, and
 * nothing else: a tenant pinned to a model never lands on one it did not name.
 */
export const forceModel: Strategy = ({ candidates, forced, fallbacks = [] }) => {
  const order = forced === undefined ? fallbacks : [forced, ...fallbacks.filter((id) => id !== forced)];
  const ranked: Ranked[] = [];
  for (const id of order) {
    const candidate = candidates.find((c) => c.model.id === id);
    if (candidate && !ranked.some((r) => r.candidate === candidate)) {
      ranked.push({ candidate, score: 1 / (ranked.length + 1) });
    }
  }
  return ranked;
};
