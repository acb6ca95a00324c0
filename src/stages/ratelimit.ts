import { defaultOutputTokens } from '../catalog/reasoning.js';
import { RouterError } from '../errors.js';
import { onAnswer, settledUsage } from '../pipeline/answer.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import { inputTokensOf } from '../pipeline/estimate.js';
import type { RateLimitSpec } from '../pipeline/policy.js';
import { flatString, keyPart } from '../store/keys.js';
import { syncStoreOf } from '../store/types.js';
import type { Usage } from '../types.js';

/** Rate limits are per minute. */
const WINDOW_MS = 60_000;

type Limit = 'requests' | 'tokens';

/**
 * Requests and tokens per minute, per tenant, with the generic cell rate algorithm of
 * `Store.rateTake` (smooth: a burst of up to the limit, then one unit per `60 000 / limit`
 * ms; no fixed buckets, so no double burst at a window edge). The limits come from the
 * merged policy (`defaults ← tier ← tenant`) and are counted per tenant.
 *
 * Tokens: this stage runs before the strategy stage, so it takes its own upper bound of
 * what the call can use: the input bound of `estimateInputTokens` plus the `max_tokens`
 * that will be sent (none for `router.embed()`), `request.maxTokens` or else the router's `defaultMaxTokens` plus the
 * thinking budget of a reasoning call (the execute stage sends that, capped by the model's
 * max output, so it never sends more).
 * After the call the estimate is settled with the reported usage (the difference is given
 * back or charged); a failed call gives the whole estimate back; a stream settles at its
 * end, and keeps the estimate charged when its usage is unknown (cut off, no `finish`).
 * The request itself stays counted whatever the outcome.
 *
 * Over a limit: `rate_limited` with `retryAfterMs` (`onLimit: 'reject'`, the default), or
 * with `onLimit: 'wait'` a sleep of `retryAfterMs` and another try, within the call's
 * signal; a wait that would pass the call's deadline (`timeoutMs`) fails at once instead.
 * Each refusal emits `ratelimit.throttled`. A token estimate above `tokensPerMinute` can
 * never fit and fails at once.
 *
 * Clock steps (`createRouter({ clock })`, or the host's clock corrected): stepped back by
 * more than a second, the limits stand as they were before the step, never locking a tenant
 * out for the length of the step; stepped forward, they refill at most one burst.
 */
export const ratelimitStage: Middleware<RouteContext> = (ctx, next) => {
  const spec = ctx.policy?.rateLimit;
  // Hot path: nothing to do, nothing allocated.
  if (spec === undefined || ctx.mode === 'explain') return next();
  if (spec.requestsPerMinute === undefined && spec.tokensPerMinute === undefined) return next();
  return limited(ctx, next, spec);
};

/** The last tenant's keys: a tenant calling on gets the same flat strings, their hashes already computed. */
let lastKeys: { tenant: string; requestsKey: string; tokensKey: string } | undefined;

/** `rate:{<tenant>}:requests` and `…:tokens`; `{tenant}` is a Redis Cluster hash tag: a tenant's keys share a slot. */
function rateKeys(tenant: string): { requestsKey: string; tokensKey: string } {
  if (lastKeys?.tenant === tenant) return lastKeys;
  const part = keyPart(tenant);
  lastKeys = {
    tenant,
    requestsKey: flatString(`rate:{${part}}:requests`),
    tokensKey: flatString(`rate:{${part}}:tokens`),
  };
  return lastKeys;
}

/** What a call takes from its tenant's limits, and where. */
interface Take {
  rpm: number | undefined;
  tpm: number | undefined;
  requestsKey: string;
  tokensKey: string;
  /** The tokens taken: the input estimate plus the max output (0 without a token limit). */
  estimate: number;
}

type Refusal = { limit: Limit; retryAfterMs: number };

function limited(ctx: RouteContext, next: () => Promise<void>, spec: RateLimitSpec): Promise<void> {
  const rpm = spec.requestsPerMinute;
  const tpm = spec.tokensPerMinute;
  const { requestsKey, tokensKey } = rateKeys(ctx.tenant);
  const estimate =
    tpm === undefined
      ? 0
      : inputTokensOf(ctx) +
        (ctx.mode === 'embed'
          ? 0
          : (ctx.request.maxTokens ??
            defaultOutputTokens(ctx.request.reasoning, ctx.services.defaultMaxTokens)));

  if (tpm !== undefined && estimate > tpm) {
    throw new RouterError(
      'rate_limited',
      `tenant '${ctx.tenant}' has a rate limit of ${tpm} tokens per minute, and this call may use up to ${estimate} (estimated input plus max output tokens): it can never fit; lower maxTokens or shorten the prompt`,
      { tenant: ctx.tenant, requestId: ctx.requestId, retryable: false },
    );
  }
  const take: Take = { rpm, tpm, requestsKey, tokensKey, estimate };
  // A store with synchronous operations (the memory store) takes both at once, without a
  // promise; a call that fits goes on without an async frame.
  const sync = syncStoreOf(ctx.services.store);
  if (sync === undefined) return takeLater(ctx, next, spec, take, undefined);
  const refused = takeNow(ctx, take);
  return refused === undefined ? admitted(ctx, next, take) : takeLater(ctx, next, spec, take, refused);
}

