import type { ProviderErrorCode, RouterErrorCode } from '../errors.js';
import type { CircuitOpenReason } from '../health/tracker.js';
import type { Attempt, FinishReason, Message, StrategyName, Usage } from '../types.js';

/** Fields every event carries. */
export interface EventBase {
  requestId: string;
  tenant: string;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** A ranked candidate of a route decision. */
export interface RankedCandidate {
  model: string;
  /** The provider entry of its first deployment. */
  provider: string;
  region?: string;
  score: number;
  /** Upper bound of the call's cost on this model, in USD. */
  estCostUsd: number;
  /** For a model with several deployments: each one, and whether this call may use it now. */
  deployments?: DeploymentStatus[];
}

/** A deployment of a candidate model, as `explain()` shows it. */
export interface DeploymentStatus {
  /** Its provider entry. */
  provider: string;
  region?: string;
  weight: number;
  /** True when the call may use it now (the order among available ones is drawn by weight). */
  available: boolean;
  /** Why not: `region not in allowedRegions`, `circuit open`, `rate limited for N ms`. */
  reason?: string;
}

/** A model the router did not consider, and why. */
export interface ExcludedModel {
  model: string;
  reason: string;
}

/** How the router chose, as returned by `router.explain()` and carried by `route.decided`. */
export interface RouteDecision {
  tenant: string;
  strategy: StrategyName;
  /** The model tried first; undefined when no model is eligible. */
  /**
   * The model a call would be routed to first; undefined when no model is eligible (a call
   * then fails with `no_eligible_model`, and `excluded` says why each model was left out).
   */
  chosen: string | undefined;
  /** Eligible models in fallback order. */
  candidates: RankedCandidate[];
  excluded: ExcludedModel[];
}

export interface RequestStartedEvent extends EventBase {
  user?: string;
  stream: boolean;
}

export interface RouteDecidedEvent extends EventBase, Omit<RouteDecision, 'tenant'> {}

export interface AttemptFailedEvent extends EventBase {
  model: string;
  provider: string;
  errorCode: string;
  status?: number;
  retryable: boolean;
  latencyMs: number;
}

export interface FallbackEvent extends EventBase {
  /** The model fallen back from, and the one tried next (the same for another deployment of it). */
  from: string;
  to: string;
  reason: string;
  /** For a model with several deployments: the provider entry fallen back from. */
  fromDeployment?: string;
  /** For a model with several deployments: the provider entry tried next. */
  toDeployment?: string;
}

export interface PolicyDeniedEvent extends EventBase {
  code: RouterErrorCode;
  reason: string;
}

export interface RequestCompletedEvent extends EventBase {
  model: string;
  provider: string;
  finishReason: FinishReason;
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  ttftMs?: number;
  cached: boolean;
  attempts: Attempt[];
}

export interface RequestFailedEvent extends EventBase {
  code: RouterErrorCode;
  message: string;
  attempts: Attempt[];
  latencyMs: number;
}

/** Which budget an event is about. */
export type BudgetScope = 'tenant' | 'user' | 'tag';

export interface BudgetThresholdEvent extends EventBase {
  scope: BudgetScope;
  /** The user id or `tag=value` for user and tag budgets. */
  subject?: string;
  period: string;
  /** The share of the limit crossed, from `alertAt`. */
  threshold: number;
  spentUsd: number;
  limitUsd: number;
}

export interface BudgetExceededEvent extends EventBase {
  scope: BudgetScope;
  subject?: string;
  period: string;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  /** The estimated cost that did not fit. */
  estCostUsd: number;
  /** `deny`: the call failed; `downgrade`: it went to a cheaper candidate. */
  action: 'deny' | 'downgrade';
}

export interface RateLimitThrottledEvent extends EventBase {
  limit: 'requests' | 'tokens' | 'queue';
  retryAfterMs: number;
  /** True when the call waited (`onLimit: 'wait'`) rather than failing. */
  waited: boolean;
}

/**
 * A tenant crowds others out: every concurrency slot is taken, another tenant is in flight
 * or waiting, and this tenant holds more than its share or calls far above its baseline.
 * `requestId` is the call whose arrival revealed it, which may be another tenant's.
 */
export interface TenantNoisyEvent extends EventBase {
  reason: 'share' | 'rate';
  /** The tenant's share of in-flight plus queued calls, for `share`. */
  share?: number;
  /** Its requests per minute, and its own recent baseline, for `rate`. */
  rate?: number;
  baseline?: number;
}

export interface CacheHitEvent extends EventBase {
  model: string;
  provider: string;
  /** What the cached answer had cost when it was first made. */
  savedUsd: number;
}

export interface GuardrailTriggeredEvent extends EventBase {
  /** The guardrail's name (`pii`, `blocked-terms`, `max-input-tokens`, `output-schema`, or a custom name). */
  guardrail: string;
  stage: 'input' | 'output';
  action: 'redact' | 'deny';
  /** For PII: the kinds found (never the values). */
  kinds?: string[];
}

/**
 * What the circuit events carry: the deployment whose circuit changed (`model` ×
 * `provider` entry × `credentialId`, the breaker's unit) and, when an attempt of a call
 * changed it, that call's `requestId` and `tenant`.
 */
export interface CircuitEventBase {
  /** The call whose attempt's outcome changed the circuit, when there is one. */
  requestId?: string;
  tenant?: string;
  /** Epoch milliseconds. */
  timestamp: number;
  model: string;
  provider: string;
  /** The tenant credential the deployment is called with; absent for the provider entry's own key. */
  credentialId?: string;
  /**
   * With a store that shares circuits (`createRedisStore`): the change was learned from the
   * store (another instance's attempts, or this one's seen later), not made by an attempt
   * of this router's calls; it then has no `requestId` or `tenant`.
   */
  shared?: true;
}

/**
 * A deployment's circuit opened: calls pass it over (`explain()` lists it as excluded)
 * until `cooldownMs` has passed, then one probe is let through.
 */
export interface CircuitOpenedEvent extends CircuitEventBase {
  /** `consecutive_failures`, `error_rate` (over the breaker's window), or `probe_failed` (a half-open probe failed). */
  reason: CircuitOpenReason;
  /** How long it stays open from now (for a shared circuit learned later: the cooldown left). */
  cooldownMs: number;
  /** The classified failure of the attempt that opened it. */
  errorCode: ProviderErrorCode;
}

/** A deployment's circuit closed: its half-open probe succeeded, and calls reach it again. */
export interface CircuitClosedEvent extends CircuitEventBase {}

/**
 * The store failed (Redis down, say); `failOpen` says whether calls went on with local limits.
 * A settlement the store refused after the provider answered carries `tenant`, `requestId`
 * and `unsettled`: the answer was returned to the caller, and the router retries it.
 */
export interface StoreErrorEvent {
  timestamp: number;
  message: string;
  failOpen: boolean;
  /** The call whose settlement failed, for a settlement failure. */
  tenant?: string;
  requestId?: string;
  /** What could not be settled (never an API key). */
  unsettled?: UnsettledSettlement;
}

/** A settlement the store refused after the provider answered (see `StoreErrorEvent`). */
export interface UnsettledSettlement {
  /** `budget`: the call's cost in a budget; `rateLimit`: its token estimate corrected by its usage. */
  kind: 'budget' | 'rateLimit';
  /** The store key (`budget:{tenant}:…`, `rate:{tenant}:tokens`). */
  key: string;
  /** For `budget`: what the call cost, in USD. */
  amountUsd?: number;
  /** For `rateLimit`: the tokens given back (negative) or charged (positive). */
  tokens?: number;
  /** Attempts that failed so far, the first included. */
  attempts: number;
  /**
   * True when the router stopped retrying (retries exhausted, or the router closed): the
   * settlement is lost and the host must reconcile it from the audit record (`settled: false`).
   */
  gaveUp: boolean;
}

/**
 * What a call asked for, as the router saw it: enough to replay its routing against another
 * policy without its prompt (`replayAudit` in `routeplane/replay`). Small on purpose: counts
 * and names, never content.
 */
export interface AuditFeatures {
  /**
   * The upper bound of the call's input tokens that the router routed, rate-limited and
   * reserved with (`estimateInputTokens`: UTF-8 bytes of the messages as sent, system
   * prompt included, plus per-message overheads, images and tools). A call refused before
   * the system prompt was added counts the caller's messages only.
   */
  inputTokens: number;
  /** The request's `maxTokens`; absent when it left the choice to the router. */
  maxTokens?: number;
  /**
   * The `max_tokens` sent to the model that served the call: the request's, else the lower
   * of `defaultMaxTokens` and the model's max output. Absent when no model was called.
   */
  maxTokensSent?: number;
  /** What the request needed of its model: `tools`, `vision` (an image part), `json` (a JSON response format). Absent when nothing. */
  needs?: ('tools' | 'vision' | 'json' | 'reasoning')[];
  /** The strategy the request asked for; absent when it left it to the policy (the one in force is the record's `strategy`). */
  strategy?: StrategyName;
  /** The model the request forced (`forceModel`). */
  forceModel?: string;
  /** The request's own cost cap (`maxCost`), in USD; the cap in force is the record's `costCapUsd`. */
  maxCost?: number;
}

/** How a call ended, for the audit: `denied` when the router refused it before any provider answered. */
export type AuditOutcome = 'success' | 'denied' | 'failed';

/**
 * The execution record of one call: exactly one per call, whatever its outcome. It never
 * holds an API key (only `credentialId`), and holds prompt and answer text only when the
 * tenant's `captureContent` is on.
 */
export interface AuditRecord {
  requestId: string;
  timestamp: number;
  tenant: string;
  /** The request's `user` (per-user budgets, sticky splits). */
  user?: string;
  /** The request's `role` (its `allowedModels` narrow the tenant's). */
  role?: string;
  /** The request's `tags` (tag budgets). */
  tags?: Record<string, string>;
  outcome: AuditOutcome;
  errorCode?: RouterErrorCode;
  /** The strategy in force: the request's, else the policy's. */
  strategy?: StrategyName;
  model?: string;
  provider?: string;
  /** The deployment that served the call: its provider entry (the same as `provider`). */
  deployment?: string;
  region?: string;
  credentialId?: string;
  /** The usage the provider reported and the call was billed for (a successful call). */
  usage?: Usage;
  /** What the call was charged, in USD (0 for a cache hit). */
  costUsd: number;
  /**
   * True when the provider reported no usage: the call was charged its reservation (the
   * upper bound of its cost), which is `costUsd`.
   */
  usageEstimated?: true;
  /**
   * `false` when the first settlement of the call's cost or usage in the store (budgets,
   * rate-limit tokens) failed after the provider answered: the answer was returned and
   * `costUsd` is what it cost, and the router retries the settlement in the background
   * (each failure is a `store.error` event with this `requestId`). Absent when it was
   * settled at once.
   */
  settled?: false;
  latencyMs: number;
  ttftMs?: number;
  cached: boolean;
  attempts: Attempt[];
  /** Models the call fell back from, in order. */
  fallbacks: string[];
  /** Why the model stopped, for a successful call. */
  finishReason?: FinishReason;
  /** Time spent waiting for a concurrency slot (weighted fair queue), in ms. */
  queueWaitMs?: number;
  /** The cost cap in force (lower of `maxCost` and `maxCostPerRequest`), and whether the actual cost went over it. */
  costCapUsd?: number;
  overCap?: boolean;
  /** Names of the guardrails that redacted or denied something in this call. */
  guardrails?: string[];
  /** The prompt and the answer, after redaction: only when the tenant's `captureContent` is on. */
  content?: { messages: Message[]; text?: string };
  /** True for `router.stream()`, false for `router.complete()`. */
  stream: boolean;
  /**
   * True for a `router.embed()` call: `usage` is its input tokens (no output), and with
   * `captureContent` the texts are `content.messages`, one user message each.
   */
  embed?: true;
  /**
   * What the call asked for (input-token bound, `maxTokens`, needs, strategy, forced model,
   * cost cap): with `user`, `role`, `tags` and `usage`, what `replayAudit` needs. Absent on
   * a record of a request refused as invalid before it was read.
   */
  features?: AuditFeatures;
  /**
   * With `audit: { chain: true }`: the record's place in its tenant's chain, 1 for the first
   * (shared by every router on a store with a shared chain, such as `createRedisStore`).
   * Covered by `hash`.
   */
  seq?: number;
  /** With the chain: the `hash` of the tenant's record before this one (64 zeros for the first). */
  prevHash?: string;
  /** With the chain: SHA-256 (hex) of the record's canonical JSON without `hash`. See `verifyAuditChain`. */
  hash?: string;
}

/**
 * Every event the router emits, by name, with its payload. Subscribe with `router.on()`;
 * no payload is built for an event nobody listens to.
 */
export interface RouterEvents {
  'request.started': [RequestStartedEvent];
  'route.decided': [RouteDecidedEvent];
  'attempt.failed': [AttemptFailedEvent];
  fallback: [FallbackEvent];
  'policy.denied': [PolicyDeniedEvent];
  'budget.threshold': [BudgetThresholdEvent];
  'budget.exceeded': [BudgetExceededEvent];
  'ratelimit.throttled': [RateLimitThrottledEvent];
  'tenant.noisy': [TenantNoisyEvent];
  'cache.hit': [CacheHitEvent];
  'guardrail.triggered': [GuardrailTriggeredEvent];
  'store.error': [StoreErrorEvent];
  /**
   * A deployment's circuit opened (see `BreakerOptions`); emitted by the attempt whose failure
   * opened it, or, with shared circuits, by each router as it learns of it (`shared: true`).
   */
  'circuit.opened': [CircuitOpenedEvent];
  /**
   * A deployment's circuit closed again: emitted by the half-open probe that succeeded, or,
   * with shared circuits, by each other router as it learns of it (`shared: true`).
   */
  'circuit.closed': [CircuitClosedEvent];
  'request.completed': [RequestCompletedEvent];
  'request.failed': [RequestFailedEvent];
  audit: [AuditRecord];
}

export type RouterEventName = keyof RouterEvents;
