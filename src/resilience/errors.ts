import { type ProviderError, RouterError } from '../errors.js';
import type { RouteContext } from '../pipeline/context.js';

/**
 * The error of a call whose every candidate failed (or was skipped): `providers_exhausted`,
 * with every attempt, and the last provider failure as its `cause`.
 */
export function exhausted(ctx: RouteContext, failure: ProviderError | undefined): RouterError {
  const tried = ctx.attempts
    .filter((a) => !a.ok)
    .map(
      (a) => `${a.model} on ${a.provider} (${a.errorCode}${a.status !== undefined ? ` ${a.status}` : ''})`,
    );
  const summary =
    tried.length > 0 ? tried.slice(-4).join(', ') : 'every candidate was skipped (circuits open)';
  return new RouterError(
    'providers_exhausted',
    `every candidate failed for tenant '${ctx.tenant}': ${summary}`,
    {
      tenant: ctx.tenant,
      requestId: ctx.requestId,
      attempts: ctx.attempts,
      ...(failure !== undefined && { cause: failure }),
      retryable: failure?.retryable ?? true,
      ...(failure?.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
    },
  );
}

/** Why the call was aborted: its signal's `RouterError` (`timeout`, `aborted`), or `aborted`. */
export function callAbortReason(ctx: RouteContext): RouterError {
  const reason: unknown = ctx.signal?.reason;
  return RouterError.isInstance(reason)
    ? reason
    : new RouterError('aborted', 'the call was aborted', { tenant: ctx.tenant, requestId: ctx.requestId });
}
