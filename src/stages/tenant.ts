import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';

/**
 * Settles whom the call is for and under which policy: the host's `resolveTenant` hook (if
 * any) may replace the request's tenant id; then the tenant's effective policy (defaults ←
 * tier ← tenant), its catalog, the response format (request, else policy) and the strategy
 * in force (the request's; else `force_model` when the request forces a model; else the
 * policy's). Emits `request.started` once the tenant is known.
 */
export const tenantStage: Middleware<RouteContext> = async (ctx, next) => {
  const { request, services } = ctx;
  if (services.resolveTenant) {
    const resolved = await services.resolveTenant(request);
    if (resolved !== undefined) ctx.tenant = resolved;
  }
  services.emit('request.started', () => ({
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.timestamp,
    ...(request.user !== undefined && { user: request.user }),
    stream: ctx.mode === 'stream',
  }));
  const resolved = services.resolvePolicy(ctx.tenant);
  const policy = resolved instanceof Promise ? await resolved : resolved;
  ctx.policy = policy;
  if (policy.catalog) ctx.catalog = policy.catalog;
  ctx.responseFormat = request.responseFormat ?? policy.responseFormat;
  ctx.strategy = request.strategy ?? (request.forceModel !== undefined ? 'force_model' : policy.strategy);
  return next();
};
