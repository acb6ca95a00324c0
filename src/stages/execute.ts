import { ProviderError, RouterError } from '../errors.js';
import { HealthTracker } from '../health/tracker.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import { promptCacheKey } from '../pipeline/prompt-cache-key.js';
import type {
  ProviderAdapter,
  ProviderEmbedRequest,
  ProviderEmbedResponse,
  ProviderRequest,
  ProviderResponse,
  ProviderStreamPart,
} from '../providers/types.js';
import { Attempt, type Step, wrap } from '../resilience/attempt.js';
import { type ChainPolicy, type ChainResult, runChain } from '../resilience/chain.js';
import { callAbortReason, exhausted } from '../resilience/errors.js';
import { failover } from '../resilience/failover.js';
import { firstPart, type Opened } from '../resilience/first-part.js';
import { breaker, CircuitOpenError, deadline, limit, record } from '../resilience/layers.js';
import { Limiter } from '../resilience/limiter.js';
import { attemptRecorder, type RouteAttempt, recordFailure, recordSuccess } from '../resilience/records.js';
import { isRetryable, type RetryOptions, retryDelay } from '../resilience/retry.js';
import { systemTimers, type Timers } from '../resilience/timers.js';
import type { Candidate } from '../strategies/types.js';
import { type Deployed, deploymentsOf, LIMITED, LIMITED_MS } from './deployments.js';

/** What the execute stage needs: retries, the attempt deadline, per-provider caps; timers and randomness for tests. */
export interface ExecuteStageOptions {
  retry: RetryOptions;
  /** Deadline of one attempt (for a stream, until its first part); a tenant's own overrides it. */
  attemptTimeoutMs: number | undefined;
  /** Per provider entry: its concurrency cap (`concurrency.perProvider`). */
  perProvider: Record<string, number>;
  timers?: Timers;
  random?: () => number;
}

type AnswerStream = AsyncIterable<ProviderStreamPart>;

/**
 * Calls the ranked candidates until one answers (`runChain` over the attempt layers).
 *
 * - Each candidate is retried (exponential backoff with jitter) on retryable failures
 *   only, waiting at least the provider's `retry-after`; a `retry-after` longer than
 *   `maxRetryAfterMs` moves on to the next candidate instead of waiting.
 * - Then the next candidate, with a `fallback` event. Final failures move on only where
 *   another candidate can do better (see `failover`): `auth`, `bad_request` and
 *   `quota_exceeded` skip the rest of that provider, `context_length` skips models without
 *   a larger window, `not_found` moves on, and `content_filter` ends the call.
 * - Each attempt waits for a place under its provider's cap, if any; a candidate whose
 *   circuit is open is passed over without an attempt.
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
 *
 * One per router: it owns the providers' limiters.
 */
