// Longer than most files on purpose: the documented public `Router` interface and the call
// lifecycle (complete, stream, explain), which share the router's private state. What a
// call does lives in the stages; defaults in config/; how it ends in events/recorder.ts.
import { EventEmitter } from 'eventemitter3';
import { buildCatalog, completeSpec, type ProviderRegions, resolveModel } from './catalog/catalog.js';
import { fastChatRequest } from './config/fast-request.js';
import { type ResolvedOptions, resolveOptions } from './config/resolve.js';
import type { RouterConfig } from './config/router-config.js';
import {
  ChatRequestSchema,
  describeIssues,
  EmbedRequestSchema,
  MAX_EMBED_CHARS,
  RouterConfigSchema,
} from './config/schema.js';
import { RouterError } from './errors.js';
import { AuditChain, type AuditLinker } from './events/audit-chain.js';
import { CallRecorder, eventEmitterOf } from './events/recorder.js';
import { SharedAuditChain } from './events/shared-audit-chain.js';
import type { RouteDecision, RouterEvents } from './events/types.js';
import { LimitedDeployments } from './health/limited.js';
import { SharedHealth } from './health/shared.js';
import { HealthTracker } from './health/tracker.js';
import { AnswerBuilder, answerEnd, answerPart } from './pipeline/answer.js';
import { callSignal } from './pipeline/call-signal.js';
import { compose, type Middleware, type PipelineTrace } from './pipeline/compose.js';
import type { EmbedCall, RouteContext, RouterServices, StageName } from './pipeline/context.js';
import { PartQueue } from './pipeline/part-queue.js';
import { type PlacedMiddleware, placeMiddleware } from './pipeline/placement.js';
import { REPLAY_PROBE, type ReplayCall, type ReplayProbeResult } from './pipeline/replay-probe.js';
import { requestId as newRequestId } from './pipeline/request-id.js';
import { SettlementJournal } from './pipeline/settlements.js';
import { createAdapter } from './providers/index.js';
import { loadAdapters } from './providers/ready.js';
import type { ProviderAdapter, ProviderResponse } from './providers/types.js';
import { accessStage } from './stages/access.js';
import { createBudgetStage, type TenantUsage, tenantUsage } from './stages/budget/index.js';
import { createCacheStage } from './stages/cache/index.js';
import { createExecuteStage } from './stages/execute.js';
import { guardrailsStage } from './stages/guardrails/index.js';
import { promptStage } from './stages/prompt.js';
import { createQueueStage } from './stages/queue/index.js';
import { ratelimitStage } from './stages/ratelimit.js';
import { strategyStage } from './stages/strategy.js';
import { tenantStage } from './stages/tenant.js';
import { createMemoryStore } from './store/memory.js';
import { type Store, toNanoCeil } from './store/types.js';
import { PolicyReferences } from './tenants/references.js';
import { type TenantAdmin, TenantRegistry } from './tenants/registry.js';
import type {
  ChatRequest,
  ChatResult,
  ChatStream,
  EmbedRequest,
  EmbedResult,
  StreamPart,
  StreamServed,
} from './types.js';

export type { MiddlewareEntry, RouterConfig } from './config/router-config.js';
export type { TenantUsage } from './stages/budget/index.js';

/** A router: build one at start-up, share it across requests. See `createRouter()`. */
export interface Router {
  /** Routes one call and resolves with its answer, or rejects with a `RouterError`. */
  complete(request: ChatRequest): Promise<ChatResult>;
  /** Routes one call and streams its answer. See `ChatStream`. */
  stream(request: ChatRequest): ChatStream;
  /**
   * Embeds texts: one vector per text, in order. The call takes the path of `complete()`:
   * the tenant's policy (allowed and denied models, role, regions), its input guardrails
   * (PII redaction or denial, blocked terms, applied to each text), its answer cache
   * (exact match on the texts and `dimensions`, per tenant), rate limit, strategy (among
   * the models that declare the `embeddings` capability only), budget (reserved on the
   * input's upper bound; embeddings bill no output), fallback with retries and circuits, and
   * one audit record. A list longer than the provider takes in one request (OpenAI 2,048
   * texts, Gemini 100) is sent in several, in order, within one attempt.
   *
   * @example
   * ```ts
   * const { embeddings, model, costUsd } = await router.embed({
   *   tenant: 'acme',
   *   input: ['How do I reset my password?', 'Where is my invoice?'],
   *   dimensions: 512,
   * });
   * ```
   */
  embed(request: EmbedRequest): Promise<EmbedResult>;
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
  /**
   * Refuses new calls, waits for calls in flight and for their audit records still being
   * linked in a shared audit chain, retries the settlements the store refused
   * (for up to `settleRetry.closeWaitMs`; what is left is reported as `store.error` with
   * `unsettled.gaveUp`), and drops every listener.
   */
  close(): Promise<void>;
}

