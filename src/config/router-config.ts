import type { ModelSpec } from '../catalog/types.js';
import type { BreakerOptions } from '../health/tracker.js';
import type { Middleware } from '../pipeline/compose.js';
import type { StageName } from '../pipeline/context.js';
import type { MiddlewareContext } from '../pipeline/middleware-context.js';
import type { TenantPolicy } from '../pipeline/policy.js';
import type { ProviderEntry } from '../providers/index.js';
import type { Store } from '../store/types.js';
import type { BalancedWeights } from '../strategies/types.js';
import type { TenantSource } from '../tenants/registry.js';
import type { ChatRequest } from '../types.js';

/** Custom middleware placed at a named point of the pipeline. A bare function goes before `execute`. */
export interface MiddlewareEntry {
  name?: string;
  before?: StageName;
  after?: StageName;
  handle: Middleware<MiddlewareContext>;
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
  middleware?: (Middleware<MiddlewareContext> | MiddlewareEntry)[];
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
  /**
   * A settlement (budget, rate-limit tokens) the store refuses after the provider answered
   * does not fail the call: the answer is returned, the audit record says `settled: false`,
   * and the settlement is retried in the background with exponential backoff from
   * `minDelayMs` to `maxDelayMs`, `retries` times, each failure a `store.error` event;
   * `router.close()` retries what is left for up to `closeWaitMs`. Default
   * `{ retries: 10, minDelayMs: 500, maxDelayMs: 30000, closeWaitMs: 5000 }` (about 2.5
   * minutes of retries).
   */
  /**
   * How long a budget reservation lives unless its call renews it: a reservation is a lease
   * that the call renews every `leaseMs / 2` while it runs (for up to 6 hours) and ends when
   * it settles or fails, so one held by a process that died (or lost the store) is given
   * back by the store after at most `leaseMs`. A call waiting for budget room waits at most
   * `leaseMs` too, then is `budget_exceeded`. Default 600000 (10 minutes).
   */
  leaseMs?: number;
  settleRetry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number; closeWaitMs?: number };
  /** When a deployment's circuit opens and how long it stays open. See `BreakerOptions`. */
  breaker?: Partial<BreakerOptions>;
  /** The clock (epoch ms) for periods, windows, cooldowns and timestamps. Default `Date.now`; inject one in tests. */
  clock?: () => number;
  /**
   * `chain: true` links each tenant's audit records into a hash chain: every record gets
   * `seq`, `prevHash` and `hash` (SHA-256 over its canonical JSON); check stored records
   * with `verifyAuditChain()`. With the memory store the chain is this router's, and each
   * record is emitted at once. With a store that shares chain heads (`createRedisStore`)
   * every router on it links into one chain per tenant: a record is emitted when the store
   * has linked it (one compare-and-set per batch of a tenant's records, after the call has
   * returned), a tenant's records from one router in chain order, and `close()` waits for
   * them. A record the store could not link is emitted anyway and reported as `store.error`
   * (see `verifyAuditChain` for the fork it may leave).
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
  /**
   * Bounds of the router's exact-match answer cache (the one tenants with `cache: { ttlMs }`
   * in their policy use). It is one LRU for all tenants, in this process's memory, bounded
   * both ways, whichever binds first:
   *
   * - `maxEntries`: answers kept at most, 1 to 1,000,000. Default 10 000. The cache allocates
   *   56 bytes per entry slot when the router is created (560 KiB at the default).
   * - `maxBytes`: bytes of memory its entries hold at most, counted as V8 keeps them: the
   *   answer's JSON at 1 byte a character when every character is Latin-1 and 2 bytes a
   *   character otherwise (one emoji or CJK character makes the whole answer two-byte), its
   *   key, and 64 bytes of bookkeeping. At least 1,024. Default 64 MiB (67 108 864). An answer
   *   larger than this is not kept.
   *
   * So the cache holds at most `maxBytes + 56 × maxEntries` bytes, whatever the answers
   * are. With a store that shares a cache (`createRedisStore`) these bound this router's
   * own copy; the shared cache has its own.
   *
   * @example
   * ```ts
   * // A small cache: at most 2,000 answers and 8 MiB.
   * createRouter({ providers, tenants, cache: { maxEntries: 2_000, maxBytes: 8 * 1024 * 1024 } });
   * ```
   */
  cache?: { maxEntries?: number; maxBytes?: number };
}
