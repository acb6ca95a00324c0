import type { EventEmitter } from 'eventemitter3';
import { actualCostNano } from '../catalog/estimate.js';
import { RouterError, type RouterErrorCode, redactSecrets } from '../errors.js';
import type { RouteContext, RouterServices } from '../pipeline/context.js';
import { inputTokensOf, requiredCapabilities } from '../pipeline/estimate.js';
import { requestId as newRequestId } from '../pipeline/request-id.js';
import type { ProviderResponse } from '../providers/types.js';
import { fromNano } from '../store/types.js';
import type { ChatResult } from '../types.js';
import type { AuditLinker } from './audit-chain.js';
import type { AuditFeatures, AuditOutcome, AuditRecord, RouterEvents } from './types.js';

/** Codes of calls the router refused before any provider answered: audited as `denied`. */
const DENIAL_CODES: ReadonlySet<RouterErrorCode> = new Set([
  'invalid_request',
  'tenant_not_found',
  'policy_denied',
  'guardrail_blocked',
  'rate_limited',
  'budget_exceeded',
  'no_eligible_model',
]);

/**
 * The router's `emit`: builds a payload only when the event has a listener, links audit
 * records into the chain when it is on (and emits them when linked: later, with a shared
 * chain), and keeps a throwing listener from failing the call.
 */
export function eventEmitterOf(
  events: EventEmitter<RouterEvents>,
  chain: AuditLinker | undefined,
): RouterServices['emit'] {
  const deliver = (record: AuditRecord) => safeEmit(events, 'audit', record);
  return (event, build) => {
    if (events.listenerCount(event) === 0) return;
    const payload = build();
    if (chain && event === 'audit') chain.link(payload as AuditRecord, deliver);
    else safeEmit(events, event, payload);
  };
}

/**
 * How a call ends, for the caller and for the host: the result of a call that succeeded,
 * and for every call the `request.completed` / `request.failed` / `policy.denied` events
 * and exactly one `audit` record.
 */
export class CallRecorder {
  constructor(
    private readonly emit: RouterServices['emit'],
    private readonly now: () => number,
  ) {}

  buildResult(ctx: RouteContext, response: ProviderResponse, ttftMs: number | undefined): ChatResult {
    const { model } = ctx.served!.candidate;
    // One literal, the optional fields assigned after it: conditional spreads cost a builtin
    // call each, on every call.
    const message: ChatResult['message'] = { role: 'assistant', content: response.content };
    if (response.toolCalls && response.toolCalls.length > 0) message.toolCalls = response.toolCalls;
    const result: ChatResult = {
      id: ctx.requestId,
      tenant: ctx.tenant,
      text: response.content,
      message,
      finishReason: response.finishReason,
      model: model.id,
      provider: model.provider,
      deployment: model.provider,
      usage: response.usage,
      costUsd: ctx.cached
        ? 0
        : fromNano(
            ctx.charges.billedNano ?? actualCostNano(model, response.usage) + ctx.charges.cancelledNano,
          ),
      cached: ctx.cached,
      latencyMs: performance.now() - ctx.startedAt,
      attempts: ctx.attempts,
    };
    if (model.region !== undefined) result.region = model.region;
    if (response.usageReported === false && !ctx.cached) result.usageEstimated = true;
    if (ttftMs !== undefined) result.ttftMs = ttftMs;
    if (response.refusal !== undefined) result.refusal = response.refusal;
    return result;
  }

  succeed(ctx: RouteContext, result: ChatResult): void {
    this.emit('request.completed', () => ({
      requestId: ctx.requestId,
      tenant: ctx.tenant,
      timestamp: this.now(),
      model: result.model,
      provider: result.provider,
      finishReason: result.finishReason,
      usage: result.usage,
      costUsd: result.costUsd,
      latencyMs: result.latencyMs,
      ...(result.ttftMs !== undefined && { ttftMs: result.ttftMs }),
      cached: result.cached,
      attempts: result.attempts,
    }));
    this.emit('audit', () => {
      const record = this.auditBase(ctx, 'success', result.latencyMs);
      record.model = result.model;
      record.provider = result.provider;
      record.deployment = result.deployment;
      record.finishReason = result.finishReason;
      if (result.region !== undefined) record.region = result.region;
      if (ctx.served?.credentialId !== undefined) record.credentialId = ctx.served.credentialId;
      record.usage = result.usage;
      record.costUsd = result.costUsd;
      if (result.usageEstimated) record.usageEstimated = true;
      if (ctx.charges.unsettled) record.settled = false;
      if (result.ttftMs !== undefined) record.ttftMs = result.ttftMs;
      record.cached = result.cached;
      const cap = costCap(ctx);
      if (cap !== undefined) {
        record.costCapUsd = cap;
        record.overCap = result.costUsd > cap;
      }
      if (ctx.policy?.captureContent)
        record.content = ctx.embed
          ? { messages: ctx.messages }
          : { messages: ctx.messages, text: result.text };
      return record;
    });
  }