/** The built-in stages of one router, in pipeline order; stages with state get their own. */
function builtinStages(options: ResolvedOptions): (readonly [StageName, Middleware<RouteContext>])[] {
  return [
    ['tenant', tenantStage],
    ['access', accessStage],
    ['guardrails', guardrailsStage],
    ['prompt', promptStage],
    ['cache', createCacheStage({ now: options.now, ...options.cache })],
    ['ratelimit', ratelimitStage],
    ['strategy', strategyStage],
    ['budget', createBudgetStage({ leaseMs: options.leaseMs })],
    ['queue', createQueueStage(options)],
    ['execute', createExecuteStage(options)],
  ];
}

/**
 * The audit chain of `audit: { chain: true }`: shared through the store when it has
 * `auditChain` (Redis), else in this process. A record the store could not link is
 * reported as `store.error` with its tenant and `requestId`.
 */
function auditLinker(store: Store, emitOf: () => RouterServices['emit'], now: () => number): AuditLinker {
  if (!store.auditChain) return new AuditChain();
  return new SharedAuditChain(store.auditChain, (record, error) =>
    emitOf()('store.error', () => ({
      timestamp: now(),
      message: `audit chain: the store could not link record ${record.requestId} of tenant '${record.tenant}' (${error.message}); it was emitted after the head this router last knew (seq ${record.seq}), and verifyAuditChain reports a fork there unless the store applied the link after all`,
      failOpen: true,
      tenant: record.tenant,
      requestId: record.requestId,
    })),
  );
}

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

/**
 * The wiring of one router: adapters, catalog, tenants, store and health built from the
 * resolved options; the stages composed; and each call's lifecycle (validate, deadline,
 * pipeline, answer, events). What a call does lives in the stages; how it ends is recorded
 * by `CallRecorder`.
 */
class RouterImpl implements Router {
  readonly tenants: TenantRegistry;
  private readonly events = new EventEmitter<RouterEvents>();
  private readonly services: RouterServices;
  private readonly recorder: CallRecorder;
  private readonly pipeline: (ctx: RouteContext, trace?: PipelineTrace) => Promise<void>;
  /** The pipeline's entries, in order, for errors that name where it stopped. */
  private readonly pipelineNames: readonly Omit<PlacedMiddleware, 'handle'>[];
  /** Calls in flight (`complete`, `embed`, `stream` until its result settles). */
  private active = 0;
  /** Resolved when the last call in flight ends, for `close()`. */
  private drained: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly settlements: SettlementJournal;
  private readonly auditChain: AuditLinker | undefined;
  private closed = false;
  /** Until every adapter is ready: calls wait for it, so no SDK import is timed as an attempt. */
  private loading: Promise<void> | undefined;
  /** Why some provider cannot serve calls (its SDK is missing): every call fails with it. */
  private setupError: RouterError | undefined;

