import { specProblem } from '../catalog/catalog.js';
import { RouterError } from '../errors.js';
import { type BreakerOptions, DEFAULT_BREAKER } from '../health/tracker.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES } from '../stages/cache/memory-cache.js';
import { DEFAULT_BALANCED_WEIGHTS } from '../strategies/balanced.js';
import type { BalancedWeights } from '../strategies/types.js';
import type { RouterConfig } from './router-config.js';

/**
 * Every default of `createRouter()` options, in one place. The doc comments of
 * `RouterConfig` quote these values; change both together.
 */
export const DEFAULTS = {
  tenantCacheTtlMs: 60_000,
  defaultMaxTokens: 4096,
  retry: { retries: 2, minDelayMs: 200, maxDelayMs: 4_000, maxRetryAfterMs: 5_000 },
  attemptTimeoutMs: 120_000,
  leaseMs: 600_000,
  settleRetry: { retries: 10, minDelayMs: 500, maxDelayMs: 30_000, closeWaitMs: 5_000 },
  maxQueuePerTenant: 1_000,
  noisyNeighbor: { share: 0.5, rateFactor: 3, windowMs: 60_000 },
  cache: { maxEntries: DEFAULT_MAX_ENTRIES, maxBytes: DEFAULT_MAX_BYTES },
} as const;

/** The options of a router with every default filled in: what the wiring reads. */
export interface ResolvedOptions {
  tenantCacheTtlMs: number;
  defaultMaxTokens: number;
  retry: { retries: number; minDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
  attemptTimeoutMs: number;
  leaseMs: number;
  settleRetry: { retries: number; minDelayMs: number; maxDelayMs: number; closeWaitMs: number };
  concurrency: { maxInFlight: number; maxQueuePerTenant: number } | undefined;
  perProvider: Record<string, number>;
  noisyNeighbor: { share: number; rateFactor: number; windowMs: number };
  cache: { maxEntries: number; maxBytes: number };
  weights: BalancedWeights;
  breaker: BreakerOptions;
  now: () => number;
}

/**
 * Fills in the defaults of a validated config, and checks what the schema cannot: fields
 * that name other fields (a model's provider entry, the default tenant, a provider's
 * concurrency cap). Throws `invalid_config` naming the field.
 */
export function resolveOptions(config: RouterConfig, providers: ReadonlySet<string>): ResolvedOptions {
  const configured = () => [...providers].join(', ');
  (config.models ?? []).forEach((model, i) => {
    const problem = specProblem(model, `models[${i}]`, providers);
    if (problem !== undefined) throw new RouterError('invalid_config', problem);
  });
  const tenants = config.tenants;
  if (config.defaultTenant !== undefined && tenants && typeof tenants.get !== 'function') {
    if (!(config.defaultTenant in tenants)) {
      throw new RouterError(
        'invalid_config',
        `defaultTenant '${config.defaultTenant}' is not one of the configured tenants`,
      );
    }
  }
  const perProvider = config.concurrency?.perProvider ?? {};
  for (const name of Object.keys(perProvider)) {
    if (!providers.has(name)) {
      throw new RouterError(
        'invalid_config',
        `concurrency.perProvider.${name} names no configured provider (configured: ${configured()})`,
      );
    }
  }
  const maxInFlight = config.concurrency?.maxInFlight;
  return {
    tenantCacheTtlMs: config.tenantCacheTtlMs ?? DEFAULTS.tenantCacheTtlMs,
    defaultMaxTokens: config.defaultMaxTokens ?? DEFAULTS.defaultMaxTokens,
    retry: { ...DEFAULTS.retry, ...config.retry },
    attemptTimeoutMs: config.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs,
    leaseMs: config.leaseMs ?? DEFAULTS.leaseMs,
    settleRetry: { ...DEFAULTS.settleRetry, ...config.settleRetry },
    concurrency:
      maxInFlight === undefined
        ? undefined
        : {
            maxInFlight,
            maxQueuePerTenant: config.concurrency?.maxQueuePerTenant ?? DEFAULTS.maxQueuePerTenant,
          },
    perProvider,
    noisyNeighbor: { ...DEFAULTS.noisyNeighbor, ...config.noisyNeighbor },
    cache: { ...DEFAULTS.cache, ...config.cache },
    weights: { ...DEFAULT_BALANCED_WEIGHTS, ...config.balancedWeights },
    breaker: { ...DEFAULT_BREAKER, ...config.breaker },
    now: config.clock ?? Date.now,
  };
}
