import { cancelledCostNano } from '../catalog/estimate.js';
import { ProviderError, RouterError } from '../errors.js';
import { HealthTracker } from '../health/tracker.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import type {
  ProviderAdapter,
  ProviderRequest,
  ProviderResponse,
  ProviderStreamPart,
} from '../providers/types.js';
import type { Candidate } from '../strategies/types.js';

/**
 * Calls the ranked candidates until one answers.
 *
 * - Each candidate is retried (exponential backoff with jitter) on retryable failures
 *   only, waiting at least the provider's `retry-after`; a `retry-after` longer than
 *   `maxRetryAfterMs` moves on to the next candidate instead of waiting.
 * - Then the next candidate, with a `fallback` event. Final failures move on only where
 *   another candidate can do better: `auth`, `bad_request` and `quota_exceeded` (the
 *   credential's billing is spent) skip the rest of that provider, `context_length` skips
 *   models without a larger window, `not_found` moves on, and `content_filter` ends the
 *   call (a flagged prompt is not routed around).
 * - A candidate whose circuit is open is passed over without an attempt.
 * - Each attempt has its own deadline (`attemptTimeoutMs`; for a stream, until its first
 *   part); the call's signal and deadline abort whatever is in flight.
 * - `max_reliability` with `hedgeAfterMs`: when the first attempt has not answered (or
 *   streamed its first part) in time, the next candidate starts too; the first success
 *   wins and the other is aborted. A hedge needs its own budget reservation beside the
 *   attempt's; when the budget cannot hold both, no hedge starts (it is asked again every
 *   `hedgeAfterMs`) and the candidate stays the next fallback.
 *
 * For streams the chain runs until the first part: a failure before it falls back like any
 * other; after it, the stream ends with the error (never a silent switch mid-answer).
 */
export const executeStage: Middleware<RouteContext> = async (ctx, next) => {
  if (ctx.mode === 'explain') return;
  if (ctx.mode === 'complete') {
    const won = await runChain(ctx, (adapter, request) => adapter.complete(request));
    ctx.response = won.value as ProviderResponse;
    ctx.served = won.served;
  } else {
    const won = await runChain(ctx, (adapter, request, attempt) =>
      openStream(ctx, adapter, request, attempt),
    );
    ctx.stream = won.value as AsyncIterable<ProviderStreamPart>;
    ctx.served = won.served;
  }
  return next();
};

/** One candidate's attempt, as the chain sees it. */
interface AttemptInfo {
  candidate: Candidate;
  key: string;
  started: number;
  /** Ends the attempt's own deadline and signal links (for a stream: when it ends). */
  release: () => void;
  /** Clears the attempt's deadline but keeps its signal (a stream past its first part). */
  clearDeadline: () => void;
}

type Launch = (adapter: ProviderAdapter, request: ProviderRequest, attempt: AttemptInfo) => Promise<unknown>;

interface Won {
  value: unknown;
  served: { candidate: Candidate; credentialId?: string };
}

/** A candidate's run: its retries, and a way to stop it (a hedge that lost, a call that ended). */
interface Runner {
  candidate: Candidate;
  /** Present when the runner can be stopped on its own (hedging); else the call's signal stops it. */
  controller: AbortController | undefined;
  /** The attempt in flight, if any; set and cleared by runCandidate. */
  current: AttemptInfo | undefined;
  /** Stopped by the chain (a hedge that lost, or the call's end): its attempt is already recorded. */
  cancelled: boolean;
  promise: Promise<
    { runner: Runner; ok: true; value: unknown } | { runner: Runner; ok: false; error: unknown }
  >;
}

class HedgeCancelled extends Error {
  override readonly name = 'HedgeCancelled';
}

/** Thrown by an attempt that must not be retried: the candidate's run ends with `error`. */
class Final {
  constructor(readonly error: unknown) {}
}

