import type { ResolvedModel } from '../catalog/types.js';
import type { ProviderErrorCode, RouterError } from '../errors.js';
import type { ExcludedModel, RouteDecision, RouterEvents } from '../events/types.js';
import type { LimitedDeployments } from '../health/limited.js';
import type { CircuitChange } from '../health/tracker.js';
import type { ProviderAdapter, ProviderResponse, ProviderStreamPart } from '../providers/types.js';
import type { Store } from '../store/types.js';
import type { Candidate, ModelHealth, Ranked } from '../strategies/types.js';
import type { Attempt, ChatRequest, Message, ResponseFormat, StrategyName } from '../types.js';
import type { AnswerHandlers } from './answer.js';
import type { RequiredCapability } from './estimate.js';
import type { EffectivePolicy } from './policy.js';
import type { SettlementJournal } from './settlements.js';

/** The names of the built-in stages, in pipeline order; custom middleware goes before or after one. */
export const STAGE_NAMES = [
  'tenant',
  'access',
  'guardrails',
  'prompt',
  'cache',
  'ratelimit',
  'strategy',
  'budget',
  'queue',
  'execute',
] as const;

/** The names of the built-in stages, in pipeline order; custom middleware goes before or after one. */
export type StageName = (typeof STAGE_NAMES)[number];

/** What the router lends every call: the catalog, adapters, health. Read-only for stages. */
export interface RouterServices {
  readonly catalog: ReadonlyMap<string, ResolvedModel>;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  /** Health and circuit state per deployment (see `HealthTracker.key`). */
  readonly health: {
    view(key: string): ModelHealth | undefined;
    /** A promise only when the store must be asked (a shared circuit's half-open probe). */
    tryAcquire(key: string): boolean | Promise<boolean>;
    /**
     * Returns the circuit's change of state, if the outcome changed it at once; a shared
     * circuit reports its changes as events itself, with `origin` as the call.
     */
    record(
      key: string,
      failure: ProviderErrorCode | undefined,
      latencyMs: number,
      origin?: { readonly requestId: string; readonly tenant: string },
    ): CircuitChange | undefined;
    release(key: string): void;
    /** Stops background work (the shared circuits' sync). */
    dispose?(): void;
  };
  resolvePolicy(tenant: string): EffectivePolicy | Promise<EffectivePolicy>;
  /** The host's `resolveTenant` hook, if any. */
  readonly resolveTenant:
    | ((request: ChatRequest) => string | undefined | Promise<string | undefined>)
    | undefined;
  /** Randomness for traffic splits of calls without a user; injectable for tests. */
  random(): number;
  /** Budgets, rate limits and usage counters. */
  readonly store: Store;
  /** Settlements the store refused after the provider answered, retried in the background. */
  readonly settlements: SettlementJournal;
  /** Deployments whose credential just answered 429 or `quota_exceeded`. */
  readonly limited: LimitedDeployments;
  readonly defaultMaxTokens: number;
  readonly weights: { cost: number; quality: number; latency: number; health: number };
  emit<K extends keyof RouterEvents>(event: K, build: () => RouterEvents[K][0]): void;
  now(): number;
}

/** What the budget stage lends the execute stage for one call. */
export interface BudgetHandle {
  /**
   * Asked before a candidate is tried (not before each retry): false skips it. Re-reserves
   * for a dearer fallback, or, for a hedge (`concurrent`), reserves its whole estimate on top.
   */
  admit(candidate: Candidate, concurrent?: boolean): boolean | Promise<boolean>;
}

/** A call's money, in integer nano-USD. */
export interface CallCharges {
  /**
   * What attempts the router cancelled may have cost (a hedge that lost): the upper bound
   * of their input, which the provider has read. Added to the call's cost and budget.
   */
  cancelledNano: number;
  /**
   * What the call was charged, set by the budget stage when it settles: the actual cost, or
   * the whole reservation when the usage is unknown (a stream stopped early, an answer
   * without usage). The result and the audit record report exactly this, so the budget
   * counters always equal the sum of the audit costs. Undefined: nothing was charged.
   */
  billedNano: number | undefined;
  /**
   * True when a settlement of this call (budget or rate-limit tokens) failed at its first
   * attempt and was journaled for retry: the audit record says `settled: false`.
   */
  unsettled: boolean;
}

