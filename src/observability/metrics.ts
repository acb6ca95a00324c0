import type { AuditRecord, CacheHitEvent } from '../events/types.js';
import type { Router } from '../router.js';
import { fromNano, toNano } from '../store/types.js';
import { LogHistogram } from './histogram.js';

/** Options of `createMetrics()`. */
export interface MetricsOptions {
  /** Tenants tracked at once; the least recently active is dropped beyond. Default 10 000. */
  maxTenants?: number;
  /**
   * Relative accuracy of the percentiles: each is within this fraction of the true
   * nearest-rank value. Default 0.02 (2 %).
   */
  relativeAccuracy?: number;
  /** Counters per histogram (3 per tenant, 8 bytes each). Default 256. See `LogHistogram`. */
  maxBuckets?: number;
}

/** Percentiles of a distribution, in ms. All 0 when `count` is 0. */
export interface DistributionSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

/** What one tenant did since the collector started (or was reset). */
export interface TenantMetrics {
  tenant: string;
  /** Calls, whatever their outcome: one per audit record. */
  requests: number;
  successes: number;
  /** Calls that failed after routing (provider errors, timeouts, aborts). */
  failures: number;
  /** Calls the router refused before any provider answered (policy, budget, rate limit…). */
  denials: number;
  /** Failed and denied calls, by error code. */
  errors: Record<string, number>;
  /** Fallback hops: one per model a call moved away from. */
  fallbacks: number;
  /** Calls that fell back at least once. */
  callsWithFallback: number;
  cacheHits: number;
  /** `cacheHits / successes` (0 when no call succeeded). */
  cacheHitRate: number;
  /** What the cache hits had cost when first made, in USD. */
  cacheSavedUsd: number;
  /** Sum of the calls' `costUsd`. */
  spendUsd: number;
  /** Tokens of the calls a provider answered (cache hits excluded). */
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Latency of the calls that were not denied. */
  latencyMs: DistributionSummary;
  /** Time to first token, of streamed calls. */
  ttftMs: DistributionSummary;
  /** Wait for a concurrency slot, of the calls that were not denied (0 when none waited). */
  queueWaitMs: DistributionSummary;
  /** Epoch ms of the first and last call seen. */
  firstSeen: number;
  lastSeen: number;
}

/** Every tracked tenant, with what the collector dropped. */
export interface MetricsSnapshot {
  tenants: TenantMetrics[];
  /** Tenants dropped to stay within `maxTenants` since the last reset. */
  evictedTenants: number;
  maxTenants: number;
}

/** A per-tenant metrics collector. See `createMetrics()`. */
export interface MetricsCollector {
  /** One tenant's metrics (zeroed when the tenant was never seen or was evicted): nothing of any other. */
  snapshot(tenant: string): TenantMetrics;
  /** Every tracked tenant. */
  snapshot(): MetricsSnapshot;
  /** Forgets everything collected. */
  reset(): void;
  /** Stops listening to the router. The data collected stays readable. */
  close(): void;
}

interface TenantState {
  tenant: string;
  requests: number;
  successes: number;
  failures: number;
  denials: number;
  errors: Map<string, number>;
  fallbacks: number;
  callsWithFallback: number;
  cacheHits: number;
  /** Money summed in integer nano-USD, so a sum of many calls has no float noise. */
  cacheSavedNano: number;
  spendNano: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  latency: LogHistogram;
  ttft: LogHistogram;
  queueWait: LogHistogram;
  firstSeen: number;
  lastSeen: number;
}

/**
 * Collects per-tenant metrics from a router's events: counts by outcome and error code,
 * fallbacks, cache hits, spend, tokens, and latency, time-to-first-token and queue-wait
 * percentiles (p50/p95/p99). Memory is bounded: at most `maxTenants` tenants (least recently
 * active dropped first), each with three fixed-size histograms of at most `maxBuckets`
 * counters; percentiles are within `relativeAccuracy` of the exact ones.
 *
 * Listens to `audit` (one record per call) and `cache.hit`; costs nothing per call until created.
 *
 * @example
 * ```ts
 * const metrics = createMetrics(router);
 * // …
 * const acme = metrics.snapshot('acme');
 * console.log(acme.requests, acme.spendUsd, acme.latencyMs.p95);
 * ```
 */
