import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { buildCatalog, resolveModel } from './catalog/catalog.js';
import { actualCostNano } from './catalog/estimate.js';
import type { ModelSpec } from './catalog/types.js';
import { ChatRequestSchema, describeIssues, RouterConfigSchema } from './config/schema.js';
import { RouterError, type RouterErrorCode, redactSecrets } from './errors.js';
import { AuditChain } from './events/audit-chain.js';
import type { AuditOutcome, AuditRecord, RouteDecision, RouterEvents } from './events/types.js';
import { type BreakerOptions, DEFAULT_BREAKER, HealthTracker } from './health/tracker.js';
import { compose, type Middleware, type PipelineTrace } from './pipeline/compose.js';
import { type RouteContext, type RouterServices, STAGE_NAMES, type StageName } from './pipeline/context.js';
import { PartQueue } from './pipeline/part-queue.js';
import type { TenantPolicy } from './pipeline/policy.js';
import { createAdapter, type ProviderEntry } from './providers/index.js';
import type { ProviderAdapter, ProviderResponse, ProviderStreamPart } from './providers/types.js';
import { Limiter } from './queue/limiter.js';
import { accessStage } from './stages/access.js';
import { budgetStage } from './stages/budget/index.js';
import { periodOf } from './stages/budget/period.js';
import { cacheStage } from './stages/cache.js';
import { executeStage } from './stages/execute.js';
import { guardrailsStage } from './stages/guardrails.js';
import { promptStage } from './stages/prompt.js';
import { queueStage } from './stages/queue.js';
import { ratelimitStage } from './stages/ratelimit.js';
import { strategyStage } from './stages/strategy.js';
import { tenantStage } from './stages/tenant.js';
import { createMemoryStore } from './store/memory.js';
import { fromNano, type Store } from './store/types.js';
import { DEFAULT_BALANCED_WEIGHTS } from './strategies/balanced.js';
import type { BalancedWeights } from './strategies/types.js';
import { PolicyReferences } from './tenants/references.js';
import { type TenantAdmin, TenantRegistry, type TenantSource } from './tenants/registry.js';
import type { ChatRequest, ChatResult, ChatStream, StreamPart, ToolCall } from './types.js';

/** Custom middleware placed at a named point of the pipeline. A bare function goes before `execute`. */
export interface MiddlewareEntry {
  name?: string;
  before?: StageName;
  after?: StageName;
  handle: Middleware<RouteContext>;
}