/** What a `router.embed()` call asks besides its texts. */
export interface EmbedCall {
  /** The vector length asked for, if any. */
  readonly dimensions: number | undefined;
  /** The UTF-8 bound of the longest text, memoized for the per-text input limit. */
  longestText: number | undefined;
}

/** The model that served the call, and what it answered. */
export interface Served {
  readonly candidate: Candidate;
  readonly credentialId?: string;
}

/**
 * The state of one call as it passes through the stages. Stages talk only through these
 * fields. `locals` is free for custom middleware.
 */
export interface RouteContext {
  readonly requestId: string;
  /**
   * `explain` runs the stages up to the route decision and calls no provider. `embed` is
   * `router.embed()`: its texts are `messages` (one user message each), its answer is
   * `embeddings`, and `response` carries its usage for the stages that settle.
   */
  readonly mode: 'complete' | 'stream' | 'explain' | 'embed';
  /** The request; for `embed`, the embed request's fields as a chat request whose messages are its texts. */
  readonly request: ChatRequest;
  /** For `embed`: what the call asks besides its texts. */
  readonly embed: EmbedCall | undefined;
  readonly services: RouterServices;
  /** `performance.now()` at the start of the call. */
  readonly startedAt: number;
  /** Epoch milliseconds at the start of the call. */
  readonly timestamp: number;
  /** Aborts on the caller's signal and at the call's deadline; its reason is a RouterError. */
  readonly signal: AbortSignal | undefined;
  /** The tenant id the call is accounted to. */
  tenant: string;
  /** The tenant's effective policy, set by the tenant stage. */
  policy: EffectivePolicy | undefined;
  /** The strategy in force for this call (request over policy). */
  strategy: StrategyName | undefined;
  /** The models this call can be routed to: the router's catalog, with the tenant's own models. */
  catalog: ReadonlyMap<string, ResolvedModel>;
  /** The response format in force: the request's, else the tenant's default. */
  responseFormat: ResponseFormat | undefined;
  /** The messages that will be sent; input stages may rewrite them. */
  messages: Message[];
  /** The models the tenant may use for this request, set by the access stage. */
  eligible: ResolvedModel[];
  /** Eligible models that fit the prompt and the cost cap, with their estimates; set by the strategy stage. */
  candidates: Candidate[];
  excluded: ExcludedModel[];
  /** Candidates in fallback order, set by the strategy stage. */
  ranked: Ranked[];
  decision: RouteDecision | undefined;
  attempts: Attempt[];
  /** Models fallen back from, in order. */
  fallbacks: string[];
  served: Served | undefined;
  /** The answer, for `complete`. */
  response: ProviderResponse | undefined;
  /** The vectors, for `embed`: one per text, in order. */
  embeddings: number[][] | undefined;
  /** The answer as it arrives, for `stream`: the chain's winner, or a cache hit replayed. */
  stream: AsyncIterable<ProviderStreamPart> | undefined;
  /** For `stream`: what the stages do with its parts and its end (see `onAnswer`); undefined until one registers. */
  answerHandlers: AnswerHandlers[] | undefined;
  /** The budget stage's handle on the call, set by it; undefined before it runs. */
  budget: BudgetHandle | undefined;
  /** What the call costs, in nano-USD, as the stages learn it. */
  charges: CallCharges;
  /** Time spent queued for a concurrency slot, in ms. */
  queueWaitMs: number;
  /** The input-token bound of `messages`, memoized by `inputTokensOf()`. */
  inputEstimate: { messages: Message[]; tokens: number } | undefined;
  /**
   * Set only for a call replayed from its audit record (`replayAudit`, in `explain` mode):
   * it has no prompt, so its recorded input bound and needs stand for its messages.
   */
  replay?: { readonly inputTokens: number; readonly needs: readonly RequiredCapability[] };
  /** True when the cache stage answered (no provider was called; the cost is 0). */
  cached: boolean;
  /** Names of the guardrails that acted on this call (redacted or denied), for the audit. */
  guardrailsTriggered: string[];
  /** Set when the call ends in error, before outer stages see it unwind. */
  error: RouterError | undefined;
  locals: Record<string, unknown>;
  /** Clears the call's deadline timer and signal listener; the router calls it as the call ends. */
  dispose: (() => void) | undefined;
}