export function createExecuteStage(options: ExecuteStageOptions): Middleware<RouteContext> {
  const timers = options.timers ?? systemTimers;
  const random = options.random ?? Math.random;
  const { retry } = options;
  const limiters = new Map(
    Object.entries(options.perProvider).map(([name, max]) => [name, new Limiter(max)]),
  );

  /** limit → breaker → deadline → record, around the provider call. */
  const layers = <T>(answerOutlives: boolean): ((step: Step<RouteAttempt, T>) => Step<RouteAttempt, T>) =>
    wrap<RouteAttempt, T>(
      ...(limiters.size > 0
        ? [limit<RouteContext, Candidate, T>((a) => limiters.get(a.candidate.model.provider))]
        : []),
      breaker({
        tryAcquire: (a) => a.call.services.health.tryAcquire(a.key),
        refused: ({ candidate: { model } }) => new CircuitOpenError(model.id, model.provider, model.upstream),
      }),
      deadline(
        (a) => a.call.policy?.attemptTimeoutMs ?? options.attemptTimeoutMs,
        (a, ms) => new Error(`attempt on ${a.candidate.model.id} passed attemptTimeoutMs (${ms} ms)`),
        timers,
      ),
      record({ answerOutlives }),
    );
  const completeAttempt = layers<ProviderResponse>(false)((a) => adapterOf(a).complete(providerRequest(a)));
  const streamAttempt = layers<AnswerStream>(true)(openStream);
  // The access stage keeps only deployments whose adapter embeds.
  const embedAttempt = layers<ProviderEmbedResponse>(false)((a) => adapterOf(a).embed!(embedRequest(a)));

  const rules: Omit<ChainPolicy<RouteContext, Candidate, never>, 'attempt'> = {
    retryDelay: (ctx, failure, n, candidate) => {
      if (ProviderError.isInstance(failure) && LIMITED.has(failure.code)) {
        ctx.services.limited.mark(keyOf(ctx, candidate), failure.retryAfterMs ?? LIMITED_MS);
      }
      // Another deployment of the model is next: it answers sooner than a retry here.
      if ((candidate as Deployed).alternate === true) return undefined;
      return n <= (ctx.policy?.retries ?? retry.retries) && isRetryable(failure, retry.maxRetryAfterMs)
        ? retryDelay(retry, n, failure.retryAfterMs, random)
        : undefined;
    },
    verdict: (ctx, error, failed) => {
      if (RouterError.isInstance(error)) throw error;
      if (ctx.signal?.aborted) throw callAbortReason(ctx);
      if (!ProviderError.isInstance(error)) throw error;
      return failover(error, failed);
    },
    admit: (ctx, candidate, concurrent) =>
      ctx.budget === undefined || ctx.budget.admit(candidate, concurrent),
    refused: (ctx, candidate) =>
      ctx.excluded.push({ model: candidate.model.id, reason: 'does not fit the remaining budget' }),
    fallback: (ctx, from, to, reason) => {
      ctx.fallbacks.push(from.model.id);
      ctx.services.emit('fallback', () => ({
        requestId: ctx.requestId,
        tenant: ctx.tenant,
        timestamp: ctx.services.now(),
        from: from.model.id,
        to: to.model.id,
        reason,
        ...(from.model.deployments.length > 1 && { fromDeployment: from.model.provider }),
        ...(to.model.deployments.length > 1 && { toDeployment: to.model.provider }),
      }));
    },
  };
  const complete: ChainPolicy<RouteContext, Candidate, ProviderResponse> = {
    ...rules,
    attempt: (ctx, run) => completeAttempt(new Attempt(ctx, run, attemptRecorder, keyOf(ctx, run.candidate))),
  };
  const stream: ChainPolicy<RouteContext, Candidate, AnswerStream> = {
    ...rules,
    attempt: (ctx, run) => streamAttempt(new Attempt(ctx, run, attemptRecorder, keyOf(ctx, run.candidate))),
  };

  const embed: ChainPolicy<RouteContext, Candidate, ProviderEmbedResponse> = {
    ...rules,
    attempt: (ctx, run) => embedAttempt(new Attempt(ctx, run, attemptRecorder, keyOf(ctx, run.candidate))),
  };
  /** A provider entry at its concurrency cap: its deployments go after the others of a model. */
  const saturated = (provider: string) => limiters.get(provider)?.full === true;

  // Not an async function: the chain's promise is continued with callbacks, one frame fewer a call.
  return (ctx, next) => {
    if (ctx.mode === 'explain') return;
    const candidates = deploymentsOf(ctx, ctx.ranked, random, saturated);
    const chain = {
      hedgeAfterMs: ctx.strategy === 'max_reliability' ? ctx.policy?.hedgeAfterMs : undefined,
      signal: ctx.signal,
      timers,
    };
    if (ctx.mode === 'embed') {
      return runChain(embed, ctx, candidates, chain).then((result) => {
        const won = answered(ctx, result);
        ctx.embeddings = won.value.embeddings;
        ctx.response = embedResponse(won.value, won.candidate);
        ctx.served = served(ctx, won.candidate);
        return next();
      });
    }
    if (ctx.mode === 'complete') {
      return runChain(complete, ctx, candidates, chain).then((result) => {
        const won = answered(ctx, result);
        ctx.response = won.value;
        ctx.served = served(ctx, won.candidate);
        return next();
      });
    }
    return runChain(stream, ctx, candidates, chain).then((result) => {
      const won = answered(ctx, result);
      ctx.stream = won.value;
      ctx.served = served(ctx, won.candidate);
      return next();
    });
  };
}

/** The chain's winner; a chain that ran out is `providers_exhausted` (or the call's abort). */
function answered<T>(
  ctx: RouteContext,
  result: ChainResult<Candidate, T>,
): { candidate: Candidate; value: T } {
  if (result.ok) return result;
  if (ctx.signal?.aborted) throw callAbortReason(ctx);
  throw exhausted(ctx, ProviderError.isInstance(result.failure) ? result.failure : undefined);
}

function served(ctx: RouteContext, candidate: Candidate): RouteContext['served'] {
  const credentialId = ctx.policy?.credentials?.[candidate.model.provider]?.id;
  return { candidate, ...(credentialId !== undefined && { credentialId }) };
}

function keyOf(ctx: RouteContext, { model }: Candidate): string {
  return HealthTracker.keyOf(model, ctx.policy?.credentials?.[model.provider]?.id);
}

function adapterOf(attempt: RouteAttempt): ProviderAdapter {
  return attempt.call.services.adapters.get(attempt.candidate.model.provider)!;
}

