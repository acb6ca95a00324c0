import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import type { EffectivePolicy } from '../pipeline/policy.js';

/**
 * Settles whom the call is for and under which policy: the host's `resolveTenant` hook (if
 * any) may replace the request's tenant id; then the tenant's effective policy (defaults ←
 * tier ← tenant), its catalog, the response format (request, else policy) and the strategy
 * in force (the request's; else `force_model` when the request forces a model; else the
 * policy's). Emits `request.started` once the tenant is known.
 */
export const tenantStage: Middleware<RouteContext> = (ctx, next) => {
  // Not an async function: with no `resolveTenant` hook and a policy already compiled, the
  // stage passes on without a promise of its own.
  const resolveTenant = ctx.services.resolveTenant;
  if (resolveTenant === undefined) return withTenant(ctx, next);
  return (async () => {
    const resolved = await resolveTenant(ctx.request);
    if (resolved !== undefined) ctx.tenant = resolved;
    return withTenant(ctx, next);
  })();
};

function withTenant(ctx: RouteContext, next: () => Promise<void>): Promise<void> {
  const { request, services } = ctx;
  services.emit('request.started', () => ({
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.timestamp,
    ...(request.user !== undefined && { user: request.user }),
    stream: ctx.mode === 'stream',
  }));
  const resolved = services.resolvePolicy(ctx.tenant);
  if (resolved instanceof Promise) {
    return resolved.then((policy) => {
      usePolicy(ctx, policy);
      return next();
    });
  }
  usePolicy(ctx, resolved);
  return next();
}

function usePolicy(ctx: RouteContext, policy: EffectivePolicy): void {
  const { request } = ctx;
  ctx.policy = policy;
  if (policy.catalog) ctx.catalog = policy.catalog;
  ctx.responseFormat = request.responseFormat ?? policy.responseFormat;
  ctx.strategy = request.strategy ?? (request.forceModel !== undefined ? 'force_model' : policy.strategy);
}