  constructor(config: RouterConfig) {
    const adapters = new Map<string, ProviderAdapter>();
    for (const [name, entry] of Object.entries(config.providers))
      adapters.set(name, createAdapter(name, entry));
    const providers = new Set(adapters.keys());
    const regions: ProviderRegions = new Map(
      Object.entries(config.providers).map(([name, entry]) => [name, entry.region] as const),
    );
    const options = resolveOptions(config, providers);
    this.loading = loadAdapters(adapters).then((problem) => {
      this.loading = undefined;
      this.setupError = problem;
    });
    const catalog = buildCatalog(config.models ?? [], regions);
    const references = new PolicyReferences(regions, catalog);
    this.tenants = new TenantRegistry({
      source: config.tenants,
      defaults: config.defaults,
      tiers: config.tiers,
      defaultTenant: config.defaultTenant,
      ttlMs: options.tenantCacheTtlMs,
      check: (policy, where, own) => references.problem(policy, where, own),
      catalogFor: (models) => {
        const own = new Map(catalog);
        for (const spec of models) own.set(spec.id, resolveModel(completeSpec(spec), regions));
        return own;
      },
    });
    const { now } = options;
    const store = (config.store as Store | undefined) ?? createMemoryStore({ now });
    this.auditChain = config.audit?.chain ? auditLinker(store, () => emit, now) : undefined;
    const emit = eventEmitterOf(this.events, this.auditChain);
    this.settlements = new SettlementJournal(emit, now, options.settleRetry);
    const tracker = new HealthTracker(now, options.breaker);
    this.services = {
      settlements: this.settlements,
      limited: new LimitedDeployments(now),
      catalog,
      adapters,
      // With a store that shares circuits, they hold for every router on it.
      health: store.circuits
        ? new SharedHealth(tracker, store.circuits, { breaker: options.breaker, now, emit })
        : tracker,
      store,
      resolvePolicy: (tenant) => this.tenants.resolve(tenant),
      resolveTenant: config.resolveTenant,
      random: Math.random,
      defaultMaxTokens: options.defaultMaxTokens,
      weights: options.weights,
      emit,
      now,
    };
    this.recorder = new CallRecorder(emit, now);
    this.services.store.onError?.((error, failOpen) =>
      emit('store.error', () => ({ timestamp: now(), message: error.message, failOpen })),
    );
    const placed = placeMiddleware(builtinStages(options), config.middleware ?? []);
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
    this.active++;
    return this.runComplete(request);
  }

  embed(request: EmbedRequest): Promise<EmbedResult> {
    this.active++;
    return this.runEmbed(request);
  }

  async ready(): Promise<void> {
    if (this.loading) await this.loading;
    if (this.setupError) throw this.setupError;
  }

  async explain(request: ChatRequest): Promise<RouteDecision> {
    const ctx = this.newContext(this.validate(request), 'explain', undefined);
    await this.runPipeline(ctx);
    return ctx.decision!;
  }

  /**
   * A recorded call's decision, for `replayAudit`: the `explain()` pipeline on the call's
   * features (its recorded input bound and needs stand for its messages; see `ctx.replay`).
   */
  async [REPLAY_PROBE](call: ReplayCall): Promise<ReplayProbeResult> {
    const { inputTokens, needs, ...fields } = call;
    const request = this.validate({ ...fields, messages: [{ role: 'user', content: '' }] });
    const ctx = this.newContext(request, 'explain', undefined);
    ctx.replay = { inputTokens, needs };
    await this.runPipeline(ctx);
    return {
      decision: ctx.decision!,
      tenant: ctx.tenant,
      ranked: ctx.ranked.map(({ candidate }) => ({
        model: candidate.model,
        estCostNano: toNanoCeil(candidate.estCostUsd),
      })),
      policy: ctx.policy!,
      defaultMaxTokens: this.services.defaultMaxTokens,
    };
  }