/** Options of `createRouter()`. Validated once; an invalid option is `invalid_config` naming its path. */
export interface RouterConfig {
  /**
   * The providers, by entry name. `openai`, `anthropic` and `mistral` entries need no
   * `type`; any other name is an extra entry, such as a self-hosted server:
   * `{ type: 'openai-compatible', baseURL: 'http://vllm:8000/v1' }`.
   */
  providers: Record<string, ProviderEntry>;
  /** Models added to the built-in catalog, or replacing entries with the same id. */
  models?: ModelSpec[];
  /** Tenant policies by id, or an async source (`{ get(id) }`, cached for `tenantCacheTtlMs`). */
  tenants?: Record<string, TenantPolicy> | TenantSource;
  /** How long a policy from an async tenant source is cached. Default 60 000. */
  tenantCacheTtlMs?: number;
  /** A configured tenant whose policy serves tenant ids no source knows. Default: none (`tenant_not_found`). */
  defaultTenant?: string;
  /** Policy fields every tenant starts from. */
  defaults?: Partial<TenantPolicy>;
  /**
   * Policy layers by tier name, between the defaults and the tenant's own policy. A
   * policy's `tier` must be one of these keys.
   */
  tiers?: Record<string, Partial<TenantPolicy>>;
  /** `max_tokens` sent when the request sets none, capped by the model's max output. Default 4096. */
  defaultMaxTokens?: number;
  /** Weights of the `balanced` strategy. Default `{ cost: 0.3, quality: 0.5, latency: 0.1, health: 0.1 }`. */
  balancedWeights?: Partial<BalancedWeights>;
  /** Custom middleware, at named points of the pipeline. */
  middleware?: (Middleware<RouteContext> | MiddlewareEntry)[];
  /**
   * Derives the tenant a call is accounted to, from the whole request: return a tenant id,
   * or undefined to keep `request.tenant`. Runs first in the `tenant` stage; every event
   * and the audit record carry the id it returns.
   *
   * @example
   * ```ts
   * resolveTenant: async (req) => (req.user ? await orgOfUser(req.user) : undefined)
   * ```
   */
  resolveTenant?: (request: ChatRequest) => string | undefined | Promise<string | undefined>;
  /**
   * Retries of each candidate on retryable failures (`rate_limited`, `overloaded`,
   * `server_error`, `timeout`, `connection`), with exponential backoff and jitter from
   * `minDelayMs` to `maxDelayMs`, never sooner than the provider's `retry-after`. A
   * `retry-after` above `maxRetryAfterMs` moves on to the next candidate instead.
   * Default `{ retries: 2, minDelayMs: 200, maxDelayMs: 4000, maxRetryAfterMs: 5000 }`.
   */
  retry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number; maxRetryAfterMs?: number };
  /**
   * Deadline of one attempt in ms (for a stream, until its first part). Default 120 000: long
   * enough for a long non-streamed answer, which a shorter deadline would cut and pay twice.
   */
  attemptTimeoutMs?: number;
  /** When a deployment's circuit opens and how long it stays open. See `BreakerOptions`. */
  breaker?: Partial<BreakerOptions>;
  /** The clock (epoch ms) for periods, windows, cooldowns and timestamps. Default `Date.now`; inject one in tests. */
  clock?: () => number;
  /**
   * `chain: true` links each tenant's audit records into a hash chain: every record gets
   * `prevHash` and `hash` (SHA-256 over its canonical JSON); check stored records with
   * `verifyAuditChain()`. The chain is per router instance.
   */
  audit?: { chain?: boolean };
  /** Where budgets, rate limits and usage live. Default: this process's memory (`createMemoryStore()`). */
  store?: Store;
  /**
   * `maxInFlight`: a router-wide cap on calls in flight. When it is reached, calls wait in
   * weighted fair queues, one per tenant (`weight` in the policy), of at most
   * `maxQueuePerTenant` calls (default 1000; a full queue is `rate_limited`).
   * `perProvider`: a cap on requests in flight to one provider entry
   * (`{ anthropic: 20 }`); attempts beyond it wait in arrival order, within their deadline.
   * Default: no caps.
   */
  concurrency?: { maxInFlight?: number; maxQueuePerTenant?: number; perProvider?: Record<string, number> };
  /**
   * When `tenant.noisy` fires: a tenant holding more than `share` of in-flight plus queued
   * calls, or whose request rate passes `rateFactor` times its own baseline; once per
   * `windowMs`. Default `{ share: 0.5, rateFactor: 3, windowMs: 60_000 }`.
   */
  noisyNeighbor?: { share?: number; rateFactor?: number; windowMs?: number };
}

/** A router: build one at start-up, share it across requests. See `createRouter()`. */
export interface Router {
  /** Routes one call and resolves with its answer, or rejects with a `RouterError`. */
  complete(request: ChatRequest): Promise<ChatResult>;
  /** Routes one call and streams its answer. See `ChatStream`. */
  stream(request: ChatRequest): ChatStream;
  /** The route decision for a request, computed as for a real call; no provider is called. */
  explain(request: ChatRequest): Promise<RouteDecision>;
  /** Subscribes to an event. Listener exceptions are caught and reported as process warnings. */
  on<K extends keyof RouterEvents>(event: K, listener: (...payload: RouterEvents[K]) => void): this;
  once<K extends keyof RouterEvents>(event: K, listener: (...payload: RouterEvents[K]) => void): this;
  off<K extends keyof RouterEvents>(event: K, listener: (...payload: RouterEvents[K]) => void): this;
  /**
   * The tenant's spend and usage in its current budget period (`total` when it has no
   * budget), from the store: shared by every router on the same store.
   */
  usage(tenant: string): Promise<TenantUsage>;
  /** Read and replace tenant policies at run time. */
  readonly tenants: TenantAdmin;
  /**
   * Resolves when every configured provider can serve calls: its SDK package loaded (they
   * are optional peers, loaded in the background from `createRouter()`) and its client
   * built. Rejects with `invalid_config` naming each provider entry that cannot, and the
   * package to install. Calls wait for the loading on their own, so it never counts as
   * provider latency; await `ready()` at start-up to fail fast on a missing package.
   *
   * @example
   * ```ts
   * const router = createRouter({ providers: { anthropic: { apiKey } }, tenants });
   * await router.ready(); // invalid_config: providers.anthropic cannot be used: … npm install @anthropic-ai/sdk
   * ```
   */
  ready(): Promise<void>;
  /** Refuses new calls, waits for calls in flight, and drops every listener. */
  close(): Promise<void>;
}

