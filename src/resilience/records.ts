import { cancelledCostNano } from '../catalog/estimate.js';
import { ProviderError, type ProviderErrorCode } from '../errors.js';
import type { CircuitEventBase } from '../events/types.js';
import type { CircuitChange } from '../health/tracker.js';
import type { RouteContext } from '../pipeline/context.js';
import type { Candidate } from '../strategies/types.js';
import type { Attempt, AttemptRecorder } from './attempt.js';

/** An attempt of a routed call. */
export type RouteAttempt = Attempt<RouteContext, Candidate>;

/**
 * What becomes of a routed call's attempts: each is pushed to `ctx.attempts` (the result's
 * and the audit's list), its verdict goes to the deployment's health (circuit breaker), a
 * failure emits `attempt.failed`, and a circuit it opens or closes `circuit.opened` /
 * `circuit.closed`.
 */
export const attemptRecorder: AttemptRecorder<RouteContext, Candidate> = {
  success: recordSuccess,
  failure: recordFailure,
  /**
   * Recorded as `cancelled` at once, so the audit emitted right after the winner lists it;
   * its circuit slot is given back without a verdict.
   */
  cancelled(attempt) {
    const ctx = attempt.call;
    const { model, inputTokens } = attempt.candidate;
    recordAttempt(attempt, 'cancelled', undefined, performance.now() - attempt.started);
    // The provider has read the prompt; what it wrote before the abort cannot be known.
    ctx.charges.cancelledNano += cancelledCostNano(model, inputTokens, ctx.policy?.promptCaching);
    ctx.services.health.release(attempt.key);
  },
};

/** Records an attempt that answered (for a stream: whose stream ended well). */
export function recordSuccess(attempt: RouteAttempt): void {
  const latencyMs = performance.now() - attempt.started;
  recordAttempt(attempt, undefined, undefined, latencyMs);
  const change = attempt.call.services.health.record(attempt.key, undefined, latencyMs, attempt.call);
  if (change !== undefined) circuitChanged(attempt, change, undefined);
}

/** Records a failed attempt (attempt list, health, event) and returns the classified failure. */
export function recordFailure(attempt: RouteAttempt, error: unknown): ProviderError {
  const ctx = attempt.call;
  const { model } = attempt.candidate;
  const failure = ProviderError.isInstance(error)
    ? error
    : ctx.services.adapters.get(model.provider)!.classify(error, model.upstream);
  const latencyMs = performance.now() - attempt.started;
  recordAttempt(attempt, failure.code, failure.status, latencyMs);
  // A call the caller aborted says nothing of the deployment's health; its probe slot is free again.
  if (ctx.signal?.aborted) ctx.services.health.release(attempt.key);
  else {
    const change = ctx.services.health.record(attempt.key, failure.code, latencyMs, ctx);
    if (change !== undefined) circuitChanged(attempt, change, failure.code);
  }
  ctx.services.emit('attempt.failed', () => ({
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.services.now(),
    model: model.id,
    provider: model.provider,
    errorCode: failure.code,
    ...(failure.status !== undefined && { status: failure.status }),
    retryable: failure.retryable,
    latencyMs,
  }));
  return failure;
}

/** Emits `circuit.opened` / `circuit.closed` for the change the attempt's outcome made. */
function circuitChanged(
  attempt: RouteAttempt,
  change: CircuitChange,
  errorCode: ProviderErrorCode | undefined,
): void {
  const ctx = attempt.call;
  const { model } = attempt.candidate;
  const build = (): CircuitEventBase => {
    const credentialId = ctx.policy?.credentials?.[model.provider]?.id;
    return {
      requestId: ctx.requestId,
      tenant: ctx.tenant,
      timestamp: ctx.services.now(),
      model: model.id,
      provider: model.provider,
      ...(credentialId !== undefined && { credentialId }),
    };
  };
  if (change.state === 'closed') ctx.services.emit('circuit.closed', build);
  else if (errorCode !== undefined)
    ctx.services.emit('circuit.opened', () => ({
      ...build(),
      reason: change.reason,
      cooldownMs: change.cooldownMs,
      errorCode,
    }));
}

function recordAttempt(
  attempt: RouteAttempt,
  errorCode: string | undefined,
  status: number | undefined,
  latencyMs: number,
): void {
  const { model } = attempt.candidate;
  attempt.call.attempts.push({
    model: model.id,
    provider: model.provider,
    ok: errorCode === undefined,
    ...(errorCode !== undefined && { errorCode }),
    ...(status !== undefined && { status }),
    latencyMs,
  });
}