export function createMetrics(router: Router, options: MetricsOptions = {}): MetricsCollector {
  const maxTenants = options.maxTenants ?? 10_000;
  const accuracy = options.relativeAccuracy ?? 0.02;
  const maxBuckets = options.maxBuckets ?? 256;
  if (!(Number.isInteger(maxTenants) && maxTenants >= 1)) throw new RangeError('maxTenants must be ≥ 1');
  // Validates the histogram options at once.
  new LogHistogram(accuracy, maxBuckets);

  // A Map keeps insertion order: re-inserting on each use makes its first key the least recent.
  let tenants = new Map<string, TenantState>();
  let evicted = 0;

  const state = (tenant: string, timestamp: number): TenantState => {
    let s = tenants.get(tenant);
    if (s) {
      tenants.delete(tenant);
    } else {
      s = newState(tenant, accuracy, maxBuckets, timestamp);
      if (tenants.size >= maxTenants) {
        const oldest = tenants.keys().next().value;
        if (oldest !== undefined) tenants.delete(oldest);
        evicted++;
      }
    }
    tenants.set(tenant, s);
    return s;
  };

  const onAudit = (record: AuditRecord): void => {
    const s = state(record.tenant, record.timestamp);
    s.lastSeen = Math.max(s.lastSeen, record.timestamp);
    s.requests++;
    if (record.outcome === 'success') s.successes++;
    else if (record.outcome === 'denied') s.denials++;
    else s.failures++;
    if (record.outcome !== 'success') {
      const code = record.errorCode ?? 'internal';
      s.errors.set(code, (s.errors.get(code) ?? 0) + 1);
    }
    if (record.fallbacks.length > 0) {
      s.fallbacks += record.fallbacks.length;
      s.callsWithFallback++;
    }
    if (record.cached) s.cacheHits++;
    s.spendNano += toNano(record.costUsd);
    if (record.usage && !record.cached) {
      s.inputTokens += record.usage.inputTokens;
      s.outputTokens += record.usage.outputTokens;
      s.cachedInputTokens += record.usage.cachedInputTokens ?? 0;
    }
    if (record.outcome !== 'denied') {
      s.latency.record(record.latencyMs);
      s.queueWait.record(record.queueWaitMs ?? 0);
    }
    if (record.ttftMs !== undefined) s.ttft.record(record.ttftMs);
  };

  // `cache.hit` comes before the call's audit record: it only adds the saving.
  const onCacheHit = (event: CacheHitEvent): void => {
    const s = state(event.tenant, event.timestamp);
    s.cacheSavedNano += toNano(event.savedUsd);
  };

  router.on('audit', onAudit);
  router.on('cache.hit', onCacheHit);
  let closed = false;

  function snapshot(tenant: string): TenantMetrics;
  function snapshot(): MetricsSnapshot;
  function snapshot(tenant?: string): TenantMetrics | MetricsSnapshot {
    if (tenant !== undefined) {
      const s = tenants.get(tenant);
      return s ? view(s) : view(newState(tenant, accuracy, maxBuckets, 0));
    }
    return { tenants: [...tenants.values()].map(view), evictedTenants: evicted, maxTenants };
  }

  return {
    snapshot,
    reset() {
      tenants = new Map();
      evicted = 0;
    },
    close() {
      if (closed) return;
      closed = true;
      router.off('audit', onAudit);
      router.off('cache.hit', onCacheHit);
    },
  };
}

/** A tenant's counters before its first call. */
function newState(tenant: string, accuracy: number, maxBuckets: number, timestamp: number): TenantState {
  return {
    tenant,
    requests: 0,
    successes: 0,
    failures: 0,
    denials: 0,
    errors: new Map(),
    fallbacks: 0,
    callsWithFallback: 0,
    cacheHits: 0,
    cacheSavedNano: 0,
    spendNano: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    latency: new LogHistogram(accuracy, maxBuckets),
    ttft: new LogHistogram(accuracy, maxBuckets),
    queueWait: new LogHistogram(accuracy, maxBuckets),
    firstSeen: timestamp,
    lastSeen: timestamp,
  };
}

function view(s: TenantState): TenantMetrics {
  return {
    tenant: s.tenant,
    requests: s.requests,
    successes: s.successes,
    failures: s.failures,
    denials: s.denials,
    errors: Object.fromEntries(s.errors),
    fallbacks: s.fallbacks,
    callsWithFallback: s.callsWithFallback,
    cacheHits: s.cacheHits,
    cacheHitRate: s.successes === 0 ? 0 : s.cacheHits / s.successes,
    cacheSavedUsd: fromNano(s.cacheSavedNano),
    spendUsd: fromNano(s.spendNano),
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    cachedInputTokens: s.cachedInputTokens,
    latencyMs: summarize(s.latency),
    ttftMs: summarize(s.ttft),
    queueWaitMs: summarize(s.queueWait),
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
  };
}

function summarize(h: LogHistogram): DistributionSummary {
  if (h.count === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p95: 0, p99: 0 };
  return {
    count: h.count,
    min: h.min,
    max: h.max,
    mean: h.sum / h.count,
    p50: h.quantile(0.5),
    p95: h.quantile(0.95),
    p99: h.quantile(0.99),
  };
}