async function runChain(ctx: RouteContext, launch: Launch): Promise<Won> {
  const { services } = ctx;
  const queue = ctx.ranked.map((r) => r.candidate);
  const skip: ((c: Candidate) => boolean)[] = [];
  const hedgeAfterMs = ctx.strategy === 'max_reliability' ? ctx.policy?.hedgeAfterMs : undefined;
  const running = new Set<Runner>();
  let lastFailure: ProviderError | undefined;
  let previous: Candidate | undefined;

  const nextCandidate = (): Candidate | undefined => {
    while (queue.length > 0) {
      const candidate = queue.shift()!;
      if (!skip.some((s) => s(candidate))) return candidate;
    }
    return undefined;
  };

  /** The next candidate that is not skipped and that the budget admits. */
  const nextAdmitted = async (): Promise<Candidate | undefined> => {
    for (let candidate = nextCandidate(); candidate; candidate = nextCandidate()) {
      if (!ctx.admit || (await ctx.admit(candidate, false))) return candidate;
      ctx.excluded.push({ model: candidate.model.id, reason: 'does not fit the remaining budget' });
    }
    return undefined;
  };

  /**
   * The next candidate, to run as a hedge beside the attempt in flight, if the budget holds
   * both at once. One it does not hold stays next in the chain: an ordinary fallback, with
   * an ordinary reservation, if the attempt in flight fails.
   */
  const nextHedge = async (): Promise<Candidate | undefined> => {
    while (queue.length > 0 && skip.some((s) => s(queue[0]!))) queue.shift();
    const candidate = queue[0];
    if (!candidate || (ctx.admit && !(await ctx.admit(candidate, true)))) return undefined;
    queue.shift();
    return candidate;
  };

  const start = (candidate: Candidate, reason: string | undefined): void => {
    if (previous && reason !== undefined) {
      const from = previous.model.id;
      ctx.fallbacks.push(from);
      services.emit('fallback', () => ({
        requestId: ctx.requestId,
        tenant: ctx.tenant,
        timestamp: services.now(),
        from,
        to: candidate.model.id,
        reason,
      }));
    }
    previous = candidate;
    // A runner needs a way to be stopped on its own only when a hedge may race it; otherwise
    // the call's signal (abort, deadline, a consumer that stops reading) is its stop.
    let controller: AbortController | undefined;
    if (hedgeAfterMs !== undefined) {
      controller = new AbortController();
      const own = controller;
      const call = ctx.signal;
      if (call?.aborted) own.abort(call.reason);
      else call?.addEventListener('abort', () => own.abort(call.reason), { once: true });
    }
    const runner: Runner = {
      candidate,
      controller,
      current: undefined,
      cancelled: false,
      promise: undefined as never,
    };
    runner.promise = runCandidate(ctx, runner, launch).then(
      (value) => ({ runner, ok: true as const, value }),
      (error: unknown) => ({ runner, ok: false as const, error }),
    );
    running.add(runner);
  };

  try {
    let reason: string | undefined;
    for (;;) {
      if (running.size === 0) {
        const candidate = await nextAdmitted();
        if (!candidate) break;
        start(candidate, reason);
      }
      const hedge =
        hedgeAfterMs !== undefined && running.size === 1 && queue.some((c) => !skip.some((s) => s(c)))
          ? hedgeTimer(hedgeAfterMs, ctx.signal)
          : undefined;
      // Without a hedge there is one runner in flight: await it directly (no race to build).
      const settled =
        hedge === undefined && running.size === 1
          ? await running.values().next().value!.promise
          : await Promise.race([...[...running].map((r) => r.promise), ...(hedge ? [hedge.promise] : [])]);
      hedge?.cancel();
      if (settled === 'hedge') {
        const candidate = await nextHedge();
        if (candidate) start(candidate, `hedge after ${hedgeAfterMs} ms`);
        continue;
      }
      running.delete(settled.runner);
      if (settled.ok) {
        for (const other of running) cancel(ctx, other, 'another candidate answered first');
        const credentialId = ctx.policy?.credentials?.[settled.runner.candidate.model.provider]?.id;
        return {
          value: settled.value,
          served: {
            candidate: settled.runner.candidate,
            ...(credentialId !== undefined && { credentialId }),
          },
        };
      }
      const error = settled.error;
      if (RouterError.isInstance(error)) throw error;
      if (ctx.signal?.aborted) throw callAbortReason(ctx);
      if (!ProviderError.isInstance(error)) throw error;
      lastFailure = error;
      const failed = settled.runner.candidate;
      if (error.code === 'content_filter') break;
      if (error.code === 'auth' || error.code === 'bad_request' || error.code === 'quota_exceeded')
        skip.push((c) => c.model.provider === failed.model.provider);
      if (error.code === 'context_length')
        skip.push((c) => c.model.contextWindow <= failed.model.contextWindow);
      reason = error.code;
    }
  } finally {
    for (const runner of running) cancel(ctx, runner, 'the call ended');
  }

  if (ctx.signal?.aborted) throw callAbortReason(ctx);
  throw exhausted(ctx, lastFailure);
}

/**
 * Stops a runner the chain no longer needs. Its attempt in flight is recorded now, as
 * `cancelled`, so the audit emitted right after the winner lists it; its circuit slot is
 * given back without a verdict.
 */