  async usage(tenant: string): Promise<TenantUsage> {
    const policy = await this.tenants.resolve(tenant);
    return tenantUsage(this.services.store, tenant, policy.budget, this.services.now());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.active > 0) {
      if (this.drained === undefined) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        this.drained = { promise, resolve };
      }
      await this.drained.promise;
    }
    // Audit records still being linked in the shared store are emitted before listeners go.
    await this.auditChain?.drain();
    this.services.health.dispose?.();
    // Settlements the store refused: retried once more for up to `settleRetry.closeWaitMs`.
    await this.settlements.drain();
    this.events.removeAllListeners();
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
      return {
        id,
        result: failed,
        served: undefined,
        [Symbol.asyncIterator]: () => parts[Symbol.asyncIterator](),
      };
    }
    this.active++;
    const result = this.runStream(ctx, parts);
    // The caller may only iterate; the error reaches them there, so this rejection is handled.
    result.catch(() => {});
    const call = ctx;
    let served: StreamServed | undefined;
    return {
      id,
      result,
      get served() {
        const model = call.served?.candidate.model;
        if (served === undefined && model !== undefined) {
          served = {
            model: model.id,
            deployment: model.provider,
            ...(model.region !== undefined && { region: model.region }),
          };
        }
        return served;
      },
      [Symbol.asyncIterator]: () => parts[Symbol.asyncIterator](),
    };
  }

  /** A call counted in `active` ended (its promise settles now). */
  private ended(): void {
    if (--this.active === 0 && this.drained !== undefined) {
      this.drained.resolve();
      this.drained = undefined;
    }
  }

  private runComplete(request: ChatRequest): Promise<ChatResult> {
    return this.answer(request, 'complete', chatResult);
  }

  private runEmbed(request: EmbedRequest): Promise<EmbedResult> {
    return this.answer(request, 'embed', embedResult);
  }

  /**
   * A call with one answer (`complete`, `embed`): the stages, then the result built, the
   * call recorded, its timers cleared, and it counted out of `active`, whatever happens.
   */
  private async answer<T>(
    request: ChatRequest | EmbedRequest,
    mode: 'complete' | 'embed',
    finish: (ctx: RouteContext, result: ChatResult) => T,
  ): Promise<T> {
    try {
      if (this.loading) await this.loading;
      const ctx = this.begin(request, mode, undefined);
      try {
        if (this.setupError) throw this.unusable(ctx);
        await this.runPipeline(ctx);
        const result = this.recorder.buildResult(ctx, ctx.response!, undefined);
        this.recorder.succeed(ctx, result);
        return finish(ctx, result);
      } catch (error) {
        throw this.recorder.fail(ctx, error);
      } finally {
        ctx.dispose?.();
      }
    } finally {
      this.ended();
    }
  }

  private async runStream(ctx: RouteContext, parts: PartQueue<StreamPart>): Promise<ChatResult> {
    try {
      if (this.loading) await this.loading;
      if (this.setupError) throw this.unusable(ctx);
      await this.runPipeline(ctx);
      // The one loop every part crosses: the stages' handlers (`onAnswer`) run here, as
      // parts pass and at the finish, before the consumer sees them.
      const answer = new AnswerBuilder();
      let ttftMs: number | undefined;
      let response: ProviderResponse | undefined;
      for await (const part of ctx.stream!) {
        // Whatever the SDK does with the abort (Mistral's can lose it), stop reading at once:
        // leaving the loop returns every iterator down to the SDK's, which closes the connection.
        if (ctx.signal!.aborted) throw ctx.signal!.reason;
        if (part.type === 'finish') {
          response = answer.build(part);
          await answerEnd(ctx, response);
          // `usageReported` is for settlement, not for the caller's stream.
          if (part.usageReported !== undefined) {
            const { usageReported: _internal, ...visible } = part;
            parts.push(visible);
            continue;
          }
        } else {
          ttftMs ??= performance.now() - ctx.startedAt;
          answer.add(part);
          answerPart(ctx, part);
        }
        parts.push(part);
      }
      if (response === undefined) {
        // Ended without a finish part: the stages settle it as a stream that did not finish.
        await answerEnd(ctx, undefined);
        response = answer.build(undefined);
      }
      const result = this.recorder.buildResult(ctx, response, ttftMs);
      this.recorder.succeed(ctx, result);
      parts.end();
      return result;
    } catch (error) {
      // A stream that failed or was stopped: the stages that have not seen its end see it now
      // (a handler's own failure here does not replace the call's).
      await answerEnd(ctx, undefined).catch(() => {});
      const failure = this.recorder.fail(ctx, error);
      parts.push({ type: 'error', error: failure instanceof Error ? failure : new Error(String(failure)) });
      parts.end(failure);
      throw failure;
    } finally {
      ctx.dispose?.();
      this.ended();
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
  private runPipeline(ctx: RouteContext): Promise<void> {
    const trace: PipelineTrace = { reached: -1 };
    return this.pipeline(ctx, trace).then(() => this.answered(ctx, trace));
  }

  /** Throws the `internal` error of a pipeline that ended without the answer its mode needs. */
  private answered(ctx: RouteContext, trace: PipelineTrace): void {
    const answered =
      ctx.mode === 'complete'
        ? ctx.response
        : ctx.mode === 'stream'
          ? ctx.stream
          : ctx.mode === 'embed'
            ? ctx.embeddings
            : ctx.decision;
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
    const fast = fastChatRequest(request);
    if (fast !== undefined) return fast;
    const parsed = ChatRequestSchema.safeParse(request);
    if (parsed.success) return parsed.data as ChatRequest;
    throw new RouterError('invalid_request', `invalid request: ${describeIssues(parsed.error)}`, {
      ...(typeof request?.tenant === 'string' && { tenant: request.tenant }),
    });
  }

  /**
   * An embed request as the pipeline takes it: a chat request whose messages are its texts,
   * one user message each (so input guardrails, the cache key and the input bound treat
   * them as any prompt), and what it asks besides.
   */
  private validateEmbed(request: EmbedRequest): { chat: ChatRequest; embed: EmbedCall } {
    const parsed = EmbedRequestSchema.safeParse(request);
    const tenant = typeof request?.tenant === 'string' ? { tenant: request.tenant } : {};
    if (!parsed.success)
      throw new RouterError(
        'invalid_request',
        `invalid embed request: ${describeIssues(parsed.error)}`,
        tenant,
      );
    const { input, dimensions, ...rest } = parsed.data;
    const texts = typeof input === 'string' ? [input] : input;
    let chars = 0;
    for (const text of texts) chars += text.length;
    if (chars > MAX_EMBED_CHARS) {
      throw new RouterError(
        'invalid_request',
        `invalid embed request: input holds ${chars.toLocaleString('en-US')} characters, above the ${MAX_EMBED_CHARS.toLocaleString('en-US')} one call takes; split the call`,
        tenant,
      );
    }
    const chat = { ...rest, messages: texts.map((content) => ({ role: 'user' as const, content })) };
    return { chat: chat as ChatRequest, embed: { dimensions, longestText: undefined } };
  }

  /** Validates the request and starts the call's context, its deadline and its events. */
  private begin(
    request: ChatRequest | EmbedRequest,
    mode: 'complete' | 'stream' | 'embed',
    controller: AbortController | undefined,
  ): RouteContext {
    const startedAt = performance.now();
    let valid: ChatRequest;
    let embed: EmbedCall | undefined;
    try {
      if (this.closed)
        throw new RouterError('aborted', 'the router is closed: create a new one with createRouter()');
      if (mode === 'embed') ({ chat: valid, embed } = this.validateEmbed(request as EmbedRequest));
      else valid = this.validate(request as ChatRequest);
    } catch (error) {
      const tenant = typeof request?.tenant === 'string' ? request.tenant : '';
      this.recorder.auditEarlyFailure(error as RouterError, tenant, startedAt, mode === 'stream');
      throw error;
    }
    const ctx = this.newContext(valid, mode, controller, startedAt, embed);
    if (ctx.signal?.aborted) {
      ctx.dispose?.();
      throw this.recorder.fail(ctx, ctx.signal.reason);
    }
    return ctx;
  }

  private newContext(
    request: ChatRequest,
    mode: RouteContext['mode'],
    controller: AbortController | undefined,
    startedAt = performance.now(),
    embed: EmbedCall | undefined = undefined,
  ): RouteContext {
    const requestId = newRequestId();
    const signal = mode === 'explain' ? undefined : callSignal(request, requestId, controller);
    const ctx: RouteContext = {
      requestId,
      mode,
      request,
      embed,
      embeddings: undefined,
      services: this.services,
      startedAt,
      timestamp: this.services.now(),
      signal: signal?.signal,
      tenant: request.tenant,
      policy: undefined,
      strategy: undefined,
      catalog: this.services.catalog,
      responseFormat: request.responseFormat,
      budget: undefined,
      charges: { cancelledNano: 0, billedNano: undefined, unsettled: false },
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
      answerHandlers: undefined,
      error: undefined,
      locals: {},
      dispose: signal?.dispose,
    };
    return ctx;
  }
}

const chatResult = (_ctx: RouteContext, result: ChatResult): ChatResult => result;

/** An embed call's result, from the chat result its pipeline built and its vectors. */
function embedResult(ctx: RouteContext, result: ChatResult): EmbedResult {
  return {
    id: result.id,
    tenant: result.tenant,
    model: result.model,
    provider: result.provider,
    deployment: result.deployment,
    ...(result.region !== undefined && { region: result.region }),
    embeddings: ctx.embeddings!,
    usage: { inputTokens: result.usage.inputTokens },
    costUsd: result.costUsd,
    cached: result.cached,
    latencyMs: result.latencyMs,
    attempts: result.attempts,
  };
}
