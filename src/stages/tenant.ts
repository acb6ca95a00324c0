import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';

/**
 * Resolves the tenant's effective policy (defaults ← tier ← tenant) and the strategy in
 * force: the request's, else `force_model` when the request forces a model, else the policy's.
 */
export const tenantStage: Middleware<RouteContext> = async (ctx, next) => {
  const resolved = ctx.services.resolvePolicy(ctx.tenant);
  const policy = resolved instanceof Promise ? await resolved : resolved;
  ctx.policy = policy;
  ctx.strategy =
    ctx.request.strategy ?? (ctx.request.forceModel !== undefined ? 'force_model' : policy.strategy);
  return next();
};