function providerRequest(attempt: RouteAttempt): ProviderRequest {
  const { call: ctx, candidate } = attempt;
  const { request } = ctx;
  const credential = ctx.policy?.credentials?.[candidate.model.provider];
  const caching = ctx.policy?.promptCaching;
  // One literal and assignments, the accessor defined last (`withSignal`): conditional
  // spreads cost more, and this runs on every attempt.
  const out: ProviderRequest & { [ATTEMPT]?: RouteAttempt } = attempt.signalled
    ? {
        model: candidate.model.upstream,
        messages: ctx.messages,
        maxTokens: candidate.maxTokens,
        [ATTEMPT]: attempt,
      }
    : { model: candidate.model.upstream, messages: ctx.messages, maxTokens: candidate.maxTokens };
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.tools !== undefined) out.tools = request.tools;
  if (request.toolChoice !== undefined) out.toolChoice = request.toolChoice;
  if (ctx.responseFormat !== undefined) out.responseFormat = ctx.responseFormat;
  if (request.reasoning !== undefined) out.reasoning = request.reasoning;
  if (caching !== undefined && caching !== 'off')
    out.promptCache = { ttl: caching, key: promptCacheKey(ctx.tenant) };
  if (credential !== undefined) out.credential = credential;
  return withSignal(attempt, out);
}

const ATTEMPT = Symbol('attempt');

/** Reads the attempt's signal when the adapter reads `signal`: see `withSignal`. */
const lazySignal: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: { [ATTEMPT]: RouteAttempt }) {
    return this[ATTEMPT].signal;
  },
};

/**
 * Gives a provider request the attempt's signal, if it has one, as an accessor: the signal
 * (an `AbortSignal` is costly to make on Node 20, see `Deadline`) is made only when the
 * adapter reads it, and a spread of the request (`{ ...request }`) still carries it. The
 * request carries its attempt under `ATTEMPT` from its literal, and the accessor is defined
 * last: a symbol added later, or properties after the accessor, cost twice as much.
 */
function withSignal<R extends { [ATTEMPT]?: RouteAttempt }>(
  attempt: RouteAttempt,
  request: R,
): R & { signal?: AbortSignal } {
  return attempt.signalled ? Object.defineProperty(request, 'signal', lazySignal) : request;
}

/**
 * The texts as they will be sent (after input guardrails); `dimensions` only to a model that
 * takes it (one whose length is fixed was chosen because it is already that length).
 */
function embedRequest(attempt: RouteAttempt): ProviderEmbedRequest {
  const { call: ctx, candidate } = attempt;
  const credential = ctx.policy?.credentials?.[candidate.model.provider];
  const dimensions = ctx.embed!.dimensions;
  return withSignal(attempt, {
    [ATTEMPT]: attempt,
    model: candidate.model.upstream,
    input: ctx.messages.map((m) => (typeof m.content === 'string' ? m.content : '')),
    ...(dimensions !== undefined && candidate.model.embedding?.customDimensions && { dimensions }),
    ...(credential !== undefined && { credential }),
  });
}

/**
 * An embed answer as the stages that settle see it: its usage, no text. Usage the provider
 * did not report is the input's upper bound, and the call is charged at its reservation.
 */
function embedResponse(answer: ProviderEmbedResponse, candidate: Candidate): ProviderResponse {
  const inputTokens = answer.usageReported === false ? candidate.inputTokens : answer.usage.inputTokens;
  return {
    content: '',
    finishReason: 'stop',
    usage: { inputTokens, outputTokens: 0, totalTokens: inputTokens },
    ...(answer.usageReported === false && { usageReported: false }),
  };
}

/**
 * Opens the provider stream up to its first part (the chain's answer); returns a stream
 * that replays it, records the attempt and ends it when it ends, and ends with the
 * RouterError of a later failure.
 */
async function openStream(attempt: RouteAttempt): Promise<AnswerStream> {
  const adapter = adapterOf(attempt);
  const request = providerRequest(attempt);
  const opened = await firstPart(adapter.stream(request));
  if (opened === undefined) {
    throw new ProviderError('connection', `${adapter.name} ended the stream before any part`, {
      provider: adapter.name,
      model: request.model,
    });
  }
  // Past the first part the attempt deadline no longer applies; the call's deadline does.
  attempt.clearDeadline();
  return answerStream(attempt, opened);
}

function answerStream(attempt: RouteAttempt, { first, rest }: Opened<ProviderStreamPart>): AnswerStream {
  // A hand-written iterator rather than an async generator: a generator layer costs a
  // promise and a resumption on every part.
  const ctx = attempt.call;
  let started = false;
  let finished = false;
  const finish = async (verdict: boolean) => {
    finished = true;
    // A reader that stopped early leaves no verdict: free the circuit slot.
    if (!verdict) ctx.services.health.release(attempt.key);
    attempt.end();
    await rest.return?.();
  };
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
  const iterator: AsyncIterableIterator<ProviderStreamPart> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      if (finished) return done;
      if (!started) {
        started = true;
        return { done: false, value: first };
      }
      let next: IteratorResult<ProviderStreamPart>;
      try {
        next = await rest.next();
      } catch (error) {
        const failure = recordFailure(attempt, error);
        const thrown = ctx.signal?.aborted ? callAbortReason(ctx) : exhausted(ctx, failure);
        await finish(true);
        throw thrown;
      }
      if (!next.done) return next;
      recordSuccess(attempt);
      await finish(true);
      return done;
    },
    async return() {
      if (!finished) await finish(false);
      return done;
    },
  };
  return iterator;
}
