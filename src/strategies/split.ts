import type { Candidate, Ranked } from './types.js';

/** One arm of a traffic split. */
export interface SplitArm {
  model: string;
  weight: number;
}

/**
 * A point in [0, 1) that is the same for every call of one user of one tenant (FNV-1a of
 * both, finalized), so a user stays on the model the split gave them; `random()` when there
 * is no user.
 */
export function splitPoint(tenant: string, user: string | undefined, random: () => number): number {
  if (user === undefined) return random();
  let hash = 0x811c9dc5;
  const key = `${tenant}\u0000${user}`;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // FNV-1a alone leaves the high bits poorly mixed for keys that differ only at the end
  // (u-1, u-2…), which skews the weights; murmur3's finalizer spreads them.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/**
 * Puts the split's pick first and keeps the strategy's order for the rest. The pick is
 * drawn at `point` by weight among the arms whose model is a candidate of this call, so a
 * model the tenant may not use, or that does not fit, is never picked. No eligible arm:
 * the ranking is returned as it is.
 */
export function applySplit(
  ranked: readonly Ranked[],
  candidates: readonly Candidate[],
  arms: readonly SplitArm[],
  point: number,
): Ranked[] {
  const eligible = arms.filter((arm) => arm.weight > 0 && candidates.some((c) => c.model.id === arm.model));
  const total = eligible.reduce((sum, arm) => sum + arm.weight, 0);
  if (total === 0) return [...ranked];
  let at = point * total;
  let picked = eligible[eligible.length - 1]!.model;
  for (const arm of eligible) {
    if (at < arm.weight) {
      picked = arm.model;
      break;
    }
    at -= arm.weight;
  }
  const first = ranked.find((r) => r.candidate.model.id === picked) ?? {
    candidate: candidates.find((c) => c.model.id === picked)!,
    score: 1,
  };
  return [first, ...ranked.filter((r) => r.candidate.model.id !== picked)];
}