function cancel(ctx: RouteContext, runner: Runner, why: string): void {
  runner.cancelled = true;
  const attempt = runner.current;
  if (attempt) {
    recordAttempt(ctx, attempt, 'cancelled', undefined);
    // The provider has read the prompt; what it wrote before the abort cannot be known.
    ctx.cancelledCostNano += cancelledCostNano(attempt.candidate.model, attempt.candidate.inputTokens);
    ctx.services.health.release(attempt.key);
    runner.current = undefined;
  }
  runner.controller?.abort(new HedgeCancelled(why));
}

/**
 * One candidate with its retries: after a retryable failure, and while retries are left,
 * it waits its backoff (never less than the provider's retry-after) and tries again.
 * Resolves with the launch's value or rejects with the last ProviderError.
 */
async function runCandidate(ctx: RouteContext, runner: Runner, launch: Launch): Promise<unknown> {
  const { candidate } = runner;
  const stop = runner.controller?.signal ?? ctx.signal;
  const { services, policy } = ctx;
  const { model } = candidate;
  const adapter = services.adapters.get(model.provider)!;
  const credential = policy?.credentials?.[model.provider];
  const key = HealthTracker.key(model.id, model.provider, credential?.id);
  const retries = policy?.retries ?? services.retry.retries;
  const attemptTimeoutMs = policy?.attemptTimeoutMs ?? services.attemptTimeoutMs;

  const limiter = services.providerLimits.get(model.provider);

  const attemptOnce = async (): Promise<unknown> => {
    if (stop?.aborted) throw new Final(stop.reason);
    // The provider's own concurrency cap, if any: wait for a place (abortable) before the
    // circuit is asked, so a waiting call never holds a half-open probe.
    const place = limiter ? await limiter.acquire(stop) : undefined;
    if (!services.health.tryAcquire(key)) {
      place?.();
      // Not an attempt: the circuit is open (or its one probe is out). Move on at once.
      throw new Final(
        new ProviderError('overloaded', `${model.id} on ${model.provider}: circuit open, skipped`, {
          provider: model.provider,
          model: model.upstream,
        }),
      );
    }
    const attempt = attemptSignal(stop, attemptTimeoutMs, model.id);
    const release = place
      ? () => {
          attempt.release();
          place();
        }
      : attempt.release;
    const info: AttemptInfo = {
      candidate,
      key,
      started: performance.now(),
      release,
      clearDeadline: attempt.clearDeadline,
    };
    const request = providerRequest(ctx, candidate, credential, attempt.signal);
    runner.current = info;
    try {
      const value = await launch(adapter, request, info);
      runner.current = undefined;
      if (ctx.mode === 'complete') {
        recordSuccess(ctx, info);
        release();
      }
      return value;
    } catch (error) {
      release();
      // Stopped by the chain: cancel() has recorded the attempt and freed its circuit slot.
      if (runner.cancelled) throw new Final(stop?.reason);
      runner.current = undefined;
      throw recordFailure(ctx, info, adapter, error);
    }
  };

  for (let retry = 1; ; retry++) {
    try {
      return await attemptOnce();
    } catch (error) {
      if (error instanceof Final) throw error.error;
      if (retry > retries || !willRetry(ctx, error, stop)) throw error;
      await sleep(retryDelay(services.retry, retry, (error as ProviderError).retryAfterMs), stop);
      if (stop?.aborted) throw stop.reason;
    }
  }
}

/**
 * The wait before retry number `retry` (1 for the first): exponential backoff from
 * `minDelayMs`, doubling, with jitter (×1–2), capped at `maxDelayMs`; never less than the
 * provider's `retry-after`.
 */
function retryDelay(
  { minDelayMs, maxDelayMs }: { minDelayMs: number; maxDelayMs: number },
  retry: number,
  retryAfterMs: number | undefined,
): number {
  const backoff = Math.min(maxDelayMs, Math.round(minDelayMs * 2 ** (retry - 1) * (1 + Math.random())));
  return Math.max(backoff, retryAfterMs ?? 0);
}

function willRetry(ctx: RouteContext, error: unknown, stop: AbortSignal | undefined): boolean {
  if (stop?.aborted || ctx.signal?.aborted) return false;
  if (!ProviderError.isInstance(error) || !error.retryable) return false;
  return error.retryAfterMs === undefined || error.retryAfterMs <= ctx.services.retry.maxRetryAfterMs;
}

function providerRequest(
  ctx: RouteContext,
  candidate: Candidate,
  credential: { id: string; apiKey: string } | undefined,
  signal: AbortSignal | undefined,
): ProviderRequest {
  const { request } = ctx;
  return {
    model: candidate.model.upstream,
    messages: ctx.messages,
    maxTokens: candidate.maxTokens,
    ...(signal !== undefined && { signal }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.tools !== undefined && { tools: request.tools }),
    ...(request.toolChoice !== undefined && { toolChoice: request.toolChoice }),
    ...(ctx.responseFormat !== undefined && { responseFormat: ctx.responseFormat }),
    ...(credential !== undefined && { credential }),
  };
}