/** A tenant's spend and usage in its current budget period. */
export interface TenantUsage {
  tenant: string;
  /** The period's id: `2026-11-23` (day), `2026-11-23T10` (hour), `W2026-11-23` (week from Monday), `2026-11` (month), `total`. */
  period: string;
  spentUsd: number;
  limitUsd?: number;
  /** Held by calls in flight. */
  reservedUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Calls settled in the period. */
  requests: number;
}

const BUILTIN_STAGES: readonly [StageName, Middleware<RouteContext>][] = [
  ['tenant', tenantStage],
  ['access', accessStage],
  ['guardrails', guardrailsStage],
  ['prompt', promptStage],
  ['cache', cacheStage],
  ['ratelimit', ratelimitStage],
  ['strategy', strategyStage],
  ['budget', budgetStage],
  ['queue', queueStage],
  ['execute', executeStage],
];

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
 * Creates a router. Validates every option at once and throws `invalid_config` naming the
 * first failing paths.
 *
 * @example
 * ```ts
 * const router = createRouter({
 *   providers: { openai: { apiKey: process.env.OPENAI_API_KEY }, anthropic: { apiKey: process.env.ANTHROPIC_API_KEY } },
 *   tenants: {
 *     acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
 *     globex: { strategy: 'lowest_cost', maxCostPerRequest: 0.02 },
 *   },
 * });
 * const result = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hello' }] });
 * ```
 */
export function createRouter(config: RouterConfig): Router {
  const parsed = RouterConfigSchema.safeParse(config);
  if (!parsed.success)
    throw new RouterError('invalid_config', `createRouter: ${describeIssues(parsed.error)}`);
  return new RouterImpl(config);
}

class RouterImpl implements Router {
  readonly tenants: TenantRegistry;
  private readonly events = new EventEmitter<RouterEvents>();
  private readonly services: RouterServices;
  private readonly pipeline: (ctx: RouteContext, trace?: PipelineTrace) => Promise<void>;
  /** The pipeline's entries, in order: stage names, and custom middleware's, for errors. */
  private readonly pipelineNames: { name: string; custom: boolean }[];
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  /** Until every adapter is ready: calls wait for it, so no SDK import is timed as an attempt. */
  private loading: Promise<void> | undefined;
  /** Why some provider cannot serve calls (its SDK is missing): every call fails with it. */
  private setupError: RouterError | undefined;

