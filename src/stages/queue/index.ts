import { RouterError } from '../../errors.js';
import { onAnswer } from '../../pipeline/answer.js';
import type { Middleware } from '../../pipeline/compose.js';
import type { RouteContext } from '../../pipeline/context.js';
import { FairQueue, type Slot } from './fair-queue.js';
import { NoisyNeighbors } from './noisy.js';

/** What the queue stage needs: the router's concurrency cap, when to call a tenant noisy, its clock. */
export interface QueueStageOptions {
  concurrency: { maxInFlight: number; maxQueuePerTenant: number } | undefined;
  noisyNeighbor: { share: number; rateFactor: number; windowMs: number };
  now: () => number;
}

/**
 * The router-wide concurrency cap (`concurrency.maxInFlight`). A call takes a free slot at
 * once; when every slot is taken it waits in its tenant's queue, and freed slots go to the
 * tenants by weighted fair queuing (`weight` in the policy, default 1), not in arrival
 * order. A tenant with `maxQueuePerTenant` calls already waiting is `rate_limited`. A call
 * whose signal aborts (caller or deadline) while queued leaves the queue at once. The time
 * queued is `ctx.queueWaitMs`, in the audit record. The slot is held until the answer is
 * complete: for a stream, until it ends or fails.
 *
 * Emits `tenant.noisy` while the tenant crowds others out (every slot taken, another tenant
 * in flight or waiting) and it holds more than `noisyNeighbor.share` of the calls in flight
 * plus queued (with at least 4 of them), or its request rate passes `rateFactor` times its
 * own baseline; each at most once per tenant per `windowMs` (see `NoisyNeighbors`).
 *
 * Skipped when `concurrency` is not configured, and by `explain()`. One per router: it owns
 * the router's fair queue and noisy-neighbour detector.
 */
export function createQueueStage(options: QueueStageOptions): Middleware<RouteContext> {
  const limits = options.concurrency;
  if (!limits) return (_ctx, next) => next();
  const queue = new FairQueue(limits);
  const noisy = new NoisyNeighbors(options.noisyNeighbor, options.now);
  const q: Queue = { queue, noisy, limits };
  return (ctx, next) => (ctx.mode === 'explain' ? next() : queued(ctx, next, q));
}

/** One router's fair queue, its noisy-neighbour detector and its limits. */
interface Queue {
  queue: FairQueue;
  noisy: NoisyNeighbors;
  limits: { maxInFlight: number; maxQueuePerTenant: number };
}

function queued(ctx: RouteContext, next: () => Promise<void>, q: Queue): Promise<void> {
  const { queue, noisy, limits } = q;
  const tenant = ctx.tenant;
  noisy.count(tenant);
  const slot = queue.tryAcquire(tenant);
  if (slot === undefined) return waitForSlot(ctx, next, q);
  // A free slot at once (the usual case): no async frame.
  checkNoisy(ctx, queue, noisy, limits.maxInFlight, false);
  return holding(ctx, next, slot);
}

/** Every slot is taken: waits for one in the fair queue, then runs the call in it. */
async function waitForSlot(ctx: RouteContext, next: () => Promise<void>, q: Queue): Promise<void> {
  const { queue, noisy, limits } = q;
  const weight = ctx.policy?.weight ?? 1;
  const waiting = queue.enqueue(ctx.tenant, weight, ctx.signal);
  if (!waiting) refuse(ctx, queue, weight, limits.maxQueuePerTenant);
  checkNoisy(ctx, queue, noisy, limits.maxInFlight, true);
  const enqueuedAt = performance.now();
  let slot: Slot;
  try {
    slot = await waiting;
  } finally {
    ctx.queueWaitMs = performance.now() - enqueuedAt;
  }
  return holding(ctx, next, slot);
}

/** Runs the rest of the pipeline in `slot`, given back when the answer ends (or the call fails). */
function holding(ctx: RouteContext, next: () => Promise<void>, slot: Slot): Promise<void> {
  return next().then(
    () => onAnswer(ctx, { end: () => slot.release() }),
    (error: unknown) => {
      slot.release();
      throw error;
    },
  );
}

/**
 * A tenant is noisy only when it crowds others out: every slot is taken and another tenant
 * has calls in flight or waiting. Then the arriving tenant's request rate and share of the
 * load are tested; and when the arriving call has to wait, so is the share of the tenant
 * holding the most calls, which is the one crowding it out.
 */
function checkNoisy(
  ctx: RouteContext,
  queue: FairQueue,
  noisy: NoisyNeighbors,
  maxInFlight: number,
  waits: boolean,
): void {
  const total = queue.inFlight + queue.queued;
  const load = queue.load(ctx.tenant);
  if (queue.inFlight < maxInFlight || total <= load) return;
  const surge = noisy.surge(ctx.tenant);
  if (surge) emitNoisy(ctx, ctx.tenant, { reason: 'rate', rate: surge.rate, baseline: surge.baseline });
  const share = noisy.share(ctx.tenant, load, total);
  if (share !== undefined) emitNoisy(ctx, ctx.tenant, { reason: 'share', share });
  const heaviest = waits ? queue.heaviest() : undefined;
  if (heaviest && heaviest.tenant !== ctx.tenant) {
    const crowding = noisy.share(heaviest.tenant, heaviest.load, total);
    if (crowding !== undefined) emitNoisy(ctx, heaviest.tenant, { reason: 'share', share: crowding });
  }
}

function emitNoisy(
  ctx: RouteContext,
  tenant: string,
  fields: { reason: 'share'; share: number } | { reason: 'rate'; rate: number; baseline: number },
): void {
  ctx.services.emit('tenant.noisy', () => ({
    requestId: ctx.requestId,
    tenant,
    timestamp: ctx.services.now(),
    ...fields,
  }));
}

/** The tenant's queue is full: `rate_limited`, with an estimate of when a place frees. */
function refuse(ctx: RouteContext, queue: FairQueue, weight: number, maxQueuePerTenant: number): never {
  const retryAfterMs = queue.estimateWaitMs(ctx.tenant, weight);
  ctx.services.emit('ratelimit.throttled', () => ({
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.services.now(),
    limit: 'queue',
    // 0 when no call has finished yet, so no service time is known.
    retryAfterMs: retryAfterMs ?? 0,
    waited: false,
  }));
  throw new RouterError(
    'rate_limited',
    `tenant '${ctx.tenant}' already has ${maxQueuePerTenant} calls queued for a concurrency slot (concurrency.maxQueuePerTenant); retry later`,
    {
      tenant: ctx.tenant,
      requestId: ctx.requestId,
      retryable: true,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    },
  );
}
