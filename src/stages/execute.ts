import { ProviderError, RouterError } from '../errors.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import type { ProviderAdapter, ProviderRequest, ProviderStreamPart } from '../providers/types.js';
import type { Candidate } from '../strategies/types.js';

/**
 * Calls the first ranked candidate through its adapter, once. A failure is
 * `providers_exhausted` carrying the attempt and the classified provider error as `cause`;
 * the caller's abort or the call's deadline wins over the provider error.
 *
 * For streams the stage waits for the first part, so that a failure before the first
 * token is an attempt failure like any other (and can fall back, once fallback exists);
 * `ctx.stream` then yields that part and the rest, and records the attempt when it ends.
 */
export const executeStage: Middleware<RouteContext> = async (ctx, next) => {
  if (ctx.mode === 'explain') return;
  const candidate = ctx.ranked[0]!.candidate;
  const { model } = candidate;
  const adapter = ctx.services.adapters.get(model.provider)!;
  const credential = ctx.policy?.credentials?.[model.provider];
  const request = providerRequest(ctx, candidate, credential);
  const served = { candidate, ...(credential && { credentialId: credential.id }) };
  const started = performance.now();

  try {
    if (ctx.mode === 'complete') {
      ctx.response = await adapter.complete(request);
      recordAttempt(ctx, candidate, started);
    } else {
      ctx.stream = await openStream(ctx, adapter, request, candidate, started);
    }
  } catch (error) {
    throw attemptFailed(ctx, adapter, candidate, started, error);
  }
  ctx.served = served;
  return next();
};

function providerRequest(
  ctx: RouteContext,
  candidate: Candidate,
  credential: { id: string; apiKey: string } | undefined,
): ProviderRequest {
  const { request } = ctx;
  return {
    model: candidate.model.upstream,
    messages: ctx.messages,
    maxTokens: candidate.maxTokens,
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.tools !== undefined && { tools: request.tools }),
    ...(request.toolChoice !== undefined && { toolChoice: request.toolChoice }),
    ...(ctx.responseFormat !== undefined && { responseFormat: ctx.responseFormat }),
    ...(ctx.signal !== undefined && { signal: ctx.signal }),
    ...(credential !== undefined && { credential }),
  };
}

/** Opens the provider stream and waits for its first part; returns a stream that replays it. */
async function openStream(
  ctx: RouteContext,
  adapter: ProviderAdapter,
  request: ProviderRequest,
  candidate: Candidate,
  started: number,
): Promise<AsyncIterable<ProviderStreamPart>> {
  const iterator = adapter.stream(request)[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done)
          throw new ProviderError('connection', `${adapter.name} ended the stream before any part`, {
            provider: adapter.name,
          });
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
        recordAttempt(ctx, candidate, started);
      } catch (error) {
        throw attemptFailed(ctx, adapter, candidate, started, error);
      } finally {
        await iterator.return?.();
      }
    },
  };
}

function recordAttempt(ctx: RouteContext, candidate: Candidate, started: number): void {
  const latencyMs = performance.now() - started;
  ctx.attempts.push({ model: candidate.model.id, provider: candidate.model.provider, ok: true, latencyMs });
  ctx.services.recordAttempt(candidate.model.id, true, latencyMs);
}

/** Records a failed attempt and returns the RouterError that ends the call. */
function attemptFailed(
  ctx: RouteContext,
  adapter: ProviderAdapter,
  candidate: Candidate,
  started: number,
  error: unknown,
): RouterError {
  if (RouterError.isInstance(error)) return error;
  const latencyMs = performance.now() - started;
  const failure = ProviderError.isInstance(error) ? error : adapter.classify(error, candidate.model.upstream);
  const { model } = candidate;
  ctx.attempts.push({
    model: model.id,
    provider: model.provider,
    ok: false,
    errorCode: failure.code,
    ...(failure.status !== undefined && { status: failure.status }),
    latencyMs,
  });
  ctx.services.recordAttempt(model.id, false, latencyMs);
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
  const reason: unknown = ctx.signal?.aborted ? ctx.signal.reason : undefined;
  if (RouterError.isInstance(reason)) return reason;
  return new RouterError(
    'providers_exhausted',
    `every candidate failed for tenant '${ctx.tenant}': ${model.id} on ${model.provider} (${failure.code}${failure.status !== undefined ? ` ${failure.status}` : ''})`,
    {
      tenant: ctx.tenant,
      requestId: ctx.requestId,
      attempts: ctx.attempts,
      cause: failure,
      retryable: failure.retryable,
      ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
    },
  );
}