  constructor(config: RouterConfig) {
    const adapters = new Map<string, ProviderAdapter>();
    for (const [name, entry] of Object.entries(config.providers))
      adapters.set(name, createAdapter(name, entry));
    (config.models ?? []).forEach((model, i) => {
      if (!adapters.has(model.provider)) {
        throw new RouterError(
          'invalid_config',
          `models[${i}].provider '${model.provider}' is not a configured provider (configured: ${[...adapters.keys()].join(', ')})`,
        );
      }
    });
    if (config.defaultTenant !== undefined && config.tenants && typeof config.tenants.get !== 'function') {
      if (!(config.defaultTenant in config.tenants)) {
        throw new RouterError(
          'invalid_config',
          `defaultTenant '${config.defaultTenant}' is not one of the configured tenants`,
        );
      }
    }
    this.loading = loadAdapters(adapters).then((problem) => {
      this.loading = undefined;
      this.setupError = problem;
    });
    const providers = new Set(adapters.keys());
    const catalog = buildCatalog(config.models ?? [], providers);
    const references = new PolicyReferences(providers, catalog);
    this.tenants = new TenantRegistry({
      source: config.tenants,
      defaults: config.defaults,
      tiers: config.tiers,
      defaultTenant: config.defaultTenant,
      ttlMs: config.tenantCacheTtlMs ?? 60_000,
      check: (policy, where, own) => references.problem(policy, where, own),
      catalogFor: (models) => {
        const own = new Map(catalog);
        for (const spec of models) own.set(spec.id, resolveModel(spec));
        return own;
      },
    });
    const now = config.clock ?? Date.now;
    const chain = config.audit?.chain ? new AuditChain() : undefined;
    const health = new HealthTracker(now, { ...DEFAULT_BREAKER, ...config.breaker });
    const events = this.events;
    this.services = {
      catalog,
      adapters,
      health,
      store: (config.store as Store | undefined) ?? createMemoryStore({ now }),
      concurrency:
        config.concurrency?.maxInFlight === undefined
          ? undefined
          : {
              maxInFlight: config.concurrency.maxInFlight,
              maxQueuePerTenant: config.concurrency.maxQueuePerTenant ?? 1_000,
            },
      providerLimits: providerLimits(config.concurrency?.perProvider, providers),
      noisyNeighbor: { share: 0.5, rateFactor: 3, windowMs: 60_000, ...config.noisyNeighbor },
      retry: { retries: 2, minDelayMs: 200, maxDelayMs: 4_000, maxRetryAfterMs: 5_000, ...config.retry },
      attemptTimeoutMs: config.attemptTimeoutMs ?? 120_000,
      resolvePolicy: (tenant) => this.tenants.resolve(tenant),
      resolveTenant: config.resolveTenant,
      random: Math.random,
      defaultMaxTokens: config.defaultMaxTokens ?? 4096,
      weights: { ...DEFAULT_BALANCED_WEIGHTS, ...config.balancedWeights },
      emit: (event, build) => {
        if (events.listenerCount(event) === 0) return;
        const payload = build();
        if (chain && event === 'audit') chain.link(payload as AuditRecord);
        safeEmit(events, event, payload);
      },
      now,
    };
    this.services.store.onError?.((error, failOpen) =>
      this.services.emit('store.error', () => ({ timestamp: now(), message: error.message, failOpen })),
    );
    const placed = placeMiddleware(config.middleware ?? []);
    this.pipeline = compose(placed.map((p) => p.handle));
    this.pipelineNames = placed.map(({ name, custom }) => ({ name, custom }));
  }

  on<K extends keyof RouterEvents>(event: K, listener: (...payload: RouterEvents[K]) => void): this {
    this.events.on(event, listener as never);
    return this;
  }

  once<K extends keyof RouterEvents>(event: K, listener: (...payload: RouterEvents[K]) => void): this {
    this.events.once(event, listener as never);
    return this;
  }

  off<K extends keyof RouterEvents>(event: K, listener: (...payload: RouterEvents[K]) => void): this {
    this.events.off(event, listener as never);
    return this;
  }

  complete(request: ChatRequest): Promise<ChatResult> {
    return this.track(this.runComplete(request));
  }

  async ready(): Promise<void> {
    if (this.loading) await this.loading;
    if (this.setupError) throw this.setupError;
  }

  stream(request: ChatRequest): ChatStream {
    const controller = new AbortController();
    const parts = new PartQueue<StreamPart>(() =>
      controller.abort(new RouterError('aborted', 'the stream was closed by its consumer before it ended')),
    );
    let id = '';
    let ctx: RouteContext | undefined;
    try {
      ctx = this.begin(request, 'stream', controller);
      id = ctx.requestId;
    } catch (error) {
      parts.end(error);
      const failed = Promise.reject(error);
      failed.catch(() => {});
      return { id, result: failed, [Symbol.asyncIterator]: () => parts[Symbol.asyncIterator]() };
    }
    const result = this.track(this.runStream(ctx, parts));
    // The caller may only iterate; the error reaches them there, so this rejection is handled.
    result.catch(() => {});
    return { id, result, [Symbol.asyncIterator]: () => parts[Symbol.asyncIterator]() };
  }