/** Takes both limits, or neither, from a synchronous store: undefined when taken. */
function takeNow(
  ctx: RouteContext,
  { rpm, tpm, requestsKey, tokensKey, estimate }: Take,
): Refusal | undefined {
  const sync = syncStoreOf(ctx.services.store)!;
  const now = ctx.services.now();
  if (rpm !== undefined) {
    const taken = sync.rateTake(requestsKey, 1, rpm, WINDOW_MS, now);
    if (!taken.ok) return { limit: 'requests', retryAfterMs: taken.retryAfterMs };
  }
  if (tpm !== undefined) {
    const taken = sync.rateTake(tokensKey, estimate, tpm, WINDOW_MS, now);
    if (!taken.ok) {
      if (rpm !== undefined) sync.rateAdjust(requestsKey, -1, rpm, WINDOW_MS, now);
      return { limit: 'tokens', retryAfterMs: taken.retryAfterMs };
    }
  }
  return undefined;
}

/** Takes both limits, or neither, through the store's promises: undefined when taken. */
async function take(
  ctx: RouteContext,
  { rpm, tpm, requestsKey, tokensKey, estimate }: Take,
): Promise<Refusal | undefined> {
  const { store } = ctx.services;
  const now = ctx.services.now();
  if (rpm !== undefined) {
    const taken = await store.rateTake(requestsKey, 1, rpm, WINDOW_MS, now);
    if (!taken.ok) return { limit: 'requests', retryAfterMs: taken.retryAfterMs };
  }
  if (tpm !== undefined) {
    const taken = await store.rateTake(tokensKey, estimate, tpm, WINDOW_MS, now);
    if (!taken.ok) {
      if (rpm !== undefined) await store.rateAdjust(requestsKey, -1, rpm, WINDOW_MS, now);
      return { limit: 'tokens', retryAfterMs: taken.retryAfterMs };
    }
  }
  return undefined;
}

/** Over a limit (`refused`), or on an asynchronous store: fail or wait and take again, then run. */
async function takeLater(
  ctx: RouteContext,
  next: () => Promise<void>,
  spec: RateLimitSpec,
  limits: Take,
  refusedFirst: Refusal | undefined,
): Promise<void> {
  const sync = syncStoreOf(ctx.services.store) !== undefined;
  let refused = refusedFirst ?? (sync ? takeNow(ctx, limits) : await take(ctx, limits));
  while (refused !== undefined) {
    await throttled(ctx, spec, refused.limit, refused.retryAfterMs, limits.estimate);
    refused = sync ? takeNow(ctx, limits) : await take(ctx, limits);
  }
  return admitted(ctx, next, limits);
}

/**
 * Runs the call with its limits taken. With a token limit, the estimate taken is settled
 * to the tokens used once the answer ends (given back in full if the call fails).
 */
function admitted(ctx: RouteContext, next: () => Promise<void>, limits: Take): Promise<void> {
  const { tpm, tokensKey, estimate } = limits;
  if (tpm === undefined) return next();
  const { store } = ctx.services;
  const sync = syncStoreOf(store);

  const settle = (usage: Usage | undefined) => {
    // Unknown usage: the estimate stays charged (the provider may have used all of it).
    if (usage === undefined) return undefined;
    const actual = usage.totalTokens || usage.inputTokens + usage.outputTokens;
    if (actual === estimate) return undefined;
    // The answer is given: a store that refuses the adjustment does not fail the call; the
    // journal retries it in the background and reports it (`store.error`). Not idempotent:
    // an adjustment that timed out after it applied may apply twice (see README).
    const tokens = actual - estimate;
    // The journal may keep `apply` for minutes: it holds the services, not the call's context.
    const { services } = ctx;
    if (sync) {
      try {
        sync.rateAdjust(tokensKey, tokens, tpm, WINDOW_MS, services.now());
        return undefined;
      } catch {
        // The journal takes it, and reports it.
      }
    }
    return services.settlements
      .settle({
        kind: 'rateLimit',
        key: tokensKey,
        tenant: ctx.tenant,
        requestId: ctx.requestId,
        tokens,
        apply: () => store.rateAdjust(tokensKey, tokens, tpm, WINDOW_MS, services.now()),
      })
      .then((settled) => {
        if (!settled) ctx.charges.unsettled = true;
      });
  };

  return next().then(
    () => onAnswer(ctx, { end: (answer) => settle(settledUsage(answer)) }),
    async (error: unknown) => {
      await store.rateAdjust(tokensKey, -estimate, tpm, WINDOW_MS, ctx.services.now());
      throw error;
    },
  );
}

/**
 * A refused take: emits `ratelimit.throttled`, then throws `rate_limited` or, with
 * `onLimit: 'wait'`, sleeps until the take would fit (within the call's deadline and signal).
 */
async function throttled(
  ctx: RouteContext,
  spec: RateLimitSpec,
  limit: Limit,
  retryAfterMs: number,
  estimate: number,
): Promise<void> {
  const timeoutMs = ctx.request.timeoutMs;
  const leftMs = timeoutMs === undefined ? Infinity : timeoutMs - (performance.now() - ctx.startedAt);
  const wait = spec.onLimit === 'wait' && retryAfterMs < leftMs;
  ctx.services.emit('ratelimit.throttled', () => ({
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.services.now(),
    limit,
    retryAfterMs,
    waited: wait,
  }));
  if (wait) return sleep(retryAfterMs, ctx.signal);

  const what =
    limit === 'requests'
      ? `${spec.requestsPerMinute} requests per minute`
      : `${spec.tokensPerMinute} tokens per minute (this call may use up to ${estimate}: estimated input plus max output tokens)`;
  const deadline =
    spec.onLimit === 'wait' ? `, which is past the call's deadline (timeoutMs ${timeoutMs})` : '';
  throw new RouterError(
    'rate_limited',
    `tenant '${ctx.tenant}' is over its rate limit of ${what}; retry in ${retryAfterMs} ms${deadline}`,
    { tenant: ctx.tenant, requestId: ctx.requestId, retryAfterMs, retryable: true },
  );
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