/**
 * Opens the provider stream and waits for its first part; returns a stream that replays
 * it, records the attempt when it ends, and ends with the RouterError of a later failure.
 */
async function openStream(
  ctx: RouteContext,
  adapter: ProviderAdapter,
  request: ProviderRequest,
  attempt: AttemptInfo,
): Promise<AsyncIterable<ProviderStreamPart>> {
  const iterator = adapter.stream(request)[Symbol.asyncIterator]();
  let first: IteratorResult<ProviderStreamPart>;
  try {
    first = await iterator.next();
  } catch (error) {
    await iterator.return?.().catch(() => {});
    throw error;
  }
  if (first.done) {
    throw new ProviderError('connection', `${adapter.name} ended the stream before any part`, {
      provider: adapter.name,
      model: request.model,
    });
  }
  // Past the first part the attempt deadline no longer applies; the call's deadline does.
  attempt.clearDeadline();
  return {
    async *[Symbol.asyncIterator]() {
      let verdict = false;
      try {
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
        verdict = true;
        recordSuccess(ctx, attempt);
      } catch (error) {
        verdict = true;
        const failure = recordFailure(ctx, attempt, adapter, error);
        throw ctx.signal?.aborted ? callAbortReason(ctx) : exhausted(ctx, failure);
      } finally {
        // A reader that stopped early leaves no verdict: free the circuit slot.
        if (!verdict) ctx.services.health.release(attempt.key);
        attempt.release();
        await iterator.return?.();
      }
    },
  };
}

function recordSuccess(ctx: RouteContext, attempt: AttemptInfo): void {
  const latencyMs = performance.now() - attempt.started;
  recordAttempt(ctx, attempt, undefined, undefined, latencyMs);
  ctx.services.health.record(attempt.key, undefined, latencyMs);
}

/** Records a failed attempt (attempt list, health, event) and returns the classified failure. */
function recordFailure(
  ctx: RouteContext,
  attempt: AttemptInfo,
  adapter: ProviderAdapter,
  error: unknown,
): ProviderError {
  const { model } = attempt.candidate;
  const failure = ProviderError.isInstance(error) ? error : adapter.classify(error, model.upstream);
  const latencyMs = performance.now() - attempt.started;
  recordAttempt(ctx, attempt, failure.code, failure.status, latencyMs);
  // A call the caller aborted says nothing of the deployment's health; its probe slot is free again.
  if (ctx.signal?.aborted) ctx.services.health.release(attempt.key);
  else ctx.services.health.record(attempt.key, failure.code, latencyMs);
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

function recordAttempt(
  ctx: RouteContext,
  attempt: AttemptInfo,
  errorCode: string | undefined,
  status: number | undefined,
  latencyMs = performance.now() - attempt.started,
): void {
  const { model } = attempt.candidate;
  ctx.attempts.push({
    model: model.id,
    provider: model.provider,
    ok: errorCode === undefined,
    ...(errorCode !== undefined && { errorCode }),
    ...(status !== undefined && { status }),
    latencyMs,
  });
}

function exhausted(ctx: RouteContext, failure: ProviderError | undefined): RouterError {
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

function callAbortReason(ctx: RouteContext): RouterError {
  const reason: unknown = ctx.signal?.reason;
  return RouterError.isInstance(reason)
    ? reason
    : new RouterError('aborted', 'the call was aborted', { tenant: ctx.tenant, requestId: ctx.requestId });
}

/**
 * The signal of one attempt: aborts when `parent` aborts (the call, or a lost hedge) and at
 * the attempt's deadline. `release()` drops the timer and the link to the parent.
 */
function attemptSignal(
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  modelId: string,
): { signal: AbortSignal | undefined; release: () => void; clearDeadline: () => void } {
  if (timeoutMs === undefined) return { signal: parent, release: noop, clearDeadline: noop };
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(
    () => controller.abort(new Error(`attempt on ${modelId} passed attemptTimeoutMs (${timeoutMs} ms)`)),
    timeoutMs,
  );
  const clearDeadline = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    clearDeadline,
    release: () => {
      clearDeadline();
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

const noop = () => {};

/** Resolves to 'hedge' after `ms`, unless cancelled first. */
function hedgeTimer(
  ms: number,
  signal: AbortSignal | undefined,
): { promise: Promise<'hedge'>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<'hedge'>((resolve) => {
    if (signal?.aborted) return;
    timer = setTimeout(() => resolve('hedge'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Waits `ms`, or until `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