  /** Ends a call in error: events and audit; returns what to throw. */
  fail(ctx: RouteContext, thrown: unknown): RouterError {
    const routerError = RouterError.isInstance(thrown) ? thrown : internalError(ctx, thrown);
    const { code } = routerError;
    const latencyMs = performance.now() - ctx.startedAt;
    ctx.error = routerError;
    const denied = DENIAL_CODES.has(code);
    if (denied) {
      this.emit('policy.denied', () => ({
        requestId: ctx.requestId,
        tenant: ctx.tenant,
        timestamp: this.now(),
        code: routerError.code,
        reason: routerError.message,
      }));
    }
    this.emit('request.failed', () => ({
      requestId: ctx.requestId,
      tenant: ctx.tenant,
      timestamp: this.now(),
      code,
      message: routerError.message,
      attempts: ctx.attempts,
      latencyMs,
    }));
    this.emit('audit', () => {
      const last = ctx.attempts.at(-1);
      const model = last ? ctx.catalog.get(last.model) : undefined;
      return {
        ...this.auditBase(ctx, denied ? 'denied' : 'failed', latencyMs),
        // What the budget charged: the reservation of a stream that ended early, else 0.
        costUsd: fromNano(ctx.charges.billedNano ?? 0),
        errorCode: code,
        ...(ctx.charges.unsettled && { settled: false as const }),
        ...(model && { model: model.id, provider: model.provider }),
        ...(model?.region !== undefined && { region: model.region }),
      };
    });
    return routerError;
  }

  private auditBase(ctx: RouteContext, outcome: AuditOutcome, latencyMs: number): AuditRecord {
    const { request } = ctx;
    // Built field by field, not with conditional spreads: it runs on every call with a listener.
    const record: AuditRecord = {
      requestId: ctx.requestId,
      timestamp: ctx.timestamp,
      tenant: ctx.tenant,
      outcome,
      costUsd: 0,
      latencyMs,
      cached: false,
      attempts: ctx.attempts,
      fallbacks: ctx.fallbacks,
      stream: ctx.mode === 'stream',
    };
    if (request.user !== undefined) record.user = request.user;
    if (request.role !== undefined) record.role = request.role;
    if (request.tags !== undefined) record.tags = request.tags;
    if (ctx.strategy !== undefined) record.strategy = ctx.strategy;
    record.features = featuresOf(ctx);
    if (ctx.queueWaitMs > 0) record.queueWaitMs = ctx.queueWaitMs;
    if (ctx.guardrailsTriggered.length > 0) record.guardrails = ctx.guardrailsTriggered;
    if (ctx.embed) record.embed = true;
    return record;
  }

  /** The audit record of a call refused before it had a context (invalid request, closed router). */
  auditEarlyFailure(error: RouterError, tenant: string, startedAt: number, stream: boolean): void {
    const timestamp = this.now();
    const requestId = newRequestId();
    const latencyMs = performance.now() - startedAt;
    this.emit('request.failed', () => ({
      requestId,
      tenant,
      timestamp,
      code: error.code,
      message: error.message,
      attempts: [],
      latencyMs,
    }));
    this.emit('audit', () => ({
      requestId,
      timestamp,
      tenant,
      outcome: error.code === 'invalid_request' ? 'denied' : 'failed',
      errorCode: error.code,
      costUsd: 0,
      latencyMs,
      cached: false,
      attempts: [],
      fallbacks: [],
      stream,
    }));
  }
}

/**
 * Anything but a `RouterError` that escaped the pipeline, coded `internal`: thrown by host
 * code (custom middleware, a guardrail's `check`, a tenant source, `resolveTenant`) or a bug.
 * The original is the `cause`; its message, stripped of anything shaped like a key, is quoted.
 */
function internalError(ctx: RouteContext, thrown: unknown): RouterError {
  const detail = redactSecrets(
    thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown),
  );
  return new RouterError('internal', `the call failed outside the router's stages: ${detail}`, {
    tenant: ctx.tenant,
    requestId: ctx.requestId,
    cause: thrown,
  });
}

/** What the call asked for, for a replay: counts and names, no content (see `AuditFeatures`). */
function featuresOf(ctx: RouteContext): AuditFeatures {
  const { request } = ctx;
  // Memoized by the stages that ran: free unless the call was refused before any needed it.
  const features: AuditFeatures = { inputTokens: inputTokensOf(ctx) };
  if (request.maxTokens !== undefined) features.maxTokens = request.maxTokens;
  if (ctx.served !== undefined) features.maxTokensSent = ctx.served.candidate.maxTokens;
  const needs = requiredCapabilities(ctx);
  if (needs.length > 0) features.needs = [...needs];
  if (request.strategy !== undefined) features.strategy = request.strategy;
  if (request.forceModel !== undefined) features.forceModel = request.forceModel;
  if (request.maxCost !== undefined) features.maxCost = request.maxCost;
  return features;
}

/** The cost cap in force: the lower of the request's `maxCost` and the policy's `maxCostPerRequest`. */
function costCap(ctx: RouteContext): number | undefined {
  const a = ctx.request.maxCost;
  const b = ctx.policy?.maxCostPerRequest;
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

function safeEmit<K extends keyof RouterEvents>(
  events: EventEmitter<RouterEvents>,
  event: K,
  payload: RouterEvents[K][0],
): void {
  try {
    (events.emit as (event: K, payload: RouterEvents[K][0]) => boolean)(event, payload);
  } catch (error) {
    // A host's listener must not fail the call it observes, nor crash the process.
    process.emitWarning(
      `routeplane: a '${String(event)}' listener threw: ${String(error)}`,
      'RouterListenerWarning',
    );
  }
}
