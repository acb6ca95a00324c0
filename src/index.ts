/**
 * routeplane: an embeddable multi-tenant LLM router. Build one router at start-up with
 * `createRouter()`, then call `router.complete()` / `router.stream()` per request.
 *
 * @module routeplane
 */

export { BUILTIN_MODELS, CATALOG_DATE } from './catalog/models.js';
export type {
  DeploymentSpec,
  EmbeddingSpec,
  ModelCapability,
  ModelPricing,
  ModelSpec,
  ResolvedModel,
  TokenPrices,
} from './catalog/types.js';
export {
  ProviderError,
  type ProviderErrorCode,
  type ProviderErrorOptions,
  RouterError,
  type RouterErrorCode,
  type RouterErrorOptions,
} from './errors.js';
export {
  type AuditChainVerdict,
  canonicalJson,
  GENESIS_HASH,
  verifyAuditChain,
} from './events/audit-chain.js';
export type {
  AttemptFailedEvent,
  AuditFeatures,
  AuditOutcome,
  AuditRecord,
  BudgetExceededEvent,
  BudgetScope,
  BudgetThresholdEvent,
  CacheHitEvent,
  CircuitClosedEvent,
  CircuitEventBase,
  CircuitOpenedEvent,
  DeploymentStatus,
  EventBase,
  ExcludedModel,
  FallbackEvent,
  GuardrailTriggeredEvent,
  PolicyDeniedEvent,
  RankedCandidate,
  RateLimitThrottledEvent,
  RequestCompletedEvent,
  RequestFailedEvent,
  RequestStartedEvent,
  RouteDecidedEvent,
  RouteDecision,
  RouterEventName,
  RouterEvents,
  StoreErrorEvent,
  TenantNoisyEvent,
  UnsettledSettlement,
} from './events/types.js';
export type { BreakerOptions, CircuitOpenReason } from './health/tracker.js';
export {
  createMetrics,
  type DistributionSummary,
  type MetricsCollector,
  type MetricsOptions,
  type MetricsSnapshot,
  type TenantMetrics,
} from './observability/metrics.js';
export type { Middleware } from './pipeline/compose.js';
export { STAGE_NAMES, type StageName } from './pipeline/context.js';
export type { ContextLocals, MiddlewareContext, MiddlewarePolicy } from './pipeline/middleware-context.js';
export type {
  BudgetSpec,
  Guardrail,
  GuardrailInput,
  Guardrails,
  GuardrailVerdict,
  PiiType,
  RateLimitSpec,
  TenantPolicy,
} from './pipeline/policy.js';
export type {
  AnthropicBedrockOptions,
  AnthropicVertexOptions,
  AwsCredentialProvider,
  GoogleAuthLike,
} from './providers/anthropic-cloud/options.js';
export type { ProviderEntry } from './providers/index.js';
export type {
  Credential,
  ProviderAdapter,
  ProviderEmbedRequest,
  ProviderEmbedResponse,
  ProviderRequest,
  ProviderResponse,
  ProviderStreamPart,
  ProviderType,
} from './providers/types.js';
export {
  createRouter,
  type MiddlewareEntry,
  type Router,
  type RouterConfig,
  type TenantUsage,
} from './router.js';
export type { CachedAnswer } from './stages/cache/answer.js';
export {
  createMemorySemanticIndex,
  createSemanticCacheMiddleware,
  type Embedder,
  type SemanticCacheOptions,
  type SemanticIndex,
} from './stages/cache/semantic.js';
export type { AuditChainStore, ChainHead, ChainLinkResult } from './store/audit.js';
export type { SharedAnswerCache, SharedCacheEntry } from './store/cache.js';
export type {
  CircuitReport,
  SharedCircuitOptions,
  SharedCircuitState,
  SharedCircuits,
  SharedOpenReason,
} from './store/circuits.js';
export { createMemoryStore } from './store/memory.js';
export type {
  BudgetLine,
  BudgetState,
  Lease,
  RateResult,
  ReserveResult,
  SettleUsage,
  Store,
} from './store/types.js';
export type { BalancedWeights } from './strategies/types.js';
export type { TenantAdmin, TenantSource } from './tenants/registry.js';
export type {
  AssistantMessage,
  Attempt,
  ChatRequest,
  ChatResult,
  ChatStream,
  ContentPart,
  EmbedRequest,
  EmbedResult,
  FinishReason,
  ImagePart,
  JSONSchema,
  Message,
  ReasoningOptions,
  ResponseFormat,
  StrategyName,
  StreamPart,
  StreamServed,
  SystemMessage,
  TextPart,
  Tool,
  ToolCall,
  ToolChoice,
  ToolMessage,
  Usage,
  UserMessage,
} from './types.js';