  async explain(request: ChatRequest): Promise<RouteDecision> {
    const ctx = this.newContext(this.validate(request), 'explain', undefined);
    await this.runPipeline(ctx);
    return ctx.decision!;
  }

  async usage(tenant: string): Promise<TenantUsage> {
    const policy = await this.tenants.resolve(tenant);
    const spec = policy.budget;
    const period = periodOf(spec?.period ?? 'total', this.services.now());
    const state = await this.services.store.read(`budget:{${tenant}}:tenant:${period.id}`);
    return {
      tenant,
      period: period.id,
      spentUsd: fromNano(state.spent),
      ...(spec && { limitUsd: spec.limitUsd }),
      reservedUsd: fromNano(state.reserved),
      inputTokens: state.inputTokens,
      outputTokens: state.outputTokens,
      requests: state.requests,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.events.removeAllListeners();
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const untrack = () => this.inFlight.delete(promise);
    promise.then(untrack, untrack);
    return promise;
  }

  private async runComplete(request: ChatRequest): Promise<ChatResult> {
    if (this.loading) await this.loading;
    const ctx = this.begin(request, 'complete', undefined);
    try {
      if (this.setupError) throw this.unusable(ctx);
      await this.runPipeline(ctx);
      const result = this.buildResult(ctx, ctx.response!, undefined);
      this.succeed(ctx, result);
      return result;
    } catch (error) {
      throw this.fail(ctx, error);
    } finally {
      disposeSignal(ctx);
    }
  }

  private async runStream(ctx: RouteContext, parts: PartQueue<StreamPart>): Promise<ChatResult> {
    try {
      if (this.loading) await this.loading;
      if (this.setupError) throw this.unusable(ctx);
      await this.runPipeline(ctx);
      const text: string[] = [];
      const toolCalls: ToolCall[] = [];
      let ttftMs: number | undefined;
      let finish: Extract<ProviderStreamPart, { type: 'finish' }> | undefined;
      for await (const part of ctx.stream!) {
        // Whatever the SDK does with the abort (Mistral's can lose it), stop reading at once:
        // leaving the loop returns every iterator down to the SDK's, which closes the connection.
        if (ctx.signal!.aborted) throw ctx.signal!.reason;
        if (part.type === 'finish') {
          finish = part;
          // `usageReported` is for settlement, not for the caller's stream.
          if (part.usageReported !== undefined) {
            const { usageReported: _internal, ...visible } = part;
            parts.push(visible);
            continue;
          }
        } else {
          ttftMs ??= performance.now() - ctx.startedAt;
          if (part.type === 'text') text.push(part.text);
          else toolCalls.push(part.toolCall);
        }
        parts.push(part);
      }
      const response: ProviderResponse = {
        content: text.join(''),
        ...(toolCalls.length > 0 && { toolCalls }),
        finishReason: finish?.finishReason ?? 'stop',
        usage: finish?.usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        ...(finish?.refusal !== undefined && { refusal: finish.refusal }),
        ...((finish === undefined || finish.usageReported === false) && { usageReported: false }),
      };
      const result = this.buildResult(ctx, response, ttftMs);
      this.succeed(ctx, result);
      parts.end();
      return result;
    } catch (error) {
      const failure = this.fail(ctx, error);
      parts.push({ type: 'error', error: failure instanceof Error ? failure : new Error(String(failure)) });
      parts.end(failure);
      throw failure;
    } finally {
      disposeSignal(ctx);
    }
  }

  /** The setup error, for one call: a provider entry cannot be used at all. */
  private unusable(ctx: RouteContext): RouterError {
    return new RouterError('invalid_config', this.setupError!.message, {
      tenant: ctx.tenant,
      requestId: ctx.requestId,
      cause: this.setupError,
    });
  }

  /**
   * Runs the stages. A pipeline that ends without the answer its mode needs was cut short
   * by a middleware that returned without `await next()` (or called it without awaiting):
   * that is an `internal` error naming where the pipeline stopped, as Hono reports a
   * context that was never finalized.
   */
  private async runPipeline(ctx: RouteContext): Promise<void> {
    const trace: PipelineTrace = { reached: -1 };
    await this.pipeline(ctx, trace);
    const answered =
      ctx.mode === 'complete' ? ctx.response : ctx.mode === 'stream' ? ctx.stream : ctx.decision;
    if (answered !== undefined) return;
    const stopped = this.pipelineNames[trace.reached];
    const what = ctx.mode === 'explain' ? 'a route decision' : 'an answer';
    let why: string;
    if (stopped?.custom) why = `${stopped.name} returned without calling \`await next()\``;
    else {
      const suspects = this.pipelineNames.slice(0, Math.max(0, trace.reached)).filter((p) => p.custom);
      why = `a custom middleware probably called \`next()\` without awaiting it (${suspects.map((p) => p.name).join(', ') || 'none is configured'})`;
    }
    throw new RouterError('internal', `the pipeline ended without ${what}: ${why}`, {
      tenant: ctx.tenant,
      requestId: ctx.requestId,
    });
  }

  private validate(request: ChatRequest): ChatRequest {
    const parsed = ChatRequestSchema.safeParse(request);
    if (parsed.success) return parsed.data as ChatRequest;
    throw new RouterError('invalid_request', `invalid request: ${describeIssues(parsed.error)}`, {
      ...(typeof request?.tenant === 'string' && { tenant: request.tenant }),
    });
  }

  /** Validates the request and starts the call's context, its deadline and its events. */
  private begin(
    request: ChatRequest,
    mode: 'complete' | 'stream',
    controller: AbortController | undefined,
  ): RouteContext {
    const startedAt = performance.now();
    let valid: ChatRequest;
    try {
      if (this.closed)
        throw new RouterError('aborted', 'the router is closed: create a new one with createRouter()');
      valid = this.validate(request);
    } catch (error) {
      const tenant = typeof request?.tenant === 'string' ? request.tenant : '';
      this.auditEarlyFailure(error as RouterError, tenant, startedAt, mode === 'stream');
      throw error;
    }
    const ctx = this.newContext(valid, mode, controller, startedAt);
    if (ctx.signal?.aborted) {
      disposeSignal(ctx);
      throw this.fail(ctx, ctx.signal.reason);
    }
    return ctx;
  }

  private newContext(
    request: ChatRequest,
    mode: RouteContext['mode'],
    controller: AbortController | undefined,
    startedAt = performance.now(),
  ): RouteContext {
    const requestId = randomUUID();
    const signal = mode === 'explain' ? undefined : callSignal(request, requestId, controller);
    const ctx: RouteContext = {
      requestId,
      mode,
      request,
      services: this.services,
      startedAt,
      timestamp: this.services.now(),
      signal: signal?.signal,
      tenant: request.tenant,
      policy: undefined,
      strategy: undefined,
      catalog: this.services.catalog,
      responseFormat: request.responseFormat,
      admit: undefined,
      cancelledCostNano: 0,
      billedNano: undefined,
      queueWaitMs: 0,
      inputEstimate: undefined,
      cached: false,
      guardrailsTriggered: [],
      messages: request.messages,
      eligible: [],
      candidates: [],
      excluded: [],
      ranked: [],
      decision: undefined,
      attempts: [],
      fallbacks: [],
      served: undefined,
      response: undefined,
      stream: undefined,
      error: undefined,
      locals: {},
    };
    if (signal) disposers.set(ctx, signal.dispose);
    return ctx;
  }

  private buildResult(ctx: RouteContext, response: ProviderResponse, ttftMs: number | undefined): ChatResult {
    const { model } = ctx.served!.candidate;
    return {
      id: ctx.requestId,
      tenant: ctx.tenant,
      text: response.content,
      message: {
        role: 'assistant',
        content: response.content,
        ...(response.toolCalls && response.toolCalls.length > 0 && { toolCalls: response.toolCalls }),
      },
      finishReason: response.finishReason,
      model: model.id,
      provider: model.provider,
      ...(model.region !== undefined && { region: model.region }),
      usage: response.usage,
      costUsd: ctx.cached
        ? 0
        : fromNano(ctx.billedNano ?? actualCostNano(model, response.usage) + ctx.cancelledCostNano),
      cached: ctx.cached,
      latencyMs: performance.now() - ctx.startedAt,
      ...(response.usageReported === false && !ctx.cached && { usageEstimated: true as const }),
      ...(ttftMs !== undefined && { ttftMs }),
      ...(response.refusal !== undefined && { refusal: response.refusal }),
      attempts: ctx.attempts,
    };
  }

  private succeed(ctx: RouteContext, result: ChatResult): void {
    this.services.emit('request.completed', () => ({
      requestId: ctx.requestId,
      tenant: ctx.tenant,
      timestamp: this.services.now(),
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
    this.services.emit('audit', () => {
      const record = this.auditBase(ctx, 'success', result.latencyMs);
      record.model = result.model;
      record.provider = result.provider;
      record.finishReason = result.finishReason;
      if (result.region !== undefined) record.region = result.region;
      if (ctx.served?.credentialId !== undefined) record.credentialId = ctx.served.credentialId;
      record.usage = result.usage;
      record.costUsd = result.costUsd;
      if (result.usageEstimated) record.usageEstimated = true;
      if (result.ttftMs !== undefined) record.ttftMs = result.ttftMs;
      record.cached = result.cached;
      const cap = costCap(ctx);
      if (cap !== undefined) {
        record.costCapUsd = cap;
        record.overCap = result.costUsd > cap;
      }
      if (ctx.policy?.captureContent) record.content = { messages: ctx.messages, text: result.text };
      return record;
    });
  }

  /** Ends a call in error: events and audit; returns what to throw. */
  private fail(ctx: RouteContext, thrown: unknown): RouterError {
    const routerError = RouterError.isInstance(thrown) ? thrown : internalError(ctx, thrown);
    const { code } = routerError;
    const latencyMs = performance.now() - ctx.startedAt;
    ctx.error = routerError;
    const denied = DENIAL_CODES.has(code);
    if (denied) {
      this.services.emit('policy.denied', () => ({
        requestId: ctx.requestId,
        tenant: ctx.tenant,
        timestamp: this.services.now(),
        code: routerError.code,
        reason: routerError.message,
      }));
    }
    this.services.emit('request.failed', () => ({
      requestId: ctx.requestId,
      tenant: ctx.tenant,
      timestamp: this.services.now(),
      code,
      message: routerError.message,
      attempts: ctx.attempts,
      latencyMs,
    }));
    this.services.emit('audit', () => {
      const last = ctx.attempts.at(-1);
      const model = last ? ctx.catalog.get(last.model) : undefined;
      return {
        ...this.auditBase(ctx, denied ? 'denied' : 'failed', latencyMs),
        // What the budget charged: the reservation of a stream that ended early, else 0.
        costUsd: fromNano(ctx.billedNano ?? 0),
        errorCode: code,
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
    if (ctx.queueWaitMs > 0) record.queueWaitMs = ctx.queueWaitMs;
    if (ctx.guardrailsTriggered.length > 0) record.guardrails = ctx.guardrailsTriggered;
    return record;
  }

  /** The audit record of a call refused before it had a context (invalid request, closed router). */
  private auditEarlyFailure(error: RouterError, tenant: string, startedAt: number, stream: boolean): void {
    const timestamp = this.services.now();
    const requestId = randomUUID();
    const latencyMs = performance.now() - startedAt;
    this.services.emit('request.failed', () => ({
      requestId,
      tenant,
      timestamp,
      code: error.code,
      message: error.message,
      attempts: [],
      latencyMs,
    }));
    this.services.emit('audit', () => ({
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

/** The cost cap in force: the lower of the request's `maxCost` and the policy's `maxCostPerRequest`. */
function costCap(ctx: RouteContext): number | undefined {
  const a = ctx.request.maxCost;
  const b = ctx.policy?.maxCostPerRequest;
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/**
 * Waits for every adapter to be ready; returns one `invalid_config` error naming each entry
 * that cannot serve calls (its SDK package missing, its client refused), or undefined.
 */
async function loadAdapters(
  adapters: ReadonlyMap<string, ProviderAdapter>,
): Promise<RouterError | undefined> {
  const entries = [...adapters];
  const outcomes = await Promise.allSettled(entries.map(([, adapter]) => adapter.ready?.()));
  const problems: string[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') return;
    const reason: unknown = outcome.reason;
    const detail = redactSecrets(reason instanceof Error ? reason.message : String(reason));
    problems.push(`providers.${entries[i]![0]} cannot be used: ${detail}`);
  });
  return problems.length === 0 ? undefined : new RouterError('invalid_config', problems.join('; '));
}

/** One limiter per provider entry that has a cap; a cap on an unknown entry is `invalid_config`. */
function providerLimits(
  caps: Record<string, number> | undefined,
  providers: ReadonlySet<string>,
): Map<string, Limiter> {
  const limits = new Map<string, Limiter>();
  for (const [name, max] of Object.entries(caps ?? {})) {
    if (!providers.has(name)) {
      throw new RouterError(
        'invalid_config',
        `concurrency.perProvider.${name} names no configured provider (configured: ${[...providers].join(', ')})`,
      );
    }
    limits.set(name, new Limiter(max));
  }
  return limits;
}

/** Clean-up of each call's deadline timer and signal listener. */
const disposers = new WeakMap<RouteContext, () => void>();

/**
 * The call's own signal: aborts with a `RouterError` — `aborted` when the caller's signal
 * (or the stream's consumer) aborts, `timeout` at the deadline. Undefined when the call has
 * neither, so a plain call allocates nothing.
 */
function callSignal(
  request: ChatRequest,
  requestId: string,
  controller: AbortController | undefined,
): { signal: AbortSignal; dispose: () => void } | undefined {
  const { signal: callerSignal, timeoutMs } = request;
  if (!controller && !callerSignal && timeoutMs === undefined) return undefined;
  const own = controller ?? new AbortController();
  const onAbort = () =>
    own.abort(
      new RouterError('aborted', 'the call was aborted by its signal', { tenant: request.tenant, requestId }),
    );
  if (callerSignal?.aborted) onAbort();
  else callerSignal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            own.abort(
              new RouterError('timeout', `the call passed its deadline of ${timeoutMs} ms (timeoutMs)`, {
                tenant: request.tenant,
                requestId,
              }),
            ),
          timeoutMs,
        );
  return {
    signal: own.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    },
  };
}

function disposeSignal(ctx: RouteContext): void {
  disposers.get(ctx)?.();
}

/** Orders the built-in stages and custom middleware by stage name, each with a name for errors. */
function placeMiddleware(
  custom: readonly (Middleware<RouteContext> | MiddlewareEntry)[],
): { name: string; custom: boolean; handle: Middleware<RouteContext> }[] {
  const rank = (stage: StageName) => STAGE_NAMES.indexOf(stage);
  // Each entry gets a position on the stage scale: built-ins at their rank, custom
  // middleware just before or after its named stage, in the order given.
  const placed: {
    position: number;
    seq: number;
    name: string;
    custom: boolean;
    handle: Middleware<RouteContext>;
  }[] = BUILTIN_STAGES.map(([name, handle], seq) => ({
    position: rank(name),
    seq,
    name,
    custom: false,
    handle,
  }));
  custom.forEach((entry, i) => {
    const seq = BUILTIN_STAGES.length + i;
    const handle = typeof entry === 'function' ? entry : entry.handle;
    // A bare function is known by its own name; an entry by its `name` (its `handle` is named "handle").
    const given = typeof entry === 'function' ? entry.name : entry.name;
    const name = given ? `middleware[${i}] (${given})` : `middleware[${i}]`;
    const position =
      typeof entry === 'function'
        ? rank('execute') - 0.5
        : entry.after !== undefined
          ? rank(entry.after) + 0.5
          : rank(entry.before ?? 'execute') - 0.5;
    placed.push({ position, seq, name, custom: true, handle });
  });
  return placed.sort((a, b) => a.position - b.position || a.seq - b.seq);
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
