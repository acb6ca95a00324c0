import type { ProviderErrorCode } from '../errors.js';
import { HealthTracker } from '../health/tracker.js';
import type { RouteContext } from '../pipeline/context.js';
import { sortInPlace } from '../strategies/sort.js';
import type { Candidate, Ranked } from '../strategies/types.js';

/** A candidate on one deployment; `alternate`: an available deployment of its model follows it. */
export interface Deployed extends Candidate {
  readonly alternate?: boolean;
}

/** Failures that say a credential is out of capacity for now: its deployment goes last. */
export const LIMITED: ReadonlySet<ProviderErrorCode> = new Set(['rate_limited', 'quota_exceeded']);

/** How long a deployment that answered 429 without a retry-after stays last. */
export const LIMITED_MS = 1_000;

/**
 * The chain's candidates: each ranked model in rank order, its deployments in the order to
 * try them. Available deployments (circuit closed, no recent 429, provider entry below its
 * concurrency cap) come first, drawn by
 * weight without replacement, so load is shared by weight; the others follow in catalog
 * order (a refused circuit is passed over, a rate-limited key is the last resort). A model
 * with one deployment is its candidate as ranked: no allocation.
 */
export function deploymentsOf(
  ctx: RouteContext,
  ranked: readonly Ranked[],
  random: () => number,
  saturated: (provider: string) => boolean = () => false,
): Candidate[] {
  const out: Candidate[] = [];
  for (const { candidate } of ranked) {
    const deployments = candidate.model.deployments;
    if (deployments.length === 1) {
      out.push(candidate);
      continue;
    }
    const credentials = ctx.policy?.credentials;
    const up: { model: (typeof deployments)[number]; key: number }[] = [];
    const down: (typeof deployments)[number][] = [];
    for (const d of deployments) {
      const key = HealthTracker.keyOf(d, credentials?.[d.provider]?.id);
      // Efraimidis–Spirakis: sorting by random^(1/weight) draws by weight without replacement.
      if (unavailable(ctx, key) === undefined && !saturated(d.provider))
        up.push({ model: d, key: random() ** (1 / d.weight) });
      else down.push(d);
    }
    sortInPlace(up, (a, b) => b.key - a.key);
    const order = [...up.map((u) => u.model), ...down];
    for (let i = 0; i < order.length; i++) {
      // An available deployment follows: a failure here moves on at once instead of a retry.
      const deployed: Deployed = { ...candidate, model: order[i]!, alternate: i < up.length - 1 };
      out.push(deployed);
    }
  }
  return out;
}

/**
 * Why a deployment cannot take an attempt now, or undefined when it can: its circuit is
 * open, or its credential answered 429 or `quota_exceeded` within its retry-after.
 */
export function unavailable(ctx: RouteContext, key: string): string | undefined {
  const { health, limited } = ctx.services;
  if (health.view(key)?.open === true) return 'circuit open';
  const ms = limited.left(key);
  return ms > 0 ? `rate limited for ${Math.ceil(ms)} ms` : undefined;
}
